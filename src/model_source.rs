//! Where the page's model comes from: the bundled directory, a directory the page URL
//! names (`?model=DIR`), or a `model.json` + `.onnx` pair from the user's own disk.

use crate::problem::{ModelProblem, QueryProblem};

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

/// The model directory for the page's `?model=` value: the bundled one without it, else
/// the named directory on the same site. Other sites' URLs are refused, so a link cannot
/// make the page fetch code-like data from elsewhere.
pub fn served_dir(query_value: Option<&str>) -> Result<String, QueryProblem> {
    let Some(value) = query_value else {
        return Ok(BUNDLED_DIR.to_string());
    };
    let dir = value.trim().trim_end_matches('/');
    if dir.is_empty() {
        return Err(QueryProblem::Empty);
    }
    if dir.contains(':') || dir.starts_with("//") || dir.contains('\\') {
        return Err(QueryProblem::NotThisSite {
            value: value.to_string(),
        });
    }
    Ok(dir.to_string())
}

/// Which of the chosen file names are the `model.json` and the ONNX file: the indices
/// of exactly one `.json` and exactly one `.onnx` file.
pub fn pick_pair(names: &[String]) -> Result<(usize, usize), ModelProblem> {
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
        _ => Err(ModelProblem::NotAPair {
            names: names.to_vec(),
        }),
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
        for empty in ["", " / "] {
            assert_eq!(served_dir(Some(empty)), Err(QueryProblem::Empty));
        }
        for bad in ["https://evil.example/m", "//evil.example/m", "a\\b"] {
            assert_eq!(
                served_dir(Some(bad)),
                Err(QueryProblem::NotThisSite { value: bad.into() })
            );
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
    fn anything_else_is_not_a_pair() {
        for bad in [
            &["m.onnx"][..],
            &["model.json"],
            &["a.onnx", "b.onnx"],
            &["model.json", "m.onnx", "cat.png"],
        ] {
            assert_eq!(
                pick_pair(&names(bad)),
                Err(ModelProblem::NotAPair { names: names(bad) })
            );
        }
    }

    #[test]
    fn drops_with_an_onnx_file_are_models() {
        assert!(is_model_drop(&names(&["model.json", "x.onnx"])));
        assert!(!is_model_drop(&names(&["a.png", "b.jpg"])));
    }
}
