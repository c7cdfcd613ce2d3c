//! A loaded model: `model.json` + ONNX bytes → answers for image files.

use sha2::{Digest, Sha256};

use crate::meta::{MetaError, ModelMeta, OutputKind};
use crate::preprocess::{self, PreprocessError};
use crate::runtime::{self, Plan};

/// A model that could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// `model.json` is unusable.
    #[error(transparent)]
    Meta(#[from] MetaError),
    /// The ONNX bytes are not the file `model.json` describes.
    #[error("the ONNX file's sha256 is {actual}, but model.json expects {expected}")]
    Checksum {
        /// From `model.json`.
        expected: String,
        /// Of the bytes given.
        actual: String,
    },
    /// tract could not parse, type or plan the ONNX graph.
    #[error("the ONNX model could not be loaded: {0}")]
    Onnx(String),
}

/// An image that could not be classified.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClassifyError {
    /// The file could not be turned into model input.
    #[error(transparent)]
    Image(#[from] PreprocessError),
    /// The model failed to run or returned something unexpected.
    #[error("the model failed: {0}")]
    Model(String),
}

/// The model's answer for one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Probability of the Special Week class.
    pub p_special_week: f32,
    /// Whether `p_special_week` reaches the model's threshold.
    pub is_special_week: bool,
    /// Probabilities of all classes, in label order.
    pub probabilities: Vec<f32>,
}

/// The Japanese answer the original app gave: 「これは スペシャルウィーク です」 or
/// 「これは スペシャルウィーク以外 です」 (with the model's Japanese label names).
pub fn answer_ja(meta: &ModelMeta, prediction: &Prediction) -> String {
    format!("これは {} です", label_for(meta, prediction).ja)
}

/// The label the answer names: the Special Week label, or the first other label.
pub fn label_for<'m>(meta: &'m ModelMeta, prediction: &Prediction) -> &'m crate::meta::Label {
    let index = if prediction.is_special_week {
        meta.special_week_index
    } else {
        usize::from(meta.special_week_index == 0)
    };
    &meta.labels[index]
}

/// A model ready to classify images one at a time.
#[derive(Debug, Clone)]
pub struct Classifier {
    meta: ModelMeta,
    plan: Plan,
}

impl Classifier {
    /// Checks the bytes against `model.json`, then parses and optimises the graph once.
    pub fn load(onnx: &[u8], meta: ModelMeta) -> Result<Self, ModelError> {
        meta.validate()?;
        let actual = sha256_hex(onnx);
        if !actual.eq_ignore_ascii_case(&meta.model_sha256) {
            return Err(ModelError::Checksum {
                expected: meta.model_sha256.clone(),
                actual,
            });
        }
        let plan = runtime::load_plan(onnx, &meta.input.shape(1))
            .map_err(|e| ModelError::Onnx(format!("{e:#}")))?;
        let classifier = Self { meta, plan };
        classifier.check_output()?;
        Ok(classifier)
    }

    /// The model's metadata.
    pub fn meta(&self) -> &ModelMeta {
        &self.meta
    }

    /// Decodes, preprocesses and classifies one image file.
    pub fn classify(&self, image_bytes: &[u8]) -> Result<Prediction, ClassifyError> {
        let input = preprocess::prepare(image_bytes, &self.meta.input)?;
        self.classify_tensor(input)
    }

    /// Classifies one already preprocessed input tensor.
    pub fn classify_tensor(&self, input: Vec<f32>) -> Result<Prediction, ClassifyError> {
        let raw = runtime::run_plan(&self.plan, input, &self.meta.input.shape(1))
            .map_err(|e| ClassifyError::Model(format!("{e:#}")))?;
        if raw.len() != self.meta.labels.len() || raw.iter().any(|v| !v.is_finite()) {
            return Err(ClassifyError::Model(format!(
                "expected {} finite outputs, got {raw:?}",
                self.meta.labels.len()
            )));
        }
        let probabilities = match self.meta.output.kind {
            OutputKind::Softmax => raw,
            OutputKind::Logits => softmax(&raw),
        };
        let p_special_week = probabilities[self.meta.special_week_index];
        Ok(Prediction {
            p_special_week,
            is_special_week: p_special_week >= self.meta.threshold,
            probabilities,
        })
    }

    fn check_output(&self) -> Result<(), ModelError> {
        let side = self.meta.input.size as usize;
        let blank = vec![0.0; side * side * 3];
        self.classify_tensor(blank)
            .map(|_| ())
            .map_err(|e| ModelError::Onnx(e.to_string()))
    }
}

/// Numerically stable softmax.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
