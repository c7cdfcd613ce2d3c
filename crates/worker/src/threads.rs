//! The threaded worker's thread pool: rayon's global pool on Web Workers
//! (`wasm-bindgen-rayon`), which tract's matrix products then share out. Only the build
//! with `+atomics` (made by `cargo xtask`, see the README) starts one; the page asks for
//! its size through the worker's name, `threads=N` (see [`requested`]).

/// The most threads a pool may have, whatever the page asks for.
pub const MAX_THREADS: usize = 16;

/// The pool size a worker named `name` was asked for: `threads=N` with `1 <= N`, capped
/// at [`MAX_THREADS`]; `None` for any other name.
pub fn requested(name: &str) -> Option<usize> {
    let threads: usize = name.strip_prefix("threads=")?.parse().ok()?;
    (threads >= 1).then_some(threads.min(MAX_THREADS))
}

/// Starts a pool of `threads` Web Workers sharing this worker's memory and makes it
/// tract's executor. Fails when the browser refuses the workers.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
pub async fn start(threads: usize) -> Result<(), wasm_bindgen::JsValue> {
    use tract_linalg::multithread::{Executor, set_default_executor};
    wasm_bindgen_futures::JsFuture::from(wasm_bindgen_rayon::init_thread_pool(threads)).await?;
    set_default_executor(Executor::RayonGlobal);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_pool_size_from_the_name() {
        assert_eq!(requested("threads=4"), Some(4));
        assert_eq!(requested("threads=1"), Some(1));
        assert_eq!(requested("threads=999"), Some(MAX_THREADS));
        assert_eq!(requested("threads=0"), None);
        assert_eq!(requested("threads=many"), None);
        assert_eq!(requested(""), None);
    }
}
