//! The Japanese messages for what can go wrong on the page itself.

/// The file `name` could not be read from the user's device.
pub fn unreadable_file(name: &str, detail: &str) -> String {
    format!("「{name}」を読み込めませんでした（{detail}）。")
}

/// A model file could not be downloaded.
pub fn download_failed(url: &str, detail: &str) -> String {
    format!("モデル（{url}）のダウンロードに失敗しました: {detail}")
}

/// `model.json` does not say which ONNX file to load.
pub fn model_json_unusable(url: &str, detail: &str) -> String {
    format!("モデルの説明ファイル（{url}）を読めません: {detail}")
}

/// The Web Worker could not be started or crashed.
pub fn worker_failed(detail: &str) -> String {
    format!("判定用のワーカーを起動できませんでした: {detail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_failed() {
        assert!(unreadable_file("猫.png", "NotReadableError").contains("「猫.png」"));
        assert!(download_failed("model/a.onnx", "404").contains("model/a.onnx"));
        assert!(model_json_unusable("model/model.json", "EOF").contains("model/model.json"));
        assert!(worker_failed("SyntaxError").contains("SyntaxError"));
    }
}
