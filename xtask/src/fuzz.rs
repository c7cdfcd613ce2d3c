//! `cargo xtask fuzz`: the libFuzzer target in `fuzz/` on the preprocessing path every
//! untrusted file takes, seeded with the hostile-file table. Not part of `test`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::tools::{NIGHTLY as TOOLCHAIN, cargo_nightly, ensure_nightly, run, workspace_root};

/// The cargo-fuzz release installed when missing.
const CARGO_FUZZ_VERSION: &str = "0.13.1";
/// The fuzz target (`fuzz/fuzz_targets/preprocess.rs`).
const TARGET: &str = "preprocess";
/// Fixture files larger than this are not used as seeds (the 50 MB files are none).
const MAX_SEED_BYTES: usize = 1_000_000;
/// The longest input libFuzzer makes, in bytes; larger seeds are read truncated to it.
/// Every format's headers, a few chunks and a small image fit; longer inputs only slow
/// each run down.
const MAX_LEN: usize = 64 * 1024;

/// Options of `cargo xtask fuzz`.
#[derive(clap::Args)]
pub struct FuzzOptions {
    /// How long to fuzz, in seconds.
    #[arg(long, default_value_t = 60)]
    secs: u64,
}

/// What libFuzzer reported about a run.
#[derive(Debug, Default, PartialEq)]
struct Report {
    /// Inputs run.
    execs: Option<u64>,
    /// Average inputs per second.
    execs_per_sec: Option<u64>,
    /// Coverage counters and features at the last status line.
    coverage: Option<String>,
    /// The file a crashing input was written to.
    crash: Option<String>,
    /// Inputs libFuzzer kept because they ran slowly (`slow-unit-*`): worth a look, not
    /// failures.
    slow: Vec<String>,
}

impl Report {
    /// Takes in one line of libFuzzer's output.
    fn read(&mut self, line: &str) {
        let stat = |name: &str| {
            line.strip_prefix(name)
                .and_then(|rest| rest.trim().parse().ok())
        };
        if let Some(execs) = stat("stat::number_of_executed_units:") {
            self.execs = Some(execs);
        } else if let Some(rate) = stat("stat::average_exec_per_sec:") {
            self.execs_per_sec = Some(rate);
        } else if let Some(path) = line.split("Test unit written to ").nth(1) {
            let path = path.trim().to_string();
            if path
                .rsplit('/')
                .next()
                .is_some_and(|name| name.starts_with("slow-unit-"))
            {
                self.slow.push(path);
            } else {
                self.crash = Some(path);
            }
        } else if line.starts_with('#')
            && let Some(at) = line.find("cov: ")
        {
            // `#1234  NEW    cov: 900 ft: 3000 corp: …`: the run count and coverage so far.
            self.execs = line[1..]
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok());
            let coverage = line[at..].split(" corp:").next().unwrap_or_default();
            self.coverage = Some(coverage.trim().to_string());
        }
    }
}

/// Installs nightly and cargo-fuzz when missing, writes the seeds, fuzzes the target for
/// `options.secs` seconds and says how many inputs ran and whether one crashed.
pub fn run_fuzz(options: &FuzzOptions) -> Result<()> {
    ensure_tools()?;
    let fuzz_dir = workspace_root().join("fuzz");
    let corpus = fuzz_dir.join("corpus").join(TARGET);
    let seeds = fuzz_dir.join("corpus").join("seeds");
    std::fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
    let written = write_seeds(&seeds)?;
    eprintln!(
        "xtask: {written} seeds from the hostile-file table in {}",
        seeds.display()
    );

    let mut command = cargo_nightly();
    command
        .args(["fuzz", "run", TARGET])
        .arg(&corpus)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={}", options.secs))
        .arg(format!("-max_len={MAX_LEN}"))
        .arg("-print_final_stats=1")
        .current_dir(&fuzz_dir)
        .stderr(Stdio::piped());
    eprintln!("xtask: running {command:?}");
    let mut child = command
        .spawn()
        .with_context(|| format!("could not start {command:?}"))?;
    let mut report = Report::default();
    let stderr = child.stderr.take().expect("stderr is piped");
    for line in BufReader::new(stderr).lines() {
        let line = line.context("reading libFuzzer's output")?;
        eprintln!("{line}");
        report.read(&line);
    }
    let status = child.wait().context("waiting for cargo fuzz")?;

    let execs = report
        .execs
        .map_or_else(|| "an unknown number of".into(), |n| n.to_string());
    let rate = report
        .execs_per_sec
        .map_or_else(String::new, |r| format!(", {r} per second"));
    let coverage = report
        .coverage
        .map_or_else(String::new, |c| format!(", {c}"));
    let slow = match report.slow.len() {
        0 => String::new(),
        n => format!(
            "; {n} slow input(s) kept, not failures: {}",
            report.slow.join(", ")
        ),
    };
    let summary = format!("{execs} inputs run{rate}{coverage}{slow}");
    match (report.crash, status.success()) {
        (Some(crash), _) => bail!(
            "found a crash after {summary}: the input is {crash}; \
             replay it with `cargo +{TOOLCHAIN} fuzz run {TARGET} {crash}` in fuzz/"
        ),
        (None, false) => bail!("cargo fuzz failed ({status}) after {summary}"),
        (None, true) => {
            eprintln!("xtask: no crash in {} s: {summary}", options.secs);
            Ok(())
        }
    }
}

/// Installs [`TOOLCHAIN`] and cargo-fuzz [`CARGO_FUZZ_VERSION`] if missing.
fn ensure_tools() -> Result<()> {
    ensure_nightly()?;
    let version = cargo_nightly().args(["fuzz", "--version"]).output().ok();
    let installed = version.is_some_and(|output| {
        output.status.success()
            && String::from_utf8_lossy(&output.stdout).trim()
                == format!("cargo-fuzz {CARGO_FUZZ_VERSION}")
    });
    if !installed {
        run(Command::new("cargo").args([
            "install",
            "--locked",
            "cargo-fuzz",
            "--version",
            CARGO_FUZZ_VERSION,
        ]))?;
    }
    Ok(())
}

/// Writes every hostile-file case of at most [`MAX_SEED_BYTES`] into `dir`, returning
/// how many.
fn write_seeds(dir: &Path) -> Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = 0;
    for case in hostile_fixtures::CASES {
        let bytes = (case.make)();
        if bytes.len() > MAX_SEED_BYTES {
            continue;
        }
        let path: PathBuf = dir.join(case.name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_stats_and_crash_lines() {
        let mut report = Report::default();
        for line in [
            "#2\tINITED cov: 10 ft: 11 corp: 1/1b exec/s: 0 rss: 30Mb",
            "#4096\tpulse  cov: 900 ft: 3000 corp: 120/9Kb lim: 43 exec/s: 2048 rss: 90Mb",
            "==1== ERROR: libFuzzer: deadly signal",
            "artifact_prefix='/x/'; Test unit written to /x/slow-unit-def",
            "artifact_prefix='/x/'; Test unit written to /x/crash-abc",
            "stat::number_of_executed_units: 5000",
            "stat::average_exec_per_sec:     1666",
        ] {
            report.read(line);
        }
        assert_eq!(
            report,
            Report {
                execs: Some(5000),
                execs_per_sec: Some(1666),
                coverage: Some("cov: 900 ft: 3000".into()),
                crash: Some("/x/crash-abc".into()),
                slow: vec!["/x/slow-unit-def".into()],
            }
        );
    }
}
