//! The messages between the page and the classifier worker.

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
}
