//! Frozen-base features: the base graph with the ImageNet preprocessing in front (which
//! the export extends with the head), run once per input image, in batches, on every core,
//! with the block5_pool (and block4_pool) maps cached on disk keyed by the exact inputs.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use classifier::meta::InputSpec;
use classifier::runtime::{self, Plan};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tract_onnx::pb::ModelProto;

use crate::base::Base;
use crate::onnx_graph::{self, Dim, attr_int, node, tensor_f32, tensor_i64, value_info};

/// Keras "caffe" preprocessing: mean of the B, G, R channels subtracted after RGB→BGR.
pub const IMAGENET_BGR_MEAN: [f32; 3] = [103.939, 116.779, 123.68];
/// Images per base run.
const BATCH: usize = 8;

/// How the block5_pool map `[512, h, w]` becomes the head's input vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// All values in NCHW order (the original Flatten; 512 values at 50×50).
    Flatten,
    /// Per-channel mean then per-channel max: 1,024 values at any input size.
    AvgMax,
    /// [`Pooling::AvgMax`] of block4_pool, then of block5_pool: 2,048 values. Block 4
    /// sees colours and parts at twice the resolution (hair streak, eyes, ornaments).
    AvgMax45,
}

impl Pooling {
    /// Whether the head reads block4_pool as well as block5_pool.
    pub fn uses_block4(self) -> bool {
        self == Self::AvgMax45
    }

    /// Reduces one NCHW map of `channels` channels (for [`Pooling::AvgMax45`]: the
    /// block4_pool map followed by the block5_pool map, which is a quarter of its size).
    pub fn apply(self, map: &[f32], channels: usize) -> Vec<f32> {
        match self {
            Self::Flatten => map.to_vec(),
            Self::AvgMax45 => {
                let (block4, block5) = map.split_at(map.len() / 5 * 4);
                let mut pooled = Self::AvgMax.apply(block4, channels);
                pooled.extend(Self::AvgMax.apply(block5, channels));
                pooled
            }
            Self::AvgMax => {
                let plane = map.len() / channels;
                let planes = || map.chunks_exact(plane);
                let mean = planes().map(|p| p.iter().sum::<f32>() / plane as f32);
                let max = planes().map(|p| p.iter().copied().fold(f32::NEG_INFINITY, f32::max));
                mean.chain(max).collect()
            }
        }
    }
}

/// Channels of VGG16's block5_pool.
pub const CHANNELS: usize = 512;

/// Runs the base (with the exported graph's ImageNet preprocessing in front) on NHWC RGB
/// inputs; returns one block5_pool map per input (preceded by its block4_pool map when
/// `pooling` uses block 4).
pub fn extract(
    base: &Base,
    spec: &InputSpec,
    pooling: Pooling,
    inputs: &[Vec<f32>],
    cache_dir: &Path,
    what: &str,
) -> Result<Vec<Vec<f32>>> {
    let onnx = onnx_graph::encode(&preprocessed_base(base, spec.size, pooling)?);
    let cache_path = cache_dir.join(format!("features-{}.bin", cache_key(&onnx, spec, inputs)));
    if let Ok(bytes) = fs::read(&cache_path)
        && let Some(maps) = decode_cache(&bytes, inputs.len())
    {
        eprintln!("{what}: {} cached feature maps", maps.len());
        return Ok(maps);
    }
    let plan = runtime::load_plan(onnx, &spec.shape(BATCH))
        .context("the VGG16 base did not load in tract")?;
    let progress = ProgressBar::new(inputs.len() as u64).with_style(
        ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} images, {per_sec}, eta {eta}")
            .expect("valid template"),
    );
    progress.set_message(what.to_string());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let batches: Vec<&[Vec<f32>]> = inputs.chunks(BATCH).collect();
    let per_thread = batches.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<Vec<f32>>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = batches
            .chunks(per_thread)
            .map(|mine| {
                let (plan, progress) = (&plan, &progress);
                scope.spawn(move || {
                    let mut maps = Vec::new();
                    for batch in mine {
                        maps.extend(run_batch(plan, spec, batch)?);
                        progress.inc(batch.len() as u64);
                    }
                    Ok(maps)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("feature thread panicked"))
            .collect()
    });
    progress.finish();
    let mut maps = Vec::with_capacity(inputs.len());
    for part in results {
        maps.extend(part?);
    }
    fs::create_dir_all(cache_dir)?;
    fs::write(&cache_path, encode_cache(&maps))
        .with_context(|| format!("cannot write {}", cache_path.display()))?;
    Ok(maps)
}

fn run_batch(plan: &Plan, spec: &InputSpec, batch: &[Vec<f32>]) -> Result<Vec<Vec<f32>>> {
    let per_image = batch[0].len();
    let mut input = Vec::with_capacity(per_image * BATCH);
    for image in batch {
        input.extend_from_slice(image);
    }
    input.resize(per_image * BATCH, 0.0);
    // Outputs: block5_pool, then block4_pool if asked for; per image, block 4 comes first.
    let outputs = runtime::run_plan_outputs(plan, input, &spec.shape(BATCH))?;
    let mut maps = vec![Vec::new(); batch.len()];
    for output in outputs.iter().rev() {
        let per_map = output.len() / BATCH;
        ensure!(
            per_map.is_multiple_of(CHANNELS),
            "the base returned {per_map} values per image, not a 512-channel map"
        );
        for (map, part) in maps.iter_mut().zip(output.chunks_exact(per_map)) {
            map.extend_from_slice(part);
        }
    }
    Ok(maps)
}

fn cache_key(onnx: &[u8], spec: &InputSpec, inputs: &[Vec<f32>]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(onnx);
    hasher.update(serde_json::to_vec(spec).expect("spec serialises"));
    for input in inputs {
        for value in input {
            hasher.update(value.to_le_bytes());
        }
    }
    hasher
        .finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn encode_cache(maps: &[Vec<f32>]) -> Vec<u8> {
    let per_map = maps.first().map_or(0, Vec::len) as u64;
    let mut bytes = per_map.to_le_bytes().to_vec();
    bytes.extend(maps.iter().flatten().flat_map(|v| v.to_le_bytes()));
    bytes
}

fn decode_cache(bytes: &[u8], expected: usize) -> Option<Vec<Vec<f32>>> {
    let per_map = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let values: Vec<f32> = bytes[8..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    (per_map > 0 && values.len() == per_map * expected)
        .then(|| values.chunks_exact(per_map).map(<[f32]>::to_vec).collect())
}

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
pub fn block4_pool(graph: &tract_onnx::pb::GraphProto) -> Result<String> {
    onnx_graph::nth_output_of(graph, "MaxPool", 3)
        .context("the base has no fourth MaxPool (block4_pool)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avg_max_pools_each_channel() {
        let map = [1.0, 3.0, 5.0, 7.0, -1.0, -3.0, 0.0, 2.0];
        assert_eq!(Pooling::AvgMax.apply(&map, 2), vec![4.0, -0.5, 7.0, 2.0]);
        assert_eq!(Pooling::Flatten.apply(&map, 2), map.to_vec());
        // Block 4: 2 channels of 4 values, then block 5: 2 channels of 1 value.
        let both = [1.0, 1.0, 1.0, 5.0, 0.0, 0.0, 0.0, -4.0, 9.0, -2.0];
        assert_eq!(
            Pooling::AvgMax45.apply(&both, 2),
            vec![2.0, -1.0, 5.0, 0.0, 9.0, -2.0, 9.0, -2.0]
        );
    }

    #[test]
    fn cache_round_trips_and_rejects_wrong_counts() {
        let maps = vec![vec![1.0, 2.0], vec![3.0, 4.5]];
        let bytes = encode_cache(&maps);
        assert_eq!(decode_cache(&bytes, 2), Some(maps));
        assert_eq!(decode_cache(&bytes, 3), None);
    }
}
