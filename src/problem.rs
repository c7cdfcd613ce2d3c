//! What can go wrong on the page, as kinds; [`crate::messages`] words them for people.

use worker_protocol::{Failure, ModelFailure, NothingToJudge};

/// Why a card has no verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardProblem {
    /// The file is larger than the page gives the worker to read; it was not read.
    FileTooLarge {
        /// Its size in bytes.
        bytes: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The worker could not read or classify the image.
    Worker(Failure),
    /// The worker stopped (crashed or was killed) while it had the image.
    WorkerStopped,
    /// The worker could not decode the request, or the page its answer: the page and the
    /// worker come from different builds.
    VersionMismatch {
        /// The decoder's description.
        detail: String,
    },
}

impl CardProblem {
    /// A stable name for the kind, used as the card's `data-problem` (for styles and
    /// tests; the hostile-file table names its expected refusals so).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::FileTooLarge { .. } => "file-too-large",
            Self::WorkerStopped => "worker-stopped",
            Self::VersionMismatch { .. } => "version-mismatch",
            Self::Worker(failure) => match failure {
                Failure::Unreadable { .. } => "unreadable",
                Failure::Empty => "empty",
                Failure::Unsupported => "unsupported",
                Failure::TooLarge { .. } => "too-large",
                Failure::Truncated => "truncated",
                Failure::Corrupt { .. } => "corrupt",
                Failure::NothingToJudge(NothingToJudge::TooSmall { .. }) => "too-small",
                Failure::NothingToJudge(NothingToJudge::Transparent) => "transparent",
                Failure::NothingToJudge(NothingToJudge::FlatColour) => "flat-colour",
                Failure::ModelRun { .. } => "model-run",
                Failure::NoModel => "no-model",
                Failure::Forgotten => "forgotten",
            },
        }
    }
}

/// Why no model is ready, or why the user's own model was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelProblem {
    /// The page's `?model=` value names nothing the page may load.
    Query(QueryProblem),
    /// The model directory has no `model.json` (HTTP 404, or the host answered with a web
    /// page instead), or no ONNX file of the name it gives.
    NotFound {
        /// The missing file's URL.
        url: String,
    },
    /// A model file could not be downloaded.
    Download {
        /// The file's URL.
        url: String,
        /// The browser's or the server's description.
        detail: String,
    },
    /// `model.json` does not name an ONNX file in its own folder.
    ModelJson {
        /// The URL of `model.json`.
        url: String,
        /// What is wrong with it.
        detail: ModelJsonProblem,
    },
    /// The user's own model files were not one `model.json` and one `.onnx` file.
    NotAPair {
        /// The names of the files chosen.
        names: Vec<String>,
    },
    /// One of the user's own model files could not be read.
    UnreadableFile {
        /// The file's name.
        name: String,
        /// The browser's description.
        detail: String,
    },
    /// The user's `model.json` is not UTF-8 text.
    NotText {
        /// The file's name.
        name: String,
    },
    /// The worker refused the model.
    Refused(ModelFailure),
    /// The worker could not be started.
    WorkerWontStart {
        /// The browser's description.
        detail: String,
    },
    /// The worker stopped (crashed or was killed).
    WorkerStopped {
        /// The browser's description of the error.
        detail: String,
    },
    /// The worker could not decode the model request, or the page its answer.
    VersionMismatch {
        /// The decoder's description.
        detail: String,
    },
}

/// Why a `?model=` value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryProblem {
    /// `?model=` with nothing (or only slashes) after it.
    Empty,
    /// A URL of another site, or a Windows path.
    NotThisSite {
        /// The value as given.
        value: String,
    },
}

/// Why `model.json` gives no ONNX file to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelJsonProblem {
    /// A web page (HTML) rather than JSON: the host's answer for a missing file.
    Html,
    /// Not JSON, or no `model_file` string in it.
    Invalid {
        /// The parser's description.
        detail: String,
    },
    /// `model_file` is empty or a path rather than a file name in the same folder.
    NotInFolder {
        /// The value of `model_file`.
        file: String,
    },
}
