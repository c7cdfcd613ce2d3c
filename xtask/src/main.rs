//! `cargo xtask <command>`: install what the web build needs, then serve, build or test.

mod tools;
mod web;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Build, serve and test the Special Week classifier.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install what is missing, then serve the app on http://127.0.0.1:8080 with live reload.
    Serve,
    /// Install what is missing, then build the optimised app into dist/.
    Build(web::BuildOptions),
    /// Install what is missing (incl. Chromium), then run every test: native, wasm in
    /// headless Chromium, and the end-to-end suite against a release build.
    Test,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Serve => web::serve(),
        Command::Build(options) => web::build(&options),
        Command::Test => web::test(),
    }
}
