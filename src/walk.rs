//! Listing the site: every regular file under the root, sorted, with nothing outside the root.
//!
//! Symlinks are followed only while they stay inside the site (a link leading out is a diagnostic and
//! is never read); loops are reported by walkdir and skipped. Anything that is not a regular file
//! (FIFOs, sockets, devices) is skipped with a diagnostic, so a FIFO can never hang a run. Hidden files
//! are kept (`.well-known/`, `.vite/manifest.json` matter), except VCS folders and our own outputs.

use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, Error, Result, Severity};

/// One regular file of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFile {
    /// Site-relative path with `/` separators.
    pub rel: String,
    /// Where to read it.
    pub path: PathBuf,
    /// Size when listed.
    pub size: u64,
    /// Modification time in nanoseconds since the epoch (0 when unknown).
    pub mtime_ns: i128,
    /// Inode number (0 where the platform has none).
    pub inode: u64,
}

/// Platform configuration at the site root that hosts read and never serve; leaving them out keeps
/// `assets.json` stable when `--headers-in-site` rewrites `_headers`.
const PLATFORM_FILES: &[&str] = &["_headers", "_redirects"];

/// Folder names never descended into.
const SKIP_DIRS: &[&str] = &[".git", ".hg", ".svn", "node_modules"];

/// Lists the site's files, sorted by relative path. `exclude` folders (the output folder when it lies
/// inside the site) are skipped.
pub fn walk(root: &Path, exclude: &[PathBuf]) -> Result<(Vec<SiteFile>, Vec<Diagnostic>)> {
    let root_canon = std::fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
    let exclude: Vec<PathBuf> = exclude
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let mut files = Vec::new();
    let mut diags = Vec::new();
    let mut it = walkdir::WalkDir::new(&root_canon)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let rel = e.path().map(|p| rel_of(&root_canon, p)).unwrap_or_default();
                let (code, msg) = if e.loop_ancestor().is_some() {
                    (
                        "symlink-loop",
                        "symbolic link loop; not followed".to_string(),
                    )
                } else {
                    ("unreadable", format!("cannot read: {e}"))
                };
                diags.push(Diagnostic::new(Severity::Error, code, rel, msg));
                continue;
            }
        };
        let path = entry.path();
        if entry.depth() == 0 {
            continue;
        }
        let rel = rel_of(&root_canon, path);
        let ft = entry.file_type();
        if ft.is_dir() && (SKIP_DIRS.contains(&entry.file_name().to_string_lossy().as_ref())) {
            it.skip_current_dir();
            continue;
        }
        if entry.path_is_symlink() {
            match std::fs::canonicalize(path) {
                Ok(target) if target.starts_with(&root_canon) => {}
                Ok(_) | Err(_) => {
                    diags.push(Diagnostic::new(
                        Severity::Error,
                        "symlink-outside",
                        rel,
                        "symbolic link leads outside the site; not followed",
                    ));
                    if ft.is_dir() {
                        it.skip_current_dir();
                    }
                    continue;
                }
            }
        }
        if ft.is_dir() {
            if exclude
                .iter()
                .any(|x| std::fs::canonicalize(path).is_ok_and(|c| &c == x))
            {
                it.skip_current_dir();
            }
            continue;
        }
        if !ft.is_file() {
            diags.push(Diagnostic::new(
                Severity::Warning,
                "not-a-file",
                rel,
                "not a regular file (FIFO, socket or device); skipped",
            ));
            continue;
        }
        if is_temp_name(&rel) || PLATFORM_FILES.contains(&rel.as_str()) {
            continue;
        }
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) => {
                diags.push(Diagnostic::new(
                    Severity::Error,
                    "unreadable",
                    rel,
                    format!("cannot read metadata: {e}"),
                ));
                continue;
            }
        };
        files.push(SiteFile {
            rel,
            path: path.to_path_buf(),
            size: meta.len(),
            mtime_ns: mtime_ns(&meta),
            inode: inode(&meta),
        });
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok((files, diags))
}

/// Whether [`walk`] leaves out a file at this site-relative path because of its path alone: inside a
/// skipped folder (`.git`, `node_modules`, …), a root platform file (`_headers`, `_redirects`) or one of
/// our temp files. Watch mode filters single-file events with it, so they agree with a full walk.
pub fn skips_rel(rel: &str) -> bool {
    let mut dirs = rel.split('/').rev().skip(1);
    dirs.any(|d| SKIP_DIRS.contains(&d)) || is_temp_name(rel) || PLATFORM_FILES.contains(&rel)
}

/// Our own atomic-write temp files and editors' swap, backup and temp files, which come and go
/// while a site is edited and are never served as part of it.
fn is_temp_name(rel: &str) -> bool {
    is_editor_temp(rel.rsplit('/').next().unwrap_or(rel))
}

/// True for editor swap, backup and temp files, and for our own atomic-write temp files. Names only:
/// vim (`.x.swp`, `.x.swx`, `x~`, `4913`), emacs (`#x#`, `.#x`), JetBrains (`x___jb_tmp___`,
/// `x___jb_old___`, `x___jb_bak___`), kate (`x.kate-swp`), GNOME (`.goutputstream-*`), hintgen
/// (`.hintgen-*.tmp`).
pub fn is_editor_temp(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e);
    name.ends_with('~')
        || name == "4913"
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || name.starts_with(".#")
        || name.starts_with(".goutputstream-")
        || matches!(ext, Some("swp" | "swx" | "kate-swp"))
        || ["___jb_tmp___", "___jb_old___", "___jb_bak___"]
            .iter()
            .any(|s| name.ends_with(s))
        || (name.starts_with(".hintgen-") && name.ends_with(".tmp"))
}

fn rel_of(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// Modification time in nanoseconds since the epoch.
pub fn mtime_ns(meta: &std::fs::Metadata) -> i128 {
    match meta.modified() {
        Ok(t) => match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_nanos() as i128,
            Err(e) => -(e.duration().as_nanos() as i128),
        },
        Err(_) => 0,
    }
}

/// The inode number, where the platform has one.
pub fn inode(meta: &std::fs::Metadata) -> u64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        0
    }
}
