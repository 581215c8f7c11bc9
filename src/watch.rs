//! Watch mode: keeps the outputs current while a bundler or an editor changes the site.
//!
//! This module owns three things.
//!
//! **From events to change sets.** Native events (inotify and friends) or, with `--poll`, notify's
//! `PollWatcher` only say *that* something happened under a path. A rebuild starts after a quiet window
//! (`--debounce`) with no relevant event anywhere in the site, so a bundler that empties and refills its
//! folder (`vite build --watch`, `webpack --watch`) is seen once, when it is done, never half-written.
//! What happened is then decided by looking at each dirty path, never by the event kind, because editors
//! save in different ways (rename over the file, truncate and write, write a temp file first): a file
//! that is there is re-read and its digest decides whether it changed; a path that is gone removes the
//! file (or every file under a folder); anything else (a folder, a symbolic link, the root itself) asks
//! for a full walk, which re-reads only files whose size, mtime or inode moved or whose mtime is too
//! close to when they were read (the "racy mtime" problem). Our own outputs, our temp files and editor
//! swap and backup files never count as events and are never listed (see [`is_editor_temp`]; a plain
//! `hintgen build` does list them), so they cannot start a rebuild.
//!
//! **Incremental state** (`Incremental`). The graph's nodes, the fingerprints, every diagnostic by
//! file and by page, and the previous [`Plan`] stay in memory. A change replaces only the nodes of
//! changed files ([`Node::from_scanned`]); existence checks are re-run only for files that refer to a
//! file that appeared or vanished; and only pages whose closure touches a changed file are re-planned
//! (each page remembers the files its closure reached or named, missing ones included). A planned
//! page is kept as its [`Node::stub`], without its references, and read again when it must be
//! planned or checked again. The plan built this way is the same as a full build's; the unit tests
//! below check that after every change.
//! Each round also records which parts of the plan changed (pages, assets, the immutable set, the
//! push id), and only the artifacts rendered from those parts are rendered again, in parallel.
//!
//! **The loop's edges.** Outputs are written with [`crate::write_outputs`] (atomic renames, untouched
//! when the bytes are equal). When a round makes new references point at missing files, or removes
//! pages, writing and reporting wait one more quiet window, because a bundler's next files are often
//! just late. The site folder may vanish and come back: its parent is watched too, and the watch is
//! re-armed. A failed rebuild is reported and the loop goes on. Ctrl-C ends the loop between rounds, so
//! no temp file is ever left behind, with [`Error::Interrupted`] (exit 130).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::config::{Artifact, Config, Policy, Sri};
use crate::emit::json::{MapDoc, SplicedDoc};
use crate::error::{Diagnostic, Error, Result, Severity};
use crate::graph::{Graph, Node, manifest_file_edges};
use crate::hints::{asset_of, fits_push, page_plan};
use crate::messages::{counts, format_diagnostic, human_bytes, use_color};
use crate::parse::FileKind;
use crate::parse::vite::ChunkEdges;
use crate::plan::{Asset, Hint, HintPool, PagePlan, Plan};
use crate::scan::{Scanned, scan_one};
use crate::site::UrlSpace;
use crate::walk::{self, SiteFile};

/// Options of `hintgen watch` beyond the build settings.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Quiet time after the last relevant event before a rebuild.
    pub debounce: Duration,
    /// Poll the file system instead of using native events.
    pub poll: bool,
    /// Shell command run after each rebuild that changed outputs.
    pub exec: Option<String>,
}

/// How often `--poll` walks the site. Each poll stats every file, so it is not tied to the debounce;
/// the quiet window grows by one interval in poll mode (a burst can straddle two polls).
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// In poll mode, files modified this recently are re-checked each interval: notify's `PollWatcher`
/// compares mtimes in whole seconds, so a second write in the same second goes unseen.
const POLL_RACY_NS: i128 = 2_000_000_000;

/// How often to look for a vanished site folder coming back.
const ROOT_CHECK: Duration = Duration::from_millis(250);

/// A file whose mtime is this close to when it was read may have changed again within the same mtime
/// tick; a full walk re-reads it. Two seconds covers the coarsest common file systems (FAT).
const RACY_NS: i128 = 2_000_000_000;

/// Pages read at once, by the first build and when a change re-plans pages. Their references are
/// dropped once they are planned, so this bounds what is held beyond the kept graph.
const PAGE_BATCH: usize = 1000;

pub use crate::walk::is_editor_temp;

/// Whether watch mode leaves out a site-relative path: what the walk skips, plus editor files.
fn ignored_rel(rel: &str) -> bool {
    walk::skips_rel(rel) || is_editor_temp(rel.rsplit('/').next().unwrap_or(rel))
}

/// Whether a file read names a file in a `node_modules` folder ([`crate::packages`]).
fn names_packages(s: &Scanned) -> bool {
    s.facts.as_ref().is_some_and(|f| {
        let named = |url: &str| {
            url.match_indices(PACKAGES)
                .any(|(at, _)| url[at + PACKAGES.len()..].starts_with('/'))
        };
        f.refs.iter().any(|r| named(&r.url)) || f.import_map.values().any(|u| named(u))
    })
}

/// `root/a/b` → `a/b` (empty for the root itself); `None` outside the root.
fn rel_in(root: &Path, path: &Path) -> Option<String> {
    path.starts_with(root).then(|| walk::rel_of(root, path))
}

use crate::cache::now_ns;
use crate::packages::{PACKAGES, in_packages};

/// What decides whether a listed file may have changed without an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat {
    size: u64,
    mtime_ns: i128,
    inode: u64,
}

impl Stat {
    fn of(f: &SiteFile) -> Stat {
        Stat {
            size: f.size,
            mtime_ns: f.mtime_ns,
            inode: f.inode,
        }
    }
}

/// A known file: its stat when it was listed, and when it was read.
#[derive(Debug, Clone)]
struct FileEntry {
    stat: Stat,
    read_at_ns: i128,
}

/// Interned site-relative paths. The indexes hold these small ids rather than strings: on a generated
/// site a page's closure reaches about 90 files, so 10,000 pages make some 900,000 (file, page) pairs.
/// Ids are never reused; a name that goes away keeps its id (a few bytes per name ever seen).
#[derive(Debug, Default)]
struct Names {
    ids: FxHashMap<String, u32>,
    names: Vec<String>,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.ids.get(name) {
            return i;
        }
        let i = u32::try_from(self.names.len()).expect("fewer than 2^32 file names");
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), i);
        i
    }

    fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// What a page's plan depends on.
#[derive(Debug, Clone, Default)]
struct PageState {
    /// The URL it is planned under.
    url: String,
    /// The page and every site file its closure reached or named (ids, sorted).
    deps: Vec<u32>,
    /// Files this page may push.
    pushed: Vec<String>,
    /// Page-level diagnostics (bare specifiers, budgets, mismatched preloads).
    diags: Vec<Diagnostic>,
}

/// What one round changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Delta {
    /// Files whose bytes changed.
    changed: Vec<String>,
    /// New files.
    added: Vec<String>,
    /// Files that are gone.
    removed: Vec<String>,
    /// Pages re-planned or removed (site-relative).
    pages: BTreeSet<String>,
    /// URLs of the assets whose entry changed, appeared or vanished.
    assets: BTreeSet<String>,
    /// URLs of the pages whose plan changed, appeared or vanished.
    page_urls: BTreeSet<String>,
    /// Which parts of the plan changed (what the artifacts are rendered from).
    inputs: Inputs,
}

/// Asset URLs and page URLs whose JSON entries changed.
type Dirty<'d> = (&'d BTreeSet<String>, &'d BTreeSet<String>);

/// The parts of a [`Plan`] that changed, so only the artifacts rendered from them are rendered again
/// (see `Inputs::needs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Inputs {
    /// A page's hints changed (more than [`Inputs::hint_meta`]), or a page came or went.
    pages: bool,
    /// Only the integrity, depth, size or push flag of some page's hints changed (see
    /// [`crate::plan::Hint::same_link`]).
    hint_meta: bool,
    /// Some hint's push flag changed.
    push_flags: bool,
    /// Any asset's entry changed.
    assets: bool,
    /// The set of content-hashed (immutable) assets changed.
    immutable: bool,
    /// An asset appeared or vanished, or became or stopped being content-hashed.
    listing: bool,
    /// The push guard id changed.
    build_id: bool,
}

impl Inputs {
    /// Records how a page's plan changed from `old` (`None`: a new page) to `new`.
    fn classify(&mut self, old: Option<&PagePlan>, new: &PagePlan) {
        match old {
            Some(old) if old.same_links(new) => {
                self.hint_meta = true;
                self.push_flags |= !old.same_pushes(new);
            }
            _ => self.pages = true,
        }
    }

    /// Everything (the first render, or after a failed write).
    const ALL: Inputs = Inputs {
        pages: true,
        hint_meta: true,
        push_flags: true,
        assets: true,
        immutable: true,
        listing: true,
        build_id: true,
    };

    fn merge(&mut self, o: Inputs) {
        self.pages |= o.pages;
        self.hint_meta |= o.hint_meta;
        self.push_flags |= o.push_flags;
        self.assets |= o.assets;
        self.immutable |= o.immutable;
        self.listing |= o.listing;
        self.build_id |= o.build_id;
    }

    /// Whether an artifact must be rendered again. What each emitter reads is declared here and
    /// checked by the `render_inputs_are_declared` test, which renders every artifact from plans whose
    /// undeclared parts are scrambled.
    /// `push` is the server configs' push setting: without it they neither name the push guard id
    /// nor read the hints' push flags.
    fn needs(&self, artifact: Artifact, push: bool) -> bool {
        match artifact {
            Artifact::Assets => self.assets,
            Artifact::Hints => self.pages || self.hint_meta,
            Artifact::Push => self.pages || self.push_flags,
            // Its cache rules name the folders whose files are all fingerprinted.
            Artifact::Headers => self.pages || self.listing,
            Artifact::Nginx | Artifact::Caddy | Artifact::Apache | Artifact::H2o => {
                self.pages || self.immutable || (push && (self.build_id || self.push_flags))
            }
        }
    }
}

impl Delta {
    /// Nothing changed.
    fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }

    /// Folds a later round into this one. A file removed and then added back counts as changed;
    /// one added and then removed, as nothing; one changed and then removed, as removed.
    fn merge(&mut self, mut later: Delta) {
        let has = |v: &[String], f: &String| v.binary_search(f).is_ok();
        // The files of `a` that are in `b` (both sorted), in order.
        let both = |a: &[String], b: &[String]| -> Vec<String> {
            a.iter().filter(|f| has(b, f)).cloned().collect()
        };
        later.added.sort();
        later.removed.sort();
        let came_back = both(&later.added, &self.removed);
        let came_and_went = both(&later.removed, &self.added);
        self.removed.retain(|f| !has(&came_back, f));
        self.added.retain(|f| !has(&came_and_went, f));
        self.changed.retain(|f| !has(&later.removed, f));
        later.added.retain(|f| !has(&came_back, f));
        later.removed.retain(|f| !has(&came_and_went, f));
        later.changed.extend(came_back);
        for (mine, theirs) in [
            (&mut self.changed, later.changed),
            (&mut self.added, later.added),
            (&mut self.removed, later.removed),
        ] {
            mine.extend(theirs);
            mine.sort();
            mine.dedup();
        }
        self.pages.extend(later.pages);
        self.assets.extend(later.assets);
        self.page_urls.extend(later.page_urls);
        self.inputs.merge(later.inputs);
    }

    /// `2 changed (a.css, b.css), 1 added (c.html)`.
    fn describe(&self) -> String {
        let list = |v: &[String]| {
            let mut s: Vec<String> = v
                .iter()
                .take(3)
                .map(|r| crate::messages::sanitize(r))
                .collect();
            if v.len() > 3 {
                s.push(format!("+{} more", v.len() - 3));
            }
            s.join(", ")
        };
        let mut parts = Vec::new();
        for (n, what) in [
            (&self.changed, "changed"),
            (&self.added, "added"),
            (&self.removed, "removed"),
        ] {
            if !n.is_empty() {
                parts.push(format!("{} {what} ({})", n.len(), list(n)));
            }
        }
        parts.join(", ")
    }
}

/// The site as last seen: graph nodes, fingerprints, diagnostics and the plan, updated file by file.
#[derive(Debug)]
struct Incremental {
    root: PathBuf,
    exclude: Vec<PathBuf>,
    sri: Sri,
    policy: Policy,
    graph: Graph,
    files: BTreeMap<String, FileEntry>,
    walk_diags: Vec<Diagnostic>,
    scan_diags: HashMap<String, Vec<Diagnostic>>,
    edge_diags: HashMap<String, Vec<Diagnostic>>,
    /// Edges each `.vite/manifest.json` gives, by manifest file.
    manifests: BTreeMap<String, Vec<(String, ChunkEdges)>>,
    /// All manifests' edges by output file, as [`Graph::build`] combines them.
    manifest_edges: HashMap<String, ChunkEdges>,
    /// Ids of the names in the indexes below.
    names: Names,
    /// Target file → files whose own references name it (existing or not).
    referrers: FxHashMap<u32, FxHashSet<u32>>,
    /// File → the files its own references name (sorted), as linked into `referrers`.
    targets: FxHashMap<u32, Box<[u32]>>,
    pages: FxHashMap<String, PageState>,
    /// File → pages whose closure reached it.
    pages_by_file: FxHashMap<u32, FxHashSet<u32>>,
    /// Pushable file → number of pages pushing it.
    pushed: BTreeMap<String, usize>,
    /// The pushed set changed since the push guard id was computed.
    pushed_moved: bool,
    /// Hints shared between pages (see [`HintPool`]).
    pool: HintPool,
    /// Pages read at once (see [`PAGE_BATCH`]).
    page_batch: usize,
    plan: Plan,
    /// Why the last [`Incremental::refresh`] applied nothing, when it did not.
    held: Option<Hold>,
}

/// What one round has done to the graph so far (see [`Incremental::apply`]).
#[derive(Debug, Default)]
struct Round {
    /// Files whose node changed in a way a page's plan can see.
    touched: BTreeSet<String>,
    /// Files that appeared or vanished: their referrers' existence checks change.
    flipped: Vec<String>,
    /// Files read in this round: their existence checks run again.
    recheck: BTreeSet<String>,
    /// Changed files that are not pages and whose references and font use are exactly as before:
    /// only their fingerprint and size moved, so the pages that use them are patched, not planned
    /// again.
    bytes_only: BTreeSet<String>,
    /// A Vite manifest changed, appeared or vanished.
    manifests_changed: bool,
    /// Pages whose full node (with references) is in the graph; they are made stubs again once
    /// planned and checked.
    loaded: BTreeSet<String>,
}

/// How a round finds what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// Look at the paths events named.
    Events,
    /// Walk the whole site.
    Walk,
    /// Re-stat these paths; read only those whose stat moved.
    Recheck,
}

/// What looking at a set of dirty paths found.
#[derive(Debug)]
enum Looked {
    /// Files to read and files gone.
    Files(Vec<SiteFile>, Vec<String>),
    /// Something only a full walk can settle (a folder, a link, the root).
    Walk,
}

impl Incremental {
    /// An empty state for the site at `root` (canonical) with the settings of `config`.
    fn new(root: PathBuf, config: &Config) -> Incremental {
        let space = UrlSpace::new(&config.base);
        Incremental {
            root,
            exclude: config.out.iter().cloned().collect(),
            sri: config.sri,
            policy: config.policy.clone(),
            plan: Plan {
                base_path: space.base_path().to_string(),
                ..Plan::default()
            },
            graph: Graph {
                nodes: BTreeMap::new(),
                space,
            },
            files: BTreeMap::new(),
            walk_diags: Vec::new(),
            scan_diags: HashMap::new(),
            edge_diags: HashMap::new(),
            manifests: BTreeMap::new(),
            manifest_edges: HashMap::new(),
            names: Names::default(),
            referrers: FxHashMap::default(),
            targets: FxHashMap::default(),
            pages: FxHashMap::default(),
            pages_by_file: FxHashMap::default(),
            pushed: BTreeMap::new(),
            pushed_moved: true,
            held: None,
            pool: HintPool::default(),
            page_batch: PAGE_BATCH,
        }
    }

    /// The current plan.
    fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Number of files known.
    fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Total bytes of the files known.
    fn bytes(&self) -> u64 {
        self.graph.nodes.values().map(|n| n.size).sum()
    }

    /// Every diagnostic of the site as it stands, sorted (as [`crate::build`] reports them).
    fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut all: Vec<Diagnostic> = self.walk_diags.clone();
        all.extend(self.scan_diags.values().flatten().cloned());
        all.extend(self.edge_diags.values().flatten().cloned());
        all.extend(self.pages.values().flat_map(|p| p.diags.iter().cloned()));
        if !crate::graph::files_with_reference_errors(&all).is_empty() {
            // Pages are held without their references: start from what their closures reached.
            let reached = self
                .pages_by_file
                .iter()
                .filter(|(_, pages)| !pages.is_empty())
                .map(|(&file, _)| self.names.name(file));
            let loaded = self.graph.reached_from(reached);
            crate::graph::soften_unloaded(&mut all, |f| loaded.contains(f));
        }
        all.sort();
        all.dedup();
        all
    }

    /// Lists the site (a full walk), minus editor files, with the files of its `node_modules`
    /// folders that it loads ([`crate::packages`]: an event in those folders counts only for a
    /// file listed so, [`Incremental::look`]); replaces the walk's diagnostics.
    fn list(&mut self) -> Result<Vec<SiteFile>> {
        let (files, diags, packages) = walk::walk(&self.root, &self.exclude)?;
        self.walk_diags = diags;
        let mut files: Vec<SiteFile> = files.into_iter().filter(|f| !ignored_rel(&f.rel)).collect();
        if packages {
            let (space, sri) = (&self.graph.space, self.sri);
            crate::packages::add_loaded(&self.root, space, sri, &mut files, &mut self.walk_diags);
        }
        Ok(files)
    }

    /// Compares a full listing with what is known: files to read (new, stat moved, racy, or named by
    /// an event) and files gone.
    fn diff(
        &self,
        listed: Vec<SiteFile>,
        evented: &HashSet<String>,
    ) -> (Vec<SiteFile>, Vec<String>) {
        let names: HashSet<&str> = listed.iter().map(|f| f.rel.as_str()).collect();
        let removed = self
            .files
            .keys()
            .filter(|k| !names.contains(k.as_str()))
            .cloned()
            .collect();
        let read = listed
            .into_iter()
            .filter(|f| match self.files.get(&f.rel) {
                None => true,
                Some(e) => {
                    e.stat != Stat::of(f)
                        || e.stat.mtime_ns + RACY_NS >= e.read_at_ns
                        || evented.contains(&f.rel)
                }
            })
            .collect();
        (read, removed)
    }

    /// Looks at dirty paths (absolute, under the root). Files named by events are always read (their
    /// digest decides); with `only_moved`, files whose stat is unchanged are skipped.
    fn look(&self, paths: &BTreeSet<PathBuf>, only_moved: bool) -> Looked {
        let mut read = Vec::new();
        let mut removed = BTreeSet::new();
        for p in paths {
            let Some(rel) = rel_in(&self.root, p) else {
                continue;
            };
            if rel.is_empty() {
                return Looked::Walk;
            }
            // A package file the site loads is one of its files ([`crate::packages`]).
            let package = || in_packages(&rel) && self.files.contains_key(&rel);
            if ignored_rel(&rel) && !package() || self.exclude.iter().any(|x| p.starts_with(x)) {
                continue;
            }
            match std::fs::symlink_metadata(p) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // Gone: the file, or every file under a folder.
                    if self.files.contains_key(&rel) {
                        removed.insert(rel.clone());
                    }
                    let prefix = format!("{rel}/");
                    removed.extend(
                        self.files
                            .range(prefix.clone()..)
                            .take_while(|(k, _)| k.starts_with(&prefix))
                            .map(|(k, _)| k.clone()),
                    );
                }
                Ok(m) if m.is_file() => {
                    // A parent folder may be a link leading out of the site: the walk decides those.
                    match std::fs::canonicalize(p) {
                        Ok(c) if c.starts_with(&self.root) => {}
                        _ => return Looked::Walk,
                    }
                    let file = SiteFile::of(rel, p.clone(), &m);
                    let same = self
                        .files
                        .get(&file.rel)
                        .is_some_and(|e| e.stat == Stat::of(&file));
                    if !(only_moved && same) {
                        read.push(file);
                    }
                }
                // A folder, a link, a FIFO, an unreadable path: the walk lists (or reports) them.
                _ => return Looked::Walk,
            }
        }
        Looked::Files(read, removed.into_iter().collect())
    }

    /// Paths of files modified within `window_ns` of now. notify's `PollWatcher` compares mtimes
    /// in whole seconds, so it misses a second write within the same second as the one it saw;
    /// poll mode re-checks these files' full stat until they are old enough.
    fn recent(&self, window_ns: i128) -> BTreeSet<PathBuf> {
        let now = now_ns();
        self.files
            .iter()
            .filter(|(_, e)| e.stat.mtime_ns + window_ns >= now)
            .map(|(rel, _)| self.root.join(rel))
            .collect()
    }

    /// Looks at dirty paths (or walks everything), reads what may have changed and applies it.
    /// `None` when every file would be gone (a bundler emptying its folder, or a folder being
    /// replaced), or every page while other files stay; [`Incremental::held`] says which. Outputs
    /// are never written for an empty site, nor for one that lost all its pages.
    fn refresh(
        &mut self,
        paths: &BTreeSet<PathBuf>,
        how: How,
        interrupted: &AtomicBool,
    ) -> Result<Option<Delta>> {
        let looked = match how {
            How::Walk => Looked::Walk,
            _ if self.files.is_empty() => Looked::Walk,
            How::Events => self.look(paths, false),
            How::Recheck => self.look(paths, true),
        };
        let walked = matches!(looked, Looked::Walk);
        let (mut read, mut removed) = match looked {
            Looked::Files(read, removed) => (read, removed),
            Looked::Walk => {
                let listed = self.list()?;
                let evented: HashSet<String> =
                    paths.iter().filter_map(|p| rel_in(&self.root, p)).collect();
                self.diff(listed, &evented)
            }
        };
        let added = read
            .iter()
            .filter(|f| !self.files.contains_key(&f.rel))
            .count();
        if self.files.len() + added == removed.len() && !(read.is_empty() && removed.is_empty()) {
            self.held = Some(Hold::Empty);
            return Ok(None);
        }
        // Every page gone while other files stay: a bundler that empties its output folder copies
        // `public/` back at once and writes the pages a second later. Outputs without pages
        // are never what the site will be, so they wait for pages to come back.
        let is_page = |rel: &str| FileKind::of(rel) == FileKind::Html;
        let pages_added = read
            .iter()
            .filter(|f| is_page(&f.rel) && !self.files.contains_key(&f.rel))
            .count();
        let pages_removed = removed.iter().filter(|r| is_page(r)).count();
        if !self.pages.is_empty() && self.pages.len() + pages_added == pages_removed {
            self.held = Some(Hold::NoPages);
            return Ok(None);
        }
        self.held = None;
        let read_at = now_ns();
        let mut scanned = read_files(&read, self.sri, interrupted).ok_or(Error::Interrupted)?;
        // A file that names a package folder may load files of it that are not listed yet: only
        // a full walk finds them ([`Incremental::list`]).
        if !walked && scanned.iter().any(names_packages) {
            let evented: HashSet<String> = read.iter().map(|f| f.rel.clone()).collect();
            let listed = self.list()?;
            let (more, gone) = self.diff(listed, &evented);
            read = more
                .into_iter()
                .filter(|f| !evented.contains(&f.rel))
                .collect();
            scanned.extend(read_files(&read, self.sri, interrupted).ok_or(Error::Interrupted)?);
            removed.extend(gone);
            removed.sort();
            removed.dedup();
        }
        Ok(Some(self.apply(scanned, read_at, removed)))
    }

    /// Applies read files and removals: replaces nodes, re-checks references whose target appeared or
    /// vanished, re-plans the pages whose closure touches a changed file, and updates the plan.
    ///
    /// A planned page is kept as its [`Node::stub`]: its references are the bulk of the graph, and
    /// only planning the page itself reads them. A page to re-plan or re-check that was not read in
    /// this round is read again; when its bytes moved since it was last read, it counts as changed.
    fn apply(&mut self, scanned: Vec<Scanned>, read_at_ns: i128, removed: Vec<String>) -> Delta {
        let mut delta = Delta::default();
        let mut pass = Round::default();
        self.remove(removed, &mut pass, &mut delta);
        self.ingest(scanned, read_at_ns, &mut pass, &mut delta);
        let mut touched = BTreeSet::new();
        let mut reached = BTreeSet::new();
        // Each pass plans and checks what the last one changed. Pages are read again a batch at a
        // time, and each batch is planned and dropped before the next is read. A page whose bytes
        // moved since it was last read is applied as changed, and what it reaches is planned in
        // the next pass.
        loop {
            self.combine_manifests(&mut pass);
            let (affected, patch, recheck) = self.spread(&pass);
            let mut next = Round::default();
            let files: Vec<String> = affected.union(&recheck).cloned().collect();
            for batch in files.chunks(self.page_batch) {
                let need: Vec<String> = batch
                    .iter()
                    .filter(|rel| !pass.loaded.contains(*rel))
                    .filter(|rel| {
                        self.graph
                            .nodes
                            .get(*rel)
                            .is_some_and(|n| n.kind == FileKind::Html && n.ok)
                    })
                    .cloned()
                    .collect();
                let (moved, gone) = self.reload(&need, &mut pass);
                self.remove(gone, &mut next, &mut delta);
                self.ingest(moved, now_ns(), &mut next, &mut delta);
                let of_batch = |set: &BTreeSet<String>| -> BTreeSet<String> {
                    batch.iter().filter(|f| set.contains(*f)).cloned().collect()
                };
                self.recheck_edges(of_batch(&recheck));
                self.replan(
                    &of_batch(&affected),
                    &mut delta.page_urls,
                    &mut delta.inputs,
                );
                for rel in batch {
                    // Read in this round, or read again above (and maybe applied as changed).
                    let read = pass.loaded.remove(rel);
                    let moved = next.loaded.remove(rel);
                    if (read || moved)
                        && let Some(node) = self.graph.nodes.get_mut(rel)
                    {
                        node.shed();
                    }
                }
            }
            self.patch(
                &patch,
                &pass.bytes_only,
                &mut delta.page_urls,
                &mut delta.inputs,
            );
            reached.extend(affected);
            reached.extend(patch);
            touched.append(&mut pass.touched);
            self.shed_all(&pass.loaded);
            if next.touched.is_empty() && next.recheck.is_empty() && !next.manifests_changed {
                self.shed_all(&next.loaded);
                break;
            }
            pass = next;
        }
        let space = &self.graph.space;
        for rel in &touched {
            let url = space.file_url(rel);
            let old = match self.graph.nodes.get(rel).filter(|n| n.ok) {
                Some(n) => self.plan.assets.insert(url.clone(), asset_of(n)),
                None => self.plan.assets.remove(&url),
            };
            let new = self.plan.assets.get(&url);
            if old.as_ref() != new {
                delta.inputs.assets = true;
                delta.assets.insert(url.clone());
                let immutable =
                    |a: Option<&Asset>| a.filter(|a| a.immutable).map(|a| a.path.clone());
                delta.inputs.immutable |= immutable(old.as_ref()) != immutable(new);
                let listed = |a: Option<&Asset>| a.map(|a| a.immutable);
                delta.inputs.listing |= listed(old.as_ref()) != listed(new);
            }
        }
        // The id hashes the pushed files and their digests: recompute it only when either moved.
        if std::mem::take(&mut self.pushed_moved)
            || touched.iter().any(|f| self.pushed.contains_key(f))
        {
            let id = self.build_id();
            delta.inputs.build_id = id != self.plan.build_id;
            self.plan.build_id = id;
        }
        delta.pages = reached;
        delta
    }

    /// Makes these pages stubs again.
    fn shed_all(&mut self, pages: &BTreeSet<String>) {
        for rel in pages {
            if let Some(node) = self.graph.nodes.get_mut(rel) {
                node.shed();
            }
        }
    }

    /// Drops removed files.
    fn remove(&mut self, removed: Vec<String>, round: &mut Round, delta: &mut Delta) {
        for rel in removed {
            if self.files.remove(&rel).is_none() {
                continue;
            }
            if self.graph.nodes.remove(&rel).is_some() {
                self.unlink(&rel);
            }
            self.scan_diags.remove(&rel);
            self.edge_diags.remove(&rel);
            if self.manifests.remove(&rel).is_some() {
                round.manifests_changed = true;
            }
            round.loaded.remove(&rel);
            round.touched.insert(rel.clone());
            round.flipped.push(rel.clone());
            delta.removed.push(rel);
        }
    }

    /// Replaces the nodes of read files whose bytes changed, and adds new ones.
    fn ingest(
        &mut self,
        scanned: Vec<Scanned>,
        read_at_ns: i128,
        round: &mut Round,
        delta: &mut Delta,
    ) {
        let space = self.graph.space.clone();
        for s in scanned {
            let rel = s.file.rel.clone();
            let entry = FileEntry {
                stat: Stat::of(&s.file),
                read_at_ns,
            };
            if self
                .graph
                .nodes
                .get(&rel)
                .is_some_and(|old| same_bytes(old, &s))
            {
                // Same bytes (a touch, a save without changes): only the stat moves.
                self.files.insert(rel, entry);
                continue;
            }
            if s.kind == FileKind::ViteManifest {
                let edges = s
                    .facts
                    .as_ref()
                    .and_then(|f| f.vite_manifest.as_ref())
                    .map(|m| manifest_file_edges(&rel, m));
                let old = match edges {
                    Some(e) => self.manifests.insert(rel.clone(), e),
                    None => self.manifests.remove(&rel),
                };
                round.manifests_changed |= old.as_ref() != self.manifests.get(&rel);
            }
            let (mut node, diags) = Node::from_scanned(s, &space);
            node.set_manifest_edges(self.manifest_edges.get(&rel), &space);
            if node.kind == FileKind::Html {
                round.loaded.insert(rel.clone());
            }
            self.unlink(&rel);
            self.link(&node);
            let max = self.policy.max_file_bytes;
            let is_new = match self.graph.nodes.insert(rel.clone(), node) {
                Some(old) => {
                    let new = &self.graph.nodes[&rel];
                    if old.ok
                        && new.ok
                        && old.kind == new.kind
                        && new.kind != FileKind::Html
                        && old.edges == new.edges
                        && old.font_use == new.font_use
                        && old.size <= max
                        && new.size <= max
                    {
                        round.bytes_only.insert(rel.clone());
                    }
                    false
                }
                None => true,
            };
            if diags.is_empty() {
                self.scan_diags.remove(&rel);
            } else {
                self.scan_diags.insert(rel.clone(), diags);
            }
            self.files.insert(rel.clone(), entry);
            round.recheck.insert(rel.clone());
            round.touched.insert(rel.clone());
            if is_new {
                round.flipped.push(rel.clone());
                delta.added.push(rel);
            } else {
                delta.changed.push(rel);
            }
        }
    }

    /// When a Vite manifest changed: gives every output file the edges all manifests now give it.
    fn combine_manifests(&mut self, round: &mut Round) {
        if !std::mem::take(&mut round.manifests_changed) {
            return;
        }
        let space = self.graph.space.clone();
        let mut combined: HashMap<String, ChunkEdges> = HashMap::new();
        for edges in self.manifests.values() {
            combined.extend(edges.iter().cloned());
        }
        let keys: BTreeSet<String> = combined
            .keys()
            .chain(self.manifest_edges.keys())
            .cloned()
            .collect();
        for k in keys {
            if combined.get(&k) != self.manifest_edges.get(&k)
                && let Some(node) = self.graph.nodes.get_mut(&k)
            {
                node.set_manifest_edges(combined.get(&k), &space);
                round.bytes_only.remove(&k);
                round.touched.insert(k);
            }
        }
        self.manifest_edges = combined;
    }

    /// What a round reaches: the pages to re-plan (their closure reached a touched file whose
    /// references changed, or they are touched pages), the pages whose plans only take new
    /// fingerprints (see [`Incremental::patch`]), and the files whose existence checks run again.
    fn spread(&self, round: &Round) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
        let mut recheck = round.recheck.clone();
        for rel in &round.flipped {
            if let Some(r) = self.names.get(rel).and_then(|id| self.referrers.get(&id)) {
                recheck.extend(r.iter().map(|&i| self.names.name(i).to_string()));
            }
        }
        let mut affected: BTreeSet<String> = BTreeSet::new();
        let mut patch: BTreeSet<String> = BTreeSet::new();
        for rel in &round.touched {
            if let Some(p) = self
                .names
                .get(rel)
                .and_then(|id| self.pages_by_file.get(&id))
            {
                let into = if round.bytes_only.contains(rel) {
                    &mut patch
                } else {
                    &mut affected
                };
                into.extend(p.iter().map(|&i| self.names.name(i).to_string()));
            }
            if FileKind::of(rel) == FileKind::Html {
                affected.insert(rel.clone());
            }
        }
        patch.retain(|p| !affected.contains(p));
        (affected, patch, recheck)
    }

    /// Reads pages again for their references. Those whose bytes are as last read get their full
    /// node back (and join `round.loaded`); the others are returned to be applied as changed, and
    /// those no longer there as gone.
    fn reload(&mut self, rels: &[String], round: &mut Round) -> (Vec<Scanned>, Vec<String>) {
        let root = &self.root;
        let listed: Vec<Result<SiteFile, String>> = rels
            .iter()
            .map(|rel| {
                let path = root.join(rel);
                match std::fs::metadata(&path) {
                    Ok(m) if m.is_file() => Ok(SiteFile::of(rel.clone(), path, &m)),
                    _ => Err(rel.clone()),
                }
            })
            .collect();
        let sri = self.sri;
        let scanned: Vec<Result<Scanned, String>> = listed
            .into_par_iter()
            .map(|f| f.map(|f| scan_one(&f, sri)))
            .collect();
        let space = self.graph.space.clone();
        let mut moved = Vec::new();
        let mut gone = Vec::new();
        for s in scanned {
            let s = match s {
                Ok(s) => s,
                Err(rel) => {
                    gone.push(rel);
                    continue;
                }
            };
            let rel = s.file.rel.clone();
            if !self
                .graph
                .nodes
                .get(&rel)
                .is_some_and(|old| same_bytes(old, &s))
            {
                moved.push(s);
                continue;
            }
            let (mut node, _) = Node::from_scanned(s, &space);
            node.set_manifest_edges(self.manifest_edges.get(&rel), &space);
            self.graph.nodes.insert(rel.clone(), node);
            round.loaded.insert(rel);
        }
        (moved, gone)
    }

    /// Runs the existence checks of `files`' references again.
    fn recheck_edges(&mut self, files: BTreeSet<String>) {
        let space = &self.graph.space;
        let nodes = &self.graph.nodes;
        let exists = |f: &str| nodes.contains_key(f);
        let outside = walk::outside_links(&self.walk_diags);
        for rel in files {
            match nodes.get(&rel) {
                Some(node) => {
                    let d = node.edge_diagnostics(space, &exists, &outside);
                    if d.is_empty() {
                        self.edge_diags.remove(&rel);
                    } else {
                        self.edge_diags.insert(rel, d);
                    }
                }
                None => {
                    self.edge_diags.remove(&rel);
                }
            }
        }
    }

    /// Records a node's own references in the referrer index (after [`Incremental::unlink`] of
    /// what it replaces).
    fn link(&mut self, node: &Node) {
        let from = self.names.id(&node.rel);
        let mut to: Vec<u32> = own_targets(node).map(|t| self.names.id(t)).collect();
        to.sort_unstable();
        to.dedup();
        for &t in &to {
            self.referrers.entry(t).or_default().insert(from);
        }
        if !to.is_empty() {
            self.targets.insert(from, to.into_boxed_slice());
        }
    }

    /// Removes a file's own references from the referrer index.
    fn unlink(&mut self, rel: &str) {
        let Some(from) = self.names.get(rel) else {
            return;
        };
        let Some(to) = self.targets.remove(&from) else {
            return;
        };
        for t in to.iter() {
            if let Some(set) = self.referrers.get_mut(t) {
                set.remove(&from);
                if set.is_empty() {
                    self.referrers.remove(t);
                }
            }
        }
    }

    /// Re-plans `pages` (in parallel) and updates every index that depends on their closures,
    /// recording in `inputs` how their plans changed and in `urls` which.
    fn replan(
        &mut self,
        pages: &BTreeSet<String>,
        urls: &mut BTreeSet<String>,
        inputs: &mut Inputs,
    ) {
        let graph = &self.graph;
        let policy = &self.policy;
        let pool = &self.pool;
        // Planned in parallel; each closure's files are borrowed from the graph's keys, and interned
        // afterwards.
        type Planned<'g> = (crate::plan::PagePlan, PageState, Vec<Cow<'g, str>>);
        // Indexing the graph takes about as long as planning a hundred pages saves with it.
        let index = (pages.len() >= 100).then(|| graph.index());
        let planned: Vec<(String, Option<Planned>)> = pages
            .par_iter()
            .map(|rel| {
                let Some(node) = graph.nodes.get(rel).filter(|n| n.kind == FileKind::Html) else {
                    return (rel.clone(), None);
                };
                let (mut pp, entries, diags) = page_plan(graph, node, index.as_ref(), policy);
                pool.share(&mut pp);
                // A missing file counts too: only its appearing can change what the page gets.
                let mut deps: Vec<Cow<str>> = std::iter::once(Cow::Borrowed(node.rel.as_str()))
                    .chain(
                        entries
                            .into_iter()
                            .filter_map(|e| e.file.map(Cow::Borrowed).or(e.missing)),
                    )
                    .collect();
                deps.sort_unstable();
                deps.dedup();
                let pushed = pushed_files(&pp);
                let state = PageState {
                    url: pp.url.clone(),
                    deps: Vec::new(),
                    pushed,
                    diags,
                };
                (rel.clone(), Some((pp, state, deps)))
            })
            .collect();
        let names = &mut self.names;
        let planned: Vec<(String, Option<(crate::plan::PagePlan, PageState)>)> = planned
            .into_iter()
            .map(|(rel, r)| {
                let r = r.map(|(pp, mut state, deps)| {
                    state.deps = deps.into_iter().map(|d| names.id(&d)).collect();
                    state.deps.sort_unstable();
                    (pp, state)
                });
                (rel, r)
            })
            .collect();
        for (rel, result) in planned {
            let page = self.names.id(&rel);
            let old = self.pages.remove(&rel);
            let new = result.as_ref().map(|(_, st)| st);
            // The indexes change only where the closure or the pushed set changed (a content edit
            // usually changes neither).
            let old_deps = old.as_ref().map_or(&[][..], |o| &o.deps);
            let new_deps = new.map_or(&[][..], |n| &n.deps);
            if old_deps != new_deps {
                for d in old_deps {
                    if let Some(set) = self.pages_by_file.get_mut(d) {
                        set.remove(&page);
                        if set.is_empty() {
                            self.pages_by_file.remove(d);
                        }
                    }
                }
                for &d in new_deps {
                    self.pages_by_file.entry(d).or_default().insert(page);
                }
            }
            let no_files: &[String] = &[];
            let old_pushed = old.as_ref().map_or(no_files, |o| &o.pushed);
            let new_pushed = new.map_or(no_files, |n| &n.pushed);
            self.move_pushed(old_pushed, new_pushed);
            if let Some(old) = &old
                && new.is_none_or(|n| n.url != old.url)
                && self.plan.pages.get(&old.url).is_some_and(|p| p.file == rel)
            {
                self.plan.pages.remove(&old.url);
                urls.insert(old.url.clone());
                inputs.pages = true;
            }
            let Some((pp, state)) = result else { continue };
            match self.plan.pages.get(&pp.url) {
                Some(old) if *old == pp => {}
                old => {
                    inputs.classify(old, &pp);
                    urls.insert(pp.url.clone());
                    self.plan.pages.insert(pp.url.clone(), pp);
                }
            }
            self.pages.insert(rel, state);
        }
        self.pool.prune();
    }

    /// Counts a page's pushed files `new` instead of `old` (both sorted).
    fn move_pushed(&mut self, old: &[String], new: &[String]) {
        if old == new {
            return;
        }
        self.pushed_moved = true;
        for f in old {
            if let Some(n) = self.pushed.get_mut(f) {
                *n -= 1;
                if *n == 0 {
                    self.pushed.remove(f);
                }
            }
        }
        for f in new {
            *self.pushed.entry(f.clone()).or_default() += 1;
        }
    }

    /// Updates the plans of `pages` for `files` whose bytes changed but whose references did not:
    /// their hints take the files' new `integrity` and size, and the push budget is applied again,
    /// exactly as [`page_plan`] would (the closure, the decisions, the order and the `Link` values
    /// cannot change). Records changes as [`Incremental::replan`] does.
    fn patch(
        &mut self,
        pages: &BTreeSet<String>,
        files: &BTreeSet<String>,
        urls: &mut BTreeSet<String>,
        inputs: &mut Inputs,
    ) {
        // Pages share hints: each shared hint is patched (and pooled) once.
        let mut done: FxHashMap<(*const Hint, bool), Arc<Hint>> = FxHashMap::default();
        let mut pushes_moved: Vec<(Vec<String>, Vec<String>)> = Vec::new();
        for rel in pages {
            let Some(state) = self.pages.get_mut(rel) else {
                continue;
            };
            let Some(old) = self.plan.pages.get_mut(&state.url) else {
                continue;
            };
            let mut pushed_bytes = 0u64;
            // Built only from the first hint that changes.
            let mut hints: Option<Vec<Arc<Hint>>> = None;
            for (i, h) in old.hints.iter().enumerate() {
                let node = h
                    .file
                    .as_deref()
                    .filter(|f| files.contains(*f))
                    .and_then(|f| self.graph.nodes.get(f));
                let bytes = node.map_or(h.bytes, |n| n.size);
                let push = fits_push(h, bytes, &mut pushed_bytes, &self.policy);
                let new = if node.is_none() && push == h.push {
                    None
                } else {
                    let new = done.entry((Arc::as_ptr(h), push)).or_insert_with(|| {
                        let mut n = Hint::clone(h);
                        if let Some(node) = node {
                            n.integrity = Some(node.integrity.clone());
                            n.bytes = node.size;
                        }
                        n.push = push;
                        self.pool.intern(Arc::new(n))
                    });
                    (new != h).then(|| new.clone())
                };
                match (new, hints.as_mut()) {
                    (Some(new), Some(v)) => v.push(new),
                    (Some(new), None) => {
                        let mut v = Vec::with_capacity(old.hints.len());
                        v.extend(old.hints[..i].iter().cloned());
                        v.push(new);
                        hints = Some(v);
                    }
                    (None, Some(v)) => v.push(h.clone()),
                    (None, None) => {}
                }
            }
            let Some(hints) = hints else {
                continue;
            };
            let pp = PagePlan {
                url: old.url.clone(),
                file: old.file.clone(),
                hints,
            };
            inputs.classify(Some(old), &pp);
            if !old.same_pushes(&pp) {
                let pushed = pushed_files(&pp);
                pushes_moved.push((std::mem::replace(&mut state.pushed, pushed.clone()), pushed));
            }
            urls.insert(pp.url.clone());
            *old = pp;
        }
        for (old, new) in pushes_moved {
            self.move_pushed(&old, &new);
        }
        drop(done);
        self.pool.prune();
    }

    /// The id of the pushable asset set, as [`crate::hints::plan`] computes it.
    fn build_id(&self) -> String {
        crate::hints::build_id(
            self.pushed
                .keys()
                .filter_map(|f| Some((f.as_str(), self.graph.nodes.get(f)?.sha256.as_str()))),
        )
    }
}

/// The files a page's plan pushes, sorted, once each.
fn pushed_files(pp: &PagePlan) -> Vec<String> {
    let mut pushed: Vec<String> = pp.pushable().filter_map(|h| h.file.clone()).collect();
    pushed.sort();
    pushed.dedup();
    pushed
}

/// Whether a read gives the bytes a node was made from (both read without error).
fn same_bytes(old: &Node, s: &Scanned) -> bool {
    s.ok && old.ok
        && old.size == s.size
        && old.integrity == s.integrity
        && old.sha256 == s.digest.hex()
}

/// Files a node's own references (not the Vite manifest's) name.
fn own_targets(node: &Node) -> impl Iterator<Item = &str> {
    node.edges
        .iter()
        .filter(|e| !e.from_manifest)
        .filter_map(|e| match &e.target {
            crate::site::Target::Site { file, .. } => Some(file.as_str()),
            _ => None,
        })
}

/// Reads files in parallel; `None` when Ctrl-C came first.
fn read_files(files: &[SiteFile], sri: Sri, interrupted: &AtomicBool) -> Option<Vec<Scanned>> {
    let scanned: Vec<Option<Scanned>> = files
        .par_iter()
        .map(|f| (!interrupted.load(Ordering::Relaxed)).then(|| scan_one(f, sri)))
        .collect();
    scanned.into_iter().collect()
}

/// A message to the loop.
enum Msg {
    /// A file-system event (or a watcher error).
    Fs(notify::Result<notify::Event>),
    /// Ctrl-C.
    Interrupt,
}

/// What an event means for the loop.
#[derive(Debug, PartialEq, Eq)]
enum Relevance {
    /// Nothing we care about (reads, our outputs, editor files, siblings of the site folder).
    Ignore,
    /// These paths may have changed; `root` is set when the site folder itself was named.
    Paths { paths: Vec<PathBuf>, root: bool },
    /// Events were lost (queue overflow): walk everything.
    Rescan,
}

/// Opening and reading a file (our own scans among them) change nothing; closing a file opened for
/// writing may end a write.
fn is_read(kind: EventKind) -> bool {
    matches!(kind, EventKind::Access(k) if k != AccessKind::Close(AccessMode::Write))
}

/// Sorts one event.
fn relevance(ev: &notify::Event, root: &Path, out: &[PathBuf]) -> Relevance {
    if ev.need_rescan() {
        return Relevance::Rescan;
    }
    if is_read(ev.kind) {
        return Relevance::Ignore;
    }
    let mut root_named = false;
    let mut paths = Vec::new();
    for p in &ev.paths {
        if p == root {
            root_named = true;
            continue;
        }
        let Some(rel) = rel_in(root, p) else { continue };
        // Events in `node_modules/` pass, for the package files the site loads
        // ([`Incremental::look`] keeps only those).
        if out.iter().any(|o| p.starts_with(o)) || ignored_rel(&rel) && !in_packages(&rel) {
            continue;
        }
        paths.push(p.clone());
    }
    if paths.is_empty() && !root_named {
        Relevance::Ignore
    } else {
        Relevance::Paths {
            paths,
            root: root_named,
        }
    }
}

/// The file-system watcher and what it watches.
struct Arm {
    watcher: Box<dyn Watcher>,
    root: PathBuf,
    poll: bool,
}

impl Arm {
    fn new(root: &Path, poll: bool, tx: mpsc::Sender<Msg>) -> Result<Arm> {
        let handler = move |res: notify::Result<notify::Event>| {
            // Reads (our own scans among them: two events per file read) are dropped here, so the
            // initial build does not queue tens of thousands of them.
            if res.as_ref().is_ok_and(|ev| is_read(ev.kind)) {
                return;
            }
            let _ = tx.send(Msg::Fs(res));
        };
        let watcher: Box<dyn Watcher> = if poll {
            let config = notify::Config::default().with_poll_interval(POLL_INTERVAL);
            Box::new(notify::PollWatcher::new(handler, config).map_err(watch_error)?)
        } else {
            Box::new(notify::recommended_watcher(handler).map_err(watch_error)?)
        };
        let mut arm = Arm {
            watcher,
            root: root.to_path_buf(),
            poll,
        };
        arm.arm()?;
        // The parent, non-recursively, to see the site folder itself vanish and come back (notify's
        // "known problems": a watch on a deleted folder is gone for good).
        if let Some(parent) = root.parent() {
            let _ = arm.watcher.watch(parent, RecursiveMode::NonRecursive);
        }
        Ok(arm)
    }

    /// (Re-)watches the site folder recursively.
    fn arm(&mut self) -> Result<()> {
        let _ = self.watcher.unwatch(&self.root);
        self.watcher
            .watch(&self.root, RecursiveMode::Recursive)
            .map_err(watch_error)
    }
}

fn watch_error(e: notify::Error) -> Error {
    Error::Usage(format!("cannot watch for changes: {e}"))
}

/// A round that waits for one more quiet window before it is written and reported.
struct Pending {
    delta: Delta,
    work: Duration,
    /// New missing references and removed pages already waited for.
    waited: BTreeSet<String>,
    /// When to write if nothing else happens.
    deadline: Option<Instant>,
}

/// What writing the outputs did.
struct Wrote {
    report: crate::WriteReport,
    /// Output files not rendered again (their inputs did not change).
    skipped: usize,
    /// Time spent rendering, added up over the artifacts (several render at once).
    render: Duration,
    /// Time spent writing, added up likewise.
    write: Duration,
    /// From the first render to the last write.
    wall: Duration,
}

/// Why rounds are on hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// The site folder is gone.
    Gone,
    /// Every file of the site is gone.
    Empty,
    /// Every page of the site is gone, other files are not.
    NoPages,
}

/// The loop's state: terminal, outputs, `--exec`.
struct Session<'a> {
    config: &'a Config,
    opts: &'a WatchOptions,
    /// The quiet window (the debounce, plus one poll interval when polling).
    quiet: Duration,
    color: bool,
    site_prefix: String,
    state: Incremental,
    interrupted: Arc<AtomicBool>,
    /// Diagnostics as last reported.
    reported: BTreeSet<Diagnostic>,
    pending: Option<Pending>,
    held: Option<Hold>,
    /// Per artifact: how many files and which diagnostics its last render gave.
    rendered: BTreeMap<Artifact, (usize, Vec<Diagnostic>)>,
    /// The last write failed: render everything next time.
    write_failed: bool,
    /// `assets.json` and `early-hints.json` as last rendered: a change to a few files rewrites a
    /// few entries.
    assets_doc: std::sync::Mutex<SplicedDoc>,
    hints_doc: std::sync::Mutex<SplicedDoc>,
}

fn lock_doc(m: &std::sync::Mutex<SplicedDoc>) -> std::sync::MutexGuard<'_, SplicedDoc> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `hintgen watch`: an initial build, then a rebuild after each quiet window with changes.
/// Returns only on a fatal error, or with [`Error::Interrupted`] on Ctrl-C.
pub fn run(config: &Config, opts: &WatchOptions) -> Result<()> {
    let Some(out) = config.out.clone() else {
        return Err(Error::Usage(
            "watch writes to an output folder; -o - (stdout) is not supported here".into(),
        ));
    };
    let root = std::fs::canonicalize(&config.site).map_err(|e| Error::io(&config.site, e))?;
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    let out_canon = std::fs::canonicalize(&out).map_err(|e| Error::io(&out, e))?;
    let outs = vec![out_canon, crate::config::absolute_lexical(&out)];

    let (tx, rx) = mpsc::channel::<Msg>();
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        let tx = tx.clone();
        // Fails only when a handler is already set (a second watch in one process).
        let _ = ctrlc::set_handler(move || {
            flag.store(true, Ordering::SeqCst);
            let _ = tx.send(Msg::Interrupt);
        });
    }
    let (mut arm, mode) = match Arm::new(&root, opts.poll, tx.clone()) {
        Ok(a) if opts.poll => (a, format!("polling every {} ms", POLL_INTERVAL.as_millis())),
        Ok(a) => (a, "native events".to_string()),
        Err(e) if !opts.poll => {
            // Out of inotify watches, or no native backend: polling still works.
            let a = Arm::new(&root, true, tx.clone())?;
            let mode = format!("polling every {} ms: {e}", POLL_INTERVAL.as_millis());
            (a, mode)
        }
        Err(e) => return Err(e),
    };
    drop(tx);
    let quiet = if arm.poll {
        opts.debounce + POLL_INTERVAL
    } else {
        opts.debounce
    };

    let mut session = Session {
        config,
        opts,
        quiet,
        color: use_color(config.color),
        site_prefix: {
            let s = config.site.display().to_string();
            if s.ends_with('/') { s } else { format!("{s}/") }
        },
        state: Incremental::new(root.clone(), config),
        interrupted: interrupted.clone(),
        reported: BTreeSet::new(),
        pending: None,
        held: None,
        rendered: BTreeMap::new(),
        assets_doc: SplicedDoc::new(MapDoc::Assets).into(),
        hints_doc: SplicedDoc::new(MapDoc::EarlyHints).into(),
        write_failed: false,
    };
    session.initial()?;
    if !config.quiet {
        eprintln!(
            "hintgen: watching {} ({mode}; quiet window {} ms); Ctrl-C to stop",
            crate::messages::sanitize(&config.site.display().to_string()),
            quiet.as_millis()
        );
    }

    // Dirty paths since the last round; a full walk asked for (lost events, watcher errors, a round
    // put on hold); the site folder itself named by an event (re-arm its watch).
    let mut dirty: BTreeSet<PathBuf> = BTreeSet::new();
    let mut walk_all = false;
    let mut rearm = false;
    let mut last_event = Instant::now();
    // Watcher errors already reported.
    let mut said: HashSet<String> = HashSet::new();
    // Poll mode: when to re-check recently modified files (see `Incremental::recent`).
    let mut recheck = session.recheck_time(arm.poll);
    loop {
        if interrupted.load(Ordering::SeqCst) {
            return Err(Error::Interrupted);
        }
        let busy = !dirty.is_empty() || rearm || (walk_all && session.held.is_none());
        let deadline = [session.pending.as_ref().and_then(|p| p.deadline), recheck]
            .into_iter()
            .flatten()
            .min();
        let wait = if busy {
            Some(quiet.saturating_sub(last_event.elapsed()))
        } else if let Some(deadline) = deadline {
            Some(deadline.saturating_duration_since(Instant::now()))
        } else if session.held == Some(Hold::Gone) {
            Some(ROOT_CHECK)
        } else {
            None
        };
        let msg = match wait {
            Some(w) => match rx.recv_timeout(w) {
                Ok(m) => Some(m),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
            },
            None => match rx.recv() {
                Ok(m) => Some(m),
                Err(_) => return Ok(()),
            },
        };
        match msg {
            Some(Msg::Interrupt) => return Err(Error::Interrupted),
            Some(Msg::Fs(Ok(ev))) => match relevance(&ev, &root, &outs) {
                Relevance::Ignore => {}
                Relevance::Rescan => {
                    walk_all = true;
                    last_event = Instant::now();
                }
                Relevance::Paths { paths, root: r } => {
                    dirty.extend(paths);
                    rearm |= r;
                    last_event = Instant::now();
                }
            },
            Some(Msg::Fs(Err(e))) => {
                // A watcher error: report it (once: a poller repeats it every interval) unless the
                // site folder is going away, and settle the state with a full walk.
                let e = crate::messages::sanitize(&e.to_string());
                if root.is_dir() && !config.quiet && said.insert(e.clone()) {
                    eprintln!("hintgen: watch error: {e}");
                }
                walk_all = true;
                rearm = !root.is_dir();
                last_event = Instant::now();
            }
            None if busy => {
                if last_event.elapsed() < quiet {
                    continue;
                }
                if std::mem::take(&mut rearm) {
                    walk_all = true;
                    if root.is_dir()
                        && let Err(e) = arm.arm()
                        && !config.quiet
                    {
                        eprintln!("hintgen: {e}");
                    }
                }
                let paths = std::mem::take(&mut dirty);
                let how = if std::mem::take(&mut walk_all) {
                    How::Walk
                } else {
                    How::Events
                };
                if !session.round(&paths, how) {
                    // On hold (site gone or empty): the next round settles everything with a walk.
                    walk_all = true;
                }
                recheck = session.recheck_time(arm.poll);
            }
            None if session.held == Some(Hold::Gone) => {
                // Waiting for the site folder: when it is back, re-arm and give it a quiet window.
                if root.is_dir() {
                    rearm = true;
                    last_event = Instant::now();
                }
            }
            None => {
                let now = Instant::now();
                if recheck.is_some_and(|t| now >= t) {
                    let recent = session.state.recent(POLL_RACY_NS);
                    if !session.round(&recent, How::Recheck) {
                        walk_all = true;
                    }
                    recheck = session.recheck_time(arm.poll);
                }
                if session
                    .pending
                    .as_ref()
                    .and_then(|p| p.deadline)
                    .is_some_and(|d| now >= d)
                {
                    session.finish();
                }
            }
        }
    }
}

impl Session<'_> {
    /// The first full build: read everything, write, print the diagnostics and a summary.
    fn initial(&mut self) -> Result<()> {
        let start = Instant::now();
        let listed = self.state.list()?;
        // The files that are not pages first, then the pages a batch at a time: each batch is
        // planned and its references dropped before the next is read.
        let (pages, others): (Vec<SiteFile>, Vec<SiteFile>) = listed
            .into_iter()
            .partition(|f| FileKind::of(&f.rel) == FileKind::Html);
        for batch in std::iter::once(&others[..]).chain(pages.chunks(PAGE_BATCH)) {
            let read_at = now_ns();
            let scanned =
                read_files(batch, self.state.sri, &self.interrupted).ok_or(Error::Interrupted)?;
            self.state.apply(scanned, read_at, Vec::new());
        }
        if self.interrupted.load(Ordering::SeqCst) {
            return Err(Error::Interrupted);
        }
        let out = self.write(Inputs::ALL, None)?;
        let report = out.report;
        let diags = self.all_diagnostics();
        self.print_diags(diags.iter());
        let (errors, warnings) = counts(&diags);
        if !self.config.quiet {
            let plan = self.state.plan();
            let hints = plan.hint_count();
            eprintln!(
                "hintgen: {} pages, {} files ({}), {hints} hints; {} output(s) written, {} unchanged ({} ms); {errors} error(s), {warnings} warning(s)",
                plan.pages.len(),
                self.state.file_count(),
                human_bytes(self.state.bytes()),
                report.changed.len(),
                report.unchanged,
                start.elapsed().as_millis()
            );
        }
        self.reported = diags.into_iter().collect();
        self.run_exec(&report.changed);
        Ok(())
    }

    /// Poll mode: when to next re-check files modified in the last seconds, if any.
    fn recheck_time(&self, poll: bool) -> Option<Instant> {
        (poll && self.held.is_none() && !self.state.recent(POLL_RACY_NS).is_empty())
            .then(|| Instant::now() + POLL_INTERVAL)
    }

    /// Puts rounds on hold while the site is gone or empty (said once).
    fn hold(&mut self, why: Hold) {
        if self.held != Some(why) && !self.config.quiet {
            let what = match why {
                Hold::Gone => "the site folder is gone; waiting for it to come back",
                Hold::Empty => "the site folder is empty; waiting for files",
                Hold::NoPages => "every page of the site is gone; waiting for pages",
            };
            eprintln!("hintgen: {what} (outputs left as they are)");
        }
        self.held = Some(why);
    }

    /// One round after a quiet window. Returns false when it was put on hold (nothing applied).
    fn round(&mut self, paths: &BTreeSet<PathBuf>, how: How) -> bool {
        let start = Instant::now();
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.update(paths, how)));
        match result {
            Ok(Ok(Some(delta))) => {
                let was_held = self.held.take().is_some();
                if !delta.is_empty() {
                    self.settle(delta, start.elapsed());
                } else if was_held && self.pending.is_none() && !self.config.quiet {
                    eprintln!("hintgen: the site is back, unchanged; the outputs are up to date");
                }
                true
            }
            Ok(Ok(None)) => false,
            Ok(Err(Error::Interrupted)) => true,
            Ok(Err(e)) => {
                if !self.state.root.is_dir() {
                    self.hold(Hold::Gone);
                    return false;
                }
                let e = crate::messages::sanitize(&e.to_string());
                eprintln!("hintgen: rebuild failed: {e}");
                true
            }
            Err(_) => {
                // A bug (the panic message is above): start over from a clean state, which the
                // next change reads in full.
                eprintln!(
                    "hintgen: rebuild failed (internal error); the next change re-reads the site"
                );
                self.state = Incremental::new(self.state.root.clone(), self.config);
                self.pending = None;
                true
            }
        }
    }

    /// Reads what changed and applies it. `None` when the site is gone, empty or without pages.
    fn update(&mut self, paths: &BTreeSet<PathBuf>, how: How) -> Result<Option<Delta>> {
        if !self.state.root.is_dir() {
            self.hold(Hold::Gone);
            return Ok(None);
        }
        match self.state.refresh(paths, how, &self.interrupted)? {
            Some(delta) => Ok(Some(delta)),
            None => {
                self.hold(self.state.held.unwrap_or(Hold::Empty));
                Ok(None)
            }
        }
    }

    /// Writes now, or waits one more quiet window when the round made references point at missing
    /// files or removed pages that were not waited for yet.
    fn settle(&mut self, delta: Delta, work: Duration) {
        let mut pending = self.pending.take().unwrap_or(Pending {
            delta: Delta::default(),
            work: Duration::ZERO,
            waited: BTreeSet::new(),
            deadline: None,
        });
        pending.delta.merge(delta);
        pending.work += work;
        let mut fresh: BTreeSet<String> = self
            .state
            .diagnostics()
            .into_iter()
            .filter(|d| d.code == "missing-file" && !self.reported.contains(d))
            .map(|d| d.to_string())
            .collect();
        fresh.extend(
            pending
                .delta
                .removed
                .iter()
                .filter(|r| FileKind::of(r) == FileKind::Html)
                .map(|r| format!("removed page {r}")),
        );
        if !fresh.is_subset(&pending.waited) {
            if !self.config.quiet {
                let new: Vec<&String> = fresh.difference(&pending.waited).collect();
                let removed = new
                    .iter()
                    .filter(|f| f.starts_with("removed page "))
                    .count();
                let missing = new.len() - removed;
                eprintln!(
                    "hintgen: waiting one more quiet window ({}): files may still be on their way",
                    match (missing, removed) {
                        (m, 0) => format!("{m} new reference(s) to missing files"),
                        (0, r) => format!("{r} page(s) removed"),
                        (m, r) =>
                            format!("{m} new reference(s) to missing files, {r} page(s) removed"),
                    }
                );
            }
            pending.waited.extend(fresh);
            pending.deadline = Some(Instant::now() + self.quiet);
            self.pending = Some(pending);
            return;
        }
        self.pending = Some(pending);
        self.finish();
    }

    /// Writes the outputs of the pending rounds, prints new diagnostics and the summary line, runs
    /// `--exec`.
    fn finish(&mut self) {
        let Some(mut pending) = self.pending.take() else {
            return;
        };
        if self.interrupted.load(Ordering::SeqCst) {
            return;
        }
        if self.held.is_some() {
            // The site went away since: keep what is pending for the round that brings it back.
            pending.deadline = None;
            self.pending = Some(pending);
            return;
        }
        let mut inputs = pending.delta.inputs;
        let mut dirty = Some((&pending.delta.assets, &pending.delta.page_urls));
        if self.write_failed {
            inputs = Inputs::ALL;
            dirty = None;
        }
        let out = match self.write(inputs, dirty) {
            Ok(o) => o,
            Err(e) => {
                // Rendered again in full next time: what is on disk is unknown.
                self.write_failed = true;
                eprintln!(
                    "hintgen: rebuild failed: {}; the outputs were not all written",
                    crate::messages::sanitize(&e.to_string())
                );
                return;
            }
        };
        self.write_failed = false;
        let report = out.report;
        let elapsed = pending.work + out.wall;
        let diags = self.all_diagnostics();
        let current: BTreeSet<Diagnostic> = diags.iter().cloned().collect();
        let fixed = self.reported.difference(&current).count();
        self.print_diags(diags.iter().filter(|d| !self.reported.contains(d)));
        let (errors, warnings) = counts(&diags);
        if !self.config.quiet {
            let mut line = format!(
                "hintgen: rebuilt in {} ms (update {}, render {}, write {}): {}; {} page(s) affected; {} output(s) written, {} unchanged; {errors} error(s), {warnings} warning(s)",
                elapsed.as_millis(),
                pending.work.as_millis(),
                out.render.as_millis(),
                out.write.as_millis(),
                pending.delta.describe(),
                pending.delta.pages.len(),
                report.changed.len(),
                report.unchanged + out.skipped,
            );
            if fixed > 0 {
                line.push_str(&format!(", {fixed} fixed"));
            }
            eprintln!("{line}");
        }
        self.reported = current;
        self.run_exec(&report.changed);
    }

    /// Renders the artifacts that `inputs` need and writes each as soon as it is rendered, several
    /// at once, so only the artifacts in flight are in memory. Artifacts that were not rendered keep
    /// their files and their diagnostics from the last render. `dirty` lists the URLs of the assets
    /// and of the pages whose entry changed (`None`: unknown, so the JSON files are rendered whole).
    fn write(&mut self, inputs: Inputs, dirty: Option<Dirty<'_>>) -> Result<Wrote> {
        let start = Instant::now();
        let plan = self.state.plan();
        let config = self.config;
        let todo: Vec<Artifact> = config
            .emit
            .iter()
            .copied()
            .filter(|&a| inputs.needs(a, config.server.push))
            .collect();
        type Done = (
            Artifact,
            usize,
            Vec<Diagnostic>,
            crate::WriteReport,
            Duration,
            Duration,
        );
        let one = |&a: &Artifact| -> Result<Done> {
            let t = Instant::now();
            let mut diags = Vec::new();
            // The spliced JSON files are written by their document, in place of their
            // rendering.
            let doc = match a {
                Artifact::Assets => Some((&self.assets_doc, MapDoc::Assets, dirty.map(|d| d.0))),
                Artifact::Hints => Some((&self.hints_doc, MapDoc::EarlyHints, dirty.map(|d| d.1))),
                _ => None,
            };
            if let (Some((doc, kind, dirty)), Some(out)) = (doc, &config.out) {
                let dest = out.join(kind.file());
                let written = lock_doc(doc).write(plan, dirty, &dest)?;
                let mut report = crate::WriteReport::default();
                report.record(dest, written);
                return Ok((a, 1, diags, report, Duration::ZERO, t.elapsed()));
            }
            // The big server configs are written as they are rendered.
            if let (Some(streamed), Some(out)) = (crate::emit::Streamed::of(a), &config.out) {
                let dest = out.join(streamed.path());
                let (report, d) = crate::stream_output(plan, config, &dest, streamed, false)?;
                let n = report.changed.len() + report.unchanged;
                return Ok((a, n, d, report, Duration::ZERO, t.elapsed()));
            }
            let files = crate::emit::render(plan, config, a, &mut diags);
            let render = t.elapsed();
            let t = Instant::now();
            let report = crate::write_outputs(&files, config);
            let n = files.len();
            Ok((a, n, diags, report?, render, t.elapsed()))
        };
        // Everything at once (the first build) is rendered one artifact after another: side by
        // side, the renderers' working sets (each page's `Link` values, for nginx) would add up
        // to the watcher's peak.
        let done: Vec<Result<Done>> = if inputs == Inputs::ALL {
            todo.iter().map(one).collect()
        } else {
            todo.par_iter().map(one).collect()
        };
        let mut wrote = Wrote {
            report: crate::WriteReport::default(),
            skipped: 0,
            render: Duration::ZERO,
            write: Duration::ZERO,
            wall: Duration::ZERO,
        };
        let mut failed = None;
        for d in done {
            match d {
                Ok((a, n, diags, report, render, write)) => {
                    self.rendered.insert(a, (n, diags));
                    wrote.report.absorb(report);
                    wrote.render += render;
                    wrote.write += write;
                }
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        wrote.report.changed.sort();
        wrote.skipped = config
            .emit
            .iter()
            .filter(|a| !todo.contains(a))
            .filter_map(|a| self.rendered.get(a).map(|(n, _)| *n))
            .sum();
        wrote.wall = start.elapsed();
        Ok(wrote)
    }

    /// The site's diagnostics and the emitters' last ones, sorted.
    fn all_diagnostics(&self) -> Vec<Diagnostic> {
        let mut diags = self.state.diagnostics();
        diags.extend(self.rendered.values().flat_map(|(_, d)| d.iter().cloned()));
        diags.sort();
        diags.dedup();
        diags
    }

    fn print_diags<'d>(&self, diags: impl Iterator<Item = &'d Diagnostic>) {
        let stderr = std::io::stderr();
        let mut err = stderr.lock();
        for d in diags {
            if self.config.quiet && d.severity != Severity::Error {
                continue;
            }
            let _ = writeln!(
                err,
                "{}",
                format_diagnostic(d, self.config.format, self.color, &self.site_prefix)
            );
        }
    }

    /// `--exec`: `sh -c CMD` with the changed outputs in `HINTGEN_CHANGED`, after a rebuild that
    /// changed outputs. Its failure is reported; the loop goes on.
    fn run_exec(&self, changed: &[String]) {
        let Some(cmd) = &self.opts.exec else { return };
        if changed.is_empty() {
            return;
        }
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .env("HINTGEN_CHANGED", changed.join("\n"))
            .stdin(std::process::Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => eprintln!("hintgen: --exec command failed ({s})"),
            Err(e) => eprintln!("hintgen: --exec command could not start: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small site, an out folder beside it, and the incremental state after an initial read.
    struct Fixture {
        _dir: tempfile::TempDir,
        site: PathBuf,
        config: Config,
        state: Incremental,
        never: AtomicBool,
        /// `assets.json` and `early-hints.json` kept up to date from each delta, as the watcher does.
        docs: (SplicedDoc, SplicedDoc),
    }

    impl Fixture {
        fn new(files: &[(&str, &str)]) -> Fixture {
            Fixture::with_policy(files, crate::config::Policy::default())
        }

        fn with_policy(files: &[(&str, &str)], policy: crate::config::Policy) -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let site = std::fs::canonicalize(dir.path()).unwrap().join("site");
            std::fs::create_dir_all(&site).unwrap();
            let config = Config {
                site: site.clone(),
                out: Some(dir.path().join("out")),
                policy,
                ..Config::default()
            };
            let mut state = Incremental::new(site.clone(), &config);
            // Pages are read again one at a time, so the batching is exercised too.
            state.page_batch = 1;
            let mut f = Fixture {
                _dir: dir,
                site,
                config,
                state,
                never: AtomicBool::new(false),
                docs: (
                    SplicedDoc::new(MapDoc::Assets),
                    SplicedDoc::new(MapDoc::EarlyHints),
                ),
            };
            for (rel, text) in files {
                f.write(rel, text);
            }
            let delta = f.sync(&[], true).unwrap();
            assert_eq!(delta.added.len(), files.len());
            f
        }

        fn path(&self, rel: &str) -> PathBuf {
            self.site.join(rel)
        }

        fn write(&self, rel: &str, text: &str) {
            let p = self.path(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }

        /// A round for these dirty paths (as events would name them); checks the result against a
        /// full build of the same folder.
        fn sync(&mut self, dirty: &[&str], full: bool) -> Option<Delta> {
            let paths: BTreeSet<PathBuf> = dirty.iter().map(|r| self.path(r)).collect();
            let how = if full { How::Walk } else { How::Events };
            let before = self.state.plan().clone();
            let delta = self.state.refresh(&paths, how, &self.never).unwrap();
            if let Some(d) = &delta {
                self.check();
                // An artifact that is not rendered again must render the same bytes.
                for a in Artifact::ALL {
                    if !d.inputs.needs(a, self.config.server.push) {
                        assert_eq!(
                            render(&before, &self.config, a),
                            render(self.state.plan(), &self.config, a),
                            "{a:?} changed but was not marked"
                        );
                    }
                }
                // The spliced JSON files equal a whole render.
                let plan = self.state.plan();
                let out = self.config.out.clone().unwrap();
                let docs = [
                    (
                        Artifact::Assets,
                        MapDoc::Assets,
                        &mut self.docs.0,
                        &d.assets,
                    ),
                    (
                        Artifact::Hints,
                        MapDoc::EarlyHints,
                        &mut self.docs.1,
                        &d.page_urls,
                    ),
                ];
                for (artifact, kind, doc, dirty) in docs {
                    if d.inputs.needs(artifact, false) {
                        let dest = out.join(kind.file());
                        doc.write(plan, Some(dirty), &dest).unwrap();
                        let want = render(plan, &self.config, artifact).0.remove(0).bytes;
                        let have = std::fs::read(&dest).unwrap();
                        assert_eq!(String::from_utf8(have), String::from_utf8(want), "{kind:?}");
                    }
                }
            }
            delta
        }

        fn check(&self) {
            let full = crate::build(&self.config).unwrap();
            assert_eq!(self.state.plan(), &full.plan);
            assert_eq!(self.state.diagnostics(), full.diagnostics);
        }

        fn hints(&self, page: &str) -> Vec<String> {
            self.state.plan().pages[page]
                .hints
                .iter()
                .map(|h| h.url.clone())
                .collect()
        }
    }

    fn render(
        plan: &Plan,
        config: &Config,
        a: Artifact,
    ) -> (Vec<crate::emit::OutputFile>, Vec<Diagnostic>) {
        let mut d = Vec::new();
        let files = crate::emit::render(plan, config, a, &mut d);
        (files, d)
    }

    /// `Inputs::needs` declares what each emitter reads: scrambling anything else must not change
    /// its output.
    #[test]
    fn render_inputs_are_declared() {
        let f = site();
        let mut config = f.config.clone();
        for push in [false, true] {
            config.server.push = push;
            let plan = f.state.plan().clone();
            // Undeclared for the page artifacts: assets and the push guard id.
            let mut no_assets = plan.clone();
            no_assets.assets.clear();
            no_assets.build_id = "0000".into();
            // Undeclared for assets.json: pages and the id.
            let mut no_pages = plan.clone();
            no_pages.pages.clear();
            no_pages.build_id = "0000".into();
            // Undeclared for server config and `_headers`: everything about an asset but its path
            // and whether it is immutable.
            let mut other_digests = plan.clone();
            for a in other_digests.assets.values_mut() {
                a.size += 1;
                a.sha256 = "00".repeat(32);
                a.integrity = "sha256-x".into();
                a.mime = "x/y".into();
            }
            // Every hint of the plan changed by `change`.
            let hints_changed = |change: &dyn Fn(&mut crate::plan::Hint)| {
                let mut p = plan.clone();
                p.pages
                    .values_mut()
                    .flat_map(|p| p.hints.iter_mut())
                    .for_each(|h| change(std::sync::Arc::make_mut(h)));
                p
            };
            // Undeclared for all but early-hints.json: the hints' integrity, depth and size.
            let hint_meta = hints_changed(&|h| {
                h.integrity = Some("sha256-x".into());
                h.depth += 7;
                h.bytes += 1;
            });
            // Undeclared for nginx, Caddy and Apache with push off: the push guard id and the
            // hints' push flags (for `_headers`, the push flags always).
            let mut other_id = plan.clone();
            other_id.build_id = "0000".into();
            let other_push = hints_changed(&|h| h.push = !h.push);
            for a in Artifact::ALL {
                let want = render(&plan, &config, a);
                let scrambled: Vec<&Plan> = match a {
                    Artifact::Assets => vec![&no_pages],
                    Artifact::Hints => vec![&no_assets],
                    Artifact::Push => vec![&no_assets, &hint_meta],
                    // Its cache rules read the assets' paths and immutable flags (`listing`).
                    Artifact::Headers => vec![&other_digests, &hint_meta, &other_push],
                    Artifact::Nginx | Artifact::Caddy | Artifact::Apache | Artifact::H2o
                        if !push =>
                    {
                        vec![&other_digests, &hint_meta, &other_id, &other_push]
                    }
                    _ => vec![&other_digests, &hint_meta],
                };
                for p in scrambled {
                    assert_eq!(
                        render(p, &config, a),
                        want,
                        "{a:?} reads an undeclared input"
                    );
                }
            }
        }
    }

    const INDEX: &str = r#"<!doctype html><html><head>
<link rel="stylesheet" href="/a.css">
<script type="module" src="/main.js"></script>
</head><body><img src="/img.png" fetchpriority="high"> Hello</body></html>"#;
    const ABOUT: &str = r#"<!doctype html><html><head>
<link rel="stylesheet" href="/b.css"></head><body>About</body></html>"#;

    fn site() -> Fixture {
        Fixture::new(&[
            ("index.html", INDEX),
            ("about/index.html", ABOUT),
            ("a.css", "@import url(c.css);\nbody{color:red}\n"),
            (
                "c.css",
                "@font-face{font-family:F;src:url(f-Cb4Tsa0V.woff2) format('woff2')}\nbody{font-family:F}\n",
            ),
            ("b.css", "p{margin:0}\n"),
            ("main.js", "import './dep.js';\nconsole.log(1);\n"),
            ("dep.js", "export const x = 1;\n"),
            ("f-Cb4Tsa0V.woff2", "font"),
            ("img.png", "png"),
        ])
    }

    /// Random edits, additions and removals, each followed by a round; every round is checked
    /// against a full build (in `sync`).
    #[test]
    fn random_changes_match_a_full_build() {
        let mut f = site();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let css = ["a.css", "b.css", "c.css", "d.css"];
        let js = ["main.js", "dep.js", "x.js"];
        let pages = ["index.html", "about/index.html", "p/1.html", "p/2.html"];
        for step in 0..80 {
            let mut dirty: Vec<String> = Vec::new();
            match next(6) {
                0 => {
                    let (c, d) = (css[next(4)], css[next(4)]);
                    f.write(c, &format!("@import url(/{d});\n.s{step}{{color:red}}\n"));
                    dirty.push(c.into());
                }
                1 => {
                    let (j, k) = (js[next(3)], js[next(3)]);
                    f.write(j, &format!("import './{k}';\nexport const s = {step};\n"));
                    dirty.push(j.into());
                }
                2 => {
                    let p = pages[next(4)];
                    let (c, j) = (css[next(4)], js[next(3)]);
                    f.write(
                        p,
                        &format!(
                            "<link rel=stylesheet href=/{c}><script type=module src=/{j}></script>\
                             <img src=/img.png fetchpriority=high>{step}"
                        ),
                    );
                    dirty.push(p.into());
                }
                3 => {
                    let all = [&css[..], &js[..], &pages[..]].concat();
                    let victim = all[next(all.len())];
                    let _ = std::fs::remove_file(f.path(victim));
                    dirty.push(victim.into());
                }
                4 => {
                    f.write("img.png", &format!("png{step}"));
                    dirty.push("img.png".into());
                }
                _ => {
                    // A save by rename over the target.
                    let c = css[next(4)];
                    f.write("tmp.save", &format!("b{{margin:{step}px}}"));
                    std::fs::rename(f.path("tmp.save"), f.path(c)).unwrap();
                    dirty.extend(["tmp.save".to_string(), c.to_string()]);
                }
            }
            let dirty: Vec<&str> = dirty.iter().map(String::as_str).collect();
            let full = next(5) == 0;
            f.sync(&dirty, full);
        }
    }

    /// A file whose bytes change but whose references do not is patched into the plans, and the
    /// push budget and the size limit apply as in a full build.
    #[test]
    fn changed_bytes_patch_the_plans() {
        let policy = crate::config::Policy {
            max_push_bytes: 100,
            max_file_bytes: 200,
            ..crate::config::Policy::default()
        };
        let page = "<link rel=stylesheet href=/a.css><link rel=stylesheet href=/b.css>Hi";
        let mut f = Fixture::with_policy(
            &[
                ("index.html", page),
                ("p.html", page),
                ("a.css", "a{}"),
                ("b.css", "b{}"),
            ],
            policy,
        );
        let pushed = |f: &Fixture| -> Vec<String> {
            f.state.plan().pages["/"]
                .pushable()
                .map(|h| h.url.clone())
                .collect()
        };
        assert_eq!(pushed(&f), ["/a.css", "/b.css"]);
        // a.css grows: b.css no longer fits the push budget.
        f.write("a.css", &format!("a{{}}/*{}*/", "x".repeat(92)));
        let d = f.sync(&["a.css"], false).unwrap();
        assert_eq!(d.pages.len(), 2);
        assert!(d.inputs.push_flags && !d.inputs.pages, "{d:?}");
        assert_eq!(pushed(&f), ["/a.css"]);
        // Only the fingerprint moves.
        f.write("a.css", &format!("a{{}}/*{}*/", "y".repeat(92)));
        let d = f.sync(&["a.css"], false).unwrap();
        assert!(!d.inputs.pages && !d.inputs.push_flags && d.inputs.hint_meta);
        // Over the size limit: no longer hinted (planned again, not patched).
        f.write("a.css", &format!("a{{}}/*{}*/", "z".repeat(250)));
        f.sync(&["a.css"], false).unwrap();
        let hinted: Vec<String> = f.state.plan().pages["/"]
            .iter()
            .map(|h| h.url.clone())
            .collect();
        assert_eq!(hinted, ["/b.css"]);
        // Back under it.
        f.write("a.css", "a{}");
        f.sync(&["a.css"], false).unwrap();
        assert_eq!(pushed(&f), ["/a.css", "/b.css"]);
    }

    #[test]
    fn edit_replans_only_the_pages_that_use_the_file() {
        let mut f = site();
        assert!(f.hints("/").contains(&"/c.css".to_string()));
        f.write("c.css", "body{color:blue}\n");
        let d = f.sync(&["c.css"], false).unwrap();
        assert_eq!(d.changed, vec!["c.css"]);
        assert!(d.inputs.pages && d.inputs.assets && !d.inputs.immutable);
        assert_eq!(d.pages, BTreeSet::from(["index.html".to_string()]));
        assert!(!f.hints("/").contains(&"/f-Cb4Tsa0V.woff2".to_string()));
        // Same bytes again (a touch, a save without changes): nothing to do.
        f.write("c.css", "body{color:blue}\n");
        assert!(f.sync(&["c.css"], false).unwrap().is_empty());
    }

    /// Planned pages keep no references; a page re-planned for a change elsewhere is read again,
    /// and when it changed since (no event for it yet) it counts as changed.
    #[test]
    fn pages_are_read_again_to_be_planned() {
        let mut f = site();
        assert!(f.state.graph.nodes["index.html"].edges.is_empty());
        // b.css gains a reference: about/index.html is read again and planned with its references.
        f.write("b.css", "p{background:url(img.png)}\n");
        let d = f.sync(&["b.css"], false).unwrap();
        assert_eq!(d.pages, BTreeSet::from(["about/index.html".to_string()]));
        assert!(d.changed == vec!["b.css"] && d.added.is_empty());
        // The page changes with no event for it; c.css gains a reference, so index.html is read
        // again: it counts as changed, and its new references are planned.
        f.write("index.html", &INDEX.replace("/img.png", "/new.png"));
        f.write("c.css", "body{background:url(img.png)}\n");
        let d = f.sync(&["c.css"], false).unwrap();
        assert_eq!(d.changed, vec!["c.css", "index.html"]);
        assert!(f.hints("/").contains(&"/c.css".to_string()));
        // Gone with no event: removed.
        std::fs::remove_file(f.path("about/index.html")).unwrap();
        f.write("b.css", "p{background:url(f-Cb4Tsa0V.woff2)}\n");
        let d = f.sync(&["b.css"], false).unwrap();
        assert_eq!(d.removed, vec!["about/index.html"]);
        assert!(!f.state.plan().pages.contains_key("/about/"));
        for node in f.state.graph.nodes.values() {
            assert!(node.kind != FileKind::Html || node.edges.is_empty());
        }
    }

    /// A page edited while it names a missing file still hears of the file appearing.
    #[test]
    fn an_edited_referrer_keeps_its_references_indexed() {
        let page = r#"<link rel="stylesheet" href="/x.css">"#;
        let mut f = Fixture::new(&[("index.html", page)]);
        f.write("index.html", &format!("{page}<p>edited</p>"));
        f.sync(&["index.html"], false).unwrap();
        f.write("x.css", "p{}");
        // `sync` compares the diagnostics with a full build: no "missing-file" is left.
        f.sync(&["x.css"], false).unwrap();
        assert!(f.hints("/").contains(&"/x.css".to_string()));
    }

    #[test]
    fn add_remove_and_missing_files() {
        let mut f = site();
        f.write("new.html", r#"<link rel="stylesheet" href="/later.css">"#);
        let d = f.sync(&["new.html"], false).unwrap();
        assert_eq!(d.added, vec!["new.html"]);
        assert!(
            f.state
                .diagnostics()
                .iter()
                .any(|d| d.code == "missing-file")
        );
        f.write("later.css", "a{}");
        let d = f.sync(&["later.css"], false).unwrap();
        assert!(d.pages.contains("new.html"));
        assert_eq!(f.hints("/new.html"), vec!["/later.css"]);
        std::fs::remove_file(f.path("dep.js")).unwrap();
        let d = f.sync(&["dep.js"], false).unwrap();
        assert_eq!(d.removed, vec!["dep.js"]);
        assert!(
            f.state
                .diagnostics()
                .iter()
                .any(|d| d.code == "missing-file" && d.file == "main.js")
        );
        f.write("dep.js", "export const y = 2;\n");
        f.sync(&["dep.js"], false).unwrap();
        // A whole folder gone: one event for the folder.
        std::fs::remove_dir_all(f.path("about")).unwrap();
        let d = f.sync(&["about"], false).unwrap();
        assert_eq!(d.removed, vec!["about/index.html"]);
        assert!(!f.state.plan().pages.contains_key("/about/"));
    }

    #[test]
    fn package_files_that_a_page_comes_to_load_are_read() {
        let mut f = site();
        f.write("node_modules/theme/s.css", "@import 'b.css';");
        f.write("node_modules/theme/b.css", "a{}");
        f.write("node_modules/theme/unused.css", "a{}");
        f.write(
            "deck.html",
            r#"<link rel="stylesheet" href="/node_modules/theme/s.css">"#,
        );
        // Events name the page only: the package files it loads are found by a walk.
        let d = f.sync(&["deck.html"], false).unwrap();
        assert_eq!(
            d.added,
            vec![
                "deck.html",
                "node_modules/theme/b.css",
                "node_modules/theme/s.css"
            ]
        );
        assert_eq!(
            f.hints("/deck.html"),
            vec!["/node_modules/theme/s.css", "/node_modules/theme/b.css"]
        );
        // An edit of a package file the site loads is read; one of another is not.
        f.write("node_modules/theme/b.css", "b{}");
        f.write("node_modules/theme/unused.css", "b{}");
        let d = f
            .sync(
                &["node_modules/theme/b.css", "node_modules/theme/unused.css"],
                false,
            )
            .unwrap();
        assert_eq!(d.changed, vec!["node_modules/theme/b.css"]);
    }

    #[test]
    fn atomic_rename_and_editor_files() {
        let mut f = site();
        f.write(".a.css.swp", "swap");
        f.write("a.css.tmp123", "@import url(c.css);\nbody{color:green}\n");
        std::fs::rename(f.path("a.css.tmp123"), f.path("a.css")).unwrap();
        let dirty: BTreeSet<PathBuf> = [".a.css.swp", "a.css.tmp123", "a.css"]
            .iter()
            .map(|r| f.path(r))
            .collect();
        let d = f
            .state
            .refresh(&dirty, How::Events, &f.never)
            .unwrap()
            .unwrap();
        assert_eq!(d.changed, vec!["a.css"]);
        assert!(d.added.is_empty() && d.removed.is_empty());
        // (A full build lists swap files; watch mode never does.)
        std::fs::remove_file(f.path(".a.css.swp")).unwrap();
        f.check();
    }

    #[test]
    fn full_walk_reads_only_what_moved() {
        let mut f = site();
        // Make every file look old enough to trust its stat.
        for e in f.state.files.values_mut() {
            e.read_at_ns = e.stat.mtime_ns + 10 * RACY_NS;
        }
        assert!(f.sync(&[], true).unwrap().is_empty());
        f.write("b.css", "p{margin:1px}\n");
        f.write("sub/x.html", ABOUT);
        let d = f.sync(&[], true).unwrap();
        assert_eq!(d.changed, vec!["b.css"]);
        assert_eq!(d.added, vec!["sub/x.html"]);
        // A folder event asks for a walk too.
        f.write("sub/y.css", "a{}");
        let d = f.sync(&["sub"], false).unwrap();
        assert!(d.added.contains(&"sub/y.css".to_string()));
    }

    #[test]
    fn vite_manifest_edges_follow_the_manifest() {
        let mut f = site();
        f.write("chunk.js", "export default 1;\n");
        f.write(
            ".vite/manifest.json",
            r#"{"main.ts": {"file": "main.js", "isEntry": true, "imports": ["_chunk"]},
                "_chunk": {"file": "chunk.js"}}"#,
        );
        f.sync(&["chunk.js", ".vite/manifest.json"], false).unwrap();
        assert!(f.hints("/").contains(&"/chunk.js".to_string()));
        f.write(
            ".vite/manifest.json",
            r#"{"main.ts": {"file": "main.js", "isEntry": true, "css": ["b.css"]}}"#,
        );
        let d = f.sync(&[".vite/manifest.json"], false).unwrap();
        assert!(d.pages.contains("index.html"));
        assert!(!f.hints("/").contains(&"/chunk.js".to_string()));
        assert!(f.hints("/").contains(&"/b.css".to_string()));
        std::fs::remove_file(f.path(".vite/manifest.json")).unwrap();
        f.sync(&[".vite/manifest.json"], false).unwrap();
        assert!(!f.hints("/").contains(&"/b.css".to_string()));
    }

    #[test]
    fn an_emptied_site_is_never_applied() {
        let mut f = site();
        for e in std::fs::read_dir(&f.site).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                std::fs::remove_dir_all(p).unwrap();
            } else {
                std::fs::remove_file(p).unwrap();
            }
        }
        let all = [
            "index.html",
            "about",
            "a.css",
            "b.css",
            "c.css",
            "main.js",
            "dep.js",
            "f-Cb4Tsa0V.woff2",
            "img.png",
        ];
        assert!(f.sync(&all, false).is_none());
        assert!(f.sync(&[], true).is_none());
        // Refilled: a full walk settles everything against the last state.
        let s2 = site();
        for (rel, _) in [("index.html", ()), ("a.css", ())] {
            f.write(rel, &std::fs::read_to_string(s2.path(rel)).unwrap());
        }
        let d = f.sync(&[], true).unwrap();
        assert!(d.removed.contains(&"b.css".to_string()));
    }

    /// A bundler that empties its output folder copies `public/` back before it writes the pages:
    /// a round that finds every page gone and other files left applies nothing, and the round
    /// that brings pages back settles everything.
    #[test]
    fn a_site_without_its_pages_is_never_applied() {
        let mut f = site();
        let before = f.state.plan().clone();
        std::fs::remove_file(f.path("index.html")).unwrap();
        std::fs::remove_dir_all(f.path("about")).unwrap();
        assert!(f.sync(&["index.html", "about"], false).is_none());
        assert_eq!(f.state.held, Some(Hold::NoPages));
        assert!(f.sync(&[], true).is_none());
        assert_eq!(f.state.plan(), &before);
        f.write("index.html", INDEX);
        let d = f.sync(&[], true).unwrap();
        assert_eq!(d.removed, vec!["about/index.html"]);
        assert_eq!(f.state.held, None);
    }

    #[test]
    fn merged_rounds_name_each_file_once() {
        let round = |changed: &[&str], added: &[&str], removed: &[&str]| Delta {
            changed: changed.iter().map(|s| s.to_string()).collect(),
            added: added.iter().map(|s| s.to_string()).collect(),
            removed: removed.iter().map(|s| s.to_string()).collect(),
            ..Delta::default()
        };
        let mut d = Delta::default();
        d.merge(round(&["c.css"], &["new.js"], &["a.html", "b.css"]));
        d.merge(round(&[], &["b.css", "a.html"], &["new.js", "c.css"]));
        assert_eq!(d.changed, ["a.html", "b.css"]);
        assert!(d.added.is_empty());
        assert_eq!(d.removed, ["c.css"]);
    }

    #[test]
    fn editor_files() {
        for yes in [
            ".index.html.swp",
            "a.css.swx",
            "a.css~",
            "#a.css#",
            ".#a.css",
            "4913",
            "a.css___jb_tmp___",
            "a.css___jb_old___",
            "a.css.kate-swp",
            ".hintgen-early-hints.json.x1y2.tmp",
            ".goutputstream-ABC123",
        ] {
            assert!(is_editor_temp(yes), "{yes}");
        }
        for no in [
            "index.html",
            "a.swf",
            "#",
            "4913.js",
            "app.tmp.js",
            "a~b.css",
        ] {
            assert!(!is_editor_temp(no), "{no}");
        }
        assert!(ignored_rel("node_modules/x.js"));
        assert!(ignored_rel("a/.b.css.swp"));
        assert!(ignored_rel("_headers"));
        assert!(!ignored_rel("a/_headers"));
    }

    #[test]
    fn event_relevance() {
        let root = Path::new("/s/site");
        let out = vec![PathBuf::from("/s/site/out")];
        let ev = |kind, p: &str| notify::Event::new(kind).add_path(PathBuf::from(p));
        let passes = |p: &str| Relevance::Paths {
            paths: vec![PathBuf::from(p)],
            root: false,
        };
        let modify = EventKind::Modify(notify::event::ModifyKind::Any);
        let open = EventKind::Access(AccessKind::Open(AccessMode::Any));
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        assert_eq!(
            relevance(&ev(open, "/s/site/a.css"), root, &out),
            Relevance::Ignore
        );
        assert_eq!(
            relevance(&ev(closed, "/s/site/a.css"), root, &out),
            passes("/s/site/a.css")
        );
        assert_eq!(
            relevance(&ev(modify, "/s/site/out/x.json"), root, &out),
            Relevance::Ignore
        );
        assert_eq!(
            relevance(&ev(modify, "/s/site/.a.swp"), root, &out),
            Relevance::Ignore
        );
        assert_eq!(
            relevance(&ev(modify, "/s/other"), root, &out),
            Relevance::Ignore
        );
        // A version-control folder's files are never the site's; a package's may be.
        assert_eq!(
            relevance(&ev(modify, "/s/site/.git/index"), root, &out),
            Relevance::Ignore
        );
        assert_eq!(
            relevance(&ev(modify, "/s/site/node_modules/a/b.css"), root, &out),
            passes("/s/site/node_modules/a/b.css")
        );
        assert_eq!(
            relevance(
                &ev(
                    EventKind::Remove(notify::event::RemoveKind::Folder),
                    "/s/site"
                ),
                root,
                &out
            ),
            Relevance::Paths {
                paths: vec![],
                root: true
            }
        );
        let overflow = notify::Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan);
        assert_eq!(relevance(&overflow, root, &out), Relevance::Rescan);
    }
}
