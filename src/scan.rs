//! Reading each file exactly once: its bytes go, chunk by chunk, to the SHA-256 hasher and to the
//! parser for its kind. Files are scanned in parallel (rayon); memory per file is one fixed-size
//! buffer plus what the parser keeps (CSS and JS text; for HTML only the references found).

use std::fs::File;
use std::io::Read;

use rayon::prelude::*;

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
    files
        .par_iter()
        .map(|f| {
            let s = scan_one(f, sri);
            on_done(s.size);
            s
        })
        .collect()
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
    let mut buf = vec![0u8; CHUNK];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                if let Some(p) = parser.as_mut() {
                    p.write(&buf[..n]);
                }
                scanned.size += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                fail(&mut scanned, format!("read failed: {e}"));
                return scanned;
            }
        }
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
