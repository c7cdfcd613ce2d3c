//! What the worker does with each request, independent of the Web Worker machinery.
//!
//! A file the classifier's own decoder does not read (AVIF, ICO…) is not refused at once:
//! [`Engine::handle`] asks for the browser's decoder ([`Step::DecodeInBrowser`]), and the
//! pixels it makes go through the same checks, resize and model
//! ([`Engine::classify_decoded`]).

use classifier::crops::PixelBox;
use classifier::model::answer_ja;
use classifier::preprocess::{self, PreprocessError};
use classifier::{Classifier, ModelMeta, Prediction};

use crate::failures;
use worker_protocol::{BoxPx, Decoder, Failure, ModelFailure, Verdict, WorkerInput, WorkerOutput};

/// Holds the loaded model (once) and answers [`WorkerInput`]s.
#[derive(Debug, Default)]
pub struct Engine {
    classifier: Option<Classifier>,
}

/// What the worker does next for a request.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Send this answer to the page.
    Reply(WorkerOutput),
    /// The classifier does not read this format: decode the bytes with the browser, then
    /// hand the pixels to [`Engine::classify_decoded`].
    DecodeInBrowser {
        /// The card asking.
        card: u64,
        /// The file's bytes.
        bytes: Vec<u8>,
        /// When the work on it started (for the verdict's time).
        started_ms: f64,
    },
}

/// Pixels the browser decoded: 8-bit RGBA, row by row, not premultiplied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserPixels {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width × height × 4` bytes.
    pub rgba: Vec<u8>,
}

impl Engine {
    /// Handles one request; `now_ms` is a millisecond clock used to time the work.
    pub fn handle(&mut self, input: WorkerInput, now_ms: impl Fn() -> f64) -> Step {
        match input {
            WorkerInput::LoadModel { meta_json, onnx } => {
                let start = now_ms();
                Step::Reply(match load(&meta_json, &onnx) {
                    Ok(classifier) => {
                        self.classifier = Some(classifier);
                        WorkerOutput::ModelReady {
                            load_ms: now_ms() - start,
                        }
                    }
                    Err(failure) => WorkerOutput::ModelFailed(failure),
                })
            }
            WorkerInput::Classify { card, bytes } => {
                let Some(classifier) = &self.classifier else {
                    return Step::Reply(WorkerOutput::Classified {
                        card,
                        outcome: Err(Failure::NoModel),
                    });
                };
                let started_ms = now_ms();
                match preprocess::decode_upright(&bytes) {
                    Err(PreprocessError::Unsupported) => Step::DecodeInBrowser {
                        card,
                        bytes,
                        started_ms,
                    },
                    decoded => Step::Reply(WorkerOutput::Classified {
                        card,
                        outcome: classify(
                            classifier,
                            decoded,
                            Decoder::Builtin,
                            started_ms,
                            now_ms,
                        ),
                    }),
                }
            }
        }
    }

    /// Classifies what the browser's decoder made of a [`Step::DecodeInBrowser`] file (or
    /// why it made nothing), held to the same limits and checks as the classifier's own.
    pub fn classify_decoded(
        &self,
        card: u64,
        decoded: Result<BrowserPixels, PreprocessError>,
        started_ms: f64,
        now_ms: impl Fn() -> f64,
    ) -> WorkerOutput {
        let outcome = match &self.classifier {
            None => Err(Failure::NoModel),
            Some(classifier) => {
                let image = decoded.and_then(|pixels| {
                    preprocess::from_rgba(pixels.width, pixels.height, pixels.rgba)
                });
                classify(classifier, image, Decoder::Browser, started_ms, now_ms)
            }
        };
        WorkerOutput::Classified { card, outcome }
    }
}

fn load(meta_json: &str, onnx: &[u8]) -> Result<Classifier, ModelFailure> {
    let meta = ModelMeta::from_json(meta_json).map_err(|e| failures::of_model(&e.into()))?;
    Classifier::load(onnx, meta).map_err(|e| failures::of_model(&e))
}

fn classify(
    classifier: &Classifier,
    decoded: Result<image::DynamicImage, PreprocessError>,
    decoder: Decoder,
    started_ms: f64,
    now_ms: impl Fn() -> f64,
) -> Result<Verdict, Failure> {
    let image = decoded.map_err(|e| failures::of_image(&e))?;
    let prediction = classifier
        .classify_image(image)
        .map_err(|e| failures::of_classify(&e))?;
    Ok(Verdict {
        answer: answer_ja(classifier.meta(), &prediction),
        is_special_week: prediction.is_special_week,
        p_special_week: prediction.p_special_week,
        infer_ms: now_ms() - started_ms,
        best_box: best_box(&prediction),
        decoder,
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

    fn bundled() -> Engine {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../model");
        let meta_json = std::fs::read_to_string(dir.join("model.json")).unwrap();
        let meta = ModelMeta::from_json(&meta_json).unwrap();
        let onnx = std::fs::read(dir.join(&meta.model_file)).unwrap();
        let mut engine = Engine::default();
        let loaded = engine.handle(WorkerInput::LoadModel { meta_json, onnx }, clock);
        assert!(
            matches!(loaded, Step::Reply(WorkerOutput::ModelReady { .. })),
            "{loaded:?}"
        );
        engine
    }

    fn classify(engine: &mut Engine, card: u64, bytes: Vec<u8>) -> Step {
        engine.handle(WorkerInput::Classify { card, bytes }, clock)
    }

    #[test]
    fn images_before_the_model_fail_as_no_model() {
        let mut engine = Engine::default();
        assert_eq!(
            classify(&mut engine, 7, vec![1, 2]),
            Step::Reply(WorkerOutput::Classified {
                card: 7,
                outcome: Err(Failure::NoModel)
            })
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
            Step::Reply(WorkerOutput::ModelFailed(ModelFailure::MetaInvalid { detail })) => {
                assert!(!detail.is_empty())
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn formats_the_classifier_cannot_read_go_to_the_browser_and_back() {
        let mut engine = bundled();
        let avif = hostile_fixtures::make::avif();
        assert_eq!(
            classify(&mut engine, 3, avif.clone()),
            Step::DecodeInBrowser {
                card: 3,
                bytes: avif,
                started_ms: 0.0
            }
        );
        let picture = hostile_fixtures::make::picture(40, 30);
        let rgba = image::DynamicImage::ImageRgb8(picture)
            .to_rgba8()
            .into_raw();
        let pixels = BrowserPixels {
            width: 40,
            height: 30,
            rgba,
        };
        match engine.classify_decoded(3, Ok(pixels), 0.0, clock) {
            WorkerOutput::Classified {
                card: 3,
                outcome: Ok(verdict),
            } => assert_eq!(verdict.decoder, Decoder::Browser),
            other => panic!("unexpected {other:?}"),
        }
        let flat = BrowserPixels {
            width: 20,
            height: 20,
            rgba: vec![200; 20 * 20 * 4],
        };
        let refusals = [
            (Err(PreprocessError::Unsupported), Failure::Unsupported),
            (
                Ok(flat),
                Failure::NothingToJudge(worker_protocol::NothingToJudge::FlatColour),
            ),
        ];
        for (decoded, failure) in refusals {
            assert_eq!(
                engine.classify_decoded(4, decoded, 0.0, clock),
                WorkerOutput::Classified {
                    card: 4,
                    outcome: Err(failure)
                }
            );
        }
    }

    #[test]
    fn the_builtin_decoder_is_named_and_refusals_are_not_sent_to_the_browser() {
        let mut engine = bundled();
        match classify(&mut engine, 1, hostile_fixtures::make::png()) {
            Step::Reply(WorkerOutput::Classified {
                outcome: Ok(verdict),
                ..
            }) => assert_eq!(verdict.decoder, Decoder::Builtin),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            classify(&mut engine, 2, hostile_fixtures::make::truncated_jpeg()),
            Step::Reply(WorkerOutput::Classified {
                card: 2,
                outcome: Err(Failure::Truncated)
            })
        );
    }
}
