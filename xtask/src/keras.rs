//! The Keras exporter's Python environment, and running it.
//!
//! `xtask/keras/export.py` needs TensorFlow and tf2onnx. They live in a virtual
//! environment under `.cache/` (git-ignored), installed from `xtask/keras/requirements.txt`
//! (exact pins) and reinstalled only when that file changes.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::tools::{run, workspace_root};

/// The virtual environment, relative to the workspace root.
const VENV: &str = ".cache/keras-venv";
/// The pinned requirements, relative to the workspace root.
const REQUIREMENTS: &str = "xtask/keras/requirements.txt";
/// The exporter, relative to the workspace root.
const EXPORTER: &str = "xtask/keras/export.py";
/// Builds the original app's architecture with seeded weights (for the tests).
const TEST_MODEL_MAKER: &str = "tests/keras/make_original_model.py";
/// Where the xtask writes the exported test models, relative to the workspace root.
pub const TEST_MODELS: &str = "target/keras";

/// The venv's Python, after making sure the pinned requirements are installed.
pub fn python() -> Result<PathBuf> {
    let root = workspace_root();
    let venv = root.join(VENV);
    let python = venv.join("bin").join("python");
    let requirements = std::fs::read(root.join(REQUIREMENTS)).context("reading requirements")?;
    let wanted = hex(&Sha256::digest(&requirements));
    let stamp = venv.join("requirements.sha256");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    if !python.exists() {
        check_python_version()?;
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .context("creating the Keras exporter's venv (Debian: apt-get install python3-venv)")?;
    }
    run(Command::new(&python)
        .args(["-m", "pip", "install", "-r"])
        .arg(root.join(REQUIREMENTS)))
    .context("installing the Keras exporter's requirements")?;
    std::fs::write(&stamp, wanted)?;
    Ok(python)
}

/// `cargo xtask export-keras …`: runs the exporter with the user's arguments.
pub fn export(args: &[String]) -> Result<()> {
    let python = python()?;
    run(Command::new(python)
        .arg(workspace_root().join(EXPORTER))
        .args(args))
}

/// Makes the two test models of the original architecture — one fed RGB, one fed BGR —
/// and exports them into [`TEST_MODELS`]`/{rgb,bgr}`, each with its Keras reference.
pub fn export_test_models() -> Result<PathBuf> {
    let python = python()?;
    let root = workspace_root();
    let out = root.join(TEST_MODELS);
    std::fs::create_dir_all(&out)?;
    for (name, seed, channel_order) in [("rgb", "1", "RGB"), ("bgr", "2", "BGR")] {
        let h5 = out.join(format!("{name}.h5"));
        run(Command::new(&python)
            .arg(root.join(TEST_MODEL_MAKER))
            .args(["--seed", seed, "--out"])
            .arg(&h5))?;
        run(Command::new(&python)
            .arg(root.join(EXPORTER))
            .arg(&h5)
            .arg("--out")
            .arg(out.join(name))
            .args(["--channel-order", channel_order]))?;
    }
    Ok(out)
}

/// TensorFlow 2.15 (the last with Keras 2, which reads the original app's `.h5`) has
/// wheels for CPython 3.9 to 3.11 only.
fn check_python_version() -> Result<()> {
    let output = Command::new("python3")
        .args(["-c", "import sys; print(sys.version_info[1])"])
        .output()
        .context("python3 is needed for the Keras exporter")?;
    let minor: u32 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .context("reading python3's version")?;
    if !(9..=11).contains(&minor) {
        bail!(
            "the Keras exporter needs Python 3.9 to 3.11 (TensorFlow 2.15); python3 is 3.{minor}"
        );
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
