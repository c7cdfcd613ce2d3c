//! The messages between the page and the classifier Web Worker.
//!
//! The page sends [`WorkerInput`]s and the worker answers with [`WorkerOutput`]s. Both
//! travel as bytes ([`encode`], [`decode`]) in a `Uint8Array` whose buffer is transferred.
//!
//! The model's ONNX bytes are not part of the encoded [`WorkerInput::LoadModel`]: they
//! travel as the message's second element, a `Uint8Array` of their own whose buffer is
//! transferred too, so the page copies them once (out of its wasm memory) and never
//! encodes them. A `LoadModel` without them is answered as [`WorkerOutput::Garbled`].
//!
//! An image file does not travel as bytes: the page never reads it. Each message from the
//! page is a JS array whose first element is the encoded [`WorkerInput`]; for
//! [`WorkerInput::Classify`] its second element is the user's `File` (a `Blob`, which
//! structured cloning shares without copying its data). The worker reads the file's head
//! first and refuses a huge image or hands an unknown format to the browser's decoder
//! before it reads the whole file. A `Classify` without its file is answered as
//! [`WorkerOutput::Garbled`]. The worker's answers are the bare `Uint8Array`.
//!
//! This crate has no model code, so the page's wasm stays small.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A request from the page to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WorkerInput {
    /// Load the model once: the text of `model.json` and the ONNX file's bytes.
    LoadModel {
        /// The text of `model.json`.
        meta_json: String,
        /// The ONNX file `model.json` names: not encoded, but posted beside the request
        /// (see the crate's documentation) and put here by the worker.
        #[serde(skip)]
        onnx: Vec<u8>,
    },
    /// Classify the image file posted beside this request (see the crate's documentation),
    /// in any format the worker may or may not understand.
    Classify {
        /// The page's id for the file's result card.
        card: u64,
    },
    /// Say where in a classified image the answer comes from (an occlusion map), for a
    /// model without crops. The worker keeps what it needs of the last images it
    /// classified; an older one gets [`Failure::Forgotten`].
    Explain {
        /// The card of the classified image.
        card: u64,
    },
}

/// A [`WorkerInput`] that borrows its text and bytes, so the page can post a request
/// without copying the model into it first (the bytes are posted beside the encoded
/// request). Its wire format is [`WorkerInput`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename = "WorkerInput")]
pub enum WorkerInputRef<'a> {
    /// [`WorkerInput::LoadModel`].
    LoadModel {
        /// The text of `model.json`.
        meta_json: &'a str,
        /// The ONNX file `model.json` names, which the page posts beside the request.
        #[serde(skip)]
        onnx: &'a [u8],
    },
    /// [`WorkerInput::Classify`].
    Classify {
        /// The page's id for the file's result card.
        card: u64,
    },
    /// [`WorkerInput::Explain`].
    Explain {
        /// The card of the classified image.
        card: u64,
    },
}

/// A reply from the worker to the page.
///
/// The worker answers requests one at a time, in the order they were posted, so a reply
/// that names no card or model answers the oldest request still unanswered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WorkerOutput {
    /// The worker's wasm is running and listening; messages may be sent.
    Started,
    /// The model is loaded and optimised; images can be classified.
    ModelReady {
        /// How long parsing, checking and optimising took, in milliseconds.
        load_ms: f64,
    },
    /// The model could not be loaded; the model the worker had before (if any) stays.
    ModelFailed(ModelFailure),
    /// The outcome for one image: an answer, or why there is none.
    Classified {
        /// The card this answers.
        card: u64,
        /// The answer or the failure.
        outcome: Result<Verdict, Failure>,
    },
    /// The occlusion map asked for with [`WorkerInput::Explain`], or why there is none.
    Explained {
        /// The card this answers.
        card: u64,
        /// The map or the failure.
        outcome: Result<Occlusion, Failure>,
    },
    /// The oldest unanswered request could not be decoded (the page and the worker are
    /// from different builds). Nothing changed in the worker: a loaded model stays loaded.
    Garbled {
        /// The decoder's description, for diagnostics.
        detail: String,
    },
}

/// Why the worker refused a model. The page words it for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModelFailure {
    /// `model.json` is not valid JSON, or has fields missing, unknown or mistyped.
    MetaInvalid {
        /// The parser's description.
        detail: String,
    },
    /// `model.json` parses, but its fields contradict each other or are out of range.
    MetaInconsistent {
        /// Which fields and why.
        detail: String,
    },
    /// The ONNX bytes are not the file `model.json` describes.
    Checksum {
        /// The sha256 `model.json` expects.
        expected: String,
        /// The sha256 of the bytes given.
        actual: String,
    },
    /// The ONNX graph could not be parsed, typed or planned.
    Onnx {
        /// tract's description.
        detail: String,
    },
}

/// Why one image got no verdict. The page words it for people, with the file's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Failure {
    /// The file could not be read (it was moved, deleted or changed since it was chosen).
    Unreadable {
        /// The browser's description.
        detail: String,
    },
    /// The file has no bytes at all.
    Empty,
    /// The bytes are not in an image format the worker (nor the browser) can decode.
    Unsupported,
    /// The image has more pixels than the worker accepts.
    TooLarge {
        /// Width and height in pixels, when the decoder got that far.
        size: Option<(u32, u32)>,
        /// The limit in pixels.
        limit_pixels: u64,
    },
    /// The file ends before the image does.
    Truncated,
    /// The format was recognised but the data is damaged.
    Corrupt {
        /// The decoder's description.
        detail: String,
    },
    /// The image decodes but has nothing to judge.
    NothingToJudge(NothingToJudge),
    /// The model failed to run on the image or returned something unexpected.
    ModelRun {
        /// What went wrong.
        detail: String,
    },
    /// The image arrived before any model was loaded.
    NoModel,
    /// An explanation was asked for an image the worker no longer holds (it restarted
    /// since, or many images came after it).
    Forgotten,
}

/// Why a decoded image has nothing to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NothingToJudge {
    /// Narrower or lower than `min_side` pixels.
    TooSmall {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The smallest side judged, in pixels.
        min_side: u32,
    },
    /// Every pixel is fully transparent.
    Transparent,
    /// The whole image is one flat colour.
    FlatColour,
}

/// Which decoder turned the file into pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decoder {
    /// The classifier's own (the `image` crate), as natively.
    Builtin,
    /// The browser's (`createImageBitmap`), for a format the classifier does not read.
    Browser,
}

/// The model's answer for one image, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// 「これは スペシャルウィーク です」 or 「これは スペシャルウィーク以外 です」.
    pub answer: String,
    /// Whether the answer is "Special Week".
    pub is_special_week: bool,
    /// The probability of Special Week, 0..=1.
    pub p_special_week: f32,
    /// Time to decode, preprocess and run the model, in milliseconds.
    pub infer_ms: f64,
    /// Time of the model run alone (the crop batch through the network), in milliseconds.
    pub run_ms: f64,
    /// The crop that decided, for a model with crops; `None` without crops or when the
    /// best crop is the whole image.
    pub best_box: Option<BoxPx>,
    /// The decoder that made the pixels.
    pub decoder: Decoder,
    /// Every crop the model looked at with its score, in the order of `model.json`'s
    /// `crops`; the whole image alone for a model without crops.
    pub crops: Vec<ScoredBox>,
}

/// A part of an image and the probability of Special Week that goes with it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoredBox {
    /// The part, in pixels of the decoded image.
    pub region: BoxPx,
    /// The probability of Special Week, 0..=1: of the crop alone, or of the image with
    /// this part covered (in an [`Occlusion`]).
    pub p_special_week: f32,
}

/// Where in an image the answer comes from: the image as the model sees it, with one cell
/// of a grid covered at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occlusion {
    /// The probability of Special Week with nothing covered.
    pub p_whole: f32,
    /// One per cell, row by row from the top left, with the probability while it is covered.
    pub cells: Vec<ScoredBox>,
    /// How long the model runs took, in milliseconds.
    pub ms: f64,
}

/// A box in pixels of the decoded (upright) image, with that image's size so the page
/// can place it over the preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoxPx {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width in pixels.
    pub w: u32,
    /// Height in pixels.
    pub h: u32,
    /// Width of the whole image in pixels.
    pub image_width: u32,
    /// Height of the whole image in pixels.
    pub image_height: u32,
}

/// A message that could not be decoded (the two sides are from different builds).
#[derive(Debug, thiserror::Error)]
#[error("a worker message could not be decoded: {0}")]
pub struct DecodeError(String);

/// The bytes of a message.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    bincode::serialize(message).expect("worker messages are plain data and always encode")
}

/// A message from its bytes.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    bincode::deserialize(bytes).map_err(|e| DecodeError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_survive_the_wire() {
        let inputs = [
            WorkerInput::LoadModel {
                meta_json: "{\"a\": 1}".into(),
                onnx: vec![],
            },
            WorkerInput::Classify { card: 42 },
            WorkerInput::Explain { card: 42 },
        ];
        for input in inputs {
            assert_eq!(decode::<WorkerInput>(&encode(&input)).unwrap(), input);
        }
    }

    #[test]
    fn borrowed_inputs_decode_as_inputs() {
        let onnx = [0, 1, 2, 255];
        assert_eq!(
            decode::<WorkerInput>(&encode(&WorkerInputRef::LoadModel {
                meta_json: "{}",
                onnx: &onnx,
            }))
            .unwrap(),
            WorkerInput::LoadModel {
                meta_json: "{}".into(),
                onnx: vec![],
            },
            "the bytes travel beside the request"
        );
        assert_eq!(
            decode::<WorkerInput>(&encode(&WorkerInputRef::Classify { card: 9 })).unwrap(),
            WorkerInput::Classify { card: 9 }
        );
        assert_eq!(
            decode::<WorkerInput>(&encode(&WorkerInputRef::Explain { card: 3 })).unwrap(),
            WorkerInput::Explain { card: 3 }
        );
    }

    fn region(x: u32, y: u32, w: u32, h: u32) -> BoxPx {
        BoxPx {
            x,
            y,
            w,
            h,
            image_width: 640,
            image_height: 480,
        }
    }

    #[test]
    fn outputs_survive_the_wire() {
        let outputs = [
            WorkerOutput::Started,
            WorkerOutput::ModelReady { load_ms: 12.5 },
            WorkerOutput::ModelFailed(ModelFailure::Checksum {
                expected: "ab".into(),
                actual: "cd".into(),
            }),
            WorkerOutput::ModelFailed(ModelFailure::MetaInvalid {
                detail: "EOF".into(),
            }),
            WorkerOutput::Garbled {
                detail: "unexpected end".into(),
            },
            WorkerOutput::Classified {
                card: 3,
                outcome: Ok(Verdict {
                    answer: "これは スペシャルウィーク です".into(),
                    is_special_week: true,
                    p_special_week: 0.75,
                    infer_ms: 130.0,
                    run_ms: 100.0,
                    best_box: None,
                    decoder: Decoder::Builtin,
                    crops: vec![],
                }),
            },
            WorkerOutput::Classified {
                card: 5,
                outcome: Ok(Verdict {
                    answer: "これは スペシャルウィーク です".into(),
                    is_special_week: true,
                    p_special_week: 0.5,
                    infer_ms: 1.0,
                    run_ms: 0.5,
                    best_box: Some(region(1, 2, 3, 4)),
                    decoder: Decoder::Browser,
                    crops: vec![ScoredBox {
                        region: region(1, 2, 3, 4),
                        p_special_week: 0.5,
                    }],
                }),
            },
            WorkerOutput::Explained {
                card: 5,
                outcome: Ok(Occlusion {
                    p_whole: 0.9,
                    cells: vec![ScoredBox {
                        region: region(0, 0, 320, 240),
                        p_special_week: 0.25,
                    }],
                    ms: 1500.5,
                }),
            },
            WorkerOutput::Explained {
                card: 2,
                outcome: Err(Failure::Forgotten),
            },
            WorkerOutput::Classified {
                card: 4,
                outcome: Err(Failure::Unsupported),
            },
            WorkerOutput::Classified {
                card: 6,
                outcome: Err(Failure::TooLarge {
                    size: Some((9000, 8000)),
                    limit_pixels: 64_000_000,
                }),
            },
            WorkerOutput::Classified {
                card: 7,
                outcome: Err(Failure::NothingToJudge(NothingToJudge::TooSmall {
                    width: 1,
                    height: 1,
                    min_side: 16,
                })),
            },
            WorkerOutput::Classified {
                card: 8,
                outcome: Err(Failure::Truncated),
            },
            WorkerOutput::Classified {
                card: 9,
                outcome: Err(Failure::Unreadable {
                    detail: "NotReadableError".into(),
                }),
            },
        ];
        for output in outputs {
            assert_eq!(decode::<WorkerOutput>(&encode(&output)).unwrap(), output);
        }
    }

    #[test]
    fn the_model_bytes_are_not_encoded() {
        let input = WorkerInputRef::LoadModel {
            meta_json: "",
            onnx: &[7; 1000],
        };
        assert!(encode(&input).len() < 100, "{} bytes", encode(&input).len());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode::<WorkerOutput>(&[255, 255, 255, 255, 9]).is_err());
        assert!(decode::<WorkerInput>(&[]).is_err());
    }
}
