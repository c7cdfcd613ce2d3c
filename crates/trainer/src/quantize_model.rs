//! `special-week quantize`: an existing f32 model directory (trained here, or exported from
//! Keras) in, its compressed form out: int8 where that keeps every answer (one scale per
//! output channel, or per kernel), f16 where it would not, calibrated on a dataset's pictures and checked against the f32 model on every
//! picture of it before anything is written.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use regex::Regex;

use crate::dataset;
use crate::mixed_precision;
use crate::model_compare::{Comparison, Reference};
use crate::quantize::InputMeans;
use crate::{DEFAULT_GROUP_REGEX, classify, export};

/// What `special-week quantize` did.
#[derive(Debug)]
pub struct Outcome {
    /// Size of the f32 ONNX file in bytes.
    pub f32_bytes: usize,
    /// Size of the compressed ONNX file in bytes.
    pub written_bytes: usize,
    /// Weight tensors stored as int8.
    pub tensors: usize,
    /// `Conv` weights stored with one scale per kernel (one per output channel moved some
    /// picture too far).
    pub per_kernel_layers: Vec<String>,
    /// Weight tensors stored as f16 (their int8 forms moved some picture too far).
    pub f16_layers: Vec<String>,
    /// The comparison on the dataset.
    pub comparison: Comparison,
}

/// Reads the model in `model_dir`, stores its weights as int8 (calibrated on pictures of
/// `dataset`) except those layers whose int8 form would move a picture's P(Special Week) by
/// more than `max_diff` or change its answer, which are stored as f16 (the bar is
/// [`export::QUANTIZED_TOLERANCE`]); every picture of `dataset` is checked. Then writes the
/// ONNX file and `model.json` (with the new checksum) into `out_dir`.
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
    let positive_name = &meta.labels[meta.special_week_index].en;
    let positive = dataset
        .classes
        .iter()
        .position(|c| c == positive_name)
        .with_context(|| {
            format!(
                "{} has no class folder {positive_name:?}",
                dataset_root.display()
            )
        })?;
    let pictures = export::quantization_inputs(&dataset, &meta.input);
    let means = InputMeans::measure(&f32_onnx, &pictures, &meta.input.shape(1))?;
    let answers = Reference::measure(&reference, &dataset, positive)?;
    let choice = mixed_precision::choose(&f32_onnx, &meta, &means, &answers, max_diff)
        .with_context(|| format!("cannot compress {}; nothing written", f32_path.display()))?;
    ensure!(
        choice.summary.tensors > 0 || choice.summary.f16_tensors > 0,
        "{} has no Conv or Gemm weights to compress",
        f32_path.display()
    );
    fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let out_path = out_dir.join(&choice.meta.model_file);
    fs::write(&out_path, &choice.onnx)
        .with_context(|| format!("cannot write {}", out_path.display()))?;
    fs::write(
        out_dir.join(export::META_FILE),
        choice.meta.to_json() + "\n",
    )?;
    Ok(Outcome {
        f32_bytes: f32_onnx.len(),
        written_bytes: choice.onnx.len(),
        tensors: choice.summary.tensors,
        per_kernel_layers: choice.per_kernel_layers,
        f16_layers: choice.f16_layers,
        comparison: answers.comparison(&choice.deviations),
    })
}
