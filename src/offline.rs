//! Offline use: registers the service worker and reports whether the app works without
//! a network.
//!
//! Release builds carry `sw.js` next to `index.html` (written by `cargo xtask precache`,
//! which Trunk runs after release builds). It downloads every file of the build, model
//! included, before it becomes active, so "an active service worker serves this page"
//! means "everything is cached". A later build has a different `sw.js`; the browser
//! installs it in the background and it waits until the user chooses to update
//! ([`apply_update`]), so a running page never has its files swapped underneath it.
//!
//! The service worker also makes the page cross-origin isolated (for the threaded
//! worker): the first time it takes control of a page that is not, the page reloads once
//! (`reload_once_controlled`).
//!
//! Debug builds (`trunk serve`) have no `sw.js`: there [`register`] removes any service
//! worker and caches a release build left on the same origin, so development never sees
//! stale pages, and reports [`OfflineStatus::Unsupported`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_events::EventListener;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{
    ServiceWorker, ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState,
};
use yew::{Callback, Html, html};

use crate::lang::Lang;
use crate::messages;

/// The service worker's URL, relative to the page (the document's base URL), so a build
/// served under a sub-path registers the `sw.js` of that sub-path with that scope.
pub const SCRIPT: &str = "./sw.js";

/// The prefix of the service worker's cache names (`special-week-<version>`).
pub const CACHE_PREFIX: &str = "special-week-";

/// Where offline use stands, as [`register`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfflineStatus {
    /// No service worker: the browser has none (or the page is not a secure context),
    /// or this is a debug build.
    Unsupported,
    /// The service worker is downloading the app and the model for offline use.
    Installing,
    /// An active service worker serves this page's scope: everything is cached and the
    /// app works without a network.
    Ready,
    /// A newer build has been downloaded and waits while the current one runs;
    /// [`apply_update`] switches to it.
    UpdateAvailable,
    /// Registering or installing failed (for example no `sw.js` on the server, or a
    /// download broke off); the page works online as before. The text says why.
    Failed(String),
}

impl OfflineStatus {
    /// The value for the indicator's `data-state` attribute: `unsupported`, `installing`,
    /// `ready`, `update` or `failed`.
    pub fn data_state(&self) -> &'static str {
        match self {
            Self::Unsupported => "unsupported",
            Self::Installing => "installing",
            Self::Ready => "ready",
            Self::UpdateAvailable => "update",
            Self::Failed(_) => "failed",
        }
    }

    /// Why it failed (the browser's message, often English), for a tooltip or the console.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Failed(reason) => Some(reason),
            _ => None,
        }
    }
}

/// The indicator the end-to-end tests look for: `#offline-status` with `data-state`
/// ([`OfflineStatus::data_state`]) and the label in `lang`, the failure reason as its
/// tooltip, and while an update waits an `#update-button` that calls [`apply_update`].
/// Optional: any markup with those ids and `data-state` values works.
pub fn view(status: &OfflineStatus, lang: Lang) -> Html {
    let texts = messages::of(lang);
    let button = (*status == OfflineStatus::UpdateAvailable).then(|| {
        html! {
            <button id="update-button" type="button" class="update-button"
                onclick={Callback::from(|_| apply_update())}>
                { texts.update_button() }
            </button>
        }
    });
    html! {
        <div id="offline-status" class="offline-status" role="status"
            data-state={status.data_state()} title={status.reason().map(str::to_owned)}>
            <span class="offline-label">{ texts.offline(status) }</span>
            { for button }
        </div>
    }
}

/// Registers [`SCRIPT`] and keeps `on_status` informed; call it once when the app starts.
///
/// Reports [`OfflineStatus::Unsupported`] at once without `navigator.serviceWorker`
/// (old browsers, plain `http://` on a non-local host) and in debug builds; otherwise
/// [`Installing`](OfflineStatus::Installing) until the service worker has cached
/// everything, then [`Ready`](OfflineStatus::Ready), and
/// [`UpdateAvailable`](OfflineStatus::UpdateAvailable) whenever a newer build waits.
/// A registration that fails (say `sw.js` is missing) is reported as
/// [`Failed`](OfflineStatus::Failed) and changes nothing else on the page. The same
/// status is never reported twice in a row.
pub fn register(on_status: Callback<OfflineStatus>) {
    let reporter = Reporter::new(on_status);
    let Some(container) = container() else {
        reporter.emit(OfflineStatus::Unsupported);
        return;
    };
    if cfg!(debug_assertions) {
        reporter.emit(OfflineStatus::Unsupported);
        spawn_local(forget_release_worker(container));
        return;
    }
    spawn_local(async move {
        match JsFuture::from(container.register(SCRIPT)).await {
            Ok(registration) => {
                reload_once_controlled(&container);
                watch(container, registration.unchecked_into(), reporter);
            }
            Err(error) => reporter.emit(OfflineStatus::Failed(describe(&error))),
        }
    });
}

/// Switches to the waiting newer build: asks it to take over (`SKIP_WAITING`) and
/// reloads the page once it controls the page (`controllerchange`). Without a waiting
/// build (another tab already switched), it just reloads.
pub fn apply_update() {
    let Some(container) = container() else {
        return;
    };
    spawn_local(async move {
        let waiting = JsFuture::from(container.get_registration())
            .await
            .ok()
            .and_then(|value| value.dyn_into::<ServiceWorkerRegistration>().ok())
            .and_then(|registration| registration.waiting());
        let Some(waiting) = waiting else {
            reload();
            return;
        };
        EventListener::once(&container, "controllerchange", |_| reload()).forget();
        let message = Object::new();
        let _ = Reflect::set(&message, &"type".into(), &"SKIP_WAITING".into());
        if waiting.post_message(&message).is_err() {
            reload();
        }
    });
}

/// `navigator.serviceWorker`, if the browser exposes it here.
fn container() -> Option<ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    Reflect::get(&navigator, &"serviceWorker".into())
        .ok()?
        .dyn_into::<ServiceWorkerContainer>()
        .ok()
}

/// Hands `on_status` each new status once.
#[derive(Clone)]
struct Reporter {
    on_status: Callback<OfflineStatus>,
    last: Rc<RefCell<Option<OfflineStatus>>>,
}

impl Reporter {
    fn new(on_status: Callback<OfflineStatus>) -> Self {
        Self {
            on_status,
            last: Rc::default(),
        }
    }

    fn emit(&self, status: OfflineStatus) {
        let mut last = self.last.borrow_mut();
        if last.as_ref() != Some(&status) {
            *last = Some(status.clone());
            drop(last);
            self.on_status.emit(status);
        }
    }
}

/// Reports the registration's status now and whenever one of its workers changes state,
/// a new build starts installing, or another worker takes control of the page.
fn watch(
    container: ServiceWorkerContainer,
    registration: ServiceWorkerRegistration,
    reporter: Reporter,
) {
    let refresh: Rc<dyn Fn()> = {
        let (container, registration) = (container.clone(), registration.clone());
        Rc::new(move || reporter.emit(status_of(&container, &registration)))
    };
    // The page lives as long as these listeners are needed, so they are never removed;
    // there is one per worker the registration ever has (a handful per visit).
    let follow = {
        let refresh = refresh.clone();
        move |worker: ServiceWorker| {
            let refresh = refresh.clone();
            EventListener::new(&worker, "statechange", move |_| refresh()).forget();
        }
    };
    [
        registration.installing(),
        registration.waiting(),
        registration.active(),
    ]
    .into_iter()
    .flatten()
    .for_each(&follow);
    {
        let (registration2, refresh) = (registration.clone(), refresh.clone());
        EventListener::new(&registration, "updatefound", move |_| {
            if let Some(worker) = registration2.installing() {
                follow(worker);
            }
            refresh();
        })
        .forget();
    }
    {
        let refresh = refresh.clone();
        EventListener::new(&container, "controllerchange", move |_| refresh()).forget();
    }
    refresh();
    // Ask the server for a newer sw.js now rather than at the next navigation; offline
    // this fails, which changes nothing.
    if registration.active().is_some()
        && let Ok(checked) = registration.update()
    {
        spawn_local(async move {
            let _ = JsFuture::from(checked).await;
        });
    }
}

fn status_of(
    container: &ServiceWorkerContainer,
    registration: &ServiceWorkerRegistration,
) -> OfflineStatus {
    let controlled = container.controller().is_some();
    if controlled && registration.waiting().is_some() {
        return OfflineStatus::UpdateAvailable;
    }
    match registration.active() {
        // Activation follows a complete install, so the cache is whole.
        Some(active) if active.state() == ServiceWorkerState::Activated => OfflineStatus::Ready,
        Some(_) => OfflineStatus::Installing,
        None if registration.installing().is_some() || registration.waiting().is_some() => {
            OfflineStatus::Installing
        }
        // The only worker became redundant: its install failed (a download broke off).
        // The browser tries again on the next visit.
        None => OfflineStatus::Failed("the service worker could not store the files".into()),
    }
}

/// Debug builds: unregister this scope's service worker and delete its caches, left
/// behind by a release build served on the same origin (`trunk serve --release`, or
/// `dist/` on port 8080). A page that such a worker still serves is the old release
/// build, which cannot do this; one reload that bypasses it (Shift+Reload) runs this.
async fn forget_release_worker(container: ServiceWorkerContainer) {
    if let Ok(value) = JsFuture::from(container.get_registration()).await
        && let Ok(registration) = value.dyn_into::<ServiceWorkerRegistration>()
        && let Ok(done) = registration.unregister()
    {
        let _ = JsFuture::from(done).await;
    }
    let Some(caches) = web_sys::window().and_then(|window| window.caches().ok()) else {
        return;
    };
    let Ok(names) = JsFuture::from(caches.keys()).await else {
        return;
    };
    for name in Array::from(&names).iter().filter_map(|n| n.as_string()) {
        if name.starts_with(CACHE_PREFIX) {
            let _ = JsFuture::from(caches.delete(&name)).await;
        }
    }
}

/// The `sessionStorage` key that marks the reload [`reload_once_controlled`] made.
const ISOLATION_RELOAD: &str = "special-week-isolation-reload";

/// On a page that is not cross-origin isolated, reloads once when the service worker
/// takes control: it serves every file of the app with `Cross-Origin-Opener-Policy` and
/// `Cross-Origin-Embedder-Policy` (see `assets/sw.js`), so the reloaded page is isolated
/// and gets the threaded worker even from a host that cannot set headers. At most once
/// per tab (`sessionStorage`), so a browser that stays unisolated is never reloaded in a
/// loop; without `sessionStorage` it does not reload at all.
fn reload_once_controlled(container: &ServiceWorkerContainer) {
    if crate::bridge::cross_origin_isolated() {
        return;
    }
    EventListener::once(container, "controllerchange", |_| {
        let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten())
        else {
            return;
        };
        if storage.get_item(ISOLATION_RELOAD).ok().flatten().is_none()
            && storage.set_item(ISOLATION_RELOAD, "1").is_ok()
        {
            reload();
        }
    })
    .forget();
}

/// Reloads the page, at most once.
fn reload() {
    thread_local! {
        static RELOADING: Cell<bool> = const { Cell::new(false) };
    }
    if RELOADING.with(|reloading| reloading.replace(true)) {
        return;
    }
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// A JavaScript error (an `Error` or `DOMException`) as text.
fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}
