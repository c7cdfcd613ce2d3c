//! `cargo xtask <command>`: install what the web build needs, then serve, build, test or bench.

mod bench;
mod csp;
mod fuzz;
mod keras;
mod precache;
mod threads;
mod tools;
mod web;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Build, serve and test the Special Week classifier.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install what is missing, then serve the app on http://127.0.0.1:8080 with live reload.
    Serve,
    /// Install what is missing, then build the optimised app into dist/.
    Build(web::BuildOptions),
    /// Install what is missing (Chromium, ffmpeg, the Keras exporter's Python venv), then run every
    /// test: native, Keras parity, and the end-to-end suite in headless Chromium against
    /// release builds at the root and under a sub-path.
    Test,
    /// Build the shipped app, then measure it next to onnxruntime (onnxruntime-web in the
    /// same headless Chromium, onnxruntime natively): per-image time, first answer cold and
    /// cached, transfer sizes and memory. Writes bench/results/<date>.json and
    /// bench/RESULTS.md. Not part of `test`.
    Bench(bench::BenchOptions),
    /// Install nightly and cargo-fuzz when missing, then fuzz `classifier::preprocess` (the
    /// path every untrusted file takes) for `--secs` seconds, seeded with the hostile-file
    /// table; says how many inputs ran and whether one crashed. Not part of `test`.
    Fuzz(fuzz::FuzzOptions),
    /// Convert a model of the original Keras app (`.h5`/`.keras`) into a model directory
    /// (ONNX + model.json) and check it against Keras; installs TensorFlow in a venv under
    /// .cache/ first. Arguments go to xtask/keras/export.py, e.g.
    /// `model.h5 --out my-model/ [--channel-order BGR] [--resize-filter triangle]`.
    ExportKeras {
        /// The exporter's arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Write the hostile-file table's files (tests/fixtures/hostile) into a directory, to
    /// try them in the page by hand.
    Fixtures {
        /// The directory to write them into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write sw.js into a release build: the service worker that precaches every file
    /// of the build (listed with a content-derived version) so the app works offline.
    /// As Trunk's hook (`--trunk-hook`) it first builds the threaded worker into the build.
    Precache {
        /// The build directory [default: dist/].
        #[arg(long, conflicts_with = "trunk_hook")]
        dist: Option<PathBuf>,
        /// The service worker template [default: assets/sw.js].
        #[arg(long)]
        template: Option<PathBuf>,
        /// Run as Trunk's post_build hook: write into $TRUNK_STAGING_DIR, and only when
        /// $TRUNK_PROFILE is `release` (debug builds get no service worker).
        #[arg(long)]
        trunk_hook: bool,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Serve => web::serve(),
        Command::Build(options) => {
            web::build(&options)?;
            // wasm-opt rewrote the wasm files after Trunk's hook wrote sw.js: list them again.
            precache::run(None, None, false)
        }
        Command::Test => web::test(),
        Command::Bench(options) => bench::run_bench(&options),
        Command::Fuzz(options) => fuzz::run_fuzz(&options),
        Command::ExportKeras { args } => keras::export(&args),
        Command::Fixtures { out } => {
            let paths = hostile_fixtures::write_all(&out)?;
            eprintln!("xtask: wrote {} files into {}", paths.len(), out.display());
            Ok(())
        }
        Command::Precache {
            dist,
            template,
            trunk_hook,
        } => precache::run(dist, template, trunk_hook),
    }
}
