//! 日本語 / English: the page speaks the browser's language (English for an English
//! browser), the header's switch re-words everything on the page, cards included, and the
//! choice outlives a reload.

use std::time::Duration;

use serde_json::{Value, json};
use special_week_app::lang::STORAGE_KEY;

use crate::browser::Browser;
use crate::{
    choose_files, finished_cards, fixtures, native, native_answer, one_at_a_time, open_page_in,
    save_screenshot, wait_for_model,
};

/// How long re-wording the page may take after a click.
const SWITCH_TIMEOUT: Duration = Duration::from_secs(5);

/// What the page says and which language it claims: `<html lang>`, the pressed switch
/// button, the lead sentence, the first card's answer and probability.
async fn page_language(browser: &Browser) -> Value {
    let script = format!(
        r#"const card = document.querySelector('#results .card');
           return {{
               html: document.documentElement.lang,
               pressed: [...document.querySelectorAll('#lang-switch [aria-pressed="true"]')]
                   .map(b => b.dataset.lang),
               lead: document.querySelector('.intro .lead').innerText,
               answer: card?.querySelector('.answer')?.innerText ?? null,
               p: card?.querySelector('.bar')?.dataset.p ?? null,
               stored: localStorage.getItem('{STORAGE_KEY}'),
           }};"#
    );
    browser.js(&script, vec![]).await
}

/// Clicks the switch's button for `code` and waits until `<html lang>` follows.
async fn switch_to(browser: &Browser, code: &str) {
    let button = browser
        .client
        .find(fantoccini::Locator::Css(&format!(
            "#lang-switch [data-lang=\"{code}\"]"
        )))
        .await
        .unwrap_or_else(|e| panic!("no switch button for {code}: {e}"));
    button.click().await.expect("clicking the switch");
    browser
        .wait_for(
            "the language switch",
            SWITCH_TIMEOUT,
            &format!("return document.documentElement.lang === '{code}'"),
        )
        .await;
}

#[tokio::test]
async fn an_english_browser_reads_english_and_the_switch_to_japanese_sticks() {
    let _turn = one_at_a_time().await;
    let browser = open_page_in("en-US").await;
    let navigator = browser.js("return navigator.language", vec![]).await;
    assert_eq!(navigator, "en-US", "the browser's language");

    let fixture = fixtures::gradient_png();
    choose_files(&browser, std::slice::from_ref(&fixture), "language").await;
    finished_cards(&browser, 1).await;
    let is_special_week = native()
        .classify(&fixture.bytes)
        .expect("fixture classifies natively")
        .is_special_week;
    let english = page_language(&browser).await;
    let expected = if is_special_week {
        "This is Special Week"
    } else {
        "This is not Special Week"
    };
    assert_eq!(english["html"], "en", "{english}");
    assert_eq!(english["pressed"], json!(["en"]), "{english}");
    assert_eq!(english["answer"], expected, "{english}");
    assert!(
        english["lead"].as_str().is_some_and(|t| t.is_ascii()),
        "{english}"
    );
    assert_eq!(
        english["stored"],
        Value::Null,
        "nothing chosen yet: {english}"
    );
    save_screenshot(&browser, "language-en.png").await;

    switch_to(&browser, "ja").await;
    let japanese = page_language(&browser).await;
    let (answer_ja, _) = native_answer(&fixture);
    assert_eq!(japanese["answer"], answer_ja.as_str(), "{japanese}");
    assert_eq!(japanese["p"], english["p"], "the card is the same card");
    assert_eq!(japanese["pressed"], json!(["ja"]), "{japanese}");
    assert!(
        japanese["lead"]
            .as_str()
            .is_some_and(|t| t.contains("スペシャルウィーク")),
        "{japanese}"
    );
    assert_eq!(japanese["stored"], "ja", "{japanese}");
    save_screenshot(&browser, "language-ja.png").await;

    browser.client.refresh().await.expect("reloading");
    wait_for_model(&browser).await;
    let reloaded = page_language(&browser).await;
    assert_eq!(reloaded["html"], "ja", "{reloaded}");
    assert_eq!(reloaded["pressed"], json!(["ja"]), "{reloaded}");
    assert_eq!(reloaded["lead"], japanese["lead"], "{reloaded}");
    browser.stop().await;
}
