//! `special-week classify`: the bundled (or any compatible) model on image files.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use classifier::crops::PixelBox;
use classifier::model::{answer_ja, label_for};
use classifier::{Classifier, ModelMeta};
use serde_json::{Value, json};

/// Loads `model.json` and the ONNX file it names from a model directory.
pub fn load_model(dir: &Path) -> Result<Classifier> {
    let meta_path = dir.join("model.json");
    let text = fs::read_to_string(&meta_path)
        .with_context(|| format!("cannot read {}", meta_path.display()))?;
    let meta = ModelMeta::from_json(&text).with_context(|| format!("{}", meta_path.display()))?;
    let onnx_path = dir.join(&meta.model_file);
    let onnx =
        fs::read(&onnx_path).with_context(|| format!("cannot read {}", onnx_path.display()))?;
    Classifier::load(&onnx, meta).with_context(|| format!("{}", onnx_path.display()))
}

/// Classifies every image, printing one line (or one JSON object) each. Returns how many
/// could not be classified.
pub fn run(model_dir: &Path, images: &[PathBuf], as_json: bool) -> Result<usize> {
    let classifier = load_model(model_dir)?;
    let meta = classifier.meta();
    let mut failures = 0;
    for path in images {
        let started = Instant::now();
        let outcome = fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| classifier.classify(&bytes).map_err(|e| e.to_string()));
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            Ok(prediction) => {
                let label = label_for(meta, &prediction);
                if as_json {
                    let line = json!({
                        "path": path.display().to_string(),
                        "label": label.en,
                        "label_ja": label.ja,
                        "answer": answer_ja(meta, &prediction),
                        "p_special_week": prediction.p_special_week,
                        "is_special_week": prediction.is_special_week,
                        "threshold": meta.threshold,
                        "ms": (ms * 10.0).round() / 10.0,
                        "box": box_json(prediction.best_box),
                        "crops": prediction.crops.iter().map(|crop| json!({
                            "box": box_json(crop.pixel_box),
                            "p": crop.p_special_week,
                        })).collect::<Vec<_>>(),
                    });
                    println!("{line}");
                } else {
                    let PixelBox { x, y, w, h } = prediction.best_box;
                    let at = match meta.crops {
                        Some(_) => format!(", best crop {w}×{h} at ({x}, {y})"),
                        None => String::new(),
                    };
                    println!(
                        "{}: {} (P(Special Week) = {:.3}{at}, {:.0} ms)",
                        path.display(),
                        answer_ja(meta, &prediction),
                        prediction.p_special_week,
                        ms
                    );
                }
            }
            Err(error) => {
                failures += 1;
                eprintln!("{}: cannot classify: {error}", path.display());
                if as_json {
                    println!(
                        "{}",
                        json!({ "path": path.display().to_string(), "error": error })
                    );
                }
            }
        }
    }
    Ok(failures)
}

/// A box in the original image's pixels as `{x, y, w, h}`.
fn box_json(pixels: PixelBox) -> Value {
    json!({ "x": pixels.x, "y": pixels.y, "w": pixels.w, "h": pixels.h })
}
