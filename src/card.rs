//! One result card per image: its preview, then its answer or its error.

use yew::prelude::*;

use worker_protocol::{BoxPx, Decoder, Verdict};

use crate::heat_map::HeatMap;
use crate::lang::Lang;
use crate::messages::{self, Catalogue};
use crate::page_state::{Card, Evidence, Status};

/// Properties of [`CardView`].
#[derive(Properties, PartialEq)]
pub struct CardProps {
    /// The card to show.
    pub card: Card,
    /// The language to word it in.
    pub lang: Lang,
    /// Called with the card's id when its 「根拠を表示」 toggle is pressed.
    pub on_toggle_evidence: Callback<u64>,
}

/// Renders one [`Card`].
#[function_component(CardView)]
pub fn card_view(props: &CardProps) -> Html {
    let card = &props.card;
    let texts = messages::of(props.lang);
    let body = match &card.status {
        Status::Done(verdict) => {
            let id = card.id;
            let on_toggle = props.on_toggle_evidence.reform(move |_: MouseEvent| id);
            html! {
                <>
                    { verdict_view(verdict, texts) }
                    { evidence_view(card, texts, on_toggle) }
                </>
            }
        }
        Status::Failed(problem) => html! {
            <p class="error" role="alert"
                title={messages::card_problem_detail(problem).map(str::to_owned)}>
                { texts.card_problem(&card.name, problem) }
            </p>
        },
        waiting => html! { <p class="status">{ texts.card_waiting(waiting) }</p> },
    };
    let preview = match (&card.status, &card.preview) {
        (Status::Failed(_), _) | (_, None) => {
            html! { <div class="preview preview-missing" aria-hidden="true">{ "?" }</div> }
        }
        (Status::Done(Verdict { best_box, .. }), Some(url))
            if best_box.is_some() || matches!(card.evidence, Evidence::Shown(_)) =>
        {
            html! {
                <>
                    <img class="preview boxed" src={url.clone()} alt={card.name.clone()} />
                    if let Evidence::Shown(map) = &card.evidence { { heat_view(map) } }
                    if let Some(best) = best_box { { box_view(best) } }
                </>
            }
        }
        (_, Some(url)) => {
            html! { <img class="preview" src={url.clone()} alt={card.name.clone()} /> }
        }
    };
    html! {
        <article class="card" data-state={card.status.name()} data-name={card.name.clone()}
            data-problem={problem_kind(&card.status)} data-evidence={card.evidence.name()}>
            <div class="preview-frame">{ preview }</div>
            <div class="card-body">
                <p class="file-name">{ &card.name }</p>
                { body }
            </div>
        </article>
    }
}

/// The card's problem kind for `data-problem`, when it has one.
fn problem_kind(status: &Status) -> Option<&'static str> {
    match status {
        Status::Failed(problem) => Some(problem.kind()),
        _ => None,
    }
}

/// The answer, worded by the page from `is_special_week` (the worker's `answer` is
/// always Japanese), the probability bar and the details.
fn verdict_view(verdict: &Verdict, texts: &dyn Catalogue) -> Html {
    let percent = f64::from(verdict.p_special_week) * 100.0;
    let kind = if verdict.is_special_week {
        "answer yes"
    } else {
        "answer no"
    };
    html! {
        <>
            <p class={kind}>{ texts.answer(verdict.is_special_week) }</p>
            <div class="bar" role="progressbar" aria-label={texts.probability_label()}
                aria-valuemin="0" aria-valuemax="100" aria-valuenow={format!("{percent:.1}")}
                data-p={verdict.p_special_week.to_string()}>
                <svg class="bar-fill" viewBox="0 0 100 10" preserveAspectRatio="none"
                    aria-hidden="true">
                    <rect width={format!("{percent:.1}")} height="10" />
                </svg>
            </div>
            <p class="detail">
                { texts.probability(percent) }
                <span class="infer-ms" data-ms={format!("{:.1}", verdict.infer_ms)}
                    data-run-ms={format!("{:.1}", verdict.run_ms)}>
                    { texts.separator() }{ texts.judge_time(verdict.infer_ms) }
                </span>
                <span class="decoder" data-decoder={decoder_name(verdict.decoder)}>
                    { texts.separator() }{ texts.decoder(verdict.decoder) }
                </span>
            </p>
        </>
    }
}

/// A stable name for the decoder, used as `data-decoder` (for tests).
fn decoder_name(decoder: Decoder) -> &'static str {
    match decoder {
        Decoder::Builtin => "builtin",
        Decoder::Browser => "browser",
    }
}

/// The heat-map toggle of an answered card and, while it is on, what the map shows, that
/// it is being made, or why it could not be.
fn evidence_view(card: &Card, texts: &dyn Catalogue, on_toggle: Callback<MouseEvent>) -> Html {
    let on = card.evidence.is_on();
    let note = match &card.evidence {
        Evidence::Hidden(_) => html! {},
        Evidence::Computing => {
            html! { <p class="why-note status" role="status">{ texts.evidence_computing() }</p> }
        }
        Evidence::Shown(map) => {
            html! { <p class="why-note">{ texts.evidence_caption(&map.source) }</p> }
        }
        Evidence::Failed(problem) => html! {
            <p class="why-note error" role="alert">{ texts.card_problem(&card.name, problem) }</p>
        },
    };
    html! {
        <>
            <button type="button" class="why-toggle" aria-pressed={on.to_string()}
                onclick={on_toggle}>
                { texts.evidence_toggle(on) }
            </button>
            { note }
        </>
    }
}

/// The heat map over the preview (shown whole, like [`box_view`]): one translucent red
/// cell per part, as opaque as the answer comes from there. Opacity is an SVG attribute,
/// not an inline style, for the page's Content-Security-Policy.
fn heat_view(map: &HeatMap) -> Html {
    html! {
        <svg class="heat-map" viewBox="0 0 100 100" preserveAspectRatio="none"
            aria-hidden="true" data-cells={map.cells.len().to_string()}>
            { for map.cells.iter().map(|cell| {
                let [left, top, width, height] = contained_box_percent(&cell.region);
                html! {
                    <rect x={format!("{left:.3}")} y={format!("{top:.3}")}
                        width={format!("{width:.3}")} height={format!("{height:.3}")}
                        fill-opacity={format!("{:.3}", cell.heat * HEAT_OPACITY)}
                        data-heat={format!("{:.4}", cell.heat)} />
                }
            }) }
        </svg>
    }
}

/// The opacity of the hottest heat-map cell; the picture stays visible under it.
const HEAT_OPACITY: f32 = 0.6;

/// The outline of the crop that decided, over the preview (shown whole, `object-fit:
/// contain`, when there is a box): an SVG in percentages of the frame, so no inline style
/// is needed under the page's Content-Security-Policy.
fn box_view(best: &BoxPx) -> Html {
    let [left, top, width, height] = contained_box_percent(best);
    html! {
        <svg class="best-box" viewBox="0 0 100 100" preserveAspectRatio="none"
            aria-hidden="true" data-box={format!("{},{},{},{}", best.x, best.y, best.w, best.h)}>
            <rect x={format!("{left:.3}")} y={format!("{top:.3}")}
                width={format!("{width:.3}")} height={format!("{height:.3}")} />
        </svg>
    }
}

/// Where a box lies, as CSS percentages `[left, top, width, height]` of a square frame,
/// when its image is shown in the frame with `object-fit: contain` (scaled to fit, centred,
/// the shorter side letterboxed).
pub fn contained_box_percent(best: &BoxPx) -> [f64; 4] {
    let (width, height) = (f64::from(best.image_width), f64::from(best.image_height));
    let side = width.max(height).max(1.0);
    let percent = |v: f64| v / side * 100.0;
    [
        percent(f64::from(best.x) + (side - width) / 2.0),
        percent(f64::from(best.y) + (side - height) / 2.0),
        percent(f64::from(best.w)),
        percent(f64::from(best.h)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(x: u32, y: u32, w: u32, h: u32, image_width: u32, image_height: u32) -> BoxPx {
        BoxPx {
            x,
            y,
            w,
            h,
            image_width,
            image_height,
        }
    }

    #[test]
    fn a_square_image_maps_straight_to_percentages() {
        assert_eq!(
            contained_box_percent(&boxed(25, 50, 50, 25, 100, 100)),
            [25.0, 50.0, 50.0, 25.0]
        );
    }

    #[test]
    fn a_wide_image_is_letterboxed_top_and_bottom() {
        // 200×100 shown as 100% × 50%, from 25% down.
        assert_eq!(
            contained_box_percent(&boxed(100, 0, 100, 100, 200, 100)),
            [50.0, 25.0, 50.0, 50.0]
        );
    }

    #[test]
    fn a_tall_image_is_letterboxed_left_and_right() {
        // 100×400: shown 25% wide from 37.5%.
        assert_eq!(
            contained_box_percent(&boxed(0, 200, 100, 200, 100, 400)),
            [37.5, 50.0, 25.0, 50.0]
        );
    }
}
