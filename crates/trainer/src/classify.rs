//! `special-week classify`: the bundled (or any compatible) model on image files.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use classifier::crops::PixelBox;
use classifier::explain::{GRID, Occlusion};
use classifier::model::{CropScore, answer_ja, label_for};
use classifier::{Classifier, ModelMeta, Prediction, preprocess};
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
    Classifier::load(onnx, meta).with_context(|| format!("{}", onnx_path.display()))
}

/// What `classify` prints besides the answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Output {
    /// One JSON object per line instead of text.
    pub json: bool,
    /// Also an occlusion map of each image ([`classifier::explain`]), as the page's
    /// 「根拠を表示」 makes it for a model without crops.
    pub explain: bool,
}

/// The answer for one file, and its occlusion map when asked for.
fn judge(
    classifier: &Classifier,
    path: &Path,
    explain: bool,
) -> Result<(Prediction, Option<Occlusion>), String> {
    let bytes = fs::read(path).map_err(|e| e.to_string())?;
    let image = preprocess::decode_upright(&bytes)
        .and_then(preprocess::judgeable)
        .map_err(|e| e.to_string())?;
    let prediction = classifier
        .classify_judgeable(&image)
        .map_err(|e| e.to_string())?;
    let occlusion = explain
        .then(|| classifier.occlusion(&classifier.view(&image), image.dimensions(), GRID))
        .transpose()
        .map_err(|e| e.to_string())?;
    Ok((prediction, occlusion))
}

/// Classifies every image, printing one line (or one JSON object) each. Returns how many
/// could not be classified.
pub fn run(model_dir: &Path, images: &[PathBuf], output: Output) -> Result<usize> {
    let classifier = load_model(model_dir)?;
    let meta = classifier.meta();
    let mut failures = 0;
    for path in images {
        let started = Instant::now();
        let outcome = judge(&classifier, path, output.explain);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            Ok((prediction, occlusion)) => {
                let label = label_for(meta, &prediction);
                if output.json {
                    let mut line = json!({
                        "path": path.display().to_string(),
                        "label": label.en,
                        "label_ja": label.ja,
                        "answer": answer_ja(meta, &prediction),
                        "p_special_week": prediction.p_special_week,
                        "is_special_week": prediction.is_special_week,
                        "threshold": meta.threshold,
                        "ms": (ms * 10.0).round() / 10.0,
                        "box": box_json(prediction.best_box),
                        "crops": scores_json(&prediction.crops),
                    });
                    if let Some(map) = &occlusion {
                        line["occlusion"] = json!({
                            "p_whole": map.p_whole,
                            "cells": scores_json(&map.cells),
                        });
                    }
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
                    if let Some(map) = &occlusion {
                        println!("  why: {}", strongest_cell(map));
                    }
                }
            }
            Err(error) => {
                failures += 1;
                eprintln!("{}: cannot classify: {error}", path.display());
                if output.json {
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

/// Where covering the image lowers the probability most, for the text output.
fn strongest_cell(map: &Occlusion) -> String {
    let drops = map.drops();
    let (index, drop) =
        drops
            .iter()
            .copied()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |best, (i, d)| {
                if d > best.1 { (i, d) } else { best }
            });
    let PixelBox { x, y, w, h } = map.cells[index].pixel_box;
    format!("covering {w}×{h} at ({x}, {y}) lowers P(Special Week) by {drop:.3}")
}

/// Crop or cell scores as `[{box, p}]`.
fn scores_json(scores: &[CropScore]) -> Vec<Value> {
    scores
        .iter()
        .map(|score| json!({ "box": box_json(score.pixel_box), "p": score.p_special_week }))
        .collect()
}

/// A box in the original image's pixels as `{x, y, w, h}`.
fn box_json(pixels: PixelBox) -> Value {
    json!({ "x": pixels.x, "y": pixels.y, "w": pixels.w, "h": pixels.h })
}
