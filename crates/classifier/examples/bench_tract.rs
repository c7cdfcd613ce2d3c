//! Times tract natively on one model directory, for `cargo xtask bench`:
//!
//! ```sh
//! cargo run --release -p classifier --example bench_tract -- \
//!     MODEL_DIR IMAGE BATCH WARMUP RUNS TENSOR_OUT
//! ```
//!
//! Reads `MODEL_DIR/model.json` and its ONNX file, makes the input batch of BATCH images
//! from IMAGE with the shared preprocessing (the model's `crops` when BATCH is their
//! number, else the whole image BATCH times), writes that batch to TENSOR_OUT (raw
//! little-endian f32, shape `[BATCH, S, S, 3]`) so other runtimes can be timed on the very
//! same input, then plans the graph for that batch and times WARMUP + RUNS runs of the
//! model alone. Prints one JSON object: the plan's load time, the peak resident memory
//! before and after loading (and the resident memory once loaded; the ONNX bytes are freed by the load),
//! every timed run in ms and the first output row. tract runs single-threaded here (no multi-threaded executor is set).

use std::path::{Path, PathBuf};
use std::time::Instant;

use classifier::{ModelMeta, crops, preprocess, runtime};
use serde_json::json;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model_dir, image, batch, warmup, runs, tensor_out] = args.as_slice() else {
        return Err("usage: bench_tract MODEL_DIR IMAGE BATCH WARMUP RUNS TENSOR_OUT".into());
    };
    let model_dir = Path::new(model_dir);
    let meta = ModelMeta::from_json(&std::fs::read_to_string(model_dir.join("model.json"))?)?;
    let batch: usize = batch.parse()?;
    let (warmup, runs): (usize, usize) = (warmup.parse()?, runs.parse()?);

    let input = input_batch(&meta, Path::new(image), batch)?;
    write_tensor(&PathBuf::from(tensor_out), &input)?;

    let onnx = std::fs::read(model_dir.join(&meta.model_file))?;
    let shape = meta.input.shape(batch);
    let rss_before_load = status_bytes("VmHWM:");
    let started = Instant::now();
    let plan = runtime::load_plan(onnx, &shape)?;
    let load_ms = ms_since(started);
    let (peak_after_load, rss_after_load) = (status_bytes("VmHWM:"), status_bytes("VmRSS:"));

    let mut output = Vec::new();
    let mut timed = Vec::with_capacity(runs);
    for run in 0..warmup + runs {
        let started = Instant::now();
        output = runtime::run_plan(&plan, input.clone(), &shape)?;
        if run >= warmup {
            timed.push(ms_since(started));
        }
    }
    let classes = output.len() / batch.max(1);
    println!(
        "{}",
        json!({
            "runtime": "tract",
            "threads": 1,
            "size": meta.input.size,
            "batch": batch,
            "load_ms": load_ms,
            "rss_before_load_bytes": rss_before_load,
            "load_peak_rss_bytes": peak_after_load,
            "rss_after_load_bytes": rss_after_load,
            "runs_ms": timed,
            "first_row": &output[..classes],
        })
    );
    Ok(())
}

/// BATCH preprocessed images of IMAGE: the model's crops if there are BATCH of them,
/// else the whole image repeated.
fn input_batch(meta: &ModelMeta, image: &Path, batch: usize) -> Result<Vec<f32>, Error> {
    let decoded = preprocess::decode(&std::fs::read(image)?)?;
    let model_crops = meta.crop_boxes();
    let boxes = if model_crops.len() == batch {
        model_crops
    } else {
        vec![crops::whole(); batch]
    };
    Ok(preprocess::batch_tensor(&decoded, &meta.input, &boxes))
}

fn write_tensor(path: &Path, values: &[f32]) -> Result<(), Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    Ok(std::fs::write(path, bytes)?)
}

/// A byte count from `/proc/self/status` (`VmHWM:` the peak resident set so far, `VmRSS:`
/// the current one), or `None` off Linux.
fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kilobytes: u64 = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kilobytes * 1024)
}

fn ms_since(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
