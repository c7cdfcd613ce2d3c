//! The evaluation report: the original's three numbers (loss, accuracy, RMSE) plus what
//! an imbalanced problem needs (per-class precision/recall, ROC AUC, confusion matrix,
//! grouped cross-validation), as `metrics.json` and a printed summary.

use serde::Serialize;
use serde_json::json;

use crate::calibrate::Platt;
use crate::export::ExportCheck;
use crate::head;
use crate::metrics::{self, ClassScores, Confusion};
use crate::recipe::{Holdout, Recipe};

/// Out-of-fold scores and per-fold numbers of grouped k-fold cross-validation.
pub struct CrossValidation {
    /// P(Special Week) of every original, from the model that did not see its fold.
    pub scores: Vec<f32>,
    /// Logit margin l₁ − l₀ of every original, from the same out-of-fold models.
    pub margins: Vec<f32>,
    /// Whether each original is Special Week.
    pub truth: Vec<bool>,
    /// Per fold: the indices of its samples.
    pub folds: Vec<Vec<usize>>,
    /// Loss curve averaged over folds.
    pub history: Vec<head::EpochLoss>,
}

/// Scores of one set of predictions at one threshold.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// Which predictions these are.
    pub split: String,
    /// Number of images scored.
    pub samples: usize,
    /// Mean cross-entropy.
    pub loss: f64,
    /// Fraction right at the threshold.
    pub accuracy: f64,
    /// Root mean squared error of the probabilities.
    pub rmse: f64,
    /// Area under the ROC curve.
    pub roc_auc: f64,
    /// Decisions against the truth.
    pub confusion: Confusion,
    /// Precision/recall of Special Week.
    pub special_week: ClassScores,
    /// Precision/recall of the other class.
    pub other: ClassScores,
}

impl Evaluation {
    fn new(split: String, scores: &[f32], truth: &[bool], threshold: f32) -> Self {
        let confusion = Confusion::at(scores, truth, threshold);
        Self {
            split,
            samples: scores.len(),
            loss: metrics::log_loss(scores, truth),
            accuracy: confusion.accuracy(),
            rmse: metrics::rmse(scores, truth),
            roc_auc: metrics::roc_auc(scores, truth),
            confusion,
            special_week: confusion.positive(),
            other: confusion.negative(),
        }
    }
}

/// One fold of grouped cross-validation.
#[derive(Debug, Clone, Serialize)]
pub struct FoldScores {
    /// Images in the fold.
    pub samples: usize,
    /// Special Week images in the fold.
    pub special_week_images: usize,
    /// ROC AUC within the fold.
    pub roc_auc: f64,
    /// Special Week recall at the chosen threshold.
    pub special_week_recall: f64,
    /// Accuracy at the chosen threshold.
    pub accuracy: f64,
}

/// Grouped k-fold cross-validation summary.
#[derive(Debug, Clone, Serialize)]
pub struct CvSummary {
    /// Number of folds.
    pub folds: usize,
    /// Mean of the per-fold ROC AUCs.
    pub roc_auc_mean: f64,
    /// Standard deviation of the per-fold ROC AUCs.
    pub roc_auc_std: f64,
    /// Mean per-fold Special Week recall.
    pub special_week_recall_mean: f64,
    /// Mean per-fold accuracy.
    pub accuracy_mean: f64,
    /// All out-of-fold predictions pooled.
    pub pooled: Evaluation,
    /// Each fold.
    pub per_fold: Vec<FoldScores>,
}

/// Everything measured in one training run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The recipe that was run.
    pub recipe: Recipe,
    /// Decision threshold on P(Special Week).
    pub threshold: f32,
    /// Why that threshold.
    pub threshold_reason: &'static str,
    /// Platt scaling fitted on the out-of-fold predictions, if the recipe calibrates.
    pub calibration: Option<Platt>,
    /// The headline test numbers.
    pub test: Evaluation,
    /// Grouped cross-validation.
    pub cross_validation: CvSummary,
    /// Special Week recall and false positives by kind of picture, out of fold, at the
    /// threshold.
    pub per_kind: Vec<KindScores>,
    /// Dataset summary.
    pub dataset: serde_json::Value,
    /// ROC points of the test predictions (plotted, not written).
    #[serde(skip)]
    pub roc_points: Vec<(f64, f64)>,
}

/// How one kind of picture (or a named subset) fares at the threshold.
#[derive(Debug, Clone, Serialize)]
pub struct KindScores {
    /// The kind (`game-art`, `photo`, …) or subset (`white-streak characters`, …).
    pub name: String,
    /// Special Week pictures of this kind.
    pub special_week_images: usize,
    /// Of those, how many are called Special Week.
    pub special_week_found: usize,
    /// Other pictures of this kind.
    pub other_images: usize,
    /// Of those, how many are called Special Week.
    pub false_positives: usize,
    /// `false_positives / other_images`.
    pub false_positive_rate: f64,
}

impl KindScores {
    /// Counts the members of one kind or subset.
    pub fn count(name: &str, members: impl Iterator<Item = (f32, bool)>, threshold: f32) -> Self {
        let mut scores = Self {
            name: name.into(),
            special_week_images: 0,
            special_week_found: 0,
            other_images: 0,
            false_positives: 0,
            false_positive_rate: 0.0,
        };
        for (score, positive) in members {
            let called = score >= threshold;
            if positive {
                scores.special_week_images += 1;
                scores.special_week_found += usize::from(called);
            } else {
                scores.other_images += 1;
                scores.false_positives += usize::from(called);
            }
        }
        scores.false_positive_rate =
            scores.false_positives as f64 / scores.other_images.max(1) as f64;
        scores
    }
}

impl Report {
    /// Scores test predictions and cross-validation at `threshold`. `counted` marks the
    /// samples whose out-of-fold scores make the cross-validation numbers (the dataset's
    /// own pictures; generated ones are reported by kind only).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        recipe: &Recipe,
        test_scores: &[f32],
        test_truth: &[bool],
        threshold: f32,
        calibration: Option<Platt>,
        cv: &CrossValidation,
        counted: &[bool],
        dataset: serde_json::Value,
    ) -> Self {
        let split = match recipe.holdout {
            Holdout::GroupedFolds => format!(
                "out-of-fold predictions of {}-fold grouped cross-validation",
                cv.folds.len()
            ),
            Holdout::RandomFiles {
                validation_fraction,
            } => {
                format!(
                    "random {:.0}% of files held out (groups ignored, as the original did)",
                    validation_fraction * 100.0
                )
            }
        };
        let truth = &cv.truth;
        let per_fold: Vec<FoldScores> = cv
            .folds
            .iter()
            .map(|members| {
                let members: Vec<usize> = members.iter().copied().filter(|&i| counted[i]).collect();
                let scores: Vec<f32> = members.iter().map(|&i| cv.scores[i]).collect();
                let fold_truth: Vec<bool> = members.iter().map(|&i| truth[i]).collect();
                let c = Confusion::at(&scores, &fold_truth, threshold);
                FoldScores {
                    samples: members.len(),
                    special_week_images: fold_truth.iter().filter(|t| **t).count(),
                    roc_auc: metrics::roc_auc(&scores, &fold_truth),
                    special_week_recall: c.positive().recall,
                    accuracy: c.accuracy(),
                }
            })
            .collect();
        let mean =
            |f: fn(&FoldScores) -> f64| per_fold.iter().map(f).sum::<f64>() / per_fold.len() as f64;
        let auc_mean = mean(|f| f.roc_auc);
        let auc_std = (per_fold
            .iter()
            .map(|f| (f.roc_auc - auc_mean).powi(2))
            .sum::<f64>()
            / per_fold.len() as f64)
            .sqrt();
        let cross_validation = CvSummary {
            folds: per_fold.len(),
            roc_auc_mean: auc_mean,
            roc_auc_std: auc_std,
            special_week_recall_mean: mean(|f| f.special_week_recall),
            accuracy_mean: mean(|f| f.accuracy),
            pooled: {
                let (scores, truth): (Vec<f32>, Vec<bool>) = (0..truth.len())
                    .filter(|&i| counted[i])
                    .map(|i| (cv.scores[i], truth[i]))
                    .unzip();
                Evaluation::new(
                    "pooled out-of-fold predictions".into(),
                    &scores,
                    &truth,
                    threshold,
                )
            },
            per_fold,
        };
        Self {
            recipe: *recipe,
            threshold,
            calibration,
            threshold_reason: if recipe.calibrate {
                "the lowest threshold at which at most max_false_positive_rate of the dataset's \
                 other pictures (all kinds, generated ones not counted) are called Special Week, \
                 on the Platt-calibrated out-of-fold predictions"
            } else {
                "0.5, i.e. argmax of the two softmax outputs, as the original app decided"
            },
            test: Evaluation::new(split, test_scores, test_truth, threshold),
            cross_validation,
            per_kind: Vec::new(),
            dataset,
            roc_points: metrics::roc_curve(test_scores, test_truth),
        }
    }

    /// (false positive rate, true positive rate) at the chosen threshold.
    pub fn operating_point(&self) -> (f64, f64) {
        (1.0 - self.test.other.recall, self.test.special_week.recall)
    }

    /// The numbers copied into `model.json`.
    pub fn headline(&self) -> serde_json::Value {
        json!({
            "recipe": self.recipe.name,
            "test_split": self.test.split,
            "test_loss": self.test.loss,
            "test_accuracy": self.test.accuracy,
            "test_rmse": self.test.rmse,
            "test_roc_auc": self.test.roc_auc,
            "special_week_recall": self.test.special_week.recall,
            "special_week_precision": self.test.special_week.precision,
            "grouped_cv_folds": self.cross_validation.folds,
            "grouped_cv_roc_auc_mean": self.cross_validation.roc_auc_mean,
            "grouped_cv_special_week_recall_mean": self.cross_validation.special_week_recall_mean,
            "false_positive_rate_by_kind": self
                .per_kind
                .iter()
                .map(|k| (k.name.clone(), json!(k.false_positive_rate)))
                .collect::<serde_json::Map<_, _>>(),
        })
    }
}

/// Prints the report for a person.
pub fn print_summary(report: &Report, export: Option<&ExportCheck>) {
    let t = &report.test;
    let cv = &report.cross_validation;
    println!(
        "recipe {} — input {}×{}, pooling {:?}",
        report.recipe.name, report.recipe.size, report.recipe.size, report.recipe.pooling
    );
    println!("test ({}), {} images:", t.split, t.samples);
    println!(
        "  loss {:.4}   accuracy {:.4}   rmse {:.4}   ROC AUC {:.4}",
        t.loss, t.accuracy, t.rmse, t.roc_auc
    );
    println!(
        "  Special Week: precision {:.3} recall {:.3} (n={})   other: precision {:.3} recall {:.3} (n={})",
        t.special_week.precision,
        t.special_week.recall,
        t.special_week.support,
        t.other.precision,
        t.other.recall,
        t.other.support
    );
    let c = &t.confusion;
    println!(
        "  confusion at threshold {:.4}: TP {} FN {} FP {} TN {}",
        report.threshold, c.true_positive, c.false_negative, c.false_positive, c.true_negative
    );
    println!(
        "grouped {}-fold CV: ROC AUC {:.4} ± {:.4}, Special Week recall {:.3}, accuracy {:.4}",
        cv.folds, cv.roc_auc_mean, cv.roc_auc_std, cv.special_week_recall_mean, cv.accuracy_mean
    );
    for kind in &report.per_kind {
        println!(
            "  {:<28} Special Week {:>2}/{:<2}  false positives {:>4}/{:<5} ({:.1} %)",
            kind.name,
            kind.special_week_found,
            kind.special_week_images,
            kind.false_positives,
            kind.other_images,
            kind.false_positive_rate * 100.0
        );
    }
    if let Some(check) = export {
        println!(
            "export: f32 graph matches the in-memory model, max |Δp| = {:.2e}; the written file ({:.1} MB, {:.0} % of f32) max |Δp| = {:.2e}",
            check.f32_max_diff,
            check.written_bytes as f64 / 1e6,
            100.0 * check.written_bytes as f64 / check.f32_bytes as f64,
            check.written_max_diff
        );
        if !check.per_kernel_layers.is_empty() {
            println!(
                "  int8 with a scale per kernel (one per output channel moved a check picture too far): {}",
                check.per_kernel_layers.join(", ")
            );
        }
        if !check.f16_layers.is_empty() {
            println!(
                "  stored as f16 (their int8 forms moved a check picture too far): {}",
                check.f16_layers.join(", ")
            );
        }
    }
}
