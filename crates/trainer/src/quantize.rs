//! Smaller model files: the weights of every `Conv` and `Gemm` stored as int8, each behind
//! a `DequantizeLinear` node, with one scale per output channel or, for a `Conv` that
//! needs it, one per kernel (output × input channel: a u8 fraction of the channel's scale,
//! itself behind a `DequantizeLinear`, and a `Mul`); or as f16 behind a `Cast`. The
//! classifier folds those nodes into f32 constants when it loads the model, so the model
//! still computes in f32; only the file (and its download) is about a quarter of the f32
//! one.

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use classifier::runtime;
use tract_onnx::pb::{GraphProto, TensorProto, tensor_proto::DataType};

use crate::onnx_graph::{self, attr_int, node};

/// How the exported file stores the weights of its convolutions and dense layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WeightFormat {
    /// int8 behind `DequantizeLinear`, one scale per output channel, or per kernel (or f16)
    /// for the layers where that would move a check picture too far (25–30 % of f32).
    Int8,
    /// Plain f32, as trained.
    F32,
}

/// The largest int8 magnitude used: symmetric, so -127..=127 and zero stays exact.
const INT8_MAX: f32 = 127.0;

/// What [`compress`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuantizeSummary {
    /// Weight tensors stored as int8.
    pub tensors: usize,
    /// Weights in them.
    pub weights: usize,
    /// Weight tensors stored as f16.
    pub f16_tensors: usize,
    /// Biases corrected for the mean error of their layer's int8 weights.
    pub corrected_biases: usize,
}

/// A `Conv` or `Gemm` node whose weight can be stored as int8.
#[derive(Debug, Clone)]
struct Layer {
    /// Index of the node in the graph.
    node: usize,
    /// The weight initialiser.
    weight: String,
    /// The tensor the layer multiplies with its weight.
    data: String,
    /// The weight's output-channel axis.
    out_axis: usize,
    /// The weight's input-channel axis.
    in_axis: usize,
}

/// The mean of every layer's input per input channel over a few typical images: what
/// [`to_int8`] needs to correct each layer's bias for the mean error of its int8 weights.
#[derive(Debug, Clone, Default)]
pub struct InputMeans(HashMap<String, ChannelMeans>);

/// One layer input's per-channel mean and mean absolute value.
#[derive(Debug, Clone, Default)]
struct ChannelMeans {
    mean: Vec<f32>,
    mean_abs: Vec<f32>,
}

impl InputMeans {
    /// Runs the f32 model on `images` (each one input of `image_shape`) and averages the
    /// input of every quantisable layer per channel (axis 1: NCHW maps, `[N, features]`
    /// rows).
    pub fn measure(onnx: &[u8], images: &[Vec<f32>], image_shape: &[usize]) -> Result<Self> {
        let model = onnx_graph::decode(onnx)?;
        let graph = model.graph.as_ref().context("the ONNX file has no graph")?;
        let inputs: Vec<(String, usize)> = layers(graph)
            .into_iter()
            .filter_map(|layer| {
                let channels = weight_dim(graph, &layer.weight, layer.in_axis)?;
                Some((layer.data, channels))
            })
            .collect();
        let means = channel_means(onnx, &inputs, images, image_shape)?;
        Ok(Self(
            inputs
                .into_iter()
                .map(|(name, _)| name)
                .zip(means)
                .collect(),
        ))
    }
}

/// Size of `axis` of the initialiser `name`.
fn weight_dim(graph: &GraphProto, name: &str, axis: usize) -> Option<usize> {
    let tensor = graph.initializer.iter().find(|t| t.name == name)?;
    usize::try_from(*tensor.dims.get(axis)?).ok()
}

/// Runs `onnx` on `images` (each one input of `image_shape`) and averages each of
/// `tensors` (name, channels on axis 1) per channel.
fn channel_means(
    onnx: &[u8],
    tensors: &[(String, usize)],
    images: &[Vec<f32>],
    image_shape: &[usize],
) -> Result<Vec<ChannelMeans>> {
    let mut model = onnx_graph::decode(onnx)?;
    let graph = model.graph.as_mut().context("the ONNX file has no graph")?;
    graph.output = tensors
        .iter()
        .map(|(name, _)| onnx_graph::value_info(name, &[]))
        .collect();
    let plan = runtime::load_plan(onnx_graph::encode(&model), image_shape)
        .context("cannot run the model to measure its layers")?;
    let mut sums: Vec<[Vec<f64>; 2]> = tensors
        .iter()
        .map(|(_, c)| [vec![0.0; *c], vec![0.0; *c]])
        .collect();
    let batch = image_shape.first().copied().unwrap_or(1).max(1);
    for image in images {
        let outputs = runtime::run_plan_outputs(&plan, image.clone(), image_shape)?;
        for ([sum, sum_abs], values) in sums.iter_mut().zip(&outputs) {
            let channels = sum.len();
            let inner = (values.len() / (channels * batch)).max(1);
            let weight = 1.0 / (inner * batch * images.len()) as f64;
            for (i, v) in values.iter().enumerate() {
                sum[(i / inner) % channels] += f64::from(*v) * weight;
                sum_abs[(i / inner) % channels] += f64::from(v.abs()) * weight;
            }
        }
    }
    let to_f32 = |v: Vec<f64>| v.into_iter().map(|m| m as f32).collect();
    Ok(sums
        .into_iter()
        .map(|[sum, sum_abs]| ChannelMeans {
            mean: to_f32(sum),
            mean_abs: to_f32(sum_abs),
        })
        .collect())
}

/// How one layer's weight is stored, from the smallest to the most exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Storage {
    /// int8 behind `DequantizeLinear` with one scale per output channel (and, given
    /// [`InputMeans`], activation-aware input scales): 1 byte per weight.
    Int8,
    /// For a `Conv`: int8 with one scale per kernel, stored as a u8 fraction of its output
    /// channel's scale: 1 byte per weight and 1 per kernel (10 per 3×3 kernel), with a
    /// weight error within 7 % of an f32 scale per kernel, about four times smaller than
    /// [`Storage::Int8`]'s. Any other layer is stored as [`Storage::Int8`].
    Int8PerKernel,
    /// IEEE half precision behind `Cast`.
    F16,
    /// Unchanged.
    F32,
}

impl Storage {
    /// The next more exact storage a compressed layer can move to (`has_kernels`: it is a
    /// `Conv`, so [`Storage::Int8PerKernel`] differs from [`Storage::Int8`] for it); `None`
    /// from f16, the most exact compressed form.
    pub fn finer(self, has_kernels: bool) -> Option<Self> {
        match self {
            Self::Int8 if has_kernels => Some(Self::Int8PerKernel),
            Self::Int8 | Self::Int8PerKernel => Some(Self::F16),
            Self::F16 | Self::F32 => None,
        }
    }
}

/// Stores the weights of every `Conv` and `Gemm` of `onnx` as `storage` says for each
/// weight name and returns the new file. Weights shared with other nodes stay f32, and so
/// do biases. With [`Storage::Int8PerKernel`], each 3×3 kernel of a `Conv` gets its own
/// scale: measured on the 128×128 model, one f16 scale per kernel cut the largest
/// probability change over a dataset about threefold against one scale per output channel.
/// With `means` (see
/// [`InputMeans`]), int8 `Gemm` layers are quantised activation-aware (input channels that
/// carry more signal get finer steps) and every int8 layer's bias absorbs the mean error its
/// weights make on typical inputs (bias correction).
pub fn compress(
    onnx: &[u8],
    means: Option<&InputMeans>,
    storage: &dyn Fn(&str) -> Storage,
) -> Result<(Vec<u8>, QuantizeSummary)> {
    let mut model = onnx_graph::decode(onnx)?;
    let opset = model
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map_or(0, |o| o.version);
    if opset < 13 {
        bail!("per-channel DequantizeLinear needs ONNX opset 13 or later; the model has {opset}");
    }
    let graph = model.graph.as_mut().context("the ONNX file has no graph")?;
    let mut summary = QuantizeSummary::default();
    let mut decode_nodes = Vec::new();
    for layer in layers(graph) {
        let store = storage(&layer.weight);
        if store == Storage::F32 {
            continue;
        }
        let Some(values) = onnx_graph::initializer_f32(graph, &layer.weight) else {
            continue;
        };
        let index = graph
            .initializer
            .iter()
            .position(|t| t.name == layer.weight)
            .context("the weight initialiser vanished")?;
        let dims: Vec<usize> = graph.initializer[index]
            .dims
            .iter()
            .map(|&d| usize::try_from(d).context("negative dimension"))
            .collect::<Result<_>>()?;
        graph.initializer.remove(index);
        let name = layer.weight.clone();
        let shape = Shape::new(&dims);
        let dims_i64: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
        if store == Storage::F16 {
            graph
                .initializer
                .push(tensor_f16(&format!("{name}_f16"), &dims_i64, &values));
            decode_nodes.push(node(
                "Cast",
                &[&format!("{name}_f16")],
                &name,
                vec![attr_int("to", DataType::Float as i64)],
            ));
            summary.f16_tensors += 1;
            continue;
        }
        let channel_means = means.and_then(|m| m.0.get(&layer.data));
        let per_kernel = kernel_size(&layer, &dims).filter(|_| store == Storage::Int8PerKernel);
        if let Some(kernel) = per_kernel {
            let (quantized, scales) = quantize_per_kernel(&values, kernel, dims[0]);
            let dequantized: Vec<f32> = quantized
                .iter()
                .enumerate()
                .map(|(k, q)| f32::from(*q) * scales.of_kernel(k / kernel))
                .collect();
            if let Some(m) = channel_means {
                let correction = bias_correction(&values, &dequantized, &shape, &layer, &m.mean);
                correct_bias(graph, &layer, &correction)?;
                summary.corrected_biases += 1;
            }
            let (q, unit, zero, steps) = (
                format!("{name}_int8"),
                format!("{name}_unit"),
                format!("{name}_zero"),
                format!("{name}_steps"),
            );
            let (fractions, channel_step, fraction_zero, kernel_scale) = (
                format!("{name}_kernel_fraction"),
                format!("{name}_fraction_step"),
                format!("{name}_fraction_zero"),
                format!("{name}_kernel_scale"),
            );
            let channels = dims[0];
            let mut scale_dims = dims_i64.clone();
            scale_dims[2..].fill(1);
            graph.initializer.extend([
                tensor_i8(&q, &dims_i64, &quantized),
                onnx_graph::tensor_f32(&unit, &[], &[1.0]),
                tensor_i8(&zero, &[], &[0]),
                tensor_u8(&fractions, &scale_dims, &scales.fractions),
                onnx_graph::tensor_f32(&channel_step, &[channels as i64], &scales.channel_steps),
                tensor_u8(&fraction_zero, &[channels as i64], &vec![0; channels]),
            ]);
            decode_nodes.extend([
                node("DequantizeLinear", &[&q, &unit, &zero], &steps, vec![]),
                node(
                    "DequantizeLinear",
                    &[&fractions, &channel_step, &fraction_zero],
                    &kernel_scale,
                    vec![attr_int("axis", 0)],
                ),
                node("Mul", &[&steps, &kernel_scale], &name, vec![]),
            ]);
            summary.tensors += 1;
            summary.weights += values.len();
            continue;
        }
        let input_scale = channel_means.map(|m| activation_aware_scale(&m.mean_abs));
        let scaled: Vec<f32> = match &input_scale {
            Some(t) => values
                .iter()
                .enumerate()
                .map(|(k, w)| w * t[shape.along(k, layer.in_axis)])
                .collect(),
            None => values.clone(),
        };
        let (quantized, scales) = quantize_per_channel(&scaled, &shape, layer.out_axis);
        let dequantized: Vec<f32> = quantized
            .iter()
            .enumerate()
            .map(|(k, q)| {
                let t = input_scale
                    .as_ref()
                    .map_or(1.0, |t| t[shape.along(k, layer.in_axis)]);
                f32::from(*q) * scales[shape.along(k, layer.out_axis)] / t
            })
            .collect();
        if let Some(m) = channel_means {
            let correction = bias_correction(&values, &dequantized, &shape, &layer, &m.mean);
            correct_bias(graph, &layer, &correction)?;
            summary.corrected_biases += 1;
        }
        let channels = dims[layer.out_axis];
        let (q, scale, zero) = (
            format!("{name}_int8"),
            format!("{name}_scale"),
            format!("{name}_zero"),
        );
        graph.initializer.extend([
            tensor_i8(&q, &dims_i64, &quantized),
            onnx_graph::tensor_f32(&scale, &[channels as i64], &scales),
            tensor_i8(&zero, &[channels as i64], &vec![0; channels]),
        ]);
        let dequantized_name = match &input_scale {
            Some(_) => format!("{name}_scaled"),
            None => name.clone(),
        };
        decode_nodes.push(node(
            "DequantizeLinear",
            &[&q, &scale, &zero],
            &dequantized_name,
            vec![attr_int("axis", layer.out_axis as i64)],
        ));
        if let Some(t) = input_scale {
            let mut inverse_dims = vec![1_i64; dims.len()];
            inverse_dims[layer.in_axis] = dims[layer.in_axis] as i64;
            let inverse: Vec<f32> = t.iter().map(|t| 1.0 / t).collect();
            let inverse_name = format!("{name}_input_scale");
            graph.initializer.push(onnx_graph::tensor_f32(
                &inverse_name,
                &inverse_dims,
                &inverse,
            ));
            decode_nodes.push(node(
                "Mul",
                &[&dequantized_name, &inverse_name],
                &name,
                vec![],
            ));
        }
        summary.tensors += 1;
        summary.weights += values.len();
    }
    decode_nodes.append(&mut graph.node);
    graph.node = decode_nodes;
    Ok((onnx_graph::encode(&model), summary))
}

/// A weight [`compress`] can store compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerWeight {
    /// The weight initialiser's name.
    pub name: String,
    /// Whether it is a `Conv` weight with kernels (see [`Storage::Int8PerKernel`]).
    pub has_kernels: bool,
}

/// The weight initialisers [`compress`] can store as int8 or f16, in graph order.
pub fn layer_weights(onnx: &[u8]) -> Result<Vec<LayerWeight>> {
    let model = onnx_graph::decode(onnx)?;
    let graph = model.graph.as_ref().context("the ONNX file has no graph")?;
    Ok(layers(graph)
        .into_iter()
        .map(|layer| {
            let dims: Vec<usize> = graph
                .initializer
                .iter()
                .find(|t| t.name == layer.weight)
                .map(|t| t.dims.iter().map(|&d| d.max(0) as usize).collect())
                .unwrap_or_default();
            LayerWeight {
                has_kernels: kernel_size(&layer, &dims).is_some(),
                name: layer.weight,
            }
        })
        .collect())
}

/// Stores every `Conv` and `Gemm` weight as int8, with one scale per kernel for a `Conv`
/// (see [`compress`]).
pub fn to_int8(onnx: &[u8], means: Option<&InputMeans>) -> Result<(Vec<u8>, QuantizeSummary)> {
    compress(onnx, means, &|_| Storage::Int8PerKernel)
}

/// How strongly the activation-aware scale follows the inputs' magnitude (0: not at all).
const ACTIVATION_AWARE_EXPONENT: f32 = 0.5;

/// Per input channel: mean |input|^α, normalised to a geometric mean of 1 (channels that
/// never fire get the smallest scale seen, not zero).
fn activation_aware_scale(mean_abs: &[f32]) -> Vec<f32> {
    let floor = mean_abs
        .iter()
        .copied()
        .filter(|m| *m > 0.0)
        .fold(f32::INFINITY, f32::min);
    let floor = if floor.is_finite() { floor } else { 1.0 };
    let raw: Vec<f32> = mean_abs
        .iter()
        .map(|m| m.max(floor).powf(ACTIVATION_AWARE_EXPONENT))
        .collect();
    let log_mean = raw.iter().map(|r| r.ln()).sum::<f32>() / raw.len().max(1) as f32;
    raw.iter().map(|r| r / log_mean.exp()).collect()
}

/// The `Conv` and `Gemm` nodes whose weight is an initialiser of rank 2 or more that only
/// that node reads.
fn layers(graph: &GraphProto) -> Vec<Layer> {
    let uses = |name: &str| {
        graph
            .node
            .iter()
            .flat_map(|n| &n.input)
            .filter(|i| *i == name)
            .count()
    };
    graph
        .node
        .iter()
        .enumerate()
        .filter_map(|(index, n)| {
            let (data, weight) = (n.input.first()?, n.input.get(1)?);
            let (out_axis, in_axis) = match n.op_type.as_str() {
                "Conv" => (0, 1),
                "Gemm" if n.attribute.iter().any(|a| a.name == "transB" && a.i == 1) => (0, 1),
                "Gemm" => (1, 0),
                _ => return None,
            };
            let tensor = graph.initializer.iter().find(|t| &t.name == weight)?;
            (tensor.dims.len() >= 2 && uses(weight) == 1).then(|| Layer {
                node: index,
                weight: weight.clone(),
                data: data.clone(),
                out_axis,
                in_axis,
            })
        })
        .collect()
}

/// Row-major dimensions, to find an element's position along one axis.
struct Shape {
    dims: Vec<usize>,
    strides: Vec<usize>,
}

impl Shape {
    fn new(dims: &[usize]) -> Self {
        let mut strides = vec![1; dims.len()];
        for axis in (0..dims.len().saturating_sub(1)).rev() {
            strides[axis] = strides[axis + 1] * dims[axis + 1];
        }
        Self {
            dims: dims.to_vec(),
            strides,
        }
    }

    /// Position of the `index`-th element along `axis`.
    fn along(&self, index: usize, axis: usize) -> usize {
        (index / self.strides[axis]) % self.dims[axis]
    }
}

/// Per output channel: Σ (w − dequantised w) · E[input channel], the mean amount by which
/// the int8 layer's output falls short of the f32 one.
fn bias_correction(
    values: &[f32],
    dequantized: &[f32],
    shape: &Shape,
    layer: &Layer,
    input_mean: &[f32],
) -> Vec<f32> {
    let mut correction = vec![0.0_f64; shape.dims[layer.out_axis]];
    for (k, (w, d)) in values.iter().zip(dequantized).enumerate() {
        let mean = input_mean
            .get(shape.along(k, layer.in_axis))
            .copied()
            .unwrap_or(0.0);
        correction[shape.along(k, layer.out_axis)] += f64::from(w - d) * f64::from(mean);
    }
    correction.into_iter().map(|c| c as f32).collect()
}

/// Adds `correction` to the layer's bias: a new initialiser, so a bias shared with other
/// nodes stays as it was (one no node reads any more leaves the file); a layer without a
/// bias gets one.
fn correct_bias(graph: &mut GraphProto, layer: &Layer, correction: &[f32]) -> Result<()> {
    let old = graph.node[layer.node].input.get(2).cloned();
    let mut bias = match &old {
        Some(name) => onnx_graph::initializer_f32(graph, name)
            .with_context(|| format!("the bias {name} is not an f32 initialiser"))?,
        None => vec![0.0; correction.len()],
    };
    anyhow::ensure!(
        bias.len() == correction.len(),
        "the bias of {} is not per output channel",
        layer.weight
    );
    for (b, c) in bias.iter_mut().zip(correction) {
        *b += c;
    }
    let name = format!("{}_bias_corrected", layer.weight);
    graph
        .initializer
        .push(onnx_graph::tensor_f32(&name, &[bias.len() as i64], &bias));
    let inputs = &mut graph.node[layer.node].input;
    inputs.truncate(2);
    inputs.push(name);
    if let Some(old) = old {
        let still_read = graph.node.iter().flat_map(|n| &n.input).any(|i| *i == old);
        if !still_read {
            graph.initializer.retain(|t| t.name != old);
        }
    }
    Ok(())
}

/// Symmetric int8 quantisation of `values` (of `shape`) with one scale per position along
/// `axis`: `value ≈ q × scale`, `q` in -127..=127. A channel of zeros gets scale 1.
fn quantize_per_channel(values: &[f32], shape: &Shape, axis: usize) -> (Vec<i8>, Vec<f32>) {
    let mut max_abs = vec![0.0_f32; shape.dims[axis]];
    for (i, v) in values.iter().enumerate() {
        let c = shape.along(i, axis);
        max_abs[c] = max_abs[c].max(v.abs());
    }
    let scales: Vec<f32> = max_abs
        .iter()
        .map(|&m| if m > 0.0 { m / INT8_MAX } else { 1.0 })
        .collect();
    let quantized = values
        .iter()
        .enumerate()
        .map(|(i, v)| to_step(*v, scales[shape.along(i, axis)]))
        .collect();
    (quantized, scales)
}

/// `value / scale` rounded to the nearest int8 step, clipped to ±[`INT8_MAX`].
fn to_step(value: f32, scale: f32) -> i8 {
    (value / scale).round().clamp(-INT8_MAX, INT8_MAX) as i8
}

/// The number of weights of one kernel (one output channel × one input channel) of a
/// `Conv` weight `[out, in, kh, kw]`; `None` for any other layer.
fn kernel_size(layer: &Layer, dims: &[usize]) -> Option<usize> {
    (dims.len() == 4 && layer.out_axis == 0 && layer.in_axis == 1).then(|| dims[2] * dims[3])
}

/// One scale per kernel, each a fraction of its output channel's scale:
/// `scale = fraction × channel_step`, as a `DequantizeLinear` of the u8 fractions computes
/// it.
#[derive(Debug, Clone, PartialEq)]
struct KernelScales {
    /// Per kernel, 1..=255.
    fractions: Vec<u8>,
    /// Per output channel: its largest kernel scale / 255.
    channel_steps: Vec<f32>,
    /// Kernels per output channel.
    kernels_per_channel: usize,
}

impl KernelScales {
    /// The scale of kernel `k` (counted over the whole weight).
    fn of_kernel(&self, k: usize) -> f32 {
        f32::from(self.fractions[k]) * self.channel_steps[k / self.kernels_per_channel]
    }
}

/// The largest kernel fraction: a channel's largest kernel gets its scale exactly.
const FRACTION_MAX: f32 = 255.0;

/// Symmetric int8 quantisation with one scale per run of `kernel` consecutive weights
/// (one kernel of a `Conv` with `channels` output channels): `value ≈ q × scale`, `q` in
/// -127..=127. Each scale is its kernel's largest |value| / 127 rounded up to the next
/// 1/255 of its channel's largest, so no weight is clipped and the stored pair reproduces
/// exactly what was measured.
fn quantize_per_kernel(values: &[f32], kernel: usize, channels: usize) -> (Vec<i8>, KernelScales) {
    let kernel_max: Vec<f32> = values
        .chunks(kernel)
        .map(|k| k.iter().fold(0.0_f32, |m, v| m.max(v.abs())))
        .collect();
    let kernels_per_channel = (kernel_max.len() / channels.max(1)).max(1);
    let channel_steps: Vec<f32> = kernel_max
        .chunks(kernels_per_channel)
        .map(|c| {
            let max = c.iter().fold(0.0_f32, |m, v| m.max(*v));
            if max > 0.0 {
                max / INT8_MAX / FRACTION_MAX
            } else {
                1.0 / FRACTION_MAX
            }
        })
        .collect();
    let fractions: Vec<u8> = kernel_max
        .iter()
        .enumerate()
        .map(|(k, max)| {
            let step = channel_steps[k / kernels_per_channel];
            (max / INT8_MAX / step).ceil().clamp(1.0, FRACTION_MAX) as u8
        })
        .collect();
    let scales = KernelScales {
        fractions,
        channel_steps,
        kernels_per_channel,
    };
    let quantized = values
        .iter()
        .enumerate()
        .map(|(i, v)| to_step(*v, scales.of_kernel(i / kernel)))
        .collect();
    (quantized, scales)
}

fn tensor_f16(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float16 as i32,
        raw_data: values
            .iter()
            .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
            .collect(),
        ..Default::default()
    }
}

fn tensor_u8(name: &str, dims: &[i64], values: &[u8]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Uint8 as i32,
        raw_data: values.to_vec(),
        ..Default::default()
    }
}

fn tensor_i8(name: &str, dims: &[i64], values: &[i8]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Int8 as i32,
        raw_data: values.iter().map(|&v| v as u8).collect(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_channel_keeps_its_own_scale_and_error_stays_below_half_a_step() {
        // Two channels of three weights, channel 1 ten times larger than channel 0.
        let values = [0.1, -0.05, 0.02, 1.0, -0.5, 0.25];
        let (q, scales) = quantize_per_channel(&values, &Shape::new(&[2, 3]), 0);
        assert_eq!(scales, vec![0.1 / 127.0, 1.0 / 127.0]);
        assert_eq!(q[0], 127);
        assert_eq!(q[3], 127);
        assert_eq!(q[4], -64);
        for (i, v) in values.iter().enumerate() {
            let back = f32::from(q[i]) * scales[i / 3];
            assert!(
                (back - v).abs() <= scales[i / 3] / 2.0 + 1e-9,
                "{i}: {back} vs {v}"
            );
        }
    }

    #[test]
    fn the_channel_axis_can_be_the_second_one() {
        // Shape [2, 2] with channels on axis 1: channel 1 is indices 1 and 3.
        let values = [0.5, 4.0, -0.25, -2.0];
        let (q, scales) = quantize_per_channel(&values, &Shape::new(&[2, 2]), 1);
        assert_eq!(scales, vec![0.5 / 127.0, 4.0 / 127.0]);
        assert_eq!(q, vec![127, 127, -64, -64]);
    }

    #[test]
    fn every_kernel_gets_its_own_scale_as_a_fraction_of_its_channels_and_nothing_is_clipped() {
        // Two channels of two kernels of four weights; kernel 1 is a hundred times smaller
        // than kernel 0, channel 1 is ten times larger than channel 0.
        let values = [
            0.5, -0.25, 0.125, 0.3, 0.005, -0.0025, 0.001, 0.0, //
            -5.0, 2.5, 1.0, 0.0, 0.3, 0.2, -0.1, 0.05,
        ];
        let (q, scales) = quantize_per_kernel(&values, 4, 2);
        assert_eq!(scales.fractions.len(), 4);
        assert_eq!(
            scales.channel_steps,
            vec![0.5 / 127.0 / 255.0, 5.0 / 127.0 / 255.0]
        );
        assert_eq!(
            scales.fractions[0], 255,
            "a channel's largest kernel is exact"
        );
        assert_eq!(
            scales.fractions[1], 3,
            "0.005 / 0.5 × 255 = 2.55, rounded up"
        );
        assert_eq!((q[0], q[8]), (127, -127));
        for (k, v) in values.iter().enumerate() {
            let step = scales.of_kernel(k / 4);
            let back = f32::from(q[k]) * step;
            assert!((back - v).abs() <= step / 2.0 + 1e-9, "{k}: {back} vs {v}");
            assert!(f32::from(q[k]).abs() <= INT8_MAX);
        }
        let (zeros, scale) = quantize_per_kernel(&[0.0; 9], 9, 1);
        assert_eq!(zeros, vec![0; 9]);
        assert_eq!(scale.fractions, vec![1]);
        assert!(scale.channel_steps[0] > 0.0);
    }

    #[test]
    fn the_storage_ladder_goes_per_kernel_only_for_layers_with_kernels() {
        assert_eq!(Storage::Int8.finer(true), Some(Storage::Int8PerKernel));
        assert_eq!(Storage::Int8.finer(false), Some(Storage::F16));
        assert_eq!(Storage::Int8PerKernel.finer(true), Some(Storage::F16));
        assert_eq!(Storage::F16.finer(true), None);
    }

    #[test]
    fn a_zero_channel_gets_scale_one_and_zeros() {
        let (q, scales) = quantize_per_channel(&[0.0, 0.0, 3.0, -3.0], &Shape::new(&[2, 2]), 0);
        assert_eq!(scales[0], 1.0);
        assert_eq!(&q[..2], &[0, 0]);
        assert_eq!(&q[2..], &[127, -127]);
    }

    #[test]
    fn the_bias_correction_is_the_weight_error_times_the_mean_input() {
        // A Gemm weight [out=2, in=3]; inputs average 1, 2 and 0.
        let layer = Layer {
            node: 0,
            weight: "w".into(),
            data: "x".into(),
            out_axis: 0,
            in_axis: 1,
        };
        let shape = Shape::new(&[2, 3]);
        let values = [1.0, 0.3, 0.7, -2.0, 0.01, 0.5];
        let (q, scales) = quantize_per_channel(&values, &shape, 0);
        let dequantized: Vec<f32> = (0..6).map(|k| f32::from(q[k]) * scales[k / 3]).collect();
        let correction = bias_correction(&values, &dequantized, &shape, &layer, &[1.0, 2.0, 0.0]);
        for out in 0..2 {
            let want: f32 = (0..3)
                .map(|i| {
                    let k = out * 3 + i;
                    (values[k] - f32::from(q[k]) * scales[out]) * [1.0, 2.0, 0.0][i]
                })
                .sum();
            assert!(
                (correction[out] - want).abs() < 1e-7,
                "{out}: {} vs {want}",
                correction[out]
            );
        }
        assert!(
            correction.iter().any(|c| c.abs() > 1e-5),
            "the example has rounding error"
        );
    }
}
