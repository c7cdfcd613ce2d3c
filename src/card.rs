//! One result card per image: its preview, then its answer or its error.

use yew::prelude::*;

use worker_protocol::Verdict;

/// Where an image is on its way to an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// The file is being read from the device.
    Reading,
    /// Read, waiting for the model to finish loading.
    Queued,
    /// With the worker.
    Classifying,
    /// Answered.
    Done(Verdict),
    /// Could not be classified (message in Japanese).
    Failed(String),
}

impl Status {
    /// A stable name for the state, used as `data-state` (for styles and tests).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Reading => "reading",
            Self::Queued => "queued",
            Self::Classifying => "classifying",
            Self::Done(_) => "done",
            Self::Failed(_) => "error",
        }
    }
}

/// One image the user gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// Unique within the page.
    pub id: u64,
    /// The file's name.
    pub name: String,
    /// An object URL of the file, for the preview.
    pub preview: String,
    /// Its progress.
    pub status: Status,
}

/// Properties of [`CardView`].
#[derive(Properties, PartialEq)]
pub struct CardProps {
    /// The card to show.
    pub card: Card,
}

/// Renders one [`Card`].
#[function_component(CardView)]
pub fn card_view(props: &CardProps) -> Html {
    let card = &props.card;
    let body = match &card.status {
        Status::Reading => html! { <p class="status">{ "読み込み中…" }</p> },
        Status::Queued => {
            html! { <p class="status">{ "モデルの準備ができしだい判定します…" }</p> }
        }
        Status::Classifying => html! { <p class="status">{ "判定中…" }</p> },
        Status::Done(verdict) => verdict_view(verdict),
        Status::Failed(message) => html! { <p class="error" role="alert">{ message }</p> },
    };
    let preview = match card.status {
        Status::Failed(_) => {
            html! { <div class="preview preview-missing" aria-hidden="true">{ "?" }</div> }
        }
        _ => html! { <img class="preview" src={card.preview.clone()} alt={card.name.clone()} /> },
    };
    html! {
        <article class="card" data-state={card.status.name()} data-name={card.name.clone()}>
            { preview }
            <div class="card-body">
                <p class="file-name">{ &card.name }</p>
                { body }
            </div>
        </article>
    }
}

fn verdict_view(verdict: &Verdict) -> Html {
    let percent = f64::from(verdict.p_special_week) * 100.0;
    let kind = if verdict.is_special_week {
        "answer yes"
    } else {
        "answer no"
    };
    html! {
        <>
            <p class={kind}>{ &verdict.answer }</p>
            <div class="bar" role="progressbar" aria-label="スペシャルウィークである確率"
                aria-valuemin="0" aria-valuemax="100" aria-valuenow={format!("{percent:.1}")}
                data-p={verdict.p_special_week.to_string()}>
                <div class="bar-fill" style={format!("width: {percent:.1}%")}></div>
            </div>
            <p class="detail">
                { format!("スペシャルウィークである確率 {percent:.1}%") }
                <span class="infer-ms" data-ms={format!("{:.1}", verdict.infer_ms)}>
                    { format!(" ・ 判定 {:.0} ms", verdict.infer_ms) }
                </span>
            </p>
        </>
    }
}
