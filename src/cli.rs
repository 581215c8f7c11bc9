//! The command line, as clap derive types. No logic lives here: [`crate::config`] turns these into a
//! [`crate::config::Config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Exit codes:
  0    finished, no error diagnostics
  1    finished with error diagnostics (broken or escaping references, unreadable files),
       or `check` found stale outputs or exceeded budgets
  2    usage error or fatal error (unreadable site, unwritable output)
  130  interrupted (Ctrl-C)

Settings are read from ./hintgen.toml when it exists (or --config FILE); flags override it.
Data goes to stdout only with `-o -`; diagnostics, progress and the summary go to stderr.";

/// Per-page preload / 103 Early Hints / push manifests and server config for a built site.
#[derive(Debug, Parser)]
#[command(name = "hintgen", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read a built site and write hints, fingerprints and server config.
    #[command(after_help = AFTER_HELP)]
    Build(BuildArgs),
    /// Keep the outputs current while the site changes (bundler --watch, editors).
    #[command(after_help = AFTER_HELP)]
    Watch(WatchArgs),
    /// Exit 1 when the outputs in OUT are stale, references are broken or budgets are exceeded (CI).
    #[command(after_help = AFTER_HELP)]
    Check(BuildArgs),
    /// Show one page's dependency tree: depth, bytes, and whether each resource is hinted (or why not).
    #[command(after_help = AFTER_HELP)]
    Explain(ExplainArgs),
    /// Write a self-contained report.html with a per-page waterfall chart.
    #[command(after_help = AFTER_HELP)]
    Report(ReportArgs),
}

/// Options shared by `build`, `watch` and `check`.
#[derive(Debug, Args, Clone, Default)]
pub struct BuildArgs {
    /// The built site folder [default: dist, when it exists].
    pub site: Option<PathBuf>,
    /// Output folder, or `-` to print one artifact on stdout [default: hintgen-out].
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Settings file [default: ./hintgen.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Artifacts to write, comma-separated: assets,push,hints,headers,nginx,caddy,h2o,apache [default: all].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub emit: Option<Vec<String>>,
    /// Where the site is served: a path prefix (`/app/`) or an absolute URL (`https://example.com/app/`).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Digest for `integrity` values [default: sha256].
    #[arg(long, value_name = "ALG")]
    pub sri: Option<SriArg>,
    /// Merge the `_headers` rules into SITE/_headers (between marker comments) instead of OUT.
    #[arg(long)]
    pub headers_in_site: bool,
    /// Emit server config that uses HTTP/2 server push (with `nopush` and a cache-guard cookie).
    #[arg(long)]
    pub push: bool,
    /// Pages are also served without `.html` / trailing `/index.html` (`/about` for `about.html`).
    #[arg(long)]
    pub clean_urls: bool,
    /// Do not read or write the fingerprint cache (OUT/.hintgen-cache).
    #[arg(long)]
    pub no_cache: bool,
    /// Diagnostics format on stderr.
    #[arg(long, value_name = "FORMAT", default_value = "human")]
    pub format: DiagFormat,
    /// Print only errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// When to use colours on stderr.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
}

/// `watch` options.
#[derive(Debug, Args, Clone)]
pub struct WatchArgs {
    /// Build options.
    #[command(flatten)]
    pub build: BuildArgs,
    /// Quiet time after the last change before rebuilding, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    pub debounce: u64,
    /// Poll the file system instead of using native events (Docker, NFS, WSL).
    #[arg(long)]
    pub poll: bool,
    /// Run this shell command after each rebuild that changed outputs
    /// (the changed outputs are in HINTGEN_CHANGED, newline-separated).
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,
}

/// `explain` options.
#[derive(Debug, Args, Clone)]
pub struct ExplainArgs {
    /// The built site folder, then the page: `hintgen explain dist /about/` (SITE defaults to dist).
    #[arg(value_name = "SITE_OR_PAGE", num_args = 1..=2, required = true)]
    pub args: Vec<String>,
    /// Settings file [default: ./hintgen.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the site is served (see `build --base-url`).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// When to use colours.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
}

/// `report` options.
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// The built site folder [default: dist, when it exists].
    pub site: Option<PathBuf>,
    /// Output folder for report.html, or `-` for stdout [default: hintgen-out].
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Settings file [default: ./hintgen.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the site is served (see `build --base-url`).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

/// `--sri` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SriArg {
    /// SHA-256 (free: it is the fingerprint).
    Sha256,
    /// SHA-384 (an extra hash pass over hinted files).
    Sha384,
    /// SHA-512 (an extra hash pass over hinted files).
    Sha512,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum DiagFormat {
    /// `file:line:col: severity[code]: message`.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
    /// GitHub Actions workflow commands (`::error file=…`).
    Github,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// When stderr is a terminal and NO_COLOR is unset.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
