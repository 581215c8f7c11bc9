//! The JSON artifacts: `assets.json`, `push_manifest.json` and `early-hints.json`.
//!
//! All three are pretty-printed with sorted keys (BTreeMap) and a trailing newline, and carry a
//! `"version"` so consumers can detect a format change. URLs are root-relative and percent-encoded
//! exactly as in the `Link` headers, so a consumer can compare them byte for byte.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::OutputFile;
use crate::link::encode_url;
use crate::plan::{Hint, Plan};

/// Format version of the JSON artifacts.
pub const FORMAT_VERSION: u32 = 1;

fn pretty(value: &impl Serialize) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("JSON values always serialize");
    s.push('\n');
    s
}

/// `assets.json`: every file with size, SHA-256, SRI, MIME type and `immutable`.
pub fn assets(plan: &Plan) -> OutputFile {
    let assets: BTreeMap<String, Value> = plan
        .assets
        .iter()
        .map(|(url, a)| {
            (
                encode_url(url),
                serde_json::to_value(a).expect("serializable"),
            )
        })
        .collect();
    let algorithm = plan.assets.values().next().map_or("sha256", |a| {
        a.integrity.split('-').next().unwrap_or("sha256")
    });
    OutputFile::text(
        "assets.json",
        pretty(&json!({
            "version": FORMAT_VERSION,
            "base": plan.base_path,
            "integrity": algorithm,
            "assets": assets,
        })),
    )
}

/// `push_manifest.json`: the legacy multi-page push manifest, `{ page: { asset: {type, weight} } }`,
/// listing each page's pushable hints. The `version` key sits beside the page keys (it is not a URL
/// path, so readers that match keys against request paths never match it).
pub fn push_manifest(plan: &Plan) -> OutputFile {
    let mut root = serde_json::Map::new();
    root.insert("version".into(), json!(FORMAT_VERSION));
    for page in plan.pages.values() {
        let mut assets = serde_json::Map::new();
        for h in page.pushable() {
            assets.insert(
                encode_url(&h.url),
                json!({ "type": h.push_type(), "weight": 1 }),
            );
        }
        root.insert(encode_url(&page.url), Value::Object(assets));
    }
    OutputFile::text("push_manifest.json", pretty(&Value::Object(root)))
}

/// A hint as it appears in `early-hints.json`.
#[derive(Serialize)]
struct HintJson<'a> {
    url: String,
    #[serde(flatten)]
    hint: &'a Hint,
}

/// `early-hints.json`: per page, the structured hints and the ready `Link` values for the 103 and
/// for the final response.
pub fn early_hints(plan: &Plan) -> OutputFile {
    let pages: BTreeMap<String, Value> = plan
        .pages
        .values()
        .map(|p| {
            let hints: Vec<Value> = p
                .hints
                .iter()
                .map(|h| {
                    let mut v = serde_json::to_value(HintJson {
                        url: encode_url(&h.url),
                        hint: h,
                    })
                    .expect("serializable");
                    if let Some(o) = v.as_object_mut()
                        && o.get("crossorigin").and_then(Value::as_str) == Some("")
                    {
                        o.insert("crossorigin".into(), json!("anonymous"));
                    }
                    v
                })
                .collect();
            let early: Vec<String> = p.early().map(|h| h.link_header(false)).collect();
            let final_: Vec<String> = p.final_().map(|h| h.link_header(false)).collect();
            (
                encode_url(&p.url),
                json!({
                    "file": p.file,
                    "hints": hints,
                    "early": early,
                    "final": final_,
                    "early_header": early.join(", "),
                    "final_header": final_.join(", "),
                }),
            )
        })
        .collect();
    OutputFile::text(
        "early-hints.json",
        pretty(&json!({
            "version": FORMAT_VERSION,
            "base": plan.base_path,
            "pages": pages,
        })),
    )
}
