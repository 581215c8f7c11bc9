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
use crate::error::{Diagnostic, Severity};
use crate::parse::{FileFacts, FileKind, RefKind};
use crate::site::{Target, UrlSpace};
use crate::walk::{SiteFile, is_skipped_dir};

use std::io::Read as _;

/// The folder name whose loaded files are followed.
pub const PACKAGES: &str = "node_modules";

/// The most package files followed: a bound for a site whose packages load one another without
/// end (a real site loads a few hundred at most).
const MAX_FILES: usize = 20_000;

/// Adds to the site's `files` (sorted by path) those of its `node_modules/` folders that it loads
/// ([`loaded`]), keeping them sorted, and the errors for those behind links out of the site to
/// `diagnostics` (kept sorted).
pub fn add_loaded(
    root: &Path,
    space: &UrlSpace,
    sri: Sri,
    files: &mut Vec<SiteFile>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let (more, mut d) = loaded(root, files, space, sri);
    files.extend(more);
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    diagnostics.append(&mut d);
    diagnostics.sort();
}

/// The files under `root` (canonical) in `node_modules/` folders that the site's `files` load, or
/// files loaded that way load, sorted by path; and an error for each one loaded that a symbolic
/// link puts outside the site (not read, as the walk does not follow such links).
pub fn loaded(
    root: &Path,
    files: &[SiteFile],
    space: &UrlSpace,
    sri: Sri,
) -> (Vec<SiteFile>, Vec<Diagnostic>) {
    loaded_up_to(root, files, space, sri, MAX_FILES)
}

/// [`loaded`], following at most `max` files.
fn loaded_up_to(
    root: &Path,
    files: &[SiteFile],
    space: &UrlSpace,
    sri: Sri,
    max: usize,
) -> (Vec<SiteFile>, Vec<Diagnostic>) {
    let mut queue: Vec<SiteFile> = files
        .par_iter()
        .filter(|f| readable(&f.rel) && names_packages(&f.path))
        .cloned()
        .collect();
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut found = Vec::new();
    let mut diagnostics = Vec::new();
    let mut capped = false;
    // The import maps of the pages read, their URLs made absolute: a package's modules import
    // others by bare specifier.
    let mut import_map: BTreeMap<String, String> = BTreeMap::new();
    while !queue.is_empty() && found.len() < max {
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
            if !in_packages(&rel) || !seen.insert(rel.clone()) {
                continue;
            }
            let path = root.join(&rel);
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            if found.len() >= max {
                capped = true;
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
    if capped || !queue.is_empty() {
        diagnostics.push(Diagnostic::new(
            Severity::Warning,
            "package-limit",
            "",
            format!(
                "the site loads more than {max} files from node_modules folders; those past the \
                 first {max} are not read (pages that load them get missing-file errors)"
            ),
        ));
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

/// Whether a site-relative path lies in a `node_modules` folder and in no other folder the walk
/// skips (`.git/node_modules/` is never read), without a `.` or `..` segment.
pub fn in_packages(rel: &str) -> bool {
    // A name decoded from `%2F` and `..` (`node_modules%2F..%2Fx`) is no path of the folder.
    if rel
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return false;
    }
    let mut skipped = rel
        .split('/')
        .rev()
        .skip(1)
        .filter(|d| is_skipped_dir(d))
        .peekable();
    skipped.peek().is_some() && skipped.all(|d| d == PACKAGES)
}

/// Whether the file at `path` holds the bytes `node_modules`, read a buffer at a time.
fn names_packages(path: &Path) -> bool {
    let needle = PACKAGES.as_bytes();
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut buf = vec![0u8; 64 * 1024];
    // The bytes kept from the last buffer, so that a name across two reads is found.
    let mut kept = 0;
    loop {
        let n = match file.read(&mut buf[kept..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let end = kept + n;
        if memchr::memmem::find(&buf[..end], needle).is_some() {
            return true;
        }
        kept = (needle.len() - 1).min(end);
        buf.copy_within(end - kept..end, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_paths() {
        assert!(in_packages("node_modules/a/b.css"));
        assert!(in_packages("deck/node_modules/@s/node_modules/x.js"));
        assert!(!in_packages("node_modules"));
        assert!(!in_packages("assets/b.css"));
        assert!(!in_packages(".git/node_modules/b.css"));
        assert!(!in_packages("node_modules/.git/b.css"));
        assert!(!in_packages("node_modules/../../secret"));
        assert!(!in_packages("node_modules/a/./b.css"));
    }

    #[test]
    fn a_bound_on_the_files_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            SiteFile::of(rel.into(), path.clone(), &std::fs::metadata(&path).unwrap())
        };
        let page = write(
            "index.html",
            "<link rel=stylesheet href=node_modules/a/1.css><p>x",
        );
        write("node_modules/a/1.css", "@import '2.css';");
        write("node_modules/a/2.css", "@import '3.css';");
        write("node_modules/a/3.css", "p{}");
        let space = UrlSpace::new(&crate::config::BaseUrl::default());
        let files = [page];
        let (all, d) = loaded_up_to(&root, &files, &space, Sri::Sha256, 10);
        assert_eq!(all.len(), 3);
        assert!(d.is_empty());
        let (some, d) = loaded_up_to(&root, &files, &space, Sri::Sha256, 2);
        let rels: Vec<&str> = some.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["node_modules/a/1.css", "node_modules/a/2.css"]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "package-limit");
    }

    #[test]
    fn the_name_is_found_across_reads() {
        let dir = tempfile::tempdir().unwrap();
        let at = |offset: usize| {
            let path = dir.path().join(format!("{offset}.html"));
            let mut bytes = vec![b'x'; offset];
            bytes.extend_from_slice(b"node_modules/a.css");
            bytes.extend_from_slice(&[b'y'; 100]);
            std::fs::write(&path, bytes).unwrap();
            names_packages(&path)
        };
        for offset in [0, 65_530, 65_536, 65_540, 200_000] {
            assert!(at(offset), "{offset}");
        }
        let none = dir.path().join("none.html");
        std::fs::write(&none, vec![b'n'; 300_000]).unwrap();
        assert!(!names_packages(&none));
    }
}
