//! The page in English.

use worker_protocol::{Decoder, Failure, ModelFailure, NothingToJudge};

use super::{Catalogue, grouped, square_side};
use crate::download::human_bytes;
use crate::heat_map::HeatSource;
use crate::model_source::{BUNDLED_DIR, ModelSource};
use crate::offline::OfflineStatus;
use crate::page_state::{Progress, Status};
use crate::problem::{CardProblem, ModelJsonProblem, ModelProblem, QueryProblem};

/// The English catalogue.
pub struct English;

impl Catalogue for English {
    fn intro_lead(&self) -> &'static str {
        "An AI looks at the picture you send and tells whether it is Special Week."
    }

    fn intro_note(&self) -> &'static str {
        "Special Week is a character of Uma Musume: Pretty Derby."
    }

    fn intro_privacy(&self) -> &'static str {
        "Pictures are judged on this device only and are never sent anywhere."
    }

    fn language_switch(&self) -> &'static str {
        "Language"
    }

    fn drop_prompt(&self) -> &'static str {
        "Send a picture below"
    }

    fn drop_hint(&self) -> &'static str {
        "Choose files, drop pictures here, or paste them (Ctrl/⌘+V)"
    }

    fn send_button(&self) -> &'static str {
        "Send pictures"
    }

    fn own_model(&self) -> &'static str {
        "Use your own model"
    }

    fn own_model_explanation(&self) -> &'static str {
        "Choose a model.json and an .onnx file together, or drop them onto the page. \
         The model is used in this tab only and is never sent anywhere."
    }

    fn model_preparing(&self) -> &'static str {
        "Preparing the model…"
    }

    fn retry(&self) -> &'static str {
        "Load again"
    }

    fn model_downloading(&self, file: &str, progress: &Progress) -> String {
        let amount = match progress.total {
            Some(total) => format!("{} / {}", human_bytes(progress.loaded), human_bytes(total)),
            None => human_bytes(progress.loaded),
        };
        format!("Downloading the model ({file})… {amount}")
    }

    fn model_ready(&self, source: &ModelSource, since_page_ms: f64) -> String {
        let source = self.model_source(source);
        let mut letters = source.chars();
        let capitalised: String = letters
            .next()
            .map(|first| first.to_uppercase().chain(letters).collect())
            .unwrap_or_default();
        format!(
            "{capitalised} is ready ({:.1} s after the page opened).",
            since_page_ms / 1000.0
        )
    }

    fn threads(&self, threads: usize) -> String {
        match threads {
            1 => "Classifies on 1 thread.".to_string(),
            n => format!("Classifies on {n} threads."),
        }
    }

    fn model_source(&self, source: &ModelSource) -> String {
        match source {
            ModelSource::Served { dir } if dir == BUNDLED_DIR => "the bundled model".to_string(),
            ModelSource::Served { dir } => format!("the model on the server ({dir}/)"),
            ModelSource::Local { onnx_name } => {
                format!("your model ({onnx_name}, used in this tab only)")
            }
        }
    }

    fn model_problem(&self, problem: &ModelProblem) -> String {
        match problem {
            ModelProblem::Query(QueryProblem::Empty) => {
                "The model parameter of the URL is empty.".into()
            }
            ModelProblem::Query(QueryProblem::NotThisSite { value }) => format!(
                "The model parameter “{value}” of the URL cannot be used. Name a folder on this site."
            ),
            ModelProblem::NotFound { url } => {
                format!("The model was not found ({url} does not exist). Check the folder's name.")
            }
            ModelProblem::Download { url, detail } => {
                format!("Downloading the model ({url}) failed: {detail}")
            }
            ModelProblem::ModelJson { url, detail } => match detail {
                ModelJsonProblem::Html => format!(
                    "The model was not found (a web page came instead of {url}). Check the folder's name."
                ),
                ModelJsonProblem::Invalid { detail } => {
                    format!("{url} is not a model description ({detail}).")
                }
                ModelJsonProblem::NotInFolder { file } => format!(
                    "The model description ({url}) cannot be used: model_file “{file}” is not the name of a file in the same folder."
                ),
            },
            ModelProblem::NotAPair { names } => format!(
                "To use your own model, choose one model.json and one .onnx file together (chosen: {}).",
                names.join(", ")
            ),
            ModelProblem::UnreadableFile { name, detail } => unreadable_file(name, detail),
            ModelProblem::NotText { name } => unreadable_file(name, "not UTF-8 text"),
            ModelProblem::Refused(failure) => {
                format!("The model could not be loaded: {}", model_failure(failure))
            }
            ModelProblem::WorkerWontStart { detail } => {
                format!("The worker that judges pictures could not be started: {detail}")
            }
            ModelProblem::WorkerStopped { detail } => format!(
                "The worker that judges pictures stopped ({detail}). “{}” starts it again.",
                self.retry()
            ),
            ModelProblem::VersionMismatch { detail } => format!(
                "The page and the worker are from different versions. Reload the page ({detail})."
            ),
        }
    }

    fn answer(&self, is_special_week: bool) -> &'static str {
        if is_special_week {
            "This is Special Week"
        } else {
            "This is not Special Week"
        }
    }

    fn probability_label(&self) -> &'static str {
        "Probability that it is Special Week"
    }

    fn probability(&self, percent: f64) -> String {
        format!("Probability that it is Special Week: {percent:.1}%")
    }

    fn judge_time(&self, ms: f64) -> String {
        format!("judged in {ms:.0} ms")
    }

    fn decoder(&self, decoder: Decoder) -> &'static str {
        match decoder {
            Decoder::Builtin => "read by the built-in decoder",
            Decoder::Browser => "read by the browser's decoder",
        }
    }

    fn separator(&self) -> &'static str {
        " · "
    }

    fn card_waiting(&self, status: &Status) -> Option<&'static str> {
        match status {
            Status::Queued => Some("Waiting for the model to be ready…"),
            Status::Classifying => Some("Judging…"),
            Status::Done(_) | Status::Failed(_) => None,
        }
    }

    fn card_problem(&self, name: &str, problem: &CardProblem) -> String {
        match problem {
            CardProblem::FileTooLarge { bytes, limit } => format!(
                "“{name}” is too large a file ({}). Choose a file of at most {}.",
                human_bytes(*bytes),
                human_bytes(*limit)
            ),
            CardProblem::Worker(failure) => image_failure(name, failure),
            CardProblem::WorkerStopped => format!(
                "The worker that judges pictures stopped while it had “{name}”. \
                 Press “{}” above, then choose the picture again.",
                self.retry()
            ),
            CardProblem::VersionMismatch { .. } => format!(
                "“{name}” cannot be judged: the page and the worker are from different \
                 versions. Reload the page."
            ),
        }
    }

    fn evidence_toggle(&self, on: bool) -> &'static str {
        if on { "Hide why" } else { "Show why" }
    }

    fn evidence_computing(&self) -> &'static str {
        "Working out why… (judging the picture again with one part covered at a time)"
    }

    fn evidence_caption(&self, source: &HeatSource) -> String {
        match *source {
            HeatSource::Crops { crops } => format!(
                "The redder a part, the more the crops containing it looked like Special Week ({crops} crops)."
            ),
            HeatSource::Occlusion {
                cells,
                largest_drop,
                ms,
            } => {
                let seconds = ms / 1000.0;
                match super::drop_points(largest_drop) {
                    Some(points) => format!(
                        "The redder a part, the more covering it lowers the probability of Special Week ({cells} parts covered one at a time, largest drop {points:.1} points, {seconds:.1} s)."
                    ),
                    None => format!(
                        "Covering any one part hardly changes the probability: the answer comes from the picture as a whole ({cells} parts covered one at a time, {seconds:.1} s)."
                    ),
                }
            }
        }
    }

    fn offline(&self, status: &OfflineStatus) -> &'static str {
        match status {
            OfflineStatus::Unsupported => "No offline use",
            OfflineStatus::Installing => "Saving for offline use…",
            OfflineStatus::Ready => "Works offline too",
            OfflineStatus::UpdateAvailable => "A new version is available",
            OfflineStatus::Failed(_) => "Does not work offline",
        }
    }

    fn update_button(&self) -> &'static str {
        "Update"
    }
}

fn image_failure(name: &str, failure: &Failure) -> String {
    match failure {
        Failure::Unreadable { detail } => unreadable_file(name, detail),
        Failure::Empty => format!("“{name}” is an empty file. Choose an image file."),
        Failure::Unsupported => format!(
            "“{name}” is in a format that is not supported. Choose a PNG, JPEG, GIF, WebP or \
             BMP image (or AVIF and others, if your browser reads them)."
        ),
        Failure::TooLarge {
            size: Some((width, height)),
            limit_pixels,
        } => format!(
            "“{name}” is too large ({width}×{height} pixels). Choose an image of at most {}.",
            pixel_limit(*limit_pixels)
        ),
        Failure::TooLarge {
            size: None,
            limit_pixels,
        } => format!(
            "“{name}” is too large to read. Choose an image of at most {}.",
            pixel_limit(*limit_pixels)
        ),
        Failure::Truncated => format!(
            "“{name}” is cut off before the image ends. Save the original file again, or \
             choose another picture."
        ),
        Failure::Corrupt { .. } => format!("The image data of “{name}” is damaged."),
        Failure::NothingToJudge(why) => nothing_to_judge(name, why),
        Failure::ModelRun { detail } => {
            format!("The model failed while judging “{name}” ({detail}).")
        }
        Failure::NoModel => format!("“{name}” cannot be judged: the model is not loaded yet."),
        Failure::Forgotten => format!(
            "To see why for “{name}”, choose the picture again: what its judging used is no longer kept."
        ),
    }
}

fn nothing_to_judge(name: &str, why: &NothingToJudge) -> String {
    match why {
        NothingToJudge::TooSmall {
            width,
            height,
            min_side,
        } => format!(
            "“{name}” is too small: there is nothing to judge ({width}×{height} pixels). \
             Choose an image at least {min_side} pixels wide and high."
        ),
        NothingToJudge::Transparent => {
            format!("“{name}” is fully transparent: there is nothing to judge.")
        }
        NothingToJudge::FlatColour => {
            format!("“{name}” is all one colour: there is nothing to judge.")
        }
    }
}

/// The pixel limit for people: `64,000,000 pixels (8000×8000)` when it is a square.
pub(super) fn pixel_limit(pixels: u64) -> String {
    match square_side(pixels) {
        Some(side) => format!("{} pixels ({side}×{side})", grouped(pixels)),
        None => format!("{} pixels", grouped(pixels)),
    }
}

fn model_failure(failure: &ModelFailure) -> String {
    match failure {
        ModelFailure::MetaInvalid { detail } => {
            format!("model.json is not a model description ({detail}).")
        }
        ModelFailure::MetaInconsistent { detail } => {
            format!("model.json contradicts itself ({detail}).")
        }
        ModelFailure::Checksum { expected, actual } => format!(
            "the ONNX file is not the one model.json names (its sha256 is {actual}, model.json says {expected})."
        ),
        ModelFailure::Onnx { detail } => format!("the ONNX file is not a model ({detail})."),
    }
}

fn unreadable_file(name: &str, detail: &str) -> String {
    format!("“{name}” could not be read ({detail}).")
}
