//! Loading checks the planned graph's output against `model.json` without running it.

mod common;

use classifier::meta::Label;
use classifier::{Classifier, ModelError, ModelMeta};

fn bundled_parts() -> (ModelMeta, Vec<u8>) {
    let model = common::bundled();
    let meta = model.meta().clone();
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../model");
    let onnx = std::fs::read(dir.join(&meta.model_file)).unwrap();
    (meta, onnx)
}

#[test]
fn an_output_that_does_not_fit_the_labels_is_refused_at_load() {
    let (mut meta, onnx) = bundled_parts();
    meta.labels.push(Label {
        ja: "その他".into(),
        en: "more".into(),
    });
    match Classifier::load(onnx, meta) {
        Err(ModelError::Onnx(message)) => assert!(
            message.contains("expected f32 of shape [1, 3]") && message.contains("[1, 2]"),
            "{message}"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_crop_batch_is_checked_for_its_size() {
    let (mut meta, onnx) = bundled_parts();
    meta.crops = Some(vec![classifier::crops::whole(); 4]);
    let model = Classifier::load(onnx, meta).expect("a batch of 4 fits");
    assert_eq!(model.meta().crop_boxes().len(), 4);
}
