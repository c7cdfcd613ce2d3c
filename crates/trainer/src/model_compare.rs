//! Two models of one architecture on every picture of a dataset: how far apart their
//! probabilities are, which answers differ, and each one's ROC AUC. Used to check that a
//! smaller (int8) export answers like the f32 model it came from.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use classifier::Classifier;
use serde::Serialize;

use crate::dataset::Dataset;
use crate::metrics::roc_auc;

/// The two models' agreement on one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Pictures compared.
    pub images: usize,
    /// Pictures both models refuse to judge (e.g. a single flat colour), with the reason.
    pub refused: Vec<(PathBuf, String)>,
    /// The largest |Δ P(Special Week)|.
    pub max_abs_diff: f32,
    /// The mean |Δ P(Special Week)|.
    pub mean_abs_diff: f32,
    /// Pictures whose answer (at each model's own threshold) differs.
    pub different_answers: Vec<PathBuf>,
    /// ROC AUC of the reference model's P(Special Week) on these pictures.
    pub reference_auc: f64,
    /// ROC AUC of the candidate model's P(Special Week) on these pictures.
    pub candidate_auc: f64,
}

/// Classifies every picture of `dataset` (whose Special Week class is `positive`) with
/// both models, crops and all, as the CLI and the page do. Pictures both refuse alike are
/// listed, not compared.
pub fn compare(
    reference: &Classifier,
    candidate: &Classifier,
    dataset: &Dataset,
    positive: usize,
) -> Result<Comparison> {
    let (mut scores, mut truth) = ([Vec::new(), Vec::new()], Vec::new());
    let mut different_answers = Vec::new();
    let mut refused = Vec::new();
    for sample in &dataset.samples {
        let bytes = fs::read(&sample.path)
            .with_context(|| format!("cannot read {}", sample.path.display()))?;
        let (a, b) = match [reference, candidate].map(|model| model.classify(&bytes)) {
            [Ok(a), Ok(b)] => (a, b),
            [Err(a), Err(b)] if a.to_string() == b.to_string() => {
                refused.push((sample.path.clone(), a.to_string()));
                continue;
            }
            [a, b] => bail!(
                "{}: the models disagree on whether it can be judged ({:?} vs {:?})",
                sample.path.display(),
                a.err().map(|e| e.to_string()),
                b.err().map(|e| e.to_string())
            ),
        };
        if a.is_special_week != b.is_special_week {
            different_answers.push(sample.path.clone());
        }
        scores[0].push(a.p_special_week);
        scores[1].push(b.p_special_week);
        truth.push(sample.class == positive);
    }
    let diffs: Vec<f32> = scores[0]
        .iter()
        .zip(&scores[1])
        .map(|(a, b)| (a - b).abs())
        .collect();
    Ok(Comparison {
        images: diffs.len(),
        refused,
        max_abs_diff: diffs.iter().copied().fold(0.0, f32::max),
        mean_abs_diff: diffs.iter().sum::<f32>() / diffs.len().max(1) as f32,
        different_answers,
        reference_auc: roc_auc(&scores[0], &truth),
        candidate_auc: roc_auc(&scores[1], &truth),
    })
}
