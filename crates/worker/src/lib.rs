//! The classifier Web Worker: receives the model once, then one image per message.
//!
//! [`engine`] does the work (the shared `classifier` crate's preprocessing and tract
//! model) and is plain Rust, tested natively; [`messages`] words its errors in Japanese
//! for the page; `scope` (wasm only) connects it to the worker's `onmessage`.

pub mod engine;
pub mod messages;
#[cfg(target_arch = "wasm32")]
pub mod scope;
