//! The page: the model (download or the user's own), the inputs (chooser, drop, paste)
//! and the result cards.

use std::collections::VecDeque;

use gloo_events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{ClipboardEvent, File, HtmlInputElement, Url};
use worker_protocol::{WorkerInput, WorkerOutput};
use yew::prelude::*;

use crate::bridge::WorkerBridge;
use crate::card::{Card, CardView, Status};
use crate::download::{self, Progress};
use crate::files;
use crate::layout::{Footer, Header, Intro};
use crate::messages;
use crate::model_panel::{ModelPanel, ModelState};
use crate::model_source::{self, ModelSource};
use crate::offline::{self, OfflineStatus};

/// Messages of [`App`].
pub enum Msg {
    /// Download progress.
    Progress(String, Progress),
    /// Both model files arrived (downloaded or read from the user's disk).
    ModelFiles {
        /// The text of `model.json`.
        meta_json: String,
        /// The ONNX bytes.
        onnx: Vec<u8>,
    },
    /// The model files could not be had (message in Japanese).
    ModelFilesFailed(String),
    /// The user asked to try the download again.
    Retry,
    /// The user chose or dropped files for their own model.
    OwnModel(Vec<File>),
    /// The worker answered.
    Worker(WorkerOutput),
    /// The worker could not start or crashed.
    WorkerFailed(String),
    /// The user gave image files (chooser, drop or paste).
    Files(Vec<File>),
    /// A file was read from the device.
    Read(u64, Result<Vec<u8>, String>),
    /// Drag-over highlighting changes (+1 on enter, -1 on leave, 0 to clear).
    Drag(i32),
    /// Offline use changed (service worker).
    Offline(OfflineStatus),
}

/// The model the worker keeps using while another one loads.
struct Fallback {
    source: ModelSource,
    since_page_ms: f64,
}

/// The root component.
pub struct App {
    model: ModelState,
    source: ModelSource,
    fallback: Option<Fallback>,
    own_model_error: Option<String>,
    cards: Vec<Card>,
    queue: VecDeque<WorkerInput>,
    next_id: u64,
    drag_depth: i32,
    offline: OfflineStatus,
    bridge: Option<WorkerBridge>,
    _paste: EventListener,
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let (on_output, on_error) = (ctx.link().clone(), ctx.link().clone());
        let bridge = WorkerBridge::spawn(
            move |output| on_output.send_message(Msg::Worker(output)),
            move |detail| on_error.send_message(Msg::WorkerFailed(detail)),
        );
        let paste = listen_for_paste(ctx.link().clone());
        offline::register(ctx.link().callback(Msg::Offline));
        let query = query_param("model");
        let (source, model) = match model_source::served_dir(query.as_deref()) {
            Ok(dir) => {
                download_model(ctx, dir.clone());
                (ModelSource::Served { dir }, downloading("model.json"))
            }
            Err(message) => (
                ModelSource::Served {
                    dir: query.unwrap_or_default(),
                },
                ModelState::Failed(message),
            ),
        };
        let (bridge, model) = match bridge {
            Ok(bridge) => (Some(bridge), model),
            Err(detail) => (None, ModelState::Failed(messages::worker_failed(&detail))),
        };
        Self {
            model,
            source,
            fallback: None,
            own_model_error: None,
            cards: Vec::new(),
            queue: VecDeque::new(),
            next_id: 0,
            drag_depth: 0,
            offline: OfflineStatus::Installing,
            bridge,
            _paste: paste,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        match msg {
            Msg::Progress(file, progress) => {
                self.model = ModelState::Downloading { file, progress };
            }
            Msg::ModelFiles { meta_json, onnx } => {
                self.model = ModelState::Preparing;
                self.send_to_worker(WorkerInput::LoadModel { meta_json, onnx });
            }
            Msg::ModelFilesFailed(message) => self.model_failed(message),
            Msg::Retry => {
                let dir = model_source::BUNDLED_DIR.to_string();
                let dir = match &self.source {
                    ModelSource::Served { dir } => dir.clone(),
                    ModelSource::Local { .. } => dir,
                };
                self.source = ModelSource::Served { dir: dir.clone() };
                self.model = downloading("model.json");
                download_model(ctx, dir);
            }
            Msg::OwnModel(chosen) => self.use_own_model(ctx, chosen),
            Msg::Worker(output) => self.on_worker(output),
            Msg::WorkerFailed(detail) => {
                self.bridge = None;
                self.model = ModelState::Failed(messages::worker_failed(&detail));
            }
            Msg::Files(chosen) => self.add_files(ctx, chosen),
            Msg::Read(id, result) => self.on_read(id, result),
            Msg::Drag(step) => {
                self.drag_depth = if step == 0 {
                    0
                } else {
                    (self.drag_depth + step).max(0)
                };
            }
            Msg::Offline(status) => self.offline = status,
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let on_change = link.callback(|event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let chosen = files::from_list(input.files());
            input.set_value("");
            Msg::Files(chosen)
        });
        let on_drag_enter = link.callback(|event: DragEvent| {
            event.prevent_default();
            Msg::Drag(1)
        });
        let on_drag_over = Callback::from(|event: DragEvent| event.prevent_default());
        let on_drag_leave = link.callback(|_: DragEvent| Msg::Drag(-1));
        let on_drop = link.batch_callback(|event: DragEvent| {
            event.prevent_default();
            let dropped = files::from_transfer(event.data_transfer());
            let names: Vec<String> = dropped.iter().map(File::name).collect();
            let what = if model_source::is_model_drop(&names) {
                Msg::OwnModel(dropped)
            } else {
                Msg::Files(dropped)
            };
            vec![Msg::Drag(0), what]
        });
        let open_chooser = Callback::from(|_: MouseEvent| {
            if let Some(input) = document()
                .get_element_by_id("file-input")
                .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            {
                input.click();
            }
        });
        let zone_class = classes!("drop-zone", (self.drag_depth > 0).then_some("dragging"));
        html! {
            <div class="page" ondragenter={on_drag_enter} ondragover={on_drag_over}
                ondragleave={on_drag_leave} ondrop={on_drop}>
                <Header />
                <main class="content">
                    <Intro />
                    { offline::view(&self.offline) }
                    <ModelPanel state={self.model.clone()} source={self.source.clone()}
                        own_model_error={self.own_model_error.clone()}
                        on_retry={link.callback(|()| Msg::Retry)}
                        on_own_model={link.callback(Msg::OwnModel)} />
                    <section id="drop-zone" class={zone_class}>
                        <p class="prompt">{ "以下に、画像を送信してください" }</p>
                        <p class="hint">
                            { "ファイルを選ぶか、ここに画像をドロップ、または貼り付け（Ctrl/⌘+V）" }
                        </p>
                        <input id="file-input" type="file" multiple=true accept="image/*"
                            capture="environment" onchange={on_change} />
                        <button type="button" class="send-button" onclick={open_chooser}>
                            { "画像送信" }
                        </button>
                    </section>
                    <section id="results" class="results" aria-live="polite">
                        { for self.cards.iter().map(|card| html! {
                            <CardView key={card.id} card={card.clone()} />
                        }) }
                    </section>
                </main>
                <Footer />
            </div>
        }
    }
}

impl App {
    fn on_worker(&mut self, output: WorkerOutput) {
        match output {
            WorkerOutput::Started => {
                if let Some(bridge) = &mut self.bridge {
                    bridge.started();
                }
            }
            WorkerOutput::ModelReady { .. } => {
                self.fallback = None;
                self.own_model_error = None;
                self.model = ModelState::Ready {
                    since_page_ms: page_clock_ms(),
                };
                while let Some(input) = self.queue.pop_front() {
                    self.send_to_worker(input);
                }
            }
            WorkerOutput::ModelFailed { message } => self.model_failed(message),
            WorkerOutput::Classified { card, outcome } => {
                self.set_status(
                    card,
                    match outcome {
                        Ok(verdict) => Status::Done(verdict),
                        Err(message) => Status::Failed(message),
                    },
                );
            }
        }
    }

    /// A model could not be had. If the worker still holds the previous one, keep using
    /// it and say why the new one was refused.
    fn model_failed(&mut self, message: String) {
        match self.fallback.take() {
            Some(Fallback {
                source,
                since_page_ms,
            }) => {
                self.source = source;
                self.model = ModelState::Ready { since_page_ms };
                self.own_model_error = Some(message);
                while let Some(input) = self.queue.pop_front() {
                    self.send_to_worker(input);
                }
            }
            None => self.model = ModelState::Failed(message),
        }
    }

    fn use_own_model(&mut self, ctx: &Context<Self>, chosen: Vec<File>) {
        let names: Vec<String> = chosen.iter().map(File::name).collect();
        let (json, onnx) = match model_source::pick_pair(&names) {
            Ok(pair) => pair,
            Err(message) => {
                self.own_model_error = Some(message);
                return;
            }
        };
        if let ModelState::Ready { since_page_ms } = self.model {
            self.fallback = Some(Fallback {
                source: self.source.clone(),
                since_page_ms,
            });
        }
        self.own_model_error = None;
        self.source = ModelSource::Local {
            onnx_name: names[onnx].clone(),
        };
        self.model = ModelState::Preparing;
        let (json, onnx) = (chosen[json].clone(), chosen[onnx].clone());
        ctx.link().send_future(async move {
            let meta_json = match files::read(&json).await.map(String::from_utf8) {
                Ok(Ok(text)) => text,
                Ok(Err(_)) => {
                    let detail = "UTF-8 のテキストではありません";
                    return Msg::ModelFilesFailed(messages::unreadable_file(&json.name(), detail));
                }
                Err(detail) => {
                    return Msg::ModelFilesFailed(messages::unreadable_file(&json.name(), &detail));
                }
            };
            match files::read(&onnx).await {
                Ok(onnx) => Msg::ModelFiles { meta_json, onnx },
                Err(detail) => {
                    Msg::ModelFilesFailed(messages::unreadable_file(&onnx.name(), &detail))
                }
            }
        });
    }

    fn add_files(&mut self, ctx: &Context<Self>, chosen: Vec<File>) {
        for file in chosen {
            let id = self.next_id;
            self.next_id += 1;
            let preview = Url::create_object_url_with_blob(&file).unwrap_or_default();
            self.cards.insert(
                0,
                Card {
                    id,
                    name: file.name(),
                    preview,
                    status: Status::Reading,
                },
            );
            ctx.link()
                .send_future(async move { Msg::Read(id, files::read(&file).await) });
        }
    }

    fn on_read(&mut self, id: u64, result: Result<Vec<u8>, String>) {
        let Some(name) = self
            .cards
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.clone())
        else {
            return;
        };
        match result {
            Err(detail) => self.set_status(
                id,
                Status::Failed(messages::unreadable_file(&name, &detail)),
            ),
            Ok(bytes) => {
                let input = WorkerInput::Classify {
                    card: id,
                    name,
                    bytes,
                };
                if matches!(self.model, ModelState::Ready { .. }) {
                    self.send_to_worker(input);
                } else {
                    self.set_status(id, Status::Queued);
                    self.queue.push_back(input);
                }
            }
        }
    }

    fn send_to_worker(&mut self, input: WorkerInput) {
        let Some(bridge) = &mut self.bridge else {
            if let WorkerInput::Classify { card, .. } = &input {
                let message = messages::worker_failed("ワーカーが動いていません");
                self.set_status(*card, Status::Failed(message));
            }
            return;
        };
        if let WorkerInput::Classify { card, .. } = &input {
            let card = *card;
            bridge.send(input);
            self.set_status(card, Status::Classifying);
        } else {
            bridge.send(input);
        }
    }

    fn set_status(&mut self, id: u64, status: Status) {
        if let Some(card) = self.cards.iter_mut().find(|c| c.id == id) {
            card.status = status;
        }
    }
}

fn downloading(file: &str) -> ModelState {
    ModelState::Downloading {
        file: file.to_string(),
        progress: Progress::default(),
    }
}

/// Downloads `model.json` from `dir` and the ONNX file it names, reporting progress.
fn download_model(ctx: &Context<App>, dir: String) {
    let link = ctx.link().clone();
    ctx.link().send_future(async move {
        let meta_url = format!("{dir}/model.json");
        let meta_json = match download::fetch_text(&meta_url).await {
            Ok(text) => text,
            Err(detail) => {
                return Msg::ModelFilesFailed(messages::download_failed(&meta_url, &detail));
            }
        };
        let model_file = match download::model_file_of(&meta_json) {
            Ok(file) => file,
            Err(detail) => {
                return Msg::ModelFilesFailed(messages::model_json_unusable(&meta_url, &detail));
            }
        };
        let onnx_url = format!("{dir}/{model_file}");
        let on_progress =
            move |progress| link.send_message(Msg::Progress(model_file.clone(), progress));
        match download::fetch_bytes(&onnx_url, on_progress).await {
            Ok(onnx) => Msg::ModelFiles { meta_json, onnx },
            Err(detail) => Msg::ModelFilesFailed(messages::download_failed(&onnx_url, &detail)),
        }
    });
}

/// Turns pasted images into [`Msg::Files`].
fn listen_for_paste(link: yew::html::Scope<App>) -> EventListener {
    EventListener::new(&document(), "paste", move |event| {
        let Some(event) = event.dyn_ref::<ClipboardEvent>() else {
            return;
        };
        let pasted = files::from_transfer(event.clipboard_data());
        if !pasted.is_empty() {
            event.prevent_default();
            link.send_message(Msg::Files(pasted));
        }
    })
}

/// A parameter of the page's URL (`?name=value`), decoded.
fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

/// Milliseconds since the page started loading.
fn page_clock_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("the page has a document")
}
