//! Models exported from the original Keras app's architecture (`cargo xtask test` makes
//! them with `tests/keras/make_original_model.py` and exports them with
//! `cargo xtask export-keras` into `$SPECIAL_WEEK_KERAS_DIR/`: `rgb` and `bgr` saved by
//! Keras 2, `keras3` and `keras3-h5` saved by Keras 3 as `.keras` and `.h5`): Keras's own
//! probabilities on the exporter's check images against the native classifier, the
//! channel-order field, the browser's "own model" control, and the one-line refusals of
//! the files in `bad/` (`tests/keras/make_bad_files.py`).

use std::path::PathBuf;

use classifier::meta::ChannelOrder;
use classifier::{Classifier, ModelMeta};
use serde::Deserialize;

use crate::{PARITY_TOLERANCE, fixtures, one_at_a_time, open_page};

/// One check image and the probabilities Keras gave for it.
#[derive(Deserialize)]
struct KerasCheck {
    file: String,
    probabilities: Vec<f32>,
}

/// `$SPECIAL_WEEK_KERAS_DIR/<name>`: an exported model directory.
fn exported(name: &str) -> PathBuf {
    let dir = std::env::var_os("SPECIAL_WEEK_KERAS_DIR")
        .map(PathBuf::from)
        .expect("SPECIAL_WEEK_KERAS_DIR is unset: run `cargo xtask test`");
    dir.join(name)
}

fn load(dir: &std::path::Path, meta: Option<ModelMeta>) -> Classifier {
    let meta = meta.unwrap_or_else(|| read_meta(dir));
    let onnx = std::fs::read(dir.join(&meta.model_file)).expect("the exported ONNX file");
    Classifier::load(onnx, meta).expect("the exported model loads natively")
}

fn read_meta(dir: &std::path::Path) -> ModelMeta {
    let text = std::fs::read_to_string(dir.join("model.json")).expect("model.json");
    ModelMeta::from_json(&text).expect("the exporter writes a valid model.json")
}

fn checks(dir: &std::path::Path) -> Vec<KerasCheck> {
    let text = std::fs::read_to_string(dir.join("check").join("keras.json")).expect("keras.json");
    serde_json::from_str(&text).expect("keras.json is a list of checks")
}

/// The largest difference between Keras's probabilities and the classifier's.
fn max_difference(dir: &std::path::Path, classifier: &Classifier) -> f32 {
    let mut largest = 0.0f32;
    for check in checks(dir) {
        let png = std::fs::read(dir.join("check").join(&check.file)).expect("a check image");
        let prediction = classifier.classify(&png).expect("a check image classifies");
        for (ours, keras) in prediction.probabilities.iter().zip(&check.probabilities) {
            largest = largest.max((ours - keras).abs());
        }
    }
    largest
}

#[test]
fn keras_and_the_native_classifier_agree_for_models_of_both_keras_generations() {
    for name in ["rgb", "bgr", "keras3", "keras3-h5"] {
        let dir = exported(name);
        let checks = checks(&dir);
        assert_eq!(checks.len(), 20, "{name}: the exporter checks 20 images");
        let p: Vec<f32> = checks.iter().map(|c| c.probabilities[0]).collect();
        let (low, high) = p
            .iter()
            .fold((1.0f32, 0.0f32), |(l, h), &x| (l.min(x), h.max(x)));
        assert!(
            low >= 0.05 && high <= 0.95 && high - low > 0.01,
            "{name}: Keras probabilities {low}..{high} must vary inside 0.05..0.95"
        );
        let difference = max_difference(&dir, &load(&dir, None));
        eprintln!("keras parity {name}: max |Δp| {difference:e} over 20 images");
        assert!(
            difference <= PARITY_TOLERANCE as f32,
            "{name}: {difference}"
        );
    }
}

#[test]
fn export_keras_refuses_other_files_in_one_line() {
    let xtask = std::env::var_os("SPECIAL_WEEK_XTASK")
        .expect("SPECIAL_WEEK_XTASK is unset: run `cargo xtask test`");
    let out = exported("refused");
    let _ = std::fs::remove_dir_all(&out);
    for (file, expected) in [
        ("custom-layer-keras2.h5", "layer 'sparkle' is of class"),
        ("custom-layer-keras3.keras", "layer 'sparkle' is of class"),
        ("keras1.h5", "written by Keras 1.2.2"),
        ("weights-only.h5", "without a keras_version"),
        ("not-a-model.h5", "not a Keras model file"),
        (
            "no-metadata.keras",
            "without a keras_version in metadata.json",
        ),
    ] {
        let output = std::process::Command::new(&xtask)
            .arg("export-keras")
            .arg(exported("bad").join(file))
            .arg("--out")
            .arg(&out)
            .output()
            .expect("running cargo xtask export-keras");
        let stderr = String::from_utf8_lossy(&output.stderr);
        eprintln!("{file}: {stderr}");
        assert_eq!(output.status.code(), Some(1), "{file}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{file}: one line: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(expected),
            "{file}: {stderr} should say {expected:?}"
        );
        assert!(!out.join("model.json").exists(), "{file}");
    }
}

#[test]
fn the_channel_order_field_changes_what_the_model_sees() {
    let dir = exported("bgr");
    let mut meta = read_meta(&dir);
    assert_eq!(meta.input.channel_order, ChannelOrder::Bgr);
    meta.input.channel_order = ChannelOrder::Rgb;
    let difference = max_difference(&dir, &load(&dir, Some(meta)));
    eprintln!("bgr model fed RGB: max |Δp| {difference:e}");
    assert!(
        difference > 1e-2,
        "feeding a BGR model RGB should change its answers ({difference})"
    );
}

#[tokio::test]
async fn the_browser_runs_an_own_model_like_the_native_classifier() {
    let _turn = one_at_a_time().await;
    let dir = exported("rgb");
    let browser = open_page().await;
    let pair = [dir.join("model.json"), dir.join("model.onnx")];
    browser.choose_files("#model-input", &pair).await;
    browser
        .wait_for(
            "the own model",
            crate::MODEL_TIMEOUT,
            r#"const s = document.querySelector('#model-status');
               const e = document.querySelector('#own-model-error');
               if (e) throw new Error(e.innerText);
               return s.dataset.source === 'local' && s.dataset.state === 'ready';"#,
        )
        .await;
    let fixture = fixtures::gradient_png();
    crate::choose_files(&browser, std::slice::from_ref(&fixture), "keras").await;
    let cards = crate::finished_cards(&browser, 1).await;
    let classifier = load(&dir, None);
    let prediction = classifier
        .classify(&fixture.bytes)
        .expect("the fixture classifies");
    let answer = classifier::model::answer_ja(classifier.meta(), &prediction);
    assert_eq!(cards[0]["answer"], answer.as_str(), "{}", cards[0]);
    let page_p = cards[0]["p"].as_f64().expect("data-p");
    let difference = (page_p - f64::from(prediction.p_special_week)).abs();
    eprintln!("own model in the browser: |Δp| {difference:e}");
    assert!(
        difference <= PARITY_TOLERANCE,
        "page {page_p} vs native {prediction:?}"
    );
    crate::save_screenshot(&browser, "own-model.png").await;
    browser.stop().await;
}

#[tokio::test]
async fn a_lone_onnx_file_is_refused_and_the_bundled_model_stays() {
    let _turn = one_at_a_time().await;
    let browser = open_page().await;
    let onnx = exported("rgb").join("model.onnx");
    browser.choose_files("#model-input", &[onnx]).await;
    let message = browser
        .wait_for(
            "the refusal",
            std::time::Duration::from_secs(10),
            "return document.querySelector('#own-model-error')?.innerText ?? null",
        )
        .await;
    assert!(
        message
            .as_str()
            .is_some_and(|m| m.contains("model.json と .onnx")),
        "{message}"
    );
    let state = browser
        .js(
            "return document.querySelector('#model-status').dataset.state",
            vec![],
        )
        .await;
    assert_eq!(state, "ready");
    browser.stop().await;
}
