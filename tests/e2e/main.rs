//! End-to-end tests of the built page (`dist/`) in headless Chromium.
//!
//! Needs `trunk build --release` output in `dist/` and Debian's `chromium` and
//! `chromium-driver`; `cargo xtask test` prepares both and runs this suite with
//! `--features e2e`. Each test serves `dist/` on loopback, opens a fresh browser, waits for
//! the model, gives the page files in one of the ways a person would, and compares the
//! answers on the page with the native classifier's answers for the same bytes: the same
//! Japanese answer (the browser's language is Japanese unless a test asks for another,
//! see [`browser::DEFAULT_LANGUAGE`]) and the same probability within 1e-4 (wasm/native
//! parity of the shared preprocessing and model).

mod browser;
mod crash;
mod csp;
mod evidence;
#[path = "../common/fixtures.rs"]
mod fixtures;
mod hostile;
mod keras;
mod language;
mod offline;
mod server;
mod threads;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use classifier::{Classifier, ModelMeta};
use serde_json::{Value, json};

use browser::Browser;
use fixtures::Fixture;
use server::StaticServer;

/// How long the model may take to download and load in the browser.
const MODEL_TIMEOUT: Duration = Duration::from_secs(300);
/// The largest allowed difference between the browser's and the native probability.
const PARITY_TOLERANCE: f64 = 1e-4;
/// How long classifying a handful of images may take.
const CLASSIFY_TIMEOUT: Duration = Duration::from_secs(180);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One browser at a time: the machine is small and the model is big. (An async lock:
/// the guard is held across the test's awaits, and a failed test must not poison it.)
async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

fn server() -> &'static StaticServer {
    static SERVER: OnceLock<StaticServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let dist = root().join("dist");
        assert!(
            dist.join("index.html").is_file(),
            "no dist/index.html: run `cargo xtask test`"
        );
        StaticServer::start(&dist)
    })
}

/// The model directory the page serves: `dist/model`, copied by Trunk from `model/`.
fn model_dir() -> PathBuf {
    root().join("dist").join("model")
}

/// The native classifier, loaded once from the same files the page downloads.
fn native() -> &'static Classifier {
    static NATIVE: OnceLock<Classifier> = OnceLock::new();
    NATIVE.get_or_init(|| {
        let dir = model_dir();
        let meta = ModelMeta::from_json(
            &std::fs::read_to_string(dir.join("model.json")).expect("model/model.json"),
        )
        .expect("valid model.json");
        let onnx = std::fs::read(dir.join(&meta.model_file)).expect("the ONNX file");
        Classifier::load(onnx, meta).expect("the model loads natively")
    })
}

/// What the native path answers for a fixture: the Japanese answer and P(Special Week).
fn native_answer(fixture: &Fixture) -> (String, f32) {
    let classifier = native();
    let prediction = classifier
        .classify(&fixture.bytes)
        .expect("fixture classifies natively");
    (
        classifier::model::answer_ja(classifier.meta(), &prediction),
        prediction.p_special_week,
    )
}

/// Opens the page and waits until the model is ready.
async fn open_page() -> Browser {
    open_page_at(server()).await
}

/// Opens the page `server` serves and waits until the model is ready and the service
/// worker has cached the build. (It downloads the build in the background; waiting
/// means its requests never overlap what a test measures.)
async fn open_page_at(server: &StaticServer) -> Browser {
    load_page(Browser::start().await, server).await
}

/// Opens the page in a browser whose language is `language`, as [`open_page`] does.
async fn open_page_in(language: &str) -> Browser {
    load_page(Browser::start_in(language).await, server()).await
}

async fn load_page(browser: Browser, server: &StaticServer) -> Browser {
    browser
        .client
        .goto(&server.url)
        .await
        .expect("opening the page");
    wait_for_model(&browser).await;
    offline::wait_for_offline_state(&browser, "ready").await;
    browser
}

/// Waits until the page's model is ready (downloaded, or read from the cache).
async fn wait_for_model(browser: &Browser) {
    browser
        .wait_for(
            "the model",
            MODEL_TIMEOUT,
            r#"const s = document.querySelector('#model-status');
               if (s && s.dataset.state === 'failed') throw new Error(s.innerText);
               return s && s.dataset.state === 'ready';"#,
        )
        .await;
}

/// Waits until `count` cards are finished and returns them, newest first.
async fn finished_cards(browser: &Browser, count: usize) -> Vec<Value> {
    let script = format!(
        r#"const cards = [...document.querySelectorAll('#results .card')];
           if (cards.length < {count} || cards.some(c => !['done', 'error'].includes(c.dataset.state))) return null;
           return cards.map(c => ({{
               name: c.dataset.name,
               state: c.dataset.state,
               answer: c.querySelector('.answer')?.innerText ?? null,
               percent: Number(c.querySelector('.bar')?.getAttribute('aria-valuenow') ?? 'NaN'),
               p: Number(c.querySelector('.bar')?.dataset.p ?? 'NaN'),
               ms: Number(c.querySelector('.infer-ms')?.dataset.ms ?? 'NaN'),
               error: c.querySelector('.error')?.innerText ?? null,
           }}));"#
    );
    let cards = browser
        .wait_for("the answers", CLASSIFY_TIMEOUT, &script)
        .await;
    cards.as_array().expect("a list of cards").clone()
}

/// Checks that a card shows the native answer for `fixture`, and that the wasm worker's
/// probability equals the native one within [`PARITY_TOLERANCE`].
fn assert_native_answer(card: &Value, fixture: &Fixture) {
    let (answer, p) = native_answer(fixture);
    assert_eq!(card["state"], "done", "card {card}");
    assert_eq!(card["name"], fixture.name, "card {card}");
    assert_eq!(card["answer"], answer.as_str(), "card {card}");
    let wasm_p = card["p"].as_f64().expect("the exact probability in data-p");
    let difference = (wasm_p - f64::from(p)).abs();
    eprintln!(
        "parity {}: wasm {wasm_p} native {p} |Δ| {difference:e}",
        fixture.name
    );
    assert!(
        difference <= PARITY_TOLERANCE,
        "{}: wasm {wasm_p} vs native {p}",
        fixture.name
    );
    let percent = card["percent"].as_f64().expect("a percentage");
    assert!(
        (percent - f64::from(p) * 100.0).abs() <= 0.11,
        "page {percent}% vs native {p}"
    );
    assert!(
        card["ms"].as_f64().is_some_and(|ms| ms > 0.0),
        "inference time in {card}"
    );
}

/// A JavaScript expression that builds a `DataTransfer` holding `fixtures` (argument 0).
const MAKE_TRANSFER: &str = r#"
    const transfer = new DataTransfer();
    for (const f of arguments[0]) {
        const bytes = Uint8Array.from(atob(f.data), c => c.charCodeAt(0));
        transfer.items.add(new File([bytes], f.name, { type: f.mime }));
    }"#;

fn as_js_files(fixtures: &[Fixture]) -> Value {
    json!(
        fixtures
            .iter()
            .map(|f| json!({ "name": f.name, "mime": f.mime, "data": BASE64.encode(&f.bytes) }))
            .collect::<Vec<_>>()
    )
}

/// Writes fixtures to a fresh directory, for the file chooser.
fn on_disk(fixtures: &[Fixture], label: &str) -> Vec<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "special-week-fixtures-{}-{label}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("fixture directory");
    fixtures
        .iter()
        .map(|f| {
            let path = dir.join(f.name);
            std::fs::write(&path, &f.bytes).expect("writing a fixture");
            path
        })
        .collect()
}

async fn choose_files(browser: &Browser, fixtures: &[Fixture], label: &str) {
    browser
        .choose_files("#file-input", &on_disk(fixtures, label))
        .await;
}

#[tokio::test]
async fn one_file_through_the_chooser_gets_the_native_answer() {
    let _turn = one_at_a_time().await;
    let browser = open_page().await;
    let fixture = fixtures::gradient_png();
    choose_files(&browser, std::slice::from_ref(&fixture), "one").await;
    let cards = finished_cards(&browser, 1).await;
    assert_eq!(cards.len(), 1);
    assert_native_answer(&cards[0], &fixture);
    browser.stop().await;
}

#[tokio::test]
async fn three_files_at_once_give_three_cards_newest_first() {
    let _turn = one_at_a_time().await;
    let browser = open_page().await;
    let images = fixtures::images();
    choose_files(&browser, &images, "three").await;
    let cards = finished_cards(&browser, 3).await;
    assert_eq!(cards.len(), 3);
    for (card, fixture) in cards.iter().zip(images.iter().rev()) {
        assert_native_answer(card, fixture);
    }
    save_screenshot(&browser, "three-files.png").await;
    browser.stop().await;
}

#[tokio::test]
async fn dropped_files_are_classified_and_the_zone_highlights() {
    let _turn = one_at_a_time().await;
    let browser = open_page().await;
    let images = vec![fixtures::checker_jpeg(), fixtures::stripes_png()];
    let script = format!(
        r#"{MAKE_TRANSFER}
           const zone = document.querySelector('#drop-zone');
           const init = {{ bubbles: true, cancelable: true, dataTransfer: transfer }};
           zone.dispatchEvent(new DragEvent('dragenter', init));
           zone.dispatchEvent(new DragEvent('dragover', init));"#
    );
    browser.js(&script, vec![as_js_files(&images)]).await;
    browser
        .wait_for(
            "the highlight",
            Duration::from_secs(5),
            "return document.querySelector('#drop-zone.dragging') !== null",
        )
        .await;
    let drop = format!(
        r#"{MAKE_TRANSFER}
           document.querySelector('#drop-zone').dispatchEvent(
               new DragEvent('drop', {{ bubbles: true, cancelable: true, dataTransfer: transfer }}));"#
    );
    browser.js(&drop, vec![as_js_files(&images)]).await;
    let cards = finished_cards(&browser, 2).await;
    assert_native_answer(&cards[0], &images[1]);
    assert_native_answer(&cards[1], &images[0]);
    let highlighted = browser
        .js(
            "return document.querySelector('#drop-zone.dragging') !== null",
            vec![],
        )
        .await;
    assert_eq!(
        highlighted,
        Value::Bool(false),
        "the highlight ends with the drop"
    );
    browser.stop().await;
}

#[tokio::test]
async fn a_pasted_image_is_classified() {
    let _turn = one_at_a_time().await;
    let browser = open_page().await;
    let fixture = fixtures::stripes_png();
    let script = format!(
        r#"{MAKE_TRANSFER}
           document.dispatchEvent(new ClipboardEvent('paste',
               {{ bubbles: true, cancelable: true, clipboardData: transfer }}));"#
    );
    browser
        .js(&script, vec![as_js_files(std::slice::from_ref(&fixture))])
        .await;
    let cards = finished_cards(&browser, 1).await;
    assert_native_answer(&cards[0], &fixture);
    browser.stop().await;
}

#[tokio::test]
async fn bad_files_show_errors_while_a_good_one_still_classifies() {
    let _turn = one_at_a_time().await;
    let browser = open_page().await;
    let files = vec![
        fixtures::corrupt_png(),
        fixtures::text_file(),
        fixtures::checker_jpeg(),
    ];
    choose_files(&browser, &files, "errors").await;
    let cards = finished_cards(&browser, 3).await;
    let card = |name: &str| {
        cards
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no card for {name}"))
    };
    let corrupt = card("broken.png");
    assert_eq!(corrupt["state"], "error");
    let message = corrupt["error"].as_str().expect("an error message");
    assert!(
        message.contains("「broken.png」") && message.contains("画像が途中で切れています"),
        "{message}"
    );
    let text = card("notes.txt");
    assert_eq!(text["state"], "error");
    let message = text["error"].as_str().expect("an error message");
    assert!(
        message.contains("「notes.txt」") && message.contains("対応していない形式"),
        "{message}"
    );
    assert_native_answer(card("checker.jpg"), &files[2]);
    save_screenshot(&browser, "errors.png").await;
    browser.stop().await;
}

/// Waits until `server` has seen no request for a while: the page asks for a newer
/// `sw.js` once its service worker is active (an update check, not part of classifying),
/// and with a 15 MB model that can come after the page is ready.
async fn settle(server: &StaticServer) {
    let quiet = Duration::from_millis(1500);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut seen = server.request_count();
    let mut since = std::time::Instant::now();
    while since.elapsed() < quiet {
        assert!(
            std::time::Instant::now() < deadline,
            "the page never stopped requesting"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = server.request_count();
        if now != seen {
            (seen, since) = (now, std::time::Instant::now());
        }
    }
}

#[tokio::test]
async fn classifying_makes_no_network_request() {
    let _turn = one_at_a_time().await;
    let browser = open_page().await;
    let count = "return performance.getEntriesByType('resource').length";
    settle(server()).await;
    let before = browser.js(count, vec![]).await;
    let served_before = server().request_count();
    let images = fixtures::images();
    choose_files(&browser, &images, "network").await;
    let cards = finished_cards(&browser, 3).await;
    assert!(cards.iter().all(|c| c["state"] == "done"), "{cards:?}");
    let after = browser.js(count, vec![]).await;
    assert_eq!(
        before, after,
        "resource entries changed during classification"
    );
    // The browser checks for a newer `sw.js` on its own schedule (after the worker takes
    // control, which a fast model load can put after `settle`); that is not the page.
    let requests: Vec<String> = server()
        .requests_since(served_before)
        .into_iter()
        .filter(|path| path != "/sw.js")
        .collect();
    assert_eq!(
        requests,
        Vec::<String>::new(),
        "requests reached the server"
    );
    browser.stop().await;
}

async fn save_screenshot(browser: &Browser, name: &str) {
    let png = browser.client.screenshot().await.expect("a screenshot");
    let dir = root().join("target").join("e2e");
    std::fs::create_dir_all(&dir).expect("artifact directory");
    std::fs::write(dir.join(name), png).expect("saving the screenshot");
}
