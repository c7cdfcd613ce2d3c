//! How much memory loading the bundled model takes at its peak. In the browser the worker's
//! wasm memory grows to that peak and never shrinks, so the peak is what the tab keeps.
//! This binary counts every allocation (its own global allocator) and has one test, so no
//! other test's allocations are counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use classifier::{Classifier, ModelMeta};

/// The system allocator, counting the bytes alive now and at most so far.
struct Counting;

static ALIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let alive = ALIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(alive, Relaxed);
        // SAFETY: the caller's layout, as `GlobalAlloc::alloc` requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn megabytes(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

#[test]
fn loading_the_bundled_model_never_holds_much_more_than_the_loaded_model() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../model");
    let meta = ModelMeta::from_json(&std::fs::read_to_string(dir.join("model.json")).unwrap())
        .expect("valid model.json");
    let before = ALIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let onnx = std::fs::read(dir.join(&meta.model_file)).unwrap();
    let file = onnx.len();

    let classifier = Classifier::load(onnx, meta).expect("the bundled model loads");

    let (loaded, peak) = (ALIVE.load(Relaxed) - before, PEAK.load(Relaxed) - before);
    println!(
        "file {:.1} MB, loaded model {:.1} MB, peak while loading {:.1} MB",
        megabytes(file),
        megabytes(loaded),
        megabytes(peak)
    );
    // The file's bytes, then its f32 weights, exist once each at a time, besides one
    // layer being converted: measured 1.4× the loaded model (3.0× when the int8, the
    // per-kernel-scaled and the parsed copies of the weights were all alive together).
    assert!(
        peak * 5 <= loaded * 8,
        "loading peaked at {:.1} MB for a {:.1} MB model",
        megabytes(peak),
        megabytes(loaded)
    );
    drop(classifier);
}
