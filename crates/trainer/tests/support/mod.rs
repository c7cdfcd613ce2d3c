//! Small ONNX networks for the tests of weight storage: a convolution and a dense layer
//! with random weights, finished by whatever each test puts on top.

use rand::{Rng, rngs::StdRng};
use tract_onnx::pb::{GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto};
use trainer::onnx_graph::{self, Dim, attr_int, attr_ints, node, tensor_f32, value_info};

/// The layers under test: Conv 3→16 (3×3, same padding) over `side`×`side` maps read from
/// `conv_input` → Relu → Flatten → Gemm (transB) to `dense_out` values named `dense`.
/// Weights are uniform in ±`spread` (biases ±0.1).
pub struct ConvDense<'a> {
    /// The tensor the convolution reads (NCHW).
    pub conv_input: &'a str,
    /// Side of the square maps.
    pub side: usize,
    /// Outputs of the dense layer.
    pub dense_out: usize,
    /// Spread of the conv and the dense weights.
    pub spread: [f32; 2],
}

impl ConvDense<'_> {
    /// The graph: `before` nodes, the layers, then `after` nodes; its input `input` of
    /// `shape`, its output `output`, with `extra` initialisers.
    pub fn model(
        &self,
        rng: &mut StdRng,
        [before, after]: [Vec<NodeProto>; 2],
        extra: Vec<TensorProto>,
        (input, shape, output): (&str, &[usize], &str),
    ) -> Vec<u8> {
        let mut random = |n: usize, spread: f32| -> Vec<f32> {
            (0..n).map(|_| rng.random_range(-spread..spread)).collect()
        };
        let hidden = 16 * self.side * self.side;
        let out = self.dense_out;
        let mut nodes = before;
        nodes.extend([
            node(
                "Conv",
                &[self.conv_input, "conv_w", "conv_b"],
                "conv",
                vec![attr_ints("pads", &[1, 1, 1, 1])],
            ),
            node("Relu", &["conv"], "relu", vec![]),
            node("Flatten", &["relu"], "flat", vec![attr_int("axis", 1)]),
            node(
                "Gemm",
                &["flat", "dense_w", "dense_b"],
                "dense",
                vec![attr_int("transB", 1)],
            ),
        ]);
        nodes.extend(after);
        let mut initializer = vec![
            tensor_f32("conv_w", &[16, 3, 3, 3], &random(16 * 27, self.spread[0])),
            tensor_f32("conv_b", &[16], &random(16, 0.1)),
            tensor_f32(
                "dense_w",
                &[out as i64, hidden as i64],
                &random(out * hidden, self.spread[1]),
            ),
            tensor_f32("dense_b", &[out as i64], &random(out, 0.1)),
        ];
        initializer.extend(extra);
        let graph = GraphProto {
            name: "small".into(),
            node: nodes,
            initializer,
            input: vec![value_info(
                input,
                &shape
                    .iter()
                    .map(|&d| Dim::Fixed(d as i64))
                    .collect::<Vec<_>>(),
            )],
            output: vec![value_info(output, &[])],
            ..Default::default()
        };
        onnx_graph::encode(&ModelProto {
            ir_version: 7,
            opset_import: vec![OperatorSetIdProto {
                domain: String::new(),
                version: 13,
            }],
            graph: Some(graph),
            ..Default::default()
        })
    }
}
