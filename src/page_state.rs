//! The page's state as plain data: the cards and the model's progress, which
//! [`crate::session::Session`] changes and the views show.

use worker_protocol::Verdict;

use crate::heat_map::HeatMap;
use crate::problem::{CardProblem, ModelProblem};

/// One image the user gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// Unique within the page.
    pub id: u64,
    /// The file's name.
    pub name: String,
    /// An object URL of the file for the preview, until the card no longer shows it.
    pub preview: Option<String>,
    /// Its progress.
    pub status: Status,
    /// Its 「根拠を表示」 toggle (only an answered card has one).
    pub evidence: Evidence,
}

/// Where an answered card's heat map is.
#[derive(Debug, Clone, PartialEq)]
pub enum Evidence {
    /// Not shown; a map made earlier is kept to show again.
    Hidden(Option<HeatMap>),
    /// Asked for; the worker is making the occlusion map.
    Computing,
    /// Shown over the preview.
    Shown(HeatMap),
    /// Asked for, but it could not be made.
    Failed(CardProblem),
}

impl Evidence {
    /// Whether the toggle is on.
    pub fn is_on(&self) -> bool {
        !matches!(self, Self::Hidden(_))
    }

    /// A stable name for the state, used as `data-evidence` (for tests).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Hidden(_) => "hidden",
            Self::Computing => "computing",
            Self::Shown(_) => "shown",
            Self::Failed(_) => "failed",
        }
    }
}

/// Where an image is on its way to an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Waiting for the model (or the worker) to be ready.
    Queued,
    /// With the worker.
    Classifying,
    /// Answered.
    Done(Verdict),
    /// Could not be classified.
    Failed(CardProblem),
}

impl Status {
    /// A stable name for the state, used as `data-state` (for styles and tests).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Classifying => "classifying",
            Self::Done(_) => "done",
            Self::Failed(_) => "error",
        }
    }
}

/// The model's way from the network (or the user's disk) to the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelState {
    /// Downloading `file`.
    Downloading {
        /// The file being downloaded.
        file: String,
        /// How far it is.
        progress: Progress,
    },
    /// Arrived (or being read from the user's disk); the worker is parsing and
    /// optimising it.
    Preparing,
    /// Ready to classify.
    Ready {
        /// Milliseconds from opening the page until the model was ready.
        since_page_ms: f64,
        /// Milliseconds the worker took to load it (check, expand, parse and optimise),
        /// a part of `since_page_ms`.
        load_ms: f64,
    },
    /// Could not be had, or the worker stopped.
    Failed(ModelProblem),
}

impl ModelState {
    /// A stable name for the state, used as `data-state` (for styles and tests).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Downloading { .. } => "downloading",
            Self::Preparing => "preparing",
            Self::Ready { .. } => "ready",
            Self::Failed(_) => "failed",
        }
    }
}

/// How much of a download has arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Bytes received so far.
    pub loaded: u64,
    /// The size the server announced, if it did.
    pub total: Option<u64>,
}

impl Progress {
    /// Received share of the total, 0..=1, if the total is known.
    pub fn fraction(&self) -> Option<f64> {
        self.total
            .filter(|&t| t > 0)
            .map(|t| (self.loaded as f64 / t as f64).min(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fraction_needs_a_total() {
        let of = |loaded, total| Progress { loaded, total }.fraction();
        assert_eq!(of(5, None), None);
        assert_eq!(of(5, Some(0)), None);
        assert_eq!(of(5, Some(10)), Some(0.5));
        assert_eq!(of(20, Some(10)), Some(1.0));
    }
}
