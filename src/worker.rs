//! The Web Worker that owns the model: decoding, resizing and tract never run on the page.

use gloo_worker::{HandlerId, Worker, WorkerScope};
use wasm_bindgen::JsCast;

use crate::engine::Engine;
use crate::protocol::{WorkerInput, WorkerOutput};

/// The worker's script, as Trunk emits it next to `index.html`.
pub const SCRIPT: &str = "./worker.js";

/// The classifier worker: receives the model once, then one image per request.
pub struct ClassifierWorker {
    engine: Engine,
}

impl Worker for ClassifierWorker {
    type Message = ();
    type Input = WorkerInput;
    type Output = WorkerOutput;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        Self {
            engine: Engine::default(),
        }
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: Self::Message) {}

    fn received(&mut self, scope: &WorkerScope<Self>, msg: Self::Input, id: HandlerId) {
        scope.respond(id, self.engine.handle(msg, now_ms));
    }
}

/// Milliseconds from the worker's `performance` clock (or the wall clock without one).
pub fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|value| value.dyn_into::<web_sys::Performance>().ok())
        .map_or_else(js_sys::Date::now, |performance| performance.now())
}
