//! A tiny static file server for `dist/` on loopback that logs every request.
//!
//! It can serve under a URL prefix (a sub-path build at `/specialweek/`), switch to
//! another directory while running (a new release), and stop for good (the network is
//! gone: connections are refused). It sends [`ISOLATION`]'s headers, as a host set up as
//! the README says, unless started with [`StaticServer::start_plain`] (a host that cannot
//! set headers, such as GitHub Pages).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

/// The headers that make a page cross-origin isolated.
pub const ISOLATION: &str =
    "Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\n";

/// What a server sends besides the files.
#[derive(Clone)]
struct Setup {
    /// Where the site starts (`/` or a prefix such as `/specialweek/`).
    prefix: String,
    /// Whether responses carry [`ISOLATION`].
    isolation: bool,
    /// Paths (relative to the prefix) answered with 404 as if the file were missing.
    missing: Vec<String>,
}

/// Serves a directory on `127.0.0.1` until [`StaticServer::stop`] or the end of the
/// test process.
pub struct StaticServer {
    /// The page's address: `http://127.0.0.1:PORT` at the root, or
    /// `http://127.0.0.1:PORT/prefix/` under a prefix.
    pub url: String,
    log: Arc<Mutex<Vec<String>>>,
    root: Arc<Mutex<PathBuf>>,
    address: SocketAddr,
    stopped: Arc<AtomicBool>,
    acceptor: Mutex<Option<JoinHandle<()>>>,
}

impl StaticServer {
    /// Starts serving `root` on a free loopback port.
    pub fn start(root: &Path) -> Self {
        Self::start_at(root, "/")
    }

    /// Starts serving `root` at `/` without [`ISOLATION`]'s headers, answering 404 for
    /// the paths in `missing` (such as `sw.js`).
    pub fn start_plain(root: &Path, missing: &[&str]) -> Self {
        Self::start_with(
            root,
            Setup {
                prefix: "/".into(),
                isolation: false,
                missing: missing.iter().map(|path| path.to_string()).collect(),
            },
        )
    }

    /// Starts serving `root` under `prefix` (such as `/specialweek/`) on a free loopback
    /// port: `prefix` + path answers with `root/path`, the prefix without its final `/`
    /// redirects to it, and any other path is 404.
    pub fn start_at(root: &Path, prefix: &str) -> Self {
        Self::start_with(
            root,
            Setup {
                prefix: prefix.into(),
                isolation: true,
                missing: Vec::new(),
            },
        )
    }

    fn start_with(root: &Path, setup: Setup) -> Self {
        let prefix = setup.prefix.as_str();
        assert!(
            prefix.starts_with('/') && prefix.ends_with('/'),
            "a prefix starts and ends with /: {prefix}"
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        let address = listener.local_addr().expect("local address");
        let url = if prefix == "/" {
            format!("http://{address}")
        } else {
            format!("http://{address}{prefix}")
        };
        let log = Arc::new(Mutex::new(Vec::new()));
        let root = Arc::new(Mutex::new(root.to_path_buf()));
        let stopped = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (log, root, stopped) = (log.clone(), root.clone(), stopped.clone());
            let setup = setup.clone();
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stopped.load(Ordering::SeqCst) {
                        break; // Dropping the listener closes the port.
                    }
                    let Ok(stream) = stream else { continue };
                    let (log, root, setup) = (log.clone(), root.clone(), setup.clone());
                    thread::spawn(move || {
                        let root = root.lock().expect("served directory").clone();
                        serve(stream, &root, &setup, &log);
                    });
                }
            })
        };
        Self {
            url,
            log,
            root,
            address,
            stopped,
            acceptor: Mutex::new(Some(acceptor)),
        }
    }

    /// How many requests have arrived so far.
    pub fn request_count(&self) -> usize {
        self.log.lock().expect("request log").len()
    }

    /// The paths requested since the `from`-th request.
    pub fn requests_since(&self, from: usize) -> Vec<String> {
        self.log.lock().expect("request log")[from..].to_vec()
    }

    /// Serves `root` from the next request on (a new release at the same address).
    pub fn serve_from(&self, root: &Path) {
        *self.root.lock().expect("served directory") = root.to_path_buf();
    }

    /// Stops for good: once this returns the port is closed and connecting is refused,
    /// as with no network. Requests already being answered finish.
    pub fn stop(&self) {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the acceptor so it sees the flag and drops the listener.
        let _ = TcpStream::connect(self.address);
        if let Some(acceptor) = self.acceptor.lock().expect("acceptor").take() {
            let _ = acceptor.join();
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(mut stream: TcpStream, root: &Path, setup: &Setup, log: &Mutex<Vec<String>>) {
    let prefix = setup.prefix.as_str();
    let mut reader = BufReader::new(stream.try_clone().expect("cloning a socket"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    log.lock().expect("request log").push(path.clone());
    let bare = path.split(['?', '#']).next().unwrap_or("");
    if prefix != "/" && bare == prefix.trim_end_matches('/') {
        let head = format!(
            "HTTP/1.1 301 Moved Permanently\r\nLocation: {prefix}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let _ = stream.write_all(head.as_bytes());
        return;
    }
    let response = match bare
        .strip_prefix(prefix)
        .filter(|relative| !setup.missing.iter().any(|m| m == relative))
        .and_then(|relative| resolve(root, relative))
        .and_then(|file| std::fs::read(&file).ok().map(|b| (file, b)))
    {
        Some((file, body)) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n{}Connection: close\r\n\r\n",
                content_type(&file),
                body.len(),
                if setup.isolation { ISOLATION } else { "" }
            );
            [head.into_bytes(), body].concat()
        }
        None => {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        }
    };
    let _ = stream.write_all(&response);
}

/// The file for a path relative to the served directory (`""` is `index.html`).
fn resolve(root: &Path, relative: &str) -> Option<PathBuf> {
    let path = relative.trim_start_matches('/');
    if path.split('/').any(|part| part == "..") {
        return None;
    }
    let file = if path.is_empty() {
        root.join("index.html")
    } else {
        root.join(path)
    };
    file.is_file().then_some(file)
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "md" => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    }
}
