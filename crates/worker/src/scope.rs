//! Connects the [`Engine`] to the worker's message port.
//!
//! Requests are answered one at a time in the order they arrive, as the page expects,
//! even when one waits for a file read or the browser's decoder: messages queue up and
//! one task works through the queue. An image file arrives as a `Blob` beside its request
//! (see `worker_protocol`); the engine's [`Step`]s say which part of it to read.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent};
use worker_protocol::{WorkerInput, WorkerOutput, decode, encode};

use crate::browser_decode;
use crate::engine::{Engine, HEAD_BYTES, Step};

/// A request as it arrived: the decoded input (or why it could not be decoded) and the
/// file posted beside it, if any.
type Request = (Result<WorkerInput, String>, Option<Blob>);

/// The worker's state between messages.
struct Worker {
    scope: DedicatedWorkerGlobalScope,
    engine: RefCell<Engine>,
    waiting: RefCell<VecDeque<Request>>,
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
        let Some((request, file)) = next else {
            worker.busy.set(false);
            return;
        };
        let output = match request {
            Err(detail) => WorkerOutput::Garbled { detail },
            Ok(input) => answer(&worker.engine, input, file).await,
        };
        post(&worker.scope, &output);
    }
}

/// Carries out the engine's steps for one request, reading `file` as they ask.
async fn answer(engine: &RefCell<Engine>, input: WorkerInput, file: Option<Blob>) -> WorkerOutput {
    let mut step = engine.borrow_mut().handle(input, now_ms);
    loop {
        step = match (step, &file) {
            (Step::Reply(output), _) => return output,
            (_, None) => {
                return WorkerOutput::Garbled {
                    detail: "an image request came without its file".into(),
                };
            }
            (Step::ReadHead { card, started_ms }, Some(file)) => {
                let head = read_head(file).await;
                let size = file.size() as u64;
                let mut engine = engine.borrow_mut();
                engine.head(card, head, size, started_ms, now_ms)
            }
            (Step::ReadWhole { card, started_ms }, Some(file)) => {
                let bytes = read(file).await;
                engine.borrow_mut().whole(card, bytes, started_ms, now_ms)
            }
            (
                Step::DecodeInBrowser {
                    card,
                    size,
                    started_ms,
                },
                Some(file),
            ) => {
                let pixels = browser_decode::decode(file, size).await;
                let mut engine = engine.borrow_mut();
                Step::Reply(engine.classify_decoded(card, pixels, started_ms, now_ms))
            }
        };
    }
}

/// The first [`HEAD_BYTES`] of a file (all of a smaller one).
async fn read_head(file: &Blob) -> Result<Vec<u8>, String> {
    let head = file
        .slice_with_f64_and_f64(0.0, HEAD_BYTES as f64)
        .map_err(describe)?;
    read(&head).await
}

/// A blob's bytes, or the browser's description of why they could not be read.
async fn read(blob: &Blob) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(describe)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// A JS error's message, for people who read diagnostics.
fn describe(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

/// The request a message carries (or why it carries none) and the file beside it: the
/// message is an array of the encoded request and, for an image, its `Blob`, or for a
/// model, its ONNX bytes (a `Uint8Array`), which are put into the request.
fn request_of(event: &MessageEvent) -> Request {
    let parts = event.data().dyn_into::<Array>().ok();
    let beside = parts.as_ref().map(|parts| parts.get(1));
    let file = beside.clone().and_then(|part| part.dyn_into::<Blob>().ok());
    let input = parts
        .and_then(|parts| parts.get(0).dyn_into::<Uint8Array>().ok())
        .ok_or_else(|| "the message is not an array holding a Uint8Array".to_string())
        .and_then(|bytes| decode::<WorkerInput>(&bytes.to_vec()).map_err(|error| error.to_string()))
        .and_then(|input| match input {
            WorkerInput::LoadModel { meta_json, .. } => {
                let onnx = beside
                    .and_then(|part| part.dyn_into::<Uint8Array>().ok())
                    .ok_or_else(|| "a model request came without its ONNX bytes".to_string())?;
                Ok(WorkerInput::LoadModel {
                    meta_json,
                    onnx: onnx.to_vec(),
                })
            }
            input => Ok(input),
        });
    (input, file)
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
