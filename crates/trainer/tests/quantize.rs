//! The int8 export runs in tract and stays close to the f32 graph it came from.

use classifier::runtime;
use prost::Message;
use rand::{Rng, SeedableRng, rngs::StdRng};
use trainer::onnx_graph::{self, node, tensor_f32};
use trainer::quantize::{self, InputMeans, Storage};

mod support;

use support::ConvDense;

const INPUT_SHAPE: [usize; 4] = [2, 3, 8, 8];

/// Conv 3→16 (3×3, same padding) → Relu → Flatten → Gemm (transB) → Gemm (no transB).
fn small_model(rng: &mut StdRng) -> Vec<u8> {
    let layers = ConvDense {
        conv_input: "x",
        side: 8,
        dense_out: 10,
        spread: [0.5, 0.05],
    };
    let (out_w, y) = {
        let values: Vec<f32> = (0..40).map(|_| rng.random_range(-1.0..1.0)).collect();
        (
            tensor_f32("out_w", &[10, 4], &values),
            node("Gemm", &["dense", "out_w"], "y", vec![]),
        )
    };
    layers.model(
        rng,
        [vec![], vec![y]],
        vec![out_w],
        ("x", &INPUT_SHAPE, "y"),
    )
}

fn run(onnx: &[u8], input: &[f32]) -> Vec<f32> {
    let plan = runtime::load_plan(onnx.to_vec(), &INPUT_SHAPE).expect("the model loads in tract");
    runtime::run_plan(&plan, input.to_vec(), &INPUT_SHAPE).expect("the model runs")
}

#[test]
fn int8_weights_give_nearly_the_f32_outputs_from_a_quarter_of_the_bytes() {
    let mut rng = StdRng::seed_from_u64(7);
    let f32_model = small_model(&mut rng);
    let input: Vec<f32> = (0..INPUT_SHAPE.iter().product())
        .map(|_| rng.random_range(0.0..1.0))
        .collect();

    let (int8_model, summary) = quantize::to_int8(&f32_model, None).unwrap();
    assert_eq!(summary.tensors, 3, "conv_w, dense_w and out_w");
    assert_eq!(summary.weights, 16 * 27 + 10 * 1024 + 40);

    let nodes = onnx_graph::decode(&int8_model).unwrap().graph.unwrap().node;
    let dequantize = nodes
        .iter()
        .filter(|n| n.op_type == "DequantizeLinear")
        .count();
    assert_eq!(
        dequantize, 4,
        "one per weight, and one for conv_w's per-kernel scales"
    );

    let (want, got) = (run(&f32_model, &input), run(&int8_model, &input));
    assert_eq!(want.len(), got.len());
    let spread = want.iter().fold(0.0_f32, |m, v| m.max(v.abs()));
    let worst = want
        .iter()
        .zip(&got)
        .fold(0.0_f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(spread > 0.1, "the outputs are not trivial ({spread})");
    assert!(
        worst < 0.02 * spread,
        "int8 differs by {worst} on outputs of size {spread}"
    );
    assert!(worst > 0.0, "the weights were not changed at all");
    assert!(
        int8_model.len() * 10 < f32_model.len() * 3,
        "{} bytes is not under 30 % of {}",
        int8_model.len(),
        f32_model.len()
    );
}

fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .fold(0.0_f32, |m, (x, y)| m.max((x - y).abs()))
}

fn random_inputs(rng: &mut StdRng, count: usize) -> Vec<Vec<f32>> {
    (0..count)
        .map(|_| {
            (0..INPUT_SHAPE.iter().product())
                .map(|_| rng.random_range(0.0..1.0))
                .collect()
        })
        .collect()
}

#[test]
fn calibrated_int8_corrects_every_bias_and_stays_close() {
    let mut rng = StdRng::seed_from_u64(3);
    let f32_model = small_model(&mut rng);
    let calibration = random_inputs(&mut rng, 4);
    let means = InputMeans::measure(&f32_model, &calibration, &INPUT_SHAPE).unwrap();
    let (int8_model, summary) = quantize::to_int8(&f32_model, Some(&means)).unwrap();
    assert_eq!(
        summary.corrected_biases, 3,
        "out_w had no bias and gets one"
    );
    let graph = onnx_graph::decode(&int8_model).unwrap().graph.unwrap();
    for tensor in &graph.initializer {
        assert!(
            graph
                .node
                .iter()
                .flat_map(|n| &n.input)
                .any(|i| *i == tensor.name),
            "{} is stored but no node reads it",
            tensor.name
        );
    }
    let input = &random_inputs(&mut rng, 1)[0];
    let want = run(&f32_model, input);
    let spread = want.iter().fold(0.0_f32, |m, v| m.max(v.abs()));
    let worst = max_difference(&want, &run(&int8_model, input));
    assert!(
        worst < 0.02 * spread,
        "calibrated int8 differs by {worst} on outputs of size {spread}"
    );
}

#[test]
fn f16_weights_are_cast_back_and_nearly_exact() {
    let mut rng = StdRng::seed_from_u64(5);
    let f32_model = small_model(&mut rng);
    let (f16_model, summary) = quantize::compress(&f32_model, None, &|name| {
        if name == "dense_w" {
            Storage::F16
        } else {
            Storage::F32
        }
    })
    .unwrap();
    assert_eq!((summary.tensors, summary.f16_tensors), (0, 1));
    let input = &random_inputs(&mut rng, 1)[0];
    let want = run(&f32_model, input);
    let spread = want.iter().fold(0.0_f32, |m, v| m.max(v.abs()));
    let worst = max_difference(&want, &run(&f16_model, input));
    assert!(
        worst > 0.0 && worst < 2e-3 * spread,
        "f16 differs by {worst} on outputs of size {spread}"
    );
}

#[test]
fn the_classifier_expands_stored_weights_to_plain_f32_before_tract_sees_them() {
    let mut rng = StdRng::seed_from_u64(9);
    let f32_model = small_model(&mut rng);
    let calibration = random_inputs(&mut rng, 2);
    let means = InputMeans::measure(&f32_model, &calibration, &INPUT_SHAPE).unwrap();
    let (stored, _) = quantize::compress(&f32_model, Some(&means), &|name| match name {
        "out_w" => Storage::F16,
        "conv_w" => Storage::Int8PerKernel,
        _ => Storage::Int8,
    })
    .unwrap();
    let op_types = |onnx: &[u8]| -> Vec<String> {
        let graph = onnx_graph::decode(onnx).unwrap().graph.unwrap();
        graph.node.into_iter().map(|n| n.op_type).collect()
    };
    for op in ["DequantizeLinear", "Mul", "Cast"] {
        assert!(
            op_types(&stored).iter().any(|t| t == op),
            "the stored form has a {op}"
        );
    }
    let decoders = op_types(&stored)
        .iter()
        .filter(|op| ["DequantizeLinear", "Mul", "Cast"].contains(&op.as_str()))
        .count();
    let mut parsed = onnx_graph::decode(&stored).unwrap();
    assert_eq!(
        classifier::weights::expand(&mut parsed),
        decoders,
        "every weight decoder is replaced"
    );
    let expanded = parsed.encode_to_vec();
    assert_eq!(
        op_types(&expanded),
        ["Conv", "Relu", "Flatten", "Gemm", "Gemm"],
        "only the f32 layers are left"
    );
    let graph = onnx_graph::decode(&expanded).unwrap().graph.unwrap();
    assert!(
        graph.initializer.iter().all(|t| t.data_type == 1),
        "every initialiser is f32"
    );
    let mut plain = onnx_graph::decode(&f32_model).unwrap();
    assert_eq!(classifier::weights::expand(&mut plain), 0);
    let graph = plain.graph.unwrap();
    assert_eq!(
        (graph.node.len(), graph.initializer.len()),
        {
            let original = onnx_graph::decode(&f32_model).unwrap().graph.unwrap();
            (original.node.len(), original.initializer.len())
        },
        "a plain model keeps its nodes and initialisers"
    );
    let input = &random_inputs(&mut rng, 1)[0];
    assert_eq!(
        run(&stored, input),
        run(&expanded, input),
        "expanding changes nothing"
    );
}

#[test]
fn a_scale_per_kernel_is_closer_to_f32_than_one_per_output_channel() {
    let mut rng = StdRng::seed_from_u64(13);
    let f32_model = small_model(&mut rng);
    let inputs = random_inputs(&mut rng, 4);
    let conv_as = |conv: Storage| {
        let (onnx, summary) = quantize::compress(&f32_model, None, &|name| match name {
            "conv_w" => conv,
            _ => Storage::F32,
        })
        .unwrap();
        assert_eq!(summary.tensors, 1);
        let error = inputs
            .iter()
            .map(|input| max_difference(&run(&f32_model, input), &run(&onnx, input)))
            .fold(0.0_f32, f32::max);
        (error, onnx.len())
    };
    let (per_channel, channel_bytes) = conv_as(Storage::Int8);
    let (per_kernel, kernel_bytes) = conv_as(Storage::Int8PerKernel);
    assert!(per_kernel > 0.0, "the weights were quantised");
    assert!(
        per_kernel < per_channel,
        "per kernel {per_kernel} is not closer than per channel {per_channel}"
    );
    assert!(
        kernel_bytes >= channel_bytes + 16 * 3,
        "one u8 per kernel (16 × 3) is stored: {kernel_bytes} vs {channel_bytes} bytes"
    );
}

#[test]
fn a_model_older_than_opset_13_is_refused() {
    let mut rng = StdRng::seed_from_u64(1);
    let mut model = onnx_graph::decode(&small_model(&mut rng)).unwrap();
    model.opset_import[0].version = 11;
    let error = quantize::to_int8(&onnx_graph::encode(&model), None).unwrap_err();
    assert!(error.to_string().contains("opset 13"), "{error}");
}
