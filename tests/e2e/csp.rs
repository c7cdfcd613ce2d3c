//! The shipped page carries a Content-Security-Policy, and the suite would see a breach:
//! every session records `securitypolicyviolation` events and [`Browser::stop`] fails on
//! any, so every other test checks the policy holds for what it does (the service worker,
//! the own-model loader, `?model=`, the sub-path build…).

use std::time::Duration;

use crate::browser::Browser;
use crate::{one_at_a_time, open_page};

#[tokio::test]
async fn the_page_has_a_csp_and_a_breach_of_it_is_seen() {
    let _turn = one_at_a_time().await;
    let browser: Browser = open_page().await;
    let policy = browser
        .js(
            "return document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]')\
                 ?.getAttribute('content') ?? null",
            vec![],
        )
        .await;
    let policy = policy.as_str().expect("a CSP meta element").to_string();
    for directive in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval' 'sha256-",
        "worker-src 'self' blob:",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
    ] {
        assert!(policy.contains(directive), "{directive} missing: {policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(browser.csp_violations().await, Vec::<String>::new());

    // An image from another site is blocked and reported (no request leaves the page).
    browser
        .js(
            "const img = new Image(); img.src = 'https://example.invalid/x.png';\
             document.body.append(img);",
            vec![],
        )
        .await;
    browser
        .wait_for(
            "the violation to be recorded",
            Duration::from_secs(10),
            "return (localStorage.getItem('__e2e_csp_violations') ?? '').includes('img-src')",
        )
        .await;
    browser.forget_csp_violations().await;
    browser.stop().await;
}
