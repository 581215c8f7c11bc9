//! The JSON artifacts: `assets.json`, `push_manifest.json` and `early-hints.json`.
//!
//! All three are pretty-printed with sorted keys (BTreeMap) and a trailing newline, and carry a
//! `"version"` so consumers can detect a format change. URLs are root-relative and percent-encoded
//! exactly as in the `Link` headers, so a consumer can compare them byte for byte.

use std::borrow::Cow;
use std::collections::BTreeMap;

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
    #[derive(Serialize)]
    struct AssetsJson<'a> {
        version: u32,
        base: &'a str,
        integrity: &'a str,
        assets: BTreeMap<String, &'a Asset>,
    }
    let algorithm = plan.assets.values().next().map_or("sha256", |a| {
        a.integrity.split('-').next().unwrap_or("sha256")
    });
    OutputFile::text(
        "assets.json",
        pretty(&AssetsJson {
            version: FORMAT_VERSION,
            base: &plan.base_path,
            integrity: algorithm,
            assets: plan
                .assets
                .iter()
                .map(|(url, a)| (encode_url(url), a))
                .collect(),
        }),
    )
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
