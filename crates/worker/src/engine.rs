//! What the worker does with each request, independent of the Web Worker machinery.
//!
//! An image file comes as a handle, not as bytes, and the engine asks for what it needs
//! of it step by step ([`Step`]): first its head ([`HEAD_BYTES`], [`Engine::head`]),
//! which is enough to refuse an image over the pixel limit or to see that the classifier
//! does not read the format, and only then the whole file ([`Engine::whole`]).
//!
//! A file the classifier's own decoder does not read (AVIF, ICO…) is not refused at once:
//! the engine asks for the browser's decoder ([`Step::DecodeInBrowser`]), which reads the
//! file itself, and the pixels it makes go through the same checks, resize and model
//! ([`Engine::classify_decoded`]). So does a very large image, decoded by the browser at
//! its shrunk size ([`preprocess::shrunk_size`]).
//!
//! The engine keeps each classified image as the model saw it (a few dozen kilobytes,
//! for the last [`VIEWS_KEPT`] images), so that [`WorkerInput::Explain`] can make its
//! occlusion map without the file again.

use std::collections::VecDeque;

use classifier::crops::PixelBox;
use classifier::explain::{self, Occlusion};
use classifier::model::answer_ja;
use classifier::preprocess::{self, PreprocessError};
use classifier::{Classifier, ModelMeta, Prediction};
use image::RgbImage;

use crate::failures;
use worker_protocol::{
    BoxPx, Decoder, Failure, ModelFailure, ScoredBox, Verdict, WorkerInput, WorkerOutput,
};

/// How many classified images the engine keeps for explanations (each the model's input
/// size, e.g. 96 × 96 × 3 bytes).
pub const VIEWS_KEPT: usize = 32;

/// How much of a file the engine reads first ([`Step::ReadHead`]): 256 KiB, enough for
/// the header of every format the classifier reads, even a JPEG with large EXIF and
/// colour profile segments before its frame. A head that ends before the header does
/// costs only the whole file's read, never a refusal.
pub const HEAD_BYTES: u64 = 256 * 1024;

/// Holds the loaded model (once) and answers [`WorkerInput`]s.
#[derive(Debug, Default)]
pub struct Engine {
    classifier: Option<Classifier>,
    views: VecDeque<Kept>,
}

/// A classified image as the model saw it, kept for [`WorkerInput::Explain`].
#[derive(Debug)]
struct Kept {
    card: u64,
    view: RgbImage,
    image_size: (u32, u32),
}

/// What the worker does next for a request.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Send this answer to the page.
    Reply(WorkerOutput),
    /// Read the first [`HEAD_BYTES`] of the card's file (all of a smaller one) and hand
    /// them to [`Engine::head`].
    ReadHead {
        /// The card asking.
        card: u64,
        /// When the work on it started (for the verdict's time).
        started_ms: f64,
    },
    /// Read the whole file and hand it to [`Engine::whole`].
    ReadWhole {
        /// The card asking.
        card: u64,
        /// When the work on it started.
        started_ms: f64,
    },
    /// Decode the file with the browser, then hand the pixels to
    /// [`Engine::classify_decoded`]: the classifier does not read this format, or the image
    /// is so large that it is to be decoded straight at its shrunk size
    /// ([`preprocess::shrunk_size`]), so the full-size pixels never enter the worker's memory.
    DecodeInBrowser {
        /// The card asking.
        card: u64,
        /// The size to decode at (width, height), or `None` for the image's own size.
        size: Option<(u32, u32)>,
        /// When the work on it started.
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
                Step::Reply(match load(&meta_json, onnx) {
                    Ok(classifier) => {
                        self.classifier = Some(classifier);
                        self.views.clear();
                        WorkerOutput::ModelReady {
                            load_ms: now_ms() - start,
                        }
                    }
                    Err(failure) => WorkerOutput::ModelFailed(failure),
                })
            }
            WorkerInput::Classify { card } => match self.classifier {
                None => refuse(card, Failure::NoModel),
                Some(_) => Step::ReadHead {
                    card,
                    started_ms: now_ms(),
                },
            },
            WorkerInput::Explain { card } => Step::Reply(WorkerOutput::Explained {
                card,
                outcome: self.explain(card, now_ms),
            }),
        }
    }

    /// Goes on with a [`Step::ReadHead`] file from its head (or why it could not be read;
    /// the browser's description) and its size in bytes: refuses it when the head already
    /// says it is over the pixel limit, hands an unknown format to the browser, and asks
    /// for the whole file otherwise. A head that is the whole file is classified at once.
    pub fn head(
        &mut self,
        card: u64,
        head: Result<Vec<u8>, String>,
        file_bytes: u64,
        started_ms: f64,
        now_ms: impl Fn() -> f64,
    ) -> Step {
        let head = match head {
            Ok(head) if head.len() as u64 >= file_bytes => {
                return self.whole(card, Ok(head), started_ms, now_ms);
            }
            Ok(head) => head,
            Err(detail) => return refuse(card, Failure::Unreadable { detail }),
        };
        match preprocess::check_head(&head) {
            Err(PreprocessError::Unsupported) => Step::DecodeInBrowser {
                card,
                size: None,
                started_ms,
            },
            Err(error @ PreprocessError::TooLarge { .. }) => {
                refuse(card, failures::of_image(&error))
            }
            // Anything else may be the head ending inside the header: the whole file says.
            _ => Step::ReadWhole { card, started_ms },
        }
    }

    /// Classifies a [`Step::ReadWhole`] file from its bytes (or says why it could not be
    /// read), unless the browser is to decode it ([`Step::DecodeInBrowser`]).
    pub fn whole(
        &mut self,
        card: u64,
        bytes: Result<Vec<u8>, String>,
        started_ms: f64,
        now_ms: impl Fn() -> f64,
    ) -> Step {
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(detail) => return refuse(card, Failure::Unreadable { detail }),
        };
        let probed = preprocess::probe(&bytes);
        // The browser decodes what the classifier cannot, and very large images straight
        // at their shrunk size.
        let browser_size = match probed {
            Err(PreprocessError::Unsupported) => Some(None),
            Ok((width, height)) => preprocess::shrunk_size(width, height).map(Some),
            Err(_) => None,
        };
        if let Some(size) = browser_size {
            return Step::DecodeInBrowser {
                card,
                size,
                started_ms,
            };
        }
        let decoded = probed.and_then(|_| preprocess::decode_upright(&bytes));
        // The file's bytes go before the model runs.
        drop(bytes);
        Step::Reply(self.classify(card, decoded, Decoder::Builtin, started_ms, now_ms))
    }

    /// Classifies what the browser's decoder made of a [`Step::DecodeInBrowser`] file (or
    /// why it made nothing), held to the same limits and checks as the classifier's own.
    pub fn classify_decoded(
        &mut self,
        card: u64,
        decoded: Result<BrowserPixels, PreprocessError>,
        started_ms: f64,
        now_ms: impl Fn() -> f64,
    ) -> WorkerOutput {
        let image = decoded
            .and_then(|pixels| preprocess::from_rgba(pixels.width, pixels.height, pixels.rgba));
        self.classify(card, image, Decoder::Browser, started_ms, now_ms)
    }

    /// The verdict on a decoded image (or why there is none); keeps the image as the model
    /// saw it for [`Self::explain`].
    fn classify(
        &mut self,
        card: u64,
        decoded: Result<image::DynamicImage, PreprocessError>,
        decoder: Decoder,
        started_ms: f64,
        now_ms: impl Fn() -> f64,
    ) -> WorkerOutput {
        let Some(classifier) = &self.classifier else {
            return WorkerOutput::Classified {
                card,
                outcome: Err(Failure::NoModel),
            };
        };
        let outcome = decoded
            .and_then(preprocess::judgeable)
            .map_err(|e| failures::of_image(&e))
            .and_then(|image| {
                let meta = classifier.meta();
                let batch = preprocess::batch_tensor(&image, &meta.input, &meta.crop_boxes());
                let run_started_ms = now_ms();
                let prediction = classifier
                    .classify_batch(batch, image.width(), image.height())
                    .map_err(|e| failures::of_classify(&e))?;
                let run_ms = now_ms() - run_started_ms;
                let kept = Kept {
                    card,
                    view: classifier.view(&image),
                    image_size: image.dimensions(),
                };
                Ok((prediction, kept, run_ms))
            })
            .map(|(prediction, kept, run_ms)| {
                if self.views.len() == VIEWS_KEPT {
                    self.views.pop_front();
                }
                self.views.push_back(kept);
                let mut verdict = verdict(classifier, &prediction, decoder);
                verdict.infer_ms = now_ms() - started_ms;
                verdict.run_ms = run_ms;
                verdict
            });
        WorkerOutput::Classified { card, outcome }
    }

    /// The occlusion map of a card's image, if the engine still keeps it.
    fn explain(
        &self,
        card: u64,
        now_ms: impl Fn() -> f64,
    ) -> Result<worker_protocol::Occlusion, Failure> {
        let classifier = self.classifier.as_ref().ok_or(Failure::NoModel)?;
        let kept = self
            .views
            .iter()
            .find(|kept| kept.card == card)
            .ok_or(Failure::Forgotten)?;
        let started_ms = now_ms();
        let map = classifier
            .occlusion(&kept.view, kept.image_size, explain::GRID)
            .map_err(|e| failures::of_classify(&e))?;
        Ok(occlusion(&map, kept.image_size, now_ms() - started_ms))
    }
}

/// The answer that a card's image gets no verdict, for this reason.
fn refuse(card: u64, failure: Failure) -> Step {
    Step::Reply(WorkerOutput::Classified {
        card,
        outcome: Err(failure),
    })
}

fn load(meta_json: &str, onnx: Vec<u8>) -> Result<Classifier, ModelFailure> {
    let meta = ModelMeta::from_json(meta_json).map_err(|e| failures::of_model(&e.into()))?;
    Classifier::load(onnx, meta).map_err(|e| failures::of_model(&e))
}

/// The page's verdict from the classifier's prediction, its times still zero.
fn verdict(classifier: &Classifier, prediction: &Prediction, decoder: Decoder) -> Verdict {
    let size = (prediction.image_width, prediction.image_height);
    Verdict {
        answer: answer_ja(classifier.meta(), prediction),
        is_special_week: prediction.is_special_week,
        p_special_week: prediction.p_special_week,
        infer_ms: 0.0,
        run_ms: 0.0,
        best_box: best_box(prediction),
        decoder,
        crops: prediction
            .crops
            .iter()
            .map(|crop| scored(crop.pixel_box, crop.p_special_week, size))
            .collect(),
    }
}

/// The page's occlusion map of an `image_size` image.
fn occlusion(map: &Occlusion, image_size: (u32, u32), ms: f64) -> worker_protocol::Occlusion {
    worker_protocol::Occlusion {
        p_whole: map.p_whole,
        cells: map
            .cells
            .iter()
            .map(|cell| scored(cell.pixel_box, cell.p_special_week, image_size))
            .collect(),
        ms,
    }
}

fn scored(pixel_box: PixelBox, p_special_week: f32, image_size: (u32, u32)) -> ScoredBox {
    ScoredBox {
        region: box_px(pixel_box, image_size),
        p_special_week,
    }
}

fn box_px(PixelBox { x, y, w, h }: PixelBox, (image_width, image_height): (u32, u32)) -> BoxPx {
    BoxPx {
        x,
        y,
        w,
        h,
        image_width,
        image_height,
    }
}

/// The deciding crop for the page, unless it is the whole image (always so without crops).
fn best_box(prediction: &Prediction) -> Option<BoxPx> {
    let size = (prediction.image_width, prediction.image_height);
    (prediction.best_box != PixelBox::whole(size.0, size.1))
        .then(|| box_px(prediction.best_box, size))
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

    fn bundled_input() -> WorkerInput {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../model");
        let meta_json = std::fs::read_to_string(dir.join("model.json")).unwrap();
        let meta = ModelMeta::from_json(&meta_json).unwrap();
        let onnx = std::fs::read(dir.join(&meta.model_file)).unwrap();
        WorkerInput::LoadModel { meta_json, onnx }
    }

    fn bundled() -> Engine {
        let mut engine = Engine::default();
        let loaded = engine.handle(bundled_input(), clock);
        assert!(
            matches!(loaded, Step::Reply(WorkerOutput::ModelReady { .. })),
            "{loaded:?}"
        );
        engine
    }

    /// What the worker does with a file of `bytes`: the engine's steps, reading from
    /// `bytes` as the worker reads from the file, until it answers or asks for the
    /// browser's decoder. Gives that last step and the reads it asked for.
    fn run(
        engine: &mut Engine,
        card: u64,
        bytes: &[u8],
        now_ms: &dyn Fn() -> f64,
    ) -> (Step, Vec<&'static str>) {
        let mut reads = Vec::new();
        let mut step = engine.handle(WorkerInput::Classify { card }, now_ms);
        loop {
            step = match step {
                Step::ReadHead { card, started_ms } => {
                    reads.push("head");
                    let head = bytes[..bytes.len().min(HEAD_BYTES as usize)].to_vec();
                    engine.head(card, Ok(head), bytes.len() as u64, started_ms, now_ms)
                }
                Step::ReadWhole { card, started_ms } => {
                    reads.push("whole");
                    engine.whole(card, Ok(bytes.to_vec()), started_ms, now_ms)
                }
                answer => return (answer, reads),
            }
        }
    }

    fn classify(engine: &mut Engine, card: u64, bytes: Vec<u8>) -> Step {
        run(engine, card, &bytes, &clock).0
    }

    fn refused(card: u64, failure: Failure) -> Step {
        Step::Reply(WorkerOutput::Classified {
            card,
            outcome: Err(failure),
        })
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
            classify(&mut engine, 3, avif),
            Step::DecodeInBrowser {
                card: 3,
                size: None,
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

    fn explain(engine: &mut Engine, card: u64) -> Result<worker_protocol::Occlusion, Failure> {
        match engine.handle(WorkerInput::Explain { card }, clock) {
            Step::Reply(WorkerOutput::Explained {
                card: answered,
                outcome,
            }) => {
                assert_eq!(answered, card);
                outcome
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    fn verdict_of(step: Step) -> Verdict {
        match step {
            Step::Reply(WorkerOutput::Classified {
                outcome: Ok(verdict),
                ..
            }) => verdict,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_classified_image_can_be_explained_and_every_crop_is_reported() {
        let mut engine = bundled();
        assert_eq!(explain(&mut engine, 1), Err(Failure::Forgotten));
        let png = hostile_fixtures::make::png();
        let verdict = verdict_of(classify(&mut engine, 1, png));
        let whole = verdict.crops[0].region;
        assert_eq!(verdict.crops.len(), 1, "the bundled model has no crops");
        assert_eq!((whole.x, whole.y), (0, 0));
        assert_eq!((whole.w, whole.h), (whole.image_width, whole.image_height));
        assert_eq!(verdict.crops[0].p_special_week, verdict.p_special_week);

        let map = explain(&mut engine, 1).expect("the image is kept");
        assert!((map.p_whole - verdict.p_special_week).abs() < 1e-5);
        assert_eq!(map.cells.len(), (explain::GRID * explain::GRID) as usize);
        let area: u32 = map.cells.iter().map(|c| c.region.w * c.region.h).sum();
        assert_eq!(area, whole.w * whole.h);
        assert_eq!(explain(&mut engine, 2), Err(Failure::Forgotten));
    }

    #[test]
    fn only_the_last_images_are_kept_and_a_new_model_forgets_them() {
        let mut engine = bundled();
        let picture = |seed: u32| {
            let image = image::RgbImage::from_fn(16, 16, |x, y| {
                image::Rgb([(x * 16 + seed) as u8, (y * 16) as u8, (x * y + seed) as u8])
            });
            let mut bytes = std::io::Cursor::new(Vec::new());
            image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
            bytes.into_inner()
        };
        for card in 0..=VIEWS_KEPT as u64 {
            verdict_of(classify(&mut engine, card, picture(card as u32)));
        }
        assert_eq!(explain(&mut engine, 0), Err(Failure::Forgotten));
        assert!(explain(&mut engine, 1).is_ok());
        let reloaded = bundled_input();
        engine.handle(reloaded, clock);
        assert_eq!(explain(&mut engine, 1), Err(Failure::Forgotten));
    }

    #[test]
    fn the_model_run_is_timed_inside_the_whole_classify() {
        let mut engine = bundled();
        // A clock that ticks 1 ms per reading: start, run start, run end, end.
        let ticks = std::cell::Cell::new(0.0);
        let tick = || {
            ticks.set(ticks.get() + 1.0);
            ticks.get()
        };
        let (step, _) = run(&mut engine, 1, &hostile_fixtures::make::png(), &tick);
        let verdict = verdict_of(step);
        assert_eq!((verdict.run_ms, verdict.infer_ms), (1.0, 3.0));
    }

    #[test]
    fn a_very_large_image_goes_to_the_browser_at_its_shrunk_size() {
        let mut engine = bundled();
        let large = hostile_fixtures::make::png_sized(5000, 4000);
        match classify(&mut engine, 5, large) {
            Step::DecodeInBrowser {
                card: 5,
                size: Some((2048, 1638)),
                ..
            } => {}
            other => panic!("unexpected {other:?}"),
        }
        let shrunk = image::DynamicImage::ImageRgb8(hostile_fixtures::make::picture(2048, 1638));
        let pixels = BrowserPixels {
            width: 2048,
            height: 1638,
            rgba: shrunk.to_rgba8().into_raw(),
        };
        let verdict = match engine.classify_decoded(5, Ok(pixels), 0.0, clock) {
            WorkerOutput::Classified {
                outcome: Ok(verdict),
                ..
            } => verdict,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(verdict.decoder, Decoder::Browser);
        assert_eq!(verdict.crops[0].region.image_width, 2048);
        // At the threshold the classifier decodes it itself.
        let at_threshold = hostile_fixtures::make::png_sized(4096, 4096);
        assert_eq!(
            verdict_of(classify(&mut engine, 6, at_threshold)).decoder,
            Decoder::Builtin
        );
    }

    /// `bytes` with zeros after them up to twice [`HEAD_BYTES`]: past the end of an image,
    /// where its decoder never looks.
    fn padded(mut bytes: Vec<u8>) -> Vec<u8> {
        bytes.resize(2 * HEAD_BYTES as usize, 0);
        bytes
    }

    #[test]
    fn a_file_over_the_pixel_limit_or_of_an_unknown_format_is_judged_by_its_head_alone() {
        use hostile_fixtures::make;
        let mut engine = bundled();
        for bomb in [make::bomb_png(), make::bomb_gif()] {
            let (step, reads) = run(&mut engine, 1, &padded(bomb), &clock);
            let size = Some((30_000, 30_000));
            let limit_pixels = preprocess::MAX_PIXELS;
            assert_eq!(step, refused(1, Failure::TooLarge { size, limit_pixels }));
            assert_eq!(reads, ["head"]);
        }
        for unknown in [make::zeros(5 * HEAD_BYTES as usize), padded(make::avif())] {
            let (step, reads) = run(&mut engine, 2, &unknown, &clock);
            let browser = Step::DecodeInBrowser {
                card: 2,
                size: None,
                started_ms: 0.0,
            };
            assert_eq!((step, reads), (browser, vec!["head"]));
        }
    }

    #[test]
    fn a_small_file_is_read_once_and_a_larger_one_whole_after_its_head() {
        use hostile_fixtures::make;
        let mut engine = bundled();
        let (step, reads) = run(&mut engine, 1, &make::png(), &clock);
        assert_eq!(verdict_of(step).decoder, Decoder::Builtin);
        assert_eq!(reads, ["head"]);
        let (step, reads) = run(&mut engine, 2, &make::empty(), &clock);
        assert_eq!((step, reads), (refused(2, Failure::Empty), vec!["head"]));
        // A JPEG whose header outgrows the head (segments an application may add, as large
        // as EXIF or a colour profile can be): the head is cut off, the file is not.
        let jpeg = make::jpeg();
        let segment = |_| {
            let mut segment = vec![0xFF, 0xEF, 0xFF, 0xFF];
            segment.resize(2 + 0xFFFF, b'x');
            segment
        };
        let padding: Vec<u8> = (0..5).flat_map(segment).collect();
        let long_header = [&jpeg[..2], &padding, &jpeg[2..]].concat();
        assert!(long_header.len() as u64 > HEAD_BYTES + 0xFFFF);
        assert!(preprocess::check_head(&long_header[..HEAD_BYTES as usize]).is_err());
        let (step, reads) = run(&mut engine, 3, &long_header, &clock);
        assert_eq!(verdict_of(step).decoder, Decoder::Builtin);
        assert_eq!(reads, ["head", "whole"]);
        // A cut-off file whose head passes is refused from the whole file.
        let truncated = make::truncated_png();
        let cut = truncated.len() / 2;
        let head = truncated[..cut].to_vec();
        assert_eq!(preprocess::check_head(&head), Ok(()));
        let size = truncated.len() as u64;
        assert_eq!(
            engine.head(4, Ok(head), size, 0.0, clock),
            Step::ReadWhole {
                card: 4,
                started_ms: 0.0
            }
        );
        assert_eq!(
            engine.whole(4, Ok(truncated), 0.0, clock),
            refused(4, Failure::Truncated)
        );
    }

    #[test]
    fn a_file_the_browser_cannot_read_is_refused_as_unreadable() {
        let mut engine = bundled();
        let unreadable = || Err("NotReadableError".to_string());
        let failure = Failure::Unreadable {
            detail: "NotReadableError".into(),
        };
        assert_eq!(
            engine.head(1, unreadable(), 1000, 0.0, clock),
            refused(1, failure.clone())
        );
        assert_eq!(
            engine.whole(2, unreadable(), 0.0, clock),
            refused(2, failure)
        );
    }
}
