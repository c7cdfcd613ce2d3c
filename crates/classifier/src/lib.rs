//! The Special Week classifier's shared core.
//!
//! One implementation of everything that must agree between the trainer, the native CLI
//! and the browser app: how an image file becomes the model's input ([`preprocess`]), what
//! `model.json` says about a model ([`meta`]), and how a model is loaded and run
//! ([`model`]), including which boxes of the image it looks at ([`crops`]) and how their
//! scores become one answer ([`pooling`]), and where in the picture the answer comes from
//! ([`explain`]).

pub mod crops;
pub mod explain;
pub mod meta;
pub mod model;
pub mod pooling;
pub mod preprocess;
pub mod runtime;
pub mod weights;

pub use meta::{ModelMeta, ResizeFilter};
pub use model::{Classifier, ModelError, Prediction};
pub use preprocess::PreprocessError;
