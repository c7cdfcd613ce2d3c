//! The Special Week classifier's page.
//!
//! The page's logic is [`session`], plain Rust tested natively: it gets the model once —
//! downloaded ([`download`]) or from the user's disk ([`model_source`]) — hands it to the
//! classifier Web Worker and sends it every image the user chooses, drops or pastes, and
//! recovers when the worker stops; on request it shows where in a picture the answer comes
//! from ([`heat_map`]). [`app`] shows the session and carries out its effects
//! with the browser (the worker through [`bridge`]); [`messages`] words every state and
//! [`problem`] for people, in the [`lang`] the user reads. The worker (crate `special-week-worker`) runs the shared
//! preprocessing and tract model; the page links no model code, so it loads fast.

pub mod app;
pub mod bridge;
pub mod card;
pub mod download;
pub mod files;
pub mod heat_map;
pub mod lang;
pub mod layout;
pub mod messages;
pub mod model_panel;
pub mod model_source;
pub mod offline;
pub mod page_state;
pub mod problem;
pub mod session;
