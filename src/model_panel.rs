//! The model's status on the page: download progress, preparing, ready or failed, and
//! the control to use one's own model instead.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::download::{self, Progress};
use crate::files;
use crate::model_source::ModelSource;

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
    /// Arrived; the worker is parsing and optimising it.
    Preparing,
    /// Ready to classify.
    Ready {
        /// Milliseconds from opening the page until the model was ready.
        since_page_ms: f64,
    },
    /// Could not be downloaded or loaded (message in Japanese).
    Failed(String),
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

/// Properties of [`ModelPanel`].
#[derive(Properties, PartialEq)]
pub struct ModelPanelProps {
    /// Where the model is.
    pub state: ModelState,
    /// Which model it is.
    pub source: ModelSource,
    /// Why the user's own model was not taken (the previous model stays in use).
    pub own_model_error: Option<String>,
    /// Try the download again.
    pub on_retry: Callback<()>,
    /// The user chose files for their own model.
    pub on_own_model: Callback<Vec<web_sys::File>>,
}

/// Renders the model's status and the own-model control.
#[function_component(ModelPanel)]
pub fn model_panel(props: &ModelPanelProps) -> Html {
    let on_retry = props.on_retry.reform(|_: MouseEvent| ());
    let on_own_model = props.on_own_model.reform(|event: Event| {
        let input: HtmlInputElement = event.target_unchecked_into();
        let chosen = files::from_list(input.files());
        input.set_value("");
        chosen
    });
    let body = match &props.state {
        ModelState::Downloading { file, progress } => downloading(file, progress),
        ModelState::Preparing => html! { <><p>{ "モデルを準備中…" }</p><progress /></> },
        ModelState::Ready { since_page_ms } => html! {
            <p>{ format!(
                "{}の準備ができました（ページを開いてから {:.1} 秒）。",
                props.source.describe(),
                since_page_ms / 1000.0
            ) }</p>
        },
        ModelState::Failed(message) => html! {
            <>
                <p class="error" role="alert">{ message }</p>
                <button type="button" class="retry" onclick={on_retry}>
                    { "もう一度読み込む" }
                </button>
            </>
        },
    };
    html! {
        <section id="model-status" class="model-status" data-state={props.state.name()}
            data-source={matches!(props.source, ModelSource::Local { .. }).then_some("local")}>
            { body }
            if let Some(message) = &props.own_model_error {
                <p id="own-model-error" class="error" role="alert">{ message }</p>
            }
            <details class="own-model">
                <summary>{ "自分のモデルを使う" }</summary>
                <p>
                    { "model.json と .onnx ファイルを一緒に選ぶか、ページにドロップしてください。\
                       モデルはこのタブの中だけで使われ、どこにも送信されません。" }
                </p>
                <input id="model-input" type="file" multiple=true
                    accept=".onnx,.json,application/json" onchange={on_own_model} />
            </details>
        </section>
    }
}

fn downloading(file: &str, progress: &Progress) -> Html {
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
    html! { <><p>{ format!("モデルをダウンロード中（{file}）… {amount}") }</p>{ bar }</> }
}
