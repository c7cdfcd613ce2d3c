//! The hostile-file table (`tests/fixtures/hostile`) through the page: all of its files
//! chosen at once in one page session, each card must end with the row's page outcome,
//! the page must keep answering and finish a card at least every [`PER_FILE_BUDGET`],
//! and afterwards a good file still gets the native answer.

use std::time::{Duration, Instant};

use hostile_fixtures::{CASES, Decoder, Outcome};
use serde_json::Value;

use crate::{
    assert_native_answer, choose_files, finished_cards, fixtures, one_at_a_time, open_page,
    save_screenshot,
};

/// The longest the page may go without finishing another card (the 8000×8000 image is
/// the slowest: decoded and resized in the worker's wasm).
const PER_FILE_BUDGET: Duration = Duration::from_secs(90);
/// The longest one look at the page may take: the page itself never stops answering.
const ANSWER_BUDGET: Duration = Duration::from_secs(5);

/// The finished cards' count; every card's name, state, problem kind and decoder.
const CARDS: &str = r#"
    const cards = [...document.querySelectorAll('#results .card')];
    return {
        finished: cards.filter(c => ['done', 'error'].includes(c.dataset.state)).length,
        cards: cards.map(c => ({
            name: c.dataset.name,
            state: c.dataset.state,
            problem: c.dataset.problem ?? null,
            decoder: c.querySelector('.decoder')?.dataset.decoder ?? null,
            text: c.querySelector('.error, .answer')?.innerText ?? null,
        })),
    };"#;

/// What a card shows, in the table's terms.
fn outcome_of(card: &Value) -> String {
    match card["state"].as_str() {
        Some("done") => format!("verdict by {}", card["decoder"].as_str().unwrap_or("?")),
        Some("error") => format!("refused as {}", card["problem"].as_str().unwrap_or("?")),
        other => format!("unfinished ({other:?})"),
    }
}

fn expected(outcome: Outcome) -> String {
    match outcome {
        Outcome::Verdict(Decoder::Builtin) => "verdict by builtin".into(),
        Outcome::Verdict(Decoder::Browser) => "verdict by browser".into(),
        Outcome::Refused(why) => format!("refused as {}", why.name()),
    }
}

#[tokio::test]
async fn every_hostile_file_gets_its_page_outcome_and_the_page_keeps_answering() {
    let _turn = one_at_a_time().await;
    let browser = open_page().await;
    let dir = std::env::temp_dir().join(format!("special-week-hostile-{}", std::process::id()));
    let paths = hostile_fixtures::write_all(&dir).expect("writing the hostile files");
    browser.choose_files("#file-input", &paths).await;

    let started = Instant::now();
    let mut last_progress = Instant::now();
    let mut finished = 0;
    let cards = loop {
        let asked = Instant::now();
        let seen = browser.js(CARDS, vec![]).await;
        assert!(
            asked.elapsed() <= ANSWER_BUDGET,
            "the page took {:?} to answer",
            asked.elapsed()
        );
        let now_finished = seen["finished"].as_u64().unwrap_or(0) as usize;
        if now_finished > finished {
            finished = now_finished;
            last_progress = Instant::now();
        }
        if finished == CASES.len() {
            break seen["cards"].as_array().cloned().unwrap_or_default();
        }
        assert!(
            last_progress.elapsed() <= PER_FILE_BUDGET,
            "no card finished for {PER_FILE_BUDGET:?} ({finished} of {} done): {seen}",
            CASES.len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!("{} hostile files in {:?}", CASES.len(), started.elapsed());
    save_screenshot(&browser, "hostile-top.png").await;

    let mut wrong = Vec::new();
    for case in CASES {
        let card = cards
            .iter()
            .find(|card| card["name"] == case.name)
            .unwrap_or_else(|| panic!("no card for {}", case.name));
        let (got, want) = (outcome_of(card), expected(case.page));
        eprintln!("{:32} {got:24} {}", case.name, card["text"]);
        if got != want {
            wrong.push(format!("{}: expected {want}, got {got}: {card}", case.name));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for (name, file) in [
        ("truncated.jpg", "hostile-truncated.png"),
        ("testsrc.avif", "hostile-avif.png"),
    ] {
        browser
            .js(
                "document.querySelector(`#results .card[data-name=\"${arguments[0]}\"]`)\
                     .scrollIntoView({ block: 'center' })",
                vec![Value::from(name)],
            )
            .await;
        save_screenshot(&browser, file).await;
    }

    let good = fixtures::gradient_png();
    choose_files(&browser, std::slice::from_ref(&good), "after-hostile").await;
    let cards = finished_cards(&browser, CASES.len() + 1).await;
    assert_native_answer(&cards[0], &good);
    let _ = std::fs::remove_dir_all(&dir);
    browser.stop().await;
}
