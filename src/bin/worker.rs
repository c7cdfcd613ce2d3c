//! Entry point of the classifier Web Worker (Trunk `data-type="worker"`).

use gloo_worker::Registrable;
use special_week_app::worker::ClassifierWorker;

fn main() {
    ClassifierWorker::registrar().register();
}
