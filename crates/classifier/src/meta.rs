//! `model.json`: what a consumer must know to feed a model and read its answer.
//!
//! The runtime fields (input, output, labels, threshold) are typed and validated; the
//! report fields the trainer writes (base provenance, dataset summary, metrics) are kept
//! as opaque JSON so the browser does not need to know their shape.

use serde::{Deserialize, Serialize};

use crate::crops::{self, CropBox};

/// The contents of `model.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelMeta {
    /// Version of this file's format.
    pub format_version: u32,
    /// File name of the ONNX model, relative to `model.json`.
    pub model_file: String,
    /// Lower-case hex SHA-256 of the ONNX file.
    pub model_sha256: String,
    /// How the image is fed to the model.
    pub input: InputSpec,
    /// What the model's output means.
    pub output: OutputSpec,
    /// Class names, in the order of the model's outputs.
    pub labels: Vec<Label>,
    /// Index into `labels` of the "Special Week" class.
    pub special_week_index: usize,
    /// Probability of Special Week at or above which the answer is "Special Week".
    pub threshold: f32,
    /// Boxes of the image to classify, as fractions of its width and height; the highest
    /// Special Week probability over them is the answer. Absent: the whole image only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crops: Option<Vec<CropBox>>,
    /// Where the conv base's weights come from (trainer report, opaque here).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub base: serde_json::Value,
    /// What the model was trained on (trainer report, opaque here).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub dataset: serde_json::Value,
    /// Measured quality (trainer report, opaque here).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub metrics: serde_json::Value,
}

/// How an image becomes the model's input tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Name of the ONNX graph input.
    pub name: String,
    /// Side of the square input, in pixels.
    pub size: u32,
    /// Tensor layout.
    pub layout: Layout,
    /// Order of the colour channels in the tensor.
    pub channel_order: ChannelOrder,
    /// Filter used to resize the decoded image to `size`×`size`.
    pub resize_filter: ResizeFilter,
    /// Each 0..=255 value is multiplied by `scale`, then `mean` is subtracted and the
    /// result divided by `std` (per channel, in `channel_order`).
    pub scale: f32,
    /// Per-channel mean, in `channel_order`.
    pub mean: [f32; 3],
    /// Per-channel standard deviation, in `channel_order`.
    pub std: [f32; 3],
}

/// Tensor layout of the image input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layout {
    /// Batch, height, width, channels (Keras).
    #[serde(rename = "NHWC")]
    Nhwc,
    /// Batch, channels, height, width (PyTorch).
    #[serde(rename = "NCHW")]
    Nchw,
}

/// Order of the colour channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelOrder {
    /// Red, green, blue.
    #[serde(rename = "RGB")]
    Rgb,
    /// Blue, green, red (what OpenCV decodes to).
    #[serde(rename = "BGR")]
    Bgr,
}

/// What the model's output means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Name of the ONNX graph output.
    pub name: String,
    /// Whether the output is already probabilities or still logits.
    pub kind: OutputKind,
}

/// Kind of the model's output values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// Probabilities that sum to one.
    Softmax,
    /// Unnormalised scores; softmax is applied by the consumer.
    Logits,
}

/// A class name in Japanese (shown to users) and English (for scripts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// Japanese name, e.g. 「スペシャルウィーク」.
    pub ja: String,
    /// English name, e.g. "special_week".
    pub en: String,
}

/// `model.json` could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaError {
    /// Not valid JSON, or fields missing, unknown or of the wrong type.
    #[error("model.json is not valid: {0}")]
    Parse(String),
    /// Fields that parse but contradict each other or are out of range.
    #[error("model.json is inconsistent: {0}")]
    Inconsistent(String),
}

/// The version of `model.json` this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

impl ModelMeta {
    /// Parses and validates `model.json`.
    pub fn from_json(text: &str) -> Result<Self, MetaError> {
        let meta: Self = serde_json::from_str(text).map_err(|e| MetaError::Parse(e.to_string()))?;
        meta.validate()?;
        Ok(meta)
    }

    /// Serialises to pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("ModelMeta always serialises")
    }

    /// Checks ranges and cross-field consistency.
    pub fn validate(&self) -> Result<(), MetaError> {
        let fail = |why: String| Err(MetaError::Inconsistent(why));
        if self.format_version != FORMAT_VERSION {
            return fail(format!(
                "format_version {} is not the supported {FORMAT_VERSION}",
                self.format_version
            ));
        }
        if !(8..=1024).contains(&self.input.size) {
            return fail(format!(
                "input.size {} is outside 8..=1024",
                self.input.size
            ));
        }
        if !self.input.scale.is_finite() || self.input.scale <= 0.0 {
            return fail(format!("input.scale {} must be positive", self.input.scale));
        }
        if self.input.std.iter().any(|s| !s.is_finite() || *s <= 0.0)
            || self.input.mean.iter().any(|m| !m.is_finite())
        {
            return fail("input.mean must be finite and input.std positive".into());
        }
        if self.labels.len() < 2 {
            return fail(format!(
                "{} label(s); a classifier needs at least 2",
                self.labels.len()
            ));
        }
        if self.special_week_index >= self.labels.len() {
            return fail(format!(
                "special_week_index {} but only {} labels",
                self.special_week_index,
                self.labels.len()
            ));
        }
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return fail(format!("threshold {} is outside (0, 1)", self.threshold));
        }
        self.validate_crops()
    }

    /// The boxes to classify, in batch order: the `crops` list, or the whole image.
    pub fn crop_boxes(&self) -> Vec<CropBox> {
        self.crops.clone().unwrap_or_else(|| vec![crops::whole()])
    }

    fn validate_crops(&self) -> Result<(), MetaError> {
        let Some(boxes) = &self.crops else {
            return Ok(());
        };
        if boxes.is_empty() {
            return Err(MetaError::Inconsistent(
                "crops is empty; leave it out to classify the whole image".into(),
            ));
        }
        match boxes
            .iter()
            .enumerate()
            .find_map(|(i, b)| Some((i, b, b.problem()?)))
        {
            Some((index, b, why)) => Err(MetaError::Inconsistent(format!(
                "crops[{index}] {{x: {}, y: {}, w: {}, h: {}}} {why}",
                b.x, b.y, b.w, b.h
            ))),
            None => Ok(()),
        }
    }
}

impl InputSpec {
    /// The input of the models this project exports: graph input `image`, NHWC, RGB,
    /// 0..=255 (the ImageNet mean subtraction happens inside the graph).
    pub fn plain_rgb(size: u32, resize_filter: ResizeFilter) -> Self {
        Self {
            name: "image".into(),
            size,
            layout: Layout::Nhwc,
            channel_order: ChannelOrder::Rgb,
            resize_filter,
            scale: 1.0,
            mean: [0.0; 3],
            std: [1.0; 3],
        }
    }

    /// Shape of a batch of `batch` images.
    pub fn shape(&self, batch: usize) -> [usize; 4] {
        let side = self.size as usize;
        match self.layout {
            Layout::Nhwc => [batch, side, side, 3],
            Layout::Nchw => [batch, 3, side, side],
        }
    }
}

/// The resampling filter used to resize images to the model's input size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResizeFilter {
    /// Nearest neighbour (what Keras `load_img` uses by default).
    Nearest,
    /// Linear interpolation whose support widens when downscaling (area-aware bilinear).
    Triangle,
    /// Catmull-Rom cubic.
    CatmullRom,
    /// Lanczos with window 3.
    Lanczos3,
}
