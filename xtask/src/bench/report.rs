//! The benchmark's report: medians and minimums of the raw runs, ratios, and the tables
//! printed and written to `bench/RESULTS.md`, next to the raw results in
//! `bench/results/<date>.json`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

/// A 1-minute load average above this many runnable tasks per core marks the run busy.
const BUSY_LOAD_PER_CORE: f64 = 0.5;

/// Writes `dir/results/<date>.json` and `dir/RESULTS.md` and prints the tables.
pub fn write(dir: &Path, results: &Value) -> Result<()> {
    let date = results["started"]
        .as_str()
        .and_then(|s| s.get(..10))
        .context("the results have no start date")?;
    let json_dir = dir.join("results");
    std::fs::create_dir_all(&json_dir)?;
    let json_path = json_dir.join(format!("{date}.json"));
    std::fs::write(&json_path, serde_json::to_string_pretty(results)? + "\n")?;
    let markdown = render(results, &format!("results/{date}.json"));
    std::fs::write(dir.join("RESULTS.md"), &markdown)?;
    println!("{markdown}");
    eprintln!(
        "xtask: wrote {} and {}",
        json_path.display(),
        dir.join("RESULTS.md").display()
    );
    Ok(())
}

/// Median and minimum of a list of milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stats {
    median: f64,
    min: f64,
    count: usize,
}

impl Stats {
    fn of(values: &Value) -> Option<Self> {
        let mut sorted: Vec<f64> = values
            .as_array()?
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        let median = if sorted.len().is_multiple_of(2) {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        } else {
            sorted[middle]
        };
        Some(Self {
            median,
            min: sorted[0],
            count: sorted.len(),
        })
    }

    fn of_field(runs: &Value, field: &str) -> Option<Self> {
        let values: Vec<Value> = runs
            .as_array()?
            .iter()
            .map(|run| run[field].clone())
            .collect();
        Self::of(&Value::Array(values))
    }
}

fn cell(stats: Option<Stats>) -> String {
    stats.map_or("—".into(), |s| format!("{:.1} / {:.1}", s.median, s.min))
}

fn ratio(numerator: Option<Stats>, denominator: Option<Stats>) -> String {
    match (numerator, denominator) {
        (Some(n), Some(d)) if d.median > 0.0 => format!("{:.2}×", n.median / d.median),
        _ => "—".into(),
    }
}

/// The entry of `list` whose fields equal `wanted`.
fn find<'a>(list: &'a Value, wanted: &[(&str, u64)]) -> Option<&'a Value> {
    list.as_array()?.iter().find(|entry| {
        wanted
            .iter()
            .all(|(field, value)| entry[*field].as_u64() == Some(*value))
    })
}

fn numbers(value: &Value) -> Vec<u64> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

fn megabytes(bytes: &Value) -> String {
    bytes
        .as_f64()
        .map_or("—".into(), |b| format!("{:.1} MB", b / 1e6))
}

/// Whether the machine was busy while the bench ran, and why.
fn busy(machine: &Value) -> Option<String> {
    let cores = machine["cores"].as_f64().unwrap_or(1.0).max(1.0);
    let highest = ["load_average_before", "load_average_after"]
        .iter()
        .filter_map(|k| machine[*k][0].as_f64())
        .fold(0.0, f64::max);
    let load = format!("1-minute load average up to {highest:.1} on {cores} cores");
    match (
        machine["note"].as_str(),
        highest > BUSY_LOAD_PER_CORE * cores,
    ) {
        (Some(note), _) => Some(format!("{note}; {load}")),
        (None, true) => Some(load),
        (None, false) => None,
    }
}

fn render(results: &Value, json_name: &str) -> String {
    let settings = &results["settings"];
    let machine = &results["machine"];
    let browser = &results["browser"];
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmark results\n");
    let _ = writeln!(
        md,
        "`cargo xtask bench`, {} (commit `{}`), Chromium {}, {} cores, load average {} before and {} after. Raw runs: [`{json_name}`]({json_name}).\n",
        results["started"].as_str().unwrap_or("?"),
        results["commit"].as_str().unwrap_or("?"),
        browser["chromium"].as_str().unwrap_or("?"),
        machine["cores"],
        machine["load_average_before"],
        machine["load_average_after"],
    );
    if let Some(why) = busy(machine) {
        let _ = writeln!(
            md,
            "**Machine busy** ({why}): the timings are noisy and slower than on a quiet machine; re-run before quoting them as targets.\n"
        );
    }
    let _ = writeln!(
        md,
        "Every time is **median / minimum in ms** of {} timed runs after {} warm-up runs, unless a table says otherwise. Input: `{}` (512×512 RGBA PNG) for the app; for the runtimes, the tensor the shared preprocessing makes from it (`bench_tract` writes it, everyone reads it). Sizes other than the bundled {} are the same ONNX file with its input dims changed.\n",
        settings["runs"],
        settings["warmup"],
        settings["image"].as_str().unwrap_or("?"),
        settings["shipped_size"],
    );
    per_image_browser(&mut md, results);
    per_image_native(&mut md, results);
    first_answer(&mut md, results);
    transfer(&mut md, results);
    memory(&mut md, results);
    agreement(&mut md, results);
    let _ = writeln!(md, "## Not measured yet\n");
    let _ = writeln!(
        md,
        "- tract natively is single-threaded (the classifier sets no multi-threaded executor), so it has one column."
    );
    md
}

fn per_image_browser(md: &mut String, results: &Value) {
    let settings = &results["settings"];
    let browser = &results["browser"];
    let app_threads = settings["app_threads"].as_u64().unwrap_or(1);
    let threads = numbers(&settings["ort_threads"]);
    let crops = numbers(&settings["batches"]).into_iter().max().unwrap_or(1);
    let _ = writeln!(
        md,
        "## Per image in the browser\n\nThe app's worker ({}): `.infer-ms[data-ms]` of each card, the whole classify (decode, resize, crops, model run), and `[data-run-ms]`, the model run alone (the crop batch through tract); it always runs the model's crop batch ({crops}). onnxruntime-web (wasm backend, in its own Web Worker like the app's model): `session.run` alone, including the hand-over of input and output to that worker.\n",
        thread_count(app_threads)
    );
    let mut header = String::from("| size | batch | app: whole classify | app: model run alone |");
    let mut rule = String::from("| --- | --- | --- | --- |");
    for t in &threads {
        let _ = write!(header, " ort-web {} |", thread_count(*t));
        rule.push_str(" --- |");
    }
    let _ = write!(
        header,
        " model run alone ÷ ort-web {} | ort-web 1 ÷ {} threads |",
        thread_count(app_threads),
        threads.last().unwrap_or(&1)
    );
    rule.push_str(" --- | --- |");
    let _ = writeln!(md, "{header}\n{rule}");
    for size in numbers(&settings["sizes"]) {
        for batch in numbers(&settings["batches"]) {
            let app = (batch == crops)
                .then(|| find(&browser["app"], &[("size", size)]))
                .flatten();
            let whole = app.and_then(|a| Stats::of(&a["classify_ms"]));
            let run = app.and_then(|a| Stats::of(&a["run_ms"]));
            let ort = |t: u64| {
                find(
                    &browser["ort_web"],
                    &[("threads", t), ("size", size), ("batch", batch)],
                )
                .and_then(|r| Stats::of(&r["runs_ms"]))
            };
            let _ = write!(
                md,
                "| {size}×{size} | {batch} | {} | {} |",
                cell(whole),
                cell(run)
            );
            for t in &threads {
                let _ = write!(md, " {} |", cell(ort(*t)));
            }
            let most = *threads.last().unwrap_or(&1);
            let _ = writeln!(
                md,
                " {} | {} |",
                ratio(run, ort(app_threads)),
                ratio(ort(1), ort(most))
            );
        }
    }
    let _ = writeln!(
        md,
        "\nThe issue's target is the model-run ratio (≤ 1.0×); the whole classify adds decode, resize and the hand-over to the page.\n"
    );
}

/// "1 thread" or "N threads".
fn thread_count(threads: u64) -> String {
    match threads {
        1 => "1 thread".into(),
        n => format!("{n} threads"),
    }
}

fn per_image_native(md: &mut String, results: &Value) {
    let settings = &results["settings"];
    let native = &results["native"];
    let threads = numbers(&settings["ort_threads"]);
    let _ = writeln!(
        md,
        "## Per image natively (model run alone)\n\ntract (`bench_tract`, release build, single-threaded) and onnxruntime (CPU, Python package) on the same file and input tensor.\n"
    );
    let mut header = String::from("| size | batch | tract 1 thread |");
    let mut rule = String::from("| --- | --- | --- |");
    for t in &threads {
        let _ = write!(
            header,
            " onnxruntime {t} thread{} |",
            if *t == 1 { "" } else { "s" }
        );
        rule.push_str(" --- |");
    }
    for t in &threads {
        let _ = write!(header, " tract ÷ onnxruntime {t} |");
        rule.push_str(" --- |");
    }
    let _ = writeln!(md, "{header}\n{rule}");
    for size in numbers(&settings["sizes"]) {
        for batch in numbers(&settings["batches"]) {
            let key = |t: u64| [("threads", t), ("size", size), ("batch", batch)];
            let tract = find(&native["tract"], &key(1)).and_then(|r| Stats::of(&r["runs_ms"]));
            let ort = |t: u64| {
                find(&native["onnxruntime"], &key(t)).and_then(|r| Stats::of(&r["runs_ms"]))
            };
            let _ = write!(md, "| {size}×{size} | {batch} | {} |", cell(tract));
            for t in &threads {
                let _ = write!(md, " {} |", cell(ort(*t)));
            }
            for t in &threads {
                let _ = write!(md, " {} |", ratio(tract, ort(*t)));
            }
            md.push('\n');
        }
    }
    md.push('\n');
}

fn first_answer(md: &mut String, results: &Value) {
    let settings = &results["settings"];
    let runs = &results["browser"]["first_answer"];
    let size = settings["shipped_size"].as_u64().unwrap_or(0);
    let _ = writeln!(
        md,
        "## First answer (shipped app, {size}×{size})\n\nms from opening the page (`performance.now()` in it) until the ONNX download starts (the page is up and has read `model.json`), until the model's bytes are in the page, until the model is ready and until the first card is done; the image is chosen as soon as the file input exists. \"Worker load\" is the worker's own clock around loading the model (checksum, weight expansion, parse, optimisation), a part of the time to \"model ready\". Median / minimum of {} page loads.\n",
        settings["loads"]
    );
    let _ = writeln!(
        md,
        "| open | download starts | model bytes in the page | model ready | worker load | first answer |\n| --- | --- | --- | --- | --- | --- |"
    );
    for (name, key) in [
        ("cold (empty profile)", "cold"),
        ("cached (service worker)", "cached"),
    ] {
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {} | {} | {} |",
            cell(Stats::of_field(&runs[key], "downloading_ms")),
            cell(Stats::of_field(&runs[key], "downloaded_ms")),
            cell(Stats::of_field(&runs[key], "ready_ms")),
            cell(Stats::of_field(&runs[key], "worker_load_ms")),
            cell(Stats::of_field(&runs[key], "answer_ms"))
        );
    }
    let load = |list: &Value, wanted: &[(&str, u64)]| {
        find(list, wanted)
            .and_then(|r| r["load_ms"].as_f64())
            .map_or("—".into(), |ms| format!("{ms:.0}"))
    };
    let native = &results["native"];
    let batch = numbers(&settings["batches"]).into_iter().max().unwrap_or(1);
    let _ = writeln!(
        md,
        "\nModel preparation alone at {size}×{size} (one run each, ms): tract native plan {}, onnxruntime native session {}, onnxruntime-web session (1 thread) {}.\n",
        load(&native["tract"], &[("size", size), ("batch", batch)]),
        load(&native["onnxruntime"], &[("size", size), ("threads", 1)]),
        load(
            &results["browser"]["ort_web"],
            &[("size", size), ("threads", 1)]
        ),
    );
}

fn transfer(md: &mut String, results: &Value) {
    let _ = writeln!(
        md,
        "## Transfer sizes\n\n| file | raw | gzip -9 |\n| --- | --- | --- |"
    );
    for file in results["transfer"].as_array().into_iter().flatten() {
        let _ = writeln!(
            md,
            "| {} (`{}`) | {} | {} |",
            file["file"].as_str().unwrap_or("?"),
            file["path"].as_str().unwrap_or("?"),
            megabytes(&file["raw_bytes"]),
            megabytes(&file["gzip_bytes"])
        );
    }
    md.push('\n');
}

fn memory(md: &mut String, results: &Value) {
    let settings = &results["settings"];
    let size = settings["shipped_size"].as_u64().unwrap_or(0);
    let Some(app) = find(&results["browser"]["app"], &[("size", size)]) else {
        return;
    };
    let _ = writeln!(
        md,
        "## Memory (app at {size}×{size}, no service worker)\n\nChromium's renderer processes from `/proc`: resident (RSS) and proportional (PSS) set sizes of the largest one — the app's page with its worker, the only page open — and of all of them. `performance.measureUserAgentSpecificMemory()` in the cross-origin isolated page is shown too: it counts the page's and the workers' JS heaps with the buffers they hold, and almost all of it is the workers' (the page's is about 1.5 MB), so it evidently includes the threaded worker's shared wasm memory, which grows with it; compiled code and the renderer's own structures are not in it. A renderer holding only a one-line page is already about 120 MB RSS (58 MB PSS) in this Chromium.\n"
    );
    let _ = writeln!(
        md,
        "| when | app renderer RSS | app renderer PSS | all renderers RSS | all renderers PSS | JS heaps (page + worker) |\n| --- | --- | --- | --- | --- | --- |"
    );
    for (name, key) in [
        ("model loaded".to_string(), "memory_after_load"),
        (
            format!(
                "after {} images",
                app["memory_after_images"]["images"].as_u64().unwrap_or(0)
            ),
            "memory_after_images",
        ),
    ] {
        let m = &app[key];
        memory_row(md, &name, m);
    }
    let mixed = &results["browser"]["mixed"];
    if mixed.is_object() {
        memory_row(
            md,
            "model loaded (again, for the mixed files)",
            &mixed["memory_after_load"],
        );
        let name = format!(
            "after {} mixed files at once ({} verdicts, {} refused): the hostile-file table, its 64 MP PNG and 50 MB files included, and copies of the picture",
            mixed["images"], mixed["verdicts"], mixed["refusals"]
        );
        memory_row(md, &name, &mixed["memory_after_images"]);
    }
    md.push('\n');
}

/// One row of the memory table.
fn memory_row(md: &mut String, name: &str, m: &Value) {
    let _ = writeln!(
        md,
        "| {name} | {} | {} | {} | {} | {} |",
        megabytes(&m["renderers"]["largest"]["rss_bytes"]),
        megabytes(&m["renderers"]["largest"]["pss_bytes"]),
        megabytes(&m["renderers"]["rss_bytes"]),
        megabytes(&m["renderers"]["pss_bytes"]),
        megabytes(&m["user_agent_specific"]["total_bytes"]),
    );
}

/// The largest difference between the runtimes' first output rows: they run the same
/// file on the same tensor, so it should be float noise.
fn agreement(md: &mut String, results: &Value) {
    let rows: Vec<(u64, u64, Vec<f64>)> = [
        &results["native"]["tract"],
        &results["native"]["onnxruntime"],
        &results["browser"]["ort_web"],
    ]
    .into_iter()
    .flat_map(|list| list.as_array().cloned().unwrap_or_default())
    .filter_map(|r| {
        let row = r["first_row"]
            .as_array()?
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        Some((r["size"].as_u64()?, r["batch"].as_u64()?, row))
    })
    .collect();
    let mut largest: f64 = 0.0;
    for (size, batch, row) in &rows {
        for (other_size, other_batch, other) in &rows {
            if size == other_size && batch == other_batch {
                for (a, b) in row.iter().zip(other) {
                    largest = largest.max((a - b).abs());
                }
            }
        }
    }
    let _ = writeln!(
        md,
        "## Same answers\n\nLargest difference of an output probability between tract, onnxruntime and onnxruntime-web on the same input: {largest:.1e} ({} runs compared).\n",
        rows.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn median_and_minimum() {
        let odd = Stats::of(&json!([5.0, 1.0, 3.0])).unwrap();
        assert_eq!((odd.median, odd.min, odd.count), (3.0, 1.0, 3));
        let even = Stats::of(&json!([4.0, 1.0, 2.0, 3.0])).unwrap();
        assert_eq!((even.median, even.min), (2.5, 1.0));
        assert_eq!(Stats::of(&json!([])), None);
    }

    #[test]
    fn ratios_use_medians() {
        let a = Stats::of(&json!([10.0, 2.0, 10.0])).unwrap();
        let b = Stats::of(&json!([5.0])).unwrap();
        assert_eq!(ratio(Some(a), Some(b)), "2.00×");
        assert_eq!(ratio(None, Some(b)), "—");
    }

    #[test]
    fn a_loaded_machine_or_a_note_marks_the_run_busy() {
        let quiet = json!({"cores": 2, "load_average_before": [0.2], "load_average_after": [0.4]});
        assert_eq!(busy(&quiet), None);
        let loaded = json!({"cores": 2, "load_average_before": [0.2], "load_average_after": [3.0]});
        assert!(busy(&loaded).unwrap().contains("3.0"));
        let noted = json!({"cores": 2, "note": "two builds running"});
        assert!(busy(&noted).unwrap().starts_with("two builds running; "));
    }
}
