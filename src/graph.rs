//! The asset graph: every reference resolved to a target, and per page the closure of what it loads,
//! with the waterfall depth of each resource.
//!
//! Resolution happens once per referring file (HTML against its document base, CSS and JS against their
//! own URL), so a stylesheet shared by 10,000 pages is resolved once. The per-page walk
//! ([`Graph::closure`]) is a breadth-first search, so each resource gets the smallest depth at which
//! the browser can discover it: depth 1 is what the HTML names, depth 2 what those name, and so on.
//! Cycles (CSS importing itself, modules importing each other) end because each URL is visited once.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};

use rayon::prelude::*;
use url::Url;

use crate::error::{Diagnostic, Location, Severity};
use crate::fingerprint::is_content_hashed;
use crate::parse::vite::{ChunkEdges, Manifest, edges_by_file};
use crate::parse::{FileKind, FontUse, RefAttrs, RefKind, Reference, TextChars, Words};
use crate::scan::Scanned;
use crate::site::{Target, UrlSpace};
use rustc_hash::FxHashSet;

/// A resolved reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// What makes the reference.
    pub kind: RefKind,
    /// Where it points.
    pub target: Target,
    /// The URL as written.
    pub written: String,
    /// The element or rule, for messages (most are fixed text, shared by every reference).
    pub element: Cow<'static, str>,
    /// Where in the referring file.
    pub location: Location,
    /// The consuming element's attributes.
    pub attrs: RefAttrs,
    /// `srcset` / `imagesrcset` with root-relative URLs, ready for `imagesrcset`.
    pub srcset: Option<String>,
    /// The edge comes from `.vite/manifest.json`, not from the file's text.
    pub from_manifest: bool,
}

/// One file of the site.
#[derive(Debug, Clone)]
pub struct Node {
    /// Site-relative path.
    pub rel: String,
    /// Kind.
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 hex.
    pub sha256: String,
    /// SRI value.
    pub integrity: String,
    /// The name carries a content hash.
    pub immutable: bool,
    /// Outgoing references, in document order.
    pub edges: Vec<Edge>,
    /// What only a page has (pages that were read; boxed, as most files are not pages).
    pub page: Option<Box<PageFacts>>,
    /// The font families the file's styles name (a stylesheet's rules, a page's inline styles);
    /// `None` when there are none.
    pub font_use: Option<Box<FontUse>>,
    /// A script's words ([`FileFacts::words`](crate::parse::FileFacts::words)); `None` for other
    /// files and scripts without strings.
    pub words: Option<Box<Words>>,
    /// False when the file could not be read.
    pub ok: bool,
}

/// What a page has beyond other files, read only when the page itself is planned.
#[derive(Debug, Clone)]
pub struct PageFacts {
    /// Characters of the page's text outside its code elements and form controls.
    pub text: Option<TextChars>,
    /// Characters of the text inside its `<pre>` and `<code>` elements
    /// ([`FileFacts::code_text`](crate::parse::FileFacts::code_text)).
    pub code_text: Option<TextChars>,
    /// Characters of the text of its form controls
    /// ([`FileFacts::control_text`](crate::parse::FileFacts::control_text)).
    pub control_text: Option<TextChars>,
    /// Characters of its text that browsers set in italics
    /// ([`FileFacts::italic_text`](crate::parse::FileFacts::italic_text)).
    pub italic_text: Option<TextChars>,
    /// Characters of its text that browsers set in bold
    /// ([`FileFacts::bold_text`](crate::parse::FileFacts::bold_text)).
    pub bold_text: Option<TextChars>,
    /// ([`FileFacts::contexts`](crate::parse::FileFacts::contexts)).
    pub contexts: Vec<crate::parse::TextContext>,
    /// ([`FileFacts::code_contexts`](crate::parse::FileFacts::code_contexts)).
    pub code_contexts: Vec<crate::parse::ApartContext>,
    /// ([`FileFacts::control_contexts`](crate::parse::FileFacts::control_contexts)).
    pub control_contexts: Vec<crate::parse::ApartContext>,
    /// The nestings of italic elements that text is in
    /// ([`FileFacts::italic_nestings`](crate::parse::FileFacts::italic_nestings)).
    pub italic_nestings: Vec<Vec<crate::parse::ItalicElement>>,
    /// The `lang` of the page's `<html>`.
    pub lang: Option<String>,
    /// The page's class names, ids and inline scripts' words
    /// ([`FileFacts::words`](crate::parse::FileFacts::words)).
    pub words: Words,
    /// The class names and ids of its code elements and what is inside them
    /// ([`FileFacts::code_words`](crate::parse::FileFacts::code_words)).
    pub code_words: Words,
    /// The class names, ids and element names of its headings and what is inside them
    /// ([`FileFacts::heading_words`](crate::parse::FileFacts::heading_words)).
    pub heading_words: Words,
    /// The page's import map.
    pub import_map: BTreeMap<String, String>,
    /// The page's document base URL: its URL or `<base href>`.
    pub doc_base: Url,
}

/// The whole site as a graph.
#[derive(Debug, Clone)]
pub struct Graph {
    /// Files by site-relative path.
    pub nodes: BTreeMap<String, Node>,
    /// The URL space used to resolve references.
    pub space: UrlSpace,
}

/// The nodes of a [`Graph`] by file in a hash map: planning looks up every file a page reaches, and
/// a B-tree lookup compares the long shared prefixes of a dozen paths where a hash lookup compares one.
pub struct NodeIndex<'g>(rustc_hash::FxHashMap<&'g str, &'g Node>);

/// Why a resource is, or is not, hinted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Hinted.
    Hint,
    /// Not hinted, with the reason (most reasons are fixed text, so planning allocates none).
    Skip(Cow<'static, str>),
}

/// One resource a page loads (or names), as found by the closure walk.
///
/// Entries borrow from the graph (file names, element names, attributes), so a page's closure costs
/// one allocation per resource, not one per string.
#[derive(Debug, Clone)]
pub struct Entry<'g> {
    /// Root-relative URL with query (site files) or the absolute URL (external).
    pub url: Cow<'g, str>,
    /// Site file, when it exists.
    pub file: Option<&'g str>,
    /// The site file it names, when that does not exist. (URLs map to files without looking at
    /// what exists, so only this file appearing can fill the entry.)
    pub missing: Option<Cow<'g, str>>,
    /// The site file's node, when it exists.
    pub node: Option<&'g Node>,
    /// The origin of an external resource.
    pub external_origin: Option<String>,
    /// How the resource is consumed.
    pub kind: RefKind,
    /// Waterfall level.
    pub depth: u32,
    /// The referring file (site-relative).
    pub parent: &'g str,
    /// Element or rule that names it.
    pub element: &'g str,
    /// Where in the referring file.
    pub location: Location,
    /// Effective attributes (crossorigin inherited through module imports).
    pub attrs: Cow<'g, RefAttrs>,
    /// `imagesrcset` value.
    pub srcset: Option<&'g str>,
    /// Discovery order.
    pub order: usize,
    /// Whether it is critical for first render (render-blocking CSS and what it needs, entry modules
    /// and their static imports, blocking/defer scripts, high-priority images).
    pub critical: bool,
    /// File size, when it is a site file.
    pub bytes: u64,
    /// Set later by the hint policy.
    pub decision: Decision,
    /// A `<link rel=preload|modulepreload>` in the page for the same URL, when the resource also has
    /// a consumer: its kind, attributes and location, to check that they match.
    pub explicit: Option<(RefKind, Cow<'g, RefAttrs>, Location)>,
    /// Set by the hint policy when the hint follows that `<link>` rather than the consumer (which
    /// alone would not be hinted).
    pub by_preload: bool,
}

impl Node {
    /// The node for one scanned file: its references resolved against its base URL (the page's
    /// document base, or the file's own URL), without existence checks or Vite manifest edges. Also
    /// returns the file's own (read and parse) diagnostics. [`Graph::build`] uses it for every file;
    /// watch mode uses it to replace the nodes of changed files.
    pub fn from_scanned(s: Scanned, space: &UrlSpace) -> (Node, Vec<Diagnostic>) {
        let rel = s.file.rel;
        let mut node = Node {
            rel: rel.clone(),
            kind: s.kind,
            size: s.size,
            sha256: s.digest.hex(),
            integrity: s.integrity,
            immutable: is_content_hashed(&rel),
            edges: Vec::new(),
            page: None,
            font_use: None,
            words: None,
            ok: s.ok,
        };
        if let Some(facts) = s.facts {
            let html = s.kind == FileKind::Html;
            let base = space.base_of(&rel, html, facts.base_href.as_deref());
            // Built in a new vector: an in-place collect would keep the references' larger
            // allocation for the node's whole life.
            node.edges = Vec::with_capacity(facts.refs.len());
            node.edges
                .extend(facts.refs.into_iter().map(|r| resolve_ref(space, &base, r)));
            if !facts.font_use.is_empty() {
                node.font_use = Some(Box::new(facts.font_use));
            }
            if s.kind == FileKind::Js && !facts.words.is_empty() {
                node.words = Some(Box::new(facts.words));
            } else if s.kind == FileKind::Html {
                node.page = Some(Box::new(PageFacts {
                    text: facts.text,
                    code_text: facts.code_text,
                    control_text: facts.control_text,
                    italic_text: facts.italic_text,
                    bold_text: facts.bold_text,
                    contexts: facts.contexts,
                    code_contexts: facts.code_contexts,
                    control_contexts: facts.control_contexts,
                    italic_nestings: facts.italic_nestings,
                    lang: facts.lang,
                    words: facts.words,
                    code_words: facts.code_words,
                    heading_words: facts.heading_words,
                    import_map: facts.import_map,
                    doc_base: base,
                }));
            }
        }
        (node, s.diagnostics)
    }

    /// A copy without what only planning the page itself reads: references, [`PageFacts`] and font
    /// use. Other pages' closures never follow a page's references, so a planned page can be kept as
    /// its stub.
    pub fn stub(&self) -> Node {
        Node {
            rel: self.rel.clone(),
            kind: self.kind,
            size: self.size,
            sha256: self.sha256.clone(),
            integrity: self.integrity.clone(),
            immutable: self.immutable,
            edges: Vec::new(),
            page: None,
            font_use: None,
            words: None,
            ok: self.ok,
        }
    }

    /// Makes this node its [`Node::stub`], freeing the rest.
    pub fn shed(&mut self) {
        self.edges = Vec::new();
        self.page = None;
        self.font_use = None;
        self.words = None;
    }

    /// Broken, escaping and unusable references of this file (not the Vite manifest's edges), given
    /// which site files exist. Depends only on this node and `exists`, so watch mode re-runs it for
    /// the referrers of a file that appeared or vanished.
    pub fn edge_diagnostics(
        &self,
        space: &UrlSpace,
        exists: &dyn Fn(&str) -> bool,
        outside: &[String],
    ) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        if self.edges.iter().all(|e| e.from_manifest) {
            return diags;
        }
        let base = match &self.page {
            Some(p) => p.doc_base.clone(),
            None => space.absolute(&space.file_url(&self.rel)),
        };
        let page = self.kind == FileKind::Html;
        let mut last = None;
        for edge in self.edges.iter().filter(|e| !e.from_manifest) {
            // An element that names a URL twice (a style preload and the stylesheet its `onload`
            // makes of it) is told about once.
            let at = Some((edge.location, edge.written.as_str()));
            if std::mem::replace(&mut last, at) == at {
                continue;
            }
            check_edge(&self.rel, page, &base, edge, exists, outside, &mut diags);
        }
        diags
    }

    /// Replaces the edges that come from `.vite/manifest.json` (appended after the file's own).
    pub fn set_manifest_edges(&mut self, m: Option<&ChunkEdges>, space: &UrlSpace) {
        self.edges.retain(|e| !e.from_manifest);
        let Some(m) = m else { return };
        let mk = |kind: RefKind, file: &String, element: &'static str| Edge {
            kind,
            target: Target::Site {
                file: file.clone(),
                url: space.file_url(file),
            },
            written: file.clone(),
            element: element.into(),
            location: Location::default(),
            attrs: RefAttrs::default(),
            srcset: None,
            from_manifest: true,
        };
        for f in &m.imports {
            self.edges
                .push(mk(RefKind::JsImport, f, "manifest imports"));
        }
        for f in &m.css {
            self.edges.push(mk(RefKind::Stylesheet, f, "manifest css"));
        }
        for f in &m.dynamic_imports {
            self.edges
                .push(mk(RefKind::JsDynamicImport, f, "manifest dynamicImports"));
        }
    }
}

/// The edges one `.vite/manifest.json` (at site-relative `manifest_rel`) gives, keyed by output file,
/// with every path made site-relative.
pub fn manifest_file_edges(manifest_rel: &str, m: &Manifest) -> Vec<(String, ChunkEdges)> {
    let out_dir = manifest_rel.trim_end_matches(".vite/manifest.json");
    let prefix = |p: &String| format!("{out_dir}{p}");
    edges_by_file(m)
        .into_iter()
        .map(|(file, e)| {
            let edges = ChunkEdges {
                imports: e.imports.iter().map(prefix).collect(),
                dynamic_imports: e.dynamic_imports.iter().map(prefix).collect(),
                css: e.css.iter().map(prefix).collect(),
            };
            (prefix(&file), edges)
        })
        .collect()
}

/// An edge waiting in a closure's walk: the edge, its depth, the referrer, whether its context is
/// critical, the module `crossorigin` it inherits, and whether its referrer is a stylesheet the
/// page applies without blocking rendering ([`RefAttrs::deferred`]).
type Queued<'g> = (&'g Edge, u32, &'g str, bool, Option<Box<str>>, bool);

/// What resolving one file's references needs besides the file: which files exist, and the edges
/// that Vite manifests give output files.
pub struct Resolver<'a> {
    space: &'a UrlSpace,
    /// Every file of the site, looked up for each reference: a fast hash (the keys are the site's
    /// own paths, no flooding to fear).
    exists: rustc_hash::FxHashSet<String>,
    /// Output file (site-relative) → edges (site-relative files).
    manifest_edges: rustc_hash::FxHashMap<String, ChunkEdges>,
    /// The symbolic links that lead outside the site ([`crate::walk::outside_links`]).
    outside: Vec<String>,
}

impl<'a> Resolver<'a> {
    /// For a site of the files `rels`, with the Vite manifests found among `scanned`.
    pub fn new<'r>(
        space: &'a UrlSpace,
        rels: impl Iterator<Item = &'r str>,
        scanned: &[Scanned],
        outside: Vec<String>,
    ) -> Resolver<'a> {
        let mut manifest_edges = rustc_hash::FxHashMap::default();
        for s in scanned {
            if let Some(m) = s.facts.as_ref().and_then(|f| f.vite_manifest.as_ref()) {
                manifest_edges.extend(manifest_file_edges(&s.file.rel, m));
            }
        }
        Resolver {
            space,
            exists: rels.map(str::to_string).collect(),
            manifest_edges,
            outside,
        }
    }

    /// A file's node, its references resolved, with their diagnostics.
    pub fn node(&self, s: Scanned) -> (Node, Vec<Diagnostic>) {
        let (mut node, mut d) = Node::from_scanned(s, self.space);
        let exists = |f: &str| self.exists.contains(f);
        d.extend(node.edge_diagnostics(self.space, &exists, &self.outside));
        node.set_manifest_edges(self.manifest_edges.get(&node.rel), self.space);
        (node, d)
    }
}

impl Graph {
    /// Builds the graph from scanned files; diagnostics report broken and escaping references.
    /// `outside`: the symbolic links that lead outside the site ([`crate::walk::outside_links`]).
    pub fn build(
        scanned: Vec<Scanned>,
        space: &UrlSpace,
        outside: Vec<String>,
    ) -> (Graph, Vec<Diagnostic>) {
        let rels = scanned.iter().map(|s| s.file.rel.as_str());
        let resolver = Resolver::new(space, rels, &scanned, outside);
        // Each file's references resolve independently: on all cores, merged in path order.
        let built: Vec<(Node, Vec<Diagnostic>)> =
            scanned.into_par_iter().map(|s| resolver.node(s)).collect();
        Graph::from_built(built, space)
    }

    /// The graph of resolved nodes ([`Resolver::node`]), and their diagnostics, sorted.
    pub fn from_built(
        mut built: Vec<(Node, Vec<Diagnostic>)>,
        space: &UrlSpace,
    ) -> (Graph, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        for (_, d) in &mut built {
            diags.append(d);
        }
        // Collected, not inserted one by one: a map built from a sorted list has full nodes, half
        // the memory of one grown by inserts in order (which leaves every node half empty).
        let nodes: BTreeMap<String, Node> = built
            .into_iter()
            .map(|(node, _)| (node.rel.clone(), node))
            .collect();
        diags.sort();
        diags.dedup();
        (
            Graph {
                nodes,
                space: space.clone(),
            },
            diags,
        )
    }

    /// Site-relative paths of the pages (HTML files), sorted.
    pub fn pages(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values().filter(|n| n.kind == FileKind::Html)
    }

    /// Finds a page by URL (`/about/`, `/about`, `/about/index.html`) or site-relative path.
    pub fn find_page(&self, query: &str) -> Option<&Node> {
        let q = query.trim();
        if let Some(n) = self.nodes.get(q.trim_start_matches('/'))
            && n.kind == FileKind::Html
        {
            return Some(n);
        }
        let base = self.space.absolute("/");
        let mut candidates = vec![q.to_string()];
        if !q.ends_with('/') && !q.ends_with(".html") && !q.ends_with(".htm") {
            candidates.push(format!("{q}/"));
            candidates.push(format!("{q}.html"));
        }
        for c in candidates {
            if let Target::Site { file, .. } = self.space.resolve(&base, &c)
                && let Some(n) = self.nodes.get(&file)
                && n.kind == FileKind::Html
            {
                return Some(n);
            }
        }
        None
    }

    /// The files that reach one of `targets` through references (the targets included): a page
    /// that names one of these may load a target.
    pub fn reaching<'g>(&'g self, targets: &FxHashSet<&str>) -> FxHashSet<&'g str> {
        let mut reaching: FxHashSet<&'g str> = self
            .nodes
            .keys()
            .map(String::as_str)
            .filter(|f| targets.contains(f))
            .collect();
        // Few files have reference errors, so going over the edges until nothing changes is short.
        loop {
            let more: Vec<&'g str> = self
                .nodes
                .iter()
                .filter(|(rel, n)| {
                    !reaching.contains(rel.as_str())
                        && n.edges.iter().any(|e| {
                            matches!(&e.target, Target::Site { file, .. } if reaching.contains(file.as_str()))
                        })
                })
                .map(|(rel, _)| rel.as_str())
                .collect();
            if more.is_empty() {
                return reaching;
            }
            reaching.extend(more);
        }
    }

    /// The files reached from `starts` through references (the starts included).
    pub fn reached_from<'g>(
        &'g self,
        starts: impl IntoIterator<Item = &'g str>,
    ) -> FxHashSet<&'g str> {
        let mut reached: FxHashSet<&'g str> = FxHashSet::default();
        let mut queue: Vec<&'g str> = starts.into_iter().collect();
        while let Some(file) = queue.pop() {
            let Some((rel, node)) = self.nodes.get_key_value(file) else {
                continue;
            };
            if !reached.insert(rel.as_str()) {
                continue;
            }
            for e in &node.edges {
                if let Target::Site { file, .. } = &e.target {
                    queue.push(file.as_str());
                }
            }
        }
        reached
    }

    /// A hash index of the nodes, for planning many pages while the graph stays as it is.
    pub fn index(&self) -> NodeIndex<'_> {
        NodeIndex(self.nodes.iter().map(|(k, n)| (k.as_str(), n)).collect())
    }

    /// Everything a page loads or names, breadth-first, with depth, criticality and inherited
    /// attributes. `decision` is left as [`Decision::Hint`] for critical site files and set to a reason
    /// otherwise; the hint policy refines it. Also returns page-level diagnostics (bare specifiers).
    /// Files are looked up in `index` when one is given (it must be of this graph as it is).
    pub fn closure<'g>(
        &'g self,
        page: &'g Node,
        index: Option<&NodeIndex<'g>>,
    ) -> (Vec<Entry<'g>>, Vec<Diagnostic>) {
        let node_of = |file: &str| match index {
            Some(i) => i.0.get(file).copied(),
            None => self.nodes.get(file),
        };
        let mut diags = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        // Keys are the page's own URLs and files: a fast hash (no flooding to fear).
        let mut seen: rustc_hash::FxHashMap<Cow<'g, str>, usize> = Default::default();
        let mut followed: rustc_hash::FxHashSet<&str> = Default::default();
        let map_ctx = page
            .page
            .as_deref()
            .filter(|p| !p.import_map.is_empty())
            .map(|p| (&p.import_map, &p.doc_base));
        let mut queue: VecDeque<Queued> = VecDeque::new();
        for e in &page.edges {
            queue.push_back((e, 1, &page.rel, true, None, false));
        }
        while let Some((edge, depth, parent, ctx_critical, module_cors, in_deferred)) =
            queue.pop_front()
        {
            let target: Cow<'g, Target> = match &edge.target {
                Target::Bare(spec) => {
                    let parent_url = self.space.absolute(&self.space.file_url(parent));
                    let t = self.space.resolve_specifier(&parent_url, spec, map_ctx);
                    // A dynamic `import()` of a bare name is left alone: it is a lazy edge (never
                    // hinted), and the usual way to probe for module support (Vite's legacy
                    // plugin writes `import("_").catch(()=>1)` into every modern entry).
                    if let Target::Bare(_) = t
                        && edge.kind == RefKind::JsDynamicImport
                    {
                        continue;
                    }
                    if let Target::Bare(_) = t {
                        diags.push(
                            Diagnostic::new(
                                Severity::Warning,
                                "bare-specifier",
                                parent,
                                format!(
                                    "{} {spec:?} is a bare specifier and page {} has no import map \
                                     entry for it; the browser cannot load it",
                                    edge.element, page.rel
                                ),
                            )
                            .at(edge.location),
                        );
                        continue;
                    }
                    Cow::Owned(t)
                }
                t => Cow::Borrowed(t),
            };
            // URLs and files borrow from the graph; only an import-mapped specifier owns its URL.
            let (url, node, external_origin, missing): (Cow<'g, str>, Option<&'g Node>, _, _) =
                match target {
                    Cow::Borrowed(Target::Site { file, url }) => {
                        let node = node_of(file);
                        let missing = node.is_none().then_some(Cow::Borrowed(file.as_str()));
                        (Cow::Borrowed(url.as_str()), node, None, missing)
                    }
                    Cow::Borrowed(Target::External { url, origin }) => (
                        Cow::Borrowed(url.as_str()),
                        None,
                        Some(origin.clone()),
                        None,
                    ),
                    Cow::Owned(Target::Site { file, url }) => {
                        let node = node_of(&file);
                        let missing = node.is_none().then_some(Cow::Owned(file));
                        (Cow::Owned(url), node, None, missing)
                    }
                    Cow::Owned(Target::External { url, origin }) => {
                        (Cow::Owned(url), None, Some(origin), None)
                    }
                    _ => continue,
                };
            let file = node.map(|n| n.rel.as_str());
            let mut attrs = Cow::Borrowed(&edge.attrs);
            if edge.kind == RefKind::JsImport
                && attrs.crossorigin.is_none()
                && module_cors.is_some()
            {
                attrs.to_mut().crossorigin = module_cors.clone();
            }
            // An `@import` of a stylesheet that does not block rendering does not either.
            if in_deferred && edge.kind == RefKind::CssImport {
                attrs.to_mut().deferred = true;
            }
            let critical = ctx_critical && is_critical(edge.kind, &attrs);
            let idx = if let Some(&i) = seen.get(url.as_ref()) {
                // Seen before. The consumer decides how a resource is fetched, so a consumer found
                // after an explicit preload takes over the entry (the preload is kept to check it);
                // a critical use found after a non-critical one upgrades it.
                let old = &mut entries[i];
                let old_explicit = matches!(old.kind, RefKind::Preload | RefKind::ModulePreload);
                let new_explicit = matches!(edge.kind, RefKind::Preload | RefKind::ModulePreload);
                if new_explicit && !old_explicit {
                    old.explicit = Some((edge.kind, attrs.clone(), edge.location));
                } else if (old_explicit && !new_explicit && edge.kind != RefKind::JsDynamicImport)
                    || (critical && !old.critical)
                {
                    if old_explicit && !new_explicit {
                        old.explicit = Some((old.kind, old.attrs.clone(), old.location));
                    }
                    old.kind = edge.kind;
                    old.attrs = attrs.clone();
                    old.critical = critical || old.critical;
                    old.element = &edge.element;
                    old.parent = parent;
                    old.location = edge.location;
                    old.srcset = edge.srcset.as_deref().or(old.srcset.take());
                }
                i
            } else {
                let bytes = node.map_or(0, |n| n.size);
                let decision = if file.is_none() && external_origin.is_none() {
                    Decision::Skip("missing file".into())
                } else {
                    Decision::Hint
                };
                seen.insert(url.clone(), entries.len());
                entries.push(Entry {
                    url,
                    file,
                    missing,
                    node,
                    external_origin,
                    kind: edge.kind,
                    depth,
                    parent,
                    element: &edge.element,
                    location: edge.location,
                    attrs: attrs.clone(),
                    srcset: edge.srcset.as_deref(),
                    order: entries.len(),
                    critical,
                    bytes,
                    decision,
                    explicit: None,
                    by_preload: false,
                });
                entries.len() - 1
            };
            // Follow into stylesheets and modules.
            let Some(node) = node else {
                continue;
            };
            let entry = &entries[idx];
            // The rules of a print-only `@import` do not apply on screen: its fonts are not used.
            let critical = entry.critical
                && !(entry.kind == RefKind::CssImport
                    && media_is_print_only(entry.attrs.media.as_deref()));
            let follow = match entry.kind {
                RefKind::Stylesheet | RefKind::CssImport => node.kind == FileKind::Css,
                RefKind::Script => entry.attrs.module && node.kind == FileKind::Js,
                RefKind::ModulePreload | RefKind::JsImport => node.kind == FileKind::Js,
                _ => false,
            };
            if follow && followed.insert(node.rel.as_str()) {
                let cors = match entry.kind {
                    RefKind::Script | RefKind::ModulePreload | RefKind::JsImport => {
                        entry.attrs.crossorigin.clone()
                    }
                    _ => None,
                };
                for e in &node.edges {
                    let deferred = entry.attrs.deferred;
                    queue.push_back((e, depth + 1, &node.rel, critical, cors.clone(), deferred));
                }
            }
        }
        (entries, diags)
    }
}

/// Whether a reference is needed for first render, given that its referrer is.
fn is_critical(kind: RefKind, attrs: &RefAttrs) -> bool {
    match kind {
        RefKind::Stylesheet => !media_is_print_only(attrs.media.as_deref()),
        // Browsers fetch every `@import` at once, whatever its media, and the stylesheet that
        // imports it waits for it: it blocks rendering as its parent does.
        RefKind::CssImport => true,
        RefKind::Font => true,
        RefKind::Script => !attrs.nomodule,
        RefKind::ModulePreload | RefKind::JsImport | RefKind::Preload => true,
        RefKind::Image => attrs.primary && !attrs.lazy,
        RefKind::CssUrl => true,
        RefKind::JsDynamicImport
        | RefKind::Icon
        | RefKind::Manifest
        | RefKind::Prefetch
        | RefKind::Poster
        | RefKind::Media => false,
    }
}

/// `media="print"` (and lists of only print): the stylesheet does not block rendering on screen.
pub fn media_is_print_only(media: Option<&str>) -> bool {
    let Some(m) = media else { return false };
    let parts: Vec<String> = m
        .split(',')
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    !parts.is_empty()
        && parts
            .iter()
            .all(|p| p == "print" || p.starts_with("print ") || p == "not all")
}

fn resolve_ref(space: &UrlSpace, base: &Url, mut r: Reference) -> Edge {
    let target = match r.kind {
        RefKind::JsImport | RefKind::JsDynamicImport => space.resolve_specifier(base, &r.url, None),
        _ => space.resolve(base, &r.url),
    };
    let url_of = |written: &str| match space.resolve(base, written) {
        Target::Site { url, .. } | Target::OutsideBase { url } => url,
        Target::External { url, .. } => url,
        _ => written.to_string(),
    };
    if let Some(rare) = r.attrs.rare.as_mut() {
        for source in &mut rare.other_sources {
            *source = url_of(source);
        }
    }
    let srcset = (!r.attrs.srcset().is_empty()).then(|| {
        r.attrs
            .srcset()
            .iter()
            .map(|c| {
                let u = url_of(&c.url);
                if c.descriptor.is_empty() {
                    u
                } else {
                    format!("{u} {}", c.descriptor)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    });
    Edge {
        kind: r.kind,
        target,
        written: r.url,
        element: r.element,
        location: r.location,
        attrs: r.attrs,
        srcset,
        from_manifest: false,
    }
}

/// Diagnoses a broken, escaping or unusable reference once, at the referring file.
/// Why a site file that is not in the listing was not read, when hintgen left it out on purpose:
/// the diagnostic's code and the reason. Servers follow a symbolic link out of the site (the link
/// itself is reported once by the walk); version-control folders are not read.
fn unread(file: &str, outside: &[String]) -> Option<(&'static str, String)> {
    if let Some(link) = crate::walk::behind_link(outside, file) {
        return Some((
            "symlink-outside",
            format!(
                "through the symbolic link {link:?}, which leads outside the site and is not \
                 followed"
            ),
        ));
    }
    // The files of `node_modules/` that the site loads are read ([`crate::packages`]).
    let folder = crate::walk::skipped_folder(file).filter(|f| *f != crate::packages::PACKAGES)?;
    Some((
        "skipped-folder",
        format!("inside a {folder} folder, which hintgen does not read"),
    ))
}

/// Whether a URL as written holds a template expression that was never rendered: `{{ … }}`,
/// `{% … %}`, `<% … %>` or `${…}`.
fn is_template(written: &str) -> bool {
    ["{{", "{%", "<%", "${"].iter().any(|t| written.contains(t))
}

/// The warning for a reference [`is_template`] finds.
fn template_url(
    d: impl Fn(Severity, &'static str, String) -> Diagnostic,
    edge: &Edge,
) -> Diagnostic {
    d(
        Severity::Warning,
        "template-url",
        format!(
            "{} {:?} is an unrendered template expression: the file looks like a template that \
             was copied as it is, not a page a browser gets; if it is served, the reference is \
             broken",
            edge.element, edge.written
        ),
    )
}

fn check_edge(
    rel: &str,
    page: bool,
    base: &Url,
    edge: &Edge,
    exists: &dyn Fn(&str) -> bool,
    outside: &[String],
    diags: &mut Vec<Diagnostic>,
) {
    let d = |sev, code, msg: String| Diagnostic::new(sev, code, rel, msg).at(edge.location);
    match &edge.target {
        // A theme's HTML template that the generator copies as it is (pydata-sphinx-theme's
        // `_static/webpack-macros.html`) is not a page a browser gets; its URLs are not broken. A
        // stylesheet or script with one is served and loaded: that stays an error below.
        Target::Site { file, .. } if page && !exists(file) && is_template(&edge.written) => {
            diags.push(template_url(d, edge));
        }
        Target::Invalid(_) if page && is_template(&edge.written) => {
            diags.push(template_url(d, edge));
        }
        Target::Site { file, url } if !exists(file) => {
            if climbs_above_root(base, &edge.written) {
                diags.push(d(
                    Severity::Error,
                    "escape",
                    format!(
                        "{} {:?} climbs above the site root; browsers clamp it to {url}, which \
                         does not exist in the site (nothing outside the site is read)",
                        edge.element, edge.written
                    ),
                ));
            } else if let Some((code, why)) = unread(file, outside) {
                diags.push(d(
                    Severity::Warning,
                    code,
                    format!(
                        "{} {:?} points to {url}, {why}: it gets no hint",
                        edge.element, edge.written
                    ),
                ));
            } else {
                // A site built for a path prefix (MkDocs' `site_url`, Vite's `base`) names its
                // files with it.
                let prefixed = file
                    .split_once('/')
                    .filter(|(_, rest)| exists(rest))
                    .map(|(first, rest)| {
                        format!(
                            " (there is a file {rest:?}: if the site is served under /{first}/, \
                             say so with --base-url /{first}/)"
                        )
                    })
                    .unwrap_or_default();
                // A lazy `import()` fails only when it runs, and runtimes import optional
                // modules that only some builds ship (Observable Framework's stdlib imports DuckDB,
                // SQLite and React for the pages that use them): a warning, not a failed build.
                let lazy = edge.kind == RefKind::JsDynamicImport;
                diags.push(d(
                    if lazy {
                        Severity::Warning
                    } else {
                        Severity::Error
                    },
                    "missing-file",
                    format!(
                        "{} {:?} points to {url}, but there is no file {file:?} in the \
                         site{prefixed}{}",
                        edge.element,
                        edge.written,
                        if lazy {
                            "; the import fails when it runs (the page loads without it)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        }
        Target::OutsideBase { url } => diags.push(d(
            Severity::Warning,
            "outside-base",
            format!(
                "{} {:?} resolves to {url}, outside the site's base path",
                edge.element, edge.written
            ),
        )),
        Target::Invalid(e) if !edge.written.trim().is_empty() => diags.push(d(
            Severity::Error,
            "bad-url",
            format!(
                "{} {:?} is not a valid URL: {e}",
                edge.element, edge.written
            ),
        )),
        _ => {}
    }
}

/// True when a relative reference has more `..` segments than its base has folders.
fn climbs_above_root(base: &Url, written: &str) -> bool {
    let w = written.trim();
    if w.starts_with("//") || Url::parse(w).is_ok() {
        return false;
    }
    let path = w.split(['?', '#']).next().unwrap_or("");
    let mut depth: i64 = if path.starts_with('/') {
        0
    } else {
        base.path_segments().map_or(0, |s| s.count() as i64 - 1)
    };
    for seg in path.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." | "%2e%2e" | "%2E%2E" => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

/// The codes of a broken reference ([`check_edge`]'s errors).
const REFERENCE_ERRORS: &[&str] = &["missing-file", "escape", "bad-url"];

/// The files other than pages with an error about one of their references.
pub fn files_with_reference_errors(diagnostics: &[Diagnostic]) -> FxHashSet<&str> {
    diagnostics
        .iter()
        .filter(|d| is_softenable(d))
        .map(|d| d.file.as_str())
        .collect()
}

fn is_softenable(d: &Diagnostic) -> bool {
    d.severity == Severity::Error
        && REFERENCE_ERRORS.contains(&d.code)
        && FileKind::of(&d.file) != FileKind::Html
}

/// Makes warnings of the reference errors of files that no page loads (`loaded` tells): a
/// bundler's sources shipped beside its output break no page, and must not fail the build.
pub fn soften_unloaded(diagnostics: &mut [Diagnostic], loaded: impl Fn(&str) -> bool) {
    for d in diagnostics.iter_mut() {
        if is_softenable(d) && !loaded(&d.file) {
            d.severity = Severity::Warning;
            d.message.push_str(" (no page loads this file)");
        }
    }
}

/// [`soften_unloaded`] for a graph that holds every page with its references.
pub fn soften_unloaded_in(graph: &Graph, diagnostics: &mut [Diagnostic]) {
    if files_with_reference_errors(diagnostics).is_empty() {
        return;
    }
    let pages = graph
        .nodes
        .keys()
        .map(String::as_str)
        .filter(|f| FileKind::of(f) == FileKind::Html);
    let loaded = graph.reached_from(pages);
    soften_unloaded(diagnostics, |f| loaded.contains(f));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_media() {
        assert!(media_is_print_only(Some("print")));
        assert!(media_is_print_only(Some(" PRINT , print and (color)")));
        assert!(!media_is_print_only(Some("screen, print")));
        assert!(!media_is_print_only(Some("(min-width: 600px)")));
        assert!(!media_is_print_only(None));
    }

    #[test]
    fn climbing() {
        let b = Url::parse("https://site.invalid/a/index.html").unwrap();
        assert!(climbs_above_root(&b, "../../etc/passwd"));
        assert!(!climbs_above_root(&b, "../x.css"));
        assert!(climbs_above_root(&b, "/../x"));
        assert!(!climbs_above_root(&b, "https://x/../../y"));
    }
}
