//! The two builds of the classifier worker: a cross-origin isolated page runs the
//! threaded one (`worker_threads_loader.js`, `navigator.hardwareConcurrency` threads, at
//! most 4) and says so in its status line, any other page the single-threaded one; both
//! answer like the native classifier and like each other within the parity tolerance. A
//! host that sends no isolation headers gets them from the service worker, after one
//! reload.

use std::time::Duration;

use serde_json::Value;

use crate::browser::Browser;
use crate::offline::wait_across_reload;
use crate::server::StaticServer;
use crate::{
    MODEL_TIMEOUT, PARITY_TOLERANCE, assert_native_answer, choose_files, finished_cards, fixtures,
    one_at_a_time, root, save_screenshot, server, wait_for_model,
};

/// Remembers the script of every worker the page starts, in `window.__workerScripts`.
const REMEMBER_WORKER_SCRIPTS: &str = r#"
    window.__workerScripts = [];
    const PageWorker = window.Worker;
    window.Worker = class extends PageWorker {
        constructor(script, options) {
            super(script, options);
            window.__workerScripts.push(String(script));
        }
    };"#;

/// What the page says about its threads.
const THREADS: &str = r#"const t = document.querySelector('#threads');
    return {
        isolated: self.crossOriginIsolated,
        threads: Number(t?.dataset.threads ?? 'NaN'),
        text: t?.innerText ?? null,
        status: document.querySelector('#model-status')?.innerText ?? null,
        scripts: window.__workerScripts,
        expected: Math.min(navigator.hardwareConcurrency, 4),
        load_ms: Number(document.querySelector('#model-ready')?.dataset.loadMs ?? 'NaN'),
    };"#;

/// Opens `server`'s page in a browser that remembers its workers' scripts, waits for the
/// model and returns what the page says about its threads.
async fn open(server: &StaticServer) -> (Browser, Value) {
    let browser = Browser::start().await;
    browser.before_every_page(REMEMBER_WORKER_SCRIPTS).await;
    browser
        .client
        .goto(&server.url)
        .await
        .expect("opening the page");
    wait_for_model(&browser).await;
    let threads = browser.js(THREADS, vec![]).await;
    (browser, threads)
}

/// Classifies the three image fixtures, checks each against the native answer and
/// returns the probabilities in the fixtures' order.
async fn classify_images(browser: &Browser, label: &str) -> Vec<f64> {
    let images = fixtures::images();
    choose_files(browser, &images, label).await;
    let cards = finished_cards(browser, images.len()).await;
    // Newest first.
    cards
        .iter()
        .zip(images.iter().rev())
        .rev()
        .map(|(card, fixture)| {
            assert_native_answer(card, fixture);
            card["p"].as_f64().expect("the exact probability")
        })
        .collect()
}

/// The ready model's panel carries the worker's own load time (`cargo xtask bench` reads it).
fn assert_worker_load_time(page: &Value) {
    let load_ms = page["load_ms"].as_f64().unwrap_or(f64::NAN);
    assert!(
        load_ms > 0.0 && load_ms < MODEL_TIMEOUT.as_millis() as f64,
        "data-load-ms of #model-ready: {page}"
    );
}

#[tokio::test]
async fn an_isolated_page_classifies_on_threads_like_the_single_threaded_worker() {
    let _turn = one_at_a_time().await;
    // Not isolated: no headers, and no service worker to add them.
    let plain = StaticServer::start_plain(&root().join("dist"), &["sw.js"]);
    let (browser, single) = open(&plain).await;
    assert_eq!(single["isolated"], false, "{single}");
    assert_eq!(single["threads"], 1, "{single}");
    assert_eq!(single["scripts"], serde_json::json!(["./worker_loader.js"]));
    assert_worker_load_time(&single);
    assert!(
        single["text"]
            .as_str()
            .is_some_and(|t| t.contains("1 スレッド")),
        "{single}"
    );
    let single_p = classify_images(&browser, "threads-single").await;
    browser.stop().await;

    // Isolated by the server's headers.
    let (browser, threaded) = open(server()).await;
    eprintln!("threads: {threaded}");
    assert_eq!(threaded["isolated"], true, "{threaded}");
    let expected = threaded["expected"].as_u64().expect("hardwareConcurrency");
    assert_eq!(threaded["threads"], expected, "{threaded}");
    let script = if expected > 1 {
        "./worker_threads_loader.js"
    } else {
        "./worker_loader.js"
    };
    assert_eq!(threaded["scripts"], serde_json::json!([script]));
    assert_worker_load_time(&threaded);
    assert!(
        threaded["status"]
            .as_str()
            .is_some_and(|t| t.contains(&format!("{expected} スレッドで判定します"))),
        "{threaded}"
    );
    let threaded_p = classify_images(&browser, "threads-pool").await;
    for (one, many) in single_p.iter().zip(&threaded_p) {
        assert!(
            (one - many).abs() <= PARITY_TOLERANCE,
            "1 thread {one} vs {expected} threads {many}"
        );
    }
    save_screenshot(&browser, "threads.png").await;
    browser.stop().await;
}

#[tokio::test]
async fn the_service_worker_isolates_a_page_served_without_headers_after_one_reload() {
    let _turn = one_at_a_time().await;
    let plain = StaticServer::start_plain(&root().join("dist"), &[]);
    let browser = Browser::start().await;
    browser.before_every_page(REMEMBER_WORKER_SCRIPTS).await;
    browser
        .client
        .goto(&plain.url)
        .await
        .expect("opening the page");
    wait_across_reload(
        &browser,
        "the reload into an isolated page",
        MODEL_TIMEOUT,
        "return self.crossOriginIsolated && document.readyState === 'complete'",
    )
    .await;
    let navigation = browser
        .js(
            "return performance.getEntriesByType('navigation')[0].type",
            vec![],
        )
        .await;
    assert_eq!(navigation, "reload", "isolated only after the one reload");
    wait_for_model(&browser).await;
    browser
        .js("window.stayed = true; return true;", vec![])
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let page = browser.js(THREADS, vec![]).await;
    let stayed = browser.js("return window.stayed === true", vec![]).await;
    assert_eq!(stayed, true, "the page reloaded a second time");
    assert_eq!(page["isolated"], true, "{page}");
    assert_eq!(page["threads"], page["expected"], "{page}");
    let fixture = fixtures::gradient_png();
    choose_files(&browser, std::slice::from_ref(&fixture), "threads-sw").await;
    let cards = finished_cards(&browser, 1).await;
    assert_native_answer(&cards[0], &fixture);
    browser.stop().await;
}
