//! The threaded classifier worker: `special-week-worker` built a second time, with
//! [`tools::NIGHTLY`], `+atomics,+bulk-memory` and `-Z build-std`, so that tract's matrix
//! products run on a pool of Web Workers sharing its memory (`wasm-bindgen-rayon`).
//!
//! Trunk builds the page and the single-threaded worker; its post-build hook
//! (`cargo xtask precache --trunk-hook`) calls [`build_into`], which puts this worker
//! next to them: `worker_threads.js`, `worker_threads_bg.wasm`, the pool's helper script
//! under `snippets/`, and the loader [`LOADER`] the page starts when it is cross-origin
//! isolated. Its cargo output lives in `target/threads/` (other flags, other artefacts),
//! always with [`PROFILE`], so `serve`, `build` and `test` share one build.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::tools::{self, run, workspace_root};

/// The loader script the page starts as a module worker (see `src/bridge.rs`).
pub const LOADER: &str = "worker_threads_loader.js";
/// The name wasm-bindgen gives the worker's JS and wasm files.
const OUT_NAME: &str = "worker_threads";
/// The threaded worker's wasm file in the build (`OUT_NAME` + `_bg.wasm`).
pub const WASM: &str = "worker_threads_bg.wasm";
/// The cargo profile of the threaded worker, defined by [`PROFILE_CONFIG`].
const PROFILE: &str = "threads-release";
/// [`PROFILE`], given to cargo as `--config` values so that the stable builds never see
/// it: optimised for size like the shipped single-threaded worker, except tract's matrix
/// kernels and the standard library, which `-Z build-std` compiles with the profile too.
/// Measured with the 128×128 model on 2 threads (wasm raw / gzip, model run):
/// `release` 20.2 MB / 3.76 MB, 233 ms; all `s` 14.4 MB / 2.69 MB, 725 ms (a slow std);
/// `s` with fat LTO 13.0 MB / 2.75 MB, 574 ms; this 14.6 MB / 2.70 MB, 218 ms.
const PROFILE_CONFIG: [&str; 6] = [
    "profile.threads-release.inherits='release'",
    "profile.threads-release.opt-level='s'",
    "profile.threads-release.package.tract-linalg.opt-level=3",
    "profile.threads-release.package.std.opt-level=3",
    "profile.threads-release.package.core.opt-level=3",
    "profile.threads-release.package.alloc.opt-level=3",
];
/// Where cargo builds the threaded worker, under the workspace root.
const TARGET_DIR: &str = "target/threads";
/// The flags of every crate, std included: the workspace's SIMD, wasm threads, and room
/// for the shared memory to grow to 4 GiB (a shared memory needs a maximum; the default
/// 1 GiB is less than a large photo can take).
const RUSTFLAGS: &str = "-C target-feature=+simd128,+atomics,+bulk-memory \
                         -C link-arg=--max-memory=4294967296";

/// How the worker binary (only) is linked: one shared memory, imported so that every
/// thread instantiates the module on it, and the symbols wasm-bindgen's thread support
/// needs to give each thread its own stack and thread-locals (rustc does not add these
/// for `+atomics` on this target).
const LINK_ARGS: [&str; 6] = [
    "link-arg=--shared-memory",
    "link-arg=--import-memory",
    "link-arg=--export=__wasm_init_tls",
    "link-arg=--export=__tls_size",
    "link-arg=--export=__tls_align",
    "link-arg=--export=__tls_base",
];

/// The loader's text: instantiate the module, whose `main` starts the pool, then listens.
const LOADER_JS: &str = "\
// The threaded classifier worker (written by `cargo xtask`, see xtask/src/threads.rs).
import init from './worker_threads.js';
await init({ module_or_path: new URL('./worker_threads_bg.wasm', import.meta.url) });
";

/// Builds the threaded worker (installing [`tools::NIGHTLY`] when missing) and writes it,
/// with its loader, into `dir`.
pub fn build_into(dir: &Path) -> Result<()> {
    tools::ensure_nightly()?;
    let root = workspace_root();
    let started = Instant::now();
    run(tools::cargo_nightly()
        .current_dir(&root)
        .env("RUSTFLAGS", RUSTFLAGS)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .args(PROFILE_CONFIG.iter().flat_map(|value| ["--config", value]))
        .args([
            "rustc",
            "--profile",
            PROFILE,
            "--package",
            "special-week-worker",
        ])
        .args(["--bin", "worker", "--target", "wasm32-unknown-unknown"])
        .args([
            "-Z",
            "build-std=panic_abort,std",
            "--target-dir",
            TARGET_DIR,
            "--",
        ])
        .args(LINK_ARGS.iter().flat_map(|arg| ["-C", arg])))
    .context("building the threaded worker")?;
    let wasm = root
        .join(TARGET_DIR)
        .join("wasm32-unknown-unknown")
        .join(PROFILE)
        .join("worker.wasm");
    run(std::process::Command::new("wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--out-name", OUT_NAME])
        // The names only label stack traces, and are as large as the code.
        .args(["--remove-name-section", "--remove-producers-section"])
        .arg("--out-dir")
        .arg(dir)
        .arg(&wasm))
    .context("wasm-bindgen on the threaded worker")?;
    let loader = dir.join(LOADER);
    std::fs::write(&loader, LOADER_JS).with_context(|| format!("writing {}", loader.display()))?;
    eprintln!(
        "xtask: threaded worker built into {} in {:.0?}",
        dir.display(),
        started.elapsed()
    );
    Ok(())
}
