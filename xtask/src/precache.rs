//! `cargo xtask precache`: writes `dist/sw.js`, the service worker that keeps the app
//! usable offline, from the template `assets/sw.js`.
//!
//! The template holds one placeholder ([`PLACEHOLDER`]); it is replaced by a JSON object
//! `{"version": "<hex>", "files": ["./", "index.html", …]}` listing every file of the
//! build. The paths are relative to the service worker's own URL, so the same build
//! works at the root of a host and under a sub-path (`--public-url /specialweek/`).
//! The version is a SHA-256 over the sorted list of paths and file hashes: it changes
//! exactly when some file of the build changes, which is what makes browsers install
//! the new service worker (its bytes differ) and swap caches.
//!
//! Trunk runs this after every build (a `post_build` hook in `Trunk.toml` calling
//! `cargo xtask precache --trunk-hook`), which first adds the threaded worker; debug
//! builds (`trunk serve`) get no `sw.js`.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::tools::workspace_root;

/// The token in the template that becomes the precache JSON; it must occur exactly once.
pub const PLACEHOLDER: &str = "__PRECACHE__";

/// The file name of the generated service worker, at the top of the build directory.
pub const SERVICE_WORKER: &str = "sw.js";

/// What [`write_service_worker`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecacheReport {
    /// How many files the service worker precaches (`./` is not counted: it is
    /// `index.html` under a second URL).
    pub files: usize,
    /// The total size of those files in bytes.
    pub bytes: u64,
    /// The hex SHA-256 that names this build's cache (`special-week-<version>`).
    pub version: String,
}

/// One file of the build, as the service worker will request it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecacheFile {
    /// The path relative to the build directory with `/` separators, e.g. `model/model.json`.
    pub path: String,
    /// The file's size in bytes.
    pub bytes: u64,
    /// The hex SHA-256 of the file's contents.
    pub sha256: String,
}

/// Lists the files of the build under `dist`, sorted by path.
///
/// Skipped: the generated `sw.js` itself, hidden files and directories (names starting
/// with `.`, such as Trunk's `.stage`), and source maps (`*.map`). Paths that a URL cannot
/// carry unchanged (`?`, `#`, `%`, `\` or control characters) are an error.
pub fn list_files(dist: &Path) -> Result<Vec<PrecacheFile>> {
    let mut files = Vec::new();
    collect(dist, "", &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn collect(dir: &Path, prefix: &str, files: &mut Vec<PrecacheFile>) -> Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            bail!("{}: the name is not UTF-8", entry.path().display());
        };
        let path = format!("{prefix}{name}");
        if name.starts_with('.')
            || name.ends_with(".map")
            || (prefix.is_empty() && name == SERVICE_WORKER)
        {
            continue;
        }
        if name
            .chars()
            .any(|c| matches!(c, '?' | '#' | '%' | '\\') || c.is_control())
        {
            bail!("{path}: the name cannot be used in a URL as it is");
        }
        // Follows symbolic links, like the web server will.
        let metadata = std::fs::metadata(entry.path())
            .with_context(|| format!("reading {}", entry.path().display()))?;
        if metadata.is_dir() {
            collect(&entry.path(), &format!("{path}/"), files)?;
        } else if metadata.is_file() {
            let (bytes, sha256) = hash_file(&entry.path())?;
            files.push(PrecacheFile {
                path,
                bytes,
                sha256,
            });
        }
    }
    Ok(())
}

/// The size and hex SHA-256 of a file, read in chunks (the model is 60 MB).
fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    let mut total = 0;
    loop {
        let read = file
            .read(&mut buffer)
            .with_context(|| format!("reading {}", path.display()))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        total += read as u64;
    }
    Ok((total, hex(&hasher.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The build's version: the hex SHA-256 over `path NUL sha256 LF` for every file, in
/// the (sorted) order of `files`.
pub fn version(files: &[PrecacheFile]) -> String {
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.path.as_bytes());
        hasher.update([0]);
        hasher.update(file.sha256.as_bytes());
        hasher.update([b'\n']);
    }
    hex(&hasher.finalize())
}

/// The JSON object that replaces [`PLACEHOLDER`]: the version and the URLs to cache,
/// `./` first (the page as a directory URL), one per line.
pub fn precache_json(version: &str, files: &[PrecacheFile]) -> String {
    let page = files.iter().any(|f| f.path == "index.html").then_some("./");
    let urls: Vec<&str> = page
        .into_iter()
        .chain(files.iter().map(|f| f.path.as_str()))
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "version": version, "files": urls }))
        .expect("strings always serialise")
}

/// Replaces the single [`PLACEHOLDER`] of `template` with `json`; a template without the
/// placeholder, or with more than one, is an error.
pub fn render(template: &str, json: &str) -> Result<String> {
    match template.matches(PLACEHOLDER).count() {
        1 => Ok(template.replacen(PLACEHOLDER, json, 1)),
        0 => bail!("the service worker template has no {PLACEHOLDER}"),
        n => bail!("the service worker template has {PLACEHOLDER} {n} times, expected once"),
    }
}

/// Writes `dist/sw.js` from `template`, precaching every file under `dist` (see
/// [`list_files`]) under a version derived from their contents (see [`version`]).
///
/// The file is written next to the others and renamed into place, so a half-written
/// `sw.js` is never served. Returns how many files and bytes the service worker will
/// download on install, and the version.
pub fn write_service_worker(dist: &Path, template: &Path) -> Result<PrecacheReport> {
    let template_text = std::fs::read_to_string(template)
        .with_context(|| format!("reading the template {}", template.display()))?;
    let files = list_files(dist)?;
    if !files.iter().any(|f| f.path == "index.html") {
        bail!("{} has no index.html: is it a build?", dist.display());
    }
    let version = version(&files);
    let script = render(&template_text, &precache_json(&version, &files))
        .with_context(|| template.display().to_string())?;
    let partial = dist.join(format!(".{SERVICE_WORKER}.partial"));
    std::fs::write(&partial, script).with_context(|| format!("writing {}", partial.display()))?;
    let target = dist.join(SERVICE_WORKER);
    std::fs::rename(&partial, &target)
        .with_context(|| format!("moving {} into place", target.display()))?;
    Ok(PrecacheReport {
        files: files.len(),
        bytes: files.iter().map(|f| f.bytes).sum(),
        version,
    })
}

/// The template in the source tree.
pub fn default_template() -> PathBuf {
    workspace_root().join("assets").join(SERVICE_WORKER)
}

/// `cargo xtask precache [--dist DIR] [--template FILE] [--trunk-hook]`.
///
/// It first writes the Content-Security-Policy into the build's `index.html`
/// ([`crate::csp`]). With `trunk_hook`, the directory is Trunk's staging directory
/// (`TRUNK_STAGING_DIR`): the threaded worker is built into it ([`crate::threads`]), then
/// nothing more is written unless `TRUNK_PROFILE` is `release`, so `trunk serve` never
/// serves a service worker that would cache development builds.
pub fn run(dist: Option<PathBuf>, template: Option<PathBuf>, trunk_hook: bool) -> Result<()> {
    let dist = if trunk_hook {
        let staging = PathBuf::from(
            std::env::var_os("TRUNK_STAGING_DIR")
                .context("--trunk-hook: TRUNK_STAGING_DIR is not set (run by Trunk only)")?,
        );
        // Every build, debug too, gets the threaded worker next to Trunk's.
        crate::threads::build_into(&staging)?;
        let profile = std::env::var("TRUNK_PROFILE").unwrap_or_default();
        if profile != "release" {
            eprintln!(
                "xtask: {profile:?} build: no service worker (only release builds get sw.js)"
            );
            return Ok(());
        }
        staging
    } else {
        dist.unwrap_or_else(|| workspace_root().join("dist"))
    };
    // Before the file list: the policy changes index.html, which the version covers.
    crate::csp::write_into(&dist.join("index.html"))?;
    let template = template.unwrap_or_else(default_template);
    let report = write_service_worker(&dist, &template)?;
    eprintln!(
        "xtask: wrote {}: {} files, {} bytes, version {}",
        dist.join(SERVICE_WORKER).display(),
        report.files,
        report.bytes,
        report.version
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str =
        "// service worker\nconst PRECACHE = __PRECACHE__;\nconsole.log(PRECACHE);\n";

    /// A fresh directory under the system temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(label: &str) -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "xtask-precache-{}-{}-{label}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("creating a temp dir");
            Self(dir)
        }

        fn write(&self, path: &str, bytes: &[u8]) {
            let path = self.0.join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("creating dirs");
            std::fs::write(path, bytes).expect("writing a file");
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A small build like Trunk's, plus things that must not be precached.
    fn site(label: &str) -> (TempDir, PathBuf) {
        let dir = TempDir::new(label);
        dir.write("index.html", b"<!doctype html><title>t</title>");
        dir.write("app-0123.js", b"export default 1;");
        dir.write("app-0123_bg.wasm", b"\0asm\x01\0\0\0");
        dir.write("worker.js", b"self.x = 1;");
        dir.write("model/model.json", br#"{"threshold": 0.5}"#);
        dir.write("model/special_week.onnx", &[7; 3000]);
        dir.write("assets/horse.svg", b"<svg/>");
        dir.write("sw.js", b"old service worker");
        dir.write("app-0123.js.map", b"{}");
        dir.write(".stage/index.html", b"half-built");
        dir.write("model/.DS_Store", b"junk");
        // The template lives outside the site in real use; here it sits in a hidden
        // directory, which is not listed.
        dir.write(".template/sw.js", TEMPLATE.as_bytes());
        let template = dir.0.join(".template").join("sw.js");
        (dir, template)
    }

    fn paths(dir: &Path) -> Vec<String> {
        list_files(dir)
            .expect("listing")
            .into_iter()
            .map(|f| f.path)
            .collect()
    }

    /// What [`site`]'s build should precache, sorted.
    const SITE_FILES: [&str; 7] = [
        "app-0123.js",
        "app-0123_bg.wasm",
        "assets/horse.svg",
        "index.html",
        "model/model.json",
        "model/special_week.onnx",
        "worker.js",
    ];

    #[test]
    fn the_list_is_sorted_complete_and_skips_sw_maps_and_hidden_files() {
        let (dir, _) = site("list");
        assert_eq!(paths(&dir.0), SITE_FILES);
        let files = list_files(&dir.0).expect("listing");
        let onnx = files
            .iter()
            .find(|f| f.path == "model/special_week.onnx")
            .expect("the model");
        assert_eq!(onnx.bytes, 3000);
        assert_eq!(onnx.sha256.len(), 64);
    }

    #[test]
    fn a_nested_sw_js_is_an_ordinary_file() {
        let (dir, _) = site("nested");
        dir.write("assets/sw.js", b"not ours");
        assert!(paths(&dir.0).contains(&"assets/sw.js".to_string()));
    }

    #[test]
    fn names_a_url_would_change_are_refused() {
        let (dir, _) = site("names");
        dir.write("model/50%.json", b"{}");
        let error = list_files(&dir.0).expect_err("a % in a name");
        assert!(error.to_string().contains("model/50%.json"), "{error}");
    }

    #[test]
    fn the_empty_input_hashes_to_the_known_value() {
        assert_eq!(
            version(&[]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn the_version_changes_with_any_file_and_only_then() {
        let (dir, template) = site("version");
        let first = write_service_worker(&dir.0, &template).expect("first run");
        assert_eq!(first.version.len(), 64);
        assert!(first.version.bytes().all(|b| b.is_ascii_hexdigit()));

        // Unchanged files (the written sw.js, a touched mtime, a new source map) keep it.
        let again = write_service_worker(&dir.0, &template).expect("second run");
        assert_eq!(again, first);
        dir.write("index.html", b"<!doctype html><title>t</title>");
        dir.write("worker.js.map", b"{}");
        assert_eq!(
            write_service_worker(&dir.0, &template)
                .expect("third run")
                .version,
            first.version
        );

        // One byte of the model changes it…
        let mut onnx = vec![7; 3000];
        onnx[1234] = 8;
        dir.write("model/special_week.onnx", &onnx);
        let changed = write_service_worker(&dir.0, &template).expect("changed model");
        assert_ne!(changed.version, first.version);
        assert_eq!(changed.bytes, first.bytes);
        // …and so does a renamed file with the same bytes, or a new file.
        dir.write("model/special_week.onnx", &[7; 3000]);
        assert_eq!(
            write_service_worker(&dir.0, &template)
                .expect("restored")
                .version,
            first.version
        );
        std::fs::rename(dir.0.join("worker.js"), dir.0.join("worker2.js")).expect("renaming");
        let renamed = write_service_worker(&dir.0, &template).expect("renamed");
        assert_ne!(renamed.version, first.version);
        dir.write("extra.txt", b"");
        let added = write_service_worker(&dir.0, &template).expect("added");
        assert_ne!(added.version, renamed.version);
        assert_eq!(added.files, renamed.files + 1);
    }

    #[test]
    fn the_report_counts_files_and_bytes() {
        let (dir, template) = site("report");
        let report = write_service_worker(&dir.0, &template).expect("writing");
        let expected: u64 = list_files(&dir.0)
            .expect("listing")
            .iter()
            .map(|f| f.bytes)
            .sum();
        assert_eq!(report.files, 7);
        assert_eq!(report.bytes, expected);
        assert_eq!(report.bytes, 31 + 17 + 8 + 11 + 18 + 3000 + 6);
    }

    #[test]
    fn the_placeholder_is_replaced_once_with_the_list() {
        let (dir, template) = site("render");
        let report = write_service_worker(&dir.0, &template).expect("writing");
        let script = std::fs::read_to_string(dir.0.join("sw.js")).expect("sw.js");
        assert!(!script.contains(PLACEHOLDER), "{script}");
        assert!(script.starts_with("// service worker\nconst PRECACHE = {\n"));
        assert!(script.ends_with("};\nconsole.log(PRECACHE);\n"));
        assert!(
            script.contains(&format!("\"version\": \"{}\"", report.version)),
            "{script}"
        );
        let files: Vec<String> = SITE_FILES.iter().map(|f| format!("    \"{f}\"")).collect();
        let expected = format!("  \"files\": [\n    \"./\",\n{}\n  ]", files.join(",\n"));
        assert!(script.contains(&expected), "{script}");
        assert!(!dir.0.join(".sw.js.partial").exists());
    }

    #[test]
    fn a_template_without_the_placeholder_or_with_two_is_an_error() {
        let (dir, template) = site("no-placeholder");
        std::fs::write(&template, "const PRECACHE = {};\n").expect("writing");
        let error = write_service_worker(&dir.0, &template).expect_err("no placeholder");
        assert!(
            format!("{error:#}").contains("has no __PRECACHE__"),
            "{error:#}"
        );
        assert_eq!(
            std::fs::read(dir.0.join("sw.js")).expect("sw.js"),
            b"old service worker",
            "a failed run leaves sw.js alone"
        );
        assert!(render("a __PRECACHE__ b __PRECACHE__", "{}").is_err());
        assert_eq!(render("a __PRECACHE__ b", "{}").expect("once"), "a {} b");
    }

    #[test]
    fn a_directory_without_index_html_is_not_a_build() {
        let dir = TempDir::new("empty");
        dir.write("app.js", b"");
        let template =
            std::env::temp_dir().join(format!("xtask-precache-{}-template.js", std::process::id()));
        std::fs::write(&template, TEMPLATE).expect("writing the template");
        let error = write_service_worker(&dir.0, &template).expect_err("no index.html");
        let _ = std::fs::remove_file(&template);
        assert!(error.to_string().contains("no index.html"), "{error}");
    }

    #[test]
    fn the_precache_list_is_json_with_the_page_first() {
        let file = |path: &str| PrecacheFile {
            path: path.to_string(),
            bytes: 1,
            sha256: "00".into(),
        };
        let files = [file("a\"b\\c.js"), file("index.html"), file("日本.png")];
        let parsed: serde_json::Value =
            serde_json::from_str(&precache_json("v1", &files)).expect("valid JSON");
        assert_eq!(parsed["version"], "v1");
        assert_eq!(
            parsed["files"],
            serde_json::json!(["./", "a\"b\\c.js", "index.html", "日本.png"])
        );
    }

    #[test]
    fn the_real_template_has_the_placeholder_once() {
        let template = std::fs::read_to_string(default_template()).expect("assets/sw.js");
        let script = render(&template, r#"{"version": "0", "files": []}"#).expect("renders");
        assert!(script.contains(r#"const PRECACHE = {"version": "0", "files": []};"#));
    }
}
