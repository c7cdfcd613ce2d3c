//! The Japanese messages for what can go wrong in the worker: images and the model.

use classifier::PreprocessError;
use classifier::model::{ClassifyError, ModelError};

/// Why the image file `name` could not be classified.
pub fn classify_error(name: &str, error: &ClassifyError) -> String {
    match error {
        ClassifyError::Image(PreprocessError::Empty) => {
            format!("「{name}」は空のファイルです。画像ファイルを選んでください。")
        }
        ClassifyError::Image(PreprocessError::Unsupported) => format!(
            "「{name}」は対応していない形式です。PNG・JPEG・GIF・WebP・BMP の画像を選んでください。"
        ),
        ClassifyError::Image(PreprocessError::TooLarge {
            width,
            height,
            limit_mp,
        }) if *width > 0 && *height > 0 => {
            format!(
                "「{name}」は大きすぎます（{width}×{height} ピクセル）。{limit_mp} メガピクセルまでの画像を選んでください。"
            )
        }
        ClassifyError::Image(PreprocessError::TooLarge { limit_mp, .. }) => format!(
            "「{name}」は大きすぎて読み込めません。{limit_mp} メガピクセルまでの画像を選んでください。"
        ),
        ClassifyError::Image(PreprocessError::Corrupt(detail)) => {
            format!("「{name}」は壊れているか、途中で切れている画像です（{detail}）。")
        }
        ClassifyError::Model(detail) => {
            format!("「{name}」の判定中にモデルでエラーが起きました（{detail}）。")
        }
    }
}

/// An image arrived at the worker before the model.
pub fn model_not_loaded(name: &str) -> String {
    format!("「{name}」を判定できません。モデルがまだ読み込まれていません。")
}

/// The model files were downloaded but could not be loaded.
pub fn model_error(error: &ModelError) -> String {
    format!("モデルを読み込めませんでした: {error}")
}

/// A request from the page could not be decoded (page and worker from different builds).
pub fn garbled_request(detail: &str) -> String {
    format!("ページとワーカーの版が合いません。ページを再読み込みしてください（{detail}）。")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_image_error_names_the_file() {
        let errors = [
            ClassifyError::Image(PreprocessError::Empty),
            ClassifyError::Image(PreprocessError::Unsupported),
            ClassifyError::Image(PreprocessError::TooLarge {
                width: 9000,
                height: 9000,
                limit_mp: 64,
            }),
            ClassifyError::Image(PreprocessError::TooLarge {
                width: 0,
                height: 0,
                limit_mp: 64,
            }),
            ClassifyError::Image(PreprocessError::Corrupt("truncated".into())),
            ClassifyError::Model("boom".into()),
        ];
        for error in &errors {
            let text = classify_error("猫.png", error);
            assert!(text.contains("「猫.png」"), "{text}");
        }
    }

    #[test]
    fn too_large_gives_the_size_when_known() {
        let known = PreprocessError::TooLarge {
            width: 9000,
            height: 8000,
            limit_mp: 64,
        };
        let text = classify_error("big.jpg", &ClassifyError::Image(known));
        assert!(
            text.contains("9000×8000") && text.contains("64 メガピクセル"),
            "{text}"
        );
        let unknown = PreprocessError::TooLarge {
            width: 0,
            height: 0,
            limit_mp: 64,
        };
        let text = classify_error("big.jpg", &ClassifyError::Image(unknown));
        assert!(!text.contains("0×0"), "{text}");
    }

    #[test]
    fn unsupported_and_corrupt_differ() {
        let unsupported =
            classify_error("a.txt", &ClassifyError::Image(PreprocessError::Unsupported));
        let corrupt = classify_error(
            "a.png",
            &ClassifyError::Image(PreprocessError::Corrupt("x".into())),
        );
        assert!(unsupported.contains("対応していない形式"));
        assert!(corrupt.contains("壊れている"));
    }
}
