//! What the worker does with each request, independent of the Web Worker machinery.

use classifier::crops::PixelBox;
use classifier::model::answer_ja;
use classifier::{Classifier, ModelMeta, Prediction};

use crate::failures;
use worker_protocol::{BoxPx, Failure, ModelFailure, Verdict, WorkerInput, WorkerOutput};

/// Holds the loaded model (once) and answers [`WorkerInput`]s.
#[derive(Debug, Default)]
pub struct Engine {
    classifier: Option<Classifier>,
}

impl Engine {
    /// Handles one request; `now_ms` is a millisecond clock used to time the work.
    pub fn handle(&mut self, input: WorkerInput, now_ms: impl Fn() -> f64) -> WorkerOutput {
        match input {
            WorkerInput::LoadModel { meta_json, onnx } => {
                let start = now_ms();
                match load(&meta_json, &onnx) {
                    Ok(classifier) => {
                        self.classifier = Some(classifier);
                        WorkerOutput::ModelReady {
                            load_ms: now_ms() - start,
                        }
                    }
                    Err(failure) => WorkerOutput::ModelFailed(failure),
                }
            }
            WorkerInput::Classify { card, bytes } => {
                let outcome = match &self.classifier {
                    None => Err(Failure::NoModel),
                    Some(classifier) => classify(classifier, &bytes, now_ms),
                };
                WorkerOutput::Classified { card, outcome }
            }
        }
    }
}

fn load(meta_json: &str, onnx: &[u8]) -> Result<Classifier, ModelFailure> {
    let meta = ModelMeta::from_json(meta_json).map_err(|e| failures::of_model(&e.into()))?;
    Classifier::load(onnx, meta).map_err(|e| failures::of_model(&e))
}

fn classify(
    classifier: &Classifier,
    bytes: &[u8],
    now_ms: impl Fn() -> f64,
) -> Result<Verdict, Failure> {
    let start = now_ms();
    let prediction = classifier
        .classify(bytes)
        .map_err(|e| failures::of_classify(&e))?;
    Ok(Verdict {
        answer: answer_ja(classifier.meta(), &prediction),
        is_special_week: prediction.is_special_week,
        p_special_week: prediction.p_special_week,
        infer_ms: now_ms() - start,
        best_box: best_box(&prediction),
    })
}

/// The deciding crop for the page, unless it is the whole image (always so without crops).
fn best_box(prediction: &Prediction) -> Option<BoxPx> {
    let (width, height) = (prediction.image_width, prediction.image_height);
    let PixelBox { x, y, w, h } = prediction.best_box;
    (prediction.best_box != PixelBox::whole(width, height)).then_some(BoxPx {
        x,
        y,
        w,
        h,
        image_width: width,
        image_height: height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> f64 {
        0.0
    }

    fn prediction(best_box: PixelBox) -> Prediction {
        Prediction {
            p_special_week: 0.9,
            is_special_week: true,
            probabilities: vec![0.1, 0.9],
            best_box,
            crops: vec![],
            image_width: 40,
            image_height: 30,
        }
    }

    #[test]
    fn the_best_box_goes_to_the_page_unless_it_is_the_whole_image() {
        assert_eq!(best_box(&prediction(PixelBox::whole(40, 30))), None);
        let left = PixelBox {
            x: 0,
            y: 0,
            w: 20,
            h: 30,
        };
        assert_eq!(
            best_box(&prediction(left)),
            Some(BoxPx {
                x: 0,
                y: 0,
                w: 20,
                h: 30,
                image_width: 40,
                image_height: 30,
            })
        );
    }

    #[test]
    fn images_before_the_model_fail_as_no_model() {
        let mut engine = Engine::default();
        let input = WorkerInput::Classify {
            card: 7,
            bytes: vec![1, 2],
        };
        assert_eq!(
            engine.handle(input, clock),
            WorkerOutput::Classified {
                card: 7,
                outcome: Err(Failure::NoModel)
            }
        );
    }

    #[test]
    fn a_broken_model_json_fails_to_load_as_invalid_meta() {
        let mut engine = Engine::default();
        let input = WorkerInput::LoadModel {
            meta_json: "{".into(),
            onnx: vec![],
        };
        match engine.handle(input, clock) {
            WorkerOutput::ModelFailed(ModelFailure::MetaInvalid { detail }) => {
                assert!(!detail.is_empty())
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
