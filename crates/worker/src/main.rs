//! Entry point of the classifier Web Worker (Trunk `data-type="worker"`).

#[cfg(target_arch = "wasm32")]
fn main() {
    // A panic is written to the console before the wasm traps; the page sees the trap as
    // the worker's `error` event and offers a restart.
    console_error_panic_hook::set_once();
    special_week_worker::scope::listen();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    eprintln!("the classifier worker runs in a browser; build it with `cargo xtask build`");
    std::process::ExitCode::FAILURE
}
