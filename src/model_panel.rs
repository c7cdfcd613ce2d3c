//! The model's status on the page: download progress, preparing, ready or failed, and
//! the control to use one's own model instead.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::files;
use crate::lang::Lang;
use crate::messages::{self, Catalogue};
use crate::model_source::ModelSource;
use crate::page_state::{ModelState, Progress};
use crate::problem::ModelProblem;

/// Properties of [`ModelPanel`].
#[derive(Properties, PartialEq)]
pub struct ModelPanelProps {
    /// Where the model is.
    pub state: ModelState,
    /// Which model it is.
    pub source: ModelSource,
    /// Why the last model asked for was not taken (the previous model stays in use).
    pub refused: Option<ModelProblem>,
    /// Try the download again.
    pub on_retry: Callback<()>,
    /// The user chose files for their own model.
    pub on_own_model: Callback<Vec<web_sys::File>>,
    /// How many threads the worker classifies on.
    pub threads: usize,
    /// The language to word it in.
    pub lang: Lang,
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
    let texts = messages::of(props.lang);
    let body = match &props.state {
        ModelState::Downloading { file, progress } => downloading(file, progress, texts),
        ModelState::Preparing => {
            html! { <><p>{ texts.model_preparing() }</p><progress /></> }
        }
        ModelState::Ready {
            since_page_ms,
            load_ms,
        } => html! {
            <p id="model-ready" data-load-ms={format!("{load_ms:.1}")}>
                { texts.model_ready(&props.source, *since_page_ms) }{ " " }
                <span id="threads" data-threads={props.threads.to_string()}>
                    { texts.threads(props.threads) }
                </span>
            </p>
        },
        ModelState::Failed(problem) => html! {
            <>
                <p class="error" role="alert">{ texts.model_problem(problem) }</p>
                <button type="button" class="retry" onclick={on_retry}>
                    { texts.retry() }
                </button>
            </>
        },
    };
    html! {
        <section id="model-status" class="model-status" data-state={props.state.name()}
            data-source={matches!(props.source, ModelSource::Local { .. }).then_some("local")}>
            { body }
            if let Some(problem) = &props.refused {
                <p id="own-model-error" class="error" role="alert">
                    { texts.model_problem(problem) }
                </p>
            }
            <details class="own-model">
                <summary>{ texts.own_model() }</summary>
                <p>{ texts.own_model_explanation() }</p>
                <input id="model-input" type="file" multiple=true
                    accept=".onnx,.json,application/json" onchange={on_own_model} />
            </details>
        </section>
    }
}

fn downloading(file: &str, progress: &Progress, texts: &dyn Catalogue) -> Html {
    let bar = match (progress.fraction(), progress.total) {
        (Some(_), Some(total)) => html! {
            <progress max={total.to_string()} value={progress.loaded.to_string()} />
        },
        _ => html! { <progress /> },
    };
    html! { <><p>{ texts.model_downloading(file, progress) }</p>{ bar }</> }
}
