//! The page: the view of a [`Session`] (the model panel, the inputs, the result cards) and
//! the loop that carries out the session's effects with the browser.

use gloo_events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{ClipboardEvent, File, HtmlInputElement, Url};
use yew::prelude::*;

use crate::bridge::{self, WorkerBridge};
use crate::card::CardView;
use crate::download::{self, FetchFailure};
use crate::files;
use crate::lang::{self, Lang};
use crate::layout::{Footer, Header, Intro};
use crate::messages;
use crate::model_panel::ModelPanel;
use crate::model_source;
use crate::offline::{self, OfflineStatus};
use crate::page_state::Progress;
use crate::problem::{ModelJsonProblem, ModelProblem};
use crate::session::{Chosen, Effect, Event as SessionEvent, ModelFiles, Session};

/// Messages of [`App`].
pub enum Msg {
    /// Something for the session.
    Session(SessionEvent<File>),
    /// Drag-over highlighting changes (+1 on enter, -1 on leave, 0 to clear).
    Drag(i32),
    /// Offline use changed (service worker).
    Offline(OfflineStatus),
    /// The user chose the page's language.
    Lang(Lang),
}

/// The root component.
pub struct App {
    session: Session<File>,
    bridge: Option<WorkerBridge>,
    drag_depth: i32,
    offline: OfflineStatus,
    lang: Lang,
    _paste: EventListener,
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let lang = lang::browser::initial();
        lang::browser::mark_document(lang);
        let paste = listen_for_paste(ctx.link().clone());
        offline::register(ctx.link().callback(Msg::Offline));
        let (session, effects) = Session::start(
            query_param("model").as_deref(),
            bridge::pool_size(),
            page_clock_ms,
        );
        let mut app = Self {
            session,
            bridge: None,
            drag_depth: 0,
            offline: OfflineStatus::Installing,
            lang,
            _paste: paste,
        };
        app.carry_out(ctx, effects);
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        match msg {
            Msg::Session(event) => {
                let effects = self.session.handle(event);
                self.carry_out(ctx, effects);
            }
            Msg::Drag(step) => {
                self.drag_depth = if step == 0 {
                    0
                } else {
                    (self.drag_depth + step).max(0)
                };
            }
            Msg::Offline(status) => self.offline = status,
            Msg::Lang(lang) => {
                lang::browser::remember(lang);
                lang::browser::mark_document(lang);
                self.lang = lang;
            }
        }
        true
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        for url in self.session.previews() {
            let _ = Url::revoke_object_url(url);
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let on_change = link.callback(|event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let chosen = files::from_list(input.files());
            input.set_value("");
            chosen_images(chosen)
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
                own_model(dropped)
            } else {
                chosen_images(dropped)
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
        let lang = self.lang;
        let texts = messages::of(lang);
        html! {
            <div class="page" ondragenter={on_drag_enter} ondragover={on_drag_over}
                ondragleave={on_drag_leave} ondrop={on_drop}>
                <Header {lang} on_choose={link.callback(Msg::Lang)} />
                <main class="content">
                    <Intro {lang} />
                    { offline::view(&self.offline, lang) }
                    <ModelPanel state={self.session.model().clone()}
                        source={self.session.source().clone()}
                        refused={self.session.refused().cloned()}
                        on_retry={link.callback(|()| Msg::Session(SessionEvent::Retry))}
                        on_own_model={link.callback(own_model)} threads={self.session.threads()} {lang} />
                    <section id="drop-zone" class={zone_class}>
                        <p class="prompt">{ texts.drop_prompt() }</p>
                        <p class="hint">{ texts.drop_hint() }</p>
                        <input id="file-input" type="file" multiple=true accept="image/*"
                            capture="environment" onchange={on_change} />
                        <button type="button" class="send-button" onclick={open_chooser}>
                            { texts.send_button() }
                        </button>
                    </section>
                    <section id="results" class="results" aria-live="polite">
                        { for self.session.cards().iter().map(|card| html! {
                            <CardView key={card.id} card={card.clone()} {lang}
                                on_toggle_evidence={link.callback(|card| {
                                    Msg::Session(SessionEvent::EvidenceToggled { card })
                                })} />
                        }) }
                    </section>
                </main>
                <Footer />
            </div>
        }
    }
}

impl App {
    /// Does what the session asks, feeding what comes of it back as events.
    fn carry_out(&mut self, ctx: &Context<Self>, effects: Vec<Effect<File>>) {
        for effect in effects {
            match effect {
                Effect::SpawnWorker { threads } => self.spawn_worker(ctx, threads),
                Effect::StopWorker => self.bridge = None,
                Effect::Post(request) => {
                    if let Some(bridge) = &self.bridge {
                        bridge.post(request.wire(), request.file());
                    }
                }
                Effect::Download { dir, ticket } => download_model(ctx, dir, ticket),
                Effect::ReadModelFiles { json, onnx, ticket } => {
                    ctx.link().send_future(async move {
                        let result = read_model_files(&json, &onnx).await;
                        Msg::Session(SessionEvent::ModelFilesArrived { ticket, result })
                    })
                }
                Effect::RevokePreview(url) => {
                    let _ = Url::revoke_object_url(&url);
                }
            }
        }
    }

    /// Replaces the worker (the old one, if any, is terminated when dropped) by one for
    /// `threads` threads.
    fn spawn_worker(&mut self, ctx: &Context<Self>, threads: usize) {
        self.bridge = None;
        let (on_output, on_garbled, on_crash) =
            (ctx.link().clone(), ctx.link().clone(), ctx.link().clone());
        match WorkerBridge::spawn(
            threads,
            move |output| on_output.send_message(Msg::Session(SessionEvent::WorkerOutput(output))),
            move |detail| {
                on_garbled.send_message(Msg::Session(SessionEvent::WorkerGarbled(detail)))
            },
            move |detail| on_crash.send_message(Msg::Session(SessionEvent::WorkerCrashed(detail))),
        ) {
            Ok(bridge) => self.bridge = Some(bridge),
            Err(detail) => ctx
                .link()
                .send_message(Msg::Session(SessionEvent::WorkerSpawnFailed(detail))),
        }
    }
}

/// Image files for the session, each with an object URL for its preview.
fn chosen_images(chosen: Vec<File>) -> Msg {
    let chosen = chosen
        .into_iter()
        .map(|file| Chosen {
            name: file.name(),
            size: file.size() as u64,
            preview: Url::create_object_url_with_blob(&file).ok(),
            file,
        })
        .collect();
    Msg::Session(SessionEvent::FilesChosen(chosen))
}

/// Files for the user's own model, for the session.
fn own_model(chosen: Vec<File>) -> Msg {
    let named = chosen.into_iter().map(|file| (file.name(), file)).collect();
    Msg::Session(SessionEvent::OwnModelChosen(named))
}

/// Reads the user's `model.json` and ONNX file.
async fn read_model_files(json: &File, onnx: &File) -> Result<ModelFiles, ModelProblem> {
    let unreadable = |file: &File, detail| ModelProblem::UnreadableFile {
        name: file.name(),
        detail,
    };
    let meta_json = String::from_utf8(files::read(json).await.map_err(|d| unreadable(json, d))?)
        .map_err(|_| ModelProblem::NotText { name: json.name() })?;
    let onnx = files::read(onnx).await.map_err(|d| unreadable(onnx, d))?;
    Ok(ModelFiles { meta_json, onnx })
}

/// Downloads `model.json` from `dir` and the ONNX file it names, reporting progress.
fn download_model(ctx: &Context<App>, dir: String, ticket: u64) {
    let link = ctx.link().clone();
    ctx.link().send_future(async move {
        let result = fetch_model_files(&dir, move |file, progress| {
            link.send_message(Msg::Session(SessionEvent::DownloadProgress {
                ticket,
                file,
                progress,
            }))
        })
        .await;
        Msg::Session(SessionEvent::ModelFilesArrived { ticket, result })
    });
}

async fn fetch_model_files(
    dir: &str,
    on_progress: impl Fn(String, Progress) + 'static,
) -> Result<ModelFiles, ModelProblem> {
    let meta_url = format!("{dir}/model.json");
    let meta_json = download::fetch_text(&meta_url)
        .await
        .map_err(|failure| download_problem(&meta_url, failure))?;
    let model_file = download::model_file_of(&meta_json).map_err(|detail| match detail {
        ModelJsonProblem::Html => ModelProblem::NotFound {
            url: meta_url.clone(),
        },
        detail => ModelProblem::ModelJson {
            url: meta_url.clone(),
            detail,
        },
    })?;
    let onnx_url = format!("{dir}/{model_file}");
    let onnx = download::fetch_bytes(&onnx_url, move |progress| {
        on_progress(model_file.clone(), progress)
    })
    .await
    .map_err(|failure| download_problem(&onnx_url, failure))?;
    Ok(ModelFiles { meta_json, onnx })
}

fn download_problem(url: &str, failure: FetchFailure) -> ModelProblem {
    let url = url.to_string();
    match failure {
        FetchFailure::NotFound => ModelProblem::NotFound { url },
        FetchFailure::Failed(detail) => ModelProblem::Download { url, detail },
    }
}

/// Turns pasted images into cards.
fn listen_for_paste(link: yew::html::Scope<App>) -> EventListener {
    EventListener::new(&document(), "paste", move |event| {
        let Some(event) = event.dyn_ref::<ClipboardEvent>() else {
            return;
        };
        let pasted = files::from_transfer(event.clipboard_data());
        if !pasted.is_empty() {
            event.prevent_default();
            link.send_message(chosen_images(pasted));
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
