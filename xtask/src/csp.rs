//! The Content-Security-Policy of a release build, written into its `index.html` as a
//! `<meta http-equiv>` (a static host sends no headers we control).
//!
//! Trunk starts the page with an inline module script whose text names the hashed bundle
//! files, so it changes with every build; the policy allows exactly that script by its
//! SHA-256 and nothing else inline. The rest is fixed: same-origin scripts, wasm
//! compilation (`'wasm-unsafe-eval'`), workers, images (previews are `blob:` URLs),
//! fetches (the model, `?model=`), and no plugins or `<base>` changes.

use std::path::Path;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

/// Every directive but the inline-script hashes, which are appended to `script-src`.
const POLICY: [&str; 7] = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    "img-src 'self' blob: data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
];

/// Marks the meta element this module writes, so writing again replaces it.
const MARKER: &str = "data-written-by=\"xtask-csp\"";

/// Writes (or rewrites) the policy into the built `index.html`, right after its charset.
pub fn write_into(index: &Path) -> Result<()> {
    let html =
        std::fs::read_to_string(index).with_context(|| format!("reading {}", index.display()))?;
    let html = with_policy(&html)?;
    std::fs::write(index, html).with_context(|| format!("writing {}", index.display()))
}

/// The page with its policy meta element (any earlier one of ours removed first).
fn with_policy(html: &str) -> Result<String> {
    let html = without_policy(html);
    let hashes: Vec<String> = inline_scripts(&html)
        .iter()
        .map(|script| format!("'sha256-{}'", BASE64.encode(Sha256::digest(script))))
        .collect();
    let directives: Vec<String> = POLICY
        .iter()
        .map(|directive| match directive.strip_prefix("script-src ") {
            Some(sources) => [format!("script-src {sources}")]
                .into_iter()
                .chain(hashes.iter().cloned())
                .collect::<Vec<_>>()
                .join(" "),
            None => directive.to_string(),
        })
        .collect();
    let meta = format!(
        "\n    <meta http-equiv=\"Content-Security-Policy\" {MARKER} content=\"{}\" />",
        directives.join("; ")
    );
    let Some(charset) = html.find("<meta charset") else {
        bail!("index.html has no <meta charset> to put the policy after");
    };
    let end = charset
        + html[charset..]
            .find('>')
            .context("an unclosed <meta charset>")?
        + 1;
    Ok(format!("{}{meta}{}", &html[..end], &html[end..]))
}

fn without_policy(html: &str) -> String {
    html.lines()
        .filter(|line| !line.contains(MARKER))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// The text of every `<script>` element without a `src`, exactly as the browser hashes it.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let body_end = body.find("</script>").unwrap_or(body.len());
        if !tag.contains(" src=") {
            scripts.push(&body[..body_end]);
        }
        rest = &body[body_end..];
    }
    scripts
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<html><head>\n<meta charset=\"utf-8\" />\n<title>t</title>\n\
        <script type=\"module\">\nimport init from '/app.js';\n</script>\n\
        <script src=\"/other.js\"></script>\n</head></html>\n";

    #[test]
    fn inline_scripts_are_allowed_by_their_hash_only() {
        let html = with_policy(PAGE).unwrap();
        let hash = BASE64.encode(Sha256::digest("\nimport init from '/app.js';\n"));
        let meta = html
            .lines()
            .find(|line| line.contains("Content-Security-Policy"))
            .unwrap();
        assert!(
            meta.contains(&format!(
                "script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}';"
            )),
            "{meta}"
        );
        assert_eq!(meta.matches("sha256-").count(), 1, "{meta}");
        assert!(meta.contains("object-src 'none'") && !meta.contains("unsafe-inline"));
        let charset = html.find("<meta charset").unwrap();
        assert!(html.find("Content-Security-Policy").unwrap() > charset);
        assert!(html.find("Content-Security-Policy").unwrap() < html.find("<script").unwrap());
    }

    #[test]
    fn writing_again_replaces_the_policy() {
        let once = with_policy(PAGE).unwrap();
        assert_eq!(with_policy(&once).unwrap(), once);
        assert_eq!(once.matches("Content-Security-Policy").count(), 1);
    }
}
