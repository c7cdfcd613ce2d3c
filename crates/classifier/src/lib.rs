//! The Special Week classifier's shared core.
//!
//! One implementation of everything that must agree between the trainer, the native CLI
//! and the browser app: how an image file becomes the model's input ([`preprocess`]), what
//! `model.json` says about a model ([`meta`]), and how a model is loaded and run
//! ([`model`]).

pub mod meta;
pub mod model;
pub mod preprocess;
pub mod runtime;

pub use meta::ModelMeta;
pub use model::{Classifier, ModelError, Prediction};
pub use preprocess::{PreprocessError, ResizeFilter};
