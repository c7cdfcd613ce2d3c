//! VGG16's last conv block (block5_conv1..3 + block5_pool) read out of the base ONNX
//! graph, run and trained in candle from a cached block4_pool map, and written back into
//! the graph by initializer name.
//!
//! In candle the activations are NHWC and each 3×3 convolution is an explicit im2col
//! (nine shifted views concatenated on the channel axis) followed by one matrix product,
//! so the forward and backward passes are plain GEMMs on the CPU.

use anyhow::{Context, Result, bail, ensure};
use candle_core::{Device, Tensor, Var};
use tract_onnx::pb::{GraphProto, NodeProto};

use crate::onnx_graph::tensor_f32;

/// Convolutions in VGG16's block 5.
pub const CONVS: usize = 3;

/// One 3×3, stride-1, same-padded convolution of the block, with its ONNX names.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvLayer {
    /// Name of the weight initializer in the base graph.
    pub weight_name: String,
    /// Name of the bias initializer in the base graph.
    pub bias_name: String,
    /// Weights, ONNX layout `[outputs, inputs, 3, 3]`, row-major.
    pub weight: Vec<f32>,
    /// Bias, `[outputs]`.
    pub bias: Vec<f32>,
    /// Input channels.
    pub inputs: usize,
    /// Output channels.
    pub outputs: usize,
}

/// The weights of block 5 (three convolutions, each followed by ReLU, then a 2×2 max pool).
#[derive(Debug, Clone, PartialEq)]
pub struct Block5 {
    /// block5_conv1, block5_conv2, block5_conv3.
    pub convs: Vec<ConvLayer>,
}

impl Block5 {
    /// Reads the block that follows tensor `block4` (block4_pool, or the graph input in a
    /// graph that starts there): exactly Conv, Relu, Conv, Relu, Conv, Relu, MaxPool.
    pub fn from_graph(graph: &GraphProto, block4: &str) -> Result<Self> {
        let start = graph
            .node
            .iter()
            .position(|n| n.output.iter().any(|o| o == block4))
            .map_or(0, |i| i + 1);
        let ops: Vec<&NodeProto> = graph.node[start..].iter().take(2 * CONVS + 1).collect();
        let kinds: Vec<&str> = ops.iter().map(|n| n.op_type.as_str()).collect();
        ensure!(
            kinds == ["Conv", "Relu", "Conv", "Relu", "Conv", "Relu", "MaxPool"],
            "the nodes after {block4} are {kinds:?}, not VGG16's block 5"
        );
        ensure!(
            ops[0].input.first().map(String::as_str) == Some(block4),
            "block5_conv1 does not read {block4}"
        );
        check_pool(ops[2 * CONVS])?;
        let convs = ops
            .iter()
            .step_by(2)
            .take(CONVS)
            .map(|conv| conv_layer(graph, conv))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { convs })
    }

    /// Replaces the block's weight and bias initializers of `graph` (found by name) with
    /// these values.
    pub fn write_into(&self, graph: &mut GraphProto) -> Result<()> {
        for conv in &self.convs {
            let (o, i) = (conv.outputs as i64, conv.inputs as i64);
            for (name, dims, values) in [
                (&conv.weight_name, vec![o, i, 3, 3], &conv.weight),
                (&conv.bias_name, vec![o], &conv.bias),
            ] {
                let slot = graph
                    .initializer
                    .iter_mut()
                    .find(|t| &t.name == name)
                    .with_context(|| format!("the graph has no initializer {name:?}"))?;
                *slot = tensor_f32(name, &dims, values);
            }
        }
        Ok(())
    }
}

fn conv_layer(graph: &GraphProto, conv: &NodeProto) -> Result<ConvLayer> {
    for attribute in &conv.attribute {
        let ok = match attribute.name.as_str() {
            "kernel_shape" => attribute.ints == [3, 3],
            "strides" | "dilations" => attribute.ints.iter().all(|&v| v == 1),
            "pads" => attribute.ints == [1, 1, 1, 1],
            "auto_pad" => matches!(&attribute.s[..], b"SAME_UPPER" | b"SAME_LOWER"),
            "group" => attribute.i == 1,
            _ => true,
        };
        ensure!(
            ok,
            "{}: attribute {} is not a 3×3 same-padded convolution",
            conv.name,
            attribute.name
        );
    }
    let [_, weight_name, bias_name] = &conv.input[..] else {
        bail!("{}: a convolution without a bias", conv.name);
    };
    let values = |name: &str| {
        crate::onnx_graph::initializer_f32(graph, name)
            .with_context(|| format!("{}: no constant f32 initializer {name:?}", conv.name))
    };
    let (weight, bias) = (values(weight_name)?, values(bias_name)?);
    let outputs = bias.len();
    let inputs = weight.len() / (9 * outputs.max(1));
    ensure!(
        outputs > 0 && weight.len() == outputs * inputs * 9,
        "{}: weights of {} values do not fit {outputs} outputs of 3×3",
        conv.name,
        weight.len()
    );
    Ok(ConvLayer {
        weight_name: weight_name.clone(),
        bias_name: bias_name.clone(),
        weight,
        bias,
        inputs,
        outputs,
    })
}

fn check_pool(pool: &NodeProto) -> Result<()> {
    for attribute in &pool.attribute {
        let ok = match attribute.name.as_str() {
            "kernel_shape" | "strides" => attribute.ints == [2, 2],
            "pads" => attribute.ints.iter().all(|&v| v == 0),
            "auto_pad" => matches!(&attribute.s[..], b"" | b"NOTSET" | b"VALID"),
            _ => true,
        };
        ensure!(
            ok,
            "block5_pool: attribute {} is not a 2×2 pool",
            attribute.name
        );
    }
    Ok(())
}

/// Block 5 as candle variables: per convolution a `[9·inputs, outputs]` matrix (row
/// `(ky·3 + kx)·inputs + c`) and a bias.
pub struct Block5Vars {
    weights: Vec<Var>,
    biases: Vec<Var>,
}

impl Block5Vars {
    /// Variables initialised from `block`.
    pub fn new(block: &Block5, device: &Device) -> Result<Self> {
        let mut weights = Vec::with_capacity(block.convs.len());
        let mut biases = Vec::with_capacity(block.convs.len());
        for conv in &block.convs {
            let (o, i) = (conv.outputs, conv.inputs);
            let mut matrix = vec![0.0; 9 * i * o];
            for out in 0..o {
                for c in 0..i {
                    for k in 0..9 {
                        matrix[(k * i + c) * o + out] = conv.weight[(out * i + c) * 9 + k];
                    }
                }
            }
            weights.push(Var::from_tensor(&Tensor::from_vec(
                matrix,
                (9 * i, o),
                device,
            )?)?);
            biases.push(Var::from_tensor(&Tensor::from_vec(
                conv.bias.clone(),
                o,
                device,
            )?)?);
        }
        Ok(Self { weights, biases })
    }

    /// Every trainable variable.
    pub fn vars(&self) -> Vec<Var> {
        self.weights.iter().chain(&self.biases).cloned().collect()
    }

    /// block5_pool `[N, H/2, W/2, C]` of a block4_pool batch `[N, H, W, C]` (NHWC).
    pub fn forward(&self, block4: &Tensor) -> Result<Tensor> {
        let mut x = block4.clone();
        for (weight, bias) in self.weights.iter().zip(&self.biases) {
            x = conv3x3(&x, weight, bias)?.relu()?;
        }
        max_pool2(&x)
    }

    /// The trained values, in `template`'s ONNX names and layout.
    pub fn to_block(&self, template: &Block5) -> Result<Block5> {
        let mut block = template.clone();
        for ((conv, weight), bias) in block.convs.iter_mut().zip(&self.weights).zip(&self.biases) {
            let (o, i) = (conv.outputs, conv.inputs);
            let matrix: Vec<f32> = weight.flatten_all()?.to_vec1()?;
            for out in 0..o {
                for c in 0..i {
                    for k in 0..9 {
                        conv.weight[(out * i + c) * 9 + k] = matrix[(k * i + c) * o + out];
                    }
                }
            }
            conv.bias = bias.to_vec1()?;
        }
        Ok(block)
    }
}

/// A 3×3, stride-1 convolution with zero padding 1 on NHWC `x`, as im2col + GEMM.
fn conv3x3(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let (n, h, w, c) = x.dims4()?;
    let padded = x.pad_with_zeros(1, 1, 1)?.pad_with_zeros(2, 1, 1)?;
    let mut shifted = Vec::with_capacity(9);
    for dy in 0..3 {
        for dx in 0..3 {
            shifted.push(padded.narrow(1, dy, h)?.narrow(2, dx, w)?);
        }
    }
    let columns = Tensor::cat(&shifted, 3)?.reshape((n * h * w, 9 * c))?;
    let out = columns.matmul(weight)?.broadcast_add(bias)?;
    Ok(out.reshape((n, h, w, weight.dim(1)?))?)
}

/// 2×2 max pooling with stride 2 on NHWC `x` (an odd last row or column is dropped, as
/// ONNX's MaxPool without padding does).
fn max_pool2(x: &Tensor) -> Result<Tensor> {
    let (n, h, w, c) = x.dims4()?;
    let (h2, w2) = (h / 2, w / 2);
    let even = x.narrow(1, 0, 2 * h2)?.narrow(2, 0, 2 * w2)?;
    Ok(even.reshape((n, h2, 2, w2, 2, c))?.max(4)?.max(2)?)
}

/// NCHW maps `[C, H, W]` (flattened, as the base returns them) as one NHWC batch tensor.
pub fn nhwc_batch(maps: &[&[f32]], channels: usize, device: &Device) -> Result<Tensor> {
    let plane = maps[0].len() / channels;
    let side = (plane as f64).sqrt().round() as usize;
    ensure!(
        side * side == plane,
        "a block4 map of {plane} values per channel is not square"
    );
    let flat: Vec<f32> = maps.iter().flat_map(|m| m.iter().copied()).collect();
    Ok(
        Tensor::from_vec(flat, (maps.len(), channels, side, side), device)?
            .permute((0, 2, 3, 1))?
            .contiguous()?,
    )
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::onnx_graph::{self, Dim, attr_ints, node, value_info};

    /// A block-5-shaped graph with `channels` channels and random weights, starting at the
    /// input `block4_pool` `[1, C, 6, 6]`.
    fn small_block(channels: usize, rng: &mut StdRng) -> GraphProto {
        let mut graph = GraphProto {
            input: vec![value_info(
                "block4_pool",
                &[
                    Dim::Fixed(1),
                    Dim::Fixed(channels as i64),
                    Dim::Fixed(6),
                    Dim::Fixed(6),
                ],
            )],
            output: vec![value_info("block5_pool", &[])],
            ..Default::default()
        };
        let mut previous = "block4_pool".to_string();
        let c = channels as i64;
        for k in 1..=CONVS {
            let (w, b) = (format!("conv{k}_w"), format!("conv{k}_b"));
            let weights: Vec<f32> = (0..channels * channels * 9)
                .map(|_| rng.random_range(-0.3..0.3))
                .collect();
            let bias: Vec<f32> = (0..channels).map(|_| rng.random_range(-0.1..0.1)).collect();
            graph
                .initializer
                .push(tensor_f32(&w, &[c, c, 3, 3], &weights));
            graph.initializer.push(tensor_f32(&b, &[c], &bias));
            let (conv, relu) = (format!("conv{k}"), format!("relu{k}"));
            graph.node.push(node(
                "Conv",
                &[&previous, &w, &b],
                &conv,
                vec![
                    attr_ints("kernel_shape", &[3, 3]),
                    attr_ints("pads", &[1, 1, 1, 1]),
                ],
            ));
            graph.node.push(node("Relu", &[&conv], &relu, vec![]));
            previous = relu;
        }
        graph.node.push(node(
            "MaxPool",
            &[&previous],
            "block5_pool",
            vec![
                attr_ints("kernel_shape", &[2, 2]),
                attr_ints("strides", &[2, 2]),
            ],
        ));
        graph
    }

    fn run_onnx(graph: &GraphProto, input: &[f32], channels: usize) -> Vec<f32> {
        let model = tract_onnx::pb::ModelProto {
            ir_version: 7,
            opset_import: vec![tract_onnx::pb::OperatorSetIdProto {
                domain: String::new(),
                version: 13,
            }],
            graph: Some(graph.clone()),
            ..Default::default()
        };
        let shape = [1, channels, 6, 6];
        let plan = classifier::runtime::load_plan(onnx_graph::encode(&model), &shape).unwrap();
        classifier::runtime::run_plan(&plan, input.to_vec(), &shape).unwrap()
    }

    /// The candle block as NCHW, like the ONNX graph's output.
    fn run_candle(block: &Block5, input: &[f32], channels: usize) -> Vec<f32> {
        let device = Device::Cpu;
        let vars = Block5Vars::new(block, &device).unwrap();
        let x = nhwc_batch(&[input], channels, &device).unwrap();
        let out = vars.forward(&x).unwrap().permute((0, 3, 1, 2)).unwrap();
        out.flatten_all().unwrap().to_vec1().unwrap()
    }

    #[test]
    fn candle_block_matches_the_onnx_block() {
        let mut rng = StdRng::seed_from_u64(5);
        let channels = 4;
        let graph = small_block(channels, &mut rng);
        let block = Block5::from_graph(&graph, "block4_pool").unwrap();
        let input: Vec<f32> = (0..channels * 36)
            .map(|_| rng.random_range(0.0..2.0))
            .collect();
        let want = run_onnx(&graph, &input, channels);
        let got = run_candle(&block, &input, channels);
        assert_eq!(got.len(), channels * 9);
        let worst = want
            .iter()
            .zip(&got)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0_f32, f32::max);
        assert!(worst < 1e-5, "candle block differs from ONNX by {worst}");
    }

    #[test]
    fn weights_round_trip_through_vars_and_graph() {
        let mut rng = StdRng::seed_from_u64(6);
        let mut graph = small_block(3, &mut rng);
        let block = Block5::from_graph(&graph, "block4_pool").unwrap();
        let vars = Block5Vars::new(&block, &Device::Cpu).unwrap();
        assert_eq!(vars.to_block(&block).unwrap(), block);
        let mut changed = block.clone();
        changed.convs[1].weight[7] = 42.0;
        changed.write_into(&mut graph).unwrap();
        assert_eq!(Block5::from_graph(&graph, "block4_pool").unwrap(), changed);
    }

    #[test]
    fn a_graph_that_is_not_block5_is_refused() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut graph = small_block(2, &mut rng);
        graph.node.remove(1);
        let error = Block5::from_graph(&graph, "block4_pool").unwrap_err();
        assert!(error.to_string().contains("not VGG16's block 5"), "{error}");
    }
}
