//! Reading each file exactly once: its bytes go, chunk by chunk, to the SHA-256 hasher and to the
//! parser for its kind. Files are scanned in parallel (rayon); memory per file is one fixed-size
//! buffer per thread plus what the parser keeps (CSS and JS text; for HTML only the references found).
//!
//! With a [`Cache`] ([`scan_all_cached`]), files whose key matches a trusted entry are not opened at
//! all: their digest, integrity and parse results are decoded from the cache instead, in parallel.

use std::cell::RefCell;
use std::fs::File;
use std::io::Read;

use rayon::prelude::*;

use crate::cache::{Cache, Matches};
use crate::config::Sri;
use crate::error::{Diagnostic, Severity};
use crate::fingerprint::{Digest, Hasher};
use crate::parse::{FileFacts, FileKind, parser_for};
use crate::walk::SiteFile;

/// Read buffer size: large enough to amortize syscalls, small enough to stay in cache.
const CHUNK: usize = 256 * 1024;

/// What reading one file gave.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The file as listed.
    pub file: SiteFile,
    /// Its kind.
    pub kind: FileKind,
    /// Size actually read.
    pub size: u64,
    /// SHA-256 of the bytes read.
    pub digest: Digest,
    /// SRI value (`sha256-…` unless another digest was asked for).
    pub integrity: String,
    /// Parse results for HTML, CSS, JS and the Vite manifest.
    pub facts: Option<FileFacts>,
    /// Problems with this file (`file` filled in).
    pub diagnostics: Vec<Diagnostic>,
    /// False when the file could not be read; its digest is then meaningless.
    pub ok: bool,
}

/// Scans every file in parallel; the result keeps the input order.
pub fn scan_all(files: &[SiteFile], sri: Sri, on_done: &(dyn Fn(u64) + Sync)) -> Vec<Scanned> {
    scan_all_cached(files, sri, None, on_done).0
}

/// [`scan_all`], taking each file that has a trusted entry in `cache` (`matches[i]`, from
/// [`Cache::matches`]) from the cache instead of reading it. Also returns, per file, whether it came
/// from the cache. The cache must have been loaded for the same `sri`. `on_done` hears only about
/// the files read.
pub fn scan_all_cached(
    files: &[SiteFile],
    sri: Sri,
    cache: Option<(&Cache, &Matches)>,
    on_done: &(dyn Fn(u64) + Sync),
) -> (Vec<Scanned>, Vec<bool>) {
    (0..files.len())
        .into_par_iter()
        .map(|i| scan_cached(files, i, sri, cache, on_done))
        .unzip()
}

/// One file of [`scan_all_cached`]: `files[i]`, from the cache when it has a trusted entry, else
/// read (and `on_done` hears of it). The flag says whether it came from the cache.
pub fn scan_cached(
    files: &[SiteFile],
    i: usize,
    sri: Sri,
    cache: Option<(&Cache, &Matches)>,
    on_done: &(dyn Fn(u64) + Sync),
) -> (Scanned, bool) {
    let f = &files[i];
    match cache.and_then(|(c, m)| c.get(m.get(i).copied().flatten()?)) {
        Some(hit) => (from_cache(f, hit), true),
        None => {
            let s = scan_one(f, sri);
            on_done(s.size);
            (s, false)
        }
    }
}

/// A file's scan results as the cache recorded them.
fn from_cache(file: &SiteFile, hit: crate::cache::Hit) -> Scanned {
    Scanned {
        file: file.clone(),
        kind: FileKind::of(&file.rel),
        size: file.size,
        digest: hit.digest,
        integrity: hit.integrity,
        facts: hit.facts,
        diagnostics: hit.diagnostics,
        ok: true,
    }
}

thread_local! {
    /// One read buffer per thread, reused for every file (allocating and zeroing 256 KiB per file
    /// cost more than reading small files).
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Reads one file once, hashing and parsing it.
pub fn scan_one(file: &SiteFile, sri: Sri) -> Scanned {
    let kind = FileKind::of(&file.rel);
    let mut scanned = Scanned {
        file: file.clone(),
        kind,
        size: 0,
        digest: Digest::default(),
        integrity: String::new(),
        facts: None,
        diagnostics: Vec::new(),
        ok: false,
    };
    let fail = |s: &mut Scanned, msg: String| {
        s.diagnostics.push(Diagnostic::new(
            Severity::Error,
            "unreadable",
            &file.rel,
            msg,
        ));
    };
    let mut f = match open_regular(file) {
        Ok(f) => f,
        Err(e) => {
            fail(&mut scanned, format!("cannot read: {e}"));
            return scanned;
        }
    };
    let mut hasher = Hasher::new(sri);
    let mut parser = parser_for(kind);
    let read = BUFFER.with(|cell| {
        // A parser never calls back into the scanner, but stay safe if the buffer is busy.
        let mut own = Vec::new();
        let mut guard = cell.try_borrow_mut();
        let buf = match guard.as_mut() {
            Ok(b) => &mut **b,
            Err(_) => &mut own,
        };
        if buf.len() < CHUNK {
            buf.resize(CHUNK, 0);
        }
        loop {
            match f.read(buf) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    hasher.update(&buf[..n]);
                    if let Some(p) = parser.as_mut() {
                        p.write(&buf[..n]);
                    }
                    scanned.size += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    });
    if let Err(e) = read {
        fail(&mut scanned, format!("read failed: {e}"));
        return scanned;
    }
    let (digest, integrity) = hasher.finish();
    scanned.digest = digest;
    scanned.integrity = integrity;
    scanned.ok = true;
    if let Some(p) = parser {
        let mut facts = p.finish();
        for d in facts.diagnostics.iter_mut() {
            d.file = file.rel.clone();
        }
        scanned.diagnostics.append(&mut facts.diagnostics);
        // Parse results of every file stay in memory until planning: no spare capacity.
        facts.refs.shrink_to_fit();
        scanned.facts = Some(facts);
    }
    scanned
}

/// Opens a file for reading, refusing anything that is not a regular file. On Unix the open is
/// non-blocking, so a FIFO that replaced a file since the walk cannot hang the run.
fn open_regular(file: &SiteFile) -> std::io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK on Linux; it has no effect on regular files.
        opts.custom_flags(0o4000);
    }
    let f = opts.open(&file.path)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(f)
}
