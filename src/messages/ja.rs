//! The page in Japanese, the original's language and plain style.

use worker_protocol::{Decoder, Failure, ModelFailure, NothingToJudge};

use super::{Catalogue, grouped, square_side};
use crate::download::human_bytes;
use crate::heat_map::HeatSource;
use crate::model_source::{BUNDLED_DIR, ModelSource};
use crate::offline::OfflineStatus;
use crate::page_state::{Progress, Status};
use crate::problem::{CardProblem, ModelJsonProblem, ModelProblem, QueryProblem};

/// The Japanese catalogue.
pub struct Japanese;

impl Catalogue for Japanese {
    fn intro_lead(&self) -> &'static str {
        "AIが送信された画像を識別し、「スペシャルウィーク」かどうかを判別します。"
    }

    fn intro_note(&self) -> &'static str {
        "スペシャルウィークは『ウマ娘 プリティーダービー』に登場するキャラクターです。"
    }

    fn intro_privacy(&self) -> &'static str {
        "画像はこの端末の中だけで判定され、どこにも送信されません。"
    }

    fn language_switch(&self) -> &'static str {
        "言語"
    }

    fn drop_prompt(&self) -> &'static str {
        "以下に、画像を送信してください"
    }

    fn drop_hint(&self) -> &'static str {
        "ファイルを選ぶか、ここに画像をドロップ、または貼り付け（Ctrl/⌘+V）"
    }

    fn send_button(&self) -> &'static str {
        "画像送信"
    }

    fn own_model(&self) -> &'static str {
        "自分のモデルを使う"
    }

    fn own_model_explanation(&self) -> &'static str {
        "model.json と .onnx ファイルを一緒に選ぶか、ページにドロップしてください。\
         モデルはこのタブの中だけで使われ、どこにも送信されません。"
    }

    fn model_preparing(&self) -> &'static str {
        "モデルを準備中…"
    }

    fn retry(&self) -> &'static str {
        "もう一度読み込む"
    }

    fn model_downloading(&self, file: &str, progress: &Progress) -> String {
        let amount = match progress.total {
            Some(total) => format!("{} / {}", human_bytes(progress.loaded), human_bytes(total)),
            None => human_bytes(progress.loaded),
        };
        format!("モデルをダウンロード中（{file}）… {amount}")
    }

    fn model_ready(&self, source: &ModelSource, since_page_ms: f64) -> String {
        format!(
            "{}の準備ができました（ページを開いてから {:.1} 秒）。",
            self.model_source(source),
            since_page_ms / 1000.0
        )
    }

    fn threads(&self, threads: usize) -> String {
        format!("{threads} スレッドで判定します。")
    }

    fn model_source(&self, source: &ModelSource) -> String {
        match source {
            ModelSource::Served { dir } if dir == BUNDLED_DIR => "同梱のモデル".to_string(),
            ModelSource::Served { dir } => format!("サーバー上のモデル（{dir}/）"),
            ModelSource::Local { onnx_name } => {
                format!("あなたのモデル（{onnx_name}、このタブの中だけで使用）")
            }
        }
    }

    fn model_problem(&self, problem: &ModelProblem) -> String {
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
            ModelProblem::NotText { name } => {
                unreadable_file(name, "UTF-8 のテキストではありません")
            }
            ModelProblem::Refused(failure) => {
                format!("モデルを読み込めませんでした: {}", model_failure(failure))
            }
            ModelProblem::WorkerWontStart { detail } => {
                format!("判定用のワーカーを起動できませんでした: {detail}")
            }
            ModelProblem::WorkerStopped { detail } => format!(
                "判定用のワーカーが止まりました（{detail}）。「{}」で起動し直せます。",
                self.retry()
            ),
            ModelProblem::VersionMismatch { detail } => format!(
                "ページとワーカーの版が合いません。ページを再読み込みしてください（{detail}）。"
            ),
        }
    }

    fn answer(&self, is_special_week: bool) -> &'static str {
        if is_special_week {
            "これは スペシャルウィーク です"
        } else {
            "これは スペシャルウィーク以外 です"
        }
    }

    fn probability_label(&self) -> &'static str {
        "スペシャルウィークである確率"
    }

    fn probability(&self, percent: f64) -> String {
        format!("スペシャルウィークである確率 {percent:.1}%")
    }

    fn judge_time(&self, ms: f64) -> String {
        format!("判定 {ms:.0} ms")
    }

    fn decoder(&self, decoder: Decoder) -> &'static str {
        match decoder {
            Decoder::Builtin => "内蔵のデコーダーで読み込み",
            Decoder::Browser => "ブラウザのデコーダーで読み込み",
        }
    }

    fn separator(&self) -> &'static str {
        " ・ "
    }

    fn card_waiting(&self, status: &Status) -> Option<&'static str> {
        match status {
            Status::Queued => Some("モデルの準備ができしだい判定します…"),
            Status::Classifying => Some("判定中…"),
            Status::Done(_) | Status::Failed(_) => None,
        }
    }

    fn card_problem(&self, name: &str, problem: &CardProblem) -> String {
        match problem {
            CardProblem::FileTooLarge { bytes, limit } => format!(
                "「{name}」はファイルが大きすぎます（{}）。{} までのファイルを選んでください。",
                human_bytes(*bytes),
                human_bytes(*limit)
            ),
            CardProblem::Worker(failure) => image_failure(name, failure),
            CardProblem::WorkerStopped => format!(
                "「{name}」の判定中に、判定用のワーカーが止まりました。\
                 上の「{}」を押してから、もう一度画像を選んでください。",
                self.retry()
            ),
            CardProblem::VersionMismatch { .. } => format!(
                "「{name}」を判定できません。ページとワーカーの版が合いません。\
                 ページを再読み込みしてください。"
            ),
        }
    }

    fn evidence_toggle(&self, on: bool) -> &'static str {
        if on {
            "根拠を隠す"
        } else {
            "根拠を表示"
        }
    }

    fn evidence_computing(&self) -> &'static str {
        "根拠を計算中…（画像の一部を順に隠して判定し直しています）"
    }

    fn evidence_caption(&self, source: &HeatSource) -> String {
        match *source {
            HeatSource::Crops { crops } => format!(
                "赤いところほど、そこを含む切り抜きがスペシャルウィークらしいと判定されました（切り抜き {crops} 枚）。"
            ),
            HeatSource::Occlusion {
                cells,
                largest_drop,
                ms,
            } => {
                let seconds = ms / 1000.0;
                match super::drop_points(largest_drop) {
                    Some(points) => format!(
                        "赤いところほど、隠すとスペシャルウィークである確率が下がります（{cells} か所を順に隠して判定、最大 {points:.1} ポイント低下、{seconds:.1} 秒）。"
                    ),
                    None => format!(
                        "どこを隠しても確率はほとんど変わりません。判定は画像全体から来ています（{cells} か所を順に隠して判定、{seconds:.1} 秒）。"
                    ),
                }
            }
        }
    }

    fn offline(&self, status: &OfflineStatus) -> &'static str {
        match status {
            OfflineStatus::Unsupported => "オフライン非対応",
            OfflineStatus::Installing => "オフライン用に保存中…",
            OfflineStatus::Ready => "オフラインでも使えます",
            OfflineStatus::UpdateAvailable => "新しい版があります",
            OfflineStatus::Failed(_) => "オフラインでは使えません",
        }
    }

    fn update_button(&self) -> &'static str {
        "更新する"
    }
}

fn image_failure(name: &str, failure: &Failure) -> String {
    match failure {
        Failure::Unreadable { detail } => unreadable_file(name, detail),
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
        Failure::Forgotten => format!(
            "「{name}」の根拠を出すには、画像をもう一度選んでください（判定したときのデータがもう残っていません）。"
        ),
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
pub(super) fn pixel_limit(pixels: u64) -> String {
    match square_side(pixels) {
        Some(side) => format!("{} ピクセル（{side}×{side}）", grouped(pixels)),
        None => format!("{} ピクセル", grouped(pixels)),
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
