//! The page's logic as plain Rust: what happens to the model, the cards and the worker
//! for every [`Event`], as a list of [`Effect`]s for the page to carry out.
//!
//! [`crate::app::App`] turns DOM events, downloads, model file reads and worker messages
//! into events and carries out the effects (posting to the worker, fetching, reading the
//! user's model files);
//! the views show [`Session::cards`] and [`Session::model`]. Nothing here touches the
//! browser, so every transition is tested natively.
//!
//! Requests for the worker wait in one queue, in the order they are posted. The worker
//! answers them one at a time in that order, so the posted requests form the front of the
//! queue, and an answer that names nothing (a garbled request, an answer the page cannot
//! decode) belongs to the oldest posted one. When the worker stops, every posted request
//! is lost: its cards say so, and [`Event::Retry`] starts a new worker and sends it the
//! model the old one had.
//!
//! The page never reads an image file: its handle `F` waits in the queue and goes to the
//! worker with the request ([`Request::Classify`]), and the worker reads it.

use std::collections::VecDeque;
use std::rc::Rc;

use worker_protocol::{WorkerInputRef, WorkerOutput};

use crate::model_source::{self, BUNDLED_DIR, ModelSource};
use crate::page_state::{Card, Evidence, ModelState, Progress, Status};
use crate::problem::{CardProblem, ModelProblem};

/// The two files of a model, as the worker loads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFiles {
    /// The text of `model.json`.
    pub meta_json: String,
    /// The ONNX file it names.
    pub onnx: Vec<u8>,
}

/// A request for the worker, as [`Effect::Post`] hands it over. The model's files are
/// shared with the session (which keeps them to send again), not copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<F> {
    /// Load a model.
    LoadModel(Rc<ModelFiles>),
    /// Classify one image file; the worker reads it.
    Classify {
        /// The file's card.
        card: u64,
        /// The page's handle for the file, posted beside the request.
        file: F,
    },
    /// Make the occlusion map of a classified card's image.
    Explain {
        /// The card.
        card: u64,
    },
}

impl<F> Request<F> {
    /// The request as the worker receives it.
    pub fn wire(&self) -> WorkerInputRef<'_> {
        match self {
            Self::LoadModel(files) => WorkerInputRef::LoadModel {
                meta_json: &files.meta_json,
                onnx: &files.onnx,
            },
            Self::Classify { card, .. } => WorkerInputRef::Classify { card: *card },
            Self::Explain { card } => WorkerInputRef::Explain { card: *card },
        }
    }

    /// The file that goes to the worker beside the request, if any.
    pub fn file(&self) -> Option<&F> {
        match self {
            Self::Classify { file, .. } => Some(file),
            Self::LoadModel(_) | Self::Explain { .. } => None,
        }
    }
}

/// The largest image file the worker is given to read, in bytes (50 MB). A larger one is
/// refused before it is read, so a huge non-image never fills the worker's memory.
pub const MAX_FILE_BYTES: u64 = 50_000_000;

/// A file the user gave, with the page's handle `F` for it (a `web_sys::File` on
/// the page, anything in tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen<F> {
    /// The file's name.
    pub name: String,
    /// Its size in bytes, as the browser reports it before reading.
    pub size: u64,
    /// An object URL for its preview, if one could be made; revoked through
    /// [`Effect::RevokePreview`] once the card no longer shows it.
    pub preview: Option<String>,
    /// The page's handle for it, which the worker reads.
    pub file: F,
}

/// Something that happened to the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<F> {
    /// The user chose, dropped or pasted image files.
    FilesChosen(Vec<Chosen<F>>),
    /// The model download of [`Effect::Download`] made progress.
    DownloadProgress {
        /// The download's ticket.
        ticket: u64,
        /// The file being downloaded.
        file: String,
        /// How far it is.
        progress: Progress,
    },
    /// The model files of an [`Effect::Download`] or [`Effect::ReadModelFiles`] arrived,
    /// or could not be had.
    ModelFilesArrived {
        /// The request's ticket.
        ticket: u64,
        /// The files, or why there are none.
        result: Result<ModelFiles, ModelProblem>,
    },
    /// [`Effect::SpawnWorker`] failed (the browser's description).
    WorkerSpawnFailed(String),
    /// The worker said something (including that it started).
    WorkerOutput(WorkerOutput),
    /// The worker said something the page could not decode (the decoder's description).
    WorkerGarbled(String),
    /// The worker crashed or was stopped (the browser's description).
    WorkerCrashed(String),
    /// The user pressed 「もう一度読み込む」.
    Retry,
    /// The user chose or dropped files for their own model: names and handles.
    OwnModelChosen(Vec<(String, F)>),
    /// The user pressed an answered card's 「根拠を表示」 toggle.
    EvidenceToggled {
        /// The card.
        card: u64,
    },
}

/// Something the page must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect<F> {
    /// Start a new worker for `threads` threads (1: the single-threaded build), stopping
    /// any old one; then [`WorkerOutput::Started`] or [`Event::WorkerSpawnFailed`].
    SpawnWorker {
        /// How many threads it classifies on.
        threads: usize,
    },
    /// Stop the worker (it crashed; nothing it says now counts).
    StopWorker,
    /// Post a request to the worker.
    Post(Request<F>),
    /// Download `model.json` from `dir` and the ONNX file it names; report with
    /// [`Event::DownloadProgress`] and [`Event::ModelFilesArrived`] under `ticket`.
    Download {
        /// The model directory, relative to the page.
        dir: String,
        /// Names the request in the events it causes.
        ticket: u64,
    },
    /// Read the user's `model.json` and ONNX file; report with
    /// [`Event::ModelFilesArrived`] under `ticket`.
    ReadModelFiles {
        /// The `model.json` file.
        json: F,
        /// The ONNX file.
        onnx: F,
        /// Names the request in the event it causes.
        ticket: u64,
    },
    /// Revoke a preview's object URL; no card shows it any more.
    RevokePreview(String),
}

/// A millisecond clock (since the page opened), for how long the model took.
pub type Clock = fn() -> f64;

/// The page's state and logic, with `F` the page's handle for a file.
#[derive(Debug)]
pub struct Session<F> {
    model: ModelState,
    source: ModelSource,
    refused: Option<ModelProblem>,
    cards: Vec<Card>,
    queue: VecDeque<Job<F>>,
    worker: Worker,
    accepted: Option<Accepted>,
    fetching: Option<Fetch>,
    tickets: u64,
    next_card: u64,
    threads: usize,
    clock: Clock,
}

/// A request for the worker, waiting or posted.
#[derive(Debug)]
enum Job<F> {
    /// Load a model.
    Model {
        files: Rc<ModelFiles>,
        source: ModelSource,
        posted: bool,
    },
    /// Classify a card's file; the file goes with the post.
    Image { card: u64, file: Option<F> },
    /// Explain a card's answer ([`Request::Explain`]).
    Explain { card: u64, posted: bool },
}

impl<F> Job<F> {
    fn posted(&self) -> bool {
        match self {
            Self::Model { posted, .. } | Self::Explain { posted, .. } => *posted,
            Self::Image { file, .. } => file.is_none(),
        }
    }
}

/// Whether the worker can be talked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Worker {
    /// Spawned; not yet listening.
    Starting,
    /// Said [`WorkerOutput::Started`].
    Listening,
    /// Crashed or could not start; [`Event::Retry`] spawns another.
    Stopped,
}

/// The model the worker holds (or held before it stopped), kept to send it again.
#[derive(Debug)]
struct Accepted {
    files: Rc<ModelFiles>,
    source: ModelSource,
    since_page_ms: f64,
    load_ms: f64,
}

/// A download or disk read of model files under way.
#[derive(Debug)]
struct Fetch {
    ticket: u64,
    source: ModelSource,
}

impl<F> Session<F> {
    /// A new page: spawns the worker for `threads` threads and downloads the model
    /// `?model=` names (or the bundled one). `model_query` is that parameter's value.
    pub fn start(
        model_query: Option<&str>,
        threads: usize,
        clock: Clock,
    ) -> (Self, Vec<Effect<F>>) {
        let mut session = Self {
            model: ModelState::Preparing,
            source: ModelSource::Served {
                dir: BUNDLED_DIR.to_string(),
            },
            refused: None,
            cards: Vec::new(),
            queue: VecDeque::new(),
            worker: Worker::Starting,
            accepted: None,
            fetching: None,
            tickets: 0,
            next_card: 0,
            threads: threads.max(1),
            clock,
        };
        let mut effects = vec![Effect::SpawnWorker {
            threads: session.threads,
        }];
        match model_source::served_dir(model_query) {
            Ok(dir) => session.download(dir, &mut effects),
            Err(problem) => session.model = ModelState::Failed(ModelProblem::Query(problem)),
        }
        (session, effects)
    }

    /// The model's progress.
    pub fn model(&self) -> &ModelState {
        &self.model
    }

    /// How many threads the current (or next) worker classifies on: the number the page
    /// started with, or 1 once a multi-threaded worker has failed.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Which model is in use or on its way.
    pub fn source(&self) -> &ModelSource {
        &self.source
    }

    /// Why the last model asked for was not taken while another stays in use.
    pub fn refused(&self) -> Option<&ModelProblem> {
        self.refused.as_ref()
    }

    /// The cards, newest first.
    pub fn cards(&self) -> &[Card] {
        &self.cards
    }

    /// The object URLs the cards still show (to revoke when the page goes).
    pub fn previews(&self) -> impl Iterator<Item = &str> {
        self.cards.iter().filter_map(|card| card.preview.as_deref())
    }

    /// Applies one event and says what the page must do.
    pub fn handle(&mut self, event: Event<F>) -> Vec<Effect<F>> {
        let mut effects = Vec::new();
        match event {
            Event::FilesChosen(chosen) => self.add_cards(chosen, &mut effects),
            Event::DownloadProgress {
                ticket,
                file,
                progress,
            } => {
                if self.is_current(ticket) {
                    self.model = ModelState::Downloading { file, progress };
                }
            }
            Event::ModelFilesArrived { ticket, result } => {
                self.model_files(ticket, result, &mut effects)
            }
            Event::WorkerSpawnFailed(detail) => {
                self.worker_lost(ModelProblem::WorkerWontStart { detail }, &mut effects)
            }
            Event::WorkerOutput(output) => self.worker_said(output, &mut effects),
            Event::WorkerGarbled(detail) => self.answer_lost(detail, &mut effects),
            Event::WorkerCrashed(detail) => {
                effects.push(Effect::StopWorker);
                self.worker_lost(ModelProblem::WorkerStopped { detail }, &mut effects);
            }
            Event::Retry => self.retry(&mut effects),
            Event::OwnModelChosen(chosen) => self.own_model(chosen, &mut effects),
            Event::EvidenceToggled { card } => self.toggle_evidence(card, &mut effects),
        }
        effects
    }

    /// A card for each file; those within [`MAX_FILE_BYTES`] wait for the worker.
    fn add_cards(&mut self, chosen: Vec<Chosen<F>>, effects: &mut Vec<Effect<F>>) {
        for Chosen {
            name,
            size,
            preview,
            file,
        } in chosen
        {
            let id = self.next_card;
            self.next_card += 1;
            self.cards.insert(
                0,
                Card {
                    id,
                    name,
                    preview,
                    status: Status::Queued,
                    evidence: Evidence::Hidden(None),
                },
            );
            if size > MAX_FILE_BYTES {
                let problem = CardProblem::FileTooLarge {
                    bytes: size,
                    limit: MAX_FILE_BYTES,
                };
                self.fail_card(id, problem, effects);
            } else {
                self.queue.push_back(Job::Image {
                    card: id,
                    file: Some(file),
                });
            }
        }
        self.pump(effects);
    }

    fn model_files(
        &mut self,
        ticket: u64,
        result: Result<ModelFiles, ModelProblem>,
        effects: &mut Vec<Effect<F>>,
    ) {
        if !self.is_current(ticket) {
            return;
        }
        let Some(Fetch { source, .. }) = self.fetching.take() else {
            return;
        };
        match result {
            Ok(files) => {
                // A newer model replaces one that still waits; one already posted is
                // answered first.
                self.queue
                    .retain(|job| job.posted() || !matches!(job, Job::Model { .. }));
                let at = self.first_waiting();
                self.queue.insert(
                    at,
                    Job::Model {
                        files: Rc::new(files),
                        source: source.clone(),
                        posted: false,
                    },
                );
                self.model = ModelState::Preparing;
                self.source = source;
                self.pump(effects);
            }
            Err(problem) => self.model_refused(problem, effects),
        }
    }

    fn worker_said(&mut self, output: WorkerOutput, effects: &mut Vec<Effect<F>>) {
        if self.worker == Worker::Stopped {
            return;
        }
        match output {
            WorkerOutput::Started => {
                self.worker = Worker::Listening;
                self.pump(effects);
            }
            WorkerOutput::ModelReady { load_ms } => {
                if let Some((files, source)) = self.take_posted_model() {
                    self.model_ready(files, source, load_ms, effects);
                }
            }
            WorkerOutput::ModelFailed(failure) => {
                if self.take_posted_model().is_some() {
                    self.model_refused(ModelProblem::Refused(failure), effects);
                }
            }
            WorkerOutput::Classified { card, outcome } => {
                let Some(index) = self.queue.iter().position(
                    |job| matches!(job, Job::Image { card: c, file: None } if *c == card),
                ) else {
                    return;
                };
                self.queue.remove(index);
                match outcome {
                    Ok(verdict) => self.set_status(card, Status::Done(verdict), effects),
                    Err(failure) => self.fail_card(card, CardProblem::Worker(failure), effects),
                }
            }
            WorkerOutput::Explained { card, outcome } => self.explained(card, outcome),
            WorkerOutput::Garbled { detail } => self.answer_lost(detail, effects),
        }
    }

    /// The answer to the oldest posted request will never come (the worker could not
    /// decode the request, or the page its answer).
    fn answer_lost(&mut self, detail: String, effects: &mut Vec<Effect<F>>) {
        match self.queue.front() {
            Some(job) if job.posted() => match self.queue.pop_front() {
                Some(Job::Image { card, .. }) => {
                    self.fail_card(card, CardProblem::VersionMismatch { detail }, effects)
                }
                Some(Job::Explain { card, .. }) => {
                    self.explanation_lost(card, CardProblem::VersionMismatch { detail })
                }
                _ => self.model_refused(ModelProblem::VersionMismatch { detail }, effects),
            },
            // Nothing was asked: the worker cannot be understood at all.
            _ => {
                effects.push(Effect::StopWorker);
                self.worker_lost(ModelProblem::VersionMismatch { detail }, effects);
            }
        }
    }

    /// The worker is gone: what it had been sent is lost, and the model waits for
    /// [`Event::Retry`].
    /// A multi-threaded worker that is lost is replaced by the single-threaded one: what
    /// failed may be the threads themselves (shared memory, the thread pool), and one
    /// thread is slower but works wherever wasm does.
    fn worker_lost(&mut self, problem: ModelProblem, effects: &mut Vec<Effect<F>>) {
        self.worker = Worker::Stopped;
        self.threads = 1;
        while self.queue.front().is_some_and(Job::posted) {
            match self.queue.pop_front() {
                Some(Job::Image { card, .. }) => {
                    self.fail_card(card, CardProblem::WorkerStopped, effects)
                }
                Some(Job::Explain { card, .. }) => {
                    self.explanation_lost(card, CardProblem::WorkerStopped)
                }
                // A model that was loading may be what stopped the worker: it is not
                // sent again; the one the worker had before is.
                _ => {
                    if let Some(accepted) = &self.accepted {
                        self.source = accepted.source.clone();
                    }
                }
            }
        }
        self.fetching = None;
        self.model = ModelState::Failed(problem);
    }

    fn retry(&mut self, effects: &mut Vec<Effect<F>>) {
        if !matches!(self.model, ModelState::Failed(_)) {
            return;
        }
        if self.worker == Worker::Stopped {
            self.worker = Worker::Starting;
            effects.push(Effect::SpawnWorker {
                threads: self.threads,
            });
        }
        if let Some(Job::Model { source, .. }) = self.waiting_model() {
            self.source = source.clone();
            self.model = ModelState::Preparing;
        } else if let Some(accepted) = &self.accepted {
            let at = self.first_waiting();
            self.queue.insert(
                at,
                Job::Model {
                    files: accepted.files.clone(),
                    source: accepted.source.clone(),
                    posted: false,
                },
            );
            self.source = accepted.source.clone();
            self.model = ModelState::Preparing;
        } else {
            let dir = match &self.source {
                ModelSource::Served { dir } => dir.clone(),
                ModelSource::Local { .. } => BUNDLED_DIR.to_string(),
            };
            self.download(dir, effects);
        }
        self.pump(effects);
    }

    fn own_model(&mut self, chosen: Vec<(String, F)>, effects: &mut Vec<Effect<F>>) {
        let names: Vec<String> = chosen.iter().map(|(name, _)| name.clone()).collect();
        let (json, onnx) = match model_source::pick_pair(&names) {
            Ok(pair) => pair,
            Err(problem) => {
                self.refused = Some(problem);
                return;
            }
        };
        let source = ModelSource::Local {
            onnx_name: names[onnx].clone(),
        };
        let mut files: Vec<Option<F>> = chosen.into_iter().map(|(_, f)| Some(f)).collect();
        let (Some(json), Some(onnx)) = (files[json].take(), files[onnx].take()) else {
            return;
        };
        if self.worker == Worker::Stopped {
            self.worker = Worker::Starting;
            effects.push(Effect::SpawnWorker {
                threads: self.threads,
            });
        }
        let ticket = self.fetch(source.clone());
        self.source = source;
        self.model = ModelState::Preparing;
        effects.push(Effect::ReadModelFiles { json, onnx, ticket });
    }

    fn model_ready(
        &mut self,
        files: Rc<ModelFiles>,
        source: ModelSource,
        load_ms: f64,
        effects: &mut Vec<Effect<F>>,
    ) {
        let since_page_ms = (self.clock)();
        self.accepted = Some(Accepted {
            files,
            source: source.clone(),
            since_page_ms,
            load_ms,
        });
        if self.fetching.is_none() && self.waiting_model().is_none() {
            self.source = source;
            self.model = ModelState::Ready {
                since_page_ms,
                load_ms,
            };
            self.refused = None;
        }
        self.pump(effects);
    }

    /// A model asked for could not be had or was refused: the one the worker has stays
    /// in use (saying why the new one was not taken), or, without one, the model fails.
    fn model_refused(&mut self, problem: ModelProblem, effects: &mut Vec<Effect<F>>) {
        if self.fetching.is_some() || self.waiting_model().is_some() {
            // A newer model is on its way; it decides what the page shows.
            self.refused = Some(problem);
            return;
        }
        match &self.accepted {
            Some(accepted) if self.worker != Worker::Stopped => {
                self.source = accepted.source.clone();
                self.model = ModelState::Ready {
                    since_page_ms: accepted.since_page_ms,
                    load_ms: accepted.load_ms,
                };
                self.refused = Some(problem);
                self.pump(effects);
            }
            _ => self.model = ModelState::Failed(problem),
        }
    }

    /// Posts waiting requests in order while the worker can take them: models as soon
    /// as it listens, images once a model is ready.
    fn pump(&mut self, effects: &mut Vec<Effect<F>>) {
        if self.worker != Worker::Listening {
            return;
        }
        let ready = matches!(self.model, ModelState::Ready { .. });
        let mut classifying = Vec::new();
        for job in self.queue.iter_mut().skip_while(|job| job.posted()) {
            match job {
                Job::Model { files, posted, .. } => {
                    *posted = true;
                    effects.push(Effect::Post(Request::LoadModel(files.clone())));
                }
                Job::Image { card, file } if ready => {
                    if let Some(file) = file.take() {
                        effects.push(Effect::Post(Request::Classify { card: *card, file }));
                        classifying.push(*card);
                    }
                }
                Job::Explain { card, posted } if ready => {
                    *posted = true;
                    effects.push(Effect::Post(Request::Explain { card: *card }));
                }
                Job::Image { .. } | Job::Explain { .. } => break,
            }
        }
        for card in classifying {
            self.set_status(card, Status::Classifying, effects);
        }
    }

    fn download(&mut self, dir: String, effects: &mut Vec<Effect<F>>) {
        let source = ModelSource::Served { dir: dir.clone() };
        let ticket = self.fetch(source.clone());
        self.source = source;
        self.model = ModelState::Downloading {
            file: "model.json".to_string(),
            progress: Progress::default(),
        };
        effects.push(Effect::Download { dir, ticket });
    }

    /// Starts a model request, superseding any other, and gives its ticket.
    fn fetch(&mut self, source: ModelSource) -> u64 {
        self.tickets += 1;
        self.refused = None;
        self.fetching = Some(Fetch {
            ticket: self.tickets,
            source,
        });
        self.tickets
    }

    fn is_current(&self, ticket: u64) -> bool {
        self.fetching.as_ref().is_some_and(|f| f.ticket == ticket)
    }

    fn first_waiting(&self) -> usize {
        self.queue
            .iter()
            .position(|job| !job.posted())
            .unwrap_or(self.queue.len())
    }

    fn waiting_model(&self) -> Option<&Job<F>> {
        self.queue
            .iter()
            .find(|job| matches!(job, Job::Model { posted: false, .. }))
    }

    /// Removes the oldest posted request if it is a model, giving its files and source.
    fn take_posted_model(&mut self) -> Option<(Rc<ModelFiles>, ModelSource)> {
        match self.queue.front() {
            Some(Job::Model { posted: true, .. }) => match self.queue.pop_front() {
                Some(Job::Model { files, source, .. }) => Some((files, source)),
                _ => None,
            },
            _ => None,
        }
    }

    fn fail_card(&mut self, id: u64, problem: CardProblem, effects: &mut Vec<Effect<F>>) {
        self.set_status(id, Status::Failed(problem), effects);
    }

    /// Sets a card's status; a failed card shows no preview, so its URL is revoked.
    fn set_status(&mut self, id: u64, status: Status, effects: &mut Vec<Effect<F>>) {
        let Some(card) = self.cards.iter_mut().find(|c| c.id == id) else {
            return;
        };
        if matches!(status, Status::Failed(_))
            && let Some(url) = card.preview.take()
        {
            effects.push(Effect::RevokePreview(url));
        }
        card.status = status;
    }
}

mod evidence;
#[cfg(test)]
mod tests;
