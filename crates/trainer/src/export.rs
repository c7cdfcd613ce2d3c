//! One ONNX file = ImageNet preprocessing + VGG16 base + trained head, plus `model.json`,
//! checked against the in-memory pipeline after writing.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use classifier::Classifier;
use classifier::meta::{InputSpec, Label, ModelMeta, OutputKind, OutputSpec};
use tract_onnx::pb::ModelProto;

use crate::base::Base;
use crate::features::Pooling;
use crate::head::{HIDDEN, TrainedHead};
use crate::onnx_graph::{self, Dim, attr_int, node, tensor_f32, tensor_i64, value_info};

/// File name of the exported model inside the output directory.
pub const MODEL_FILE: &str = "special_week.onnx";
/// File name of the metadata inside the output directory.
pub const META_FILE: &str = "model.json";
/// Keras "caffe" preprocessing: mean of the B, G, R channels subtracted after RGB→BGR.
pub const IMAGENET_BGR_MEAN: [f32; 3] = [103.939, 116.779, 123.68];
/// The largest probability difference tolerated between the file and the in-memory model.
pub const PARITY_TOLERANCE: f32 = 1e-5;

/// The base with the ImageNet preprocessing in front: input `image` f32 `[N, S, S, 3]` RGB
/// 0..255, output the block5_pool map (and, second, the block4_pool map when `pooling`
/// reads it). Feature extraction and export both start from it, so the head is trained on
/// exactly what the exported graph computes.
pub fn preprocessed_base(base: &Base, size: u32, pooling: Pooling) -> Result<ModelProto> {
    let mut model = onnx_graph::decode(&base.onnx)?;
    let graph = model.graph.as_mut().context("the base has no graph")?;
    let base_input = graph
        .input
        .first()
        .context("the base has no input")?
        .name
        .clone();
    let side = i64::from(size);
    graph.input = vec![value_info(
        "image",
        &[
            Dim::Symbol("N"),
            Dim::Fixed(side),
            Dim::Fixed(side),
            Dim::Fixed(3),
        ],
    )];
    onnx_graph::rename_input_uses(graph, &base_input, "imagenet_bgr_centered");
    let mut prefix = vec![
        node(
            "Gather",
            &["image", "rgb_to_bgr"],
            "image_bgr",
            vec![attr_int("axis", 3)],
        ),
        node(
            "Sub",
            &["image_bgr", "imagenet_bgr_mean"],
            "imagenet_bgr_centered",
            vec![],
        ),
    ];
    prefix.append(&mut graph.node);
    graph.node = prefix;
    graph
        .initializer
        .push(tensor_i64("rgb_to_bgr", &[3], &[2, 1, 0]));
    graph
        .initializer
        .push(tensor_f32("imagenet_bgr_mean", &[3], &IMAGENET_BGR_MEAN));
    if pooling.uses_block4() {
        let block4 = block4_pool(graph)?;
        graph.output.push(value_info(&block4, &[]));
    }
    Ok(model)
}

/// The block4_pool tensor: the output of the base's fourth MaxPool.
fn block4_pool(graph: &tract_onnx::pb::GraphProto) -> Result<String> {
    onnx_graph::nth_output_of(graph, "MaxPool", 3)
        .context("the base has no fourth MaxPool (block4_pool)")
}

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

/// Writes `special_week.onnx` and `model.json` into `out_dir`, reloads the file with tract
/// and fails unless it reproduces `expected` (the in-memory pipeline's probabilities for
/// `check_inputs`) within [`PARITY_TOLERANCE`]. Returns the largest difference seen.
pub fn write_and_verify(
    out_dir: &Path,
    onnx: &[u8],
    meta: MetaInputs,
    check_inputs: &[Vec<f32>],
    expected: &[[f32; 2]],
) -> Result<f32> {
    let meta = ModelMeta {
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
    };
    meta.validate()?;
    fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let model_path = out_dir.join(MODEL_FILE);
    fs::write(&model_path, onnx)
        .with_context(|| format!("cannot write {}", model_path.display()))?;
    fs::write(out_dir.join(META_FILE), meta.to_json() + "\n")?;

    let reloaded = fs::read(&model_path)?;
    let classifier =
        Classifier::load(&reloaded, meta).context("the exported model does not load")?;
    let mut worst = 0.0_f32;
    for (input, want) in check_inputs.iter().zip(expected) {
        let got = classifier.classify_tensor(input.clone())?.probabilities;
        worst = got
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs())
            .fold(worst, f32::max);
    }
    ensure!(
        worst <= PARITY_TOLERANCE,
        "the exported ONNX differs from the in-memory model by {worst:e} (> {PARITY_TOLERANCE:e})"
    );
    Ok(worst)
}
