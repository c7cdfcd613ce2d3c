//! One ONNX file = ImageNet preprocessing + VGG16 base + trained head, plus `model.json`,
//! checked against the in-memory pipeline after writing.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use classifier::Classifier;
use classifier::meta::{InputSpec, Label, ModelMeta, OutputKind, OutputSpec};

use crate::base::Base;
use crate::dataset::{Dataset, Sample};
use crate::features::{Pooling, block4_pool, preprocessed_base};
use crate::head::{HIDDEN, TrainedHead};
use crate::manifest::Kind;
use crate::mixed_precision::{self, Agreement, Deviation};
use crate::onnx_graph::{self, Dim, attr_int, node, tensor_f32, value_info};
use crate::quantize::{InputMeans, WeightFormat};

/// File name of the exported model inside the output directory.
pub const MODEL_FILE: &str = "special_week.onnx";
/// File name of the metadata inside the output directory.
pub const META_FILE: &str = "model.json";
/// The largest probability difference tolerated between the file and the in-memory model.
pub const PARITY_TOLERANCE: f32 = 1e-5;

/// Adds per-channel mean and max of `map` to the graph; returns the two outputs' names.
fn avg_max(graph: &mut tract_onnx::pb::GraphProto, map: &str, tag: &str) -> [String; 2] {
    let (mean, max) = (format!("pool{tag}_mean"), format!("pool{tag}_max"));
    graph
        .node
        .push(node("GlobalAveragePool", &[map], &mean, vec![]));
    graph.node.push(node("GlobalMaxPool", &[map], &max, vec![]));
    [mean, max]
}

/// Builds the complete ONNX graph: [`preprocessed_base`] + head. Input `image` f32
/// `[N, S, S, 3]` RGB 0..255, output `probabilities` `[N, 2]`.
pub fn build_onnx(base: &Base, size: u32, pooling: Pooling, head: &TrainedHead) -> Result<Vec<u8>> {
    let mut model = preprocessed_base(base, size, pooling)?;
    let base_output = base.provenance.cut_at.clone();
    let graph = model.graph.as_mut().context("the base has no graph")?;

    let head_input = match pooling {
        Pooling::Flatten => {
            graph.node.push(node(
                "Flatten",
                &[&base_output],
                "head_input",
                vec![attr_int("axis", 1)],
            ));
            "head_input"
        }
        Pooling::AvgMax | Pooling::AvgMax45 => {
            let mut pooled = Vec::new();
            if pooling.uses_block4() {
                let block4 = block4_pool(graph)?;
                pooled.extend(avg_max(graph, &block4, "4"));
            }
            pooled.extend(avg_max(graph, &base_output, ""));
            let names: Vec<&str> = pooled.iter().map(String::as_str).collect();
            graph.node.push(node(
                "Concat",
                &names,
                "pool_both",
                vec![attr_int("axis", 1)],
            ));
            graph.node.push(node(
                "Flatten",
                &["pool_both"],
                "head_input",
                vec![attr_int("axis", 1)],
            ));
            "head_input"
        }
    };
    let inputs = head.inputs as i64;
    let hidden = HIDDEN as i64;
    graph.initializer.extend([
        tensor_f32("dense_1_weight", &[hidden, inputs], &head.w1),
        tensor_f32("dense_1_bias", &[hidden], &head.b1),
        tensor_f32("dense_2_weight", &[2, hidden], &head.w2),
        tensor_f32("dense_2_bias", &[2], &head.b2),
    ]);
    graph.node.extend([
        node(
            "Gemm",
            &[head_input, "dense_1_weight", "dense_1_bias"],
            "dense_1",
            vec![attr_int("transB", 1)],
        ),
        node("Relu", &["dense_1"], "dense_1_relu", vec![]),
        node(
            "Gemm",
            &["dense_1_relu", "dense_2_weight", "dense_2_bias"],
            "logits",
            vec![attr_int("transB", 1)],
        ),
        node(
            "Softmax",
            &["logits"],
            "probabilities",
            vec![attr_int("axis", 1)],
        ),
    ]);
    graph.output = vec![value_info(
        "probabilities",
        &[Dim::Symbol("N"), Dim::Fixed(2)],
    )];
    graph.name = "special_week_classifier".into();
    model.producer_name = "special-week trainer".into();
    model.producer_version = env!("CARGO_PKG_VERSION").into();
    Ok(onnx_graph::encode(&model))
}

/// What `model.json` says beyond the ONNX file itself.
pub struct MetaInputs {
    /// Input side in pixels.
    pub size: u32,
    /// Class names (folder order) with their Japanese names.
    pub labels: Vec<Label>,
    /// Index of the Special Week class.
    pub special_week_index: usize,
    /// Decision threshold on P(Special Week).
    pub threshold: f32,
    /// Base provenance, dataset summary and metrics.
    pub base: serde_json::Value,
    /// Dataset summary.
    pub dataset: serde_json::Value,
    /// Metrics.
    pub metrics: serde_json::Value,
    /// The crops searched beyond the whole image (none: no `crops` in `model.json`).
    pub extra_crops: Vec<classifier::crops::CropBox>,
}

/// How far the written file's probabilities are from the in-memory pipeline's.
#[derive(Debug, Clone)]
pub struct ExportCheck {
    /// The largest difference of the f32 graph (at most [`PARITY_TOLERANCE`]).
    pub f32_max_diff: f32,
    /// The largest difference of the written file (the f32 graph's, or the compressed
    /// form's, at most [`QUANTIZED_TOLERANCE`]).
    pub written_max_diff: f32,
    /// Size of the written ONNX file in bytes.
    pub written_bytes: usize,
    /// Size the f32 file would have had.
    pub f32_bytes: usize,
    /// `Conv` weights stored with one scale per kernel because one per output channel moved
    /// a check picture too far.
    pub per_kernel_layers: Vec<String>,
    /// Weights stored as f16 because their int8 forms moved a check picture too far.
    pub f16_layers: Vec<String>,
}

/// The largest probability difference tolerated between the int8 file and the f32 model.
pub const QUANTIZED_TOLERANCE: f32 = 0.01;

/// The pictures an export is checked and calibrated on, preprocessed to the model's input.
pub struct ExportInputs<'a> {
    /// Inputs the file must reproduce.
    pub check: &'a [Vec<f32>],
    /// The in-memory pipeline's probabilities for `check`.
    pub expected: &'a [[f32; 2]],
    /// Typical inputs whose layer activations guide the int8 quantisation.
    pub quantization: &'a [Vec<f32>],
}

/// Real (not generated) pictures whose layer activations guide the int8 quantisation.
const QUANTIZATION_PICTURES: usize = 64;

/// [`QUANTIZATION_PICTURES`] real pictures of `dataset`, evenly spaced in its order, as
/// model inputs: the same pictures whether `train` exports or `quantize` converts.
pub fn quantization_inputs(dataset: &Dataset, spec: &InputSpec) -> Vec<Vec<f32>> {
    let real: Vec<&Sample> = dataset
        .samples
        .iter()
        .filter(|s| s.kind != Kind::Synthetic)
        .collect();
    real.iter()
        .step_by((real.len() / QUANTIZATION_PICTURES).max(1))
        .map(|sample| classifier::preprocess::to_tensor(&sample.image, spec))
        .collect()
}

/// Checks the f32 graph `onnx` against the in-memory pipeline within
/// [`PARITY_TOLERANCE`], stores its weights as `weights` says (int8 where that keeps every
/// check picture within [`QUANTIZED_TOLERANCE`] and its answer, f16 elsewhere: see
/// [`mixed_precision`]), and only then writes `special_week.onnx` and `model.json` into
/// `out_dir`.
pub fn write_and_verify(
    out_dir: &Path,
    onnx: &[u8],
    meta: MetaInputs,
    weights: WeightFormat,
    inputs: &ExportInputs,
) -> Result<ExportCheck> {
    let f32_meta = model_meta(onnx, meta);
    f32_meta.validate()?;
    let f32_model = Classifier::load(onnx.to_vec(), f32_meta.clone())
        .context("the exported model does not load")?;
    let agreement = InMemory {
        inputs: inputs.check,
        expected: inputs.expected,
        positive: f32_meta.special_week_index,
        threshold: f32_meta.threshold,
    };
    let f32_max_diff = (0..inputs.check.len())
        .map(|i| agreement.deviation(&f32_model, i).map(|d| d.diff))
        .try_fold(0.0_f32, |worst, d| d.map(|d| worst.max(d)))?;
    ensure!(
        f32_max_diff <= PARITY_TOLERANCE,
        "the exported ONNX differs from the in-memory model by {f32_max_diff:e} (> {PARITY_TOLERANCE:e})"
    );
    let (written, meta, written_max_diff, per_kernel_layers, f16_layers) = match weights {
        WeightFormat::F32 => (
            onnx.to_vec(),
            f32_meta,
            f32_max_diff,
            Vec::new(),
            Vec::new(),
        ),
        WeightFormat::Int8 => {
            let shape = f32_meta.input.shape(1);
            let means = InputMeans::measure(onnx, inputs.quantization, &shape)?;
            let choice =
                mixed_precision::choose(onnx, &f32_meta, &means, &agreement, QUANTIZED_TOLERANCE)?;
            let worst = choice.deviations.iter().map(|d| d.diff).fold(0.0, f32::max);
            (
                choice.onnx,
                choice.meta,
                worst,
                choice.per_kernel_layers,
                choice.f16_layers,
            )
        }
    };
    fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let model_path = out_dir.join(MODEL_FILE);
    fs::write(&model_path, &written)
        .with_context(|| format!("cannot write {}", model_path.display()))?;
    fs::write(out_dir.join(META_FILE), meta.to_json() + "\n")?;
    ensure!(
        fs::read(&model_path)? == written,
        "{} does not read back as written",
        model_path.display()
    );
    Ok(ExportCheck {
        f32_max_diff,
        written_max_diff,
        written_bytes: written.len(),
        f32_bytes: onnx.len(),
        per_kernel_layers,
        f16_layers,
    })
}
fn model_meta(onnx: &[u8], meta: MetaInputs) -> ModelMeta {
    ModelMeta {
        format_version: classifier::meta::FORMAT_VERSION,
        model_file: MODEL_FILE.into(),
        model_sha256: classifier::model::sha256_hex(onnx),
        input: InputSpec::plain_rgb(meta.size, crate::RESIZE_FILTER),
        output: OutputSpec {
            name: "probabilities".into(),
            kind: OutputKind::Softmax,
        },
        labels: meta.labels,
        special_week_index: meta.special_week_index,
        threshold: meta.threshold,
        crops: (!meta.extra_crops.is_empty()).then(|| {
            std::iter::once(classifier::crops::whole())
                .chain(meta.extra_crops)
                .collect()
        }),
        base: meta.base,
        dataset: meta.dataset,
        metrics: meta.metrics,
    }
}

/// Preprocessed check pictures and the in-memory pipeline's probabilities for them. An
/// answer counts as changed only where the expected P(Special Week) is more than
/// [`QUANTIZED_TOLERANCE`] from the threshold (`special-week quantize` holds every picture
/// of a dataset to the same answer).
struct InMemory<'a> {
    inputs: &'a [Vec<f32>],
    expected: &'a [[f32; 2]],
    positive: usize,
    threshold: f32,
}

impl Agreement for InMemory<'_> {
    fn pictures(&self) -> usize {
        self.inputs.len()
    }

    fn deviation(&self, candidate: &Classifier, index: usize) -> Result<Deviation> {
        let prediction = candidate.classify_tensor(self.inputs[index].clone())?;
        let want = self.expected[index];
        let clear_of_threshold = (want[self.positive] - self.threshold).abs() > QUANTIZED_TOLERANCE;
        Ok(Deviation {
            diff: prediction
                .probabilities
                .iter()
                .zip(want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max),
            flipped: clear_of_threshold
                && prediction.is_special_week != (want[self.positive] >= self.threshold),
            p: prediction.p_special_week,
        })
    }
}
