//! `special-week quantize`: an existing f32 model directory (trained here, or exported from
//! Keras) in, its int8 form out: calibrated on a dataset's pictures, and checked against
//! the f32 model on every picture of it before anything is written.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use classifier::{Classifier, ModelMeta};
use regex::Regex;

use crate::dataset::{self, Dataset};
use crate::model_compare::{self, Comparison};
use crate::quantize::{self, InputMeans};
use crate::{DEFAULT_GROUP_REGEX, classify, export};

/// What `special-week quantize` did.
#[derive(Debug)]
pub struct Outcome {
    /// Size of the f32 ONNX file in bytes.
    pub f32_bytes: usize,
    /// Size of the int8 ONNX file in bytes.
    pub int8_bytes: usize,
    /// Weight tensors stored as int8.
    pub tensors: usize,
    /// The comparison on the dataset.
    pub comparison: Comparison,
}

/// Reads the model in `model_dir`, stores its weights as int8 (calibrated on pictures of
/// `dataset`), and refuses unless every picture of `dataset` gets the same answer and
/// P(Special Week) moves by at most `max_diff` (the bar is
/// [`export::QUANTIZED_TOLERANCE`]). Then writes the ONNX
/// file and `model.json` (with the new checksum) into `out_dir`.
pub fn run(
    model_dir: &Path,
    out_dir: &Path,
    dataset_root: &Path,
    max_diff: f32,
) -> Result<Outcome> {
    let reference = classify::load_model(model_dir)?;
    let meta = reference.meta().clone();
    let f32_path = model_dir.join(&meta.model_file);
    let f32_onnx =
        fs::read(&f32_path).with_context(|| format!("cannot read {}", f32_path.display()))?;
    let regex = Regex::new(DEFAULT_GROUP_REGEX).expect("the default group regex is valid");
    let dataset = dataset::load(dataset_root, &regex)?;
    let pictures = export::quantization_inputs(&dataset, &meta.input);
    let means = InputMeans::measure(&f32_onnx, &pictures, &meta.input.shape(1))?;
    let (int8_onnx, summary) = quantize::to_int8(&f32_onnx, Some(&means))
        .with_context(|| format!("cannot quantise {}", f32_path.display()))?;
    ensure!(
        summary.tensors > 0,
        "{} has no Conv or Gemm weights to quantise",
        f32_path.display()
    );
    let int8_meta = ModelMeta {
        model_sha256: classifier::model::sha256_hex(&int8_onnx),
        ..meta
    };
    let candidate =
        Classifier::load(&int8_onnx, int8_meta.clone()).context("the int8 model does not load")?;
    let comparison = check_on_dataset(&reference, &candidate, &dataset, dataset_root, max_diff)?;
    fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let out_path = out_dir.join(&int8_meta.model_file);
    fs::write(&out_path, &int8_onnx)
        .with_context(|| format!("cannot write {}", out_path.display()))?;
    fs::write(out_dir.join(export::META_FILE), int8_meta.to_json() + "\n")?;
    Ok(Outcome {
        f32_bytes: f32_onnx.len(),
        int8_bytes: int8_onnx.len(),
        tensors: summary.tensors,
        comparison,
    })
}

fn check_on_dataset(
    reference: &Classifier,
    candidate: &Classifier,
    dataset: &Dataset,
    root: &Path,
    max_diff: f32,
) -> Result<Comparison> {
    let positive_name = &reference.meta().labels[reference.meta().special_week_index].en;
    let positive = dataset
        .classes
        .iter()
        .position(|c| c == positive_name)
        .with_context(|| format!("{} has no class folder {positive_name:?}", root.display()))?;
    let comparison = model_compare::compare(reference, candidate, dataset, positive)?;
    ensure!(
        comparison.max_abs_diff <= max_diff,
        "int8 moves P(Special Week) by up to {:.4} (> {}) on {}; nothing written",
        comparison.max_abs_diff,
        max_diff,
        root.display()
    );
    ensure!(
        comparison.different_answers.is_empty(),
        "int8 answers {} picture(s) differently, e.g. {}; nothing written",
        comparison.different_answers.len(),
        comparison.different_answers[0].display()
    );
    Ok(comparison)
}
