//! The page: model download, the inputs (chooser, drop, paste) and the result cards.

use std::collections::VecDeque;

use classifier::ModelMeta;
use gloo_events::EventListener;
use gloo_worker::{Spawnable, WorkerBridge};
use wasm_bindgen::JsCast;
use web_sys::{ClipboardEvent, File, HtmlInputElement, Url};
use yew::prelude::*;

use crate::card::{Card, CardView, Status};
use crate::download::{self, Progress};
use crate::files;
use crate::layout::{Footer, Header, Intro};
use crate::messages;
use crate::protocol::{WorkerInput, WorkerOutput};
use crate::worker::{self, ClassifierWorker};

/// Where the model files are, relative to the page.
pub const MODEL_DIR: &str = "model";

/// The model's way from the network to the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelState {
    /// Downloading `file`.
    Downloading {
        /// The file being downloaded.
        file: String,
        /// How far it is.
        progress: Progress,
    },
    /// Downloaded; the worker is parsing and optimising it.
    Preparing,
    /// Ready to classify.
    Ready {
        /// Milliseconds from opening the page until the model was ready.
        since_page_ms: f64,
    },
    /// Could not be downloaded or loaded (message in Japanese).
    Failed(String),
}

/// Messages of [`App`].
pub enum Msg {
    /// Download progress.
    Progress(String, Progress),
    /// Both model files arrived.
    Downloaded {
        /// The text of `model.json`.
        meta_json: String,
        /// The ONNX bytes.
        onnx: Vec<u8>,
    },
    /// The download failed (message in Japanese).
    DownloadFailed(String),
    /// The user asked to try the download again.
    Retry,
    /// The worker answered.
    Worker(WorkerOutput),
    /// The user gave files (chooser, drop or paste).
    Files(Vec<File>),
    /// A file was read from the device.
    Read(u64, Result<Vec<u8>, String>),
    /// Drag-over highlighting changes (+1 on enter, -1 on leave, 0 to clear).
    Drag(i32),
}

/// The root component.
pub struct App {
    model: ModelState,
    cards: Vec<Card>,
    queue: VecDeque<WorkerInput>,
    next_id: u64,
    drag_depth: i32,
    bridge: WorkerBridge<ClassifierWorker>,
    _paste: EventListener,
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let link = ctx.link().clone();
        let bridge = ClassifierWorker::spawner()
            .callback(move |output| link.send_message(Msg::Worker(output)))
            .spawn(worker::SCRIPT);
        let link = ctx.link().clone();
        let document = document();
        let paste = EventListener::new(&document, "paste", move |event| {
            let Some(event) = event.dyn_ref::<ClipboardEvent>() else {
                return;
            };
            let pasted = files::from_transfer(event.clipboard_data());
            if !pasted.is_empty() {
                event.prevent_default();
                link.send_message(Msg::Files(pasted));
            }
        });
        download_model(ctx);
        Self {
            model: ModelState::Downloading {
                file: "model.json".into(),
                progress: Progress::default(),
            },
            cards: Vec::new(),
            queue: VecDeque::new(),
            next_id: 0,
            drag_depth: 0,
            bridge,
            _paste: paste,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        match msg {
            Msg::Progress(file, progress) => {
                self.model = ModelState::Downloading { file, progress };
            }
            Msg::Downloaded { meta_json, onnx } => {
                self.model = ModelState::Preparing;
                self.bridge.send(WorkerInput::LoadModel { meta_json, onnx });
            }
            Msg::DownloadFailed(message) => self.model = ModelState::Failed(message),
            Msg::Retry => {
                self.model = ModelState::Downloading {
                    file: "model.json".into(),
                    progress: Progress::default(),
                };
                download_model(ctx);
            }
            Msg::Worker(output) => self.on_worker(output),
            Msg::Files(chosen) => self.add_files(ctx, chosen),
            Msg::Read(id, result) => self.on_read(id, result),
            Msg::Drag(step) => {
                self.drag_depth = if step == 0 {
                    0
                } else {
                    (self.drag_depth + step).max(0)
                };
            }
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
            vec![
                Msg::Drag(0),
                Msg::Files(files::from_transfer(event.data_transfer())),
            ]
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
                    { self.model_view(ctx) }
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
    fn model_view(&self, ctx: &Context<Self>) -> Html {
        let (state, body) = match &self.model {
            ModelState::Downloading { file, progress } => {
                let amount = match progress.total {
                    Some(total) => format!(
                        "{} / {}",
                        download::human_bytes(progress.loaded),
                        download::human_bytes(total)
                    ),
                    None => download::human_bytes(progress.loaded),
                };
                let bar = match (progress.fraction(), progress.total) {
                    (Some(_), Some(total)) => html! {
                        <progress max={total.to_string()} value={progress.loaded.to_string()} />
                    },
                    _ => html! { <progress /> },
                };
                let text = format!("モデルをダウンロード中（{file}）… {amount}");
                ("downloading", html! { <><p>{ text }</p>{ bar }</> })
            }
            ModelState::Preparing => (
                "preparing",
                html! { <><p>{ "モデルを準備中…" }</p><progress /></> },
            ),
            ModelState::Ready { since_page_ms } => (
                "ready",
                html! {
                    <p>{ format!("モデルの準備ができました（ページを開いてから {:.1} 秒）。", since_page_ms / 1000.0) }</p>
                },
            ),
            ModelState::Failed(message) => (
                "failed",
                html! {
                    <>
                        <p class="error" role="alert">{ message }</p>
                        <button type="button" class="retry" onclick={ctx.link().callback(|_| Msg::Retry)}>
                            { "もう一度読み込む" }
                        </button>
                    </>
                },
            ),
        };
        html! { <section id="model-status" class="model-status" data-state={state}>{ body }</section> }
    }

    fn on_worker(&mut self, output: WorkerOutput) {
        match output {
            WorkerOutput::ModelReady { .. } => {
                self.model = ModelState::Ready {
                    since_page_ms: page_clock_ms(),
                };
                while let Some(input) = self.queue.pop_front() {
                    self.send_to_worker(input);
                }
            }
            WorkerOutput::ModelFailed { message } => self.model = ModelState::Failed(message),
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
        if let WorkerInput::Classify { card, .. } = &input {
            self.set_status(*card, Status::Classifying);
        }
        self.bridge.send(input);
    }

    fn set_status(&mut self, id: u64, status: Status) {
        if let Some(card) = self.cards.iter_mut().find(|c| c.id == id) {
            card.status = status;
        }
    }
}

/// Downloads `model.json` and the ONNX file it names, reporting progress to the page.
fn download_model(ctx: &Context<App>) {
    let link = ctx.link().clone();
    ctx.link().send_future(async move {
        let meta_url = format!("{MODEL_DIR}/model.json");
        let meta_json = match download::fetch_text(&meta_url).await {
            Ok(text) => text,
            Err(detail) => {
                return Msg::DownloadFailed(messages::download_failed(&meta_url, &detail));
            }
        };
        let meta = match ModelMeta::from_json(&meta_json) {
            Ok(meta) => meta,
            Err(error) => return Msg::DownloadFailed(messages::model_error(&error.into())),
        };
        let onnx_url = format!("{MODEL_DIR}/{}", meta.model_file);
        let file = meta.model_file.clone();
        let on_progress = move |progress| link.send_message(Msg::Progress(file.clone(), progress));
        match download::fetch_bytes(&onnx_url, on_progress).await {
            Ok(onnx) => Msg::Downloaded { meta_json, onnx },
            Err(detail) => Msg::DownloadFailed(messages::download_failed(&onnx_url, &detail)),
        }
    });
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
