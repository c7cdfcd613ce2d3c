//! Where and why, in the page: the best crop's box on the preview of a model with crops,
//! and the 「根拠を表示」 heat map, made from the crops or, for the bundled model (which
//! has none), from the worker's occlusion map; both as the native classifier makes them.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use classifier::crops::{CropBox, PixelBox};
use classifier::explain::GRID;
use classifier::pooling::CropScore;
use classifier::{Classifier, ModelMeta, preprocess};
use fantoccini::Locator;
use serde_json::Value;
use special_week_app::heat_map::{CROP_GRID, HeatMap};
use worker_protocol::{BoxPx, Occlusion, ScoredBox};

use crate::browser::Browser;
use crate::fixtures::{self, Fixture};
use crate::{MODEL_TIMEOUT, choose_files, finished_cards, one_at_a_time, open_page};

/// How long the worker may take for an occlusion map (17 model runs).
const EXPLAIN_TIMEOUT: Duration = Duration::from_secs(120);
/// The largest allowed difference between the page's and the native heat of a cell.
const HEAT_TOLERANCE: f64 = 0.01;

/// The whole image and a 3 × 3 grid of half-size boxes.
fn crop_list() -> Vec<CropBox> {
    let mut crops = vec![classifier::crops::whole()];
    for y in [0.0, 0.25, 0.5] {
        for x in [0.0, 0.25, 0.5] {
            crops.push(CropBox {
                x,
                y,
                w: 0.5,
                h: 0.5,
            });
        }
    }
    crops
}

/// A model folder with the bundled ONNX file and its `model.json` plus [`crop_list`].
fn crop_model_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let bundled = crate::model_dir();
        let text = std::fs::read_to_string(bundled.join("model.json")).expect("model.json");
        let mut meta = ModelMeta::from_json(&text).expect("the bundled model.json");
        meta.crops = Some(crop_list());
        let dir =
            std::env::temp_dir().join(format!("special-week-crop-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a model folder");
        std::fs::write(dir.join("model.json"), meta.to_json()).expect("writing model.json");
        std::fs::copy(bundled.join(&meta.model_file), dir.join(&meta.model_file))
            .expect("copying the ONNX file");
        dir
    })
}

fn crop_model() -> Classifier {
    let dir = crop_model_dir();
    let meta = ModelMeta::from_json(&std::fs::read_to_string(dir.join("model.json")).unwrap())
        .expect("valid model.json");
    let onnx = std::fs::read(dir.join(&meta.model_file)).unwrap();
    Classifier::load(onnx, meta).expect("the crop model loads")
}

/// Scores as the worker sends them, for an `image_size` image.
fn scored(scores: &[CropScore], (image_width, image_height): (u32, u32)) -> Vec<ScoredBox> {
    scores
        .iter()
        .map(|score| {
            let PixelBox { x, y, w, h } = score.pixel_box;
            ScoredBox {
                region: BoxPx {
                    x,
                    y,
                    w,
                    h,
                    image_width,
                    image_height,
                },
                p_special_week: score.p_special_week,
            }
        })
        .collect()
}

/// The heat map the native classifier's occlusion map gives for a fixture.
fn native_occlusion_heat(model: &Classifier, fixture: &Fixture) -> HeatMap {
    let image = preprocess::decode_upright(&fixture.bytes)
        .and_then(preprocess::judgeable)
        .expect("the fixture decodes");
    let map = model
        .occlusion(&model.view(&image), image.dimensions(), GRID)
        .expect("the occlusion map");
    HeatMap::from_occlusion(&Occlusion {
        p_whole: map.p_whole,
        cells: scored(&map.cells, image.dimensions()),
        ms: 0.0,
    })
}

/// Presses the heat-map toggle of the card of `name`, as a person would.
async fn press_toggle(browser: &Browser, name: &str) {
    browser
        .client
        .find(Locator::Css(&format!(
            ".card[data-name=\"{name}\"] .why-toggle"
        )))
        .await
        .expect("the toggle")
        .click()
        .await
        .expect("pressing the toggle");
}

/// Waits until the card of `name` shows its heat map; its cells' heat, the caption and
/// the toggle's label.
async fn shown_heat(browser: &Browser, name: &str) -> Value {
    let script = format!(
        r#"const card = document.querySelector('.card[data-name="{name}"]');
           if (card.dataset.evidence === 'failed') throw new Error(card.innerText);
           if (card.dataset.evidence !== 'shown') return null;
           return {{
               heat: [...card.querySelectorAll('.heat-map rect')].map(r => Number(r.dataset.heat)),
               caption: card.querySelector('.why-note').innerText,
               toggle: card.querySelector('.why-toggle').innerText,
               pressed: card.querySelector('.why-toggle').getAttribute('aria-pressed'),
           }};"#
    );
    browser
        .wait_for("the heat map", EXPLAIN_TIMEOUT, &script)
        .await
}

fn assert_heat(page: &Value, native: &HeatMap) {
    let heat: Vec<f64> = page["heat"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|h| h.as_f64().expect("a number"))
        .collect();
    assert_eq!(heat.len(), native.cells.len(), "{page}");
    for (page_heat, cell) in heat.iter().zip(&native.cells) {
        assert!(
            (page_heat - f64::from(cell.heat)).abs() <= HEAT_TOLERANCE,
            "page {page_heat} vs native {cell:?}"
        );
    }
    eprintln!("heat map: {} cells as natively", heat.len());
}

#[tokio::test]
async fn the_heat_map_of_the_bundled_model_is_its_occlusion_map() {
    let _turn = one_at_a_time().await;
    let browser = open_page().await;
    let fixture = fixtures::corner_png();
    choose_files(&browser, std::slice::from_ref(&fixture), "why").await;
    finished_cards(&browser, 1).await;
    let toggle_text = browser
        .js(
            "return document.querySelector('.why-toggle').innerText",
            vec![],
        )
        .await;
    assert_eq!(toggle_text, "根拠を表示");

    press_toggle(&browser, fixture.name).await;
    let page = shown_heat(&browser, fixture.name).await;
    assert_eq!(page["toggle"], "根拠を隠す");
    assert_eq!(page["pressed"], "true");
    let caption = page["caption"].as_str().expect("a caption");
    assert!(
        caption.contains(&format!("{} か所", GRID * GRID)),
        "{caption}"
    );
    assert_heat(&page, &native_occlusion_heat(crate::native(), &fixture));
    crate::save_screenshot(&browser, "heat-map.png").await;

    press_toggle(&browser, fixture.name).await;
    let hidden = browser
        .js(
            "const card = document.querySelector('.card');
             return [card.dataset.evidence, !!card.querySelector('.heat-map')];",
            vec![],
        )
        .await;
    assert_eq!(hidden, serde_json::json!(["hidden", false]));
    browser.stop().await;
}

#[tokio::test]
async fn a_crop_model_boxes_the_corner_and_maps_its_crops() {
    let _turn = one_at_a_time().await;
    let fixture = fixtures::corner_png();
    let model = crop_model();
    let native = model.classify(&fixture.bytes).expect("classifies natively");
    let best = native.best_box;
    assert!(
        best.x >= 320 && best.y >= 240,
        "the half-size crop holding the corner's picture decides: {native:?}"
    );

    let browser = open_page().await;
    let dir = crop_model_dir();
    let meta =
        ModelMeta::from_json(&std::fs::read_to_string(dir.join("model.json")).unwrap()).unwrap();
    let pair = [dir.join("model.json"), dir.join(&meta.model_file)];
    browser.choose_files("#model-input", &pair).await;
    browser
        .wait_for(
            "the crop model",
            MODEL_TIMEOUT,
            r#"const s = document.querySelector('#model-status');
               const e = document.querySelector('#own-model-error');
               if (e) throw new Error(e.innerText);
               return s.dataset.source === 'local' && s.dataset.state === 'ready';"#,
        )
        .await;
    choose_files(&browser, std::slice::from_ref(&fixture), "crops").await;
    let cards = finished_cards(&browser, 1).await;
    let page_p = cards[0]["p"].as_f64().expect("data-p");
    assert!(
        (page_p - f64::from(native.p_special_week)).abs() <= crate::PARITY_TOLERANCE,
        "page {page_p} vs native {native:?}"
    );
    let drawn = browser
        .js(
            "return document.querySelector('.card .best-box')?.dataset.box ?? null",
            vec![],
        )
        .await;
    assert_eq!(
        drawn,
        format!("{},{},{},{}", best.x, best.y, best.w, best.h).as_str()
    );
    crate::save_screenshot(&browser, "best-box.png").await;

    press_toggle(&browser, fixture.name).await;
    let page = shown_heat(&browser, fixture.name).await;
    let expected = HeatMap::from_crops(&scored(
        &native.crops,
        (native.image_width, native.image_height),
    ));
    assert_eq!(expected.cells.len(), (CROP_GRID * CROP_GRID) as usize);
    assert_heat(&page, &expected);
    crate::save_screenshot(&browser, "heat-map-crops.png").await;
    browser.stop().await;
}
