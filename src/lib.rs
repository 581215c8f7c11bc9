//! hintgen: from a built site to per-page preload / 103 Early Hints / push manifests and server config.
//!
//! The pipeline is a chain of functions over plain data; only the ends touch the disk:
//!
//! 1. [`walk`] lists the site's regular files (sorted, inside the root only);
//! 2. [`scan`] reads each file once, in parallel, feeding the bytes to the SHA-256 hasher
//!    ([`fingerprint`]) and to the parser for its kind ([`parse`]);
//! 3. [`graph`] resolves every reference with WHATWG URL rules ([`site`]) into an asset graph, and
//!    computes each page's closure with a depth per resource;
//! 4. [`hints`] applies the hint policy and budgets, giving a [`plan::Plan`];
//! 5. [`emit`] renders each artifact from the plan as bytes;
//! 6. [`output`] writes them atomically, leaving identical files untouched.
//!
//! ```no_run
//! let config = hintgen::config::Config {
//!     site: "dist".into(),
//!     ..Default::default()
//! };
//! let build = hintgen::build(&config).unwrap();
//! for page in build.plan.pages.values() {
//!     println!("{}: {} hints", page.url, page.hints.len());
//! }
//! ```

pub mod cache;
pub mod cli;
pub mod commands;
pub mod config;
pub mod emit;
pub mod error;
pub mod explain;
pub mod fingerprint;
pub mod graph;
pub mod hints;
pub mod link;
pub mod messages;
pub mod output;
pub mod packages;
pub mod parse;
pub mod plan;
pub mod report;
pub mod scan;
pub mod site;
pub mod walk;
pub mod watch;

use std::path::Path;

pub use error::{Diagnostic, Error, Result, Severity};

use config::{Artifact, Config};
use emit::OutputFile;
use graph::Graph;
use output::{Written, write_atomic};
use plan::Plan;
use site::UrlSpace;

/// The result of reading and planning a site.
#[derive(Debug, Clone)]
pub struct Build {
    /// The asset graph.
    pub graph: Graph,
    /// What the emitters render.
    pub plan: Plan,
    /// Every diagnostic, sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// Files read.
    pub files: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Files whose fingerprint and parse results came from the cache (`OUT/.hintgen-cache`).
    pub cached: usize,
    /// Set when the cache was used: what [`record_build`] needs besides the files.
    pub run_key: Option<RunKey>,
}

/// Reads the site and plans every page's hints. Every file is read; nothing is written (the fingerprint
/// cache is left alone, so `explain` and library callers have no side effects).
pub fn build(config: &Config) -> Result<Build> {
    scan_and_plan(config, &|_| {}, false, false).map(Run::into_build)
}

/// What `hintgen check` runs: [`build`], telling `progress` how much there is to read and then each
/// file read (a closure `Fn(u64)` hears about files only), and using the fingerprint cache.
///
/// Unless `config.cache` is off or there is no output folder, files unchanged since the last run are
/// taken from `OUT/.hintgen-cache` ([`cache`]) rather than read, and the cache is rewritten (only when
/// it would change) before planning.
pub fn build_with_progress(config: &Config, progress: &dyn Progress) -> Result<Build> {
    scan_and_plan(config, progress, config.cache, false).map(Run::into_build)
}

/// The outcome of [`build_or_reuse`].
#[derive(Debug)]
pub enum Run {
    /// The `build` recorded in OUT still stands (see [`cache::up_to_date`]): nothing to plan, render
    /// or write; print what it printed.
    UpToDate(cache::UpToDate),
    /// The site was read and planned.
    Built(Box<Build>),
}

impl Run {
    fn into_build(self) -> Build {
        match self {
            Run::Built(b) => *b,
            // Only `build_or_reuse` asks for the shortcut.
            Run::UpToDate(_) => unreachable!("run records are only consulted by build_or_reuse"),
        }
    }
}

/// What `hintgen build` runs: [`build_with_progress`], except that when the run recorded in OUT by
/// [`record_build`] still stands (same hintgen, configuration, files and outputs), nothing is planned:
/// the caller prints the recorded diagnostics and summary. The graph is given up while planning, to
/// keep memory low: the build's `graph` has no nodes. With the cache off it is
/// [`build_with_progress`]. `progress` learns how much there is to read once the walk and the cache
/// have said it (so a progress bar needs no walk of its own), then each file read.
pub fn build_or_reuse(config: &Config, progress: &dyn Progress) -> Result<Run> {
    scan_and_plan(config, progress, config.cache, true)
}

/// Progress of the reading stage, for progress bars. A closure `Fn(u64)` is a `Progress` that only
/// hears about files.
pub trait Progress: Sync {
    /// About to read `files` files, `bytes` bytes in all (files taken from the cache not counted).
    fn start(&self, files: u64, bytes: u64) {
        let _ = (files, bytes);
    }
    /// One file was read; `bytes` is its size.
    fn file(&self, bytes: u64);
}

impl<F: Fn(u64) + Sync> Progress for F {
    fn file(&self, bytes: u64) {
        self(bytes)
    }
}

/// After `build` wrote its outputs (`report`, from [`render_and_write`] or [`write_outputs`]) and
/// printed `diagnostics`, records the run for [`build_or_reuse`]. Does nothing when the cache is off
/// or the build was not cached.
pub fn record_build(
    config: &Config,
    build: &Build,
    report: &WriteReport,
    diagnostics: &[Diagnostic],
) {
    let (Some(out), Some(key)) = (config.out.as_deref(), build.run_key) else {
        return;
    };
    let summary = cache::Summary {
        pages: build.plan.pages.len() as u64,
        files: build.files as u64,
        bytes: build.bytes,
        hints: build.plan.hint_count() as u64,
        outputs: report.destinations.len() as u64,
    };
    cache::record_run(
        out,
        key.config,
        key.walk,
        key.files,
        &report.destinations,
        summary,
        diagnostics,
    );
}

/// What identifies a cached build's inputs besides its files, for the run record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunKey {
    config: u64,
    walk: u64,
    files: Option<[u8; 32]>,
}

fn scan_and_plan(
    config: &Config,
    progress: &dyn Progress,
    use_cache: bool,
    reuse_run: bool,
) -> Result<Run> {
    let exclude: Vec<_> = config.out.iter().cloned().collect();
    let started = cache::now_ns();
    let cache_path = cache::path_for(config.out.as_deref(), use_cache);
    let (mut files, mut diagnostics, packages) = walk::walk(&config.site, &exclude)?;
    if packages {
        add_package_files(config, &mut files, &mut diagnostics);
    }
    let run_key = cache_path.as_ref().map(|_| RunKey {
        config: cache::config_id(config),
        walk: cache::diagnostics_id(&diagnostics),
        files: cache::files_key(&files, started),
    });
    // A build with nothing to do stops here, before the cache is even read.
    if reuse_run
        && let (Some(out), Some(key)) = (config.out.as_deref(), run_key)
        && let Some(up) = cache::up_to_date(out, key.config, key.walk, key.files)
    {
        return Ok(Run::UpToDate(up));
    }
    let old = match cache_path
        .as_deref()
        .map(|p| cache::Cache::load(p, config.sri))
    {
        Some(Ok(c)) => c,
        Some(Err(note)) => {
            diagnostics.push(note);
            None
        }
        None => None,
    };
    let matches = old.as_ref().map(|c| c.matches(&files));
    let prior = old.as_ref().zip(matches.as_ref());
    let (count, bytes) = files
        .iter()
        .enumerate()
        .filter(|(i, _)| matches.as_ref().is_none_or(|m| m[*i].is_none()))
        .fold((0, 0), |(n, b), (_, f)| (n + 1, b + f.size));
    progress.start(count, bytes);
    let on_file = |b: u64| progress.file(b);
    if reuse_run {
        let mut build = stream_build(
            config,
            &files,
            prior,
            cache_path.as_deref(),
            started,
            &on_file,
            &mut diagnostics,
        );
        build.run_key = run_key;
        return Ok(Run::Built(Box::new(build)));
    }
    let (scanned, from_cache) = scan::scan_all_cached(&files, config.sri, prior, &on_file);
    save_cache(
        cache_path.as_deref(),
        prior,
        &from_cache,
        || {
            let read = scanned.iter().zip(&from_cache);
            read.map(|(s, &hit)| if hit { None } else { cache::Frames::of(s) })
                .collect()
        },
        (config.sri, started),
        &mut diagnostics,
    );
    drop(old);
    let cached = from_cache.iter().filter(|&&c| c).count();
    let mut build = plan_scanned(config, scanned, &mut diagnostics);
    build.cached = cached;
    build.run_key = run_key;
    Ok(Run::Built(Box::new(build)))
}

/// Adds the files of the site's `node_modules` folders that it loads ([`packages::add_loaded`]).
fn add_package_files(
    config: &Config,
    files: &mut Vec<walk::SiteFile>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Ok(root) = std::fs::canonicalize(&config.site) else {
        return;
    };
    let space = UrlSpace::new(&config.base);
    packages::add_loaded(&root, &space, config.sri, files, diagnostics);
}

/// Rewrites the fingerprint cache at `path` unless every file came from it ([`cache::stream`]:
/// `own` gives the entries of the files read, `(sri, started)` the run); a failed write is a
/// warning.
fn save_cache(
    path: Option<&Path>,
    prior: Option<(&cache::Cache, &cache::Matches)>,
    from_cache: &[bool],
    own: impl FnOnce() -> Vec<Option<Vec<u8>>>,
    (sri, started): (config::Sri, i128),
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(path) = path else { return };
    if cache::unchanged(prior.map(|(c, _)| c), from_cache) {
        return;
    }
    let mut out = output::Stream::new(path);
    let written = cache::stream(&mut out, prior, from_cache, own(), sri, started)
        .map_err(|e| Error::io(path, e))
        .and_then(|()| out.finish());
    if let Err(e) = written {
        diagnostics.push(Diagnostic::new(
            Severity::Warning,
            "cache-unwritable",
            "",
            format!("the fingerprint cache could not be written: {e}"),
        ));
    }
}

/// The graph and plan for files already scanned (used by `check`, `explain` and watch mode).
pub fn plan_scanned(
    config: &Config,
    scanned: Vec<scan::Scanned>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Build {
    let files = scanned.len();
    let bytes = scanned.iter().map(|s| s.size).sum();
    let space = UrlSpace::new(&config.base);
    let outside = walk::outside_links(diagnostics);
    let (graph, mut d) = Graph::build(scanned, &space, outside);
    diagnostics.append(&mut d);
    let (plan, mut d) = hints::plan(&graph, config);
    diagnostics.append(&mut d);
    graph::soften_unloaded_in(&graph, diagnostics);
    diagnostics.sort();
    diagnostics.dedup();
    Build {
        graph,
        plan,
        diagnostics: std::mem::take(diagnostics),
        files,
        bytes,
        cached: 0,
        run_key: None,
    }
}

/// `hintgen build`'s pipeline, for memory: the files that are not pages are read first and resolved
/// into the graph; then the pages are read on all cores, and each is planned as soon as it is read
/// and its references freed. So the pages' references (most of a site's) are never all in memory
/// at once, only their plans. Same plan and diagnostics as [`plan_scanned`] (a test compares them);
/// the build's graph has no nodes.
///
/// A page whose closure could look up another page (it names an HTML file, or has an import map,
/// or a stylesheet or module of the site names one) is planned last, once every page's fingerprint
/// is in the graph. The fingerprint cache, when used, is written after planning.
fn stream_build(
    config: &Config,
    files: &[walk::SiteFile],
    prior: Option<(&cache::Cache, &cache::Matches)>,
    cache_path: Option<&Path>,
    started: i128,
    on_file: &(dyn Fn(u64) + Sync),
    diagnostics: &mut Vec<Diagnostic>,
) -> Build {
    use rayon::prelude::*;
    let page_kind = |rel: &str| parse::FileKind::of(rel) == parse::FileKind::Html;
    let (pages, others): (Vec<usize>, Vec<usize>) =
        (0..files.len()).partition(|&i| page_kind(&files[i].rel));
    let frames_wanted = cache_path.is_some();
    let scan = |i: usize| scan::scan_cached(files, i, config.sri, prior, on_file);
    // A read file's cache entry, made while its scan results are at hand.
    let frame = |s: &scan::Scanned, hit: bool| {
        (frames_wanted && !hit)
            .then(|| cache::Frames::of(s))
            .flatten()
    };

    let read: Vec<(usize, scan::Scanned, bool, Option<Vec<u8>>)> = others
        .par_iter()
        .map(|&i| {
            let (s, hit) = scan(i);
            let f = frame(&s, hit);
            (i, s, hit, f)
        })
        .collect();
    let mut from_cache = vec![false; files.len()];
    let mut frames: Vec<Option<Vec<u8>>> = vec![None; files.len()];
    let mut bytes = 0;
    let mut scanned = Vec::with_capacity(read.len());
    for (i, s, hit, f) in read {
        from_cache[i] = hit;
        frames[i] = f;
        bytes += s.size;
        scanned.push(s);
    }
    let space = UrlSpace::new(&config.base);
    let rels = files.iter().map(|f| f.rel.as_str());
    let outside = walk::outside_links(diagnostics);
    let resolver = graph::Resolver::new(&space, rels, &scanned, outside);
    let built = scanned.into_par_iter().map(|s| resolver.node(s)).collect();
    let (mut graph, mut d) = Graph::from_built(built, &space);
    // Files with broken references, and those that reach them: a page that names one may load
    // them (pages' references are freed as they are planned, so what they name is noted here).
    let broken = graph::files_with_reference_errors(&d);
    let reaching_broken: rustc_hash::FxHashSet<String> = if broken.is_empty() {
        Default::default()
    } else {
        graph
            .reaching(&broken)
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    diagnostics.append(&mut d);

    let names_page =
        |e: &graph::Edge| matches!(&e.target, site::Target::Site { file, .. } if page_kind(file));
    let assets_name_pages = graph.nodes.values().any(|n| n.edges.iter().any(names_page));
    let pool = plan::HintPool::default();
    let index = graph.index();
    struct Page {
        i: usize,
        hit: bool,
        frame: Option<Vec<u8>>,
        /// The page's node without its references, text and import map.
        node: graph::Node,
        /// The whole node of a page planned last.
        later: Option<graph::Node>,
        planned: Option<(plan::PagePlan, Vec<Diagnostic>)>,
        diags: Vec<Diagnostic>,
        /// What the page names among the files that reach a broken reference.
        names_broken: Vec<String>,
    }
    let done: Vec<Page> = pages
        .par_iter()
        .map(|&i| {
            let (s, hit) = scan(i);
            let frame = frame(&s, hit);
            let (node, diags) = resolver.node(s);
            let names_broken = if reaching_broken.is_empty() {
                Vec::new()
            } else {
                node.edges
                    .iter()
                    .filter_map(|e| match &e.target {
                        site::Target::Site { file, .. } if reaching_broken.contains(file) => {
                            Some(file.clone())
                        }
                        _ => None,
                    })
                    .collect()
            };
            let later = assets_name_pages
                || node.page.as_ref().is_some_and(|p| !p.import_map.is_empty())
                || node.edges.iter().any(names_page);
            let planned = (!later)
                .then(|| hints::plan_one(&graph, &node, Some(&index), &pool, &config.policy));
            let (stub, later) = if later {
                (node.stub(), Some(node))
            } else {
                let mut node = node;
                node.shed();
                (node, None)
            };
            Page {
                i,
                hit,
                frame,
                node: stub,
                later,
                planned,
                diags,
                names_broken,
            }
        })
        .collect();
    drop(resolver);
    drop(index);
    let mut planned = Vec::with_capacity(done.len());
    let mut later = Vec::new();
    let mut stubs = Vec::with_capacity(done.len());
    let mut named_broken = Vec::new();
    for mut p in done {
        named_broken.append(&mut p.names_broken);
        from_cache[p.i] = p.hit;
        frames[p.i] = p.frame;
        bytes += p.node.size;
        diagnostics.append(&mut p.diags);
        planned.extend(p.planned);
        later.extend(p.later);
        stubs.push(p.node);
    }
    graph
        .nodes
        .extend(stubs.into_iter().map(|n| (n.rel.clone(), n)));
    if !later.is_empty() {
        let index = graph.index();
        planned.extend(
            later
                .par_iter()
                .map(|page| hints::plan_one(&graph, page, Some(&index), &pool, &config.policy))
                .collect::<Vec<_>>(),
        );
    }
    drop(later);
    if !reaching_broken.is_empty() {
        let loaded = graph.reached_from(named_broken.iter().map(String::as_str));
        graph::soften_unloaded(diagnostics, |f| loaded.contains(f));
    }
    // The cache is written before the plan is assembled, each file's entry freed once written, so
    // the entries are neither held twice nor beside the plan's asset list.
    save_cache(
        cache_path,
        prior,
        &from_cache,
        || frames,
        (config.sri, started),
        diagnostics,
    );
    let (plan, mut d) = hints::assemble(&graph, planned);
    diagnostics.append(&mut d);
    diagnostics.sort();
    diagnostics.dedup();
    Build {
        graph: Graph {
            nodes: Default::default(),
            space,
        },
        plan,
        diagnostics: std::mem::take(diagnostics),
        files: files.len(),
        bytes,
        cached: from_cache.iter().filter(|&&c| c).count(),
        run_key: None,
    }
}

/// Renders every selected artifact. With `headers_in_site`, `_headers` is returned merged with the
/// site's own file, under the path `SITE/_headers` marker (see [`write_outputs`]).
pub fn render_outputs(plan: &Plan, config: &Config) -> (Vec<OutputFile>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut files = Vec::new();
    for &artifact in &config.emit {
        files.extend(emit::render(plan, config, artifact, &mut diags));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    (files, diags)
}

/// What writing the outputs did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Paths (as shown to users) whose bytes changed.
    pub changed: Vec<String>,
    /// Number of outputs already up to date.
    pub unchanged: usize,
    /// Where every output is on disk, written or already up to date (for [`record_build`]).
    pub destinations: Vec<std::path::PathBuf>,
}

impl WriteReport {
    /// Counts one output written to `dest`.
    pub fn record(&mut self, dest: std::path::PathBuf, written: Written) {
        match written {
            Written::Changed => self.changed.push(dest.display().to_string()),
            Written::Unchanged => self.unchanged += 1,
        }
        self.destinations.push(dest);
    }

    /// Adds another report's outputs to this one.
    pub fn absorb(&mut self, other: WriteReport) {
        self.changed.extend(other.changed);
        self.unchanged += other.unchanged;
        self.destinations.extend(other.destinations);
    }
}

/// Where an output goes: OUT/path, or SITE/_headers (merged) with `--headers-in-site`.
fn destination(config: &Config, file: &OutputFile) -> Option<std::path::PathBuf> {
    if config.headers_in_site && file.path == "_headers" {
        return Some(config.site.join("_headers"));
    }
    config.out.as_ref().map(|o| o.join(&file.path))
}

/// The bytes an output should have on disk (the merge of `_headers` into the site's own file).
fn final_bytes<'a>(
    config: &Config,
    file: &'a OutputFile,
    dest: &Path,
) -> std::borrow::Cow<'a, [u8]> {
    if config.headers_in_site && file.path == "_headers" {
        let existing = std::fs::read_to_string(dest).unwrap_or_default();
        let text = String::from_utf8_lossy(&file.bytes);
        let block = text
            .strip_prefix(emit::headers::BEGIN)
            .and_then(|t| t.strip_prefix('\n'))
            .and_then(|t| t.strip_suffix(&format!("{}\n", emit::headers::END)))
            .unwrap_or(&text);
        return emit::headers::merge(&existing, block).into_bytes().into();
    }
    std::borrow::Cow::Borrowed(&file.bytes)
}

/// Writes outputs atomically; files whose bytes are unchanged are not touched. With `-o -` the one
/// output is printed on stdout.
pub fn write_outputs(outputs: &[OutputFile], config: &Config) -> Result<WriteReport> {
    let mut report = WriteReport::default();
    if config.out.is_none() {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        if outputs.len() != 1 {
            return Err(Error::Usage(format!(
                "-o -: this artifact has {} files; write it to a folder instead",
                outputs.len()
            )));
        }
        stdout
            .write_all(&outputs[0].bytes)
            .map_err(|e| Error::io("<stdout>", e))?;
        return Ok(report);
    }
    for f in outputs {
        let Some(dest) = destination(config, f) else {
            continue;
        };
        let bytes = final_bytes(config, f, &dest);
        let inside_out = config.out.as_deref().is_some_and(|o| dest.starts_with(o));
        let written = if inside_out {
            write_atomic(&dest, &bytes)?
        } else {
            output::write_atomic_durable(&dest, &bytes)?
        };
        report.record(dest, written);
    }
    Ok(report)
}

/// Renders and writes the selected artifacts, each written as soon as it is rendered, on all cores,
/// so only the artifacts in flight are in memory (the server configs of a 10,000-page site are tens
/// of megabytes each). Returns what was written and the emitters' diagnostics. With `check`,
/// nothing is written: the report's `changed` lists the outputs that are missing or stale.
pub fn render_and_write(
    plan: &Plan,
    config: &Config,
    check: bool,
) -> Result<(WriteReport, Vec<Diagnostic>)> {
    let mut diags = Vec::new();
    if config.out.is_none() && !check {
        let (outputs, d) = render_outputs(plan, config);
        return Ok((write_outputs(&outputs, config)?, d));
    }
    // Artifacts are independent: each is rendered and written on its own core, so at most one
    // artifact per core is in memory at a time.
    use rayon::prelude::*;
    let artifacts: Vec<Artifact> = config.emit.iter().copied().collect();
    let done: Vec<Result<(WriteReport, Vec<Diagnostic>)>> = artifacts
        .par_iter()
        .map(|&artifact| {
            if let (Some(streamed), Some(out)) = (emit::Streamed::of(artifact), &config.out) {
                return stream_output(plan, config, &out.join(streamed.path()), streamed, check);
            }
            let mut d = Vec::new();
            let files = emit::render(plan, config, artifact, &mut d);
            Ok((settle(&files, config, check)?, d))
        })
        .collect();
    let mut report = WriteReport::default();
    for result in done {
        let (r, mut d) = result?;
        report.absorb(r);
        diags.append(&mut d);
    }
    report.destinations.sort();
    report.changed.sort();
    diags.sort();
    diags.dedup();
    Ok((report, diags))
}

/// Writes (or with `check` compares) one streamed artifact.
pub(crate) fn stream_output(
    plan: &Plan,
    config: &Config,
    dest: &Path,
    streamed: emit::Streamed,
    check: bool,
) -> Result<(WriteReport, Vec<Diagnostic>)> {
    let mut w = if check {
        output::Stream::compare(dest)
    } else {
        output::Stream::new(dest)
    };
    let mut diags = Vec::new();
    let rest = streamed
        .write(plan, config, &mut diags, &mut w)
        .map_err(|e| Error::io(dest, e))?;
    let mut r = WriteReport::default();
    r.record(dest.to_path_buf(), w.finish()?);
    if check {
        // As for the other artifacts, `check` lists stale outputs only.
        r.destinations.clear();
    }
    r.absorb(settle(&rest, config, check)?);
    Ok((r, diags))
}

/// Writes rendered outputs, or with `check` only compares them with the files on disk.
fn settle(files: &[OutputFile], config: &Config, check: bool) -> Result<WriteReport> {
    if !check {
        return write_outputs(files, config);
    }
    let stale = stale_outputs(files, config);
    Ok(WriteReport {
        unchanged: files.len() - stale.len(),
        changed: stale,
        destinations: Vec::new(),
    })
}

/// Compares rendered outputs with what is on disk; returns the stale or missing paths.
pub fn stale_outputs(outputs: &[OutputFile], config: &Config) -> Vec<String> {
    outputs
        .iter()
        .filter_map(|f| {
            let dest = destination(config, f)?;
            let want = final_bytes(config, f, &dest);
            (!output::holds(&dest, &want)).then(|| dest.display().to_string())
        })
        .collect()
}
