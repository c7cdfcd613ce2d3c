//! Platt scaling: a monotone map of the logit margin m = l₁ − l₀ to σ(a·m + b), fitted on
//! out-of-fold margins
//! with class-balanced weights, folded into the head's last layer. It leaves the ranking
//! (ROC AUC) alone and turns an over-confident head's scores back into usable
//! probabilities, so the decision threshold lands near 0.5 instead of near 0.

use crate::head::{HIDDEN, TrainedHead};

/// The fitted scale and shift of the logit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Platt {
    /// Multiplies the logit.
    pub scale: f64,
    /// Added to the scaled logit.
    pub shift: f64,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl Platt {
    /// Fits by damped Newton steps on the class-balanced log loss of the standardised
    /// margins (an over-confident head's margins reach the hundreds, where an undamped
    /// step from scale 1 would overshoot), then maps the result back to raw margins.
    pub fn fit(margins: &[f32], truth: &[bool]) -> Self {
        let n = margins.len().max(1) as f64;
        let mean = margins.iter().map(|&m| f64::from(m)).sum::<f64>() / n;
        let sd = (margins
            .iter()
            .map(|&m| (f64::from(m) - mean).powi(2))
            .sum::<f64>()
            / n)
            .sqrt()
            .max(1e-9);
        let z: Vec<f64> = margins
            .iter()
            .map(|&m| (f64::from(m) - mean) / sd)
            .collect();
        let positives = truth.iter().filter(|t| **t).count().max(1) as f64;
        let negatives = (truth.len() as f64 - positives).max(1.0);
        let weight = |t: bool| if t { 0.5 / positives } else { 0.5 / negatives };
        let loss = |a: f64, b: f64| -> f64 {
            z.iter()
                .zip(truth)
                .map(|(&z, &t)| {
                    let s = a * z + b;
                    // −log σ(s) for positives, −log σ(−s) for negatives, computed stably.
                    let x = if t { -s } else { s };
                    weight(t) * (x.max(0.0) + (-x.abs()).exp().ln_1p())
                })
                .sum::<f64>()
                + 1e-6 * (a * a + b * b)
        };
        let (mut a, mut b) = (1.0, 0.0);
        for _ in 0..100 {
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (2e-6 * a, 2e-6 * b, 2e-6, 0.0, 2e-6);
            for (&z, &t) in z.iter().zip(truth) {
                let q = sigmoid(a * z + b);
                let w = weight(t);
                let residual = w * (q - f64::from(u8::from(t)));
                let curvature = w * q * (1.0 - q);
                ga += residual * z;
                gb += residual;
                haa += curvature * z * z;
                hab += curvature * z;
                hbb += curvature;
            }
            let det = haa * hbb - hab * hab;
            let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
            let before = loss(a, b);
            let mut step = 1.0;
            while step > 1e-6 && loss(a - step * da, b - step * db) > before {
                step /= 2.0;
            }
            a -= step * da;
            b -= step * db;
            if step * (da.abs() + db.abs()) < 1e-12 {
                break;
            }
        }
        // σ(a·(m − mean)/sd + b) = σ((a/sd)·m + (b − a·mean/sd)).
        Self {
            scale: a / sd,
            shift: b - a * mean / sd,
        }
    }

    /// The calibrated probability of a margin.
    pub fn apply(&self, margin: f32) -> f32 {
        sigmoid(self.scale * f64::from(margin) + self.shift) as f32
    }

    /// Rewrites the head's last layer so its softmax gives the calibrated probability:
    /// l₁ − l₀ becomes scale·(l₁ − l₀) + shift.
    pub fn fold_into(&self, head: &mut TrainedHead) {
        let (scale, shift) = (self.scale as f32, self.shift as f32);
        head.w2.iter_mut().for_each(|w| *w *= scale);
        head.b2[0] = head.b2[0] * scale - shift / 2.0;
        head.b2[1] = head.b2[1] * scale + shift / 2.0;
        debug_assert_eq!(head.w2.len(), 2 * HIDDEN);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_scaling_and_keeps_the_order() {
        // Margins made over-confident by m = 40z − 60 from overlapping classes.
        let truth: Vec<bool> = (0..400).map(|i| i % 5 == 0).collect();
        let margins: Vec<f32> = truth
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let z = if t { 1.0 } else { -1.0 } + 2.0 * ((i * 37 % 100) as f64 / 50.0 - 1.0);
                (40.0 * z - 60.0) as f32
            })
            .collect();
        let platt = Platt::fit(&margins, &truth);
        let calibrated: Vec<f32> = margins.iter().map(|&m| platt.apply(m)).collect();
        for pair in margins
            .iter()
            .zip(&calibrated)
            .collect::<Vec<_>>()
            .windows(2)
        {
            assert_eq!(pair[0].0 < pair[1].0, pair[0].1 < pair[1].1, "order kept");
        }
        assert!(
            platt.scale > 0.0 && platt.scale < 0.2,
            "over-confidence shrunk: scale {}",
            platt.scale
        );
        let positives_mean = calibrated
            .iter()
            .zip(&truth)
            .filter(|(_, t)| **t)
            .map(|(p, _)| p)
            .sum::<f32>()
            / 80.0;
        assert!(
            positives_mean > 0.5,
            "balanced calibration puts positives above 0.5 on average: {positives_mean}"
        );
    }

    #[test]
    fn folding_matches_applying() {
        let mut head = TrainedHead {
            inputs: 1,
            w1: vec![0.5; HIDDEN],
            b1: vec![0.1; HIDDEN],
            w2: (0..2 * HIDDEN)
                .map(|i| if i < HIDDEN { -0.01 } else { 0.02 })
                .collect(),
            b2: vec![0.3, -0.2],
            history: Vec::new(),
        };
        let platt = Platt {
            scale: 0.3,
            shift: 1.2,
        };
        let rows = vec![vec![0.0], vec![2.0], vec![-3.0]];
        let expected: Vec<f32> = head
            .logits(&rows)
            .iter()
            .map(|l| platt.apply(l[1] - l[0]))
            .collect();
        platt.fold_into(&mut head);
        for (p, want) in head.predict(&rows).iter().zip(expected) {
            assert!((p[1] - want).abs() < 1e-5, "{} vs {want}", p[1]);
        }
    }
}
