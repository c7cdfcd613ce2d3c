//! Evaluation metrics for a binary classifier given P(positive) per sample.

use serde::Serialize;

/// Counts of a binary decision against the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// Positives predicted positive.
    pub true_positive: usize,
    /// Negatives predicted positive.
    pub false_positive: usize,
    /// Negatives predicted negative.
    pub true_negative: usize,
    /// Positives predicted negative.
    pub false_negative: usize,
}

impl Confusion {
    /// Counts decisions `score >= threshold` against `truth`.
    pub fn at(scores: &[f32], truth: &[bool], threshold: f32) -> Self {
        let mut c = Self {
            true_positive: 0,
            false_positive: 0,
            true_negative: 0,
            false_negative: 0,
        };
        for (&score, &positive) in scores.iter().zip(truth) {
            match (score >= threshold, positive) {
                (true, true) => c.true_positive += 1,
                (true, false) => c.false_positive += 1,
                (false, false) => c.true_negative += 1,
                (false, true) => c.false_negative += 1,
            }
        }
        c
    }

    /// Fraction of decisions that are right.
    pub fn accuracy(&self) -> f64 {
        ratio(self.true_positive + self.true_negative, self.total())
    }

    /// Precision and recall of the positive class.
    pub fn positive(&self) -> ClassScores {
        ClassScores {
            precision: ratio(self.true_positive, self.true_positive + self.false_positive),
            recall: ratio(self.true_positive, self.true_positive + self.false_negative),
            support: self.true_positive + self.false_negative,
        }
    }

    /// Precision and recall of the negative class.
    pub fn negative(&self) -> ClassScores {
        ClassScores {
            precision: ratio(self.true_negative, self.true_negative + self.false_negative),
            recall: ratio(self.true_negative, self.true_negative + self.false_positive),
            support: self.true_negative + self.false_positive,
        }
    }

    fn total(&self) -> usize {
        self.true_positive + self.false_positive + self.true_negative + self.false_negative
    }
}

/// Precision, recall and number of true members of one class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassScores {
    /// Of those predicted in the class, the fraction that are.
    pub precision: f64,
    /// Of those in the class, the fraction predicted so.
    pub recall: f64,
    /// How many samples truly are in the class.
    pub support: usize,
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// Mean binary cross-entropy of P(positive), clipped like Keras (1e-7).
pub fn log_loss(scores: &[f32], truth: &[bool]) -> f64 {
    let total: f64 = scores
        .iter()
        .zip(truth)
        .map(|(&p, &positive)| {
            let p = f64::from(p).clamp(1e-7, 1.0 - 1e-7);
            -if positive { p.ln() } else { (1.0 - p).ln() }
        })
        .sum();
    total / scores.len().max(1) as f64
}

/// Root mean squared error between the probabilities and the one-hot truth (for two
/// classes both outputs have the same error, so this is the error of P(positive)).
pub fn rmse(scores: &[f32], truth: &[bool]) -> f64 {
    let total: f64 = scores
        .iter()
        .zip(truth)
        .map(|(&p, &t)| (f64::from(p) - f64::from(u8::from(t))).powi(2))
        .sum();
    (total / scores.len().max(1) as f64).sqrt()
}

/// Area under the ROC curve: the probability that a random positive scores above a random
/// negative, ties counting one half.
pub fn roc_auc(scores: &[f32], truth: &[bool]) -> f64 {
    let positives: Vec<f32> = scores
        .iter()
        .zip(truth)
        .filter(|(_, t)| **t)
        .map(|(s, _)| *s)
        .collect();
    let negatives: Vec<f32> = scores
        .iter()
        .zip(truth)
        .filter(|(_, t)| !**t)
        .map(|(s, _)| *s)
        .collect();
    if positives.is_empty() || negatives.is_empty() {
        return f64::NAN;
    }
    let wins: f64 = positives
        .iter()
        .flat_map(|p| {
            negatives.iter().map(move |n| {
                if p > n {
                    1.0
                } else if p == n {
                    0.5
                } else {
                    0.0
                }
            })
        })
        .sum();
    wins / (positives.len() * negatives.len()) as f64
}

/// ROC curve points (false positive rate, true positive rate), from (0,0) to (1,1).
pub fn roc_curve(scores: &[f32], truth: &[bool]) -> Vec<(f64, f64)> {
    let mut thresholds: Vec<f32> = scores.to_vec();
    thresholds.sort_by(|a, b| b.total_cmp(a));
    thresholds.dedup();
    let mut points = vec![(0.0, 0.0)];
    for threshold in thresholds {
        let c = Confusion::at(scores, truth, threshold);
        points.push((1.0 - c.negative().recall, c.positive().recall));
    }
    points.push((1.0, 1.0));
    points
}

/// The lowest threshold at which at most `max_fpr` of the negatives score at or above it
/// (are called positive): just above the score of the negative that would be one too
/// many. Ties are never split, so the rate can only come out lower than asked.
pub fn threshold_at_fpr(scores: &[f32], truth: &[bool], max_fpr: f64) -> f32 {
    let mut negatives: Vec<f32> = scores
        .iter()
        .zip(truth)
        .filter(|(_, t)| !**t)
        .map(|(s, _)| *s)
        .collect();
    negatives.sort_by(|a, b| b.total_cmp(a));
    let allowed = (max_fpr * negatives.len() as f64).floor() as usize;
    match negatives.get(allowed) {
        Some(&first_too_many) => first_too_many.next_up(),
        None => negatives.last().copied().unwrap_or(0.5).min(0.5),
    }
}

/// Special Week recall at the threshold of [`threshold_at_fpr`].
pub fn recall_at_fpr(scores: &[f32], truth: &[bool], max_fpr: f64) -> f64 {
    let threshold = threshold_at_fpr(scores, truth, max_fpr);
    Confusion::at(scores, truth, threshold).positive().recall
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCORES: [f32; 6] = [0.9, 0.8, 0.4, 0.6, 0.3, 0.1];
    const TRUTH: [bool; 6] = [true, true, true, false, false, false];

    #[test]
    fn confusion_by_hand() {
        let c = Confusion::at(&SCORES, &TRUTH, 0.5);
        assert_eq!(
            (
                c.true_positive,
                c.false_positive,
                c.true_negative,
                c.false_negative
            ),
            (2, 1, 2, 1)
        );
        assert!((c.accuracy() - 4.0 / 6.0).abs() < 1e-12);
        assert!((c.positive().precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.negative().recall - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn auc_by_hand() {
        // Positives 0.9, 0.8, 0.4 against negatives 0.6, 0.3, 0.1: 0.4 loses to 0.6 only.
        assert!((roc_auc(&SCORES, &TRUTH) - 8.0 / 9.0).abs() < 1e-12);
        assert!((roc_auc(&[0.5, 0.5], &[true, false]) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn losses_by_hand() {
        let expected =
            -(0.9f64.ln() + 0.8f64.ln() + 0.4f64.ln() + 0.4f64.ln() + 0.7f64.ln() + 0.9f64.ln())
                / 6.0;
        assert!((log_loss(&SCORES, &TRUTH) - expected).abs() < 1e-6);
        let squares = 0.01 + 0.04 + 0.36 + 0.36 + 0.09 + 0.01;
        assert!((rmse(&SCORES, &TRUTH) - (squares / 6.0f64).sqrt()).abs() < 1e-6);
    }

    #[test]
    fn threshold_by_false_positive_rate_by_hand() {
        // 100 negatives scoring 0.00..0.99 and 3 positives.
        let mut scores: Vec<f32> = (0..100).map(|i| i as f32 / 100.0).collect();
        let mut truth = vec![false; 100];
        scores.extend([0.985, 0.975, 0.5]);
        truth.extend([true, true, true]);
        // 2 % of 100 = 2 negatives may pass: 0.99 and 0.98; 0.97 may not.
        let threshold = threshold_at_fpr(&scores, &truth, 0.02);
        assert!(threshold > 0.97 && threshold <= 0.98, "{threshold}");
        let c = Confusion::at(&scores, &truth, threshold);
        assert_eq!((c.false_positive, c.true_positive), (2, 2));
        assert!((recall_at_fpr(&scores, &truth, 0.02) - 2.0 / 3.0).abs() < 1e-12);
        // Ties at the boundary are not split: the rate comes out lower, never higher.
        let tied = [0.9, 0.9, 0.9, 0.1, 0.95];
        let t = threshold_at_fpr(&tied, &[false, false, false, false, true], 0.5);
        assert_eq!(
            Confusion::at(&tied, &[false, false, false, false, true], t).false_positive,
            0
        );
        // 0 % allowed: above the highest negative.
        assert!(threshold_at_fpr(&scores, &truth, 0.0) > 0.99);
    }

    #[test]
    fn roc_curve_runs_from_corner_to_corner() {
        let roc = roc_curve(&SCORES, &TRUTH);
        assert_eq!(roc.first(), Some(&(0.0, 0.0)));
        assert_eq!(roc.last(), Some(&(1.0, 1.0)));
    }
}
