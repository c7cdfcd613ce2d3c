//! The `special-week` model pipeline: obtain the frozen VGG16 base, extract features from
//! class folders, train the head, evaluate it, export one ONNX file with its `model.json`,
//! and classify images with the result.

pub mod augment;
pub mod base;
pub mod block5;
pub mod calibrate;
pub mod classify;
pub mod collect;
pub mod composite;
pub mod dataset;
pub mod evaluate;
pub mod export;
pub mod features;
pub mod finetune;
pub mod head;
pub mod manifest;
pub mod metrics;
pub mod mixed_precision;
pub mod model_compare;
pub mod onnx_graph;
pub mod plots;
pub mod quantize;
pub mod quantize_model;
pub mod recipe;
pub mod split;
pub mod synthetic;
pub mod train;
pub mod views;

/// The one resize filter of this project's models: area-aware bilinear.
pub const RESIZE_FILTER: classifier::ResizeFilter = classifier::ResizeFilter::Triangle;

/// Default group regex: the first 5–6 digit number in the file name (the card or outfit
/// id of the artwork); files without one are a group of their own.
pub const DEFAULT_GROUP_REGEX: &str = r"(?:^|\D)(\d{5,6})(?:\D|$)";
