//! `cargo xtask bench`: the app's speed, size and memory next to onnxruntime, on the same
//! ONNX file and the same input, in the browser and natively. Not part of `cargo xtask test`.
//!
//! 1. builds the shipped app (`cargo xtask build` → `dist/`) unless told not to;
//! 2. writes the model at each size into `target/bench/models/sS/` (`bench/prepare.py`, in
//!    the pinned venv `.cache/bench-venv`) — the bundled model with only its input dims
//!    changed, `model.json`'s `input.size` and `model_sha256` to match;
//! 3. natively: tract (`crates/classifier/examples/bench_tract.rs`, which also writes the
//!    input tensors to `target/bench/inputs/`) and onnxruntime (`bench/ort_native.py`);
//! 4. in one headless Chromium (`bench/run.mjs`, after `npm ci` in `bench/`): the app's
//!    worker, onnxruntime-web, first answers cold and cached, memory after load, after
//!    the timed images and after [`MIXED_FILES`] mixed files (`target/bench/mixed/`);
//! 5. transfer sizes of `dist/`, then the report ([`report`]).

mod report;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::{Value, json};

use crate::precache;
use crate::tools::{self, run, workspace_root};
use crate::web;

/// The benchmark's Python environment and its pins, relative to the workspace root.
const VENV: &str = ".cache/bench-venv";
const REQUIREMENTS: &str = "bench/requirements.txt";
/// The picture every image classification uses: the app's own 512×512 RGBA icon (PNG
/// decode, transparency onto white, resize).
const IMAGE: &str = "assets/icons/icon-512.png";
/// Where the bench writes what it prepares, relative to the workspace root.
const WORK: &str = "target/bench";
/// How many files the memory stage gives the app at once: the hostile-file table (its
/// 64-megapixel PNG and 50 MB files included), then copies of [`IMAGE`] up to this count.
const MIXED_FILES: usize = 50;

/// Options of `cargo xtask bench`.
#[derive(Args)]
pub struct BenchOptions {
    #[command(flatten)]
    build: web::BuildOptions,
    /// Measure the app already in dist/ instead of building it first.
    #[arg(long)]
    no_build: bool,
    /// Model input sizes to measure; the bundled model's own size is always added.
    #[arg(long, value_delimiter = ',', default_values_t = [64, 128])]
    sizes: Vec<u32>,
    /// Threads of the app's worker: onnxruntime runs with 1, 2 and this many threads.
    #[arg(long, default_value_t = 1)]
    app_threads: u32,
    /// Untimed runs before the timed ones.
    #[arg(long, default_value_t = 3)]
    warmup: u32,
    /// Timed runs; medians and minimums are taken over these.
    #[arg(long, default_value_t = 20)]
    runs: u32,
    /// Cold and cached page loads of the shipped app.
    #[arg(long, default_value_t = 20)]
    loads: u32,
    /// A note kept with the results, e.g. "two builds were running".
    #[arg(long)]
    note: Option<String>,
    /// Measure nothing: only write bench/RESULTS.md again from an earlier results file
    /// (bench/results/<date>.json), e.g. after changing the report.
    #[arg(long, value_name = "RESULTS_JSON")]
    render: Option<PathBuf>,
}

/// The model as the bench sees it: where it is and what batches it runs.
struct Plan {
    sizes: Vec<u32>,
    shipped_size: u32,
    batches: Vec<usize>,
    threads: Vec<u32>,
}

/// `cargo xtask bench`.
pub fn run_bench(options: &BenchOptions) -> Result<()> {
    let root = workspace_root();
    if let Some(results) = &options.render {
        return report::write(&root.join("bench"), &read_json(results)?);
    }
    let started = now("%Y-%m-%dT%H:%M:%SZ")?;
    let load_before = load_average();
    if !options.no_build {
        web::build(&options.build)?;
        precache::run(None, None, false)?;
    }
    let dist = root.join("dist");
    if !dist.join("index.html").is_file() {
        bail!("no dist/index.html: run `cargo xtask build` or leave out --no-build");
    }
    tools::ensure_chromium()?;
    npm_ci(&root.join("bench"))?;
    let python = tools::pinned_venv(VENV, REQUIREMENTS).context("the bench's Python venv")?;

    let meta = read_json(&dist.join("model").join("model.json"))?;
    let plan = plan(&meta, options)?;
    let work = root.join(WORK);
    let (models, inputs) = (work.join("models"), work.join("inputs"));
    run(Command::new(&python)
        .arg(root.join("bench/prepare.py"))
        .arg("--model")
        .arg(dist.join("model"))
        .arg("--out")
        .arg(&models)
        .args(["--sizes", &list(&plan.sizes)]))?;

    let tract = native_tract(&plan, options, &models, &inputs)?;
    let ort = json_lines(
        Command::new(&python)
            .arg(root.join("bench/ort_native.py"))
            .arg("--models")
            .arg(&models)
            .arg("--inputs")
            .arg(&inputs)
            .args(["--sizes", &list(&plan.sizes)])
            .args(["--batches", &list(&plan.batches)])
            .args(["--threads", &list(&plan.threads)])
            .args(["--warmup", &options.warmup.to_string()])
            .args(["--runs", &options.runs.to_string()]),
    )?;
    let mixed = work.join("mixed");
    write_mixed(&mixed, &root.join(IMAGE))?;
    let browser_out = work.join("browser.json");
    run(Command::new("node")
        .arg(root.join("bench/run.mjs"))
        .args(["--chromium", tools::CHROMIUM])
        .arg("--dist")
        .arg(&dist)
        .arg("--models")
        .arg(&models)
        .arg("--inputs")
        .arg(&inputs)
        .arg("--image")
        .arg(root.join(IMAGE))
        .args(["--sizes", &list(&plan.sizes)])
        .args(["--shipped-size", &plan.shipped_size.to_string()])
        .args(["--batches", &list(&plan.batches)])
        .args(["--ort-threads", &list(&plan.threads)])
        .args(["--warmup", &options.warmup.to_string()])
        .args(["--runs", &options.runs.to_string()])
        .args(["--loads", &options.loads.to_string()])
        .arg("--mixed")
        .arg(&mixed)
        .arg("--out")
        .arg(&browser_out))
    .context("the browser benchmark (bench/run.mjs)")?;
    let browser = read_json(&browser_out)?;

    let results = json!({
        "started": started,
        "commit": git_commit(),
        "machine": {
            "cores": std::thread::available_parallelism().map_or(0, usize::from),
            "load_average_before": load_before,
            "load_average_after": load_average(),
            "note": options.note,
        },
        "settings": {
            "image": IMAGE,
            "sizes": plan.sizes,
            "shipped_size": plan.shipped_size,
            "batches": plan.batches,
            "app_threads": options.app_threads,
            "ort_threads": plan.threads,
            "warmup": options.warmup,
            "runs": options.runs,
            "loads": options.loads,
        },
        "transfer": transfer_sizes(&dist, &meta)?,
        "native": { "tract": tract, "onnxruntime": ort },
        "browser": browser,
    });
    report::write(&root.join("bench"), &results)
}

/// Writes the memory stage's [`MIXED_FILES`] files into `dir` (emptied first).
fn write_mixed(dir: &Path, image: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    let hostile = hostile_fixtures::write_all(dir)
        .with_context(|| format!("writing the hostile-file table into {}", dir.display()))?;
    for copy in hostile.len()..MIXED_FILES {
        let path = dir.join(format!("picture-{copy:02}.png"));
        std::fs::copy(image, &path).with_context(|| format!("{}", path.display()))?;
    }
    Ok(())
}

fn plan(meta: &Value, options: &BenchOptions) -> Result<Plan> {
    let shipped_size = meta["input"]["size"]
        .as_u64()
        .and_then(|s| u32::try_from(s).ok())
        .context("model.json has no input.size")?;
    let crops = meta["crops"].as_array().map_or(1, Vec::len);
    let sizes: BTreeSet<u32> = options
        .sizes
        .iter()
        .copied()
        .chain([shipped_size])
        .collect();
    let batches: BTreeSet<usize> = [1, crops].into();
    let threads: BTreeSet<u32> = [1, 2, options.app_threads].into();
    Ok(Plan {
        sizes: sizes.into_iter().collect(),
        shipped_size,
        batches: batches.into_iter().collect(),
        threads: threads.into_iter().collect(),
    })
}

/// Builds and runs `bench_tract` for every size and batch; it also writes the input
/// tensors the other runtimes read.
fn native_tract(
    plan: &Plan,
    options: &BenchOptions,
    models: &Path,
    inputs: &Path,
) -> Result<Vec<Value>> {
    let root = workspace_root();
    run(Command::new(cargo()).current_dir(&root).args([
        "build",
        "--release",
        "--package",
        "classifier",
        "--example",
        "bench_tract",
    ]))?;
    let binary = root.join("target/release/examples/bench_tract");
    let mut results = Vec::new();
    for size in &plan.sizes {
        for batch in &plan.batches {
            let mut command = Command::new(&binary);
            command
                .arg(models.join(format!("s{size}")))
                .arg(root.join(IMAGE))
                .arg(batch.to_string())
                .arg(options.warmup.to_string())
                .arg(options.runs.to_string())
                .arg(inputs.join(format!("s{size}-n{batch}.f32")));
            results.extend(json_lines(&mut command)?);
        }
    }
    Ok(results)
}

/// Raw and gzip -9 bytes of the page's wasm, the two workers' wasm and the model in `dist`.
fn transfer_sizes(dist: &Path, meta: &Value) -> Result<Value> {
    let page_wasm = std::fs::read_dir(dist)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("app-") && name.ends_with("_bg.wasm")
        })
        .context("no dist/app-*_bg.wasm")?;
    let model_file = meta["model_file"]
        .as_str()
        .context("model.json: model_file")?;
    let files = [
        ("page wasm", page_wasm),
        ("worker wasm", dist.join("worker_bg.wasm")),
        ("threaded worker wasm", dist.join("worker_threads_bg.wasm")),
        ("model", dist.join("model").join(model_file)),
    ];
    let mut sizes = Vec::new();
    for (what, path) in files {
        let raw = std::fs::metadata(&path)
            .with_context(|| format!("{}", path.display()))?
            .len();
        let gzip = Command::new("gzip")
            .arg("-9c")
            .arg(&path)
            .output()
            .context("running gzip")?;
        if !gzip.status.success() {
            bail!("gzip -9c {} failed", path.display());
        }
        sizes.push(json!({
            "file": what,
            "path": path.strip_prefix(dist).unwrap_or(&path),
            "raw_bytes": raw,
            "gzip_bytes": gzip.stdout.len(),
        }));
    }
    Ok(Value::Array(sizes))
}

/// `npm ci` in `dir`: the exact packages of its package-lock.json.
fn npm_ci(dir: &Path) -> Result<()> {
    run(Command::new("npm")
        .current_dir(dir)
        .args(["ci", "--no-audit", "--no-fund"]))
    .context(
        "installing the bench's npm packages (needs Node.js and npm: apt-get install nodejs npm)",
    )
}

/// Runs a command and parses each line of its stdout as one JSON value.
fn json_lines(command: &mut Command) -> Result<Vec<Value>> {
    eprintln!("xtask: running {command:?}");
    let output = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("could not start {command:?}"))?;
    if !output.status.success() {
        bail!("{command:?} failed: {}", output.status);
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).with_context(|| format!("not JSON: {line}")))
        .collect()
}

fn read_json(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn list<T: ToString>(values: &[T]) -> String {
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| "cargo".into(), PathBuf::from)
}

/// The current UTC time in `date`'s `format`.
fn now(format: &str) -> Result<String> {
    let output = Command::new("date")
        .arg("-u")
        .arg(format!("+{format}"))
        .output()
        .context("running date")?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// The 1-, 5- and 15-minute load averages (Linux).
fn load_average() -> Vec<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .filter_map(|v| v.parse().ok())
        .collect()
}

/// The checked-out commit, with `-dirty` when the work tree has changes.
fn git_commit() -> String {
    let output = Command::new("git")
        .current_dir(workspace_root())
        .args(["describe", "--always", "--dirty"])
        .output();
    output
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
