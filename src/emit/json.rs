//! The JSON artifacts: `assets.json`, `push_manifest.json` and `early-hints.json`.
//!
//! All three are pretty-printed with sorted keys (BTreeMap) and a trailing newline, and carry a
//! `"version"` so consumers can detect a format change. URLs are root-relative and percent-encoded
//! exactly as in the `Link` headers, so a consumer can compare them byte for byte.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use serde::Serialize;

use super::OutputFile;
use crate::link::encode_url;
use crate::plan::{Asset, Hint, PagePlan, Plan};

/// Format version of the JSON artifacts.
pub const FORMAT_VERSION: u32 = 1;

fn pretty(value: &impl Serialize) -> String {
    pretty_sized(value, 0)
}

/// Pretty JSON into a buffer reserved up front: a big output grown by doubling would copy itself
/// several times and hold up to twice its size.
fn pretty_sized(value: &impl Serialize, estimate: usize) -> String {
    let mut buf = Vec::with_capacity(estimate);
    serde_json::to_writer_pretty(&mut buf, value).expect("JSON values always serialize");
    buf.push(b'\n');
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

/// `assets.json`: every file with size, SHA-256, SRI, MIME type and `immutable`.
pub fn assets(plan: &Plan) -> OutputFile {
    OutputFile::text("assets.json", render_assets(plan).0)
}

/// `assets.json` kept by watch mode with the place of every entry, so that the entries of changed
/// files are rewritten in place instead of rendering 30,000 entries for one edit.
#[derive(Debug, Default)]
pub struct AssetsDoc {
    text: String,
    /// Byte range of each asset's entry in `text`, by URL (as in [`Plan::assets`]).
    spans: HashMap<String, Range<usize>>,
    base: String,
}

impl AssetsDoc {
    /// The document for `plan`, given the URLs whose entry changed since the last call (an asset
    /// that appeared or vanished included). With `None`, or when the set of assets changed, it is
    /// rendered whole; otherwise only the changed entries are.
    pub fn update(&mut self, plan: &Plan, dirty: Option<&BTreeSet<String>>) -> OutputFile {
        let spliced = dirty.is_some_and(|d| self.splice(plan, d));
        if !spliced {
            let (text, spans) = render_assets(plan);
            self.text = text;
            self.spans = spans.into_iter().map(|(u, r)| (u.to_string(), r)).collect();
            self.base.clone_from(&plan.base_path);
        }
        OutputFile::text("assets.json", self.text.clone())
    }

    /// Rewrites the entries of `dirty` in place; false when that cannot give the exact document
    /// (an asset added or removed, another base, nothing rendered yet).
    fn splice(&mut self, plan: &Plan, dirty: &BTreeSet<String>) -> bool {
        if self.text.is_empty()
            || self.base != plan.base_path
            || self.spans.len() != plan.assets.len()
        {
            return false;
        }
        let mut edits: Vec<(Range<usize>, String)> = Vec::with_capacity(dirty.len());
        for url in dirty {
            let (Some(a), Some(span)) = (plan.assets.get(url), self.spans.get(url)) else {
                return false;
            };
            edits.push((span.clone(), asset_entry(&encode_url(url), a)));
        }
        edits.sort_by_key(|(r, _)| r.start);
        if edits.iter().all(|(r, t)| r.len() == t.len()) {
            for (r, t) in &edits {
                self.text.replace_range(r.clone(), t);
            }
            return true;
        }
        // Lengths changed: copy the text between edits once, then move every later span.
        let mut text = String::with_capacity(self.text.len() + 64 * edits.len());
        let mut at = 0;
        let mut shifts: Vec<(usize, isize)> = Vec::with_capacity(edits.len());
        let mut shift = 0isize;
        for (r, t) in &edits {
            text.push_str(&self.text[at..r.start]);
            text.push_str(t);
            at = r.end;
            shift += t.len() as isize - r.len() as isize;
            shifts.push((r.start, shift));
        }
        text.push_str(&self.text[at..]);
        self.text = text;
        let moved = |pos: usize| -> usize {
            // The total shift of the edits that start before `pos`.
            let i = shifts.partition_point(|&(start, _)| start < pos);
            let s = if i == 0 { 0 } else { shifts[i - 1].1 };
            pos.wrapping_add_signed(s)
        };
        let lens: HashMap<usize, usize> = edits.iter().map(|(r, t)| (r.start, t.len())).collect();
        for span in self.spans.values_mut() {
            let start = moved(span.start);
            let len = lens.get(&span.start).copied().unwrap_or(span.len());
            *span = start..start + len;
        }
        true
    }
}

/// `assets.json` and the byte range of each asset's entry in it, by URL. Assembled from entries
/// rendered one by one, byte for byte what serializing the document whole gives (a unit test
/// checks).
fn render_assets(plan: &Plan) -> (String, Vec<(&str, Range<usize>)>) {
    let mut rendered: Vec<(String, &str, String)> = plan
        .assets
        .iter()
        .map(|(url, a)| {
            let key = encode_url(url);
            let text = asset_entry(&key, a);
            (key, url.as_str(), text)
        })
        .collect();
    // Keys are sorted (and a key that two URLs encode to is written once, with the last one's
    // entry), as a map of encoded keys serializes. Encoding rarely changes the order of URLs.
    if !rendered.windows(2).all(|w| w[0].0 < w[1].0) {
        rendered.sort_by(|a, b| a.0.cmp(&b.0));
        rendered.reverse();
        rendered.dedup_by(|a, b| a.0 == b.0);
        rendered.reverse();
    }
    let algorithm = plan.assets.values().next().map_or("sha256", |a| {
        a.integrity.split('-').next().unwrap_or("sha256")
    });
    let size: usize = rendered.iter().map(|r| r.2.len() + 2).sum();
    let mut out = String::with_capacity(size + 256);
    out.push_str("{\n  \"version\": ");
    out.push_str(&FORMAT_VERSION.to_string());
    out.push_str(",\n  \"base\": ");
    out.push_str(&json_string(&plan.base_path));
    out.push_str(",\n  \"integrity\": ");
    out.push_str(&json_string(algorithm));
    out.push_str(",\n  \"assets\": {");
    let mut spans = Vec::with_capacity(rendered.len());
    for (i, (_, url, text)) in rendered.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        spans.push((*url, out.len()..out.len() + text.len()));
        out.push_str(text);
    }
    if !rendered.is_empty() {
        out.push_str("\n  ");
    }
    out.push_str("}\n}\n");
    (out, spans)
}

/// One `"key": {…}` entry of `assets.json`, indented as it sits in the document.
fn asset_entry(key: &str, a: &Asset) -> String {
    let value = serde_json::to_string_pretty(a).expect("JSON values always serialize");
    // JSON strings never hold a raw newline, so every newline is between lines of the value.
    format!(
        "    {}: {}",
        json_string(key),
        value.replace('\n', "\n    ")
    )
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
#[derive(Serialize)]
struct PageJson<'a> {
    file: &'a str,
    /// `Link` values for the 103 response, in order.
    early: Vec<Cow<'a, str>>,
    /// `Link` values for the final response, in order.
    #[serde(rename = "final")]
    final_: Vec<Cow<'a, str>>,
    hints: Vec<HintJson<'a>>,
}

#[derive(Serialize)]
struct EarlyHintsJson<'a> {
    version: u32,
    base: &'a str,
    pages: LazyPages<'a>,
}

/// The `pages` object, built one page at a time while it is serialized, so a 10,000-page site never
/// holds every page's `Link` strings at once. Keys are sorted in their encoded form.
struct LazyPages<'a>(Vec<(String, &'a PagePlan)>);

impl Serialize for LazyPages<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, p) in &self.0 {
            let page = PageJson {
                file: &p.file,
                early: p.early().map(|h| h.link_header(false)).collect(),
                final_: p.final_().map(|h| h.link_header(false)).collect(),
                hints: p.hints.iter().map(HintJson::new).collect(),
            };
            map.serialize_entry(key, &page)?;
        }
        map.end()
    }
}

/// `early-hints.json`: per page, the structured hints and the ready `Link` values for the 103 and
/// for the final response. Serialized from borrowed, typed structs (never an intermediate
/// `serde_json::Value`), so memory stays close to the size of the text.
pub fn early_hints(plan: &Plan) -> OutputFile {
    let mut pages: Vec<(String, &PagePlan)> = plan
        .pages
        .values()
        .map(|p| (encode_url(&p.url), p))
        .collect();
    pages.sort_by(|a, b| a.0.cmp(&b.0));
    OutputFile::text(
        "early-hints.json",
        pretty_sized(
            &EarlyHintsJson {
                version: FORMAT_VERSION,
                base: &plan.base_path,
                pages: LazyPages(pages),
            },
            // About 600 bytes per hint (its structured form and two Link values), 200 per page.
            plan.pages.values().map(|p| 200 + 600 * p.hints.len()).sum(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut doc = AssetsDoc::default();
        assert_eq!(
            text(doc.update(&plan, Some(&BTreeSet::new()))),
            whole(&plan)
        );
        plan.assets.insert("/a,b.css".into(), asset("a,b.css", "9"));
        let d = ["/a,b.css".to_string()].into();
        assert_eq!(text(doc.update(&plan, Some(&d))), whole(&plan));
        plan.assets.remove("/a%20b.css");
        let mut doc = AssetsDoc::default();
        let dirty = |urls: &[&str]| urls.iter().map(|u| u.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(
            text(doc.update(&plan, Some(&dirty(&[])))),
            whole(&plan),
            "first render"
        );
        // Same length, in place.
        plan.assets
            .insert("/a,b.css".into(), asset("a,b.css", "11"));
        assert_eq!(
            text(doc.update(&plan, Some(&dirty(&["/a,b.css"])))),
            whole(&plan)
        );
        // Longer and shorter entries: later spans move.
        plan.assets
            .insert("/a,b.css".into(), asset("a,b.css", "1234"));
        plan.assets
            .insert("/z\"q.css".into(), asset("z\"q.css", "5"));
        let d = dirty(&["/a,b.css", "/z\"q.css"]);
        assert_eq!(text(doc.update(&plan, Some(&d))), whole(&plan));
        plan.assets
            .insert("/m.css".into(), asset("m.css", "123456789"));
        plan.assets.insert("/a,b.css".into(), asset("a,b.css", "1"));
        let d = dirty(&["/m.css", "/a,b.css"]);
        assert_eq!(text(doc.update(&plan, Some(&d))), whole(&plan));
        // Added and removed assets: rendered whole.
        plan.assets.insert("/new.js".into(), asset("new.js", "22"));
        plan.assets.remove("/é-1.css");
        let d = dirty(&["/new.js", "/é-1.css"]);
        assert_eq!(text(doc.update(&plan, Some(&d))), whole(&plan));
        plan.assets.insert("/new.js".into(), asset("new.js", "223"));
        assert_eq!(
            text(doc.update(&plan, Some(&dirty(&["/new.js"])))),
            whole(&plan)
        );
        assert_eq!(text(doc.update(&plan, None)), whole(&plan));
    }
}
