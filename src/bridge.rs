//! The page's end of the classifier worker: starts it, posts requests and hands its
//! answers, undecodable answers and crashes to callbacks. It keeps no state of its own:
//! [`crate::session::Session`] decides what is posted when.
//!
//! There are two builds of the worker. A cross-origin isolated page (its server, or the
//! service worker, sends `Cross-Origin-Opener-Policy` and `Cross-Origin-Embedder-Policy`)
//! can share wasm memory between threads and gets the threaded one ([`THREADED_SCRIPT`],
//! built by `cargo xtask`), with [`pool_size`] threads; any other page the
//! single-threaded one ([`SCRIPT`]).

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, File, MessageEvent, Worker, WorkerOptions, WorkerType};
use worker_protocol::{WorkerInputRef, WorkerOutput, decode, encode};

use crate::download::describe;

/// The worker's loader script, as Trunk emits it next to `index.html` (relative, so the
/// app also works under a sub-path).
pub const SCRIPT: &str = "./worker_loader.js";

/// The threaded worker's loader script, which `cargo xtask` writes next to Trunk's.
pub const THREADED_SCRIPT: &str = "./worker_threads_loader.js";

/// The most threads the threaded worker gets: VGG16's matrix products gain little from
/// more, and a phone's other cores are better left to the page.
pub const MAX_THREADS: usize = 4;

/// How many threads the worker will classify on: `navigator.hardwareConcurrency`, at
/// most [`MAX_THREADS`], when the page is cross-origin isolated; otherwise 1. A
/// `threads=N` query parameter lowers the cap to N (`cargo xtask bench` measures the
/// worker with `?threads=1` too).
pub fn pool_size() -> usize {
    let Some(window) = web_sys::window().filter(|_| cross_origin_isolated()) else {
        return 1;
    };
    let cap = window
        .location()
        .search()
        .ok()
        .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
        .and_then(|query| query.get("threads"))
        .and_then(|threads| threads.parse::<usize>().ok())
        .map_or(MAX_THREADS, |threads| threads.min(MAX_THREADS));
    window
        .navigator()
        .hardware_concurrency()
        .clamp(1.0, cap.max(1) as f64) as usize
}

/// Whether the page is cross-origin isolated (`self.crossOriginIsolated`), i.e. may share
/// wasm memory between threads.
pub fn cross_origin_isolated() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into())
        .is_ok_and(|value| value.is_truthy())
}

/// A running classifier worker; dropping it terminates the worker.
pub struct WorkerBridge {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl WorkerBridge {
    /// Starts the worker for `threads` threads (from [`pool_size`]): the threaded build,
    /// named `threads=N` so it starts that many, or with 1 the single-threaded one. Its
    /// answers go to `on_output`, answers that cannot be decoded to `on_garbled`, and the
    /// description of a crash (its `error` event) to `on_crash`.
    pub fn spawn(
        threads: usize,
        on_output: impl Fn(WorkerOutput) + 'static,
        on_garbled: impl Fn(String) + 'static,
        on_crash: impl Fn(String) + 'static,
    ) -> Result<Self, String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let script = if threads > 1 {
            options.set_name(&format!("threads={threads}"));
            THREADED_SCRIPT
        } else {
            SCRIPT
        };
        let worker = Worker::new_with_options(script, &options).map_err(describe)?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let decoded = event
                .data()
                .dyn_into::<Uint8Array>()
                .map_err(|_| "the message is not a Uint8Array".to_string())
                .and_then(|bytes| {
                    decode::<WorkerOutput>(&bytes.to_vec()).map_err(|e| e.to_string())
                });
            match decoded {
                Ok(output) => on_output(output),
                Err(detail) => on_garbled(detail),
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            on_crash(event.message());
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Posts one request with the image file it is about, if any, as `worker_protocol`
    /// says: the request's buffer is handed over instead of copied, and the file is
    /// structured-cloned, which shares it without reading it. A model's ONNX bytes are
    /// copied once out of the page's memory, beside the request, and handed over too.
    pub fn post(&self, input: WorkerInputRef<'_>, file: Option<&File>) {
        let bytes = Uint8Array::from(encode(&input).as_slice());
        let message = js_sys::Array::of1(&bytes);
        let transfer = js_sys::Array::of1(&bytes.buffer());
        if let WorkerInputRef::LoadModel { onnx, .. } = input {
            let onnx = Uint8Array::from(onnx);
            message.push(&onnx);
            transfer.push(&onnx.buffer());
        }
        if let Some(file) = file {
            message.push(file);
        }
        // Posting only fails for values that cannot be cloned; a Uint8Array and a File
        // always can.
        let _ = self.worker.post_message_with_transfer(&message, &transfer);
    }
}

impl Drop for WorkerBridge {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}
