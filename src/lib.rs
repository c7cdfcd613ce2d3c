//! The Special Week classifier in the browser.
//!
//! The page ([`app`]) downloads the model once, hands it to a Web Worker ([`worker`]) and
//! sends it every image the user chooses, drops or pastes; the worker runs the shared
//! preprocessing and tract model from the `classifier` crate and answers in Japanese.
//! The two sides talk through the serde enums in [`protocol`].

pub mod app;
pub mod card;
pub mod download;
pub mod engine;
pub mod files;
pub mod layout;
pub mod messages;
pub mod protocol;
pub mod worker;
