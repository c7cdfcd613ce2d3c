//! Downloading the model files with progress, through the browser's `fetch`.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

use crate::page_state::Progress;
use crate::problem::ModelJsonProblem;

/// Formats a byte count for people: `12.3 MB`, `456 KB`, `789 B`.
pub fn human_bytes(bytes: u64) -> String {
    const KB: f64 = 1000.0;
    let value = bytes as f64;
    if value >= KB * KB {
        format!("{:.1} MB", value / (KB * KB))
    } else if value >= KB {
        format!("{:.0} KB", value / KB)
    } else {
        format!("{bytes} B")
    }
}

/// Why a download failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchFailure {
    /// The server has no such file (HTTP 404).
    NotFound,
    /// Any other failure: the browser's or the server's description.
    Failed(String),
}

impl From<String> for FetchFailure {
    fn from(detail: String) -> Self {
        Self::Failed(detail)
    }
}

/// Without a known total, progress is reported every this many bytes.
const REPORT_EVERY: u64 = 512 * 1024;

/// Progress is reported at most this often (ms): every report redraws the page. With a
/// report per percent (about 100 redraws), the bundled model took 56 ms longer to arrive
/// from the service worker's cache (730 instead of 674 ms after the page opened, in the
/// bench).
const REPORT_INTERVAL_MS: f64 = 100.0;

/// Fetches `url` as text.
pub async fn fetch_text(url: &str) -> Result<String, FetchFailure> {
    let response = start(url).await?;
    let text = JsFuture::from(response.text().map_err(describe)?)
        .await
        .map_err(describe)?;
    text.as_string()
        .ok_or_else(|| FetchFailure::Failed("the response is not text".to_string()))
}

/// Fetches `url` as bytes, calling `on_progress` as chunks arrive (every percent at most,
/// and at most every [`REPORT_INTERVAL_MS`]), and once at the end.
pub async fn fetch_bytes(
    url: &str,
    on_progress: impl Fn(Progress),
) -> Result<Vec<u8>, FetchFailure> {
    let response = start(url).await?;
    let total = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|length| length.parse().ok());
    let body = response
        .body()
        .ok_or_else(|| FetchFailure::Failed("the response has no body".to_string()))?;
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::with_capacity(total.unwrap_or(0) as usize);
    on_progress(Progress { loaded: 0, total });
    let step = total.map_or(REPORT_EVERY, |t| (t / 100).max(1));
    let (mut reported, mut reported_at) = (0, js_sys::Date::now());
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(describe)?;
        let done = Reflect::get(&chunk, &"done".into()).map_err(describe)?;
        if done.as_bool().unwrap_or(true) {
            break;
        }
        let value = Uint8Array::new(&Reflect::get(&chunk, &"value".into()).map_err(describe)?);
        let start = bytes.len();
        bytes.resize(start + value.length() as usize, 0);
        value.copy_to(&mut bytes[start..]);
        let loaded = bytes.len() as u64;
        let now = js_sys::Date::now();
        if loaded - reported >= step && now - reported_at >= REPORT_INTERVAL_MS {
            (reported, reported_at) = (loaded, now);
            on_progress(Progress { loaded, total });
        }
    }
    on_progress(Progress {
        loaded: bytes.len() as u64,
        total,
    });
    Ok(bytes)
}

async fn start(url: &str) -> Result<Response, FetchFailure> {
    let window = web_sys::window().ok_or_else(|| "no window".to_string())?;
    let response: Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(describe)?
        .unchecked_into();
    match response.status() {
        _ if response.ok() => Ok(response),
        404 => Err(FetchFailure::NotFound),
        status => Err(FetchFailure::Failed(format!(
            "HTTP {status} {}",
            response.status_text()
        ))),
    }
}

/// The ONNX file name `model.json` gives. The worker checks the rest of the file; the
/// page only needs to know what to download next.
pub fn model_file_of(meta_json: &str) -> Result<String, ModelJsonProblem> {
    #[derive(serde::Deserialize)]
    struct Named {
        model_file: String,
    }
    if meta_json.trim_start().starts_with('<') {
        return Err(ModelJsonProblem::Html);
    }
    let named: Named = serde_json::from_str(meta_json).map_err(|e| ModelJsonProblem::Invalid {
        detail: e.to_string(),
    })?;
    let file = named.model_file;
    if file.is_empty() || file.contains('/') || file.contains('\\') || file.contains(':') {
        return Err(ModelJsonProblem::NotInFolder { file });
    }
    Ok(file)
}

/// A JavaScript error as text.
pub fn describe(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_json_names_the_onnx_file() {
        let json = r#"{"format_version": 1, "model_file": "special_week.onnx", "labels": []}"#;
        assert_eq!(model_file_of(json).unwrap(), "special_week.onnx");
    }

    #[test]
    fn model_json_without_a_plain_file_name_is_refused() {
        assert_eq!(
            model_file_of("\n<!doctype html><title>Page</title>"),
            Err(ModelJsonProblem::Html),
            "a host that answers a missing file with its page"
        );
        for invalid in ["{", r#"{"labels": []}"#, "[1, 2]"] {
            assert!(
                matches!(
                    model_file_of(invalid),
                    Err(ModelJsonProblem::Invalid { .. })
                ),
                "{invalid}"
            );
        }
        for bad in ["", "../x.onnx", "https://a/b.onnx"] {
            let json = format!(r#"{{"model_file": "{bad}"}}"#);
            assert_eq!(
                model_file_of(&json),
                Err(ModelJsonProblem::NotInFolder { file: bad.into() })
            );
        }
    }

    #[test]
    fn bytes_read_well() {
        assert_eq!(human_bytes(789), "789 B");
        assert_eq!(human_bytes(456_000), "456 KB");
        assert_eq!(human_bytes(58_912_345), "58.9 MB");
    }
}
