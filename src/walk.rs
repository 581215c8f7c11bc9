//! Listing the site: every regular file under the root, sorted, with nothing outside the root.
//!
//! Symlinks are followed only while they stay inside the site (a link leading out is a diagnostic and
//! is never read); loops are reported by walkdir and skipped. Anything that is not a regular file
//! (FIFOs, sockets, devices) is skipped with a diagnostic, so a FIFO can never hang a run. Hidden files
//! are kept (`.well-known/`, `.vite/manifest.json` matter), except VCS folders and our own outputs.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

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

impl SiteFile {
    /// The file at `path` (site-relative `rel`) as `meta` describes it.
    pub fn of(rel: String, path: PathBuf, meta: &std::fs::Metadata) -> SiteFile {
        SiteFile {
            rel,
            path,
            size: meta.len(),
            mtime_ns: mtime_ns(meta),
            inode: inode(meta),
        }
    }
}

/// Platform configuration at the site root that hosts read and never serve; leaving them out keeps
/// `assets.json` stable when `--headers-in-site` rewrites `_headers`.
const PLATFORM_FILES: &[&str] = &["_headers", "_redirects"];

/// Folder names never descended into.
const SKIP_DIRS: &[&str] = &[".git", ".hg", ".svn", crate::packages::PACKAGES];

/// Lists the site's files, sorted by relative path. `exclude` folders (the output folder when it lies
/// inside the site) are skipped. Also says whether a `node_modules` folder was passed over
/// ([`crate::packages`]).
///
/// The first two levels are listed first; then their folders are walked in parallel (a site's
/// folders are independent, and listing 40,000 files is most of a no-change re-run).
pub fn walk(root: &Path, exclude: &[PathBuf]) -> Result<(Vec<SiteFile>, Vec<Diagnostic>, bool)> {
    let root_canon = std::fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
    let exclude: Vec<PathBuf> = exclude
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let packages = AtomicBool::new(false);
    let (mut files, mut diags) = walk_split(&root_canon, &root_canon, 2, &exclude, &packages);
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    diags.sort();
    Ok((files, diags, packages.into_inner()))
}

/// Lists `dir` one level deep and walks its folders in parallel, splitting `levels` more times, so
/// a site whose files sit under one `assets/` folder still spreads over every core.
fn walk_split(
    root_canon: &Path,
    dir: &Path,
    levels: u32,
    exclude: &[PathBuf],
    packages: &AtomicBool,
) -> (Vec<SiteFile>, Vec<Diagnostic>) {
    use rayon::prelude::*;
    if levels == 0 {
        let (files, diags, _) = walk_from(root_canon, dir, None, exclude, packages);
        return (files, diags);
    }
    let (mut files, mut diags, subdirs) = walk_from(root_canon, dir, Some(1), exclude, packages);
    let deeper: Vec<_> = subdirs
        .par_iter()
        .map(|sub| walk_split(root_canon, sub, levels - 1, exclude, packages))
        .collect();
    for (f, d) in deeper {
        files.extend(f);
        diags.extend(d);
    }
    (files, diags)
}

/// Walks `start` (the root, or one folder under it) and returns its files, its diagnostics, and,
/// when `max_depth` stops the walk, the folders found at that depth that are to be walked next.
/// Sets `packages` when it passes over a `node_modules` folder.
fn walk_from(
    root_canon: &Path,
    start: &Path,
    max_depth: Option<usize>,
    exclude: &[PathBuf],
    packages: &AtomicBool,
) -> (Vec<SiteFile>, Vec<Diagnostic>, Vec<PathBuf>) {
    let mut files = Vec::new();
    let mut diags = Vec::new();
    let mut subdirs = Vec::new();
    // Unsorted: `walk` sorts the whole list once (sorting each folder's entries costs a path parse
    // per comparison).
    let mut walker = walkdir::WalkDir::new(start).follow_links(true);
    let mut folder = FolderStat::default();
    if let Some(d) = max_depth {
        walker = walker.max_depth(d);
    }
    let mut it = walker.into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let rel = e.path().map(|p| rel_of(root_canon, p)).unwrap_or_default();
                // A link to nothing is no file of the site; a page that loads it gets a
                // missing-file error.
                let dangling = e
                    .io_error()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
                    && e.path()
                        .and_then(|p| std::fs::symlink_metadata(p).ok())
                        .is_some_and(|m| m.file_type().is_symlink());
                let (severity, code, msg) = if e.loop_ancestor().is_some() {
                    (
                        Severity::Error,
                        "symlink-loop",
                        "symbolic link loop; not followed".to_string(),
                    )
                } else if dangling {
                    (
                        Severity::Warning,
                        "broken-symlink",
                        "symbolic link to nothing; skipped".to_string(),
                    )
                } else {
                    (Severity::Error, "unreadable", format!("cannot read: {e}"))
                };
                diags.push(Diagnostic::new(severity, code, rel, msg));
                continue;
            }
        };
        let path = entry.path();
        if entry.depth() == 0 {
            continue;
        }
        let rel = rel_of(root_canon, path);
        let ft = entry.file_type();
        if ft.is_dir() && is_skipped_dir(&entry.file_name().to_string_lossy()) {
            if entry.file_name() == crate::packages::PACKAGES {
                packages.store(true, Ordering::Relaxed);
            }
            it.skip_current_dir();
            continue;
        }
        if entry.path_is_symlink() {
            match std::fs::canonicalize(path) {
                // A folder link to one of its own ancestors is a loop, also when the ancestor lies
                // above where this walker started (walkdir only sees its own ancestors).
                Ok(target)
                    if ft.is_dir()
                        && path
                            .parent()
                            .and_then(|p| std::fs::canonicalize(p).ok())
                            .is_some_and(|p| p.starts_with(&target)) =>
                {
                    diags.push(Diagnostic::new(
                        Severity::Error,
                        "symlink-loop",
                        rel,
                        "symbolic link loop; not followed",
                    ));
                    it.skip_current_dir();
                    continue;
                }
                Ok(target) if target.starts_with(root_canon) => {}
                Ok(_) | Err(_) => {
                    diags.push(outside_link(rel));
                    if ft.is_dir() {
                        it.skip_current_dir();
                    }
                    continue;
                }
            }
        }
        if ft.is_dir() {
            // The walk starts at the canonical root, so a folder's path is canonical unless a
            // symbolic link led to it; only then is it resolved (one `realpath` per folder adds up).
            let excluded = !exclude.is_empty()
                && if entry.path_is_symlink() {
                    std::fs::canonicalize(path).is_ok_and(|c| exclude.contains(&c))
                } else {
                    exclude.iter().any(|x| x == path)
                };
            if excluded {
                it.skip_current_dir();
            } else if max_depth == Some(entry.depth()) {
                subdirs.push(path.to_path_buf());
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
        let stat = match folder.stat(path) {
            Some(stat) => stat,
            None => match entry.metadata() {
                Ok(m) => (m.len(), mtime_ns(&m), inode(&m)),
                Err(e) => {
                    diags.push(Diagnostic::new(
                        Severity::Error,
                        "unreadable",
                        rel,
                        format!("cannot read metadata: {e}"),
                    ));
                    continue;
                }
            },
        };
        let (size, mtime_ns, inode) = stat;
        files.push(SiteFile {
            rel,
            path: path.to_path_buf(),
            size,
            mtime_ns,
            inode,
        });
    }
    (files, diags, subdirs)
}

/// Size, mtime (ns) and inode of listed files by a `stat` relative to their folder, opened once per
/// folder: looking up the full path of each of 40,000 files again is most of a no-change re-run.
/// Follows symbolic links, as `std::fs::metadata` does. `None` on any failure (the caller then asks
/// `std::fs::metadata`, which reports the error).
#[derive(Default)]
struct FolderStat {
    #[cfg(unix)]
    open: Option<(PathBuf, rustix::fd::OwnedFd)>,
}

impl FolderStat {
    #[cfg(unix)]
    fn stat(&mut self, path: &Path) -> Option<(u64, i128, u64)> {
        use rustix::fs::{AtFlags, Mode, OFlags};
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        let slash = bytes.iter().rposition(|&b| b == b'/')?;
        let (dir, name) = (&bytes[..slash.max(1)], &bytes[slash + 1..]);
        if self.open.as_ref().map(|(d, _)| d.as_os_str().as_bytes()) != Some(dir) {
            let dir = Path::new(std::ffi::OsStr::from_bytes(dir));
            let flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC;
            let fd = rustix::fs::open(dir, flags, Mode::empty()).ok()?;
            self.open = Some((dir.to_path_buf(), fd));
        }
        let (_, fd) = self.open.as_ref()?;
        let st =
            rustix::fs::statat(fd, std::ffi::OsStr::from_bytes(name), AtFlags::empty()).ok()?;
        let mtime = st.st_mtime as i128 * 1_000_000_000 + st.st_mtime_nsec as i128;
        Some((st.st_size as u64, mtime, st.st_ino as u64))
    }

    #[cfg(not(unix))]
    fn stat(&mut self, _: &Path) -> Option<(u64, i128, u64)> {
        None
    }
}

/// Whether [`walk`] leaves out a file at this site-relative path because of its path alone: inside a
/// skipped folder (`.git`, `node_modules`, …), a root platform file (`_headers`, `_redirects`) or one of
/// our temp files. Watch mode filters single-file events with it, so they agree with a full walk.
pub fn skips_rel(rel: &str) -> bool {
    skipped_folder(rel).is_some() || is_temp_name(rel) || PLATFORM_FILES.contains(&rel)
}

/// The symbolic links that lead outside the site (not followed), from the walk's diagnostics,
/// sorted.
pub fn outside_links(diagnostics: &[Diagnostic]) -> Vec<String> {
    let mut links: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.code == OUTSIDE_LINK)
        .map(|d| d.file.clone())
        .collect();
    links.sort_unstable();
    links
}

/// The link of `links` ([`outside_links`]) that site-relative `file` lies behind, if any.
pub fn behind_link<'l>(links: &'l [String], file: &str) -> Option<&'l str> {
    links
        .iter()
        .find(|l| {
            file.strip_prefix(l.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .map(String::as_str)
}

/// The code of a symbolic link that leads outside the site.
const OUTSIDE_LINK: &str = "symlink-outside";

/// The error for a symbolic link (site-relative `rel`, or a file behind one) that leads outside
/// the site, which is not followed.
pub fn outside_link(rel: String) -> Diagnostic {
    Diagnostic::new(
        Severity::Error,
        OUTSIDE_LINK,
        rel,
        "symbolic link leads outside the site; not followed",
    )
}

/// Whether the walk passes over folders of this name.
pub fn is_skipped_dir(name: &str) -> bool {
    SKIP_DIRS.contains(&name)
}

/// The skipped folder (`node_modules`, `.git`, …) a site-relative path lies in, if any (the files
/// of a `node_modules` folder that the site loads are read all the same, [`crate::packages`]).
pub fn skipped_folder(rel: &str) -> Option<&'static str> {
    let mut dirs = rel.split('/').rev().skip(1);
    dirs.find_map(|d| SKIP_DIRS.iter().find(|&&s| s == d).copied())
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

/// The site-relative path (`/` separators) of `path` under `root`.
pub fn rel_of(root: &Path, path: &Path) -> String {
    // Fast path: walkdir joins names with `/` under the root, so on Unix the path's bytes after the
    // root and its separator are the relative path already.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let (p, r) = (path.as_os_str().as_bytes(), root.as_os_str().as_bytes());
        if let Some(rest) = p.strip_prefix(r) {
            let rest = rest.strip_prefix(b"/").unwrap_or(rest);
            if !rest.is_empty() && !rest.starts_with(b"/") && !rest.windows(2).any(|w| w == b"//") {
                return String::from_utf8_lossy(rest).into_owned();
            }
        }
    }
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
