//! Headless Chromium through chromedriver, one fresh profile per session.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// The chromedriver binary (Debian's `chromium-driver`), overridable with `CHROMEDRIVER`.
fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

/// The browser language of every session unless a test asks for another: Japanese, the
/// page's original language, so the tests that read the page's text read Japanese.
pub const DEFAULT_LANGUAGE: &str = "ja";

/// A running chromedriver with one Chromium session; both end when dropped.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session whose
    /// language is [`DEFAULT_LANGUAGE`].
    pub async fn start() -> Self {
        Self::start_in(DEFAULT_LANGUAGE).await
    }

    /// [`Browser::start`] with `language` (a tag such as `en-US`) as the browser's
    /// language, which the page reads as `navigator.language`.
    pub async fn start_in(language: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver (apt-get install chromium-driver)");
        let profile =
            std::env::temp_dir().join(format!("special-week-e2e-{}-{port}", std::process::id()));
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1000,1400",
            &format!("--lang={language}"),
            &format!("--user-data-dir={}", profile.display()),
        ];
        let options = json!({
            "args": args,
            "prefs": { "intl": { "accept_languages": language } },
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connected = ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await;
            match connected {
                Ok(client) => break client,
                Err(error) if Instant::now() > deadline => {
                    panic!("no chromedriver session: {error}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        let browser = Self {
            client,
            driver,
            profile,
        };
        browser.before_every_page(RECORD_CSP_VIOLATIONS).await;
        browser
    }

    /// The Content-Security-Policy violations the pages of this session's current origin
    /// reported so far (each as `directive blocked URI at path`).
    pub async fn csp_violations(&self) -> Vec<String> {
        let script = format!(
            "try {{ return JSON.parse(localStorage.getItem('{CSP_KEY}') || '[]'); }} \
             catch (_) {{ return []; }}"
        );
        serde_json::from_value(self.js(&script, vec![]).await).unwrap_or_default()
    }

    /// Forgets the violations recorded so far (after a test provoked one on purpose).
    pub async fn forget_csp_violations(&self) {
        self.js(&format!("localStorage.removeItem('{CSP_KEY}')"), vec![])
            .await;
    }

    /// Runs JavaScript in the page and returns its result.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `script` until it returns something other than `null`/`false`, or panics.
    pub async fn wait_for(&self, what: &str, timeout: Duration, script: &str) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.js(script, vec![]).await;
            if !(value.is_null() || value == Value::Bool(false)) {
                return value;
            }
            if Instant::now() > deadline {
                let page = self.js("return document.body.innerText", vec![]).await;
                panic!("timed out waiting for {what}; the page says:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Gives the file input `selector` these files, as a person choosing them would.
    pub async fn choose_files(&self, selector: &str, paths: &[PathBuf]) {
        let input = self
            .client
            .find(fantoccini::Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("no {selector}: {e}"));
        let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        input
            .send_keys(&paths.join("\n"))
            .await
            .unwrap_or_else(|e| panic!("choosing files in {selector}: {e}"));
    }

    /// Runs `script` in every page this session opens from now on, before the page's own
    /// scripts (Chromium's `Page.addScriptToEvaluateOnNewDocument`): a test hook that the
    /// app itself does not carry.
    pub async fn before_every_page(&self, script: &str) {
        let command = Cdp {
            method: "Page.addScriptToEvaluateOnNewDocument",
            params: json!({ "source": script }),
        };
        self.client
            .issue_cmd(command)
            .await
            .unwrap_or_else(|e| panic!("installing a script for every page: {e}"));
    }

    /// Checks that no page of the session broke the Content-Security-Policy, then ends the
    /// session (closing Chromium); dropping then stops chromedriver.
    pub async fn stop(self) {
        let violations = self.csp_violations().await;
        let _ = self.client.clone().close().await;
        assert!(
            violations.is_empty(),
            "Content-Security-Policy violations: {violations:#?}"
        );
    }
}

/// Where [`RECORD_CSP_VIOLATIONS`] keeps what it saw: the origin's `localStorage`, so a
/// reload or a second page of the session adds to the same list.
const CSP_KEY: &str = "__e2e_csp_violations";

/// Records every `securitypolicyviolation` a page reports (installed before the page's
/// own scripts by [`Browser::start`]).
const RECORD_CSP_VIOLATIONS: &str = r#"
    document.addEventListener('securitypolicyviolation', (event) => {
        try {
            const key = '__e2e_csp_violations';
            const seen = JSON.parse(localStorage.getItem(key) || '[]');
            seen.push(`${event.effectiveDirective} blocked ${event.blockedURI} at ${location.pathname}`);
            localStorage.setItem(key, JSON.stringify(seen));
        } catch (_) {}
    });"#;

/// A Chrome DevTools Protocol command, through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    method: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/goog/cdp/execute"))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.method, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
