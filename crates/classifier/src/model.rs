//! A loaded model: `model.json` + ONNX bytes → answers for image files.
//!
//! The graph is planned once for a fixed batch of N = the number of crops
//! ([`ModelMeta::crop_boxes`]); each image is decoded once, its N crops run as one batch
//! and max-pooled ([`crate::pooling`]). Memory for activations grows with N, so `crops`
//! lists should stay short (a handful of boxes).

use image::{DynamicImage, RgbImage};
use sha2::{Digest, Sha256};

use crate::crops::{CropBox, PixelBox};
use crate::meta::{MetaError, ModelMeta, OutputKind};
use crate::pooling::max_pool;
pub use crate::pooling::{CropScore, Prediction};
use crate::preprocess::{self, PreprocessError};
use crate::runtime::{self, Plan};
use tract_onnx::prelude::DatumType;

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
    crops: Vec<CropBox>,
    plan: Plan,
}

impl Classifier {
    /// Checks the bytes against `model.json`, then parses and optimises the graph once,
    /// for a batch of one input per crop, and checks that its output fits that batch. The
    /// bytes are taken so that they are freed as soon as they are parsed.
    pub fn load(onnx: Vec<u8>, meta: ModelMeta) -> Result<Self, ModelError> {
        meta.validate()?;
        let actual = sha256_hex(&onnx);
        if !actual.eq_ignore_ascii_case(&meta.model_sha256) {
            return Err(ModelError::Checksum {
                expected: meta.model_sha256.clone(),
                actual,
            });
        }
        let crops = meta.crop_boxes();
        let plan = runtime::load_plan(onnx, &meta.input.shape(crops.len()))
            .map_err(|e| ModelError::Onnx(format!("{e:#}")))?;
        let classifier = Self { meta, crops, plan };
        classifier.check_output()?;
        Ok(classifier)
    }

    /// The model's metadata.
    pub fn meta(&self) -> &ModelMeta {
        &self.meta
    }

    /// Decodes the image file once ([`preprocess::decode_upright`]) and classifies it
    /// ([`Self::classify_image`]).
    pub fn classify(&self, image_bytes: &[u8]) -> Result<Prediction, ClassifyError> {
        self.classify_image(preprocess::decode_upright(image_bytes)?)
    }

    /// Classifies a decoded image ([`Self::classify_judgeable`]), unless it has nothing
    /// to judge ([`preprocess::judgeable`]).
    pub fn classify_image(&self, image: DynamicImage) -> Result<Prediction, ClassifyError> {
        self.classify_judgeable(&preprocess::judgeable(image)?)
    }

    /// Classifies an image [`preprocess::judgeable`] let through: every crop
    /// preprocessed into one batch ([`preprocess::batch_tensor`]) and classified
    /// ([`Self::classify_batch`]).
    pub fn classify_judgeable(&self, image: &RgbImage) -> Result<Prediction, ClassifyError> {
        let batch = preprocess::batch_tensor(image, &self.meta.input, &self.crops);
        self.classify_batch(batch, image.width(), image.height())
    }

    /// Classifies one batch made by [`preprocess::batch_tensor`] with this model's crops
    /// from a decoded image of `image_width`×`image_height` pixels; the crop with the
    /// highest Special Week probability decides.
    pub fn classify_batch(
        &self,
        batch: Vec<f32>,
        image_width: u32,
        image_height: u32,
    ) -> Result<Prediction, ClassifyError> {
        let rows = self.run(batch)?;
        let boxes: Vec<PixelBox> = self
            .crops
            .iter()
            .map(|crop| crop.to_pixels(image_width, image_height))
            .collect();
        Ok(self.pool(rows, &boxes, (image_width, image_height)))
    }

    /// Classifies ONE already preprocessed input image as it is, without crops (e.g. to
    /// compare the exported model with the trainer's). With N > 1 crops the plan still
    /// runs a batch of N: the input fills the first slot and zeros the rest, so this costs
    /// N images' time. Boxes in the answer are in the input's pixels (size × size).
    pub fn classify_tensor(&self, mut input: Vec<f32>) -> Result<Prediction, ClassifyError> {
        input.resize(input.len() * self.crops.len(), 0.0);
        let first = self.run(input)?.swap_remove(0);
        let side = self.meta.input.size;
        Ok(self.pool(vec![first], &[PixelBox::whole(side, side)], (side, side)))
    }

    /// The Special Week probability of each of any number of preprocessed input images,
    /// each seen as it is (no crops): they run in batches of the plan's size, the last one
    /// padded with zeros.
    pub(crate) fn p_special_week_each(
        &self,
        inputs: &[Vec<f32>],
    ) -> Result<Vec<f32>, ClassifyError> {
        let n = self.crops.len();
        let mut probabilities = Vec::with_capacity(inputs.len());
        for chunk in inputs.chunks(n) {
            let mut batch: Vec<f32> = chunk.concat();
            batch.resize(chunk[0].len() * n, 0.0);
            let rows = self.run(batch)?;
            probabilities.extend(
                rows.iter()
                    .take(chunk.len())
                    .map(|row| row[self.meta.special_week_index]),
            );
        }
        Ok(probabilities)
    }

    /// Runs one batch of `self.crops.len()` inputs; one row of probabilities per input.
    fn run(&self, batch: Vec<f32>) -> Result<Vec<Vec<f32>>, ClassifyError> {
        let n = self.crops.len();
        let classes = self.meta.labels.len();
        let raw = runtime::run_plan(&self.plan, batch, &self.meta.input.shape(n))
            .map_err(|e| ClassifyError::Model(format!("{e:#}")))?;
        if raw.len() != n * classes || raw.iter().any(|v| !v.is_finite()) {
            return Err(ClassifyError::Model(format!(
                "expected {n}×{classes} finite outputs, got {raw:?}"
            )));
        }
        Ok(raw
            .chunks(classes)
            .map(|row| match self.meta.output.kind {
                OutputKind::Softmax => row.to_vec(),
                OutputKind::Logits => softmax(row),
            })
            .collect())
    }

    fn pool(&self, rows: Vec<Vec<f32>>, boxes: &[PixelBox], size: (u32, u32)) -> Prediction {
        max_pool(
            rows,
            boxes,
            size,
            self.meta.special_week_index,
            self.meta.threshold,
        )
    }

    /// Checks, from the planned graph's types (without running it, which would cost one
    /// more image's time before the first answer), that the first output is an f32 tensor
    /// of one row of `labels` values per input of the batch.
    fn check_output(&self) -> Result<(), ModelError> {
        let expected = [self.crops.len(), self.meta.labels.len()];
        let fact =
            runtime::output_fact(&self.plan).map_err(|e| ModelError::Onnx(format!("{e:#}")))?;
        if fact.0 != DatumType::F32 || fact.1.as_deref() != Some(expected.as_slice()) {
            return Err(ModelError::Onnx(format!(
                "the first output is {:?} of shape {:?}, expected f32 of shape {expected:?} \
                 (one row of {} values, one per label, for each of the {} inputs)",
                fact.0, fact.1, expected[1], expected[0],
            )));
        }
        Ok(())
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
