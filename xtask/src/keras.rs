//! The Keras exporter's Python environments, and running it.
//!
//! `xtask/keras/export.py` needs TensorFlow and tf2onnx, in the generation of Keras that
//! wrote the model file: TensorFlow 2.15 (Keras 2) for files of the original app's time,
//! TensorFlow 2.21 (Keras 3) for files saved today. Each lives in a virtual environment
//! under `.cache/` (git-ignored), installed from its own requirements file (exact pins)
//! and reinstalled only when that file changes. `xtask/keras/generation.py` reads the Keras
//! version recorded in the file first, and the exporter then runs in the matching
//! environment.

use std::ffi::OsString;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, Result, bail};

use crate::tools::{self, run, workspace_root};

/// One pinned Python environment of the exporter.
struct Environment {
    /// The Keras major version whose files it reads.
    generation: u32,
    /// The virtual environment, relative to the workspace root.
    venv: &'static str,
    /// The pinned requirements, relative to the workspace root.
    requirements: &'static str,
    /// Its TensorFlow release, for messages.
    tensorflow: &'static str,
    /// The CPython 3 minor versions that release has wheels for.
    python_minors: RangeInclusive<u32>,
}

/// Files written by Keras 2, such as the original app's `model.h5`.
const KERAS2: Environment = Environment {
    generation: 2,
    venv: ".cache/keras-venv",
    requirements: "xtask/keras/requirements.txt",
    tensorflow: "2.15",
    python_minors: 9..=11,
};

/// Files written by Keras 3 (`.keras`, and `.h5` saved by TensorFlow 2.16 or later).
const KERAS3: Environment = Environment {
    generation: 3,
    venv: ".cache/keras3-venv",
    requirements: "xtask/keras/requirements-keras3.txt",
    tensorflow: "2.21",
    python_minors: 10..=13,
};

/// Reads the generation of a model file; relative to the workspace root.
const GENERATION: &str = "xtask/keras/generation.py";
/// The exporter, relative to the workspace root.
const EXPORTER: &str = "xtask/keras/export.py";
/// Builds the original app's architecture with seeded weights (for the tests).
const TEST_MODEL_MAKER: &str = "tests/keras/make_original_model.py";
/// Writes the files the exporter must refuse (for the tests).
const BAD_FILE_MAKER: &str = "tests/keras/make_bad_files.py";
/// Where the xtask writes the exported test models, relative to the workspace root.
pub const TEST_MODELS: &str = "target/keras";

impl Environment {
    /// The venv's Python, after making sure the pinned requirements are installed.
    fn python(&self) -> Result<PathBuf> {
        if !workspace_root()
            .join(self.venv)
            .join("bin")
            .join("python")
            .exists()
        {
            self.check_python_version()?;
        }
        tools::pinned_venv(self.venv, self.requirements)
            .with_context(|| format!("the Keras {} exporter's environment", self.generation))
    }

    fn check_python_version(&self) -> Result<()> {
        let output = Command::new("python3")
            .args(["-c", "import sys; print(sys.version_info[1])"])
            .output()
            .context("python3 is needed for the Keras exporter")?;
        let minor: u32 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .context("reading python3's version")?;
        if !self.python_minors.contains(&minor) {
            bail!(
                "the Keras {} exporter needs Python 3.{} to 3.{} (TensorFlow {}); python3 is 3.{minor}",
                self.generation,
                self.python_minors.start(),
                self.python_minors.end(),
                self.tensorflow
            );
        }
        Ok(())
    }
}

/// `cargo xtask export-keras …`: runs the exporter with the user's arguments. When it
/// fails it has said why in one line, so the xtask exits with its status and adds nothing.
pub fn export(args: &[String]) -> Result<()> {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let status = run_exporter(&args)?;
    if !status.success() {
        std::process::exit(status.code().unwrap_or(1));
    }
    Ok(())
}

/// Reads the model file's Keras generation with [`GENERATION`] (in the Keras 3
/// environment: it needs only h5py), then runs [`EXPORTER`] in that generation's
/// environment. Returns the status of the step that stopped; `--help` stops after the
/// first, having printed the usage.
fn run_exporter(args: &[OsString]) -> Result<ExitStatus> {
    let root = workspace_root();
    let output = Command::new(KERAS3.python()?)
        .arg(root.join(GENERATION))
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .context("running the Keras exporter")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let environment = match stdout.trim() {
        "2" if output.status.success() => &KERAS2,
        "3" if output.status.success() => &KERAS3,
        _ => {
            print!("{stdout}");
            return Ok(output.status);
        }
    };
    Command::new(environment.python()?)
        .arg(root.join(EXPORTER))
        .args(args)
        .status()
        .context("running the Keras exporter")
}

/// Exports one test model the way `cargo xtask export-keras` does.
fn export_test_model(model: &Path, out: &Path, channel_order: &str) -> Result<()> {
    let args: Vec<OsString> = vec![
        model.into(),
        "--out".into(),
        out.into(),
        "--channel-order".into(),
        channel_order.into(),
    ];
    let status = run_exporter(&args)?;
    if !status.success() {
        bail!("exporting {} failed: {status}", model.display());
    }
    Ok(())
}

/// Makes the test models of the original architecture and exports them into
/// [`TEST_MODELS`], each with its Keras reference: with Keras 2, one fed RGB (`rgb`) and
/// one fed BGR (`bgr`), saved as `.h5`; with Keras 3, one fed RGB saved as `.keras`
/// (`keras3`) and as `.h5` (`keras3-h5`). Also writes the files the exporter must refuse
/// into `bad/`, with both generations.
pub fn export_test_models() -> Result<PathBuf> {
    let root = workspace_root();
    let out = root.join(TEST_MODELS);
    std::fs::create_dir_all(&out)?;
    let keras2 = KERAS2.python()?;
    for (name, seed, channel_order) in [("rgb", "1", "RGB"), ("bgr", "2", "BGR")] {
        let h5 = out.join(format!("{name}.h5"));
        run(Command::new(&keras2)
            .arg(root.join(TEST_MODEL_MAKER))
            .args(["--seed", seed, "--out"])
            .arg(&h5))?;
        export_test_model(&h5, &out.join(name), channel_order)?;
    }
    let keras3 = KERAS3.python()?;
    let (dot_keras, h5) = (out.join("keras3.keras"), out.join("keras3.h5"));
    run(Command::new(&keras3)
        .arg(root.join(TEST_MODEL_MAKER))
        .args(["--seed", "3", "--out"])
        .args([&dot_keras, &h5]))?;
    export_test_model(&dot_keras, &out.join("keras3"), "RGB")?;
    export_test_model(&h5, &out.join("keras3-h5"), "RGB")?;
    for python in [&keras2, &keras3] {
        run(Command::new(python)
            .arg(root.join(BAD_FILE_MAKER))
            .arg("--out")
            .arg(out.join("bad")))?;
    }
    Ok(out)
}
