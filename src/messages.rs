//! Every sentence the page shows about the model, the cards and what went wrong, in
//! Japanese, as a function of the state or problem kind; a second language goes beside
//! these functions. (The fixed text of the layout, the drop zone, the own-model control
//! and the offline indicator is still in those views.)

use worker_protocol::{Decoder, Failure, ModelFailure, NothingToJudge};

use crate::download::human_bytes;
use crate::model_source::{BUNDLED_DIR, ModelSource};
use crate::page_state::{Progress, Status};
use crate::problem::{CardProblem, ModelJsonProblem, ModelProblem, QueryProblem};

/// Why the card of the file `name` has no verdict.
pub fn card_problem(name: &str, problem: &CardProblem) -> String {
    match problem {
        CardProblem::Unreadable { detail } => unreadable_file(name, detail),
        CardProblem::FileTooLarge { bytes, limit } => format!(
            "「{name}」はファイルが大きすぎます（{}）。{} までのファイルを選んでください。",
            human_bytes(*bytes),
            human_bytes(*limit)
        ),
        CardProblem::Worker(failure) => image_failure(name, failure),
        CardProblem::WorkerStopped => format!(
            "「{name}」の判定中に、判定用のワーカーが止まりました。\
             上の「もう一度読み込む」を押してから、もう一度画像を選んでください。"
        ),
        CardProblem::VersionMismatch { .. } => format!(
            "「{name}」を判定できません。ページとワーカーの版が合いません。\
             ページを再読み込みしてください。"
        ),
    }
}

/// The technical detail behind a card's problem (often English), for a tooltip.
pub fn card_problem_detail(problem: &CardProblem) -> Option<&str> {
    match problem {
        CardProblem::Unreadable { detail }
        | CardProblem::VersionMismatch { detail }
        | CardProblem::Worker(Failure::Corrupt { detail } | Failure::ModelRun { detail }) => {
            Some(detail)
        }
        CardProblem::Worker(_) | CardProblem::WorkerStopped | CardProblem::FileTooLarge { .. } => {
            None
        }
    }
}

fn image_failure(name: &str, failure: &Failure) -> String {
    match failure {
        Failure::Empty => format!("「{name}」は空のファイルです。画像ファイルを選んでください。"),
        Failure::Unsupported => format!(
            "「{name}」は対応していない形式です。PNG・JPEG・GIF・WebP・BMP の画像\
             （ブラウザが読めれば AVIF なども）を選んでください。"
        ),
        Failure::TooLarge {
            size: Some((width, height)),
            limit_pixels,
        } => format!(
            "「{name}」は大きすぎます（{width}×{height} ピクセル）。{}までの画像を選んでください。",
            pixel_limit(*limit_pixels)
        ),
        Failure::TooLarge {
            size: None,
            limit_pixels,
        } => format!(
            "「{name}」は大きすぎて読み込めません。{}までの画像を選んでください。",
            pixel_limit(*limit_pixels)
        ),
        Failure::Truncated => format!(
            "「{name}」は画像が途中で切れています。元のファイルをもう一度保存するか、別の画像を選んでください。"
        ),
        Failure::Corrupt { .. } => format!("「{name}」は画像のデータが壊れています。"),
        Failure::NothingToJudge(why) => nothing_to_judge(name, why),
        Failure::ModelRun { detail } => {
            format!("「{name}」の判定中にモデルでエラーが起きました（{detail}）。")
        }
        Failure::NoModel => {
            format!("「{name}」を判定できません。モデルがまだ読み込まれていません。")
        }
    }
}

fn nothing_to_judge(name: &str, why: &NothingToJudge) -> String {
    match why {
        NothingToJudge::TooSmall {
            width,
            height,
            min_side,
        } => format!(
            "「{name}」は小さすぎて、判定できる絵がありません（{width}×{height} ピクセル）。\
             縦横とも {min_side} ピクセル以上の画像を選んでください。"
        ),
        NothingToJudge::Transparent => {
            format!("「{name}」は全体が透明で、判定できる絵がありません。")
        }
        NothingToJudge::FlatColour => {
            format!("「{name}」は一色だけの画像で、判定できる絵がありません。")
        }
    }
}

/// The pixel limit for people: `64,000,000 ピクセル（8000×8000）` when it is a square.
fn pixel_limit(pixels: u64) -> String {
    let digits = pixels.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let side = pixels.isqrt();
    if side * side == pixels {
        format!("{grouped} ピクセル（{side}×{side}）")
    } else {
        format!("{grouped} ピクセル")
    }
}

/// Which decoder made the pixels, for the card.
pub fn decoder(decoder: Decoder) -> &'static str {
    match decoder {
        Decoder::Builtin => "内蔵のデコーダーで読み込み",
        Decoder::Browser => "ブラウザのデコーダーで読み込み",
    }
}

/// Why no model is ready, or why the user's own model was not taken.
pub fn model_problem(problem: &ModelProblem) -> String {
    match problem {
        ModelProblem::Query(QueryProblem::Empty) => "URL の model パラメータが空です。".into(),
        ModelProblem::Query(QueryProblem::NotThisSite { value }) => format!(
            "URL の model パラメータ「{value}」は使えません。このサイトの上のフォルダーを指定してください。"
        ),
        ModelProblem::NotFound { url } => format!(
            "モデルが見つかりません（{url} がありません）。フォルダーの名前を確かめてください。"
        ),
        ModelProblem::Download { url, detail } => {
            format!("モデル（{url}）のダウンロードに失敗しました: {detail}")
        }
        ModelProblem::ModelJson { url, detail } => match detail {
            ModelJsonProblem::Html => format!(
                "モデルが見つかりません（{url} の代わりにウェブページが返されました）。フォルダーの名前を確かめてください。"
            ),
            ModelJsonProblem::Invalid { detail } => {
                format!("{url} はモデルの説明ファイルではありません（{detail}）。")
            }
            ModelJsonProblem::NotInFolder { file } => format!(
                "モデルの説明ファイル（{url}）を読めません: model_file「{file}」は同じフォルダーのファイル名ではありません"
            ),
        },
        ModelProblem::NotAPair { names } => format!(
            "自分のモデルを使うには、model.json と .onnx ファイルを 1 つずつ、一緒に選んでください（選ばれたファイル: {}）。",
            names.join("、")
        ),
        ModelProblem::UnreadableFile { name, detail } => unreadable_file(name, detail),
        ModelProblem::NotText { name } => unreadable_file(name, "UTF-8 のテキストではありません"),
        ModelProblem::Refused(failure) => {
            format!("モデルを読み込めませんでした: {}", model_failure(failure))
        }
        ModelProblem::WorkerWontStart { detail } => {
            format!("判定用のワーカーを起動できませんでした: {detail}")
        }
        ModelProblem::WorkerStopped { detail } => format!(
            "判定用のワーカーが止まりました（{detail}）。「もう一度読み込む」で起動し直せます。"
        ),
        ModelProblem::VersionMismatch { detail } => format!(
            "ページとワーカーの版が合いません。ページを再読み込みしてください（{detail}）。"
        ),
    }
}

fn model_failure(failure: &ModelFailure) -> String {
    match failure {
        ModelFailure::MetaInvalid { detail } => {
            format!("model.json がモデルの説明ファイルではありません（{detail}）。")
        }
        ModelFailure::MetaInconsistent { detail } => {
            format!("model.json の内容に矛盾があります（{detail}）。")
        }
        ModelFailure::Checksum { expected, actual } => format!(
            "ONNX ファイルが model.json の指すファイルと違います（sha256 が {actual}、model.json では {expected}）。"
        ),
        ModelFailure::Onnx { detail } => {
            format!("ONNX ファイルがモデルではありません（{detail}）。")
        }
    }
}

fn unreadable_file(name: &str, detail: &str) -> String {
    format!("「{name}」を読み込めませんでした（{detail}）。")
}

/// What a card says while it waits for its answer; `None` once it has one.
pub fn card_waiting(status: &Status) -> Option<&'static str> {
    match status {
        Status::Reading => Some("読み込み中…"),
        Status::Queued => Some("モデルの準備ができしだい判定します…"),
        Status::Classifying => Some("判定中…"),
        Status::Done(_) | Status::Failed(_) => None,
    }
}

/// How the page names the model in use.
pub fn model_source(source: &ModelSource) -> String {
    match source {
        ModelSource::Served { dir } if dir == BUNDLED_DIR => "同梱のモデル".to_string(),
        ModelSource::Served { dir } => format!("サーバー上のモデル（{dir}/）"),
        ModelSource::Local { onnx_name } => {
            format!("あなたのモデル（{onnx_name}、このタブの中だけで使用）")
        }
    }
}

/// The model panel while `file` downloads.
pub fn model_downloading(file: &str, progress: &Progress) -> String {
    let amount = match progress.total {
        Some(total) => format!("{} / {}", human_bytes(progress.loaded), human_bytes(total)),
        None => human_bytes(progress.loaded),
    };
    format!("モデルをダウンロード中（{file}）… {amount}")
}

/// The model panel while the worker loads the model.
pub const MODEL_PREPARING: &str = "モデルを準備中…";

/// The model panel once the model is ready.
pub fn model_ready(source: &ModelSource, since_page_ms: f64) -> String {
    format!(
        "{}の準備ができました（ページを開いてから {:.1} 秒）。",
        model_source(source),
        since_page_ms / 1000.0
    )
}

/// The button that downloads the model again and restarts a stopped worker.
pub const RETRY: &str = "もう一度読み込む";

#[cfg(test)]
mod tests {
    use super::*;

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
        ]
    }

    fn every_card_problem() -> Vec<CardProblem> {
        let mut problems: Vec<CardProblem> = every_failure()
            .into_iter()
            .map(CardProblem::Worker)
            .collect();
        problems.extend([
            CardProblem::Unreadable {
                detail: "NotReadableError".into(),
            },
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

    #[test]
    fn every_card_problem_names_the_file_and_each_reads_differently() {
        let texts: Vec<String> = every_card_problem()
            .iter()
            .map(|problem| card_problem("猫.png", problem))
            .collect();
        for text in &texts {
            assert!(text.contains("「猫.png」"), "{text}");
        }
        let mut unique = texts.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), texts.len(), "{texts:#?}");
    }

    #[test]
    fn decoder_internals_go_to_the_tooltip_not_the_sentence() {
        let corrupt = CardProblem::Worker(Failure::Corrupt {
            detail: "Invalid PNG signature".into(),
        });
        let text = card_problem("a.png", &corrupt);
        assert!(
            text.contains("壊れています") && !text.contains("PNG signature"),
            "{text}"
        );
        assert_eq!(card_problem_detail(&corrupt), Some("Invalid PNG signature"));
        assert_eq!(card_problem_detail(&CardProblem::WorkerStopped), None);
    }

    #[test]
    fn too_large_gives_the_size_only_when_known() {
        let known = card_problem("big.jpg", &CardProblem::Worker(every_failure()[2].clone()));
        assert!(
            known.contains("9000×8000 ピクセル")
                && known.contains("64,000,000 ピクセル（8000×8000）まで"),
            "{known}"
        );
        let unknown = card_problem("big.jpg", &CardProblem::Worker(every_failure()[3].clone()));
        assert!(!unknown.contains("9000"), "{unknown}");
    }

    #[test]
    fn decided_refusals_read_as_the_table_says() {
        let truncated = card_problem("a.jpg", &CardProblem::Worker(Failure::Truncated));
        assert!(
            truncated.contains("画像が途中で切れています"),
            "{truncated}"
        );
        for failure in &every_failure()[6..9] {
            let text = card_problem("a.png", &CardProblem::Worker(failure.clone()));
            assert!(text.contains("判定できる絵がありません"), "{text}");
        }
        let big = card_problem(
            "huge.bin",
            &CardProblem::FileTooLarge {
                bytes: 104_857_600,
                limit: 50_000_000,
            },
        );
        assert!(
            big.contains("104.9 MB") && big.contains("50.0 MB まで"),
            "{big}"
        );
        assert_eq!(pixel_limit(1_000), "1,000 ピクセル");
    }

    #[test]
    fn the_card_names_the_decoder() {
        assert_ne!(decoder(Decoder::Builtin), decoder(Decoder::Browser));
        assert!(decoder(Decoder::Browser).contains("ブラウザ"));
    }

    #[test]
    fn a_stopped_worker_says_how_to_go_on() {
        let card = card_problem("a.png", &CardProblem::WorkerStopped);
        assert!(
            card.contains("ワーカーが止まりました") && card.contains(RETRY),
            "{card}"
        );
        let panel = model_problem(&ModelProblem::WorkerStopped {
            detail: "RuntimeError: unreachable".into(),
        });
        assert!(
            panel.contains("ワーカーが止まりました") && panel.contains(RETRY),
            "{panel}"
        );
    }

    #[test]
    fn model_problems_name_what_failed() {
        let cases = [
            (
                ModelProblem::Download {
                    url: "model/a.onnx".into(),
                    detail: "HTTP 404".into(),
                },
                "model/a.onnx",
            ),
            (
                ModelProblem::ModelJson {
                    url: "m/model.json".into(),
                    detail: ModelJsonProblem::NotInFolder {
                        file: "../x.onnx".into(),
                    },
                },
                "「../x.onnx」",
            ),
            (
                ModelProblem::NotFound {
                    url: "models/missing/model.json".into(),
                },
                "モデルが見つかりません（models/missing/model.json がありません）",
            ),
            (
                ModelProblem::ModelJson {
                    url: "m/model.json".into(),
                    detail: ModelJsonProblem::Html,
                },
                "モデルが見つかりません",
            ),
            (
                ModelProblem::ModelJson {
                    url: "m/model.json".into(),
                    detail: ModelJsonProblem::Invalid {
                        detail: "EOF".into(),
                    },
                },
                "m/model.json はモデルの説明ファイルではありません",
            ),
            (
                ModelProblem::Refused(ModelFailure::Onnx {
                    detail: "protobuf".into(),
                }),
                "ONNX ファイルがモデルではありません",
            ),
            (
                ModelProblem::NotAPair {
                    names: vec!["a.onnx".into(), "b.onnx".into()],
                },
                "a.onnx、b.onnx",
            ),
            (
                ModelProblem::NotText {
                    name: "model.json".into(),
                },
                "UTF-8",
            ),
            (
                ModelProblem::Refused(ModelFailure::Checksum {
                    expected: "aa".into(),
                    actual: "bb".into(),
                }),
                "sha256",
            ),
            (
                ModelProblem::Refused(ModelFailure::MetaInvalid {
                    detail: "EOF".into(),
                }),
                "model.json がモデルの説明ファイルではありません",
            ),
            (
                ModelProblem::Query(QueryProblem::NotThisSite {
                    value: "https://evil.example/m".into(),
                }),
                "https://evil.example/m",
            ),
            (
                ModelProblem::WorkerWontStart {
                    detail: "SyntaxError".into(),
                },
                "SyntaxError",
            ),
        ];
        for (problem, expected) in cases {
            let text = model_problem(&problem);
            assert!(text.contains(expected), "{problem:?}: {text}");
        }
    }

    #[test]
    fn sources_are_named_for_people() {
        let bundled = ModelSource::Served {
            dir: BUNDLED_DIR.into(),
        };
        assert_eq!(model_source(&bundled), "同梱のモデル");
        let served = ModelSource::Served {
            dir: "models/keras".into(),
        };
        assert!(model_source(&served).contains("models/keras/"));
        let local = ModelSource::Local {
            onnx_name: "mine.onnx".into(),
        };
        assert!(model_source(&local).contains("mine.onnx"));
    }

    #[test]
    fn waiting_cards_say_what_they_wait_for() {
        assert_eq!(card_waiting(&Status::Classifying), Some("判定中…"));
        assert_eq!(
            card_waiting(&Status::Failed(CardProblem::WorkerStopped)),
            None
        );
    }

    #[test]
    fn downloads_show_the_amount() {
        let known = Progress {
            loaded: 1_500_000,
            total: Some(58_900_000),
        };
        assert_eq!(
            model_downloading("m.onnx", &known),
            "モデルをダウンロード中（m.onnx）… 1.5 MB / 58.9 MB"
        );
        let unknown = Progress {
            loaded: 456_000,
            total: None,
        };
        assert!(model_downloading("m.onnx", &unknown).ends_with("456 KB"));
    }
}
