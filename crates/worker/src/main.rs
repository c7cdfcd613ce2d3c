//! Entry point of the classifier Web Worker (Trunk `data-type="worker"`).

#[cfg(target_arch = "wasm32")]
fn main() {
    // A panic is written to the console before the wasm traps; the page sees the trap as
    // the worker's `error` event and offers a restart.
    console_error_panic_hook::set_once();
    #[cfg(not(target_feature = "atomics"))]
    special_week_worker::scope::listen();
    // The threaded build starts its pool first (with the size the page put in the
    // worker's name); only then does it listen, so `Started` means the threads run.
    #[cfg(target_feature = "atomics")]
    wasm_bindgen_futures::spawn_local(async {
        use wasm_bindgen::JsCast;
        let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let threads = special_week_worker::threads::requested(&scope.name()).unwrap_or(1);
        if let Err(error) = special_week_worker::threads::start(threads).await {
            wasm_bindgen::throw_val(error);
        }
        special_week_worker::scope::listen();
    });
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    eprintln!("the classifier worker runs in a browser; build it with `cargo xtask build`");
    std::process::ExitCode::FAILURE
}
