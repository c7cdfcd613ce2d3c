//! What several integration tests share: the bundled model.

use std::path::PathBuf;

use classifier::{Classifier, ModelMeta};

/// The model in the repository's `model/` folder, loaded as the CLI and the page load it.
pub fn bundled() -> Classifier {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../model");
    let meta = ModelMeta::from_json(&std::fs::read_to_string(dir.join("model.json")).unwrap())
        .expect("the bundled model.json is valid");
    let onnx = std::fs::read(dir.join(&meta.model_file)).unwrap();
    Classifier::load(onnx, meta).expect("the bundled model loads")
}
