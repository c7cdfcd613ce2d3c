//! The wasm build of the preprocessing and model gives the native probabilities.
//!
//! Natively (`cargo test`), `native_reference` classifies the fixture images with the
//! native classifier and writes the fixtures and their probabilities to `target/parity/`.
//! In headless Chromium (`cargo test --target wasm32-unknown-unknown --test parity`, run by
//! `cargo xtask test` after the native tests), `wasm_matches_native` fetches the same files
//! and the model from the test runner's server, classifies the same bytes in wasm and
//! compares: the largest absolute difference of any probability must be at most 1e-4.

/// Where the native side leaves its reference, relative to the package root.
const REFERENCE_DIR: &str = "target/parity";

// Shared with the e2e suite, which uses the error fixtures this test does not.
#[cfg(not(target_arch = "wasm32"))]
#[path = "common/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn native_reference() {
    use classifier::{Classifier, ModelMeta};

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("model");
    let meta_json = std::fs::read_to_string(model.join("model.json")).expect("model/model.json");
    let meta = ModelMeta::from_json(&meta_json).expect("a valid model.json");
    let onnx = std::fs::read(model.join(&meta.model_file)).expect("the ONNX file model.json names");
    let classifier = Classifier::load(&onnx, meta).expect("the model loads");
    let out = root.join(REFERENCE_DIR);
    std::fs::create_dir_all(&out).expect("creating target/parity");
    let mut reference = Vec::new();
    for fixture in fixtures::images() {
        let prediction = classifier
            .classify(&fixture.bytes)
            .expect("a fixture classifies");
        assert!((prediction.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-3);
        std::fs::write(out.join(fixture.name), &fixture.bytes).expect("writing a fixture");
        reference.push(
            serde_json::json!({ "name": fixture.name, "probabilities": prediction.probabilities }),
        );
    }
    let text = serde_json::to_string_pretty(&reference).expect("JSON");
    std::fs::write(out.join("native.json"), text).expect("writing native.json");
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use classifier::{Classifier, ModelMeta};
    use special_week_app::download::{fetch_bytes, fetch_text};
    use wasm_bindgen_test::*;

    use super::REFERENCE_DIR;

    /// The largest allowed difference between a native and a wasm probability.
    const TOLERANCE: f32 = 1e-4;

    wasm_bindgen_test_configure!(run_in_browser);

    async fn text(url: &str) -> String {
        fetch_text(url)
            .await
            .unwrap_or_else(|e| panic!("fetching {url}: {e} (run the native tests first)"))
    }

    async fn bytes(url: &str) -> Vec<u8> {
        fetch_bytes(url, |_| {})
            .await
            .unwrap_or_else(|e| panic!("fetching {url}: {e}"))
    }

    #[wasm_bindgen_test]
    async fn wasm_matches_native() {
        let meta =
            ModelMeta::from_json(&text("/model/model.json").await).expect("a valid model.json");
        let onnx = bytes(&format!("/model/{}", meta.model_file)).await;
        let classifier = Classifier::load(&onnx, meta).expect("the model loads in wasm");
        let reference: serde_json::Value =
            serde_json::from_str(&text(&format!("/{REFERENCE_DIR}/native.json")).await)
                .expect("JSON");
        let cases = reference.as_array().expect("a list");
        assert!(!cases.is_empty());
        for case in cases {
            let name = case["name"].as_str().expect("a name");
            let image = bytes(&format!("/{REFERENCE_DIR}/{name}")).await;
            let wasm = classifier
                .classify(&image)
                .expect("the fixture classifies in wasm")
                .probabilities;
            let native: Vec<f32> =
                serde_json::from_value(case["probabilities"].clone()).expect("probabilities");
            assert_eq!(wasm.len(), native.len(), "{name}");
            let diff = wasm
                .iter()
                .zip(&native)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            console_log!("{name}: wasm {wasm:?} native {native:?} max diff {diff:e}");
            assert!(
                diff <= TOLERANCE,
                "{name}: wasm {wasm:?} vs native {native:?}"
            );
        }
    }
}
