//! The classifier worker stops in the middle of a session: the card it had says so, the
//! model panel offers 「もう一度読み込む」, and after it a new worker classifies again.
//!
//! The app has no switch for this. The test installs, before the page's own scripts, a
//! `Worker` subclass that only remembers each worker it creates; the test then terminates
//! the page's worker (so it never answers) and fires the `error` event a crashed worker
//! fires (as when the wasm traps on a panic).

use std::time::Duration;

use serde_json::Value;

use crate::browser::Browser;
use crate::{
    assert_native_answer, choose_files, finished_cards, fixtures, one_at_a_time, save_screenshot,
    server, wait_for_model,
};

/// Remembers every worker the page creates in `window.__workers`.
const REMEMBER_WORKERS: &str = r#"
    window.__workers = [];
    const PageWorker = window.Worker;
    window.Worker = class extends PageWorker {
        constructor(...args) {
            super(...args);
            window.__workers.push(this);
        }
    };"#;

/// The state of the only card.
const CARD_STATE: &str = "return document.querySelector('#results .card')?.dataset.state ?? null";

#[tokio::test]
async fn a_stopped_worker_fails_its_card_and_retry_classifies_again() {
    let _turn = one_at_a_time().await;
    let browser = Browser::start().await;
    browser.before_every_page(REMEMBER_WORKERS).await;
    browser
        .client
        .goto(&server().url)
        .await
        .expect("opening the page");
    wait_for_model(&browser).await;
    crate::offline::wait_for_offline_state(&browser, "ready").await;
    let workers = "return window.__workers.length";
    assert_eq!(browser.js(workers, vec![]).await, 1, "one worker at first");

    browser.js("window.__workers[0].terminate()", vec![]).await;
    let first = fixtures::gradient_png();
    choose_files(&browser, std::slice::from_ref(&first), "crash-first").await;
    browser
        .wait_for(
            "the card to be with the worker",
            Duration::from_secs(30),
            &format!("{CARD_STATE} === 'classifying'"),
        )
        .await;
    browser
        .js(
            "window.__workers[0].dispatchEvent(
                 new ErrorEvent('error', { message: 'Uncaught RuntimeError: unreachable' }))",
            vec![],
        )
        .await;
    let cards = finished_cards(&browser, 1).await;
    assert_eq!(cards[0]["state"], "error", "{}", cards[0]);
    let message = cards[0]["error"].as_str().expect("an error message");
    assert!(
        message.contains("「gradient.png」") && message.contains("ワーカーが止まりました"),
        "{message}"
    );
    let panel = browser
        .js(
            "const s = document.querySelector('#model-status');
             return { state: s.dataset.state, text: s.innerText };",
            vec![],
        )
        .await;
    assert_eq!(panel["state"], "failed", "{panel}");
    assert!(
        panel["text"]
            .as_str()
            .is_some_and(|t| t.contains("ワーカーが止まりました")),
        "{panel}"
    );
    save_screenshot(&browser, "worker-stopped.png").await;

    browser
        .client
        .find(fantoccini::Locator::Css("#model-status button.retry"))
        .await
        .expect("the retry button")
        .click()
        .await
        .expect("pressing retry");
    wait_for_model(&browser).await;
    assert_eq!(
        browser.js(workers, vec![]).await,
        Value::from(2),
        "retry starts a second worker"
    );
    let second = fixtures::checker_jpeg();
    choose_files(&browser, std::slice::from_ref(&second), "crash-second").await;
    let cards = finished_cards(&browser, 2).await;
    assert_native_answer(&cards[0], &second);
    assert_eq!(
        cards[1]["state"], "error",
        "the stopped card stays as it was"
    );
    save_screenshot(&browser, "after-restart.png").await;
    browser.stop().await;
}
