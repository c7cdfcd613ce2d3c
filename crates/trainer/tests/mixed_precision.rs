//! The storage choice: int8 with a scale per output channel where it keeps every picture
//! close, a scale per kernel or f16 for the layers whose smaller form moves a picture too
//! far, an error where not even f16 will do.

use anyhow::Result;
use classifier::meta::{InputSpec, Label, ModelMeta, OutputKind, OutputSpec};
use classifier::{Classifier, ResizeFilter};
use rand::{Rng, SeedableRng, rngs::StdRng};
use trainer::mixed_precision::{self, Agreement, Deviation};
use trainer::onnx_graph::{attr_int, attr_ints, node};
use trainer::quantize::InputMeans;

mod support;

use support::ConvDense;

const SIDE: usize = 8;

/// image [1, 8, 8, 3] → NCHW → Conv 3→16 → Relu → Flatten → Gemm 1024→2 → Softmax.
fn small_classifier(rng: &mut StdRng) -> Vec<u8> {
    let layers = ConvDense {
        conv_input: "nchw",
        side: SIDE,
        dense_out: 2,
        spread: [0.02, 0.02],
    };
    let to_nchw = node(
        "Transpose",
        &["image"],
        "nchw",
        vec![attr_ints("perm", &[0, 3, 1, 2])],
    );
    let softmax = node(
        "Softmax",
        &["dense"],
        "probabilities",
        vec![attr_int("axis", 1)],
    );
    layers.model(
        rng,
        [vec![to_nchw], vec![softmax]],
        vec![],
        ("image", &[1, SIDE, SIDE, 3], "probabilities"),
    )
}

fn meta_of(onnx: &[u8]) -> ModelMeta {
    let label = |en: &str| Label {
        ja: en.into(),
        en: en.into(),
    };
    ModelMeta {
        format_version: classifier::meta::FORMAT_VERSION,
        model_file: "small.onnx".into(),
        model_sha256: classifier::model::sha256_hex(onnx),
        input: InputSpec::plain_rgb(SIDE as u32, ResizeFilter::Triangle),
        output: OutputSpec {
            name: "probabilities".into(),
            kind: OutputKind::Softmax,
        },
        labels: vec![label("other"), label("special_week")],
        special_week_index: 1,
        threshold: 0.5,
        crops: None,
        base: serde_json::Value::Null,
        dataset: serde_json::Value::Null,
        metrics: serde_json::Value::Null,
    }
}

/// Random pictures and the f32 model's P(Special Week) on them.
struct Pictures {
    inputs: Vec<Vec<f32>>,
    expected: Vec<f32>,
}

impl Agreement for Pictures {
    fn pictures(&self) -> usize {
        self.inputs.len()
    }

    fn deviation(&self, candidate: &Classifier, index: usize) -> Result<Deviation> {
        let p = candidate
            .classify_tensor(self.inputs[index].clone())?
            .p_special_week;
        Ok(Deviation {
            diff: (p - self.expected[index]).abs(),
            flipped: false,
            p,
        })
    }
}

struct Setup {
    f32_model: Vec<u8>,
    meta: ModelMeta,
    means: InputMeans,
    pictures: Pictures,
}

fn setup() -> Setup {
    let mut rng = StdRng::seed_from_u64(11);
    let f32_model = small_classifier(&mut rng);
    let meta = meta_of(&f32_model);
    let inputs: Vec<Vec<f32>> = (0..12)
        .map(|_| {
            (0..SIDE * SIDE * 3)
                .map(|_| rng.random_range(0.0..255.0))
                .collect()
        })
        .collect();
    let reference = Classifier::load(f32_model.clone(), meta.clone()).unwrap();
    let expected = inputs
        .iter()
        .map(|i| reference.classify_tensor(i.clone()).unwrap().p_special_week)
        .collect();
    let means = InputMeans::measure(&f32_model, &inputs[..4], &[1, SIDE, SIDE, 3]).unwrap();
    Setup {
        f32_model,
        meta,
        means,
        pictures: Pictures { inputs, expected },
    }
}

fn worst(deviations: &[Deviation]) -> f32 {
    deviations.iter().map(|d| d.diff).fold(0.0, f32::max)
}

#[test]
fn a_loose_bound_keeps_every_layer_int8() {
    let s = setup();
    let choice =
        mixed_precision::choose(&s.f32_model, &s.meta, &s.means, &s.pictures, 0.5).unwrap();
    assert!(choice.f16_layers.is_empty() && choice.per_kernel_layers.is_empty());
    assert_eq!((choice.summary.tensors, choice.summary.f16_tensors), (2, 0));
    assert_eq!(choice.deviations.len(), 12);
    assert!(worst(&choice.deviations) > 0.0, "int8 changed the weights");
    assert_eq!(
        choice.meta.model_sha256,
        classifier::model::sha256_hex(&choice.onnx),
        "model.json names the compressed file"
    );
}

#[test]
fn a_bound_int8_misses_moves_layers_up_the_ladder_until_every_picture_is_within_it() {
    let s = setup();
    let all_int8 =
        mixed_precision::choose(&s.f32_model, &s.meta, &s.means, &s.pictures, 1.0).unwrap();
    let int8_error = worst(&all_int8.deviations);
    let bound = int8_error / 4.0;
    let choice =
        mixed_precision::choose(&s.f32_model, &s.meta, &s.means, &s.pictures, bound).unwrap();
    assert!(
        !choice.f16_layers.is_empty() || !choice.per_kernel_layers.is_empty(),
        "int8 alone moved a picture by {int8_error} > {bound}"
    );
    assert!(
        choice.per_kernel_layers.iter().all(|l| l == "conv_w"),
        "only the Conv has kernels: {:?}",
        choice.per_kernel_layers
    );
    assert!(
        worst(&choice.deviations) <= bound,
        "{} > {bound}",
        worst(&choice.deviations)
    );
    assert_eq!(
        choice.summary.tensors + choice.summary.f16_tensors,
        2,
        "every layer is stored compressed one way or the other"
    );
    assert_eq!(choice.summary.f16_tensors, choice.f16_layers.len());
    assert!(choice.onnx.len() < s.f32_model.len());
}

#[test]
fn a_bound_not_even_f16_meets_is_an_error_not_a_model() {
    let s = setup();
    let error =
        mixed_precision::choose(&s.f32_model, &s.meta, &s.means, &s.pictures, 0.0).unwrap_err();
    assert!(
        error.to_string().contains("every weight stored as f16"),
        "{error}"
    );
}
