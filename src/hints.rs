//! The hint policy: from a page's closure to its ordered, budgeted hints (DESIGN.md section 4).
//!
//! The consumer decides every attribute, because a hint that differs from the request the browser
//! later makes is not reused and the file is downloaded twice: fonts are always `crossorigin` (font
//! fetches are CORS requests); a module and its static imports are `modulepreload` (never
//! `preload; as=script`) with the entry script's `crossorigin`; a stylesheet or classic script copies the
//! element's `crossorigin`. Order is stylesheets, fonts, then scripts and modules by depth, then images,
//! each in document order; the tail beyond the count or header-size budget is dropped with a diagnostic.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use crate::config::{Config, Policy};
use crate::error::{Diagnostic, Severity};
use crate::graph::{Decision, Entry, Graph, Node, NodeIndex, PageFacts, media_is_print_only};
use crate::parse::{
    ApartContext, BOLD_ELEMENTS, BOLDER_ELEMENTS, Cascaded, ELEMENT_LANG_MARK, Expr, FamilyDecl,
    FileKind, FontUse, Gated, HEADINGS, ITALIC_ELEMENTS, LANG_MARK, PageWeight, Place, PropDef,
    RefAttrs, RefKind, RuleSelector, TextChars, TextContext, Upright, VarRef, Weight, Words,
    css::{CodeRange, intersect_ranges, merge_ranges, subtract_ranges},
    element_word, gate_around, gate_word, italic_under, media_always_applies, overridden,
};
use crate::plan::{Asset, Hint, HintPool, PagePlan, Plan, Rel};

/// The hint an entry would get, before budgets.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spec {
    rel: Rel,
    as_: Option<String>,
    crossorigin: Option<String>,
    type_: Option<String>,
    media: Option<String>,
    /// `high` or `low`, from the element the hint follows (the consumer, or the page's own preload).
    fetchpriority: Option<String>,
    /// The consumer's `integrity`: a browser uses a preload only when it carries the same.
    integrity: Option<String>,
}

/// Builds the plan for every page.
pub fn plan(graph: &Graph, config: &Config) -> (Plan, Vec<Diagnostic>) {
    // Pages are planned independently, so on all cores; each closure is dropped as soon as its page
    // is planned, and results are merged in page order.
    let pool = HintPool::default();
    let all: Vec<&Node> = graph.pages().collect();
    let index = graph.index();
    let planned = all
        .par_iter()
        .map(|page| plan_one(graph, page, Some(&index), &pool, &config.policy))
        .collect();
    assemble(graph, planned)
}

/// One page's plan, its hints shared through `pool`.
pub(crate) fn plan_one<'g>(
    graph: &'g Graph,
    page: &'g Node,
    index: Option<&NodeIndex<'g>>,
    pool: &HintPool,
    policy: &Policy,
) -> (PagePlan, Vec<Diagnostic>) {
    let (mut pp, _, d) = page_plan(graph, page, index, policy);
    pool.share(&mut pp);
    (pp, d)
}

/// The plan from every page's, in page order.
pub(crate) fn assemble(
    graph: &Graph,
    planned: Vec<(PagePlan, Vec<Diagnostic>)>,
) -> (Plan, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut pages = BTreeMap::new();
    for (pp, mut d) in planned {
        diags.append(&mut d);
        pages.insert(pp.url.clone(), pp);
    }
    let assets = graph
        .nodes
        .values()
        .filter(|n| n.ok)
        .map(|n| (graph.space.file_url(&n.rel), asset_of(n)))
        .collect();
    let pushed: BTreeSet<(&str, &str)> = pages
        .values()
        .flat_map(|p: &PagePlan| p.pushable())
        .filter_map(|h| {
            let f = h.file.as_deref()?;
            Some((f, graph.nodes.get(f)?.sha256.as_str()))
        })
        .collect();
    let build_id = build_id(pushed);
    let plan = Plan {
        pages,
        assets,
        build_id,
        base_path: graph.space.base_path().to_string(),
    };
    (plan, diags)
}

/// A file's fingerprint entry in the plan.
pub fn asset_of(n: &Node) -> Asset {
    Asset {
        path: n.rel.clone(),
        size: n.size,
        sha256: n.sha256.clone(),
        integrity: n.integrity.clone(),
        mime: mime_of(&n.rel),
        immutable: n.immutable,
    }
}

/// The id of a build's pushable asset set ([`Plan::build_id`]) from its `(file, sha256)` pairs in
/// sorted order: 16 hex digits of a SHA-256 over them.
pub fn build_id<'a>(pushed: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut id = Sha256::new();
    for (f, sha) in pushed {
        id.update(f.as_bytes());
        id.update([0]);
        id.update(sha.as_bytes());
        id.update([0]);
    }
    crate::fingerprint::hex(&id.finalize()[..8])
}

/// MIME type by extension; JavaScript is `text/javascript` (RFC 9239), including `.mjs`.
pub fn mime_of(rel: &str) -> String {
    let ext = rel.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("js" | "mjs" | "cjs") => "text/javascript".into(),
        Some("woff2") => "font/woff2".into(),
        Some("woff") => "font/woff".into(),
        Some("ttf") => "font/ttf".into(),
        Some("otf") => "font/otf".into(),
        Some("webmanifest") => "application/manifest+json".into(),
        _ => mime_guess::from_path(rel)
            .first_or_octet_stream()
            .essence_str()
            .to_string(),
    }
}

/// One page: its plan, its closure with a decision on every entry (for `explain`), and diagnostics.
/// `index`, when given, is the graph's [`Graph::index`].
pub fn page_plan<'g>(
    graph: &'g Graph,
    page: &'g Node,
    index: Option<&NodeIndex<'g>>,
    policy: &Policy,
) -> (PagePlan, Vec<Entry<'g>>, Vec<Diagnostic>) {
    let (mut entries, mut diags) = graph.closure(page, index);
    let styles = PageStyles::of(page, &entries);
    let other_sources = other_font_sources(&entries);
    // The page's font preloads of files it does not render with, and where they are.
    let mut unused_preloads: Vec<(String, crate::error::Location)> = Vec::new();
    let mut candidates: Vec<(usize, Spec)> = Vec::new();
    let mut preconnects: BTreeMap<(String, bool), u32> = BTreeMap::new();
    for (i, e) in entries.iter_mut().enumerate() {
        if e.decision != Decision::Hint {
            continue;
        }
        if let Some(sheet) = other_sources.get(e.url.as_ref()) {
            unused_preloads.push((e.url.to_string(), e.location));
            e.decision = Decision::Skip(
                format!(
                    "the page preloads it, but an @font-face in {sheet} lists a source before it \
                     that browsers read, and renders with that one"
                )
                .into(),
            );
            continue;
        }
        let spec = match spec_for(e, page, &styles, policy) {
            Ok(s) => s,
            // A face is not hinted for the page's own preload of it when it serves no character
            // of the page (the preload still fetches it; the 103 is kept for what renders), as
            // frameworks preload every subset of a font. For the other reasons a face is left
            // out (its family, weight or italics look unused) the author's preload stands: styles
            // and text that scripts add are not seen.
            Err(reason)
                if e.kind == RefKind::Font
                    && (e.explicit.is_none()
                        || !policy.fonts
                        || range_miss(e, page, &styles).is_some()) =>
            {
                if let Some((_, _, at)) = &e.explicit
                    && policy.fonts
                {
                    unused_preloads.push((e.url.to_string(), *at));
                }
                e.decision = Decision::Skip(reason);
                continue;
            }
            Err(reason) => match explicit_spec(e, page, &styles, policy) {
                Some(s) => {
                    e.by_preload = true;
                    s
                }
                None => {
                    e.decision = Decision::Skip(reason);
                    continue;
                }
            },
        };
        if let Some((kind, attrs, loc)) = &e.explicit {
            if let Some(msg) = mismatch(*kind, attrs, &spec) {
                diags.push(
                    Diagnostic::new(
                        Severity::Warning,
                        "preload-mismatch",
                        &page.rel,
                        format!(
                            "<link rel={}> for {} does not match how the page uses it ({} in {}): \
                             {msg}; the browser would download it twice. The hint follows the consumer",
                            if *kind == RefKind::ModulePreload { "modulepreload" } else { "preload" },
                            e.url,
                            e.element,
                            e.parent
                        ),
                    )
                    .at(*loc),
                );
            }
        } else if e.kind == RefKind::Preload
            && spec.as_.as_deref() == Some("font")
            && e.attrs.crossorigin.is_none()
        {
            diags.push(
                Diagnostic::new(
                    Severity::Warning,
                    "preload-mismatch",
                    &page.rel,
                    format!(
                        "<link rel=preload as=font> for {} has no crossorigin: fonts are fetched \
                         in CORS mode, so the browser would download it twice; add crossorigin",
                        e.url
                    ),
                )
                .at(e.location),
            );
        }
        if let Some(origin) = &e.external_origin {
            // A request that sends no credentials (a CORS request in `anonymous` mode: fonts,
            // `fetch`, modules without `crossorigin=use-credentials`, an element with
            // `crossorigin`) takes a connection of its own, which only a preconnect with
            // `crossorigin` opens; one that sends them takes the plain preconnect's.
            let cors = match spec.crossorigin.as_deref() {
                Some(mode) => !mode.trim().eq_ignore_ascii_case("use-credentials"),
                None => spec.rel == Rel::Modulepreload,
            };
            if policy.preconnect {
                let d = preconnects.entry((origin.clone(), cors)).or_insert(e.depth);
                *d = (*d).min(e.depth);
                // Google Fonts CSS names its font files on a second origin that the page cannot
                // see; fonts are CORS fetches, so that connection needs `crossorigin`.
                if origin == "https://fonts.googleapis.com" && spec.as_.as_deref() == Some("style")
                {
                    let d = preconnects
                        .entry(("https://fonts.gstatic.com".into(), true))
                        .or_insert(e.depth + 1);
                    *d = (*d).min(e.depth + 1);
                }
                e.decision =
                    Decision::Skip(format!("cross-origin: preconnect to {origin} instead").into());
            } else {
                e.decision = Decision::Skip("cross-origin (policy.preconnect is off)".into());
            }
            continue;
        }
        if e.bytes > policy.max_file_bytes {
            e.decision = Decision::Skip(
                format!(
                    "{} bytes, over policy.max-file-bytes ({})",
                    e.bytes, policy.max_file_bytes
                )
                .into(),
            );
            continue;
        }
        candidates.push((i, spec));
    }
    if let Some(&(_, at)) = unused_preloads
        .iter()
        .min_by_key(|(_, at)| (at.line, at.col))
    {
        let n = unused_preloads.len();
        let mut urls: Vec<&str> = unused_preloads.iter().map(|(u, _)| u.as_str()).collect();
        urls.truncate(4);
        diags.push(
            Diagnostic::new(
                Severity::Warning,
                "unused-preload",
                &page.rel,
                format!(
                    "the page preloads {n} font file(s) it does not render with ({}{}): faces \
                     whose unicode-range holds no character of the page, or sources after the \
                     one browsers read; the browser downloads them anyway, so remove those \
                     preloads (they are not hinted)",
                    urls.join(", "),
                    if n > urls.len() {
                        format!(", and {} more", n - urls.len())
                    } else {
                        String::new()
                    }
                ),
            )
            .at(at),
        );
    }
    // Sorted by category, depth, then (for scripts) parser-blocking ones first, (for fonts) by
    // face in document order and, of a face, the `unicode-range` subsets that set more of the
    // page's characters first, then document order.
    let mut hints: Vec<(u8, u32, bool, FaceRank, usize, Hint)> = Vec::new();
    // Where each face (family, style and weights; its `unicode-range` subsets are one face)
    // first appears.
    type Face<'e> = (Option<&'e str>, bool, (u16, u16));
    fn face_of<'e>(e: &'e Entry<'_>) -> Face<'e> {
        let a = &*e.attrs;
        (a.font_family(), a.is_slanted_face(), a.face_weights())
    }
    let mut faces: rustc_hash::FxHashMap<Face, usize> = Default::default();
    for (i, spec) in &candidates {
        if spec.as_.as_deref() == Some("font") {
            let e = &entries[*i];
            faces.entry(face_of(e)).or_insert(e.order);
        }
    }
    for ((origin, cors), depth) in preconnects {
        hints.push((
            0,
            depth,
            false,
            FaceRank::default(),
            0,
            Hint {
                crossorigin: cors.then(String::new),
                depth,
                ..Hint::new(origin, Rel::Preconnect)
            },
        ));
    }
    // A page whose scripts render it has no text, so uses no font, before they have run: its
    // scripts and modules go before its fonts (a Streamlit app's entry module and its imports
    // before the faces of its stylesheet, KaTeX's among them).
    let (fonts_at, scripts_at) = if scripts_render(page) { (3, 2) } else { (2, 3) };
    for (i, spec) in candidates {
        let e = &entries[i];
        let node = e.node;
        let category = match (spec.rel, spec.as_.as_deref()) {
            (Rel::Preload, Some("style")) => 1,
            (Rel::Preload, Some("font")) => fonts_at,
            (Rel::Modulepreload, _) | (Rel::Preload, Some("script")) => scripts_at,
            (Rel::Preload, Some("image")) => 4,
            _ => 5,
        };
        let is_font = spec.as_.as_deref() == Some("font");
        let image = spec.as_.as_deref() == Some("image");
        // A parser-blocking script holds up the page, which a browser fetches at high priority;
        // `defer`, `async` and module scripts run later, at low priority. So over budget, those go
        // before it does.
        let runs_later = category == scripts_at
            && (spec.rel == Rel::Modulepreload
                || e.attrs.defer
                || e.attrs.async_
                || e.kind != RefKind::Script);
        // Over budget, a subset of a face that sets more of the page's characters goes first: the
        // Latin subset before Latin Extended, a Japanese page's most used slices of a CJK face.
        let rank = if is_font {
            FaceRank(
                faces[&face_of(e)],
                std::cmp::Reverse(chars_served(e, page, &styles)),
            )
        } else {
            FaceRank::default()
        };
        hints.push((
            category,
            e.depth,
            runs_later,
            rank,
            e.order,
            Hint {
                as_: spec.as_,
                crossorigin: spec.crossorigin,
                type_: spec.type_,
                media: spec.media,
                imagesrcset: if image {
                    e.srcset.map(str::to_string)
                } else {
                    None
                },
                imagesizes: if image && e.srcset.is_some() {
                    e.attrs.sizes().map(str::to_string)
                } else {
                    None
                },
                fetchpriority: spec.fetchpriority,
                link_integrity: spec.integrity,
                integrity: node.map(|n| n.integrity.clone()),
                depth: e.depth,
                bytes: e.bytes,
                file: e.file.map(str::to_string),
                immutable: node.is_some_and(|n| n.immutable),
                early: true,
                final_: !is_font || policy.fonts_on_final,
                ..Hint::new(e.url.as_ref(), spec.rel)
            },
        ));
    }
    hints.sort_by_key(|h| (h.0, h.1, h.2, h.3, h.4));
    same_image_sets(&mut hints, &mut entries);
    // Budgets: the hint count and the `Link` header size, for the 103 and for the 200 each. A hint
    // over budget in one still goes in the other (the 103 carries fonts the 200 does not, so a long
    // 103 must not cost the 200 its modules); one over budget in both is dropped.
    let mut kept: Vec<Hint> = Vec::new();
    let (mut early, mut final_) = (Budget::default(), Budget::default());
    let mut dropped: Vec<String> = Vec::new();
    let mut partly: Vec<String> = Vec::new();
    for (_, _, _, _, _, mut h) in hints {
        let len = h.link_header_len();
        let was = (h.early, h.final_);
        h.early = h.early && early.take(len, policy);
        h.final_ = h.final_ && final_.take(len, policy);
        if h.early || h.final_ {
            if (h.early, h.final_) != was {
                partly.push(format!(
                    "{} (left out of the {})",
                    h.url,
                    if h.early { "200" } else { "103" }
                ));
            }
            kept.push(h);
            continue;
        }
        let why = format!(
            "over budget: policy.max-hints is {} and policy.max-header-bytes {}",
            policy.max_hints, policy.max_header_bytes
        );
        skip(&mut entries, &h.url, why);
        dropped.push(h.url);
    }
    if !dropped.is_empty() || !partly.is_empty() {
        let mut what = Vec::new();
        if !dropped.is_empty() {
            what.push(format!(
                "{} hint(s) dropped: {}",
                dropped.len(),
                dropped.join(", ")
            ));
        }
        if !partly.is_empty() {
            what.push(format!(
                "{} hint(s) sent in one response only: {}",
                partly.len(),
                partly.join(", ")
            ));
        }
        diags.push(Diagnostic::new(
            Severity::Warning,
            "budget",
            &page.rel,
            format!(
                "over budget (max {} hints and {} header bytes per response); {}",
                policy.max_hints,
                policy.max_header_bytes,
                what.join("; ")
            ),
        ));
    }
    let mut pushed = 0u64;
    for h in kept.iter_mut() {
        h.push = fits_push(h, h.bytes, &mut pushed, policy);
    }
    let plan = PagePlan::new(graph.space.page_url(&page.rel), page.rel.clone(), kept);
    (plan, entries, diags)
}

/// Marks the entry of `url` as not hinted, for `why`.
fn skip(entries: &mut [Entry<'_>], url: &str, why: String) {
    if let Some(e) = entries.iter_mut().find(|e| e.url == url) {
        e.decision = Decision::Skip(why.into());
    }
}

/// Merges the image hints that name the same candidates (`imagesrcset` and `imagesizes`, as
/// browsers read them): a page's own `<link rel=preload as=image imagesrcset>` and the `<img>` or
/// `<source>` it preloads, whose URLs differ (the preload's `href`, the source's first
/// candidate), make one fetch of the candidate a browser picks, so they are one hint: the first,
/// with `fetchpriority=high` and a `type` when the other has them.
fn same_image_sets(
    hints: &mut Vec<(u8, u32, bool, FaceRank, usize, Hint)>,
    entries: &mut [Entry<'_>],
) {
    let key = |h: &Hint| {
        let set = crate::parse::html::parse_srcset(h.imagesrcset.as_deref()?);
        let sizes = h
            .imagesizes
            .as_deref()
            .map(|v| v.split_ascii_whitespace().collect::<Vec<_>>().join(" "));
        Some((set, sizes))
    };
    let mut first: rustc_hash::FxHashMap<_, usize> = Default::default();
    let mut kept: Vec<(u8, u32, bool, FaceRank, usize, Hint)> = Vec::with_capacity(hints.len());
    for h in hints.drain(..) {
        let Some(k) = key(&h.5).filter(|_| h.5.as_.as_deref() == Some("image")) else {
            kept.push(h);
            continue;
        };
        let Some(&i) = first.get(&k) else {
            first.insert(k, kept.len());
            kept.push(h);
            continue;
        };
        let into = &mut kept[i].5;
        if h.5.fetchpriority.as_deref() == Some("high") {
            into.fetchpriority = h.5.fetchpriority.clone();
        }
        if into.type_.is_none() {
            into.type_ = h.5.type_.clone();
        }
        let why = format!(
            "the same image candidates (imagesrcset) as the hint for {}, which a browser fetches \
             once",
            into.url
        );
        skip(entries, &h.5.url, why);
    }
    *hints = kept;
}

/// The push budget, hint by hint in priority order: whether `h`, of `bytes` bytes, is pushed, given
/// the bytes `pushed` so far (updated). Only files of the site are pushed, the first ones that fit in
/// `policy.max-push-bytes` together, and never an image with candidates (`imagesrcset`): the
/// browser picks one by its viewport and density, which the server cannot know, so a push of the
/// `src` would often send a file it does not use. Watch mode applies it again when a file's size
/// changes.
pub fn fits_push(h: &Hint, bytes: u64, pushed: &mut u64, policy: &Policy) -> bool {
    let push = h.rel != Rel::Preconnect
        && h.file.is_some()
        && h.imagesrcset.is_none()
        && *pushed + bytes <= policy.max_push_bytes;
    if push {
        *pushed += bytes;
    }
    push
}

/// What one response's `Link` header has used of the budget.
#[derive(Default)]
struct Budget {
    hints: usize,
    bytes: usize,
}

impl Budget {
    /// Counts a `Link` value of `len` bytes in, if it fits.
    fn take(&mut self, len: usize, policy: &Policy) -> bool {
        let len = len + if self.hints == 0 { 0 } else { 2 };
        if self.hints >= policy.max_hints || self.bytes + len > policy.max_header_bytes {
            return false;
        }
        self.hints += 1;
        self.bytes += len;
        true
    }
}

/// The printable ASCII characters: digits and punctuation occur in text of every language.
const BASIC_LATIN: (u32, u32) = (0x21, 0x7E);

/// The characters assumed for a page whose scripts render all of its text, by the primary subtag of
/// its `<html lang>`, and a name for messages: Basic Latin, plus the letters of alphabets that font
/// services split into their own `unicode-range` subsets. Languages written with thousands of
/// characters (Chinese, Japanese, Korean) assume Basic Latin alone: their fonts come in dozens of
/// slices, and preloading all of them would cost more than it saves.
fn assumed_text(lang: Option<&str>) -> (&'static [(u32, u32)], &'static str) {
    let primary = lang
        .and_then(|l| l.split(['-', '_']).next())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match primary.as_str() {
        "ru" | "uk" | "be" | "bg" | "sr" | "mk" | "kk" | "ky" | "mn" | "tg" | "tt" | "ba" => {
            (&[BASIC_LATIN, (0x0410, 0x044F)], "Cyrillic")
        }
        "el" => (&[BASIC_LATIN, (0x0391, 0x03C9)], "Greek"),
        "vi" => (&[BASIC_LATIN, (0x1EA0, 0x1EF9)], "Vietnamese"),
        "he" | "yi" => (&[BASIC_LATIN, (0x05D0, 0x05EA)], "Hebrew"),
        "ar" | "fa" | "ur" | "ps" => (&[BASIC_LATIN, (0x0621, 0x064A)], "Arabic"),
        "hi" | "mr" | "ne" => (&[BASIC_LATIN, (0x0905, 0x0939)], "Devanagari"),
        "th" => (&[BASIC_LATIN, (0x0E01, 0x0E3A)], "Thai"),
        _ => (&[BASIC_LATIN], "Basic Latin"),
    }
}

/// An attribute value as a hint's own string.
fn owned(v: &Option<Box<str>>) -> Option<String> {
    v.as_deref().map(String::from)
}

/// An attribute value without surrounding ASCII whitespace, as a browser reads `integrity` and
/// `type`; `None` when nothing is left.
fn owned_trimmed(v: &Option<Box<str>>) -> Option<String> {
    let t = v
        .as_deref()?
        .trim_matches(|c: char| c.is_ascii_whitespace());
    (!t.is_empty()).then(|| t.to_string())
}

/// The elements of [`FamilyUse::OnlyFor`] for a reason: `elements with fab or fa-brands`,
/// `elements in or after ones with post`; at most four names or kinds.
fn gate_list<'a>(alts: impl IntoIterator<Item = &'a [String]>) -> String {
    // Element names as `<code>`, languages as `lang=ja` (the page's as `<html lang=ja>`).
    let words = |ws: &[(&str, bool)]| {
        let ws: Vec<String> = ws
            .iter()
            .map(|w| {
                if let Some(element) = w.0.strip_prefix('<') {
                    format!("<{element}>")
                } else if let Some(lang) = w.0.strip_prefix(LANG_MARK) {
                    format!("<html lang={lang}>")
                } else if let Some(lang) = w.0.strip_prefix(ELEMENT_LANG_MARK) {
                    format!("lang={lang}")
                } else {
                    w.0.to_string()
                }
            })
            .collect();
        ws.join(" and ")
    };
    let (mut own, mut around) = (Vec::new(), Vec::new());
    for alt in alts {
        let (mine, ctx): (Vec<_>, Vec<_>) = alt.iter().map(|w| gate_word(w)).partition(|w| w.1);
        match (mine.is_empty(), ctx.is_empty()) {
            (_, true) => own.push(words(&mine)),
            (true, false) => around.push(format!("elements in or after ones with {}", words(&ctx))),
            (false, false) => around.push(format!(
                "elements with {} in or after ones with {}",
                words(&mine),
                words(&ctx)
            )),
        }
    }
    for list in [&mut own, &mut around] {
        list.sort_unstable();
        list.dedup();
    }
    let more = (own.len() + around.len()).saturating_sub(4);
    own.truncate(4);
    around.truncate(4 - own.len());
    let mut kinds = around;
    if !own.is_empty() {
        kinds.insert(0, format!("elements with {}", own.join(" or ")));
    }
    let mut list = kinds.join(" or ");
    if more > 0 {
        list.push_str(&format!(" (or {more} more)"));
    }
    list
}

/// Weights that text may have, and whether `bolder` or `lighter` make more of them.
struct WeightSet {
    weights: Vec<u16>,
    bolder: bool,
    lighter: bool,
}

impl WeightSet {
    fn new(weights: Vec<u16>, bolder: bool) -> WeightSet {
        WeightSet {
            weights,
            bolder,
            lighter: false,
        }
    }

    /// Adds what a declaration's `weight` gives, or that it is relative; `None` when it is
    /// computed.
    fn add(&mut self, styles: &PageStyles, weight: &Weight) -> Option<()> {
        match weight {
            Weight::Is(n) => self.weights.push(*n),
            Weight::Var { props, fallback } => {
                self.weights
                    .extend(styles.var_weights(props, *fallback, &[])?.0);
            }
            Weight::Bolder => self.bolder = true,
            Weight::Lighter => self.lighter = true,
            Weight::Shorthand { props, weight } => {
                self.weights.push(styles.shorthand_weight(props, *weight)?);
            }
            Weight::Inherit => {}
            Weight::Unknown => return None,
        }
        Some(())
    }

    /// The weights and what `bolder` (when it applies) and `lighter` (likewise) make of each,
    /// sorted, without duplicates.
    fn finish(self) -> Vec<u16> {
        let WeightSet {
            mut weights,
            bolder,
            lighter,
        } = self;
        let relative: Vec<u16> = weights
            .iter()
            .flat_map(|&w| {
                let heavier = bolder.then(|| bolder_weight(w));
                heavier
                    .into_iter()
                    .chain(lighter.then(|| lighter_weight(w)))
            })
            .collect();
        weights.extend(relative);
        weights.sort_unstable();
        weights.dedup();
        weights
    }
}

/// The weight `bolder` gives text inside an element of weight `w` (CSS Fonts 4).
fn bolder_weight(w: u16) -> u16 {
    match w {
        0..350 => 400,
        350..550 => 700,
        550..900 => 900,
        _ => w,
    }
}

/// The weight `lighter` gives text inside an element of weight `w` (CSS Fonts 4).
fn lighter_weight(w: u16) -> u16 {
    match w {
        0..100 => w,
        100..550 => 100,
        550..750 => 400,
        _ => 700,
    }
}

/// Whether a browser takes the face serving `range` of weights for weight `w`, among the faces
/// serving `faces` (CSS's font matching): the faces whose range holds `w`, else the nearest in the
/// direction `w` leans (up from 400–500 to 500, then down, then up; down below 400; up above 500).
fn takes_face(faces: &[(u16, u16)], range: (u16, u16), w: u16) -> bool {
    if range.0 <= w && w <= range.1 {
        return true;
    }
    if faces.iter().any(|&(lo, hi)| lo <= w && w <= hi) {
        return false;
    }
    // Lower is better: which pass finds the face, then its distance from `w`.
    let rank = |&(lo, hi): &(u16, u16)| -> (u8, u16) {
        let (up, down) = (lo.saturating_sub(w), w.saturating_sub(hi));
        match w {
            400..=500 if lo > w && lo <= 500 => (0, up),
            400..=500 if hi < w => (1, down),
            400..=500 => (2, up),
            0..400 if hi < w => (0, down),
            0..400 => (1, up),
            _ if lo > w => (0, up),
            _ => (1, down),
        }
    };
    faces.iter().map(rank).min() == Some(rank(&range))
}

/// A face's weights as `font-weight` writes them: `400`, `100 900`.
fn weight_range((lo, hi): (u16, u16)) -> String {
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo} {hi}")
    }
}

/// The page's font preloads that name an `@font-face` `src` other than the one browsers fetch
/// (a `woff` after a `woff2`), each with the stylesheet of the face. A preload that is also the
/// preferred source of some face is that face's entry, and not among these.
fn other_font_sources<'g>(entries: &[Entry<'g>]) -> HashMap<String, &'g str> {
    let preloads = |e: &&Entry| {
        e.kind == RefKind::Preload
            && e.attrs
                .as_
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case("font"))
    };
    if !entries.iter().any(|e| preloads(&e)) {
        return HashMap::new();
    }
    let preloaded: HashSet<&str> = entries
        .iter()
        .filter(preloads)
        .map(|e| e.url.as_ref())
        .collect();
    let mut found = HashMap::new();
    for e in entries.iter().filter(|e| e.kind == RefKind::Font) {
        for source in e.attrs.other_sources() {
            if preloaded.contains(source.as_str()) {
                found.entry(source.clone()).or_insert(e.parent);
            }
        }
    }
    found
}

/// Why a face (an `@font-face` entry) serves no character of the page, if it does not: its
/// `unicode-range` holds none of the page's text (nor of its code's, where the page's styles may
/// give code its family), or, on a page its scripts render, none of the letters of its language.
fn range_miss(e: &Entry, page: &Node, styles: &PageStyles) -> Option<Cow<'static, str>> {
    let a = &e.attrs;
    let family = || {
        a.font_family()
            .map(|f| format!(" {f:?}"))
            .unwrap_or_default()
    };
    let facts = page.page.as_deref();
    // Its range holds only what faces declared after it leave (see `RareAttrs::shadowed`).
    if a.is_shadowed() && a.unicode_range().is_empty() {
        return Some(
            format!(
                "@font-face{}: faces declared after it in {} for the same family, style and \
                 weight take every character of its unicode-range",
                family(),
                e.parent
            )
            .into(),
        );
    }
    let text = facts.and_then(|p| p.text.as_ref())?;
    let left = styles.face_range(e);
    // The families before its family take some of its range.
    let reduced = !matches!(left, Some(Cow::Borrowed(_)));
    // What the families before its family take, when that is all the page's characters in its
    // range.
    let taken = || {
        let before = styles
            .fallbacks()
            .get(&a.font_family()?.to_ascii_lowercase())?;
        let names: Vec<String> = before.before.iter().map(|n| format!("{n:?}")).collect();
        Some(Cow::from(format!(
            "@font-face{}: every character of the page in its unicode-range is in the \
             unicode-range of a face of {}, which each list that names its family puts before \
             it (browsers take a character from the first family whose faces hold it)",
            family(),
            names.join(" or ")
        )))
    };
    // A page that runs scripts and has no text of its own is rendered by them (a client-rendered
    // app): its text is unknown, so assume the letters of its language.
    if scripts_render(page) {
        let (assumed, name) = assumed_text(facts.and_then(|p| p.lang.as_deref()));
        let covered = |range: &[CodeRange]| assumed.iter().any(|&r| TextChars::covers(range, r));
        if left.as_deref().is_some_and(covered) {
            return None;
        }
        if reduced && covered(a.unicode_range()) {
            return taken();
        }
        return Some(
            format!(
                "@font-face{}: the page has no text of its own (its scripts render it); {name} \
                 is assumed, and its unicode-range does not cover it",
                family()
            )
            .into(),
        );
    }
    // The text of code elements and form controls counts where the page's styles may give them
    // the family.
    let family_lower = a.font_family().map(str::to_ascii_lowercase);
    let code = facts.and_then(|p| p.code_text.as_ref());
    let control = facts.and_then(|p| p.control_text.as_ref());
    // Such text counts when it has a character in the range and a rule may give it the family.
    let counts = |chars: Option<&TextChars>,
                  range: &[CodeRange],
                  reaches: &dyn Fn(&str) -> bool| {
        chars.is_some_and(|c| c.intersects(range)) && family_lower.as_deref().is_none_or(reaches)
    };
    let code_only = family_lower.as_deref().is_some_and(|f| styles.only_code(f));
    let sets = |range: &[CodeRange]| {
        !code_only && text.intersects(range)
            || counts(code, range, &|f| styles.reaches_code(f))
            || counts(control, range, &|f| styles.reaches_controls(f))
    };
    if left.as_deref().is_some_and(sets) {
        return None;
    }
    let range = a.unicode_range();
    if reduced && sets(range) {
        return taken();
    }
    let code = code.filter(|c| c.intersects(range));
    let control = control.filter(|c| c.intersects(range));
    // Characters in its range that only code or form controls have, which no rule sets in its
    // family.
    let only_code = if code.is_some() || control.is_some() {
        " outside <pre>, <code> and form controls (browsers give those a font of their own, and \
         no rule for them or for elements inside them names its family)"
    } else {
        ""
    };
    Some(
        if code_only {
            format!(
                "@font-face{}: only rules for <pre> and <code> name its family, and their text \
                 has no character in its unicode-range",
                family()
            )
        } else if a.is_shadowed() {
            format!(
                "@font-face{}: no character of the page{only_code} is left to it: none in its \
                 unicode-range, or only ones that faces declared after it take (a browser uses \
                 the last face whose range holds a character)",
                family()
            )
        } else {
            format!(
                "@font-face{}: no character of its unicode-range occurs in the page{only_code}",
                family()
            )
        }
        .into(),
    )
}

/// The page's contexts ([`PageStyles::contexts`], when it has some) and the characters a face may
/// set ([`PageStyles::face_range`]), sorted and disjoint, when the page's text in them is all in
/// those contexts, where the elements around it are known: none is ASCII, and no text of the
/// page's code or form controls that the family may be set in has one.
fn in_contexts<'g>(
    e: &Entry,
    facts: Option<&PageFacts>,
    styles: &PageStyles<'g>,
) -> Option<(&'g [TextContext], Vec<CodeRange>)> {
    let page = facts?;
    let contexts = styles.contexts.filter(|c| !c.is_empty())?;
    let range = merge_ranges(styles.face_range(e)?.to_vec());
    let ascii = [(0, 0x7F)];
    let ascii_in = if range.is_empty() {
        ascii.to_vec()
    } else {
        intersect_ranges(&range, &ascii)
    };
    let ascii_text =
        !ascii_in.is_empty() && page.text.as_ref().is_none_or(|t| t.intersects(&ascii_in));
    let family = e.attrs.font_family().map(str::to_ascii_lowercase);
    let apart = family.is_none_or(|f| styles.sets_apart(&f, &range, page));
    (!apart && !ascii_text).then_some((contexts, range))
}

/// The contexts among `contexts` whose text has a character in `range` (sorted, disjoint; empty
/// for every character), with their index.
fn contexts_in<'c>(
    contexts: &'c [TextContext],
    range: &[CodeRange],
) -> impl Iterator<Item = (usize, &'c TextContext)> {
    let ascii = range.is_empty() || !intersect_ranges(range, &[(0x20, 0x7E)]).is_empty();
    contexts
        .iter()
        .enumerate()
        .filter(move |(_, c)| c.ascii && ascii || !c.chars.is_empty() && c.intersects(range))
}

/// Whether the page's scripts render its text: it runs scripts and has no text of its own.
fn scripts_render(page: &Node) -> bool {
    page.page.as_deref().is_some_and(|p| {
        p.text.as_ref().is_some_and(|t| t.0.is_empty())
            && p.code_text.is_none()
            && p.control_text.is_none()
    }) && runs_scripts(page)
}

/// Whether a page loads a script (classic or module), or imports one from an inline module
/// script (Storybook's `<script type="module">import './sb-manager/runtime.js'</script>`).
fn runs_scripts(page: &Node) -> bool {
    page.edges.iter().any(|e| {
        matches!(
            e.kind,
            RefKind::Script | RefKind::JsImport | RefKind::JsDynamicImport
        )
    })
}

/// The hint the page's own `<link rel=preload|modulepreload>` for an entry asks for, when the
/// entry's consumer alone would not be hinted (an `<img>` without `fetchpriority=high`, say): the
/// author asked for the preload, so it stands.
fn explicit_spec(e: &Entry, page: &Node, styles: &PageStyles, policy: &Policy) -> Option<Spec> {
    let (kind, attrs, _) = e.explicit.as_ref()?;
    let mut preload = e.clone();
    preload.kind = *kind;
    preload.attrs = attrs.clone();
    preload.critical = true;
    spec_for(&preload, page, styles, policy).ok()
}

/// What the page's styles name: its inline styles and every stylesheet it reaches, each file's
/// [`FontUse`] borrowed from the graph; and the page's faces.
struct PageStyles<'g> {
    uses: Vec<&'g FontUse>,
    /// The page's class names and ids, and the words of the scripts it runs as it loads (which
    /// may give elements classes): what rules for certain elements ([`Gated`]) are checked
    /// against.
    words: Vec<&'g Words>,
    /// The class names and ids of the page's `<pre>` and `<code>` elements and of those inside
    /// them, not in `words`.
    code_words: Option<&'g Words>,
    /// The class names, ids and element names of the page's headings and what is inside them.
    heading_words: Option<&'g Words>,
    /// Where the scripts' words start in `words` (after the page's own).
    scripts_from: usize,
    /// The page's scripts render it ([`scripts_render`]).
    client_rendered: bool,
    /// The words around the page's text of code elements and of form controls, which the
    /// parser keeps apart from its contexts ([`PageFacts::code_contexts`],
    /// [`PageFacts::control_contexts`]): empty when it has no such text, `None` when they are not
    /// known.
    apart: [Option<&'g [ApartContext]>; 2],
    /// The weights the page's text may have ([`PageStyles::page_weights`]), worked out on first
    /// use.
    weights: OnceCell<Option<PageWeights>>,
    /// What the page's `var()`s may read, worked out on first use.
    vars: OnceCell<VarFamilies<'g>>,
    /// [`PageStyles::slanting`], worked out on first use.
    slanting: OnceCell<Slanting<'g>>,
    /// The page's faces: family (lowercased), slanted, the weights it serves.
    faces: Vec<(String, bool, (u16, u16))>,
    /// [`PageStyles::last_bare`], worked out on first use.
    last_bare: OnceCell<rustc_hash::FxHashMap<&'g str, usize>>,
    /// [`PageStyles::overridden_decls`], worked out on first use.
    overridden: OnceCell<Overridden<'g>>,
    /// [`PageStyles::ranked_decls`], worked out on first use.
    ranked: OnceCell<Vec<Ranked<'g>>>,
    /// The page's stylesheets in cascade order, each with whether it applies on every screen
    /// (not under a `media` condition, nor imported by a stylesheet that is).
    cascade: Vec<(&'g FontUse, bool)>,
    /// The page's own styles.
    own: Option<&'g FontUse>,
    /// The rules that set italic elements upright ([`FontUse::upright`]): the page's own, and those
    /// of the stylesheets that apply on every screen (a `media` condition may leave a stylesheet's
    /// rules out, and those of the stylesheets it imports).
    upright: Vec<&'g Upright>,
    /// What each family's faces take for certain ([`face_takes`]), and the families (lowercased)
    /// that every list naming them puts after families with faces of their own
    /// ([`PageStyles::fallbacks`]), worked out on first use.
    takes: BTreeMap<String, Vec<CodeRange>>,
    fallbacks: OnceCell<rustc_hash::FxHashMap<String, Fallback>>,
    /// The page's text by the elements around it ([`PageFacts::contexts`]); `None` when it is not
    /// known (a page that gave them up, or one without facts).
    contexts: Option<&'g [TextContext]>,
    /// The weights of the text of each of them ([`PageStyles::weights_in`]), each worked out on
    /// first use.
    context_weights: OnceCell<Vec<OnceCell<Option<Vec<u16>>>>>,
    /// [`PageStyles::weight_words`], worked out on first use.
    weight_words: OnceCell<rustc_hash::FxHashSet<u32>>,
    /// The weights of the contexts worked out so far, by the words of theirs that weight rules
    /// read ([`PageStyles::context_weights`]).
    weights_by_words: std::cell::RefCell<rustc_hash::FxHashMap<Vec<u32>, Option<Vec<u16>>>>,
}

/// What later declarations override on a page ([`PageStyles::overridden_decls`]).
struct Overridden<'g> {
    /// The families (lowercased) that only overridden declarations name, with those
    /// declarations' selectors.
    families: rustc_hash::FxHashMap<&'g str, Vec<&'g str>>,
    /// The custom property declarations overridden (by address: each is borrowed from the
    /// page's styles for as long as they are).
    props: rustc_hash::FxHashSet<*const PropDef>,
}

/// The most rules that may outrank a family's, or set another family for text, that
/// [`PageStyles::outranked`] and [`PageStyles::bold_text_elsewhere`] try (real themes have a
/// handful).
const MAX_WINNERS: usize = 256;

/// The most rules that may set text upright that [`PageStyles::surely_italic`] tries, each at
/// every piece of text (a theme has a few: `address`, an icon font's class).
const MAX_UPRIGHT: usize = 64;

/// A `font-family` or `font` declaration of the page with where it stands in the cascade
/// ([`PageStyles::ranked_decls`]).
struct Ranked<'g> {
    decl: &'g FamilyDecl,
    /// Its stylesheets' (0) or the page's own styles (1), whose places among each other are not
    /// known; and its place among those.
    group: u8,
    place: usize,
    /// Its stylesheet applies on every screen.
    always: bool,
}

impl Ranked<'_> {
    /// Whether the declaration names `family` (lowercased).
    fn names(&self, family: &str) -> bool {
        self.decl.names.iter().any(|n| n == family)
    }
}

/// The strongest of the declarations that give a family to an element, as [`Rank::beats`] sees
/// them: of those with the highest specificity, where they stand when that is known.
#[derive(Default)]
struct Strongest {
    specificity: u32,
    /// The group and the latest place of those of that specificity; `None` for none, or for
    /// some in either group (whose order is not known).
    at: Option<(u8, usize)>,
    mixed: bool,
}

impl Strongest {
    fn add(&mut self, specificity: u32, group: u8, place: usize) {
        if specificity > self.specificity || self.at.is_none() && !self.mixed {
            *self = Strongest {
                specificity,
                at: Some((group, place)),
                mixed: false,
            };
        } else if specificity == self.specificity {
            match self.at {
                Some((g, p)) if g == group => self.at = Some((g, p.max(place))),
                _ => {
                    self.at = None;
                    self.mixed = true;
                }
            }
        }
    }

    /// Whether a declaration of this specificity, group and place wins over all of them.
    fn beaten_by(&self, specificity: u32, group: u8, place: usize) -> bool {
        specificity > self.specificity
            || specificity == self.specificity
                && self.at.is_some_and(|(g, p)| g == group && place > p)
    }
}

/// What a declaration must win over to override the family's ([`PageStyles::outranked`]): the
/// normal and the `!important` declarations that give it.
#[derive(Default)]
struct Rank {
    normal: Option<Strongest>,
    important: Option<Strongest>,
}

impl Rank {
    fn add(&mut self, r: &Ranked, specificity: u32) {
        let side = if r.decl.at.important {
            &mut self.important
        } else {
            &mut self.normal
        };
        side.get_or_insert_with(Strongest::default)
            .add(specificity, r.group, r.place);
    }

    /// Whether declaration `r`, for its selector `sel`, wins over every one of them where all
    /// match an element: `!important` against normal ones, then a higher specificity, then a
    /// later place among declarations whose order is known.
    fn beats(&self, r: &Ranked, sel: &RuleSelector) -> bool {
        let Some(specificity) = sel.specificity else {
            return false;
        };
        let wins = |s: &Option<Strongest>| {
            s.as_ref()
                .is_none_or(|s| s.beaten_by(specificity, r.group, r.place))
        };
        if r.decl.at.important {
            wins(&self.important)
        } else {
            self.important.is_none() && wins(&self.normal)
        }
    }
}

/// Rules that set families other than one for elements they surely match ([`RuleSelector::exact`]),
/// outside at-rules, in stylesheets that apply on every screen, with families only: each by the
/// names it asks of the elements around a piece of text, as [`Words::hash`]es, keyed by the first.
struct Covering {
    by_key: rustc_hash::FxHashMap<u32, Vec<Vec<u32>>>,
    /// One asks nothing of them, so it covers all text.
    everywhere: bool,
}

impl Covering {
    /// Those of `ranked` that set no `family` (lowercased) and that `accept` takes, for the
    /// names of their selectors' entries that `name` gives ([`Covering::from_selectors`]).
    fn of<'g>(
        ranked: &[Ranked<'g>],
        family: &str,
        accept: impl Fn(&Ranked<'g>, &RuleSelector) -> bool,
        name: impl Fn(&str) -> Option<&str>,
    ) -> Option<Covering> {
        let candidates = ranked
            .iter()
            .filter(|r| r.always && r.decl.fixed && r.decl.at.overrides && !r.names(family));
        let selectors = candidates.flat_map(|r| {
            r.decl
                .selectors
                .iter()
                .filter(|sel| sel.exact && accept(r, sel))
                .map(|sel| &sel.any_of[..])
        });
        Covering::from_selectors(selectors, name)
    }

    /// The selectors of `selectors` (as [`RuleSelector::any_of`]), for the names of their entries
    /// that `name` gives. `None` when there is none, or more than [`MAX_WINNERS`] (each piece of
    /// text would try them all).
    fn from_selectors<'a>(
        selectors: impl Iterator<Item = &'a [String]>,
        name: impl Fn(&str) -> Option<&str>,
    ) -> Option<Covering> {
        let mut by_key: rustc_hash::FxHashMap<u32, Vec<Vec<u32>>> = Default::default();
        let mut count = 0;
        for any_of in selectors {
            let names: Vec<u32> = any_of
                .iter()
                .filter_map(|x| name(x).map(Words::hash))
                .collect();
            let Some(&key) = names.first() else {
                return Some(Covering {
                    by_key: Default::default(),
                    everywhere: true,
                });
            };
            let same = by_key.entry(key).or_default();
            if !same.contains(&names) {
                same.push(names);
                count += 1;
            }
            if count > MAX_WINNERS {
                return None;
            }
        }
        (count > 0).then_some(Covering {
            by_key,
            everywhere: false,
        })
    }

    /// Whether one of them asks only for names that elements around text with `words` have.
    fn covers(&self, words: &Words) -> bool {
        self.everywhere
            || words.0.iter().any(|h| {
                self.by_key.get(h).is_some_and(|rules| {
                    rules
                        .iter()
                        .any(|names| names.iter().all(|&n| words.contains_hash(n)))
                })
            })
    }
}

/// The items that `items` gives of each of `uses` (stylesheets in cascade order, each with whether
/// it applies on every screen), each with whether a later one overrides it ([`overridden`]; `key`
/// gives an item's property and where it stands).
fn with_overridden<'g, T>(
    uses: &[(&'g FontUse, bool)],
    items: impl Fn(&'g FontUse) -> &'g [T],
    key: impl Fn(&'g T) -> (&'g str, &'g Cascaded),
) -> Vec<(&'g T, bool)> {
    let all: Vec<(&'g T, bool)> = uses
        .iter()
        .flat_map(|&(f, always)| items(f).iter().map(move |d| (d, always)))
        .collect();
    let at: Vec<(&str, &Cascaded, bool)> = all
        .iter()
        .map(|&(d, always)| {
            let (prop, at) = key(d);
            (prop, at, always)
        })
        .collect();
    let over = overridden(&at);
    all.into_iter().map(|(d, _)| d).zip(over).collect()
}

/// A family that every list naming it puts after other families ([`FontUse::places`]), and the
/// characters those take first.
struct Fallback {
    /// The families before it that have faces on the page, lowercased, sorted.
    before: Vec<String>,
    /// The characters that the faces of the families before it hold in every list: sorted,
    /// disjoint ranges, never empty.
    taken: Vec<CodeRange>,
}

/// What each family's faces on the page take for certain ([`PageStyles::fallbacks`]), when some
/// list puts one of them after other families: the characters that the faces of each of its
/// styles and weights hold by their `unicode-range`s (as font matching picks one of them). A face
/// without one, or with one that faces declared after it cut ([`RefAttrs::is_shadowed`]), may
/// lack characters, so it takes none.
fn face_takes(uses: &[&FontUse], entries: &[Entry]) -> BTreeMap<String, Vec<CodeRange>> {
    let mut takes = BTreeMap::new();
    let faces = || entries.iter().filter(|e| e.kind == RefKind::Font);
    let after_others = |family: &str| {
        let family = family.to_ascii_lowercase();
        let after = |p: &&Place| p.name == family && !p.before.is_empty();
        uses.iter().any(|u| {
            u.places_of(&family).iter().any(|p| after(&p))
                || u.props.iter().flat_map(|d| &d.places).any(|p| after(&p))
        })
    };
    if !faces().any(|e| e.attrs.font_family().is_some_and(after_others)) {
        return takes;
    }
    // What each style and weight of each family holds by its faces' ranges.
    let mut groups: BTreeMap<(String, bool, (u16, u16)), Vec<CodeRange>> = BTreeMap::new();
    for e in faces() {
        let Some(family) = e.attrs.font_family() else {
            continue;
        };
        let key = (
            family.to_ascii_lowercase(),
            e.attrs.is_slanted_face(),
            e.attrs.face_weights(),
        );
        let ranges = groups.entry(key).or_default();
        if !e.attrs.is_shadowed() {
            ranges.extend_from_slice(e.attrs.unicode_range());
        }
    }
    for ((family, _, _), ranges) in groups {
        let ranges = merge_ranges(ranges);
        match takes.get_mut(&family) {
            Some(t) => *t = intersect_ranges(t, &ranges),
            None => {
                takes.insert(family, ranges);
            }
        }
    }
    takes
}

/// The element words ([`element_word`]) of [`BOLD_ELEMENTS`], [`BOLDER_ELEMENTS`] and
/// [`ITALIC_ELEMENTS`], made once.
static ELEMENT_WORDS: std::sync::LazyLock<(Vec<String>, Vec<String>, Vec<String>)> =
    std::sync::LazyLock::new(|| {
        let words = |elements: &[&str]| elements.iter().map(|e| element_word(e)).collect();
        (
            words(&BOLD_ELEMENTS),
            words(&BOLDER_ELEMENTS),
            words(&ITALIC_ELEMENTS),
        )
    });

/// The family names that custom properties may give the `font-family` and `font` declarations of
/// a page through `var()`.
struct VarFamilies<'g> {
    /// Those of declarations for any element (lowercased, sorted).
    free: Vec<&'g str>,
    /// Those of declarations for certain elements, each with the class names and ids of the
    /// element (one selector's) that gets it.
    gated: Vec<(&'g str, &'g [String])>,
    /// Some `var()` reads a property that no style of the page declares and that a script names:
    /// the script may set it to any family.
    any: bool,
}

/// The rules of a page's styles that may set text in italics ([`PageStyles::slanting`]).
#[derive(Default)]
struct Slanting<'g> {
    /// One may apply to any element.
    any: bool,
    /// What those for certain elements ask of them, one selector's each ([`Gated::any_of`]'s).
    alts: Vec<&'g Vec<String>>,
}

/// One walk down the `var()`s of a declaration ([`PageStyles::var_names`]).
#[derive(Default)]
struct VarWalk<'g> {
    /// The family names found.
    names: Vec<&'g str>,
    /// Some `var()` reads a property that no style declares and that a script names, or a chain
    /// too deep to follow: any family may be meant.
    any: bool,
    /// The properties whose declarations were followed, per kind of element (`true`: a known
    /// one): each once, which also ends cycles.
    seen: rustc_hash::FxHashSet<(&'g str, bool)>,
}

/// How many `var()`s deep a chain of custom properties is followed ([`PageStyles::var_names`]).
const MAX_VAR_DEPTH: u32 = 64;

/// Where a `var()` is read: on an element with these class names and ids (a selector's), or on
/// one the page's styles say nothing particular about (`None`).
type Element<'g> = Option<&'g [String]>;

/// Whether the weight `w` sets may be that of text in `family` (lowercased) that a selector asking
/// for `alt` (as [`Gated::any_of`]) gives it (any text with `None`): its block sets no family with
/// it, or one naming `family` ([`PageWeight::family`]), or its rule may be for the very elements
/// `alt` asks for (some selector of it asks of the element all that `alt` does), where a rule
/// that wins gives them `family` with the weight (a theme's `h1 { font-family: Slab; font-weight:
/// 700 }`, a site's `.content h1 { font-family: Book }`).
fn sets_in(w: &PageWeight, given: Option<(&str, &[String])>) -> bool {
    let Some((family, alt)) = given else {
        return true;
    };
    w.family.is_empty()
        || w.family.iter().any(|n| n == family)
        || w.gate.as_ref().is_none_or(|alts| {
            alts.iter()
                .any(|theirs| own_words(alt).all(|x| theirs.contains(x)))
        })
}

/// Whether a name of [`Gated::any_of`] is the element word ([`element_word`]) of one of
/// `elements`.
fn names_element(word: &str, elements: &[&str]) -> bool {
    word.strip_prefix('<')
        .is_some_and(|name| elements.contains(&name))
}

/// Whether a name of [`Gated::any_of`] is a heading's element word (`<h1`).
fn is_heading(word: &str) -> bool {
    names_element(word, &HEADINGS)
}

/// Whether a selector's alternative of [`Gated::any_of`] is for headings (`h1`, `.post h2`).
fn for_heading(alt: &[String]) -> bool {
    own_words(alt).any(|w| is_heading(w))
}

/// Whether a selector's alternative of [`Gated::any_of`] is for an element that browsers set in
/// italics (`em`, `.post em`, `cite.title`).
fn for_italic_element(alt: &[String]) -> bool {
    own_words(alt).any(|w| names_element(w, &ITALIC_ELEMENTS))
}

/// The names a selector's alternative of [`Gated::any_of`] asks of the element itself (not its
/// [`context_name`](crate::parse::context_name)s).
fn own_words(alt: &[String]) -> impl Iterator<Item = &String> {
    alt.iter().filter(|w| gate_word(w).1)
}

/// Whether a rule for `gate`'s elements sets its declarations on an element of `element`'s:
/// some selector asks the element itself for some classes and ids, and only for ones it has
/// (what it asks of the elements around it is not known of the element).
fn sets_on(gate: Option<&[Vec<String>]>, element: Element) -> bool {
    match (gate, element) {
        (Some(alts), Some(el)) => alts.iter().any(|sel| {
            let mut own = own_words(sel).peekable();
            own.peek().is_some() && own.all(|w| el.contains(w))
        }),
        _ => false,
    }
}

/// Whether a page's styles may ask for a family.
enum FamilyUse<'g> {
    /// Some style names it; only for elements that ask for these weights, when known; and, when
    /// some of those elements are surely italic ([`PageStyles::surely_italic`]), the weights of
    /// the others, which alone may have upright text in it.
    Named(Option<Vec<u16>>, Option<Vec<u16>>),
    /// No style names it.
    Unnamed,
    /// Only declarations that later ones override name it ([`PageStyles::overridden_decls`]), in rules
    /// with these selectors.
    Overridden(Vec<&'g str>),
    /// Only rules for elements with these class names or ids name it, and the page has none.
    OnlyFor(Vec<&'g Gated>),
    /// Only these custom properties name it, and no declaration for the page's elements reads them
    /// (`true`), or none of their declarations that name it is in a rule that may apply to the
    /// page (`false`: `:root[lang=ja] { --font: "Noto Sans JP" }` on an English page).
    OnlyIn(Vec<&'g str>, bool),
}

impl<'g> PageStyles<'g> {
    fn of(page: &'g Node, entries: &[Entry<'g>]) -> PageStyles<'g> {
        if !entries.iter().any(|e| e.kind == RefKind::Font) {
            return PageStyles {
                uses: Vec::new(),
                words: Vec::new(),
                code_words: None,
                heading_words: None,
                scripts_from: 0,
                client_rendered: false,
                apart: [Some(&[]), Some(&[])],
                weights: OnceCell::new(),
                vars: OnceCell::new(),
                slanting: OnceCell::new(),
                faces: Vec::new(),
                last_bare: OnceCell::new(),
                overridden: OnceCell::new(),
                ranked: OnceCell::new(),
                cascade: Vec::new(),
                own: None,
                upright: Vec::new(),
                takes: BTreeMap::new(),
                fallbacks: OnceCell::new(),
                contexts: None,
                context_weights: OnceCell::new(),
                weight_words: OnceCell::new(),
                weights_by_words: Default::default(),
            };
        }
        let faces: Vec<(String, bool, (u16, u16))> = entries
            .iter()
            .filter(|e| e.kind == RefKind::Font)
            .filter_map(|e| {
                let family = e.attrs.font_family()?.to_ascii_lowercase();
                Some((family, e.attrs.is_slanted_face(), e.attrs.face_weights()))
            })
            .collect();
        let sheet_entries = || {
            entries
                .iter()
                .filter(|e| matches!(e.kind, RefKind::Stylesheet | RefKind::CssImport))
        };
        let uses: Vec<&FontUse> = std::iter::once(page)
            .chain(sheet_entries().filter_map(|e| e.node))
            .filter_map(|n| n.font_use.as_deref())
            .collect();
        // Stylesheets whose rules apply on some screens only: under a `media` condition, or
        // imported by one (a file is listed once, after the file that first names it).
        let mut conditional: Vec<&str> = Vec::new();
        let mut upright: Vec<&Upright> = page.font_use.iter().flat_map(|f| &f.upright).collect();
        for e in sheet_entries() {
            if !media_always_applies(e.attrs.media.as_deref()) || conditional.contains(&e.parent) {
                conditional.extend(e.file);
            } else if let Some(f) = e.node.and_then(|n| n.font_use.as_deref()) {
                upright.extend(&f.upright);
            }
        }
        // The stylesheets in cascade order: each after those it imports, in the order they are
        // named (entries are breadth-first: a page's links, then their imports).
        let sheets: Vec<&Entry<'g>> = sheet_entries().collect();
        let mut cascade = Vec::new();
        let mut visited = rustc_hash::FxHashSet::default();
        // Each stack entry: a file (the page, or the stylesheet of that entry) and where the
        // search for the next stylesheet it names goes on.
        let mut stack: Vec<(Option<&Entry<'g>>, &str, usize)> = vec![(None, page.rel.as_str(), 0)];
        while let Some((entry, parent, from)) = stack.pop() {
            let next = sheets[from..]
                .iter()
                .position(|e| e.parent == parent)
                .map(|i| from + i);
            match next {
                Some(i) => {
                    stack.push((entry, parent, i + 1));
                    if let Some(file) = sheets[i].file.filter(|f| visited.insert(*f)) {
                        stack.push((Some(sheets[i]), file, 0));
                    }
                }
                None => {
                    if let Some(f) = entry.and_then(|e| e.node?.font_use.as_deref()) {
                        cascade.push((f, !conditional.contains(&parent)));
                    }
                }
            }
        }
        // A stylesheet whose place is not known overrides nothing.
        for e in &sheets {
            if let Some(f) = e.node.and_then(|n| n.font_use.as_deref())
                && !e.file.is_some_and(|file| visited.contains(file))
            {
                cascade.push((f, false));
            }
        }
        // The scripts the page runs as it loads: a module that only `import()` loads renders
        // what it renders later, or what the page's text already holds (the route it is on).
        let lazy = entries.iter().any(|e| e.kind == RefKind::JsDynamicImport);
        let mut startup: rustc_hash::FxHashSet<&str> = Default::default();
        let scripts = entries
            .iter()
            .filter_map(|e| Some((e, e.node.filter(|n| n.kind == FileKind::Js)?)))
            .filter(|(e, n)| {
                if !lazy {
                    return true;
                }
                let runs = e.critical
                    || e.kind != RefKind::JsDynamicImport
                        && (e.parent == page.rel || startup.contains(e.parent));
                if runs {
                    startup.insert(&n.rel);
                }
                runs
            })
            .filter_map(|(_, n)| n.words.as_deref());
        let words = page
            .page
            .as_deref()
            .map(|p| &p.words)
            .into_iter()
            .chain(scripts)
            .collect();
        let takes = face_takes(&uses, entries);
        PageStyles {
            uses,
            words,
            code_words: page.page.as_deref().map(|p| &p.code_words),
            heading_words: page.page.as_deref().map(|p| &p.heading_words),
            scripts_from: usize::from(page.page.is_some()),
            client_rendered: scripts_render(page),
            apart: page.page.as_deref().map_or([Some(&[]), Some(&[])], |p| {
                [
                    (&p.code_text, &p.code_contexts),
                    (&p.control_text, &p.control_contexts),
                ]
                .map(|(text, contexts)| {
                    // Text without contexts had them given up.
                    (text.is_none() || !contexts.is_empty()).then_some(&contexts[..])
                })
            }),
            weights: OnceCell::new(),
            vars: OnceCell::new(),
            slanting: OnceCell::new(),
            faces,
            last_bare: OnceCell::new(),
            overridden: OnceCell::new(),
            ranked: OnceCell::new(),
            cascade,
            own: page.font_use.as_deref(),
            upright,
            takes,
            fallbacks: OnceCell::new(),
            // A page with text keeps at least one context, unless it gave them up.
            contexts: page
                .page
                .as_deref()
                .filter(|p| {
                    !p.contexts.is_empty() || p.text.as_ref().is_none_or(|t| t.0.is_empty())
                })
                .map(|p| &p.contexts[..]),
            context_weights: OnceCell::new(),
            weight_words: OnceCell::new(),
            weights_by_words: Default::default(),
        }
    }

    /// Whether some style may ask for `family` ([`FontUse::may_use`]): a rule for any element
    /// names it, or a rule for elements with class names or ids that the page has, or that a
    /// script it runs may give (a word of the script's strings); or such a rule reads it from a
    /// custom property ([`PageStyles::var_families`]).
    fn may_use(&self, family: &str) -> FamilyUse<'g> {
        let family = family.to_ascii_lowercase();
        let overridden = self.overridden_decls().families.get(family.as_str());
        if self.uses.iter().any(|f| {
            if overridden.is_some() {
                f.computed
            } else {
                f.may_use_lowercase(&family)
            }
        }) {
            return FamilyUse::Named(None, None);
        }
        let gates: Vec<&'g Gated> = self
            .uses
            .iter()
            .filter(|_| overridden.is_none())
            .filter_map(|f| f.gate_of(&family))
            .collect();
        let mut present: Vec<&[String]> = gates
            .iter()
            .flat_map(|g| &g.any_of)
            .filter(|alt| self.applies(Some(std::slice::from_ref(*alt))))
            .map(Vec::as_slice)
            .filter(|alt| !self.heading_without_text(&family, alt) && !self.outranked(&family, alt))
            .collect();
        let vars = self.vars.get_or_init(|| self.var_families());
        if vars.any || vars.free.binary_search(&family.as_str()).is_ok() {
            return FamilyUse::Named(None, None);
        }
        present.extend(vars.gated.iter().filter(|g| g.0 == family).map(|g| g.1));
        if !present.is_empty() {
            let weights_of = |present: &[&[String]]| {
                self.weights_of(&family, present)
                    .and_then(|own| self.weights_around(&family, present, own))
            };
            let weights = weights_of(&present);
            let upright: Vec<&[String]> = present
                .iter()
                .copied()
                .filter(|alt| !self.surely_italic(&family, alt))
                .collect();
            let upright = if weights.is_none() || upright.len() == present.len() {
                None
            } else if upright.is_empty() {
                Some(Vec::new())
            } else {
                weights_of(&upright)
            };
            return FamilyUse::Named(weights, upright);
        }
        if !gates.is_empty() {
            return FamilyUse::OnlyFor(gates);
        }
        let naming = || {
            self.uses
                .iter()
                .flat_map(|f| &f.props)
                .filter(|d| d.value.names_any(&family) && !self.is_overridden(d))
        };
        let mut props: Vec<&'g str> = naming().map(|d| d.prop.as_str()).collect();
        props.sort_unstable();
        props.dedup();
        if props.is_empty() {
            overridden.map_or(FamilyUse::Unnamed, |selectors| {
                FamilyUse::Overridden(selectors.clone())
            })
        } else {
            let applies = naming().any(|d| self.applies(d.gate.as_deref()));
            FamilyUse::OnlyIn(props, applies)
        }
    }

    /// The page's contexts and those of its code and form controls, when all are known and its
    /// scripts do not render it: what the checks that a family's rule sets no text of the page
    /// read.
    fn known_text(&self) -> Option<(&'g [TextContext], &'g [ApartContext], &'g [ApartContext])> {
        match (self.client_rendered, self.contexts, self.apart) {
            (false, Some(contexts), [Some(code), Some(controls)]) => {
                Some((contexts, code, controls))
            }
            _ => None,
        }
    }

    /// Whether `alt` (a selector's, as [`Gated::any_of`], that gives `family`, lowercased, to the
    /// element) asks for headings of which the page has none with text: no text of the page is
    /// in such a heading (docdash's `.usertext h1` on a page whose `.usertext` holds only
    /// paragraphs). A heading without text sets nothing in the family, but content generated
    /// before or after it may, so such a rule counts; so does any on a page whose scripts render
    /// it or whose contexts are not known.
    fn heading_without_text(&self, family: &str, alt: &[String]) -> bool {
        if !for_heading(alt) || self.for_generated(family, alt) {
            return false;
        }
        let Some((contexts, code, controls)) = self.known_text() else {
            return false;
        };
        let apart = code.iter().chain(controls).map(|c| &c.words);
        !contexts
            .iter()
            .map(|c| &c.words)
            .chain(apart)
            .any(|words| self.around(words, alt))
    }

    /// Whether `alt` (a selector's, as [`Gated::any_of`], that gives `family`, lowercased, to the
    /// element) gives it to no text of the page, as a rule that wins over it sets another family
    /// for every element it may match there: MkDocs' Read the Docs theme has `h1, …, h6 {
    /// font-family: Roboto Slab }`, and a site's `.rst-content h1 { font-family: "Source Serif
    /// 4" }` for headings that are all in `.rst-content`. Such a rule asks only for class names,
    /// ids and named elements joined by descendant combinators, of which the element `alt` asks
    /// for has those it asks of the element, and elements around each piece of the page's text
    /// in such an element have its other names; it is outside at-rules, in a stylesheet that
    /// applies on every screen, sets families only, none of them `family`, and is
    /// `!important`, more specific, or later ([`Rank::beats`]). Never on a page whose scripts
    /// render it or whose contexts are not known, nor for a selector of unknown specificity or
    /// for generated content.
    fn outranked(&self, family: &str, alt: &[String]) -> bool {
        let Some((contexts, _, _)) = self.known_text() else {
            return false;
        };
        let ranked = self.ranked_decls();
        // Every rule that gives the family to such an element, by the selector that does.
        let mut rank = Rank::default();
        let mut given = false;
        for r in ranked.iter().filter(|r| r.names(family)) {
            if r.decl.selectors.is_empty() {
                return false;
            }
            for sel in r.decl.selectors.iter().filter(|sel| sel.any_of == alt) {
                let (Some(specificity), false) = (sel.specificity, sel.generated) else {
                    return false;
                };
                rank.add(r, specificity);
                given = true;
            }
        }
        if !given {
            return false;
        }
        let own: Vec<&String> = own_words(alt).collect();
        // The selectors that win over all of those wherever they match, by the names each asks
        // of the elements around.
        let Some(winners) = Covering::of(
            ranked,
            family,
            |r, sel| own_words(&sel.any_of).all(|x| own.contains(&x)) && rank.beats(r, sel),
            |x| x.strip_prefix("  "),
        ) else {
            return false;
        };
        let wins_in = |words: &Words| winners.covers(words);
        let apart = self.apart_contexts(family).unwrap_or_default();
        let mut around = contexts
            .iter()
            .map(|c| &c.words)
            .chain(apart.iter().map(|(c, _)| &c.words))
            .filter(|words| self.around(words, alt))
            .peekable();
        around.peek().is_some() && around.all(wins_in)
    }

    /// Whether all the page's text that browsers set in bold (in headings, `<b>`, `<strong>`,
    /// `<th>`, `<optgroup>`) with a character in `range` (sorted, disjoint; empty for every
    /// character) is in elements that rules give another family than `family` (lowercased), which
    /// only rules for the root or `<body>` name (its text inherits it): a Farm site's `body {
    /// font-family: "Work Sans" }` and `article { font-family: "Source Serif 4" }`, its headings
    /// all in the article. Such a rule surely matches an element around the text
    /// ([`Covering`]), and no rule that names the family for certain elements may match one
    /// there. Never on a page whose scripts render it or whose contexts are not known, nor where
    /// a custom property may give the family.
    fn bold_text_elsewhere(&self, family: &str, range: &[CodeRange]) -> bool {
        let Some((contexts, code, controls)) = self.known_text() else {
            return false;
        };
        let vars = self.vars.get_or_init(|| self.var_families());
        if vars.any
            || vars.free.binary_search(&family).is_ok()
            || vars.gated.iter().any(|g| g.0 == family)
        {
            return false;
        }
        let ranked = self.ranked_decls();
        let mut gated: Vec<&[String]> = Vec::new();
        let mut named = false;
        for r in ranked.iter().filter(|r| r.names(family)) {
            if r.decl.selectors.is_empty() {
                return false;
            }
            for sel in &r.decl.selectors {
                if !sel.root && sel.any_of.is_empty() {
                    return false;
                }
                if !sel.root {
                    gated.push(&sel.any_of);
                }
                named = true;
            }
        }
        let Some(covering) = named
            .then(|| {
                Covering::of(
                    ranked,
                    family,
                    |_, sel| !sel.root,
                    |x| Some(gate_around(x).0),
                )
            })
            .flatten()
        else {
            return false;
        };
        let (bold, bolder, _) = &*ELEMENT_WORDS;
        let bold_words: Vec<u32> = bold.iter().chain(bolder).map(|w| Words::hash(w)).collect();
        let is_bold = |words: &Words| bold_words.iter().any(|&h| words.contains_hash(h));
        // Code and controls in bold elements keep the family: their contexts hold no characters.
        if code.iter().chain(controls).any(|c| is_bold(&c.words)) {
            return false;
        }
        let mut in_bold = contexts_in(contexts, range)
            .map(|(_, c)| &c.words)
            .filter(|words| is_bold(words))
            .peekable();
        in_bold.peek().is_some()
            && in_bold.all(|words| {
                covering.covers(words) && !gated.iter().any(|alt| self.around(words, alt))
            })
    }

    /// Whether all the page's text in elements that `alt` (a selector's, as [`Gated::any_of`], that
    /// gives `family`, lowercased) asks for, and in those inside them, is surely italic: a gulp
    /// site's `blockquote, h1, h2 { font-family: Merriweather }` with `blockquote { font-style:
    /// italic }` sets no upright text in the family at 400. Each piece of it has around it an
    /// element that a rule slants (`italic` or `oblique`, outside at-rules, in a stylesheet for
    /// every screen, a selector that surely matches: [`Covering`]), and no rule that may set text
    /// upright (`normal`, `inherit`, a computed value, a `font` shorthand without a style) may
    /// match an element around it, but for the root's and `<body>`'s, which are around every
    /// element. Never on a page whose scripts render it or whose contexts are not known.
    fn surely_italic(&self, family: &str, alt: &[String]) -> bool {
        let Some((contexts, _, _)) = self.known_text() else {
            return false;
        };
        let decls = || {
            self.in_cascade()
                .flat_map(|(f, always, _)| f.styles.iter().map(move |d| (d, always)))
        };
        // Rules that may set text upright, by what they ask of elements around it.
        let mut upright: Vec<&[String]> = Vec::new();
        for (d, _) in decls().filter(|(d, _)| !d.italic) {
            if d.selectors.is_empty() {
                return false;
            }
            for sel in d.selectors.iter().filter(|sel| !sel.root) {
                if sel.any_of.is_empty() || upright.len() == MAX_UPRIGHT {
                    return false;
                }
                upright.push(&sel.any_of);
            }
        }
        let slanting = decls()
            .filter(|(d, always)| d.italic && *always && d.overrides)
            .flat_map(|(d, _)| d.selectors.iter().filter(|sel| sel.exact && !sel.root))
            .map(|sel| &sel.any_of[..]);
        let Some(slanting) = Covering::from_selectors(slanting, |x| Some(gate_around(x).0)) else {
            return false;
        };
        // A code block's words are those of all its elements at once (a highlighter's italic
        // comments among them), so its text is never surely italic.
        let apart = self.apart_contexts(family).unwrap_or_default();
        if apart.iter().any(|(c, _)| self.around(&c.words, alt)) {
            return false;
        }
        let mut around = contexts
            .iter()
            .map(|c| &c.words)
            .filter(|words| self.around(words, alt))
            .peekable();
        around.peek().is_some()
            && around.all(|words| {
                slanting.covers(words) && !upright.iter().any(|u| self.around(words, u))
            })
    }

    /// The page's stylesheets in cascade order, each with whether it applies on every screen,
    /// in group 0, then its own styles in group 1 ([`Ranked::group`]).
    fn in_cascade(&self) -> impl Iterator<Item = (&'g FontUse, bool, u8)> + '_ {
        let sheets = self.cascade.iter().map(|&(f, always)| (f, always, 0));
        sheets.chain(self.own.map(|f| (f, true, 1)))
    }

    /// The page's `font-family` and `font` declarations in cascade order ([`Ranked`]).
    fn ranked_decls(&self) -> &[Ranked<'g>] {
        self.ranked.get_or_init(|| {
            let mut places = [0usize; 2];
            self.in_cascade()
                .flat_map(|(f, always, group)| f.decls.iter().map(move |d| (d, always, group)))
                .map(|(decl, always, group)| {
                    let place = &mut places[usize::from(group)];
                    *place += 1;
                    Ranked {
                        decl,
                        group,
                        place: *place,
                        always,
                    }
                })
                .collect()
        })
    }

    /// Whether `alt` (a selector's, as [`Gated::any_of`]) is one of those that give `family`
    /// (lowercased) only to content generated before or after the element
    /// ([`FontUse::generated_of`]): an icon there, not the element's text.
    fn for_generated(&self, family: &str, alt: &[String]) -> bool {
        self.uses
            .iter()
            .filter_map(|f| f.generated_of(family))
            .any(|g| g.any_of.iter().any(|a| a == alt))
    }

    /// The weights that rules for elements with these class names and ids (`present`, each one
    /// selector's) give them, elements that rules give `family` (lowercased): the weights of the
    /// rules whose selectors ask for some of those classes and ids and nothing else (`.fas {
    /// font-weight: 900 }` for `.fas`); for one that no such rule asks for, the weights it
    /// inherits ([`PageStyles::inherited_weights`]). `None` when those are not known or a weight
    /// is relative or computed.
    fn weights_of(&self, family: &str, present: &[&[String]]) -> Option<Vec<u16>> {
        let mut weights = Vec::new();
        for alt in present {
            if let Some(heading) = own_words(alt).find(|w| is_heading(w)) {
                weights.extend(self.heading_weights(family, alt, heading)?);
                continue;
            }
            let mut found = false;
            for w in self.uses.iter().flat_map(|f| &f.weights) {
                if sets_on(Some(&w.any_of[..]), Some(alt)) {
                    found = true;
                    match &w.weight {
                        Weight::Is(n) => weights.push(*n),
                        Weight::Var { props, fallback } => {
                            let (held, inherits) = self.var_weights(props, *fallback, alt)?;
                            if inherits {
                                return None;
                            }
                            weights.extend(held);
                        }
                        Weight::Shorthand { props, weight } => {
                            weights.push(self.shorthand_weight(props, *weight)?);
                        }
                        Weight::Bolder | Weight::Lighter | Weight::Inherit | Weight::Unknown => {
                            return None;
                        }
                    }
                }
            }
            if !found {
                weights.extend(self.inherited_weights(family, alt)?);
            }
        }
        Some(weights)
    }

    /// The weights of the text in elements that `alt` (a selector's, as [`Gated::any_of`]) asks
    /// for, and in those inside them, when no weight rule is for such an element, which then
    /// inherits its weight: the weights of the page's contexts around it (Nextra's `kbd, code
    /// { font-family: var(--font-fira-code) }` sets its search box's `<kbd>` in the weight of the
    /// text around it, not in the 600 of a heading elsewhere). `None` when they are not known:
    /// the page's contexts are not (or its scripts render it), no context is around such an
    /// element (a script may make it), or text of code or form controls, which the parser keeps
    /// apart, may be set in `family` (lowercased) and their contexts are not known.
    fn inherited_weights(&self, family: &str, alt: &[String]) -> Option<Vec<u16>> {
        if self.client_rendered {
            return None;
        }
        let mut weights = Vec::new();
        let mut around = false;
        for (i, c) in contexts_in(self.contexts?, &[]) {
            if self.around(&c.words, alt) {
                around = true;
                weights.extend_from_slice(self.context_weights(i)?);
            }
        }
        for (c, control) in self.apart_contexts(family)? {
            if self.around(&c.words, alt) {
                around = true;
                weights.extend(self.words_weights(&c.words)?);
                // The control's own weight, which an element in it inherits.
                if control {
                    weights.push(400);
                }
            }
        }
        around.then_some(weights)
    }

    /// The words around the page's text of code and of form controls that its styles may set
    /// in `family` (lowercased) ([`PageStyles::reaches_code`],
    /// [`PageStyles::reaches_controls`]), each with whether it is a control's, whose weight
    /// browsers set to normal unless a rule gives it another. `None` when some of those are not
    /// known.
    fn apart_contexts(&self, family: &str) -> Option<Vec<(&'g ApartContext, bool)>> {
        let [code, controls] = self.apart;
        let mut found = Vec::new();
        if self.reaches_code(family) {
            found.extend(code?.iter().map(|c| (c, false)));
        }
        if self.reaches_controls(family) {
            found.extend(controls?.iter().map(|c| (c, true)));
        }
        Some(found)
    }

    /// The weights of the text of headings (`heading`, an element word) with the class names and
    /// ids of `alt`: those the rules for such headings set (the last for the bare element
    /// overriding earlier ones), and bold, as browsers set headings, unless a rule for the bare
    /// element sets another; the weights of the rules for the class names, ids and elements that
    /// the page's headings and what is inside them have, and of the rules for any element but the
    /// root and `<body>`, whose weight a heading does not inherit; and what `bolder` and
    /// `lighter` make of them.
    /// Rules that set another family with their weight (`font: 400 1em FontAwesome`) set no
    /// text in `family` (lowercased) so ([`sets_in`]). `None` when one is relative to the
    /// heading's parent, or computed.
    fn heading_weights(&self, family: &str, alt: &[String], heading: &str) -> Option<Vec<u16>> {
        let in_headings = |word: &str| self.heading_words.is_some_and(|w| w.contains(word));
        let last = self.last_bare();
        let bold = if last.contains_key(heading) {
            Vec::new()
        } else {
            vec![700]
        };
        let bolder = BOLDER_ELEMENTS.iter().any(|e| {
            let word = element_word(e);
            in_headings(&word) && !last.contains_key(word.as_str())
        });
        let mut weights = WeightSet::new(bold, bolder);
        for (i, (w, _)) in self.weight_rules().enumerate() {
            if !sets_in(w, Some((family, alt))) {
                continue;
            }
            let Some(alts) = &w.gate else {
                // A rule for any element may apply inside the heading.
                if !w.root {
                    weights.add(self, &w.weight)?;
                }
                continue;
            };
            let alts = || alts.iter().filter(|sel| !self.overridden(i, w, sel));
            // A rule for the heading itself, or for what its headings (and what is in them)
            // have.
            let on_heading = alts().any(|sel| {
                let mut mine = own_words(sel).peekable();
                mine.peek().is_some()
                    && own_words(sel).any(|x| x == heading)
                    && mine.all(|x| alt.contains(x) || in_headings(x))
            });
            let inside = alts().any(|sel| {
                let mut mine = own_words(sel).peekable();
                mine.peek().is_some()
                    && !own_words(sel).any(|x| is_heading(x))
                    && mine.all(|x| in_headings(x))
                    && sel.iter().all(|x| self.has_word(gate_word(x).0))
            });
            if on_heading && !matches!(w.weight, Weight::Is(_) | Weight::Var { .. }) {
                return None;
            }
            if on_heading || inside {
                weights.add(self, &w.weight)?;
            }
        }
        Some(weights.finish())
    }

    /// Whether a selector (`alt`) of the rule of the `i`th of [`PageStyles::weight_rules`] (`w`)
    /// is a bare element that a later rule for it overrides ([`PageWeight::bare`]: Bootstrap's
    /// `h1` in `.h1, h1 { font-weight: 500 }`, then a site's `h1 { font-weight: 700 }`; the
    /// page's own styles override none, as where they stand among its stylesheets is not known).
    fn overridden(&self, i: usize, w: &PageWeight, alt: &[String]) -> bool {
        matches!(alt, [e] if w.bare.contains(e)
            && self.last_bare().get(e.as_str()).is_some_and(|l| *l > i))
    }

    /// The page's `font-weight` declarations in cascade order, each with whether its stylesheet
    /// applies on every screen.
    fn weight_rules(&self) -> impl Iterator<Item = (&'g PageWeight, bool)> + '_ {
        self.cascade
            .iter()
            .copied()
            .chain(self.own.map(|f| (f, false)))
            .flat_map(|(f, always)| f.page_weights.iter().map(move |w| (w, always)))
    }

    /// For each element that a rule for the bare element gives a weight, in a stylesheet that
    /// applies on every screen, where the last such rule is in [`PageStyles::weight_rules`]:
    /// browsers' own weight for the element (bold for a heading) never applies then.
    fn last_bare(&self) -> &rustc_hash::FxHashMap<&'g str, usize> {
        self.last_bare.get_or_init(|| {
            let mut last = rustc_hash::FxHashMap::default();
            for (i, (w, always)) in self.weight_rules().enumerate() {
                if always {
                    for e in &w.bare {
                        last.insert(e.as_str(), i);
                    }
                }
            }
            last
        })
    }

    /// The families (lowercased) that only overridden declarations name, each with the selectors
    /// of those declarations' rules: a later declaration of a rule with the same selectors, in
    /// a stylesheet that applies on every screen, sets another family for the same elements
    /// (`body { font-family: Lato }` in a theme, `body { font-family: Inter }` in the site's
    /// stylesheet after it), unless only the earlier one is `!important` ([`Cascaded`]). The
    /// page's own styles are a cascade of their own, as where its `<style>` elements stand among
    /// its stylesheets is not known (nothing outside them overrides them, nor do they override
    /// anything outside). Also the custom property declarations that later ones override so
    /// (`:root { --font: Lato }` under `:root { --font: Inter }`), which give `var()`s nothing.
    fn overridden_decls(&self) -> &Overridden<'g> {
        self.overridden.get_or_init(|| {
            let mut live = rustc_hash::FxHashSet::default();
            let mut lost: Vec<(&'g str, &'g str)> = Vec::new();
            let mut props = rustc_hash::FxHashSet::default();
            let own = self.own.iter().map(|&f| (f, true)).collect();
            for uses in [self.cascade.clone(), own] {
                for (d, over) in with_overridden(&uses, |f| &f.decls, |d| ("", &d.at)) {
                    for name in &d.names {
                        if over {
                            lost.push((name, &d.at.selectors));
                        } else {
                            live.insert(name.as_str());
                        }
                    }
                }
                let defs = with_overridden(&uses, |f| &f.props, |d| (&d.prop, &d.at));
                props.extend(
                    defs.into_iter()
                        .filter(|d| d.1)
                        .map(|d| d.0 as *const PropDef),
                );
            }
            let mut families: rustc_hash::FxHashMap<&'g str, Vec<&'g str>> = Default::default();
            for (name, selectors) in lost.into_iter().filter(|(n, _)| !live.contains(n)) {
                families.entry(name).or_default().push(selectors);
            }
            for selectors in families.values_mut() {
                selectors.sort_unstable();
                selectors.dedup();
            }
            Overridden { families, props }
        })
    }

    /// Whether a later declaration overrides custom property declaration `d`
    /// ([`PageStyles::overridden_decls`]).
    fn is_overridden(&self, d: &PropDef) -> bool {
        self.overridden_decls()
            .props
            .contains(&(d as *const PropDef))
    }

    /// Whether a face of `family` (lowercased) serving `range` of weights is the one a browser
    /// takes for one of `asked` among the page's faces of the family and slant ([`takes_face`]).
    fn serves_weight(&self, family: &str, slanted: bool, range: (u16, u16), asked: &[u16]) -> bool {
        let faces: Vec<(u16, u16)> = self
            .faces
            .iter()
            .filter(|f| f.0 == family && f.1 == slanted)
            .map(|f| f.2)
            .collect();
        asked.iter().any(|&w| takes_face(&faces, range, w))
    }

    /// The page's fallback families, worked out on first use. A browser takes each character
    /// from the first family of the list whose faces' `unicode-range` holds it, so a later family's
    /// face sets only the characters that the earlier families' faces leave: `font-family: Inter,
    /// "Noto Sans SC"` sets Latin text in Inter's Latin subset, never in Noto Sans SC's. A family
    /// that some list names first (or after only `var()`s) is no fallback. The lists are those of
    /// the page's `font-family` and `font` declarations and of the custom properties' declarations
    /// that may apply ([`PageStyles::declarations`]: `:root[lang=ar]`'s on an Arabic page, not
    /// `:root`'s, which it overrides).
    fn fallbacks(&self) -> &rustc_hash::FxHashMap<String, Fallback> {
        self.fallbacks.get_or_init(|| {
            let mut out = rustc_hash::FxHashMap::default();
            if self.takes.is_empty() {
                return out;
            }
            // The properties whose values name a family with faces.
            let mut props: Vec<&str> = self
                .uses
                .iter()
                .flat_map(|u| &u.props)
                .filter(|d| d.places.iter().any(|p| self.takes.contains_key(&p.name)))
                .map(|d| d.prop.as_str())
                .collect();
            props.sort_unstable();
            props.dedup();
            let declared: Vec<&Place> = props
                .iter()
                .flat_map(|p| self.declarations(p, None).1)
                .flat_map(|d| &d.places)
                .collect();
            for family in self.takes.keys() {
                let places = self
                    .uses
                    .iter()
                    .flat_map(|u| u.places_of(family))
                    .chain(declared.iter().copied().filter(|p| &p.name == family));
                let mut taken: Option<Vec<CodeRange>> = None;
                let mut before: Vec<String> = Vec::new();
                for place in places {
                    let held: Vec<&String> = place
                        .before
                        .iter()
                        .filter(|b| {
                            *b != family && self.takes.get(*b).is_some_and(|t| !t.is_empty())
                        })
                        .collect();
                    let in_list =
                        merge_ranges(held.iter().flat_map(|b| self.takes[*b].clone()).collect());
                    let t = match taken {
                        None => in_list,
                        Some(t) => intersect_ranges(&t, &in_list),
                    };
                    if t.is_empty() {
                        taken = None;
                        break;
                    }
                    taken = Some(t);
                    before.extend(held.into_iter().cloned());
                }
                if let Some(taken) = taken {
                    before.sort_unstable();
                    before.dedup();
                    out.insert(family.clone(), Fallback { before, taken });
                }
            }
            out
        })
    }

    /// The characters a face may set: its `unicode-range` (empty for every character), less what
    /// the families before its family take ([`PageStyles::fallbacks`]); `None` when they take all of it.
    fn face_range<'e>(&self, e: &'e Entry) -> Option<Cow<'e, [CodeRange]>> {
        let own = e.attrs.unicode_range();
        let Some(fallback) = e
            .attrs
            .font_family()
            .and_then(|f| self.fallbacks().get(&f.to_ascii_lowercase()))
        else {
            return Some(Cow::Borrowed(own));
        };
        let whole = [(0, 0x10FFFF)];
        let left = subtract_ranges(
            if own.is_empty() { &whole } else { own },
            fallback.taken.clone(),
        );
        (!left.is_empty()).then_some(Cow::Owned(left))
    }

    /// Whether a rule for `gate`'s elements may apply to an element of the page: some selector's
    /// class names and ids are all among the page's words.
    fn applies(&self, gate: Option<&[Vec<String>]>) -> bool {
        gate.is_none_or(|alts| {
            alts.iter()
                .any(|alt| alt.iter().all(|w| self.has_word(gate_word(w).0)))
        })
    }

    /// The page's own words ([`PageStyles::words`]), and those of the scripts it runs.
    fn own_and_script_words(&self) -> (&[&'g Words], &[&'g Words]) {
        self.words.split_at(self.scripts_from.min(self.words.len()))
    }

    /// Whether the page's class names and ids, or a script it runs, may have `word`.
    fn has_word(&self, word: &str) -> bool {
        let hash = Words::hash(word);
        self.has_hash_outside_code(word, hash)
            || self.code_words.is_some_and(|w| w.contains_hash(hash))
    }

    /// Whether the page has `word` on an element outside its `<pre>` and `<code>` elements, or a
    /// script it runs may have it (a script may give any element a class). A language
    /// ([`lang_word`](crate::parse::lang_word)) is the page's `<html lang>`, and an element's
    /// ([`element_lang_word`](crate::parse::element_lang_word)) its own or one of its elements'; a
    /// page that its scripts render may be given any language they name (an i18n library sets it
    /// as it starts).
    fn has_word_outside_code(&self, word: &str) -> bool {
        self.has_hash_outside_code(word, Words::hash(word))
    }

    /// [`PageStyles::has_word_outside_code`], given the word's [`Words::hash`].
    fn has_hash_outside_code(&self, word: &str, hash: u32) -> bool {
        if let Some(lang) = word
            .strip_prefix(LANG_MARK)
            .or_else(|| word.strip_prefix(ELEMENT_LANG_MARK))
        {
            let (own, scripts) = self.own_and_script_words();
            return own.iter().any(|w| w.contains_hash(hash))
                || self.client_rendered && scripts.iter().any(|w| w.contains(lang));
        }
        self.words.iter().any(|w| w.contains_hash(hash))
    }

    /// Whether a rule for `gate`'s elements may apply to an element of the page outside its code
    /// elements: as [`PageStyles::applies`], with the names asked of the element itself found
    /// outside `<pre>` and `<code>` (a selector that asks nothing of it may match anywhere).
    fn applies_outside_code(&self, gate: &[Vec<String>]) -> bool {
        gate.iter().any(|alt| {
            let mut own = own_words(alt).peekable();
            let outside = own.peek().is_none() || own.all(|w| self.has_word_outside_code(w));
            outside && alt.iter().all(|w| self.has_word(gate_word(w).0))
        })
    }

    /// Whether the page's styles may set `family` (lowercased) on its `<pre>` or `<code>`
    /// elements, or on elements inside them ([`FontUse::code_families`]): a rule that may match
    /// one names it, or a value that may mean any family, and the page's code elements (or a
    /// script) have the class names and ids the rule asks for. Browsers set code in `monospace`
    /// otherwise.
    fn reaches_code(&self, family: &str) -> bool {
        let has = |word: &String| {
            self.code_words.is_some_and(|w| w.contains(word))
                || self
                    .own_and_script_words()
                    .1
                    .iter()
                    .any(|w| w.contains(word))
        };
        self.uses
            .iter()
            .flat_map(|f| &f.code_families)
            .filter(|g| g.name.is_empty() || g.name == family)
            .any(|g| g.any_of.iter().any(|alt| alt.iter().all(has)))
    }

    /// What the selectors that give elements `family` (lowercased) ask of them (each one
    /// selector's [`Gated::any_of`] entry), when only rules for certain elements give it: rules
    /// that name it, or that read a custom property holding it (`:lang(ja) { font-family:
    /// var(--font-ja) }`); no rule for any element, no such read, no value that may mean any
    /// family. `None` otherwise.
    fn only_gated(&self, family: &str) -> Option<Vec<&'g [String]>> {
        let mut alts: Vec<&'g [String]> = self
            .uses
            .iter()
            .filter_map(|f| f.gate_of(family))
            .flat_map(|g| &g.any_of)
            .map(Vec::as_slice)
            .collect();
        if self.uses.iter().any(|f| f.may_use_lowercase(family)) {
            return None;
        }
        let vars = self.vars.get_or_init(|| self.var_families());
        if vars.any || vars.free.binary_search(&family).is_ok() {
            return None;
        }
        alts.extend(vars.gated.iter().filter(|g| g.0 == family).map(|g| g.1));
        (!alts.is_empty()).then_some(alts)
    }

    /// Whether only rules for `<pre>` and `<code>` elements (`code, pre { font-family: "JetBrains
    /// Mono" }`, `.highlight pre`) give `family` (lowercased): then the text set in it is theirs
    /// ([`PageFacts::code_text`]), never the rest of the page's.
    fn only_code(&self, family: &str) -> bool {
        let code = [element_word("pre"), element_word("code")];
        self.only_gated(family).is_some_and(|alts| {
            alts.iter()
                .all(|alt| own_words(alt).any(|w| code.contains(w)))
        })
    }

    /// Whether the page's styles may set `family` (lowercased) on its form controls or on
    /// elements inside them ([`FontUse::control_families`]). Browsers give them a font of their
    /// own otherwise.
    fn reaches_controls(&self, family: &str) -> bool {
        self.uses.iter().any(|f| {
            f.control_families
                .iter()
                .any(|n| n.is_empty() || n == family)
        })
    }

    /// Whether the page's styles give `<pre>` and `<code>` elements a family of their own that is
    /// not `family` (lowercased), by rules for them that name one, so that text inside them is
    /// never in `family`.
    fn code_not_in(&self, family: &str) -> bool {
        let for_element = |g: &Gated, element: &str| {
            g.any_of.iter().any(|alt| {
                let mut own = own_words(alt);
                own.next().is_some_and(|w| w == element) && own.next().is_none()
            })
        };
        let gated = || self.uses.iter().flat_map(|f| &f.gated);
        let (pre, code) = (element_word("pre"), element_word("code"));
        [&pre, &code]
            .iter()
            .all(|el| gated().any(|g| for_element(g, el)))
            && !gated().any(|g| g.name == family && (for_element(g, &pre) || for_element(g, &code)))
    }

    /// The weights `font-weight: var(--prop, fallback)` may give an element with the classes and
    /// ids `element`: what the declarations of `--prop` for it hold, when rules for its classes
    /// set the property; else what any declaration of the page that may apply holds (an ancestor
    /// may set it), and the fallback; a fallback `var()` (`props` after the first) the same way.
    /// With them, whether a declaration is empty ([`PropDef::empty`]): the element may then
    /// keep its parent's weight. `None` when one is not a weight, or there is none.
    fn var_weights(
        &self,
        props: &[String],
        fallback: Option<u16>,
        element: &[String],
    ) -> Option<(Vec<u16>, bool)> {
        self.var_weights_at(props, fallback, element, &mut Default::default())
    }

    /// The weight a `font` shorthand that reads `props` sets ([`Weight::Shorthand`]): the one it
    /// says, unless a property it reads may hold another.
    fn shorthand_weight(&self, props: &[String], weight: u16) -> Option<u16> {
        (!self.may_hold(props, &mut Default::default(), &|d| d.weighs)).then_some(weight)
    }

    /// Whether a declaration of one of `props` that may apply to the page, or of a property such
    /// a declaration reads, may hold what `holds` looks for (a weight, [`PropDef::weighs`], or
    /// italics, [`PropDef::slants`]), which a `font` shorthand that reads it would then set
    /// ([`Weight::Shorthand`], [`FontUse::var_slants`]); each property looked at once (`seen`),
    /// which also ends cycles.
    fn may_hold(
        &self,
        props: &[String],
        seen: &mut rustc_hash::FxHashSet<String>,
        holds: &dyn Fn(&PropDef) -> bool,
    ) -> bool {
        props.iter().any(|prop| {
            seen.insert(prop.clone())
                && self.declarations(prop, None).1.iter().any(|d| {
                    holds(d)
                        || !d.value.vars.is_empty()
                            && (seen.len() >= MAX_VAR_DEPTH as usize
                                || self.may_hold(&d.value.props_read(), seen, holds))
                })
        })
    }

    /// [`PageStyles::var_weights`], down chains of declarations that read others
    /// (`--ifm-heading-font-weight: var(--ifm-font-weight-bold)`), each property read followed
    /// once (`seen`), which also ends cycles.
    fn var_weights_at(
        &self,
        props: &[String],
        fallback: Option<u16>,
        element: &[String],
        seen: &mut rustc_hash::FxHashSet<String>,
    ) -> Option<(Vec<u16>, bool)> {
        let mut weights = Vec::new();
        let mut inherits = false;
        for prop in props {
            let (own, all) = self.declarations(prop, Some(element));
            // Set on the element itself: its fallbacks are not read.
            let set = !own.is_empty();
            for d in if set { own } else { all } {
                if d.empty {
                    inherits = true;
                } else if let Some(w) = d.weight {
                    weights.push(w);
                } else {
                    // A value that only reads another property holds what that one holds.
                    let [
                        VarRef {
                            prop: read,
                            fallback: None,
                        },
                    ] = d.value.vars.as_slice()
                    else {
                        return None;
                    };
                    if !d.value.names.is_empty() || seen.len() >= MAX_VAR_DEPTH as usize {
                        return None;
                    }
                    if !seen.insert(read.clone()) {
                        continue;
                    }
                    let (w, i) =
                        self.var_weights_at(std::slice::from_ref(read), None, element, seen)?;
                    weights.extend(w);
                    inherits |= i;
                }
            }
            if set {
                return Some((weights, inherits));
            }
        }
        weights.extend(fallback);
        (!weights.is_empty() || inherits).then_some((weights, inherits))
    }

    /// The declarations of custom property `prop` in rules that may apply to the page: those that
    /// set it on an element with the classes and ids `element`, and all of them.
    fn declarations(&self, prop: &str, element: Element) -> (Vec<&'g PropDef>, Vec<&'g PropDef>) {
        let mut all: Vec<&'g PropDef> = self
            .uses
            .iter()
            .flat_map(|f| f.props_of(prop))
            .filter(|d| self.applies(d.gate.as_deref()) && !self.is_overridden(d))
            .collect();
        // A declaration for the root in the page's own language (its `<html lang>`) overrides
        // those for the plain root, whose selectors are less specific: Starlight's
        // `:root[lang=ar] { --sl-font: "Noto Sans Arabic" }` over `:root { --sl-font: "IBM Plex
        // Sans" }`.
        let own_words = self.own_and_script_words().0;
        let in_own_language = |d: &&PropDef| {
            d.on_root
                && d.gate.as_ref().is_some_and(|alts| {
                    alts.iter().all(|alt| {
                        alt.iter().all(|w| {
                            w.starts_with(LANG_MARK) && own_words.iter().any(|o| o.contains(w))
                        })
                    })
                })
        };
        if all.iter().any(in_own_language) {
            all.retain(|d| !(d.on_root && d.gate.is_none()));
        }
        let own = all
            .iter()
            .copied()
            .filter(|d| sets_on(d.gate.as_deref(), element))
            .collect();
        (own, all)
    }

    /// Follows the `var()`s of the page's `font-family` and `font` declarations (of rules that may
    /// apply to its elements) to the family names they may give ([`PageStyles::var_names`]). A
    /// declaration for certain elements is followed for each of its selectors the page may match,
    /// as read on such an element. A property that a script names (`var(--brand)` in a string)
    /// may be read by styles the script makes, so what its declarations hold counts too.
    fn var_families(&self) -> VarFamilies<'g> {
        let mut vars = VarFamilies {
            free: Vec::new(),
            gated: Vec::new(),
            any: false,
        };
        for f in &self.uses {
            for read in &f.var_reads {
                // Read on any element, or on the element of each selector the page may match.
                let elements: Vec<Element<'g>> = match &read.gate {
                    None => vec![None],
                    Some(alts) => alts
                        .iter()
                        .filter(|alt| self.applies(Some(std::slice::from_ref(*alt))))
                        .map(|alt| Some(alt.as_slice()))
                        .collect(),
                };
                for element in elements {
                    let mut walk = VarWalk::default();
                    for v in &read.vars {
                        self.var_names(v, element, &mut walk, 0);
                    }
                    vars.any |= walk.any;
                    match element {
                        None => vars.free.append(&mut walk.names),
                        Some(alt) => vars.gated.extend(walk.names.into_iter().map(|n| (n, alt))),
                    }
                }
            }
            for d in &f.props {
                if self.applies(d.gate.as_deref())
                    && self.has_word(&d.prop)
                    && !self.is_overridden(d)
                {
                    let mut walk = VarWalk::default();
                    self.expr_names(&d.value, None, &mut walk, 0);
                    vars.any |= walk.any;
                    vars.free.append(&mut walk.names);
                }
            }
        }
        vars.free.sort_unstable();
        vars.free.dedup();
        vars.gated.sort_unstable();
        vars.gated.dedup();
        vars
    }

    /// The family names `var(--prop, fallback)` may give, read on `element`: what the declarations
    /// of `--prop` that rules for the element's classes set hold, read on it; or, when none do,
    /// what any declaration of the page that may apply holds (an ancestor may set it), read on an
    /// unknown element, and the fallback's names ([`VarWalk`]).
    fn var_names(&self, v: &'g VarRef, element: Element<'g>, walk: &mut VarWalk<'g>, depth: u32) {
        // A chain longer than any a theme writes (a hostile one could exhaust the stack): what it
        // ends in is not looked for, so it may be any family.
        if depth > MAX_VAR_DEPTH {
            walk.any = true;
            return;
        }
        // A property seen before gave its declarations' names then; a fallback is this var()'s own.
        let first = walk.seen.insert((v.prop.as_str(), element.is_some()));
        let (own, all) = self.declarations(&v.prop, element);
        if !own.is_empty() {
            for d in own.into_iter().filter(|_| first) {
                self.expr_names(&d.value, element, walk, depth + 1);
            }
            return;
        }
        for d in all.iter().filter(|_| first) {
            self.expr_names(&d.value, None, walk, depth + 1);
        }
        let declared = self.uses.iter().any(|f| !f.props_of(&v.prop).is_empty());
        walk.any |= !declared && self.has_word(&v.prop);
        if let Some(fallback) = &v.fallback {
            self.expr_names(fallback, element, walk, depth + 1);
        }
    }

    /// The names of `e`, and those its `var()`s may give ([`PageStyles::var_names`]).
    fn expr_names(&self, e: &'g Expr, element: Element<'g>, walk: &mut VarWalk<'g>, depth: u32) {
        walk.names.extend(e.names.iter().map(String::as_str));
        for v in &e.vars {
            self.var_names(v, element, walk, depth);
        }
    }

    /// Whether some text of the page in `family` may be italic: a rule that slants text may apply
    /// to it. When code elements have a family of their own, a rule that only slants elements in
    /// them (a syntax highlighter's `.highlight .c1` for comments) does not slant text in another.
    /// A selector for an element that browsers set in italics anyway (`em { font-style: italic
    /// }`, `.post em`) slants only the text of such elements, which the page's italic text holds
    /// ([`PageStyles::restates_italics`]).
    fn may_be_italic(&self, family: &str) -> bool {
        let family = family.to_ascii_lowercase();
        let outside_code = self.code_not_in(&family);
        let slanting = self.slanting();
        slanting.any
            || slanting.alts.iter().any(|&alt| {
                let alt = std::slice::from_ref(alt);
                !for_italic_element(&alt[0])
                    && if outside_code {
                        self.applies_outside_code(alt)
                    } else {
                        self.applies(Some(alt))
                    }
            })
    }

    /// The rules of the page's styles that may set text in italics: those that say `italic` or
    /// `oblique` or compute `font-style`, and the `font` shorthands whose custom properties may
    /// hold either ([`FontUse::var_slants`]).
    fn slanting(&self) -> &Slanting<'g> {
        self.slanting.get_or_init(|| {
            let mut slanting = Slanting::default();
            // Many rules read the same properties (a theme's `font: var(--font)`): each list once.
            let mut held: rustc_hash::FxHashMap<&[String], bool> = Default::default();
            for f in &self.uses {
                slanting.any |= f.italic;
                slanting.alts.extend(f.italic_for.iter().flatten());
                for v in &f.var_slants {
                    // Nothing to learn: text may be italic anyway, or the rule is for elements
                    // the page does not have.
                    let useless = match &v.gate {
                        None => slanting.any,
                        Some(alts) => !self.applies(Some(alts)),
                    };
                    if useless {
                        continue;
                    }
                    let slants = *held.entry(&v.props).or_insert_with(|| {
                        self.may_hold(&v.props, &mut Default::default(), &|d| d.slants)
                    });
                    if slants {
                        match &v.gate {
                            None => slanting.any = true,
                            Some(alts) => slanting.alts.extend(alts),
                        }
                    }
                }
            }
            slanting
        })
    }

    /// Whether a rule that may apply slants elements that browsers set in italics anyway: it
    /// undoes rules that set them upright (Eric Meyer's reset, then `em { font-style: italic }`).
    fn restates_italics(&self) -> bool {
        self.slanting()
            .alts
            .iter()
            .any(|&alt| for_italic_element(alt) && self.applies(Some(std::slice::from_ref(alt))))
    }

    /// Whether rules set every italic element of the page with text upright
    /// ([`italic_under`]), and no rule slants them again ([`PageStyles::restates_italics`]).
    fn sets_italics_upright(&self, page: &PageFacts) -> bool {
        !self.upright.is_empty()
            && !self.restates_italics()
            && !page.italic_nestings.is_empty()
            && !page
                .italic_nestings
                .iter()
                .any(|n| italic_under(n, &self.upright))
    }

    /// The weights the page's text may have, whatever its family: 400; 700 where the page has an
    /// element browsers set in bold ([`BOLD_ELEMENTS`]); the weights of the `font-weight`
    /// declarations that may apply to its elements ([`FontUse::page_weights`]); and what `bolder`
    /// makes of them where the page has a `<b>` or `<strong>` or a declaration says `bolder`, and
    /// `lighter` where one says `lighter` (once: a `<strong>` inside a `<strong>` inside a
    /// heading is not followed). `None` when a weight that may apply is computed.
    fn page_weights(&self) -> Option<&[u16]> {
        self.weights().map(|w| &w.all[..])
    }

    /// The weights of the page's text outside the elements browsers set in bold (headings, `<b>`,
    /// `<strong>`, `<th>`, `<optgroup>`): as [`PageStyles::page_weights`], without browsers'
    /// bold and `bolder` and the rules that are only for those elements.
    fn text_weights(&self) -> Option<&[u16]> {
        self.weights().map(|w| &w.text[..])
    }

    /// [`PageStyles::page_weights`] and [`PageStyles::text_weights`], worked out on first use.
    fn weights(&self) -> Option<&PageWeights> {
        self.weights
            .get_or_init(|| self.weights_where(&|x| self.has_word(gate_word(x).0), None, None))
            .as_ref()
    }

    /// [`PageStyles::weights`] of text where `has` tells whether what a selector asks of an
    /// element ([`Gated::any_of`]'s entry, or an element word) holds for one around it
    /// ([`PageStyles::has_entry`]). With `inside`, of text inside elements of those weights, by
    /// the rules for certain elements only. With `given`, of the text in a family (lowercased)
    /// that a selector asking for the alternative gives it: rules that set another family with
    /// their weight count not ([`sets_in`]).
    fn weights_where(
        &self,
        has: &dyn Fn(&str) -> bool,
        inside: Option<&[u16]>,
        given: Option<(&str, &[String])>,
    ) -> Option<PageWeights> {
        // Browsers' own weights, unless a rule for the bare element sets another
        // (Materialize's `h1 { font-weight: 400 }`, `strong { font-weight: 500 }`).
        let last = self.last_bare();
        let ua = |words: &[String]| {
            words
                .iter()
                .any(|word| has(word) && !last.contains_key(word.as_str()))
        };
        let (bold, bolder, _) = &*ELEMENT_WORDS;
        let mut all = WeightSet::new(
            inside.map_or_else(|| vec![400], <[u16]>::to_vec),
            ua(bolder),
        );
        if ua(bold) {
            all.weights.push(700);
        }
        let mut text = WeightSet::new(vec![400], false);
        for (i, (w, _)) in self.weight_rules().enumerate() {
            if !sets_in(w, given) {
                continue;
            }
            let applying =
                |alt: &&Vec<String>| !self.overridden(i, w, alt) && alt.iter().all(|x| has(x));
            // A rule for elements browsers set in bold sets their text's weight only.
            let (applies, for_text) = match &w.gate {
                None if inside.is_some() => continue,
                None => (true, true),
                Some(alts) => (
                    alts.iter().any(|alt| applying(&alt)),
                    !alts.iter().filter(applying).all(|alt| {
                        own_words(alt).any(|x| {
                            names_element(x, &BOLD_ELEMENTS) || names_element(x, &BOLDER_ELEMENTS)
                        })
                    }),
                ),
            };
            if applies {
                all.add(self, &w.weight)?;
            }
            if applies && for_text {
                text.add(self, &w.weight)?;
            }
        }
        Some(PageWeights {
            all: all.finish(),
            text: text.finish(),
        })
    }

    /// Whether the page's text around which the elements have `words` may be italic: one of them
    /// is an element browsers set in italics, or a rule that slants text may apply to one
    /// (because it applies to any element, or they have what its selector asks of its element,
    /// or a script the page runs names that).
    fn italic_in(&self, words: &Words) -> bool {
        ELEMENT_WORDS
            .2
            .iter()
            .any(|e| self.has_around(words, e, true))
            || {
                let slanting = self.slanting();
                slanting.any || slanting.alts.iter().any(|alt| self.around(words, alt))
            }
    }

    /// Whether text around which the elements have `words` may be in an element that a selector
    /// asking for `alt` ([`Gated::any_of`]'s) matches, or in one inside it ([`PageStyles::has_around`]).
    fn around(&self, words: &Words, alt: &[String]) -> bool {
        alt.iter().all(|x| self.has_entry(words, x))
    }

    /// Whether what a selector asks of an element (`x`, an entry of [`Gated::any_of`]) may
    /// hold for text around which the elements have `words`: a name it asks of the styled
    /// element or of one around it is on one of those ([`PageStyles::has_around`]), a name it
    /// asks of another element is on the page.
    fn has_entry(&self, words: &Words, x: &str) -> bool {
        let (word, around) = gate_around(x);
        self.has_around(words, word, around)
    }

    /// The selectors that give elements `family` (lowercased) when only such selectors give it
    /// ([`PageStyles::only_gated`]), for a face that sets the characters `range` (sorted,
    /// disjoint; empty for every character) when the page's text in their elements is what it
    /// sets: each selector asks for an element in a language
    /// ([`element_lang_word`](crate::parse::element_lang_word)), as `:lang(ja)` and `[lang=ja]
    /// .title` do, or the face has a `unicode-range` of its own (`own_range`: a subset of a text
    /// face, which the page's text picks, where an icon font's glyphs may come from generated
    /// content); and no text of the page's code or form controls, which the parser keeps apart,
    /// may be set in it. `None` otherwise.
    fn text_gates(
        &self,
        family: &str,
        range: &[CodeRange],
        own_range: bool,
        page: &PageFacts,
    ) -> Option<Vec<&'g [String]>> {
        let alts = self.only_gated(family)?;
        let in_language = |alt: &&[String]| {
            alt.iter()
                .any(|x| gate_word(x).0.starts_with(ELEMENT_LANG_MARK))
        };
        ((own_range || alts.iter().all(in_language)) && !self.sets_apart(family, range, page))
            .then_some(alts)
    }

    /// Whether the text of the page's code or form controls has a character in `range`, and the
    /// page's styles may set it in `family` (lowercased): the parser keeps that text apart from
    /// its contexts ([`PageStyles::contexts`]).
    fn sets_apart(&self, family: &str, range: &[CodeRange], page: &PageFacts) -> bool {
        let has = |t: &Option<TextChars>| t.as_ref().is_some_and(|t| t.intersects(range));
        has(&page.code_text) && self.reaches_code(family)
            || has(&page.control_text) && self.reaches_controls(family)
    }

    /// Whether the page's text in elements that selectors asking for `gates` may match, or in
    /// those inside them, has a character in `range` (sorted, disjoint; empty for every
    /// character); `true` when the page's contexts are not known.
    fn text_in(&self, gates: &[&[String]], range: &[CodeRange]) -> bool {
        let Some(contexts) = self.contexts else {
            return true;
        };
        contexts_in(contexts, range)
            .any(|(_, c)| gates.iter().any(|alt| self.around(&c.words, alt)))
    }

    /// The weights of the page's text in `range` (sorted, disjoint) that may be italic
    /// ([`PageStyles::italic_in`]), for an italic face of `family` (lowercased): `Some` of none
    /// when no such text is in `range`; `None` when they are not known (the page's contexts are
    /// not, or a weight there is computed, or the text of its code or form controls is in
    /// `range` and the page's styles may set it in `family`).
    fn italic_weights(
        &self,
        family: &str,
        range: &[CodeRange],
        page: &PageFacts,
    ) -> Option<Vec<u16>> {
        let contexts = self.contexts.filter(|c| !c.is_empty())?;
        if self.sets_apart(family, range, page) {
            return None;
        }
        let mut weights = Vec::new();
        for (i, c) in contexts_in(contexts, range) {
            if self.italic_in(&c.words) {
                weights.extend_from_slice(self.context_weights(i)?);
            }
        }
        weights.sort_unstable();
        weights.dedup();
        Some(weights)
    }

    /// Whether text around which the elements have `words` may have `word` ([`Gated::any_of`]'s)
    /// on an element around it (`around`: what a selector asks of its element or of one around
    /// it; a script the page runs may add a class or id it names, but the elements around the
    /// page's own text are the page's) or, for what a selector asks of other elements, on the
    /// page.
    fn has_around(&self, words: &Words, word: &str, around: bool) -> bool {
        if around {
            let scripts = self.own_and_script_words().1;
            let hash = Words::hash(word);
            words.contains_hash(hash)
                || !word.starts_with('<') && scripts.iter().any(|w| w.contains_hash(hash))
        } else {
            self.has_word(word)
        }
    }

    /// The weights of the text of the page's `i`th context ([`PageStyles::context_weights`]).
    fn context_weights(&self, i: usize) -> Option<&[u16]> {
        let contexts = self.contexts.unwrap_or_default();
        let cells = self
            .context_weights
            .get_or_init(|| contexts.iter().map(|_| OnceCell::new()).collect());
        cells[i]
            .get_or_init(|| self.words_weights(&contexts[i].words))
            .as_deref()
    }

    /// The weights of the page's text around which the elements have `words`
    /// ([`PageStyles::weights_in`]), worked out once for all words alike in what weight rules
    /// read ([`PageStyles::weight_words`]), which have the same weights.
    fn words_weights(&self, words: &Words) -> Option<Vec<u16>> {
        let key = self.weight_key(words);
        if let Some(known) = self.weights_by_words.borrow().get(&key) {
            return known.clone();
        }
        let found = self.weights_in(words);
        self.weights_by_words
            .borrow_mut()
            .insert(key, found.clone());
        found
    }

    /// The weights of the text of elements that rules with these selectors (`present`, as
    /// [`Gated::any_of`]) may match, which they give `own` ([`PageStyles::weights_of`]), and of
    /// the text of the elements inside them: what browsers' bold and `bolder` elements and the
    /// rules for other elements around the page's text there give it (as [`PageStyles::weights_in`]
    /// does, but without the rules for any element, which the elements themselves may be).
    /// Headings are [`PageStyles::heading_weights`]'. `None` when the page's contexts or a
    /// weight there is not known.
    fn weights_around(
        &self,
        family: &str,
        present: &[&[String]],
        own: Vec<u16>,
    ) -> Option<Vec<u16>> {
        let mut weights = own.clone();
        // Of a context's words, only those that the weight rules (and browsers' bold elements)
        // ask of their own element change what they give its text: contexts alike in those are
        // worked out once (an API reference has thousands of contexts, a theme hundreds of
        // rules).
        let mut done: rustc_hash::FxHashSet<(usize, Vec<u32>)> = Default::default();
        // Headings are `heading_weights`'; a rule that gives the family to generated content sets
        // an icon there, not the element's text.
        let followed: Vec<bool> = present
            .iter()
            .map(|alt| !for_heading(alt) && !self.for_generated(family, alt))
            .collect();
        let contexts = self.contexts?.iter().map(|c| (&c.words, None));
        let apart = self
            .apart_contexts(family)?
            .into_iter()
            .map(|(c, control)| (&c.words, Some(&c.outside).filter(|_| control)));
        for (words, control) in contexts.chain(apart) {
            for (k, alt) in present.iter().enumerate() {
                let inside = followed[k] && self.around(words, alt);
                // A control inside such an element sets its text in its own weight.
                if inside && control.is_some_and(|outside| self.around(outside, alt)) {
                    weights.push(400);
                }
                if inside && done.insert((k, self.weight_key(words))) {
                    let other =
                        |x: &str| !own_words(alt).any(|w| w == x) && self.has_entry(words, x);
                    let given = Some((family, *alt));
                    weights.extend(self.weights_where(&other, Some(&own), given)?.all);
                }
            }
        }
        Some(weights)
    }

    /// The words of `words` that weight rules read ([`PageStyles::weight_words`]): text around
    /// which the elements have the same ones has the same weights.
    fn weight_key(&self, words: &Words) -> Vec<u32> {
        let asked = self.weight_words();
        words
            .0
            .iter()
            .copied()
            .filter(|h| asked.contains(h))
            .collect()
    }

    /// The hashes ([`Words::hash`]) of the words that the page's weight rules ask of their own
    /// element or of the elements around it, and of the elements browsers set in bold: all that
    /// [`PageStyles::weights_where`] reads of the words around a piece of text.
    fn weight_words(&self) -> &rustc_hash::FxHashSet<u32> {
        self.weight_words.get_or_init(|| {
            let (bold, bolder, _) = &*ELEMENT_WORDS;
            let rules = self
                .weight_rules()
                .filter_map(|(w, _)| w.gate.as_ref())
                .flatten()
                .flatten()
                .filter_map(|x| match gate_around(x) {
                    (word, true) => Some(word),
                    _ => None,
                });
            bold.iter()
                .chain(bolder)
                .map(String::as_str)
                .chain(rules)
                .map(Words::hash)
                .collect()
        })
    }

    /// The weights of the page's text around which the elements have `words`: the page's, but
    /// that rules for certain elements count only when the elements around have what their
    /// selectors ask of their element (or a script the page runs names it, as it may add it).
    fn weights_in(&self, words: &Words) -> Option<Vec<u16>> {
        self.weights_where(&|x| self.has_entry(words, x), None, None)
            .map(|w| w.all)
    }

    /// Whether the page has an upright face of `family`, which a browser uses for upright text.
    fn has_upright(&self, family: &str) -> bool {
        let family = family.to_ascii_lowercase();
        self.faces.iter().any(|f| !f.1 && f.0 == family)
    }
}

/// The weights a page's text may have ([`PageStyles::page_weights`]), and those of its text
/// outside the elements browsers set in bold ([`PageStyles::text_weights`]).
struct PageWeights {
    all: Vec<u16>,
    text: Vec<u16>,
}

/// Where a font hint goes among a page's: its face's first subset in document order, then how
/// many of the page's characters it sets ([`chars_served`]), more first.
#[derive(Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct FaceRank(usize, std::cmp::Reverse<usize>);

/// How many of the characters of a page's text fall in a face's `unicode-range`: of its italic
/// text, for an italic face of a page that has some.
fn chars_served(e: &Entry, page: &Node, styles: &PageStyles) -> usize {
    let (Some(facts), Some(range)) = (page.page.as_deref(), styles.face_range(e)) else {
        return 0;
    };
    let italic = facts
        .italic_text
        .as_ref()
        .filter(|_| e.attrs.is_slanted_face());
    italic
        .or(facts.text.as_ref())
        .map_or(0, |t| t.count_in(&range))
}

/// Decides the hint for one reachable entry, or why there is none.
/// `styles` is what the page's styles name.
fn spec_for(
    e: &Entry,
    page: &Node,
    styles: &PageStyles,
    policy: &Policy,
) -> Result<Spec, Cow<'static, str>> {
    let a = &e.attrs;
    let spec = |rel, as_: Option<&str>, crossorigin: Option<String>| Spec {
        rel,
        as_: as_.map(str::to_string),
        crossorigin,
        type_: None,
        media: None,
        fetchpriority: owned(&a.fetchpriority)
            .filter(|p| p.eq_ignore_ascii_case("high") || p.eq_ignore_ascii_case("low")),
        integrity: owned_trimmed(&a.integrity),
    };
    if !e.critical {
        return Err(match e.kind {
            RefKind::JsDynamicImport => "dynamic import(): loaded lazily".into(),
            RefKind::Icon => "icon: not needed for first render".into(),
            RefKind::Manifest => "web app manifest: not needed for first render".into(),
            RefKind::Prefetch => {
                "prefetch: fetched for a later navigation, at idle priority".into()
            }
            RefKind::Media => "audio/video source: not hinted".into(),
            RefKind::Poster => "video poster: not hinted".into(),
            RefKind::Image if a.lazy => "loading=lazy".into(),
            RefKind::Image if !a.primary => "srcset candidate: the browser picks one".into(),
            RefKind::Stylesheet if media_is_print_only(a.media.as_deref()) => {
                "media=print: does not block rendering".into()
            }
            RefKind::Script if a.nomodule => "nomodule: modern browsers skip it".into(),
            _ => "not critical: reached only through a resource that is not, or through a \
                  print-only @import, whose rules do not apply on screen"
                .into(),
        });
    }
    match e.kind {
        // The page loads it late on purpose; the fonts its rules use are still hinted.
        RefKind::Stylesheet | RefKind::CssImport if a.deferred => {
            Err("applied without blocking rendering (its `onload` applies the stylesheet)".into())
        }
        // An `@import`'s media does not keep browsers from fetching it: a preload under it could
        // be skipped while the import is fetched anyway.
        RefKind::CssImport => Ok(spec(Rel::Preload, Some("style"), owned(&a.crossorigin))),
        RefKind::Stylesheet => Ok(Spec {
            media: owned(&a.media).filter(|m| !m.trim().eq_ignore_ascii_case("all")),
            ..spec(Rel::Preload, Some("style"), owned(&a.crossorigin))
        }),
        RefKind::Font => {
            if !policy.fonts {
                return Err("fonts are not hinted (policy.fonts = false)".into());
            }
            if let Some(why) = range_miss(e, page, styles) {
                return Err(why);
            }
            let family = || {
                a.font_family()
                    .map(|f| format!(" {f:?}"))
                    .unwrap_or_default()
            };
            let facts = page.page.as_deref();
            match facts.and_then(|p| p.text.as_ref()) {
                // The page's own text is known, so its styles are too (a page its scripts render may
                // get styles from them).
                Some(_) if !scripts_render(page) => {
                    if let Some(name) = a.font_family() {
                        match styles.may_use(name) {
                            FamilyUse::Named(asked, upright) => {
                                // A family that only rules for certain elements give sets
                                // only their text.
                                if let Some(facts) = facts
                                    && let Some(range) = styles.face_range(e)
                                    && let range = merge_ranges(range.to_vec())
                                    && let Some(gates) = styles.text_gates(
                                        &name.to_ascii_lowercase(),
                                        &range,
                                        !a.unicode_range().is_empty(),
                                        facts,
                                    )
                                    && !styles.text_in(&gates, &range)
                                {
                                    return Err(format!(
                                        "@font-face{}: only rules for {} name its family, and \
                                         none of the page's text in such elements is in its \
                                         unicode-range",
                                        family(),
                                        gate_list(gates.iter().copied())
                                    )
                                    .into());
                                }
                                // The weights of the elements that name the family when known,
                                // else every weight the page's text may have.
                                let own = asked.is_some();
                                let asked =
                                    asked.or_else(|| styles.page_weights().map(<[u16]>::to_vec));
                                let lower = name.to_ascii_lowercase();
                                let (slanted, range) = (a.is_slanted_face(), a.face_weights());
                                if let Some(mut asked) = asked
                                    && !styles.serves_weight(&lower, slanted, range, &asked)
                                {
                                    asked.sort_unstable();
                                    asked.dedup();
                                    let asked: Vec<String> =
                                        asked.iter().map(u16::to_string).collect();
                                    let whose = if own {
                                        "the text of the page's elements that rules name its \
                                         family for is set in font-weight"
                                    } else {
                                        "the page's text is set in font-weight (the weights of \
                                         the rules that may apply to its elements, bold for \
                                         headings and <th>, bolder for <b> and <strong>)"
                                    };
                                    return Err(format!(
                                        "@font-face{} (weight {}): {whose} {}, which other faces \
                                         of the family serve",
                                        family(),
                                        weight_range(range),
                                        asked.join(" or ")
                                    )
                                    .into());
                                }
                                // Upright faces serve only the elements that may have upright
                                // text.
                                if let Some(mut upright) = upright.filter(|_| !slanted)
                                    && !styles.serves_weight(&lower, false, range, &upright)
                                {
                                    upright.sort_unstable();
                                    upright.dedup();
                                    let weights: Vec<String> =
                                        upright.iter().map(u16::to_string).collect();
                                    let why = if weights.is_empty() {
                                        "all the text of the page's elements that rules name its \
                                         family for is italic"
                                            .to_string()
                                    } else {
                                        format!(
                                            "the text of the page's elements that rules name its \
                                             family for is italic, but for text set in \
                                             font-weight {}, which other faces of the family serve",
                                            weights.join(" or ")
                                        )
                                    };
                                    return Err(format!(
                                        "@font-face{} (weight {}): {why}",
                                        family(),
                                        weight_range(range)
                                    )
                                    .into());
                                }
                                // A face that only the weights of text in headings, `<b>` and
                                // the like pick sets only that text.
                                if !own
                                    && styles.text_weights().is_some_and(|t| {
                                        !styles.serves_weight(&lower, slanted, range, t)
                                    })
                                {
                                    let face_range = styles.face_range(e);
                                    let bold_in_range = facts
                                        .and_then(|p| p.bold_text.as_ref())
                                        .zip(face_range.as_deref())
                                        .is_some_and(|(b, r)| b.intersects(r));
                                    let elsewhere = bold_in_range
                                        && face_range.is_some_and(|r| {
                                            styles.bold_text_elsewhere(
                                                &lower,
                                                &merge_ranges(r.to_vec()),
                                            )
                                        });
                                    if !bold_in_range || elsewhere {
                                        return Err(format!(
                                            "@font-face{} (weight {}): only the text of \
                                             headings, <b>, <strong>, <th> and <optgroup> is set \
                                             in a weight it serves, and {}",
                                            family(),
                                            weight_range(range),
                                            if elsewhere {
                                                "all of that text in its unicode-range is in \
                                                 elements that rules give another family"
                                            } else {
                                                "none of that text is in its unicode-range"
                                            }
                                        )
                                        .into());
                                    }
                                }
                                // A face that holds none of the page's ASCII text sets only
                                // characters outside it, which the parser keeps with the
                                // elements around them: it counts where their weights pick it.
                                if !own
                                    && let Some((contexts, r)) = in_contexts(e, facts, styles)
                                    && !contexts_in(contexts, &r).any(|(i, _)| {
                                        styles.context_weights(i).is_none_or(|w| {
                                            styles.serves_weight(&lower, slanted, range, w)
                                        })
                                    })
                                {
                                    return Err(format!(
                                        "@font-face{} (weight {}): the page's characters in its \
                                         unicode-range are in elements that no rule and no \
                                         browser default gives a weight it serves",
                                        family(),
                                        weight_range(range)
                                    )
                                    .into());
                                }
                            }
                            FamilyUse::Unnamed => {
                                return Err(format!(
                                    "@font-face{}: no style of the page names its family (in \
                                     font-family or font), so no text uses it",
                                    family()
                                )
                                .into());
                            }
                            FamilyUse::Overridden(selectors) => {
                                return Err(format!(
                                    "@font-face{}: every declaration that names its family is \
                                     overridden by a later one for the same selectors ({}), so no \
                                     text uses it",
                                    family(),
                                    selectors
                                        .iter()
                                        .map(|s| format!("`{s}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )
                                .into());
                            }
                            FamilyUse::OnlyIn(props, applies) => {
                                return Err(format!(
                                    "@font-face{}: only the custom properties {} name its family, \
                                     {}",
                                    family(),
                                    props.join(", "),
                                    if applies {
                                        "and no font-family or font of a rule for the page's \
                                         elements reads them with var() (nor does a script it runs \
                                         name one)"
                                    } else {
                                        "in rules for elements the page does not have (a class \
                                         name, id or <html lang> it lacks)"
                                    }
                                )
                                .into());
                            }
                            FamilyUse::OnlyFor(gates) => {
                                let alts = || gates.iter().flat_map(|g| &g.any_of);
                                let headings = alts().any(|alt| for_heading(alt));
                                let lower = name.to_ascii_lowercase();
                                let outranked = alts().any(|alt| styles.outranked(&lower, alt));
                                return Err(format!(
                                    "@font-face{}: only rules for {} name its \
                                     family, and no element of the page is one (nor does a script \
                                     it runs name its class, id or element){}{}",
                                    family(),
                                    gate_list(alts().map(Vec::as_slice)),
                                    if headings {
                                        ", or no text of the page is in such a heading"
                                    } else {
                                        ""
                                    },
                                    if outranked {
                                        ", or a rule that wins over theirs sets another family \
                                         for the page's such elements"
                                    } else {
                                        ""
                                    }
                                )
                                .into());
                            }
                        }
                    }
                    // Italic faces serve italic text: a style that slants text may apply
                    // anywhere, but without one only the text of `<em>` and its kin is italic.
                    if a.is_slanted_face()
                        && !a.font_family().is_some_and(|f| styles.may_be_italic(f))
                        && a.font_family().is_some_and(|f| styles.has_upright(f))
                    {
                        let upright = facts.is_some_and(|p| styles.sets_italics_upright(p));
                        let italic = facts
                            .filter(|_| !upright)
                            .and_then(|p| p.italic_text.as_ref())
                            .filter(|t| !t.0.is_empty());
                        match italic {
                            None => {
                                let code = a
                                    .font_family()
                                    .is_some_and(|f| styles.code_not_in(&f.to_ascii_lowercase()));
                                return Err(format!(
                                    "@font-face{} (italic): no text of the page is italic (no \
                                     text in <em>, <i>, <cite>, <dfn>, <var> or <address>{}, and \
                                     no style for its elements asks for font-style: italic or \
                                     oblique{}), so its upright faces are used",
                                    family(),
                                    if upright {
                                        " that a rule does not set upright with font-style: normal"
                                    } else {
                                        ""
                                    },
                                    if code {
                                        " outside <pre> and <code>, which have a family of their own"
                                    } else {
                                        ""
                                    }
                                )
                                .into());
                            }
                            Some(t) if !styles.face_range(e).is_some_and(|r| t.intersects(&r)) => {
                                return Err(format!(
                                    "@font-face{} (italic): the page's italic text (in <em>, <i>, \
                                     <cite>, <dfn>, <var> or <address>) has no character in its \
                                     unicode-range",
                                    family()
                                )
                                .into());
                            }
                            Some(_) => {}
                        }
                    }
                    // The parser keeps the page's text with the elements around it: an italic
                    // face counts where that text may be italic, and is set in a weight it serves
                    // (the italic words of a paragraph, not the bold italic of a heading that
                    // has none).
                    if a.is_slanted_face()
                        && let Some(name) = a.font_family()
                        && styles.has_upright(name)
                        && let Some(facts) = facts
                        && let Some(range) = styles.face_range(e)
                        && let lower = name.to_ascii_lowercase()
                        && let Some(weights) =
                            styles.italic_weights(&lower, &merge_ranges(range.to_vec()), facts)
                        && !styles.serves_weight(&lower, true, a.face_weights(), &weights)
                    {
                        return Err(if weights.is_empty() {
                            format!(
                                "@font-face{} (italic): the page's characters in its \
                                 unicode-range are in elements that no rule and no browser \
                                 default sets in italics",
                                family()
                            )
                        } else {
                            let weights: Vec<String> = weights.iter().map(u16::to_string).collect();
                            format!(
                                "@font-face{} (italic, weight {}): the page's text that may be \
                                 italic is set in font-weight {}, which other italic faces of the \
                                 family serve",
                                family(),
                                weight_range(a.face_weights()),
                                weights.join(" or ")
                            )
                        }
                        .into());
                    }
                }
                _ => {}
            }
            let type_ = match e.url.split('?').next().and_then(|p| p.rsplit_once('.')) {
                Some((_, ext)) if ["woff2", "woff", "ttf", "otf"].contains(&ext) => {
                    Some(format!("font/{ext}"))
                }
                _ => None,
            };
            Ok(Spec {
                type_,
                ..spec(Rel::Preload, Some("font"), Some(String::new()))
            })
        }
        // A classic `async` script runs whenever it arrives, and browsers fetch it at low
        // priority. An `async` module is fetched at high priority like any module, and its static
        // imports are hinted with it: without the entry they would wait for it.
        RefKind::Script if a.async_ && !a.module && !policy.async_scripts => {
            Err("async script: not critical (policy.async-scripts = false)".into())
        }
        RefKind::Script if a.module => Ok(spec(Rel::Modulepreload, None, owned(&a.crossorigin))),
        RefKind::Script => Ok(spec(Rel::Preload, Some("script"), owned(&a.crossorigin))),
        RefKind::JsImport => match a.type_.as_deref() {
            Some(t) if !t.eq_ignore_ascii_case("javascript") => Err(format!(
                "{t} module import: modulepreload only applies to JavaScript modules"
            )
            .into()),
            _ => Ok(spec(Rel::Modulepreload, None, owned(&a.crossorigin))),
        },
        RefKind::ModulePreload if policy.explicit_preloads => {
            Ok(spec(Rel::Modulepreload, None, owned(&a.crossorigin)))
        }
        RefKind::Preload if policy.explicit_preloads => {
            let as_ = a.as_.as_deref().map(str::to_ascii_lowercase);
            match as_.as_deref() {
                Some(
                    v @ ("style" | "script" | "font" | "image" | "fetch" | "track" | "audio"
                    | "video" | "document" | "worker" | "embed" | "object"),
                ) => {
                    let cors = if v == "font" || v == "fetch" {
                        Some(owned(&a.crossorigin).unwrap_or_default())
                    } else {
                        owned(&a.crossorigin)
                    };
                    Ok(Spec {
                        type_: owned(&a.type_),
                        media: owned(&a.media),
                        ..spec(Rel::Preload, Some(v), cors)
                    })
                }
                Some(v) => Err(format!("<link rel=preload> with unknown as={v:?}").into()),
                None => Err("<link rel=preload> without as: browsers ignore it".into()),
            }
        }
        RefKind::Preload | RefKind::ModulePreload => {
            Err("explicit preload (policy.explicit-preloads = false)".into())
        }
        RefKind::Image => {
            let high = a
                .fetchpriority
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case("high"));
            if !high {
                Err("image without fetchpriority=high".into())
            } else if a.picture_sources {
                // A preload of the <img> URL would be wasted (or doubled) whenever the browser
                // picks one of the <picture>'s <source>s instead.
                Err("<img> in a <picture> with <source>s: the browser picks one; not hinted".into())
            } else if !policy.priority_images {
                Err("images are not hinted (policy.priority-images = false)".into())
            } else {
                // A `<picture>`'s source carries its `type`: a browser that cannot decode it skips
                // the preload, as it skips the source.
                Ok(Spec {
                    type_: owned_trimmed(&a.type_),
                    ..spec(Rel::Preload, Some("image"), owned(&a.crossorigin))
                })
            }
        }
        RefKind::CssUrl if policy.css_images => Ok(spec(Rel::Preload, Some("image"), None)),
        RefKind::CssUrl => Err("CSS url(): not hinted (policy.css-images = false)".into()),
        RefKind::JsDynamicImport => Err("dynamic import(): loaded lazily".into()),
        RefKind::Icon
        | RefKind::Manifest
        | RefKind::Prefetch
        | RefKind::Media
        | RefKind::Poster => Err("not needed for first render".into()),
    }
}

/// How an explicit `<link rel=preload|modulepreload>` differs from the hint its consumer needs.
fn mismatch(kind: RefKind, attrs: &RefAttrs, want: &Spec) -> Option<String> {
    let have_rel = if kind == RefKind::ModulePreload {
        Rel::Modulepreload
    } else {
        Rel::Preload
    };
    if have_rel != want.rel {
        return Some(match want.rel {
            Rel::Modulepreload => {
                "it is a module: use rel=modulepreload, not preload as=script".into()
            }
            _ => format!(
                "it is consumed as {}: use rel=preload as={}",
                want.as_.as_deref().unwrap_or("?"),
                want.as_.as_deref().unwrap_or("?")
            ),
        });
    }
    if have_rel == Rel::Preload {
        let have_as = attrs.as_.as_deref().map(str::to_ascii_lowercase);
        if have_as.as_deref() != want.as_.as_deref() {
            return Some(format!(
                "as={} but it is consumed as {}",
                have_as.as_deref().unwrap_or("(none)"),
                want.as_.as_deref().unwrap_or("?")
            ));
        }
    }
    // A module is always fetched in CORS mode: without `crossorigin` it is `anonymous`, so the two
    // match; only `use-credentials` differs.
    let module = want.rel == Rel::Modulepreload;
    let norm = |c: Option<&str>| match c {
        None if module => Some("anonymous"),
        None => None,
        Some(v) if v.eq_ignore_ascii_case("use-credentials") => Some("use-credentials"),
        Some(_) => Some("anonymous"),
    };
    let (have, need) = (
        norm(attrs.crossorigin.as_deref()),
        norm(want.crossorigin.as_deref()),
    );
    if have != need {
        return Some(format!(
            "crossorigin is {} but the consumer needs {}",
            have.unwrap_or("absent"),
            need.unwrap_or("none")
        ));
    }
    let have = owned_trimmed(&attrs.integrity);
    if have != want.integrity {
        let shown = |i: &Option<String>| {
            i.as_ref()
                .map_or("absent".to_string(), |i| format!("{i:?}"))
        };
        return Some(format!(
            "integrity is {} but the consumer's is {}",
            shown(&have),
            shown(&want.integrity)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weight_takes_the_face_css_font_matching_picks() {
        let taken = |faces: &[(u16, u16)], w: u16| -> Vec<(u16, u16)> {
            faces
                .iter()
                .copied()
                .filter(|&f| takes_face(faces, f, w))
                .collect()
        };
        let static_faces = [(300, 300), (400, 400), (600, 600), (900, 900)];
        assert_eq!(taken(&static_faces, 400), [(400, 400)]);
        assert_eq!(
            taken(&static_faces, 700),
            [(900, 900)],
            "above 500: up first"
        );
        assert_eq!(
            taken(&static_faces, 500),
            [(400, 400)],
            "400–500: up to 500, then down"
        );
        assert_eq!(
            taken(&static_faces, 200),
            [(300, 300)],
            "below 400: down, then up"
        );
        assert_eq!(taken(&[(400, 400), (900, 900)], 450), [(400, 400)]);
        assert_eq!(taken(&[(450, 450), (300, 300)], 420), [(450, 450)]);
        assert_eq!(taken(&[(100, 200), (800, 900)], 300), [(100, 200)]);
        // A variable face holds a range; one holding the weight is taken with any other that does.
        assert_eq!(
            taken(&[(100, 900), (700, 700)], 700),
            [(100, 900), (700, 700)]
        );
        assert_eq!(taken(&[(100, 900)], 950), [(100, 900)]);
    }
}
