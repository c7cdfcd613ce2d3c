//! The messages between the page and the classifier Web Worker.
//!
//! The page sends [`WorkerInput`]s and the worker answers with [`WorkerOutput`]s. Both
//! travel as bytes ([`encode`], [`decode`]) in a `Uint8Array` whose buffer is transferred,
//! so a 60 MB model or a 20-megapixel photo is not copied through structured cloning.
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
        /// The ONNX file `model.json` names.
        #[serde(with = "serde_bytes")]
        onnx: Vec<u8>,
    },
    /// Classify one image file.
    Classify {
        /// The page's id for the file's result card.
        card: u64,
        /// The file's name, for messages.
        name: String,
        /// The file's bytes, in any format the worker may or may not understand.
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
}

/// A reply from the worker to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WorkerOutput {
    /// The worker's wasm is running and listening; messages may be sent.
    Started,
    /// The model is loaded and optimised; images can be classified.
    ModelReady {
        /// How long parsing, checking and optimising took, in milliseconds.
        load_ms: f64,
    },
    /// The model could not be loaded (message for the user, in Japanese).
    ModelFailed {
        /// What went wrong.
        message: String,
    },
    /// The outcome for one image: an answer, or a message for the user (in Japanese).
    Classified {
        /// The card this answers.
        card: u64,
        /// The answer or the error message.
        outcome: Result<Verdict, String>,
    },
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
    /// The crop that decided, for a model with crops; `None` without crops or when the
    /// best crop is the whole image.
    pub best_box: Option<BoxPx>,
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
                onnx: vec![0, 1, 2, 255],
            },
            WorkerInput::Classify {
                card: 42,
                name: "スペちゃん.png".into(),
                bytes: vec![137, 80, 78, 71],
            },
        ];
        for input in inputs {
            assert_eq!(decode::<WorkerInput>(&encode(&input)).unwrap(), input);
        }
    }

    #[test]
    fn outputs_survive_the_wire() {
        let outputs = [
            WorkerOutput::Started,
            WorkerOutput::ModelReady { load_ms: 12.5 },
            WorkerOutput::ModelFailed {
                message: "モデルを読み込めませんでした".into(),
            },
            WorkerOutput::Classified {
                card: 3,
                outcome: Ok(Verdict {
                    answer: "これは スペシャルウィーク です".into(),
                    is_special_week: true,
                    p_special_week: 0.75,
                    infer_ms: 130.0,
                    best_box: None,
                }),
            },
            WorkerOutput::Classified {
                card: 5,
                outcome: Ok(Verdict {
                    answer: "これは スペシャルウィーク です".into(),
                    is_special_week: true,
                    p_special_week: 0.5,
                    infer_ms: 1.0,
                    best_box: Some(BoxPx {
                        x: 1,
                        y: 2,
                        w: 3,
                        h: 4,
                        image_width: 640,
                        image_height: 480,
                    }),
                }),
            },
            WorkerOutput::Classified {
                card: 4,
                outcome: Err("「a.txt」は対応していない形式です。".into()),
            },
        ];
        for output in outputs {
            assert_eq!(decode::<WorkerOutput>(&encode(&output)).unwrap(), output);
        }
    }

    #[test]
    fn bytes_are_sent_compactly() {
        let input = WorkerInput::Classify {
            card: 1,
            name: String::new(),
            bytes: vec![7; 1000],
        };
        assert!(
            encode(&input).len() < 1100,
            "serde_bytes keeps a byte per byte"
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode::<WorkerOutput>(&[255, 255, 255, 255, 9]).is_err());
        assert!(decode::<WorkerInput>(&[]).is_err());
    }
}
