//! Finding and installing the tools: wasm32 target, Trunk, wasm-bindgen, wasm-opt, Chromium,
//! ffmpeg, pinned Python venvs.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// The Trunk release that builds with this toolchain (0.22 needs a newer rustc).
pub const TRUNK_VERSION: &str = "0.21.14";
/// The binaryen release whose `wasm-opt` understands current wasm-bindgen output.
pub const BINARYEN_VERSION: &str = "132.0.0";
/// The nightly toolchain of everything that needs one: the threaded classifier worker
/// (atomics and `-Z build-std`) and the fuzz targets (sanitizers). The one place it is
/// named; the rest of the workspace builds with stable.
pub const NIGHTLY: &str = "nightly-2026-10-30";
/// Debian's Chromium and its WebDriver, as installed by `chromium` and `chromium-driver`.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The workspace root (where `Cargo.toml`, `Cargo.lock` and `index.html` are).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs a command and fails unless it succeeds.
pub fn run(command: &mut Command) -> Result<()> {
    eprintln!("xtask: running {command:?}");
    let status = command
        .status()
        .with_context(|| format!("could not start {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

/// The first line a command prints to stdout, if it runs successfully.
fn output_line(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output.status.success().then(|| {
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    })
}

/// The version of `package` that `Cargo.lock` resolves.
pub fn locked_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock"))
        .context("reading Cargo.lock")?;
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name_line
            && let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
        {
            return Ok(version.trim_matches('"').to_string());
        }
    }
    bail!("Cargo.lock has no {package}")
}

/// Installs the wasm32 target, Trunk and the matching wasm-bindgen CLI if missing.
pub fn ensure_web_tools() -> Result<()> {
    let targets = output_line_all("rustup", &["target", "list", "--installed"]);
    if !targets.iter().any(|t| t == "wasm32-unknown-unknown") {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    if output_line("trunk", &["--version"]).as_deref() != Some(&format!("trunk {TRUNK_VERSION}")) {
        run(Command::new("cargo").args([
            "install",
            "--locked",
            "trunk",
            "--version",
            TRUNK_VERSION,
        ]))?;
    }
    let bindgen = locked_version("wasm-bindgen")?;
    let wanted = format!("wasm-bindgen {bindgen}");
    let has = |tool: &str| {
        output_line(tool, &["--version"])
            .is_some_and(|v| v.starts_with(&wanted) || v.ends_with(&bindgen))
    };
    if !has("wasm-bindgen") || !has("wasm-bindgen-test-runner") {
        // Not `--locked`: the lock file pins a webpki-roots release the registry lacks.
        run(Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &format!("={bindgen}"),
        ]))?;
    }
    Ok(())
}

/// `cargo` on [`NIGHTLY`], whatever toolchain runs xtask.
pub fn cargo_nightly() -> Command {
    let mut command = Command::new("cargo");
    command
        .arg(format!("+{NIGHTLY}"))
        .env_remove("RUSTUP_TOOLCHAIN");
    command
}

/// Installs [`NIGHTLY`] (minimal profile) and its `rust-src` component when missing, saying
/// so first, and prints its version.
pub fn ensure_nightly() -> Result<()> {
    let version = || output_line("rustup", &["run", NIGHTLY, "rustc", "--version"]);
    if version().is_none() {
        eprintln!("xtask: installing the {NIGHTLY} toolchain with rust-src (rustup)");
        run(Command::new("rustup").args([
            "toolchain",
            "install",
            NIGHTLY,
            "--profile",
            "minimal",
            "--component",
            "rust-src",
        ]))?;
    }
    let components = output_line_all(
        "rustup",
        &["component", "list", "--installed", "--toolchain", NIGHTLY],
    );
    if !components.iter().any(|c| c == "rust-src") {
        eprintln!("xtask: installing rust-src for {NIGHTLY} (rustup)");
        run(Command::new("rustup").args(["component", "add", "rust-src", "--toolchain", NIGHTLY]))?;
    }
    eprintln!(
        "xtask: {NIGHTLY} is {}",
        version().unwrap_or_else(|| "missing".into())
    );
    Ok(())
}

fn output_line_all(program: &str, args: &[&str]) -> Vec<String> {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(|l| l.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A working `wasm-opt` (binaryen ≥ 116): on PATH, or installed from npm into `.cache/`.
pub fn ensure_wasm_opt() -> Result<PathBuf> {
    if let Some(version) = output_line("wasm-opt", &["--version"])
        && binaryen_release(&version).is_some_and(|release| release >= 116)
    {
        return Ok(PathBuf::from("wasm-opt"));
    }
    let prefix = workspace_root().join(".cache").join("binaryen");
    let local = prefix.join("node_modules").join(".bin").join("wasm-opt");
    if !local.exists() {
        run(Command::new("npm")
            .args(["install", "--no-save", "--prefix"])
            .arg(&prefix)
            .arg(format!("binaryen@{BINARYEN_VERSION}")))
        .context("installing wasm-opt from npm (binaryen)")?;
    }
    Ok(local)
}

/// `wasm-opt version 132 (version_132)` → 132.
fn binaryen_release(version: &str) -> Option<u32> {
    version.split_whitespace().nth(2)?.parse().ok()
}

/// Installs Debian's Chromium, chromedriver and a Japanese font if missing.
pub fn ensure_chromium() -> Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    apt_install(&["chromium", "chromium-driver", "fonts-ipafont-gothic"])
}

/// Installs Debian's `ffmpeg` if it does not run: `special-week collect` takes stills from
/// videos with it, and its tests make their video with it.
pub fn ensure_ffmpeg() -> Result<()> {
    if output_line("ffmpeg", &["-version"]).is_some() {
        return Ok(());
    }
    apt_install(&["ffmpeg"])
}

/// The Python of the virtual environment `venv` (relative to the workspace root) with the
/// exact pins of `requirements` installed: created with `python3 -m venv` when missing,
/// and reinstalled only when the requirements file changes (its sha256 is kept in the venv).
pub fn pinned_venv(venv: &str, requirements: &str) -> Result<PathBuf> {
    let root = workspace_root();
    let venv = root.join(venv);
    let python = venv.join("bin").join("python");
    let pins = std::fs::read(root.join(requirements))
        .with_context(|| format!("reading {requirements}"))?;
    let wanted: String = Sha256::digest(&pins)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let stamp = venv.join("requirements.sha256");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .context("creating a Python venv (Debian: apt-get install python3-venv)")?;
    }
    run(Command::new(&python)
        .args(["-m", "pip", "install", "-r"])
        .arg(root.join(requirements)))
    .with_context(|| format!("installing {requirements}"))?;
    std::fs::write(&stamp, wanted)?;
    Ok(python)
}

fn apt_install(packages: &[&str]) -> Result<()> {
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y"])
        .args(packages))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_binaryen_releases() {
        assert_eq!(
            binaryen_release("wasm-opt version 132 (version_132)"),
            Some(132)
        );
        assert_eq!(binaryen_release("wasm-opt version 108"), Some(108));
        assert_eq!(binaryen_release("nonsense"), None);
    }

    #[test]
    fn finds_locked_versions() {
        let version = locked_version("anyhow").expect("anyhow is locked");
        assert!(version.starts_with("1."), "{version}");
        assert!(locked_version("no-such-package-here").is_err());
    }
}
