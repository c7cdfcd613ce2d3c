//! Connects the [`Engine`] to the worker's message port.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};
use worker_protocol::{WorkerInput, WorkerOutput, decode, encode};

use crate::engine::Engine;

/// Answers every message the page sends, then tells the page it is listening.
pub fn listen() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let mut engine = Engine::default();
    let reply_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let output = match request_of(&event) {
            Ok(input) => engine.handle(input, now_ms),
            Err(detail) => WorkerOutput::Garbled { detail },
        };
        post(&reply_scope, &output);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(&scope, &WorkerOutput::Started);
}

/// The request a message carries, or why it carries none.
fn request_of(event: &MessageEvent) -> Result<WorkerInput, String> {
    let bytes = event
        .data()
        .dyn_into::<Uint8Array>()
        .map_err(|_| "the message is not a Uint8Array".to_string())?
        .to_vec();
    decode::<WorkerInput>(&bytes).map_err(|error| error.to_string())
}

/// Sends one message to the page, handing over the buffer instead of copying it.
fn post(scope: &DedicatedWorkerGlobalScope, output: &WorkerOutput) {
    let bytes = Uint8Array::from(encode(output).as_slice());
    let transfer = js_sys::Array::of1(&bytes.buffer());
    // Posting only fails for values that cannot be cloned; a Uint8Array always can.
    let _ = scope.post_message_with_transfer(&bytes, &transfer);
}

/// Milliseconds from the worker's `performance` clock (or the wall clock without one).
fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|value| value.dyn_into::<web_sys::Performance>().ok())
        .map_or_else(js_sys::Date::now, |performance| performance.now())
}
