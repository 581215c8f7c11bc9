//! The files of `node_modules/` folders that the site loads.
//!
//! The walk leaves those folders out: pointed at a project instead of its build, hintgen would
//! otherwise read thousands of packages that no page loads. Hand-made sites serve their packages
//! from them, though (a Shower deck links `node_modules/@shower/ribbon/styles/styles.css`, which
//! imports forty more stylesheets). So when the walk passed one over, the site's pages, stylesheets
//! and scripts that name `node_modules/` are read, and the files of such folders that they load,
//! and those that these load in turn, join the site's files; nothing else of the folder does.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::config::Sri;
use crate::error::Diagnostic;
use crate::parse::{FileFacts, FileKind, RefKind};
use crate::site::{Target, UrlSpace};
use crate::walk::{SiteFile, skipped_folder};

/// The folder name whose loaded files are followed.
const PACKAGES: &str = "node_modules";

/// The most package files followed: a bound for a site whose packages load one another without
/// end (a real site loads a few hundred at most).
const MAX_FILES: usize = 20_000;

/// The files under `root` (canonical) in `node_modules/` folders that the site's `files` load, or
/// files loaded that way load, sorted by path; and an error for each one loaded that a symbolic
/// link puts outside the site (not read, as the walk does not follow such links).
pub fn loaded(
    root: &Path,
    files: &[SiteFile],
    space: &UrlSpace,
    sri: Sri,
) -> (Vec<SiteFile>, Vec<Diagnostic>) {
    let needle = memchr::memmem::Finder::new(PACKAGES.as_bytes());
    let mut queue: Vec<SiteFile> = files
        .par_iter()
        .filter(|f| readable(&f.rel))
        .filter(|f| std::fs::read(&f.path).is_ok_and(|b| needle.find(&b).is_some()))
        .cloned()
        .collect();
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut found = Vec::new();
    let mut diagnostics = Vec::new();
    // The import maps of the pages read, their URLs made absolute: a package's modules import
    // others by bare specifier.
    let mut import_map: BTreeMap<String, String> = BTreeMap::new();
    while !queue.is_empty() && found.len() < MAX_FILES {
        let read: Vec<(SiteFile, Option<FileFacts>)> = queue
            .par_drain(..)
            .map(|f| {
                let facts = crate::scan::scan_one(&f, sri).facts;
                (f, facts)
            })
            .collect();
        let mut targets = Vec::new();
        for (file, facts) in read {
            let Some(facts) = facts else { continue };
            let html = FileKind::of(&file.rel) == FileKind::Html;
            let base = space.base_of(&file.rel, html, facts.base_href.as_deref());
            for (spec, url) in &facts.import_map {
                if let Ok(url) = base.join(url) {
                    import_map.entry(spec.clone()).or_insert(url.into());
                }
            }
            let specs = facts.refs.iter().map(|r| {
                let module = matches!(r.kind, RefKind::JsImport | RefKind::JsDynamicImport);
                (r.url.as_str(), module)
            });
            let mapped = facts.import_map.values().map(|u| (u.as_str(), false));
            for (url, module) in specs.chain(mapped) {
                let target = if module {
                    space.resolve_specifier(&base, url, Some((&import_map, &base)))
                } else {
                    space.resolve(&base, url)
                };
                if let Target::Site { file, .. } = target {
                    targets.push(file);
                }
            }
        }
        for rel in targets {
            if skipped_folder(&rel) != Some(PACKAGES) || !seen.insert(rel.clone()) {
                continue;
            }
            let path = root.join(&rel);
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file() || found.len() >= MAX_FILES {
                continue;
            }
            if !std::fs::canonicalize(&path).is_ok_and(|p| p.starts_with(root)) {
                diagnostics.push(crate::walk::outside_link(rel));
                continue;
            }
            let file = SiteFile::of(rel, path, &meta);
            if readable(&file.rel) {
                queue.push(file.clone());
            }
            found.push(file);
        }
    }
    found.sort_by(|a, b| a.rel.cmp(&b.rel));
    (found, diagnostics)
}

/// Whether a file of this name may load others.
fn readable(rel: &str) -> bool {
    matches!(
        FileKind::of(rel),
        FileKind::Html | FileKind::Css | FileKind::Js
    )
}
