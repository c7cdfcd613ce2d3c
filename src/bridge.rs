//! The page's end of the classifier worker: starts it, queues requests until it listens,
//! and hands its answers to a callback.

use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};
use worker_protocol::{WorkerInput, WorkerOutput, decode, encode};

use crate::download::describe;

/// The worker's loader script, as Trunk emits it next to `index.html` (relative, so the
/// app also works under a sub-path).
pub const SCRIPT: &str = "./worker_loader.js";

/// A running classifier worker.
pub struct WorkerBridge {
    worker: Worker,
    /// Requests made before the worker said [`WorkerOutput::Started`].
    pending: Option<Vec<WorkerInput>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl WorkerBridge {
    /// Starts the worker. Its answers go to `on_output`; if it cannot start or crashes,
    /// `on_error` gets a description.
    pub fn spawn(
        on_output: impl Fn(WorkerOutput) + 'static,
        on_error: impl Fn(String) + 'static,
    ) -> Result<Self, String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(SCRIPT, &options).map_err(describe)?;
        let on_error: Rc<dyn Fn(String)> = Rc::new(on_error);
        let report = on_error.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let bytes = Uint8Array::new(&event.data()).to_vec();
            match decode::<WorkerOutput>(&bytes) {
                Ok(output) => on_output(output),
                Err(error) => report(error.to_string()),
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_crash = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            on_error(event.message());
        });
        worker.set_onerror(Some(on_crash.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            pending: Some(Vec::new()),
            _on_message: on_message,
            _on_error: on_crash,
        })
    }

    /// Sends a request now, or as soon as the worker listens.
    pub fn send(&mut self, input: WorkerInput) {
        match &mut self.pending {
            Some(pending) => pending.push(input),
            None => post(&self.worker, &input),
        }
    }

    /// Called when the worker says it listens: sends what waited.
    pub fn started(&mut self) {
        for input in self.pending.take().unwrap_or_default() {
            post(&self.worker, &input);
        }
    }
}

impl Drop for WorkerBridge {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// Sends one request, handing over the buffer instead of copying it.
fn post(worker: &Worker, input: &WorkerInput) {
    let bytes = Uint8Array::from(encode(input).as_slice());
    let transfer = js_sys::Array::of1(&bytes.buffer());
    // Posting only fails for values that cannot be cloned; a Uint8Array always can.
    let _ = worker.post_message_with_transfer(&bytes, &transfer);
}
