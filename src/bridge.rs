//! The page's end of the classifier worker: starts it, posts requests and hands its
//! answers, undecodable answers and crashes to callbacks. It keeps no state of its own:
//! [`crate::session::Session`] decides what is posted when.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};
use worker_protocol::{WorkerInputRef, WorkerOutput, decode, encode};

use crate::download::describe;

/// The worker's loader script, as Trunk emits it next to `index.html` (relative, so the
/// app also works under a sub-path).
pub const SCRIPT: &str = "./worker_loader.js";

/// A running classifier worker; dropping it terminates the worker.
pub struct WorkerBridge {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl WorkerBridge {
    /// Starts the worker. Its answers go to `on_output`, answers that cannot be decoded
    /// to `on_garbled`, and the description of a crash (its `error` event) to `on_crash`.
    pub fn spawn(
        on_output: impl Fn(WorkerOutput) + 'static,
        on_garbled: impl Fn(String) + 'static,
        on_crash: impl Fn(String) + 'static,
    ) -> Result<Self, String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(SCRIPT, &options).map_err(describe)?;
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

    /// Posts one request, handing over the buffer instead of copying it.
    pub fn post(&self, input: WorkerInputRef<'_>) {
        let bytes = Uint8Array::from(encode(&input).as_slice());
        let transfer = js_sys::Array::of1(&bytes.buffer());
        // Posting only fails for values that cannot be cloned; a Uint8Array always can.
        let _ = self.worker.post_message_with_transfer(&bytes, &transfer);
    }
}

impl Drop for WorkerBridge {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}
