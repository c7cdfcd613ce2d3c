//! Entry point of the classifier Web Worker (Trunk `data-type="worker"`).

#[cfg(target_arch = "wasm32")]
fn main() {
    special_week_worker::scope::listen();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    eprintln!("the classifier worker runs in a browser; build it with `cargo xtask build`");
    std::process::ExitCode::FAILURE
}
