//! The subcommands: glue between the command line, the pipeline and the terminal.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use crate::cli::{BuildArgs, Cli, Command, ExplainArgs, ReportArgs};
use crate::config::{BaseUrl, Config, FileSettings, resolve_site};
use crate::error::{Error, Result, Severity};
use crate::messages::{counts, human_bytes, print_diagnostics, use_color};

/// How a run ended, mapped to the process exit code by `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Clean,
    /// Exit 1: error diagnostics, or `check` found a difference.
    Failed,
}

impl Outcome {
    /// The exit code.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Failed => 1,
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Build(args) => build(&args, false),
        Command::Check(args) => build(&args, true),
        Command::Watch(args) => watch(args),
        Command::Explain(args) => explain(&args),
        Command::Report(args) => report(&args),
    }
}

/// A progress bar on stderr when it is a terminal and there is much to read. It appears once the
/// walk and the cache have said how much (no walk of its own), and counts bytes, so a big file moves
/// it as much as it costs. Files taken from the cache are not counted.
struct Bar {
    enabled: bool,
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
}

impl Bar {
    fn new(config: &Config) -> Bar {
        Bar {
            enabled: !config.quiet && std::io::stderr().is_terminal(),
            bar: std::sync::OnceLock::new(),
        }
    }

    fn finish(&self) {
        if let Some(b) = self.bar.get() {
            b.finish_and_clear();
        }
    }
}

impl crate::Progress for Bar {
    fn start(&self, files: u64, bytes: u64) {
        if !self.enabled || files < 2000 {
            return;
        }
        let bar = indicatif::ProgressBar::new(bytes);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} reading {msg} {wide_bar} {binary_bytes}/{binary_total_bytes} {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(format!("{files} files"));
        let _ = self.bar.set(bar);
    }

    fn file(&self, bytes: u64) {
        if let Some(b) = self.bar.get() {
            b.inc(bytes);
        }
    }
}

fn build(args: &BuildArgs, check: bool) -> Result<Outcome> {
    let start = Instant::now();
    let mut config = Config::from_build_args(args)?;
    if check {
        // `check` compares and reports; it must not write anything, the fingerprint cache included.
        config.cache = false;
    }
    let color = use_color(config.color);
    let bar = Bar::new(&config);
    let mut build = if check {
        crate::build_with_progress(&config, &bar)?
    } else {
        match crate::build_or_reuse(&config, &bar)? {
            crate::Run::Built(b) => *b,
            crate::Run::UpToDate(up) => {
                // Nothing changed since the recorded build: say what it said.
                let s = up.summary;
                let tally = Tally {
                    pages: s.pages as usize,
                    files: s.files as usize,
                    bytes: s.bytes,
                    hints: s.hints as usize,
                    written: 0,
                    unchanged: s.outputs as usize,
                };
                return Ok(finish(&config, color, &up.diagnostics, &tally, start));
            }
        }
    };
    bar.finish();
    // Rendering needs only the plan. `build` gave the graph up while planning; `check` gives it
    // up here (on a big site it is as large as the outputs being rendered).
    drop(std::mem::take(&mut build.graph.nodes));
    // Ctrl-C while outputs are being written lets the writes finish (each is atomic, so no temp file
    // is left and no output is half-written), then exits 130. Before this point the default signal
    // action applies: only the fingerprint cache, itself written atomically, has been written.
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = interrupted.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::SeqCst));
    let (report, mut emit_diags) = crate::render_and_write(&build.plan, &config, check)?;
    if interrupted.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(Error::Interrupted);
    }
    let mut diags = std::mem::take(&mut build.diagnostics);
    diags.append(&mut emit_diags);
    diags.sort();
    diags.dedup();
    let hints = build.plan.hint_count();
    if check {
        let stale = &report.changed;
        for s in stale {
            diags.push(crate::Diagnostic::new(
                Severity::Error,
                "stale-output",
                "",
                format!("{s} is missing or out of date; run `hintgen build`"),
            ));
        }
        let over_budget = diags.iter().any(|d| d.code == "budget");
        print_diagnostics(
            &diags,
            config.format,
            color,
            config.quiet,
            &site_prefix(&config.site),
        );
        let (errors, warnings) = counts(&diags);
        if !config.quiet {
            eprintln!(
                "hintgen check: {} pages, {} files; {} stale output(s); {errors} error(s), {warnings} warning(s)",
                build.plan.pages.len(),
                build.files,
                stale.len()
            );
        }
        return Ok(if errors > 0 || over_budget {
            Outcome::Failed
        } else {
            Outcome::Clean
        });
    }
    crate::record_build(&config, &build, &report, &diags);
    let tally = Tally {
        pages: build.plan.pages.len(),
        files: build.files,
        bytes: build.bytes,
        hints,
        written: report.changed.len(),
        unchanged: report.unchanged,
    };
    Ok(finish(&config, color, &diags, &tally, start))
}

/// What a build's summary line counts.
struct Tally {
    pages: usize,
    files: usize,
    bytes: u64,
    hints: usize,
    written: usize,
    unchanged: usize,
}

/// Prints a build's diagnostics and summary line; the outcome is a failure when there are errors.
fn finish(
    config: &Config,
    color: bool,
    diags: &[crate::Diagnostic],
    t: &Tally,
    start: Instant,
) -> Outcome {
    print_diagnostics(
        diags,
        config.format,
        color,
        config.quiet,
        &site_prefix(&config.site),
    );
    let (errors, warnings) = counts(diags);
    if !config.quiet {
        let dest = config
            .out
            .as_ref()
            .map_or("stdout".to_string(), |o| o.display().to_string());
        eprintln!(
            "hintgen: {} pages, {} files ({}), {} hints; {} output(s) written, {} unchanged in {dest} ({} ms); {errors} error(s), {warnings} warning(s)",
            t.pages,
            t.files,
            human_bytes(t.bytes),
            t.hints,
            t.written,
            t.unchanged,
            start.elapsed().as_millis()
        );
    }
    if errors > 0 {
        Outcome::Failed
    } else {
        Outcome::Clean
    }
}

/// `dist/` — shown before site-relative paths in messages.
fn site_prefix(site: &std::path::Path) -> String {
    let s = site.display().to_string();
    if s.ends_with('/') { s } else { format!("{s}/") }
}

fn watch(args: crate::cli::WatchArgs) -> Result<Outcome> {
    let config = Config::from_build_args(&args.build)?;
    let opts = crate::watch::WatchOptions {
        debounce: std::time::Duration::from_millis(args.debounce),
        poll: args.poll,
        exec: args.exec.clone(),
    };
    crate::watch::run(&config, &opts)?;
    Ok(Outcome::Clean)
}

fn simple_config(
    site: Option<PathBuf>,
    config: Option<&std::path::Path>,
    base_url: Option<&str>,
) -> Result<Config> {
    let (file, _) = FileSettings::load(config)?;
    let site = resolve_site(site.as_deref(), file.site.as_deref())?;
    let base = match base_url.or(file.base_url.as_deref()) {
        Some(b) => BaseUrl::parse(b)?,
        None => BaseUrl::default(),
    };
    Ok(Config {
        site,
        base,
        policy: file.policy,
        server: file.server,
        ..Config::default()
    })
}

fn explain(args: &ExplainArgs) -> Result<Outcome> {
    let (site, page) = match args.args.as_slice() {
        [page] => (None, page.clone()),
        [site, page] => (Some(PathBuf::from(site)), page.clone()),
        _ => return Err(Error::Usage("usage: hintgen explain [SITE] PAGE".into())),
    };
    let config = simple_config(site, args.config.as_deref(), args.base_url.as_deref())?;
    let build = crate::build(&config)?;
    let Some(node) = build.graph.find_page(&page) else {
        let known: Vec<&str> = build
            .plan
            .pages
            .keys()
            .map(String::as_str)
            .take(10)
            .collect();
        return Err(Error::Usage(format!(
            "no page {page:?} in {} (pages include: {})",
            config.site.display(),
            known.join(", ")
        )));
    };
    print!(
        "{}",
        crate::explain::explain(&build.graph, node, &config.policy)
    );
    Ok(Outcome::Clean)
}

fn report(args: &ReportArgs) -> Result<Outcome> {
    let config = simple_config(
        args.site.clone(),
        args.config.as_deref(),
        args.base_url.as_deref(),
    )?;
    let build = crate::build(&config)?;
    let html = crate::report::render(&build.graph, &config.policy);
    match args.output.as_deref() {
        Some(p) if p == std::path::Path::new("-") => {
            use std::io::Write;
            std::io::stdout()
                .write_all(html.as_bytes())
                .map_err(|e| Error::io("<stdout>", e))?;
        }
        out => {
            let dir = out.map_or_else(|| crate::config::default_out(&config.site), PathBuf::from);
            let path = dir.join("report.html");
            crate::output::write_atomic(&path, html.as_bytes())?;
            eprintln!("hintgen: wrote {}", path.display());
        }
    }
    Ok(Outcome::Clean)
}
