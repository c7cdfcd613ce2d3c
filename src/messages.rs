//! Every text the page shows, in Japanese (`messages/ja.rs`) and English
//! (`messages/en.rs`): the fixed text of the layout and the controls, and every sentence
//! about the model, the cards and what went wrong, as functions of the state or problem
//! kind. Views ask [`of`] for the catalogue of the page's [`Lang`] and never hold worded
//! text, so switching languages re-words everything at the next render.

mod en;
mod ja;
#[cfg(test)]
mod tests;

use worker_protocol::{Decoder, Failure};

use crate::heat_map::{HeatSource, MIN_DROP};
use crate::lang::Lang;
use crate::model_source::ModelSource;
use crate::offline::OfflineStatus;
use crate::page_state::{Progress, Status};
use crate::problem::{CardProblem, ModelProblem};

/// The page's text in one language. Every language implements every method, so no text
/// can be missing from one of them.
pub trait Catalogue {
    /// What the page does, as the original said it.
    fn intro_lead(&self) -> &'static str;
    /// Who Special Week is.
    fn intro_note(&self) -> &'static str;
    /// That images never leave the device.
    fn intro_privacy(&self) -> &'static str;
    /// The accessible name of the language switch.
    fn language_switch(&self) -> &'static str;

    /// The drop zone's request.
    fn drop_prompt(&self) -> &'static str;
    /// The ways to give images.
    fn drop_hint(&self) -> &'static str;
    /// The button that opens the file chooser.
    fn send_button(&self) -> &'static str;

    /// The own-model control's title.
    fn own_model(&self) -> &'static str;
    /// What the own-model control does.
    fn own_model_explanation(&self) -> &'static str;
    /// The model panel while the worker loads the model.
    fn model_preparing(&self) -> &'static str;
    /// The button that downloads the model again and restarts a stopped worker.
    fn retry(&self) -> &'static str;
    /// The model panel while `file` downloads.
    fn model_downloading(&self, file: &str, progress: &Progress) -> String;
    /// The model panel once the model is ready.
    fn model_ready(&self, source: &ModelSource, since_page_ms: f64) -> String;
    /// After [`Catalogue::model_ready`]: on how many threads the worker classifies.
    fn threads(&self, threads: usize) -> String;
    /// How the page names the model in use.
    fn model_source(&self, source: &ModelSource) -> String;
    /// Why no model is ready, or why the user's own model was not taken.
    fn model_problem(&self, problem: &ModelProblem) -> String;

    /// The answer: the original's 「これは スペシャルウィーク です」 or its opposite.
    fn answer(&self, is_special_week: bool) -> &'static str;
    /// The accessible name of the probability bar.
    fn probability_label(&self) -> &'static str;
    /// The probability of Special Week under the bar, `percent` in 0..=100.
    fn probability(&self, percent: f64) -> String;
    /// How long judging took.
    fn judge_time(&self, ms: f64) -> String;
    /// Which decoder made the pixels.
    fn decoder(&self, decoder: Decoder) -> &'static str;
    /// What separates the parts of a card's detail line.
    fn separator(&self) -> &'static str;
    /// What a card says while it waits for its answer; `None` once it has one.
    fn card_waiting(&self, status: &Status) -> Option<&'static str>;
    /// Why the card of the file `name` has no verdict (or no heat map).
    fn card_problem(&self, name: &str, problem: &CardProblem) -> String;
    /// The label of an answered card's heat-map toggle, when it is off or on.
    fn evidence_toggle(&self, on: bool) -> &'static str;
    /// What a card says while the worker makes its occlusion map.
    fn evidence_computing(&self) -> &'static str;
    /// What the heat map shows and how it was made.
    fn evidence_caption(&self, source: &HeatSource) -> String;

    /// The offline indicator's label.
    fn offline(&self, status: &OfflineStatus) -> &'static str;
    /// The button that switches to a waiting new version.
    fn update_button(&self) -> &'static str;
}

/// The catalogue of `lang`.
pub fn of(lang: Lang) -> &'static dyn Catalogue {
    match lang {
        Lang::Ja => &ja::Japanese,
        Lang::En => &en::English,
    }
}

/// A language's name as its speakers write it, for the switch: 日本語, English.
pub fn language_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "日本語",
        Lang::En => "English",
    }
}

/// The technical detail behind a card's problem (often English), for a tooltip; the same
/// in every language.
pub fn card_problem_detail(problem: &CardProblem) -> Option<&str> {
    match problem {
        CardProblem::VersionMismatch { detail }
        | CardProblem::Worker(
            Failure::Unreadable { detail }
            | Failure::Corrupt { detail }
            | Failure::ModelRun { detail },
        ) => Some(detail),
        CardProblem::Worker(_) | CardProblem::WorkerStopped | CardProblem::FileTooLarge { .. } => {
            None
        }
    }
}

/// The largest drop of an occlusion map in percentage points, if it counts as one
/// ([`MIN_DROP`]); `None` when covering any cell hardly matters.
fn drop_points(largest_drop: f32) -> Option<f64> {
    (largest_drop >= MIN_DROP).then(|| f64::from(largest_drop) * 100.0)
}

/// A count with thousands separators: `64,000,000`.
fn grouped(number: u64) -> String {
    let digits = number.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// The side of a square of `pixels`, if it is one.
fn square_side(pixels: u64) -> Option<u64> {
    let side = pixels.isqrt();
    (side * side == pixels).then_some(side)
}
