//! The commands: serve, build and test the browser app.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::Args;
use sha2::{Digest, Sha384};

use crate::keras;
use crate::threads;
use crate::tools::{self, run, workspace_root};

/// Options of `cargo xtask build`.
#[derive(Args)]
pub struct BuildOptions {
    /// wasm-opt level for the two wasm files (`off`, `1`…`4`, `s` or `z`); wasm-opt is
    /// installed from npm (binaryen) when it is not on PATH.
    #[arg(long, default_value = "2")]
    wasm_opt: String,
}

fn trunk() -> Command {
    let mut command = Command::new("trunk");
    command.current_dir(workspace_root());
    command
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(workspace_root());
    command
}

/// `cargo xtask serve`: Trunk with `Cross-Origin-Opener-Policy` and
/// `Cross-Origin-Embedder-Policy` on every response (`Trunk.toml`), so the page is
/// cross-origin isolated and runs the threaded worker.
pub fn serve() -> Result<()> {
    tools::ensure_web_tools()?;
    tools::ensure_nightly()?;
    run(trunk().args(["serve", "--address", "127.0.0.1", "--port", "8080"]))
}

/// `cargo xtask build`: the shipped build (fat LTO, one codegen unit, then wasm-opt on
/// every wasm file but the threaded worker's).
pub fn build(options: &BuildOptions) -> Result<()> {
    tools::ensure_web_tools()?;
    tools::ensure_nightly()?;
    run(trunk().args(["build", "--release", "--cargo-profile", "web-release"]))?;
    let dist = workspace_root().join("dist");
    if options.wasm_opt != "off" {
        let wasm_opt = tools::ensure_wasm_opt()?;
        // The threaded worker stays as LLVM emitted it: after wasm-opt -O2 it classified
        // about 3x slower (1.25 s instead of 0.39 s per image on 2 threads).
        let optimisable = wasm_files(&dist)?
            .into_iter()
            .filter(|wasm| !wasm.ends_with(threads::WASM));
        for wasm in optimisable {
            optimise(
                &wasm_opt,
                &wasm,
                &options.wasm_opt,
                &dist.join("index.html"),
            )?;
        }
    }
    report_sizes(&dist)
}

/// Where `cargo xtask test` builds the app for the sub-path tests.
pub const SUBPATH_DIST: &str = "target/dist-subpath";
/// The sub-path the second test build is made for.
pub const SUBPATH: &str = "/specialweek/";

/// `cargo xtask test`: a release build of the app (at the root and under a sub-path),
/// then every test in one `cargo test` run: unit and integration tests of all crates and
/// the end-to-end suite in headless Chromium.
pub fn test() -> Result<()> {
    tools::ensure_web_tools()?;
    tools::ensure_nightly()?;
    tools::ensure_chromium()?;
    tools::ensure_ffmpeg()?;
    let keras_models = keras::export_test_models()?;
    run(trunk().args(["build", "--release"]))?;
    report_sizes(&workspace_root().join("dist"))?;
    // Same wasm as above (cargo reuses it); only the URLs in index.html differ.
    run(trunk().args([
        "build",
        "--release",
        "--public-url",
        SUBPATH,
        "--dist",
        SUBPATH_DIST,
    ]))?;
    run(cargo()
        .args(["test", "--workspace", "--features", "special-week-app/e2e"])
        .env("CHROMEDRIVER", tools::CHROMEDRIVER)
        .env(
            "SPECIAL_WEEK_SUBPATH_DIST",
            workspace_root().join(SUBPATH_DIST),
        )
        .env("SPECIAL_WEEK_KERAS_DIR", keras_models)
        .env("SPECIAL_WEEK_XTASK", std::env::current_exe()?))
}

fn wasm_files(dist: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dist)
        .with_context(|| format!("reading {}", dist.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "wasm"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no .wasm files in {}", dist.display());
    }
    Ok(files)
}

/// Runs wasm-opt on one file in place and updates its integrity hash in `index.html`.
fn optimise(wasm_opt: &Path, wasm: &Path, level: &str, index: &Path) -> Result<()> {
    let before = std::fs::read(wasm)?;
    let started = std::time::Instant::now();
    run(Command::new(wasm_opt)
        .arg(format!("-O{level}"))
        .args([
            "--enable-simd",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
        ])
        .args([
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
        ])
        .arg("--enable-multivalue")
        .arg(wasm)
        .arg("-o")
        .arg(wasm))?;
    let after = std::fs::read(wasm)?;
    eprintln!(
        "xtask: wasm-opt -O{level} {}: {} → {} bytes in {:.0?}",
        wasm.display(),
        before.len(),
        after.len(),
        started.elapsed()
    );
    let html = std::fs::read_to_string(index)?;
    std::fs::write(index, html.replace(&sri(&before), &sri(&after)))?;
    Ok(())
}

/// The subresource-integrity value Trunk writes for a file.
fn sri(bytes: &[u8]) -> String {
    format!("sha384-{}", BASE64.encode(Sha384::digest(bytes)))
}

fn report_sizes(dist: &Path) -> Result<()> {
    for wasm in wasm_files(dist)? {
        let raw = std::fs::metadata(&wasm)?.len();
        let gzip = Command::new("gzip")
            .arg("-9c")
            .arg(&wasm)
            .output()
            .map(|o| o.stdout.len())
            .unwrap_or(0);
        eprintln!(
            "xtask: {}: {raw} bytes raw, {gzip} bytes gzip -9",
            wasm.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sri_matches_the_known_value_for_empty_input() {
        assert_eq!(
            sri(b""),
            "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb"
        );
    }
}
