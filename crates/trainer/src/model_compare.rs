//! Two models of one architecture on every picture of a dataset: how far apart their
//! probabilities are, which answers differ, and each one's ROC AUC. Used to check that a
//! smaller (int8 / f16) export answers like the f32 model it came from. The reference's
//! answers are computed once, so several candidates can be held to them.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use classifier::Classifier;
use rayon::prelude::*;
use serde::Serialize;

use crate::dataset::Dataset;
use crate::metrics::roc_auc;
use crate::mixed_precision::{Agreement, Deviation};

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

/// One picture as the reference model answered it.
#[derive(Debug, Clone)]
struct Answer {
    path: PathBuf,
    is_positive: bool,
    /// P(Special Week) and the answer, or why the model refused to judge it.
    verdict: Result<(f32, bool), String>,
}

/// The reference model's answers on every picture of a dataset, classified as the CLI and
/// the page do (crops and all).
pub struct Reference {
    answers: Vec<Answer>,
}

impl Reference {
    /// Classifies every picture of `dataset` (whose Special Week class is `positive`) with
    /// `reference`, on every core.
    pub fn measure(reference: &Classifier, dataset: &Dataset, positive: usize) -> Result<Self> {
        let answers = dataset
            .samples
            .par_iter()
            .map(|sample| {
                Ok(Answer {
                    path: sample.path.clone(),
                    is_positive: sample.class == positive,
                    verdict: judge(reference, &sample.path)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self { answers })
    }

    /// The comparison of a candidate whose deviations (from [`Agreement::deviation`], one
    /// per picture, in order) are `deviations`.
    pub fn comparison(&self, deviations: &[Deviation]) -> Comparison {
        let mut scores = [Vec::new(), Vec::new()];
        let (mut truth, mut refused, mut different_answers) = (Vec::new(), Vec::new(), Vec::new());
        for (answer, deviation) in self.answers.iter().zip(deviations) {
            match &answer.verdict {
                Ok((reference_p, _)) => {
                    scores[0].push(*reference_p);
                    scores[1].push(deviation.p);
                    truth.push(answer.is_positive);
                }
                Err(reason) => refused.push((answer.path.clone(), reason.clone())),
            }
            if deviation.flipped {
                different_answers.push(answer.path.clone());
            }
        }
        let judged: Vec<f32> = self
            .answers
            .iter()
            .zip(deviations)
            .filter(|(a, _)| a.verdict.is_ok())
            .map(|(_, d)| d.diff)
            .collect();
        Comparison {
            images: judged.len(),
            refused,
            max_abs_diff: judged.iter().copied().fold(0.0, f32::max),
            mean_abs_diff: judged.iter().sum::<f32>() / judged.len().max(1) as f32,
            different_answers,
            reference_auc: roc_auc(&scores[0], &truth),
            candidate_auc: roc_auc(&scores[1], &truth),
        }
    }
}

impl Agreement for Reference {
    fn pictures(&self) -> usize {
        self.answers.len()
    }

    fn deviation(&self, candidate: &Classifier, index: usize) -> Result<Deviation> {
        let answer = &self.answers[index];
        match (&answer.verdict, judge(candidate, &answer.path)?) {
            (Ok((p, yes)), Ok((q, candidate_yes))) => Ok(Deviation {
                diff: (p - q).abs(),
                flipped: *yes != candidate_yes,
                p: q,
            }),
            (Err(a), Err(b)) if *a == b => Ok(Deviation {
                diff: 0.0,
                flipped: false,
                p: 0.0,
            }),
            (a, b) => bail!(
                "{}: the models disagree on whether it can be judged ({:?} vs {:?})",
                answer.path.display(),
                a.as_ref().err(),
                b.err()
            ),
        }
    }
}

/// `model`'s P(Special Week) and answer for the picture at `path`, or why it refuses it.
fn judge(model: &Classifier, path: &Path) -> Result<Result<(f32, bool), String>> {
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(model
        .classify(&bytes)
        .map(|p| (p.p_special_week, p.is_special_week))
        .map_err(|e| e.to_string()))
}
