//! The JSON artifacts: `assets.json`, `push_manifest.json` and `early-hints.json`.
//!
//! All three are pretty-printed with sorted keys (BTreeMap) and a trailing newline, and carry a
//! `"version"` so consumers can detect a format change. URLs are root-relative and percent-encoded
//! exactly as in the `Link` headers, so a consumer can compare them byte for byte.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::OutputFile;
use crate::error::Result;
use crate::link::encode_url;
use crate::output::{self, Stamp, Stream, Written};
use crate::plan::{Hint, PagePlan, Plan};

/// Format version of the JSON artifacts.
pub const FORMAT_VERSION: u32 = 1;

fn pretty(value: &impl Serialize) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("JSON values always serialize");
    s.push('\n');
    s
}

/// `assets.json`: every file with size, SHA-256, SRI, MIME type and `immutable`.
pub fn assets(plan: &Plan) -> OutputFile {
    MapDoc::Assets.whole(plan)
}

/// The JSON documents whose last member is one big map, keyed by URL (as in [`Plan`]): those
/// written as they are rendered, and spliced by watch mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapDoc {
    /// `assets.json`: by asset URL.
    Assets,
    /// `early-hints.json`: by page URL.
    EarlyHints,
}

impl MapDoc {
    /// The file, relative to OUT.
    pub fn file(self) -> &'static str {
        match self {
            MapDoc::Assets => "assets.json",
            MapDoc::EarlyHints => "early-hints.json",
        }
    }

    /// Everything before the map's first entry.
    fn head(self, plan: &Plan) -> String {
        match self {
            MapDoc::Assets => assets_head(plan),
            MapDoc::EarlyHints => early_hints_head(plan),
        }
    }

    /// The ids (URLs) of the map's entries.
    fn ids(self, plan: &Plan) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            MapDoc::Assets => Box::new(plan.assets.keys().map(String::as_str)),
            MapDoc::EarlyHints => Box::new(plan.pages.keys().map(String::as_str)),
        }
    }

    /// The encoded key of `id`'s entry; `None` when the plan has no such entry.
    fn key(self, plan: &Plan, id: &str) -> Option<String> {
        match self {
            MapDoc::Assets => plan.assets.contains_key(id).then(|| encode_url(id)),
            MapDoc::EarlyHints => plan.pages.get(id).map(|p| encode_url(&p.url)),
        }
    }

    /// Appends `id`'s entry under `key`, indented as it sits in the document.
    fn entry_into(self, plan: &Plan, id: &str, key: &str, out: &mut String) {
        match self {
            MapDoc::Assets => map_entry_into(out, key, &plan.assets[id]),
            MapDoc::EarlyHints => page_entry_into(out, key, &plan.pages[id]),
        }
    }

    /// `id`'s entry alone; `None` when the plan has no such entry.
    fn entry(self, plan: &Plan, id: &str) -> Option<String> {
        let key = self.key(plan, id)?;
        let mut s = String::new();
        self.entry_into(plan, id, &key, &mut s);
        Some(s)
    }

    /// The document written to `w` as it is rendered (through [`super::Out`], so a big document
    /// is never whole in memory); returns the byte range of each entry, by id. Byte for byte what
    /// serializing the document whole gives (unit tests check).
    pub fn stream<'p>(
        self,
        plan: &'p Plan,
        w: &mut dyn std::io::Write,
    ) -> std::io::Result<Vec<(&'p str, Range<usize>)>> {
        let mut keys: Vec<(String, &str)> = self
            .ids(plan)
            .filter_map(|id| Some((self.key(plan, id)?, id)))
            .collect();
        // Encoding rarely changes the order of URLs.
        if !keys.windows(2).all(|w| w[0].0 < w[1].0) {
            keys.sort_by(|a, b| a.0.cmp(&b.0));
            // A key that several assets encode to is written once (the last one's entry), as a
            // map serializes; page URLs that encode alike are all written.
            if self == MapDoc::Assets {
                keys.reverse();
                keys.dedup_by(|a, b| a.0 == b.0);
                keys.reverse();
            }
        }
        let mut out = super::Out::to(w);
        out.push_str(&self.head(plan));
        let mut spans = Vec::with_capacity(keys.len());
        // Entries render on all cores, a bounded batch at a time; this thread writes each batch
        // while the next one renders.
        let render = |batch: &[(String, &str)]| -> Vec<String> {
            batch
                .par_iter()
                .map(|(key, id)| {
                    let mut entry = String::new();
                    self.entry_into(plan, id, key, &mut entry);
                    entry
                })
                .collect()
        };
        // The batch rendered last, not written yet.
        let (mut ready, mut texts): (&[(String, &str)], Vec<String>) = (&[], Vec::new());
        for batch in keys.chunks(STREAM_BATCH).map(Some).chain([None]) {
            let mut next = Vec::new();
            rayon::in_place_scope(|scope| {
                if let Some(batch) = batch {
                    scope.spawn(|_| next = render(batch));
                }
                for ((_, id), entry) in ready.iter().zip(std::mem::take(&mut texts)) {
                    out.push_str(if spans.is_empty() { "\n" } else { ",\n" });
                    let start = out.position();
                    out.push_str(&entry);
                    spans.push((*id, start..out.position()));
                }
            });
            (ready, texts) = (batch.unwrap_or_default(), next);
        }
        if !keys.is_empty() {
            out.push_str("\n  ");
        }
        out.push_str("}\n}\n");
        out.finish().map(|_| spans)
    }

    /// The document in memory.
    fn whole(self, plan: &Plan) -> OutputFile {
        let mut bytes = Vec::new();
        // Writing into memory cannot fail.
        let _ = self.stream(plan, &mut bytes);
        OutputFile {
            path: self.file().to_string(),
            bytes,
        }
    }
}

/// Entries rendered at once when a document is streamed (about 1.5 MiB of `early-hints.json`).
const STREAM_BATCH: usize = 256;

/// A change to more entries than this is streamed whole rather than spliced: the rendered edits of a
/// splice are held in memory together (about 6 MiB of `early-hints.json` at this count), and a
/// change that big leaves a splice little to copy.
const SPLICE_MAX: usize = 1024;

/// The JSON artifacts kept current by watch mode, with the place of every entry of their big map
/// (assets by URL, pages by URL) in the file, so that a change rewrites the entries it touched
/// instead of the document. The text itself stays in the file: only the places are kept.
#[derive(Debug)]
pub struct SplicedDoc {
    doc: MapDoc,
    /// Everything before the first entry: when it changes, the document is rendered whole.
    head: String,
    /// Byte range of each entry in the file, by id (the URL as in [`Plan`]).
    spans: HashMap<String, Range<usize>>,
    /// The file the places describe, as last written. When it is not exactly that any more (another
    /// program wrote it, or a write failed), the document is rendered whole.
    file: Option<(PathBuf, Stamp)>,
}

impl SplicedDoc {
    /// For `doc`, with nothing written yet.
    pub fn new(doc: MapDoc) -> SplicedDoc {
        SplicedDoc {
            doc,
            head: String::new(),
            spans: HashMap::new(),
            file: None,
        }
    }

    /// Writes the document for `plan` to `dest`, given the URLs of the entries (assets or pages)
    /// that changed, appeared or vanished since the last call (`None`: unknown, render it whole).
    /// The `dirty` entries are spliced into the file when that gives the exact document, else the
    /// document is streamed into the file whole.
    pub fn write(
        &mut self,
        plan: &Plan,
        dirty: Option<&BTreeSet<String>>,
        dest: &Path,
    ) -> Result<Written> {
        let doc = self.doc;
        let head = doc.head(plan);
        let file = self.file.take();
        let current = file
            .as_ref()
            .is_some_and(|(p, stamp)| p == dest && Stamp::of(dest).as_ref() == Some(stamp));
        if current
            && self.head == head
            && self.spans.len() == doc.ids(plan).count()
            && let Some(dirty) = dirty
            && dirty.len() <= SPLICE_MAX
            && let Some(Ok(written)) = self.splice(dest, dirty, |id| doc.entry(plan, id))
        {
            self.file = Stamp::of(dest).map(|s| (dest.to_path_buf(), s));
            return Ok(written);
        }
        let mut w = Stream::new(dest);
        let spans = doc
            .stream(plan, &mut w)
            .map_err(|e| crate::Error::io(dest, e))?;
        let written = w.finish()?;
        self.spans = spans.into_iter().map(|(u, r)| (u.to_string(), r)).collect();
        self.head = head;
        self.file = Stamp::of(dest).map(|s| (dest.to_path_buf(), s));
        Ok(written)
    }

    /// Rewrites the entries of `dirty` with `render` in the file; `None` when that cannot give the
    /// exact document (an entry added or removed).
    fn splice(
        &mut self,
        dest: &Path,
        dirty: &BTreeSet<String>,
        render: impl Fn(&str) -> Option<String> + Sync,
    ) -> Option<Result<Written>> {
        if dirty.iter().any(|id| !self.spans.contains_key(id)) {
            return None;
        }
        // Entries render on all cores (a shared stylesheet changes every page's entry).
        let spans = &self.spans;
        let mut edits: Vec<(Range<usize>, String)> = dirty
            .par_iter()
            .map(|id| Some((spans[id].clone(), render(id)?)))
            .collect::<Option<_>>()?;
        edits.sort_by_key(|(r, _)| r.start);
        let ranges: Vec<(Range<u64>, &[u8])> = edits
            .iter()
            .map(|(r, t)| (r.start as u64..r.end as u64, t.as_bytes()))
            .collect();
        let written = match output::splice(dest, &ranges) {
            Ok(w) => w,
            Err(e) => return Some(Err(e)),
        };
        if edits.iter().all(|(r, t)| r.len() == t.len()) {
            return Some(Ok(written));
        }
        // Lengths changed: move every later span.
        let mut shifts: Vec<(usize, isize)> = Vec::with_capacity(edits.len());
        let mut shift = 0isize;
        for (r, t) in &edits {
            shift += t.len() as isize - r.len() as isize;
            shifts.push((r.start, shift));
        }
        let lens: HashMap<usize, usize> = edits.iter().map(|(r, t)| (r.start, t.len())).collect();
        for span in self.spans.values_mut() {
            // Moved by the edits that start before it.
            let i = shifts.partition_point(|&(start, _)| start < span.start);
            let start = span
                .start
                .wrapping_add_signed(if i == 0 { 0 } else { shifts[i - 1].1 });
            let len = lens.get(&span.start).copied().unwrap_or(span.len());
            *span = start..start + len;
        }
        Some(Ok(written))
    }
}

fn assets_head(plan: &Plan) -> String {
    let algorithm = plan.assets.values().next().map_or("sha256", |a| {
        a.integrity.split('-').next().unwrap_or("sha256")
    });
    format!(
        "{{\n  \"version\": {FORMAT_VERSION},\n  \"base\": {},\n  \"integrity\": {},\n  \"assets\": {{",
        json_string(&plan.base_path),
        json_string(algorithm)
    )
}

/// Appends a map entry at the second level of a pretty document: `    "key": value`.
fn map_entry_into(out: &mut String, key: &str, value: &impl Serialize) {
    out.push_str("    ");
    push_json_string(out, key);
    out.push_str(": ");
    out.push_str(&pretty_indented(value, "\n    "));
}

/// `value` as pretty JSON whose lines after the first start with `newline` (a newline and the
/// indentation of the place it is written at).
fn pretty_indented(value: &impl Serialize, newline: &str) -> String {
    let text = serde_json::to_string_pretty(value).expect("JSON values always serialize");
    // JSON strings never hold a raw newline, so every newline is between lines of the value.
    text.replace('\n', newline)
}

/// Appends `s` as a JSON string, as [`json_string`] writes it; most strings here (URLs, paths,
/// `Link` values) need no escapes, and those are copied as they are.
fn push_json_string(out: &mut String, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(&json_string(s));
    } else {
        out.push('"');
        out.push_str(s);
        out.push('"');
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings always serialize")
}

/// `push_manifest.json`: the legacy multi-page push manifest, `{ page: { asset: {type, weight} } }`,
/// listing each page's pushable hints. The `version` key sits beside the page keys (it is not a URL
/// path, so readers that match keys against request paths never match it).
pub fn push_manifest(plan: &Plan) -> OutputFile {
    #[derive(Serialize)]
    struct Entry<'a> {
        #[serde(rename = "type")]
        type_: &'a str,
        weight: u32,
    }
    #[derive(Serialize)]
    struct PushJson<'a> {
        version: u32,
        #[serde(flatten)]
        pages: BTreeMap<String, BTreeMap<String, Entry<'a>>>,
    }
    let pages = plan
        .pages
        .values()
        .map(|page| {
            let assets = page
                .pushable()
                .map(|h| {
                    let entry = Entry {
                        type_: h.push_type(),
                        weight: 1,
                    };
                    (encode_url(&h.url), entry)
                })
                .collect();
            (encode_url(&page.url), assets)
        })
        .collect();
    OutputFile::text(
        "push_manifest.json",
        pretty(&PushJson {
            version: FORMAT_VERSION,
            pages,
        }),
    )
}

/// A hint as it appears in `early-hints.json`: the URL encoded as in its `Link` value, and
/// `crossorigin` spelled out (`anonymous` for the value-less attribute).
#[derive(Serialize)]
struct HintJson<'a> {
    url: String,
    rel: &'a str,
    #[serde(rename = "as", skip_serializing_if = "Option::is_none")]
    as_: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    crossorigin: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    type_: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    media: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    imagesrcset: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    imagesizes: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fetchpriority: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    integrity: Option<&'a str>,
    depth: u32,
    bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    immutable: bool,
    early: bool,
    #[serde(rename = "final")]
    final_: bool,
    push: bool,
}

impl<'a> HintJson<'a> {
    fn new(h: &'a Hint) -> Self {
        HintJson {
            url: encode_url(&h.url),
            rel: h.rel.as_str(),
            as_: h.as_.as_deref(),
            crossorigin: h
                .crossorigin
                .as_deref()
                .map(|c| if c.is_empty() { "anonymous" } else { c }),
            type_: h.type_.as_deref(),
            media: h.media.as_deref(),
            imagesrcset: h.imagesrcset.as_deref(),
            imagesizes: h.imagesizes.as_deref(),
            fetchpriority: h.fetchpriority.as_deref(),
            integrity: h.integrity.as_deref(),
            depth: h.depth,
            bytes: h.bytes,
            file: h.file.as_deref(),
            immutable: h.immutable,
            early: h.early,
            final_: h.final_,
            push: h.push,
        }
    }
}

/// One page in `early-hints.json`.
#[cfg(test)]
#[derive(Serialize)]
struct PageJson<'a> {
    file: &'a str,
    /// `Link` values for the 103 response, in order.
    early: Vec<std::borrow::Cow<'a, str>>,
    /// `Link` values for the final response, in order.
    #[serde(rename = "final")]
    final_: Vec<std::borrow::Cow<'a, str>>,
    hints: Vec<HintJson<'a>>,
}

fn early_hints_head(plan: &Plan) -> String {
    format!(
        "{{\n  \"version\": {FORMAT_VERSION},\n  \"base\": {},\n  \"pages\": {{",
        json_string(&plan.base_path)
    )
}

/// Appends one page's entry: `    "key": {"file", "early", "final", "hints"}`, laid out as a pretty
/// serializer lays out the page object (a unit test compares). Each hint's object is rendered once (by
/// serde, from [`HintJson`]) and kept in the hint, which pages share, so a page costs little more
/// than copying its text.
fn page_entry_into(out: &mut String, key: &str, p: &PagePlan) {
    // Indentation inside the entry: the page object's members at 6 spaces, array items at 8.
    const MEMBER: &str = "\n      ";
    const ITEM: &str = "\n        ";
    let links = |out: &mut String, name: &str, hints: &mut dyn Iterator<Item = &Hint>| {
        out.push_str(MEMBER);
        out.push_str(name);
        out.push_str(": [");
        let mut any = false;
        for h in hints {
            out.push_str(if any { "," } else { "" });
            out.push_str(ITEM);
            push_json_string(out, &h.link_header(false));
            any = true;
        }
        if any {
            out.push_str(MEMBER);
        }
        out.push(']');
    };
    out.push_str("    ");
    push_json_string(out, key);
    out.push_str(": {");
    out.push_str(MEMBER);
    out.push_str("\"file\": ");
    push_json_string(out, &p.file);
    out.push(',');
    links(out, "\"early\"", &mut p.early());
    out.push(',');
    links(out, "\"final\"", &mut p.final_());
    out.push(',');
    out.push_str(MEMBER);
    out.push_str("\"hints\": [");
    for (i, h) in p.iter().enumerate() {
        out.push_str(if i == 0 { "" } else { "," });
        out.push_str(ITEM);
        out.push_str(h.json_entry(|h| pretty_indented(&HintJson::new(h), ITEM)));
    }
    if !p.hints.is_empty() {
        out.push_str(MEMBER);
    }
    out.push(']');
    out.push_str("\n    }");
}

/// `early-hints.json`: per page, the structured hints and the ready `Link` values for the 103 and
/// for the final response.
pub fn early_hints(plan: &Plan) -> OutputFile {
    MapDoc::EarlyHints.whole(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Asset;

    #[test]
    fn json_strings_are_appended_as_serialized() {
        for s in [
            "",
            "</a.css>; rel=preload; as=style",
            "/p\u{e9}ge/caf\u{e9}.html",
            "quote\" and back\\slash",
            "tab\tnew\nline\u{1}\u{7f}\u{2028}",
        ] {
            let mut out = String::from("x");
            push_json_string(&mut out, s);
            assert_eq!(out, format!("x{}", json_string(s)), "{s:?}");
        }
    }

    /// `assets.json` as serde writes the whole document: what the spliced rendering must equal.
    fn whole(plan: &Plan) -> String {
        #[derive(Serialize)]
        struct AssetsJson<'a> {
            version: u32,
            base: &'a str,
            integrity: &'a str,
            assets: BTreeMap<String, &'a Asset>,
        }
        pretty(&AssetsJson {
            version: FORMAT_VERSION,
            base: &plan.base_path,
            integrity: "sha256",
            assets: plan
                .assets
                .iter()
                .map(|(u, a)| (encode_url(u), a))
                .collect(),
        })
    }

    /// `early-hints.json` as serde writes the whole document, pages in encoded-key order.
    fn whole_hints(plan: &Plan) -> String {
        struct Pages<'a>(Vec<(String, &'a PagePlan)>);
        impl Serialize for Pages<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = s.serialize_map(Some(self.0.len()))?;
                for (key, p) in &self.0 {
                    let page = PageJson {
                        file: &p.file,
                        early: p.early().map(|h| h.link_header(false)).collect(),
                        final_: p.final_().map(|h| h.link_header(false)).collect(),
                        hints: p.iter().map(HintJson::new).collect(),
                    };
                    map.serialize_entry(key, &page)?;
                }
                map.end()
            }
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            version: u32,
            base: &'a str,
            pages: Pages<'a>,
        }
        let mut pages: Vec<_> = plan
            .pages
            .values()
            .map(|p| (encode_url(&p.url), p))
            .collect();
        pages.sort_by(|a, b| a.0.cmp(&b.0));
        pretty(&Doc {
            version: FORMAT_VERSION,
            base: &plan.base_path,
            pages: Pages(pages),
        })
    }

    /// Writes through the document into `dir`, as the watcher does; returns the file's text.
    fn through(
        doc: &mut SplicedDoc,
        dir: &tempfile::TempDir,
        write: impl FnOnce(&mut SplicedDoc, &Path) -> Result<Written>,
    ) -> String {
        let dest = dir.path().join("doc.json");
        write(doc, &dest).unwrap();
        std::fs::read_to_string(&dest).unwrap()
    }

    fn page(url: &str, hints: Vec<Hint>) -> PagePlan {
        PagePlan::new(url, url.trim_start_matches('/'), hints)
    }

    #[test]
    fn early_hints_are_spliced_exactly() {
        use crate::plan::Rel;
        let mut plan = Plan {
            base_path: "/".into(),
            ..Plan::default()
        };
        let text = |f: OutputFile| String::from_utf8(f.bytes).unwrap();
        let mut doc = SplicedDoc::new(MapDoc::EarlyHints);
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(text(early_hints(&plan)), whole_hints(&plan), "no pages");
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(&plan, None, p)),
            whole_hints(&plan)
        );
        let css = |sha: &str| Hint {
            as_: Some("style".into()),
            integrity: Some(format!("sha256-{sha}")),
            bytes: 10,
            depth: 1,
            file: Some("a.css".into()),
            ..Hint::new("/a.css", Rel::Preload)
        };
        let font = Hint {
            as_: Some("font".into()),
            crossorigin: Some(String::new()),
            final_: false,
            ..Hint::new("/f \"1\".woff2", Rel::Preload)
        };
        plan.pages
            .insert("/".into(), page("/", vec![css("00"), font.clone()]));
        plan.pages.insert("/b/".into(), page("/b/", vec![]));
        plan.pages
            .insert("/é.html".into(), page("/é.html", vec![css("00")]));
        assert_eq!(text(early_hints(&plan)), whole_hints(&plan));
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(&plan, None, p)),
            whole_hints(&plan)
        );
        let dirty = |urls: &[&str]| urls.iter().map(|u| u.to_string()).collect::<BTreeSet<_>>();
        plan.pages
            .insert("/é.html".into(), page("/é.html", vec![css("11")]));
        let d = dirty(&["/é.html"]);
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(&plan, Some(&d), p)),
            whole_hints(&plan)
        );
        plan.pages.insert("/".into(), page("/", vec![css("1234")]));
        plan.pages
            .insert("/b/".into(), page("/b/", vec![font, css("9")]));
        let d = dirty(&["/", "/b/"]);
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(&plan, Some(&d), p)),
            whole_hints(&plan)
        );
        plan.pages.remove("/b/");
        let d = dirty(&["/b/"]);
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(&plan, Some(&d), p)),
            whole_hints(&plan)
        );
    }

    fn asset(path: &str, sha: &str) -> Asset {
        Asset {
            path: path.into(),
            size: 3,
            sha256: sha.into(),
            integrity: format!("sha256-{sha}"),
            mime: "text/css".into(),
            immutable: path.contains('-'),
        }
    }

    #[test]
    fn assets_are_spliced_exactly() {
        let mut plan = Plan {
            base_path: "/app \"x\"/".into(),
            ..Plan::default()
        };
        let text = |f: OutputFile| String::from_utf8(f.bytes).unwrap();
        assert_eq!(text(assets(&plan)), whole(&plan), "no assets");
        for (url, path) in [
            ("/a b.css", "a b.css"),
            ("/a,b.css", "a,b.css"),
            ("/é-1.css", "é-1.css"),
            ("/z\"q.css", "z\"q.css"),
            ("/a%20b.css", "a%20b.css"),
            ("/m.css", "m.css"),
        ] {
            plan.assets.insert(url.into(), asset(path, "00"));
        }
        assert_eq!(text(assets(&plan)), whole(&plan));
        // `/a b.css` and `/a%20b.css` share a key (written once): such a site renders whole.
        let mut doc = SplicedDoc::new(MapDoc::Assets);
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(
                &plan,
                Some(&BTreeSet::new()),
                p
            )),
            whole(&plan)
        );
        plan.assets.insert("/a,b.css".into(), asset("a,b.css", "9"));
        let d = ["/a,b.css".to_string()].into();
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(&plan, Some(&d), p)),
            whole(&plan)
        );
        plan.assets.remove("/a%20b.css");
        let mut doc = SplicedDoc::new(MapDoc::Assets);
        let dir = tempfile::tempdir().unwrap();
        let dirty = |urls: &[&str]| urls.iter().map(|u| u.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(
                &plan,
                Some(&dirty(&[])),
                p
            )),
            whole(&plan),
            "first render"
        );
        // Same length, in place.
        plan.assets
            .insert("/a,b.css".into(), asset("a,b.css", "11"));
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(
                &plan,
                Some(&dirty(&["/a,b.css"])),
                p
            )),
            whole(&plan)
        );
        // Longer and shorter entries: later spans move.
        plan.assets
            .insert("/a,b.css".into(), asset("a,b.css", "1234"));
        plan.assets
            .insert("/z\"q.css".into(), asset("z\"q.css", "5"));
        let d = dirty(&["/a,b.css", "/z\"q.css"]);
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(&plan, Some(&d), p)),
            whole(&plan)
        );
        plan.assets
            .insert("/m.css".into(), asset("m.css", "123456789"));
        plan.assets.insert("/a,b.css".into(), asset("a,b.css", "1"));
        let d = dirty(&["/m.css", "/a,b.css"]);
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(&plan, Some(&d), p)),
            whole(&plan)
        );
        // Added and removed assets: rendered whole.
        plan.assets.insert("/new.js".into(), asset("new.js", "22"));
        plan.assets.remove("/é-1.css");
        let d = dirty(&["/new.js", "/é-1.css"]);
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(&plan, Some(&d), p)),
            whole(&plan)
        );
        plan.assets.insert("/new.js".into(), asset("new.js", "223"));
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(
                &plan,
                Some(&dirty(&["/new.js"])),
                p
            )),
            whole(&plan)
        );
        // A file written behind the document's back is rendered whole, not spliced.
        std::fs::write(dir.path().join("doc.json"), "{}\n").unwrap();
        plan.assets.insert("/new.js".into(), asset("new.js", "224"));
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(
                &plan,
                Some(&dirty(&["/new.js"])),
                p
            )),
            whole(&plan)
        );
        assert_eq!(
            through(&mut doc, &dir, |doc, p| doc.write(&plan, None, p)),
            whole(&plan)
        );
    }
}
