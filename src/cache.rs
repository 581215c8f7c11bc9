//! The fingerprint cache: `OUT/.hintgen-cache` remembers, per site file, its SHA-256 digest, its SRI
//! value and its parse results, so a re-run reads only the files that changed.
//!
//! **Key.** An entry is reused when the file's site-relative path, size, modification time (in
//! nanoseconds) and inode all equal the ones recorded, as git's index and rsync's quick check do. A
//! file replaced by a rename (the usual way bundlers and editors write) gets a new inode, so it is
//! read again even if a tool restored its size and mtime. The whole cache is also keyed by the SRI
//! choice (`--sri`): integrity values are stored, not derived.
//!
//! **Racy timestamps.** A file written twice within one timestamp tick keeps the same mtime, so a
//! change made just after the file was hashed could go unseen. As in git ("racy git") and Mercurial,
//! an entry is trusted only when its mtime is older than the moment the run that hashed it started,
//! by more than [`GRANULARITY_NS`] (2 s: FAT's mtime granularity, and twice the 1 s of ext3, HFS+ and
//! many network file systems; ext4 and XFS keep nanoseconds but advance them with a coarse clock).
//! Younger entries are read again on the next run, which then records them as old enough. The
//! clock is the system clock (`SystemTime`): a file server whose clock runs more than 2 s behind
//! this machine's defeats the rule, as it does for git.
//!
//! **Format** (little-endian), written atomically with [`crate::output::write_atomic`]:
//!
//! ```text
//! magic "HGCACHE\0" | format version: u32 | header length: u32 | header | entries… | SHA-256 of all before
//! header: postcard(Header) — crate version, build id, schema id, SRI algorithm, run start, granularity, entry count
//! entry:  length: u32 | postcard(Key) | postcard(Value)
//! ```
//!
//! Entries are [postcard](https://docs.rs/postcard) (a compact, non-self-describing serde format)
//! in the walk's sorted order. The *schema id* hashes the JSON form of a sample value, so a field added
//! to the parse types makes old caches foreign rather than misread; the *build id* (size and mtime of
//! the running executable) makes a rebuilt hintgen, whose parsers may find other references, start
//! afresh. A cache that is missing is silently rebuilt; one that is truncated, damaged (checksum),
//! foreign (another format, version, build or schema) or made for another `--sri` is ignored with a
//! note (`cache-ignored`) and never trusted.
//!
//! **Run record.** `OUT/.hintgen-cache-run` ([`record_run`], [`up_to_date`]) lets a `build` with
//! nothing to do skip planning, rendering and writing: it holds the hintgen identity, a hash of the
//! whole configuration, a hash of the walk's diagnostics, the *files key* (a SHA-256 over every site
//! file's path, size, mtime and inode, made only when no mtime was racy at the start of the run; see
//! [`files_key`]), the stat key (size, mtime, inode) of the cache and of every output, and the
//! diagnostics and summary the run printed. (The cache's stat key ties the record to the cache it
//! wrote, so a damaged or replaced cache is still read, and reported, by the next run.) It applies
//! only when all of these are unchanged (so no file was added, removed, changed or is racy);
//! checking it needs the walk but not the cache, which is not even read. Outputs are written by
//! rename, so an output replaced by hand gets a new inode; one edited in place within the same
//! timestamp tick as hintgen wrote it, keeping its size, would go unseen.
//!
//! **Memory.** The file is read whole (about 3 KiB per page and 100 bytes per other file) and entries
//! are decoded on demand, in parallel, by the scanner; nothing depends on the size of the site's files.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::config::Sri;
use crate::error::{Diagnostic, Location, Severity};
use crate::fingerprint::Digest;
use crate::parse::{
    FileFacts, RareAttrs, RefAttrs, RefKind, Reference, SrcsetCandidate, TextChars, vite,
};
use crate::scan::Scanned;
use crate::walk::SiteFile;

/// The cache's file name inside OUT.
pub const FILE_NAME: &str = ".hintgen-cache";

/// Bumped whenever the framing or the meaning of a field changes.
const FORMAT_VERSION: u32 = 41;

const MAGIC: &[u8; 8] = b"HGCACHE\0";

/// Entries whose mtime lies within this much of the hashing run's start are not trusted.
pub const GRANULARITY_NS: i128 = 2_000_000_000;

/// The bytes before the header: magic, format version, header length.
const PREFIX_LEN: usize = 16;
const TRAILER_LEN: usize = 32;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    crate_version: String,
    build_id: u64,
    schema: u64,
    sri: String,
    /// When the run that hashed the younger entries started (ns since the epoch, system clock).
    started_ns: i128,
    granularity_ns: i128,
    entries: u64,
}

/// What identifies one version of a file.
#[derive(Debug, Serialize, Deserialize)]
struct Key<'a> {
    rel: &'a str,
    size: u64,
    mtime_ns: i128,
    inode: u64,
}

/// A diagnostic as stored: the code is owned here and interned on the way back.
#[derive(Debug, Serialize, Deserialize)]
struct StoredDiagnostic<'a> {
    #[serde(borrow)]
    file: std::borrow::Cow<'a, str>,
    location: Location,
    severity: Severity,
    #[serde(borrow)]
    code: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    message: std::borrow::Cow<'a, str>,
}

/// What is stored per file, borrowed for writing.
#[derive(Serialize)]
struct ValueRef<'a> {
    digest: &'a [u8; 32],
    integrity: &'a str,
    facts: Option<&'a FileFacts>,
    diagnostics: Vec<StoredDiagnostic<'a>>,
}

/// What is stored per file, owned for reading. Same field order and types as [`ValueRef`].
#[derive(Deserialize)]
struct Value<'a> {
    digest: [u8; 32],
    integrity: String,
    facts: Option<FileFacts>,
    #[serde(borrow)]
    diagnostics: Vec<StoredDiagnostic<'a>>,
}

/// One file's cached scan results.
#[derive(Debug, Clone)]
pub struct Hit {
    /// SHA-256 of the file.
    pub digest: Digest,
    /// Its SRI value for the cache's `--sri` choice.
    pub integrity: String,
    /// Its parse results (HTML, CSS, JS, Vite manifest).
    pub facts: Option<FileFacts>,
    /// The file's own diagnostics (parse problems), `file` filled in.
    pub diagnostics: Vec<Diagnostic>,
}

/// A cache read from disk and checked: header valid, checksum right, every entry framed.
#[derive(Debug)]
pub struct Cache {
    bytes: Vec<u8>,
    started_ns: i128,
    /// Per entry: the key's fields and the byte range of the whole frame (length included).
    entries: Vec<Slot>,
}

#[derive(Debug, Clone)]
struct Slot {
    rel: Range<usize>,
    size: u64,
    mtime_ns: i128,
    inode: u64,
    frame: Range<usize>,
    value: Range<usize>,
}

/// Where a file's scan results come from: a trusted cache entry (by index into the cache), or a read.
pub type Matches = Vec<Option<usize>>;

impl Cache {
    /// Reads and checks the cache at `path` for a run with this `--sri`. `Ok(None)` when there is no
    /// cache yet; `Err` with a `cache-ignored` note when there is one that must not be trusted.
    pub fn load(path: &Path, sri: Sri) -> Result<Option<Cache>, Diagnostic> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(ignored(path, &format!("cannot be read ({e})"))),
        };
        Cache::parse(bytes, sri)
            .map(Some)
            .map_err(|why| ignored(path, &why))
    }

    fn parse(bytes: Vec<u8>, sri: Sri) -> Result<Cache, String> {
        const TRUNCATED: &str = "is truncated";
        if bytes.len() < PREFIX_LEN || &bytes[..8] != MAGIC {
            return Err(if MAGIC.starts_with(&bytes[..bytes.len().min(8)]) {
                TRUNCATED.into()
            } else {
                "is not a hintgen cache".into()
            });
        }
        let format = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
        if format != FORMAT_VERSION {
            return Err(format!(
                "has format version {format}, not {FORMAT_VERSION} (another hintgen version wrote it)"
            ));
        }
        if bytes.len() < PREFIX_LEN + TRAILER_LEN {
            return Err(TRUNCATED.into());
        }
        let body_end = bytes.len() - TRAILER_LEN;
        let sum = sha2::Sha256::digest(&bytes[..body_end]);
        if sum.as_slice() != &bytes[body_end..] {
            return Err("is damaged or truncated (checksum mismatch)".into());
        }
        let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap_or_default()) as usize;
        let header_end = PREFIX_LEN
            .checked_add(header_len)
            .filter(|&e| e <= body_end)
            .ok_or_else(|| TRUNCATED.to_string())?;
        let header: Header = postcard::from_bytes(&bytes[PREFIX_LEN..header_end])
            .map_err(|e| format!("has an unreadable header ({e})"))?;
        let ours = identity();
        if header.crate_version != ours.crate_version
            || header.build_id != ours.build_id
            || header.schema != ours.schema
            || header.granularity_ns != GRANULARITY_NS
        {
            return Err(format!(
                "was written by another hintgen build (version {})",
                header.crate_version
            ));
        }
        if header.sri != sri.name() {
            return Err(format!(
                "holds {} integrity values, and {} was asked for",
                header.sri,
                sri.name()
            ));
        }
        let mut entries = Vec::with_capacity(header.entries.min(1 << 24) as usize);
        let mut pos = header_end;
        while pos < body_end {
            let len = bytes
                .get(pos..pos + 4)
                .map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()) as usize)
                .ok_or_else(|| TRUNCATED.to_string())?;
            let start = pos + 4;
            let end = start
                .checked_add(len)
                .filter(|&e| e <= body_end)
                .ok_or_else(|| TRUNCATED.to_string())?;
            let frame = &bytes[start..end];
            let (key, rest): (Key<'_>, _) =
                postcard::take_from_bytes(frame).map_err(|e| format!("has a bad entry ({e})"))?;
            let rel_start = key.rel.as_ptr() as usize - bytes.as_ptr() as usize;
            let value_start = end - rest.len();
            entries.push(Slot {
                rel: rel_start..rel_start + key.rel.len(),
                size: key.size,
                mtime_ns: key.mtime_ns,
                inode: key.inode,
                frame: pos..end,
                value: value_start..end,
            });
            pos = end;
        }
        if entries.len() as u64 != header.entries {
            return Err(TRUNCATED.into());
        }
        Ok(Cache {
            bytes,
            started_ns: header.started_ns,
            entries,
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the cache has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn rel(&self, slot: &Slot) -> &str {
        std::str::from_utf8(self.rel_bytes(slot)).unwrap_or("")
    }

    /// A path as bytes: UTF-8 byte order is `str` order, without re-checking UTF-8 per comparison.
    fn rel_bytes(&self, slot: &Slot) -> &[u8] {
        &self.bytes[slot.rel.clone()]
    }

    /// For each file, the entry that may be used for it: same path, size, mtime and inode, and an
    /// mtime old enough to rule out a racy change (see the module docs).
    pub fn matches(&self, files: &[SiteFile]) -> Matches {
        let usable = |f: &SiteFile, i: usize| {
            let s = &self.entries[i];
            let same = s.size == f.size && s.mtime_ns == f.mtime_ns && s.inode == f.inode;
            (same && trusted(f.mtime_ns, self.started_ns)).then_some(i)
        };
        // Entries are written in the walk's order, so a merge finds them without hashing 40,000
        // paths; a cache in any other order falls back to a map.
        let sorted = self
            .entries
            .windows(2)
            .all(|w| self.rel_bytes(&w[0]) < self.rel_bytes(&w[1]));
        if sorted && files.windows(2).all(|w| w[0].rel < w[1].rel) {
            let mut j = 0;
            return files
                .iter()
                .map(|f| {
                    let rel = f.rel.as_bytes();
                    while j < self.entries.len() && self.rel_bytes(&self.entries[j]) < rel {
                        j += 1;
                    }
                    let found = j < self.entries.len() && self.rel_bytes(&self.entries[j]) == rel;
                    found.then(|| usable(f, j)).flatten()
                })
                .collect();
        }
        let by_rel: HashMap<&str, usize> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, s)| (self.rel(s), i))
            .collect();
        files
            .iter()
            .map(|f| usable(f, *by_rel.get(f.rel.as_str())?))
            .collect()
    }

    /// Decodes entry `i`. `None` if it cannot be decoded (the scanner then reads the file).
    pub fn get(&self, i: usize) -> Option<Hit> {
        let slot = self.entries.get(i)?;
        let v: Value<'_> = postcard::from_bytes(&self.bytes[slot.value.clone()]).ok()?;
        Some(Hit {
            digest: Digest(v.digest),
            integrity: v.integrity,
            facts: v.facts,
            diagnostics: v.diagnostics.into_iter().map(to_diagnostic).collect(),
        })
    }

    /// Entry `i` as stored (with its length prefix), to copy into a new cache.
    pub fn frame(&self, i: usize) -> &[u8] {
        &self.bytes[self.entries[i].frame.clone()]
    }
}

/// An mtime can be trusted when it is older than the hashing run's start by more than the granularity.
fn trusted(mtime_ns: i128, started_ns: i128) -> bool {
    mtime_ns != 0 && mtime_ns < started_ns - GRANULARITY_NS
}

fn ignored(path: &Path, why: &str) -> Diagnostic {
    Diagnostic::new(
        Severity::Note,
        "cache-ignored",
        "",
        format!(
            "the fingerprint cache {} {why}; it was ignored, every file is read again and the cache \
             is rewritten",
            path.display()
        ),
    )
}

/// Where the cache lives for a run, or `None` when it is off (`--no-cache`) or there is no output
/// folder (`-o -`).
pub fn path_for(out: Option<&Path>, enabled: bool) -> Option<PathBuf> {
    enabled.then(|| out.map(|o| o.join(FILE_NAME))).flatten()
}

/// True when a new cache would say nothing the old one does not: every file came from it, and it
/// holds no other entries.
pub fn unchanged(old: Option<&Cache>, from_cache: &[bool]) -> bool {
    old.is_some_and(|c| c.len() == from_cache.len() && from_cache.iter().all(|&b| b))
}

/// A new cache built whole in memory, as [`stream`] writes it: the tests' reference.
#[cfg(test)]
fn assemble(
    old: Option<(&Cache, &Matches)>,
    from_cache: &[bool],
    mut own: impl FnMut(usize, &mut Frames),
    sri: Sri,
    started_ns: i128,
) -> Vec<u8> {
    let mut frames = Frames::new(old.map_or(from_cache.len() * 128, |(c, _)| c.bytes.len()));
    for i in 0..from_cache.len() {
        match reused(old, from_cache, i) {
            Some(frame) => frames.push(frame),
            None => own(i, &mut frames),
        }
    }
    frames.finish(sri, started_ns)
}

/// Writes a new cache to `w`, one entry per file in the walk's order (`from_cache` has one flag
/// per file): the entry of a file the run took from `old` is copied as it was; `own[i]` is the
/// entry of a file just read ([`Frames::of`]; `None` for a file taken from `old`, or one that gets
/// no entry). Each entry is written and dropped in turn, so the file's bytes are never all in
/// memory.
pub fn stream(
    w: &mut impl std::io::Write,
    old: Option<(&Cache, &Matches)>,
    from_cache: &[bool],
    mut own: Vec<Option<Vec<u8>>>,
    sri: Sri,
    started_ns: i128,
) -> std::io::Result<()> {
    let count = (0..from_cache.len())
        .filter(|&i| reused(old, from_cache, i).is_some() || own[i].is_some())
        .count();
    let mut sum = sha2::Sha256::new();
    let mut put = |bytes: &[u8]| {
        sum.update(bytes);
        w.write_all(bytes)
    };
    put(&prefix(count as u64, sri, started_ns))?;
    for (i, own) in own.iter_mut().enumerate() {
        match reused(old, from_cache, i) {
            Some(frame) => put(frame)?,
            None => {
                if let Some(frame) = own.take() {
                    put(&frame)?;
                }
            }
        }
    }
    w.write_all(&sum.finalize())
}

/// The old cache's entry for file `i`, when the run took that file from it.
fn reused<'c>(
    old: Option<(&'c Cache, &Matches)>,
    from_cache: &[bool],
    i: usize,
) -> Option<&'c [u8]> {
    let (c, m) = old.filter(|_| from_cache[i])?;
    m.get(i).copied().flatten().map(|j| c.frame(j))
}

/// The magic, format version and header of a cache of `count` entries.
fn prefix(count: u64, sri: Sri, started_ns: i128) -> Vec<u8> {
    let ours = identity();
    let header = Header {
        crate_version: ours.crate_version,
        build_id: ours.build_id,
        schema: ours.schema,
        sri: sri.name().to_string(),
        started_ns,
        granularity_ns: GRANULARITY_NS,
        entries: count,
    };
    let header = postcard::to_stdvec(&header).unwrap_or_default();
    let mut out = Vec::with_capacity(PREFIX_LEN + header.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out
}

/// Cache entries, one frame per file: [`Frames::of`] makes one file's for [`stream`] (the tests
/// also build whole caches from them).
#[derive(Debug, Default)]
pub struct Frames {
    body: Vec<u8>,
    count: u64,
}

impl Frames {
    /// An empty list, with room for about `bytes`.
    #[cfg(test)]
    fn new(bytes: usize) -> Frames {
        Frames {
            body: Vec::with_capacity(bytes),
            count: 0,
        }
    }

    /// Appends an entry as the old cache holds it ([`Cache::frame`] or [`Frames::of`]).
    #[cfg(test)]
    fn push(&mut self, frame: &[u8]) {
        self.body.extend_from_slice(frame);
        self.count += 1;
    }

    /// Appends the entry of a file just read (nothing for a file that could not be read, or
    /// that changed size while being read).
    fn encode(&mut self, s: &Scanned) {
        if !s.ok || s.size != s.file.size {
            return;
        }
        let at = self.body.len();
        self.body.extend_from_slice(&[0; 4]);
        let key = Key {
            rel: &s.file.rel,
            size: s.file.size,
            mtime_ns: s.file.mtime_ns,
            inode: s.file.inode,
        };
        let value = ValueRef {
            digest: &s.digest.0,
            integrity: &s.integrity,
            facts: s.facts.as_ref(),
            diagnostics: s.diagnostics.iter().map(stored).collect(),
        };
        let ok = postcard::to_io(&key, &mut self.body)
            .and_then(|b| postcard::to_io(&value, b))
            .is_ok();
        let len = u32::try_from(self.body.len() - at - 4);
        match (ok, len) {
            (true, Ok(len)) => {
                self.body[at..at + 4].copy_from_slice(&len.to_le_bytes());
                self.count += 1;
            }
            _ => self.body.truncate(at),
        }
    }

    /// One file's entry alone (`None` when it gets none).
    pub fn of(s: &Scanned) -> Option<Vec<u8>> {
        let mut one = Frames::default();
        one.encode(s);
        (one.count == 1).then_some(one.body)
    }

    /// The cache file's bytes.
    #[cfg(test)]
    fn finish(self, sri: Sri, started_ns: i128) -> Vec<u8> {
        let mut out = prefix(self.count, sri, started_ns);
        out.extend_from_slice(&self.body);
        let sum = sha2::Sha256::digest(&out);
        out.extend_from_slice(&sum);
        out
    }
}

/// Nanoseconds since the epoch on the system clock: the `started_ns` of a run.
pub fn now_ns() -> i128 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

fn stored(d: &Diagnostic) -> StoredDiagnostic<'_> {
    StoredDiagnostic {
        file: d.file.as_str().into(),
        location: d.location,
        severity: d.severity,
        code: d.code.into(),
        message: d.message.as_str().into(),
    }
}

fn to_diagnostic(d: StoredDiagnostic<'_>) -> Diagnostic {
    Diagnostic {
        file: d.file.into_owned(),
        location: d.location,
        severity: d.severity,
        code: intern(&d.code),
        message: d.message.into_owned(),
    }
}

/// Diagnostic codes are `&'static str`; the few distinct ones read back from a cache are leaked once
/// each, so memory is bounded by the number of codes, not of diagnostics.
fn intern(code: &str) -> &'static str {
    static CODES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut codes = CODES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = codes.iter().find(|c| **c == code) {
        return c;
    }
    let c: &'static str = Box::leak(code.to_string().into_boxed_str());
    codes.push(c);
    c
}

struct Identity {
    crate_version: String,
    build_id: u64,
    schema: u64,
}

fn identity() -> Identity {
    Identity {
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        build_id: build_id(),
        schema: schema_id(),
    }
}

fn hash64(bytes: &[u8]) -> u64 {
    let d = sha2::Sha256::digest(bytes);
    u64::from_le_bytes(d[..8].try_into().unwrap_or_default())
}

/// The running executable's size and mtime: a rebuilt hintgen may parse differently.
fn build_id() -> u64 {
    let meta = std::env::current_exe().and_then(std::fs::metadata);
    match meta {
        Ok(m) => hash64(format!("{}:{}", m.len(), crate::walk::mtime_ns(&m)).as_bytes()),
        Err(_) => 0,
    }
}

/// A hash of the field names and nesting of everything stored, taken from the JSON form of a sample
/// that fills every struct: adding, removing or renaming a field changes it.
fn schema_id() -> u64 {
    let mut manifest = vite::Manifest::new();
    manifest.insert(String::new(), vite::Chunk::default());
    let facts = FileFacts {
        refs: vec![Reference {
            url: String::new(),
            kind: RefKind::Stylesheet,
            element: String::new().into(),
            location: Location::default(),
            attrs: RefAttrs {
                rare: Some(Box::new(RareAttrs {
                    srcset: vec![SrcsetCandidate::default()],
                    unicode_range: vec![(0, 0)],
                    ..RareAttrs::default()
                })),
                ..RefAttrs::default()
            },
        }],
        text: Some(TextChars::default()),
        vite_manifest: Some(manifest),
        ..FileFacts::default()
    };
    let diagnostic = Diagnostic::new(Severity::Note, "", "", "");
    let sample = ValueRef {
        digest: &[0; 32],
        integrity: "",
        facts: Some(&facts),
        diagnostics: vec![stored(&diagnostic)],
    };
    let key = Key {
        rel: "",
        size: 0,
        mtime_ns: 0,
        inode: 0,
    };
    let json = serde_json::to_string(&(&key, &sample, FORMAT_VERSION)).unwrap_or_default();
    hash64(json.as_bytes())
}

// ---------------------------------------------------------------------------------------------
// The run record: a whole `build` that has nothing to do
// ---------------------------------------------------------------------------------------------

/// The run record's file name inside OUT.
pub const RUN_FILE_NAME: &str = ".hintgen-cache-run";

const RUN_MAGIC: &[u8; 8] = b"HGRUN\0\0\0";

/// What a `build` printed, for its summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Pages planned.
    pub pages: u64,
    /// Files read or taken from the cache.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Hints over all pages.
    pub hints: u64,
    /// Output files.
    pub outputs: u64,
}

/// The stat key of a file (an output, or the fingerprint cache).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StatKey {
    path: String,
    size: u64,
    mtime_ns: i128,
    inode: u64,
}

impl StatKey {
    fn of(path: &Path) -> Option<StatKey> {
        let meta = std::fs::metadata(path).ok()?;
        Some(StatKey {
            path: path.to_string_lossy().into_owned(),
            size: meta.len(),
            mtime_ns: crate::walk::mtime_ns(&meta),
            inode: crate::walk::inode(&meta),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct RunRecord<'a> {
    crate_version: String,
    build_id: u64,
    schema: u64,
    config: u64,
    files: [u8; 32],
    cache: StatKey,
    walk_diagnostics: u64,
    outputs: Vec<StatKey>,
    summary: Summary,
    #[serde(borrow)]
    diagnostics: Vec<StoredDiagnostic<'a>>,
}

/// A hash of everything in the configuration (the settings file and flags included): any change makes
/// the run record not apply.
pub fn config_id(config: &crate::config::Config) -> u64 {
    hash64(format!("{config:?}").as_bytes())
}

/// A hash of the walk's diagnostics (links leading out, FIFOs…), which file keys do not cover.
pub fn diagnostics_id(diagnostics: &[Diagnostic]) -> u64 {
    let mut sorted: Vec<&Diagnostic> = diagnostics.iter().collect();
    sorted.sort();
    hash64(format!("{sorted:?}").as_bytes())
}

/// The files key of a walk: a SHA-256 over every file's path, size, mtime and inode, in the walk's
/// (sorted) order. `None` when a file's mtime is not older than `started_ns` (the moment the run began
/// looking at the files) by more than the racy window, since a change within the same timestamp tick
/// would then leave the key as it is.
pub fn files_key(files: &[SiteFile], started_ns: i128) -> Option<[u8; 32]> {
    if !files.iter().all(|f| trusted(f.mtime_ns, started_ns)) {
        return None;
    }
    let mut h = sha2::Sha256::new();
    for f in files {
        h.update((f.rel.len() as u64).to_le_bytes());
        h.update(f.rel.as_bytes());
        h.update(f.size.to_le_bytes());
        h.update(f.mtime_ns.to_le_bytes());
        h.update(f.inode.to_le_bytes());
    }
    Some(h.finalize().into())
}

/// Records a finished `build` into `out`: its configuration, its [`files_key`], the walk's
/// diagnostics, the stat keys of every output it wrote or left as it was (`destinations`), its summary
/// and its diagnostics. Written atomically; a failure only means the next run does the work. Without
/// a files key (a racy mtime) any old record is removed, as it no longer describes the outputs.
pub fn record_run(
    out: &Path,
    config: u64,
    walk_diagnostics: u64,
    files: Option<[u8; 32]>,
    destinations: &[PathBuf],
    summary: Summary,
    diagnostics: &[Diagnostic],
) {
    let (Some(files), Some(cache)) = (files, StatKey::of(&out.join(FILE_NAME))) else {
        let _ = std::fs::remove_file(out.join(RUN_FILE_NAME));
        return;
    };
    let Some(outputs) = destinations.iter().map(|p| StatKey::of(p)).collect() else {
        return;
    };
    let ours = identity();
    let record = RunRecord {
        crate_version: ours.crate_version,
        build_id: ours.build_id,
        schema: ours.schema,
        config,
        files,
        cache,
        walk_diagnostics,
        outputs,
        summary,
        // Notes about this run's cache (`cache-ignored`, `cache-unwritable`) are not the site's.
        diagnostics: diagnostics
            .iter()
            .filter(|d| !d.code.starts_with("cache-"))
            .map(stored)
            .collect(),
    };
    let Ok(body) = postcard::to_stdvec(&record) else {
        return;
    };
    let mut bytes = Vec::with_capacity(body.len() + 48);
    bytes.extend_from_slice(RUN_MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&body);
    let sum = sha2::Sha256::digest(&bytes);
    bytes.extend_from_slice(&sum);
    let _ = crate::output::write_atomic(&out.join(RUN_FILE_NAME), &bytes);
}

/// A previous `build` whose inputs, configuration and outputs are all exactly as it left them.
#[derive(Debug, Clone)]
pub struct UpToDate {
    /// Its summary.
    pub summary: Summary,
    /// What it reported (sorted, as printed).
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether the `build` recorded in `out` still stands: same hintgen, same configuration, same walk
/// diagnostics, the same [`files_key`] (`files`; `None`, for a racy walk, never matches), and every
/// output with the stat key it had. Anything else, including a missing or damaged record, is `None`.
pub fn up_to_date(
    out: &Path,
    config: u64,
    walk_diagnostics: u64,
    files: Option<[u8; 32]>,
) -> Option<UpToDate> {
    let files = files?;
    let bytes = std::fs::read(out.join(RUN_FILE_NAME)).ok()?;
    let body_end = bytes.len().checked_sub(TRAILER_LEN)?;
    if body_end < 12
        || &bytes[..8] != RUN_MAGIC
        || bytes[8..12] != FORMAT_VERSION.to_le_bytes()
        || sha2::Sha256::digest(&bytes[..body_end]).as_slice() != &bytes[body_end..]
    {
        return None;
    }
    let record: RunRecord<'_> = postcard::from_bytes(&bytes[12..body_end]).ok()?;
    let ours = identity();
    let same = record.crate_version == ours.crate_version
        && record.build_id == ours.build_id
        && record.schema == ours.schema
        && record.config == config
        && record.walk_diagnostics == walk_diagnostics
        && record.files == files
        && StatKey::of(&out.join(FILE_NAME)).as_ref() == Some(&record.cache)
        && record
            .outputs
            .iter()
            .all(|k| StatKey::of(Path::new(&k.path)).as_ref() == Some(k));
    same.then(|| UpToDate {
        summary: record.summary,
        diagnostics: record.diagnostics.into_iter().map(to_diagnostic).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of a new cache for this run's scan results (`scanned`, one per file).
    fn encode(
        scanned: &[Scanned],
        old: Option<(&Cache, &Matches)>,
        from_cache: &[bool],
        sri: Sri,
        started_ns: i128,
    ) -> Vec<u8> {
        assemble(
            old,
            from_cache,
            |i, f| f.encode(&scanned[i]),
            sri,
            started_ns,
        )
    }
    use crate::parse::FileKind;

    fn site_file(rel: &str, size: u64, mtime_ns: i128, inode: u64) -> SiteFile {
        SiteFile {
            rel: rel.into(),
            path: PathBuf::from(rel),
            size,
            mtime_ns,
            inode,
        }
    }

    fn scanned(file: SiteFile, facts: Option<FileFacts>) -> Scanned {
        let kind = FileKind::of(&file.rel);
        Scanned {
            size: file.size,
            file,
            kind,
            digest: Digest([7; 32]),
            integrity: "sha256-x".into(),
            facts,
            diagnostics: vec![Diagnostic::new(
                Severity::Warning,
                "some-code",
                "a.html",
                "m",
            )],
            ok: true,
        }
    }

    const OLD: i128 = 1_000_000_000_000_000_000;
    const START: i128 = OLD + 10 * GRANULARITY_NS;

    fn sample() -> (Vec<SiteFile>, Vec<u8>) {
        let facts = crate::parse::parse_bytes(
            FileKind::Html,
            b"<link rel=stylesheet href=/a.css><p>Hi \xd0\x96</p>",
        );
        let files = vec![
            site_file("a.css", 3, OLD, 1),
            site_file("index.html", 10, OLD, 2),
            site_file("young.png", 5, START - 1, 3),
        ];
        let s: Vec<Scanned> = files
            .iter()
            .map(|f| scanned(f.clone(), f.rel.ends_with(".html").then(|| facts.clone())))
            .collect();
        let bytes = encode(&s, None, &[false; 3], Sri::Sha256, START);
        (files, bytes)
    }

    #[test]
    fn round_trip() {
        let (files, bytes) = sample();
        let c = Cache::parse(bytes, Sri::Sha256).unwrap();
        assert_eq!(c.len(), 3);
        let m = c.matches(&files);
        // The young file is racy: not trusted.
        assert_eq!(m, vec![Some(0), Some(1), None]);
        let hit = c.get(1).unwrap();
        assert_eq!(hit.digest, Digest([7; 32]));
        let facts = hit.facts.unwrap();
        assert_eq!(facts.refs[0].url, "/a.css");
        assert!(facts.text.unwrap().0.contains(&'Ж'));
        assert_eq!(hit.diagnostics[0].code, "some-code");
    }

    #[test]
    fn keys_must_match() {
        let (mut files, bytes) = sample();
        let c = Cache::parse(bytes, Sri::Sha256).unwrap();
        // Files in another order than the cache's: found by path all the same.
        let reversed: Vec<SiteFile> = files.iter().rev().cloned().collect();
        assert_eq!(c.matches(&reversed), vec![None, Some(1), Some(0)]);
        // A file the cache does not have, between two it has.
        files.insert(1, site_file("b.js", 1, OLD, 7));
        assert_eq!(c.matches(&files), vec![Some(0), None, Some(1), None]);
        files[0].inode = 9;
        files[2].size = 11;
        assert_eq!(c.matches(&files), vec![None, None, None, None]);
    }

    #[test]
    fn damaged_caches_are_refused() {
        let (_, bytes) = sample();
        for cut in [0, 5, 20, bytes.len() / 2, bytes.len() - 1] {
            let err = Cache::parse(bytes[..cut].to_vec(), Sri::Sha256).unwrap_err();
            assert!(err.contains("truncated"), "{cut}: {err}");
        }
        let mut flipped = bytes.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 1;
        assert!(
            Cache::parse(flipped, Sri::Sha256)
                .unwrap_err()
                .contains("checksum")
        );
        let mut foreign = bytes.clone();
        foreign[8] = 99;
        assert!(
            Cache::parse(foreign, Sri::Sha256)
                .unwrap_err()
                .contains("format version")
        );
        assert!(
            Cache::parse(b"{\"json\": true}".to_vec(), Sri::Sha256)
                .unwrap_err()
                .contains("not a hintgen cache")
        );
        assert!(
            Cache::parse(bytes, Sri::Sha384)
                .unwrap_err()
                .contains("sha256")
        );
    }

    #[test]
    fn run_records() {
        let (all, _) = sample();
        // Only trusted files: leave out the racy one.
        let files = &all[..2];
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let output = out.join("assets.json");
        std::fs::write(&output, "{}").unwrap();
        std::fs::write(out.join(FILE_NAME), "cache").unwrap();
        let key = |files: &[SiteFile]| files_key(files, START);
        assert!(key(&all).is_none(), "a racy file leaves no key");
        let summary = Summary {
            pages: 1,
            files: 2,
            ..Summary::default()
        };
        let diags = [Diagnostic::new(
            Severity::Warning,
            "budget",
            "index.html",
            "m",
        )];
        let up = |config| up_to_date(out, config, 5, key(files));
        let record = |files| {
            record_run(
                out,
                4,
                5,
                files,
                std::slice::from_ref(&output),
                summary,
                &diags,
            )
        };
        assert!(up(4).is_none(), "no record yet");
        record(key(files));
        let got = up(4).unwrap();
        assert_eq!(got.summary, summary);
        assert_eq!(got.diagnostics, diags);
        assert!(up(3).is_none(), "another configuration");
        assert!(
            up_to_date(out, 4, 6, key(files)).is_none(),
            "other walk diagnostics"
        );
        assert!(
            up_to_date(out, 4, 5, key(&files[..1])).is_none(),
            "a file removed"
        );
        let mut changed = files.to_vec();
        changed[0].mtime_ns += 1;
        assert!(
            up_to_date(out, 4, 5, key(&changed)).is_none(),
            "a file changed"
        );
        // An output replaced.
        std::fs::write(out.join("new"), "{}").unwrap();
        std::fs::rename(out.join("new"), &output).unwrap();
        assert!(up(4).is_none(), "an output changed");
        record(key(files));
        assert!(up(4).is_some());
        // The cache replaced.
        std::fs::write(out.join("new"), "other").unwrap();
        std::fs::rename(out.join("new"), out.join(FILE_NAME)).unwrap();
        assert!(up(4).is_none(), "the cache changed");
        record(key(files));
        assert!(up(4).is_some());
        // A run with a racy file removes the record.
        record(None);
        assert!(up(4).is_none(), "record removed");
        record(key(files));
        // A damaged record.
        let run = out.join(RUN_FILE_NAME);
        let mut b = std::fs::read(&run).unwrap();
        let mid = b.len() / 2;
        b[mid] ^= 1;
        std::fs::write(&run, b).unwrap();
        assert!(up(4).is_none(), "damaged record");
    }

    #[test]
    fn reuses_frames() {
        let (files, bytes) = sample();
        let c = Cache::parse(bytes.clone(), Sri::Sha256).unwrap();
        let m = c.matches(&files);
        let s: Vec<Scanned> = files.iter().map(|f| scanned(f.clone(), None)).collect();
        // Entries 0 and 1 come from the cache (their frames are copied, facts and all).
        let again = encode(&s, Some((&c, &m)), &[true, true, false], Sri::Sha256, START);
        assert_eq!(again, bytes);
    }

    /// [`stream`] writes what [`assemble`] builds, from entries made beforehand, with and without
    /// entries taken from an old cache.
    #[test]
    fn streamed_caches_equal_assembled_ones() {
        let (files, bytes) = sample();
        let c = Cache::parse(bytes.clone(), Sri::Sha256).unwrap();
        let m = c.matches(&files);
        let facts = crate::parse::parse_bytes(FileKind::Html, b"<p>x");
        let s: Vec<Scanned> = files
            .iter()
            .map(|f| scanned(f.clone(), f.rel.ends_with(".html").then(|| facts.clone())))
            .collect();
        for (old, hits) in [
            (None, [false; 3]),
            (Some((&c, &m)), [true, true, false]),
            (Some((&c, &m)), [false, true, false]),
        ] {
            let want = encode(&s, old, &hits, Sri::Sha256, START);
            let own: Vec<Option<Vec<u8>>> = s
                .iter()
                .zip(hits)
                .map(|(s, hit)| (!hit).then(|| Frames::of(s)).flatten())
                .collect();
            let mut got = Vec::new();
            stream(&mut got, old, &hits, own, Sri::Sha256, START).unwrap();
            assert_eq!(got, want, "{hits:?}");
            assert_eq!(Cache::parse(got, Sri::Sha256).unwrap().len(), 3);
        }
    }
}
