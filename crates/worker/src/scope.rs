//! Connects the [`Engine`] to the worker's message port.
//!
//! Requests are answered one at a time in the order they arrive, as the page expects,
//! even when one waits for the browser's decoder: messages queue up and one task works
//! through the queue.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};
use worker_protocol::{WorkerInput, WorkerOutput, decode, encode};

use crate::browser_decode;
use crate::engine::{Engine, Step};

/// The worker's state between messages.
struct Worker {
    scope: DedicatedWorkerGlobalScope,
    engine: RefCell<Engine>,
    waiting: RefCell<VecDeque<Result<WorkerInput, String>>>,
    busy: Cell<bool>,
}

/// Answers every message the page sends, then tells the page it is listening.
pub fn listen() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let worker = Rc::new(Worker {
        scope: scope.clone(),
        engine: RefCell::new(Engine::default()),
        waiting: RefCell::new(VecDeque::new()),
        busy: Cell::new(false),
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        worker.waiting.borrow_mut().push_back(request_of(&event));
        if !worker.busy.replace(true) {
            wasm_bindgen_futures::spawn_local(work_through(worker.clone()));
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(&scope, &WorkerOutput::Started);
}

/// Answers the waiting requests in order, until none is left.
async fn work_through(worker: Rc<Worker>) {
    loop {
        let next = worker.waiting.borrow_mut().pop_front();
        let Some(request) = next else {
            worker.busy.set(false);
            return;
        };
        let output = match request {
            Err(detail) => WorkerOutput::Garbled { detail },
            Ok(input) => {
                let step = worker.engine.borrow_mut().handle(input, now_ms);
                match step {
                    Step::Reply(output) => output,
                    Step::DecodeInBrowser {
                        card,
                        bytes,
                        size,
                        started_ms,
                    } => {
                        let pixels = browser_decode::decode(&bytes, size).await;
                        worker
                            .engine
                            .borrow_mut()
                            .classify_decoded(card, pixels, started_ms, now_ms)
                    }
                }
            }
        };
        post(&worker.scope, &output);
    }
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
