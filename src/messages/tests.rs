use worker_protocol::{Decoder, Failure, ModelFailure, NothingToJudge, Verdict};

use super::*;
use crate::model_source::BUNDLED_DIR;
use crate::problem::{ModelJsonProblem, QueryProblem};

const JA: Lang = Lang::Ja;
const EN: Lang = Lang::En;

fn every_failure() -> Vec<Failure> {
    vec![
        Failure::Empty,
        Failure::Unsupported,
        Failure::TooLarge {
            size: Some((9000, 8000)),
            limit_pixels: 64_000_000,
        },
        Failure::TooLarge {
            size: None,
            limit_pixels: 64_000_000,
        },
        Failure::Truncated,
        Failure::Corrupt {
            detail: "Invalid PNG signature".into(),
        },
        Failure::NothingToJudge(NothingToJudge::TooSmall {
            width: 10000,
            height: 1,
            min_side: 16,
        }),
        Failure::NothingToJudge(NothingToJudge::Transparent),
        Failure::NothingToJudge(NothingToJudge::FlatColour),
        Failure::ModelRun {
            detail: "boom".into(),
        },
        Failure::NoModel,
        Failure::Forgotten,
        Failure::Unreadable {
            detail: "NotReadableError".into(),
        },
    ]
}

fn every_card_problem() -> Vec<CardProblem> {
    let mut problems: Vec<CardProblem> = every_failure()
        .into_iter()
        .map(CardProblem::Worker)
        .collect();
    problems.extend([
        CardProblem::FileTooLarge {
            bytes: 104_857_600,
            limit: 50_000_000,
        },
        CardProblem::WorkerStopped,
        CardProblem::VersionMismatch {
            detail: "unexpected end".into(),
        },
    ]);
    problems
}

fn every_model_problem() -> Vec<ModelProblem> {
    let url = || "m/model.json".to_string();
    let detail = || "EOF".to_string();
    vec![
        ModelProblem::Query(QueryProblem::Empty),
        ModelProblem::Query(QueryProblem::NotThisSite {
            value: "https://evil.example/m".into(),
        }),
        ModelProblem::NotFound {
            url: "models/missing/model.json".into(),
        },
        ModelProblem::Download {
            url: "model/a.onnx".into(),
            detail: "HTTP 500".into(),
        },
        ModelProblem::ModelJson {
            url: url(),
            detail: ModelJsonProblem::Html,
        },
        ModelProblem::ModelJson {
            url: url(),
            detail: ModelJsonProblem::Invalid { detail: detail() },
        },
        ModelProblem::ModelJson {
            url: url(),
            detail: ModelJsonProblem::NotInFolder {
                file: "../x.onnx".into(),
            },
        },
        ModelProblem::NotAPair {
            names: vec!["a.onnx".into(), "b.onnx".into()],
        },
        ModelProblem::UnreadableFile {
            name: "model.json".into(),
            detail: "NotReadableError".into(),
        },
        ModelProblem::NotText {
            name: "model.json".into(),
        },
        ModelProblem::Refused(ModelFailure::MetaInvalid { detail: detail() }),
        ModelProblem::Refused(ModelFailure::MetaInconsistent { detail: detail() }),
        ModelProblem::Refused(ModelFailure::Checksum {
            expected: "aa".into(),
            actual: "bb".into(),
        }),
        ModelProblem::Refused(ModelFailure::Onnx {
            detail: "protobuf".into(),
        }),
        ModelProblem::WorkerWontStart {
            detail: "SyntaxError".into(),
        },
        ModelProblem::WorkerStopped {
            detail: "RuntimeError: unreachable".into(),
        },
        ModelProblem::VersionMismatch { detail: detail() },
    ]
}

fn every_source() -> Vec<ModelSource> {
    vec![
        ModelSource::Served {
            dir: BUNDLED_DIR.into(),
        },
        ModelSource::Served {
            dir: "models/keras".into(),
        },
        ModelSource::Local {
            onnx_name: "mine.onnx".into(),
        },
    ]
}

fn verdict() -> Verdict {
    Verdict {
        answer: String::new(),
        is_special_week: true,
        p_special_week: 0.9,
        infer_ms: 12.0,
        run_ms: 10.0,
        best_box: None,
        decoder: Decoder::Builtin,
        crops: vec![],
    }
}

fn every_heat_source() -> [HeatSource; 3] {
    [
        HeatSource::Crops { crops: 11 },
        HeatSource::Occlusion {
            cells: 16,
            largest_drop: 0.375,
            ms: 3450.0,
        },
        HeatSource::Occlusion {
            cells: 16,
            largest_drop: 0.001,
            ms: 3450.0,
        },
    ]
}

/// Every text a catalogue has, each made from the same kinds and data, in one order.
fn every_text(lang: Lang) -> Vec<String> {
    let texts = of(lang);
    let mut all: Vec<String> = [
        texts.intro_lead(),
        texts.intro_note(),
        texts.intro_privacy(),
        texts.language_switch(),
        texts.drop_prompt(),
        texts.drop_hint(),
        texts.send_button(),
        texts.own_model(),
        texts.own_model_explanation(),
        texts.model_preparing(),
        texts.retry(),
        texts.answer(true),
        texts.answer(false),
        texts.probability_label(),
        texts.decoder(Decoder::Builtin),
        texts.decoder(Decoder::Browser),
        texts.update_button(),
        texts.evidence_toggle(false),
        texts.evidence_toggle(true),
        texts.evidence_computing(),
    ]
    .map(str::to_owned)
    .into();
    all.push(texts.model_downloading("m.onnx", &Progress::default()));
    all.push(texts.probability(12.5));
    all.push(texts.judge_time(12.0));
    all.push(texts.threads(1));
    all.push(texts.threads(4));
    for source in every_source() {
        all.push(texts.model_source(&source));
        all.push(texts.model_ready(&source, 1500.0));
    }
    all.extend(every_model_problem().iter().map(|p| texts.model_problem(p)));
    all.extend(
        every_heat_source()
            .iter()
            .map(|s| texts.evidence_caption(s)),
    );
    all.extend(
        every_card_problem()
            .iter()
            .map(|p| texts.card_problem("cat.png", p)),
    );
    for status in [Status::Queued, Status::Classifying] {
        all.push(texts.card_waiting(&status).expect("waiting").to_owned());
    }
    for status in [
        OfflineStatus::Unsupported,
        OfflineStatus::Installing,
        OfflineStatus::Ready,
        OfflineStatus::UpdateAvailable,
        OfflineStatus::Failed("x".into()),
    ] {
        all.push(texts.offline(&status).to_owned());
    }
    all
}

/// Kana, kanji and the full-width punctuation Japanese text uses.
fn is_japanese(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}' | '\u{FF00}'..='\u{FFEF}')
}

#[test]
fn every_japanese_text_has_an_english_one_that_is_english() {
    let (japanese, english) = (every_text(JA), every_text(EN));
    assert_eq!(japanese.len(), english.len());
    for (ja, en) in japanese.iter().zip(&english) {
        assert!(ja.chars().any(is_japanese), "not Japanese: {ja}");
        assert!(
            !en.is_empty() && !en.chars().any(is_japanese),
            "the English for 「{ja}」 is not English: {en}"
        );
    }
}

#[test]
fn each_text_reads_differently_in_each_language() {
    for lang in Lang::ALL {
        let texts = every_text(lang);
        let mut unique = texts.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), texts.len(), "{texts:#?}");
    }
}

#[test]
fn the_answers_read_as_the_original_and_in_english() {
    assert_eq!(of(JA).answer(true), "これは スペシャルウィーク です");
    assert_eq!(of(JA).answer(false), "これは スペシャルウィーク以外 です");
    assert_eq!(of(EN).answer(true), "This is Special Week");
    assert_eq!(of(EN).answer(false), "This is not Special Week");
}

#[test]
fn the_switch_names_each_language_in_itself() {
    assert_eq!(language_name(JA), "日本語");
    assert_eq!(language_name(EN), "English");
}

#[test]
fn every_card_problem_names_the_file() {
    for problem in every_card_problem() {
        let ja = of(JA).card_problem("猫.png", &problem);
        assert!(ja.contains("「猫.png」"), "{ja}");
        let en = of(EN).card_problem("cat.png", &problem);
        assert!(en.contains("“cat.png”"), "{en}");
    }
}

#[test]
fn decoder_internals_go_to_the_tooltip_not_the_sentence() {
    let corrupt = CardProblem::Worker(Failure::Corrupt {
        detail: "Invalid PNG signature".into(),
    });
    let text = of(JA).card_problem("a.png", &corrupt);
    assert!(
        text.contains("壊れています") && !text.contains("PNG signature"),
        "{text}"
    );
    assert!(!of(EN).card_problem("a.png", &corrupt).contains("signature"));
    assert_eq!(card_problem_detail(&corrupt), Some("Invalid PNG signature"));
    assert_eq!(card_problem_detail(&CardProblem::WorkerStopped), None);
}

#[test]
fn too_large_gives_the_size_only_when_known() {
    let known = CardProblem::Worker(every_failure()[2].clone());
    let ja = of(JA).card_problem("big.jpg", &known);
    assert!(
        ja.contains("9000×8000 ピクセル") && ja.contains("64,000,000 ピクセル（8000×8000）まで"),
        "{ja}"
    );
    let en = of(EN).card_problem("big.jpg", &known);
    assert!(
        en.contains("9000×8000 pixels") && en.contains("at most 64,000,000 pixels (8000×8000)"),
        "{en}"
    );
    let unknown = CardProblem::Worker(every_failure()[3].clone());
    for lang in Lang::ALL {
        let text = of(lang).card_problem("big.jpg", &unknown);
        assert!(!text.contains("9000"), "{text}");
    }
}

#[test]
fn decided_refusals_read_as_the_table_says() {
    let truncated = of(JA).card_problem("a.jpg", &CardProblem::Worker(Failure::Truncated));
    assert!(
        truncated.contains("画像が途中で切れています"),
        "{truncated}"
    );
    for failure in &every_failure()[6..9] {
        let text = of(JA).card_problem("a.png", &CardProblem::Worker(failure.clone()));
        assert!(text.contains("判定できる絵がありません"), "{text}");
        let text = of(EN).card_problem("a.png", &CardProblem::Worker(failure.clone()));
        assert!(text.contains("nothing to judge"), "{text}");
    }
    let big = CardProblem::FileTooLarge {
        bytes: 104_857_600,
        limit: 50_000_000,
    };
    let ja = of(JA).card_problem("huge.bin", &big);
    assert!(
        ja.contains("104.9 MB") && ja.contains("50.0 MB まで"),
        "{ja}"
    );
    let en = of(EN).card_problem("huge.bin", &big);
    assert!(
        en.contains("104.9 MB") && en.contains("at most 50.0 MB"),
        "{en}"
    );
    assert_eq!(ja::pixel_limit(1_000), "1,000 ピクセル");
    assert_eq!(en::pixel_limit(1_000), "1,000 pixels");
}

#[test]
fn a_stopped_worker_says_how_to_go_on() {
    let card = of(JA).card_problem("a.png", &CardProblem::WorkerStopped);
    let retry = of(JA).retry();
    assert!(
        card.contains("ワーカーが止まりました") && card.contains(retry),
        "{card}"
    );
    let stopped = ModelProblem::WorkerStopped {
        detail: "RuntimeError: unreachable".into(),
    };
    let panel = of(JA).model_problem(&stopped);
    assert!(
        panel.contains("ワーカーが止まりました") && panel.contains(retry),
        "{panel}"
    );
    let english = of(EN).model_problem(&stopped);
    assert!(english.contains("“Load again”"), "{english}");
}

#[test]
fn model_problems_name_what_failed() {
    let expected = [
        "URL の model パラメータが空です",
        "https://evil.example/m",
        "モデルが見つかりません（models/missing/model.json がありません）",
        "model/a.onnx",
        "モデルが見つかりません",
        "m/model.json はモデルの説明ファイルではありません",
        "「../x.onnx」",
        "a.onnx、b.onnx",
        "NotReadableError",
        "UTF-8",
        "model.json がモデルの説明ファイルではありません",
        "矛盾",
        "sha256",
        "ONNX ファイルがモデルではありません",
        "SyntaxError",
        "RuntimeError",
        "版が合いません",
    ];
    let problems = every_model_problem();
    assert_eq!(problems.len(), expected.len());
    for (problem, expected) in problems.iter().zip(expected) {
        let text = of(JA).model_problem(problem);
        assert!(text.contains(expected), "{problem:?}: {text}");
    }
    let english = of(EN).model_problem(&problems[7]);
    assert!(english.contains("(chosen: a.onnx, b.onnx)"), "{english}");
}

#[test]
fn sources_are_named_for_people() {
    let [bundled, served, local] = every_source().try_into().expect("three sources");
    assert_eq!(of(JA).model_source(&bundled), "同梱のモデル");
    assert!(of(JA).model_source(&served).contains("models/keras/"));
    assert!(of(JA).model_source(&local).contains("mine.onnx"));
    assert_eq!(
        of(EN).model_ready(&bundled, 1500.0),
        "The bundled model is ready (1.5 s after the page opened)."
    );
    assert_eq!(
        of(JA).model_ready(&bundled, 1500.0),
        "同梱のモデルの準備ができました（ページを開いてから 1.5 秒）。"
    );
}

#[test]
fn the_thread_count_is_worded_in_both_languages() {
    assert_eq!(of(EN).threads(1), "Classifies on 1 thread.");
    assert_eq!(of(EN).threads(4), "Classifies on 4 threads.");
    assert_eq!(of(JA).threads(2), "2 スレッドで判定します。");
}

#[test]
fn waiting_cards_say_what_they_wait_for() {
    assert_eq!(of(JA).card_waiting(&Status::Classifying), Some("判定中…"));
    assert_eq!(of(EN).card_waiting(&Status::Classifying), Some("Judging…"));
    assert_eq!(
        of(JA).card_waiting(&Status::Failed(CardProblem::WorkerStopped)),
        None
    );
    assert_eq!(of(EN).card_waiting(&Status::Done(verdict())), None);
}

#[test]
fn downloads_show_the_amount() {
    let known = Progress {
        loaded: 1_500_000,
        total: Some(58_900_000),
    };
    assert_eq!(
        of(JA).model_downloading("m.onnx", &known),
        "モデルをダウンロード中（m.onnx）… 1.5 MB / 58.9 MB"
    );
    assert_eq!(
        of(EN).model_downloading("m.onnx", &known),
        "Downloading the model (m.onnx)… 1.5 MB / 58.9 MB"
    );
    let unknown = Progress {
        loaded: 456_000,
        total: None,
    };
    assert!(
        of(JA)
            .model_downloading("m.onnx", &unknown)
            .ends_with("456 KB")
    );
}

#[test]
fn heat_map_captions_say_how_the_map_was_made() {
    for lang in Lang::ALL {
        let [crops, occlusion, cold] = every_heat_source().map(|s| of(lang).evidence_caption(&s));
        assert!(crops.contains("11"), "{crops}");
        for caption in [&occlusion, &cold] {
            assert!(
                caption.contains("16") && caption.contains("3.5"),
                "{caption}"
            );
        }
        assert!(
            occlusion.contains("37.5"),
            "the largest drop in points: {occlusion}"
        );
        assert!(
            !cold.contains("0.1"),
            "a drop below MIN_DROP is not quoted: {cold}"
        );
    }
}
