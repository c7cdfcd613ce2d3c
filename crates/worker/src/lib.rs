//! The classifier Web Worker: receives the model once, then one image per message.
//!
//! [`engine`] does the work (the shared `classifier` crate's preprocessing and tract
//! model) and is plain Rust, tested natively; [`failures`] turns the classifier's errors
//! into the protocol's failure kinds (the page words them); `scope` (wasm only) connects
//! the engine to the worker's `onmessage`, and `browser_decode` (wasm only) decodes the
//! formats only the browser reads. [`threads`] starts the threaded build's pool.

#[cfg(target_arch = "wasm32")]
pub mod browser_decode;
pub mod engine;
pub mod failures;
#[cfg(target_arch = "wasm32")]
pub mod scope;
pub mod threads;
