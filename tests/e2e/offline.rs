//! Offline use through the service worker (`sw.js`, written into release builds by
//! `cargo xtask precache`): after one visit the page loads and classifies with the server
//! gone, at the root of a host and under a sub-path, and a new release waits until the
//! user updates, then replaces the old cache.
//!
//! The page shows the state in `#offline-status[data-state]` (`installing`, `ready`,
//! `update`, `unsupported`, `failed`) and, while an update waits, `#update-button`.
//! Each test has its own server, so stopping it or changing what it serves touches no
//! other test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::browser::Browser;
use crate::server::StaticServer;
use crate::{
    assert_native_answer, choose_files, finished_cards, fixtures, one_at_a_time, open_page_at,
    root, wait_for_model,
};

/// How long the service worker may take to download the whole build (about 90 MB).
const OFFLINE_TIMEOUT: Duration = Duration::from_secs(300);
/// The prefix of the service worker's cache names.
const CACHE_PREFIX: &str = "special-week-";
/// Where the sub-path build is served, as in `trunk build --public-url /specialweek/`.
const SUBPATH: &str = "/specialweek/";

/// A release build's directory, checked to hold the app and its service worker.
fn release_build(dist: &Path) -> &Path {
    assert!(
        dist.join("index.html").is_file(),
        "no {}/index.html: run `cargo xtask test`",
        dist.display()
    );
    assert!(
        dist.join("sw.js").is_file(),
        "no {}/sw.js: release builds get it from Trunk's post_build hook \
         (`cargo xtask precache --trunk-hook`); was this a release build?",
        dist.display()
    );
    dist
}

/// The precache list that `cargo xtask precache` wrote into `dist/sw.js`:
/// the version and the files, paths relative to `sw.js`.
fn precache_of(dist: &Path) -> (String, Vec<String>) {
    let script = std::fs::read_to_string(dist.join("sw.js")).expect("reading sw.js");
    let (_, json) = script
        .split_once("const PRECACHE = ")
        .expect("sw.js has the PRECACHE list");
    let precache: Value = serde_json::Deserializer::from_str(json)
        .into_iter::<Value>()
        .next()
        .expect("a JSON object after PRECACHE")
        .expect("valid PRECACHE JSON");
    let version = precache["version"].as_str().expect("a version").to_string();
    let files = precache["files"]
        .as_array()
        .expect("a file list")
        .iter()
        .map(|f| f.as_str().expect("a path").to_string())
        .collect();
    (version, files)
}

/// Polls `script` like [`Browser::wait_for`], but while the page reloads a script may
/// fail (no document yet); that counts as "not yet".
pub async fn wait_across_reload(browser: &Browser, what: &str, timeout: Duration, script: &str) {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(value) = browser.client.execute(script, vec![]).await
            && !(value.is_null() || value == Value::Bool(false))
        {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until `#offline-status` shows `state`; `failed` ends the wait with its reason.
pub async fn wait_for_offline_state(browser: &Browser, state: &str) {
    let script = format!(
        r#"const s = document.querySelector('#offline-status');
           if (s && s.dataset.state === 'failed' && '{state}' !== 'failed')
               throw new Error('offline: ' + s.innerText + ' ' + (s.title || ''));
           return s && s.dataset.state === '{state}';"#
    );
    browser
        .wait_for(
            &format!("#offline-status {state}"),
            OFFLINE_TIMEOUT,
            &script,
        )
        .await;
}

/// The service worker registration's scope, and whether it controls the page.
async fn registration(browser: &Browser) -> (String, bool) {
    let value = browser
        .js(
            r#"return navigator.serviceWorker.getRegistration().then(r => ({
                   scope: r ? r.scope : null,
                   controlled: navigator.serviceWorker.controller !== null,
               }));"#,
            vec![],
        )
        .await;
    (
        value["scope"].as_str().unwrap_or("none").to_string(),
        value["controlled"] == Value::Bool(true),
    )
}

/// Every cache of the origin: its name and the URLs it holds.
async fn caches(browser: &Browser) -> Vec<(String, Vec<String>)> {
    let value = browser
        .js(
            r#"return (async () => {
                   const out = [];
                   for (const name of await caches.keys()) {
                       const requests = await (await caches.open(name)).keys();
                       out.push([name, requests.map(r => r.url)]);
                   }
                   return out;
               })();"#,
            vec![],
        )
        .await;
    serde_json::from_value(value).expect("cache names and URLs")
}

/// What the controlling service worker answers to `{type: "VERSION"}`.
async fn controller_version(browser: &Browser) -> String {
    let value = browser
        .js(
            r#"return new Promise((resolve, reject) => {
                   const channel = new MessageChannel();
                   channel.port1.onmessage = (e) => resolve(e.data);
                   navigator.serviceWorker.controller.postMessage({ type: 'VERSION' }, [channel.port2]);
                   setTimeout(() => reject(new Error('no VERSION answer')), 10000);
               });"#,
            vec![],
        )
        .await;
    value["version"].as_str().expect("a version").to_string()
}

/// The threshold in the `model/model.json` the page gets now (from the cache).
async fn served_threshold(browser: &Browser) -> f64 {
    browser
        .js(
            "return fetch('model/model.json').then(r => r.json()).then(m => m.threshold);",
            vec![],
        )
        .await
        .as_f64()
        .expect("a threshold")
}

/// The page's address as a directory URL (the service worker's scope).
fn scope_of(server: &StaticServer) -> String {
    format!("{}/", server.url.trim_end_matches('/'))
}

/// Visits the page served from `dist` once, stops the server, reloads and classifies.
async fn works_offline(server: &StaticServer, dist: &Path, label: &str) {
    let (version, files) = precache_of(dist);
    let browser = open_page_at(server).await;
    let scope = scope_of(server);
    assert_eq!(registration(&browser).await, (scope.clone(), true));

    // One cache, for this build, holding every listed file under the scope.
    let cached = caches(&browser).await;
    assert_eq!(cached.len(), 1, "{cached:?}");
    assert_eq!(cached[0].0, format!("{CACHE_PREFIX}{version}"));
    let mut urls = cached[0].1.clone();
    urls.sort();
    let mut expected: Vec<String> = files
        .iter()
        .map(|f| scope.clone() + f.trim_start_matches("./"))
        .collect();
    expected.sort();
    assert_eq!(urls, expected, "cached URLs");
    assert_eq!(controller_version(&browser).await, version);

    server.stop();
    // A file outside the precache list goes to the network, which is now gone.
    let probe = browser
        .js(
            "return fetch('sw.js?probe').then(r => 'HTTP ' + r.status, () => 'refused');",
            vec![],
        )
        .await;
    assert_eq!(probe, "refused", "the stopped server still answers");

    browser.client.refresh().await.expect("reloading offline");
    wait_for_model(&browser).await;
    wait_for_offline_state(&browser, "ready").await;
    assert_eq!(registration(&browser).await, (scope.clone(), true));
    let fixture = fixtures::gradient_png();
    choose_files(&browser, std::slice::from_ref(&fixture), label).await;
    let cards = finished_cards(&browser, 1).await;
    assert_native_answer(&cards[0], &fixture);

    // Any address in the scope (say, with a query) gets the app offline.
    browser
        .client
        .goto(&format!("{scope}?source=homescreen"))
        .await
        .expect("opening the page with a query");
    wait_for_model(&browser).await;
    browser.stop().await;
}

#[tokio::test]
async fn after_one_visit_the_page_loads_and_classifies_without_the_server() {
    let _turn = one_at_a_time().await;
    let dist = root().join("dist");
    let server = StaticServer::start(release_build(&dist));
    works_offline(&server, &dist, "offline-root").await;
}

#[tokio::test]
async fn a_sub_path_build_works_offline_under_its_prefix() {
    let _turn = one_at_a_time().await;
    let dist = PathBuf::from(
        std::env::var_os("SPECIAL_WEEK_SUBPATH_DIST").unwrap_or_else(|| {
            panic!(
                "SPECIAL_WEEK_SUBPATH_DIST is not set: it names a build made with \
             `trunk build --release --public-url {SUBPATH} --dist <dir>`; \
             `cargo xtask test` makes one and sets it"
            )
        }),
    );
    let server = StaticServer::start_at(release_build(&dist), SUBPATH);
    assert!(server.url.ends_with(SUBPATH));
    works_offline(&server, &dist, "offline-subpath").await;
}

#[tokio::test]
async fn a_new_release_waits_for_the_user_then_replaces_the_old_cache() {
    let _turn = one_at_a_time().await;
    let v1 = root().join("dist");
    release_build(&v1);
    let v2 = TempBuild::next_release_of(&v1);
    let (v1_version, _) = precache_of(&v1);
    let (v2_version, _) = precache_of(&v2.0);
    assert_ne!(
        v1_version, v2_version,
        "a changed model.json changes the version"
    );
    let v1_threshold = threshold_in(&v1);
    let v2_threshold = threshold_in(&v2.0);

    let server = StaticServer::start(&v1);
    let browser = open_page_at(&server).await;
    assert_eq!(
        cache_names(&browser).await,
        [format!("{CACHE_PREFIX}{v1_version}")]
    );

    // The new release installs in the background and waits; the page still runs the
    // old one, from the old cache.
    server.serve_from(&v2.0);
    browser.client.refresh().await.expect("reloading");
    wait_for_offline_state(&browser, "update").await;
    assert_eq!(controller_version(&browser).await, v1_version);
    assert_eq!(served_threshold(&browser).await, v1_threshold);
    let mut both = vec![
        format!("{CACHE_PREFIX}{v1_version}"),
        format!("{CACHE_PREFIX}{v2_version}"),
    ];
    both.sort();
    assert_eq!(cache_names(&browser).await, both);

    // The user updates: the new service worker takes over and the page reloads into it.
    browser
        .js("window.beforeUpdate = true; return true;", vec![])
        .await;
    browser
        .client
        .find(fantoccini::Locator::Css("#update-button"))
        .await
        .expect("the update button")
        .click()
        .await
        .expect("clicking update");
    wait_across_reload(
        &browser,
        "the reload into the new release",
        OFFLINE_TIMEOUT,
        r#"const s = document.querySelector('#offline-status');
           return window.beforeUpdate === undefined && s && s.dataset.state === 'ready';"#,
    )
    .await;
    wait_for_model(&browser).await;
    assert_eq!(controller_version(&browser).await, v2_version);
    assert_eq!(served_threshold(&browser).await, v2_threshold);
    assert_eq!(
        cache_names(&browser).await,
        [format!("{CACHE_PREFIX}{v2_version}")],
        "only the new release's cache is left"
    );
    browser.stop().await;
}

/// The names of the app's caches, sorted.
async fn cache_names(browser: &Browser) -> Vec<String> {
    let mut names: Vec<String> = caches(browser)
        .await
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.starts_with(CACHE_PREFIX))
        .collect();
    names.sort();
    names
}

fn threshold_in(dist: &Path) -> f64 {
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(dist.join("model").join("model.json")).expect("model.json"),
    )
    .expect("valid model.json");
    meta["threshold"].as_f64().expect("a threshold")
}

/// A copy of a build, removed when dropped.
struct TempBuild(PathBuf);

impl TempBuild {
    /// "The next release" of `dist`: the same files except a slightly different
    /// threshold in `model/model.json`, with `sw.js` written afresh by
    /// `cargo xtask precache`, as a release build would get it.
    fn next_release_of(dist: &Path) -> Self {
        let copy =
            std::env::temp_dir().join(format!("special-week-next-release-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&copy);
        let build = Self(copy);
        copy_build(dist, &build.0, "");
        let mut meta: Value = serde_json::from_str(
            &std::fs::read_to_string(dist.join("model").join("model.json")).expect("model.json"),
        )
        .expect("valid model.json");
        let threshold = meta["threshold"].as_f64().expect("a threshold");
        meta["threshold"] = Value::from(threshold + 0.001);
        std::fs::write(
            build.0.join("model").join("model.json"),
            serde_json::to_string_pretty(&meta).expect("JSON"),
        )
        .expect("writing model.json");
        run_precache(&build.0);
        build
    }
}

impl Drop for TempBuild {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies a build without `sw.js` and `model/model.json` (both are written afresh).
/// Other files are hard links where possible (the model is 60 MB); nothing writes to them.
fn copy_build(from: &Path, to: &Path, relative: &str) {
    std::fs::create_dir_all(to).expect("creating the copy");
    for entry in std::fs::read_dir(from).expect("reading the build") {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("{relative}{name}");
        let target = to.join(&name);
        if entry.file_type().expect("a file type").is_dir() {
            copy_build(&entry.path(), &target, &format!("{path}/"));
        } else if path != "sw.js"
            && path != "model/model.json"
            && std::fs::hard_link(entry.path(), &target).is_err()
        {
            std::fs::copy(entry.path(), &target).expect("copying a file");
        }
    }
}

/// Writes `dist/sw.js` with the xtask generator: `$SPECIAL_WEEK_XTASK precache --dist …`
/// when `cargo xtask test` names its own binary there, else through `cargo run`.
fn run_precache(dist: &Path) {
    let mut command = match std::env::var_os("SPECIAL_WEEK_XTASK") {
        Some(xtask) => Command::new(xtask),
        None => {
            let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
            cargo
                .args(["run", "--quiet", "--package", "xtask", "--"])
                .current_dir(root());
            cargo
        }
    };
    let status = command
        .args(["precache", "--dist"])
        .arg(dist)
        .status()
        .expect("running cargo xtask precache");
    assert!(status.success(), "cargo xtask precache failed: {status}");
}
