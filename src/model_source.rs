//! Where the page's model comes from: the bundled directory, a directory the page URL
//! names (`?model=DIR`), or a `model.json` + `.onnx` pair from the user's own disk.

/// The directory of the model shipped with the app, relative to the page.
pub const BUNDLED_DIR: &str = "model";

/// The model the worker has or is about to have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// Downloaded from a directory served next to the app.
    Served {
        /// The directory, relative to the page (or an absolute path on the same host).
        dir: String,
    },
    /// Chosen or dropped by the user; read from their disk, used in this tab only.
    Local {
        /// The ONNX file's name.
        onnx_name: String,
    },
}

impl ModelSource {
    /// How the page names the source (Japanese).
    pub fn describe(&self) -> String {
        match self {
            Self::Served { dir } if dir == BUNDLED_DIR => "同梱のモデル".to_string(),
            Self::Served { dir } => format!("サーバー上のモデル（{dir}/）"),
            Self::Local { onnx_name } => {
                format!("あなたのモデル（{onnx_name}、このタブの中だけで使用）")
            }
        }
    }
}

/// The model directory for the page's `?model=` value: the bundled one without it, else
/// the named directory on the same site. Other sites' URLs are refused, so a link cannot
/// make the page fetch code-like data from elsewhere.
pub fn served_dir(query_value: Option<&str>) -> Result<String, String> {
    let Some(value) = query_value else {
        return Ok(BUNDLED_DIR.to_string());
    };
    let dir = value.trim().trim_end_matches('/');
    if dir.is_empty() {
        return Err("URL の model パラメータが空です。".to_string());
    }
    if dir.contains(':') || dir.starts_with("//") || dir.contains('\\') {
        return Err(format!(
            "URL の model パラメータ「{value}」は使えません。このサイトの上のフォルダーを指定してください。"
        ));
    }
    Ok(dir.to_string())
}

/// Which of the chosen file names are the `model.json` and the ONNX file: the indices
/// of exactly one `.json` and exactly one `.onnx` file.
pub fn pick_pair(names: &[String]) -> Result<(usize, usize), String> {
    let with = |extension: &str| -> Vec<usize> {
        names
            .iter()
            .enumerate()
            .filter(|(_, name)| name.to_lowercase().ends_with(extension))
            .map(|(index, _)| index)
            .collect()
    };
    match (with(".json").as_slice(), with(".onnx").as_slice()) {
        ([json], [onnx]) if names.len() == 2 => Ok((*json, *onnx)),
        _ => Err(format!(
            "自分のモデルを使うには、model.json と .onnx ファイルを 1 つずつ、一緒に選んでください（選ばれたファイル: {}）。",
            names.join("、")
        )),
    }
}

/// Whether a drop carries model files rather than images.
pub fn is_model_drop(names: &[String]) -> bool {
    names
        .iter()
        .any(|name| name.to_lowercase().ends_with(".onnx"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn without_a_query_the_bundled_model_is_used() {
        assert_eq!(served_dir(None).unwrap(), "model");
    }

    #[test]
    fn a_query_names_a_directory_on_this_site() {
        assert_eq!(served_dir(Some("models/keras/")).unwrap(), "models/keras");
        assert_eq!(served_dir(Some("/shared/model")).unwrap(), "/shared/model");
    }

    #[test]
    fn other_sites_and_empty_values_are_refused() {
        for bad in [
            "https://evil.example/m",
            "//evil.example/m",
            "",
            " / ",
            "a\\b",
        ] {
            let error = served_dir(Some(bad)).unwrap_err();
            assert!(error.contains("model パラメータ"), "{bad}: {error}");
        }
    }

    #[test]
    fn a_pair_is_one_json_and_one_onnx_in_any_order() {
        assert_eq!(
            pick_pair(&names(&["m.ONNX", "model.json"])).unwrap(),
            (1, 0)
        );
        assert_eq!(
            pick_pair(&names(&["model.json", "m.onnx"])).unwrap(),
            (0, 1)
        );
    }

    #[test]
    fn anything_else_is_explained() {
        for bad in [
            &["m.onnx"][..],
            &["model.json"],
            &["a.onnx", "b.onnx"],
            &["model.json", "m.onnx", "cat.png"],
        ] {
            let error = pick_pair(&names(bad)).unwrap_err();
            assert!(error.contains("model.json と .onnx"), "{error}");
        }
    }

    #[test]
    fn drops_with_an_onnx_file_are_models() {
        assert!(is_model_drop(&names(&["model.json", "x.onnx"])));
        assert!(!is_model_drop(&names(&["a.png", "b.jpg"])));
    }

    #[test]
    fn sources_are_named_for_people() {
        let bundled = ModelSource::Served {
            dir: "model".into(),
        };
        assert_eq!(bundled.describe(), "同梱のモデル");
        let local = ModelSource::Local {
            onnx_name: "mine.onnx".into(),
        };
        assert!(local.describe().contains("mine.onnx"));
    }
}
