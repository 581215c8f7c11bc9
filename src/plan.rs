//! The plan: what every emitter renders. Plain data, built by [`crate::hints`], read by [`crate::emit`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::Serialize;

use crate::link::LinkValue;

/// What [`Hint::link_header`] appends to the `Link` value of a hint that must not be pushed.
const NOPUSH: &str = "; nopush";

/// `rel` of a hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rel {
    /// `rel=preload`.
    Preload,
    /// `rel=modulepreload`.
    Modulepreload,
    /// `rel=preconnect` (cross-origin hosts of critical resources).
    Preconnect,
}

impl Rel {
    /// The `rel` token.
    pub fn as_str(self) -> &'static str {
        match self {
            Rel::Preload => "preload",
            Rel::Modulepreload => "modulepreload",
            Rel::Preconnect => "preconnect",
        }
    }
}

/// One hint for one page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Hint {
    /// Root-relative URL with the exact query the page requests and no fragment, as the WHATWG URL
    /// parser serializes it (spaces and non-ASCII already percent-encoded; [`Hint::link`] encodes
    /// the few characters left that could break a header); for preconnect, the origin.
    pub url: String,
    /// `preload`, `modulepreload` or `preconnect`.
    pub rel: Rel,
    /// `as` (`style`, `font`, `script`, `image`, `fetch`, …), from the consuming element.
    #[serde(rename = "as", skip_serializing_if = "Option::is_none")]
    pub as_: Option<String>,
    /// `crossorigin`: `""` for anonymous (written value-less), `"use-credentials"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crossorigin: Option<String>,
    /// `type` (a font's MIME type, an image's type).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// `media`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<String>,
    /// `imagesrcset`, with root-relative URLs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imagesrcset: Option<String>,
    /// `imagesizes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imagesizes: Option<String>,
    /// `fetchpriority`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetchpriority: Option<String>,
    /// SRI `integrity` of the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<String>,
    /// The `integrity` the consuming element declares, sent as the `Link`'s `integrity`: a browser
    /// uses a preload only when its integrity is the consumer's, and otherwise downloads the file
    /// again. `None` when the consumer declares none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_integrity: Option<String>,
    /// Level in the page's waterfall: 1 = named by the HTML, 2 = named by those, …
    pub depth: u32,
    /// File size in bytes (0 for preconnect).
    pub bytes: u64,
    /// The site-relative file, when the hint is a file of the site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The file name carries a content hash.
    pub immutable: bool,
    /// Sent in the 103 Early Hints response.
    pub early: bool,
    /// Sent as `Link` on the final (200) response.
    #[serde(rename = "final")]
    pub final_: bool,
    /// May be pushed when push is on (same origin, within the push budget).
    pub push: bool,
    /// Text rendered from this hint, made on first use: every emitter writes its `Link` value, and
    /// serializing is most of the cost of rendering. Leave it as [`Hint::new`] sets it.
    #[serde(skip)]
    pub cache: RenderCache,
}

/// [`Hint::cache`]: the `Link` value and the `early-hints.json` entry of a hint, each made once. Not
/// part of a hint's identity (two hints are equal whether or not either was rendered yet), and not
/// copied by `clone`, since a clone may then be changed.
#[derive(Debug, Default)]
pub struct RenderCache {
    link: OnceLock<String>,
    json: OnceLock<String>,
}

impl Clone for RenderCache {
    fn clone(&self) -> Self {
        RenderCache::default()
    }
}

impl PartialEq for RenderCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for RenderCache {}

impl std::hash::Hash for RenderCache {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl Hint {
    /// A hint to `url` with no attributes, at depth 0, of 0 bytes, for no site file, sent in the 103
    /// and on the 200, not pushable. Set the rest with struct update syntax.
    pub fn new(url: impl Into<String>, rel: Rel) -> Hint {
        Hint {
            url: url.into(),
            rel,
            as_: None,
            crossorigin: None,
            type_: None,
            media: None,
            imagesrcset: None,
            imagesizes: None,
            fetchpriority: None,
            integrity: None,
            link_integrity: None,
            depth: 0,
            bytes: 0,
            file: None,
            immutable: false,
            early: true,
            final_: true,
            push: false,
            cache: RenderCache::default(),
        }
    }

    /// The `Link` value. `nopush` is added when `mark_nopush` is set and this hint must not be pushed.
    pub fn link(&self, mark_nopush: bool) -> LinkValue {
        let mut l = LinkValue::new(&self.url).param("rel", self.rel.as_str());
        if let Some(a) = &self.as_ {
            l = l.param("as", a.clone());
        }
        if let Some(t) = &self.type_ {
            l = l.param("type", t.clone());
        }
        match self.crossorigin.as_deref() {
            None => {}
            Some("") | Some("anonymous") => l = l.flag("crossorigin"),
            Some(v) => l = l.param("crossorigin", v.to_string()),
        }
        if let Some(m) = &self.media {
            l = l.param("media", m.clone());
        }
        if let Some(s) = &self.imagesrcset {
            l = l.param("imagesrcset", s.clone());
        }
        if let Some(s) = &self.imagesizes {
            l = l.param("imagesizes", s.clone());
        }
        if let Some(p) = &self.fetchpriority {
            l = l.param("fetchpriority", p.clone());
        }
        if let Some(i) = &self.link_integrity {
            l = l.param("integrity", i.clone());
        }
        if mark_nopush && !self.push {
            l = l.flag("nopush");
        }
        l
    }

    /// The `Link` value as header text, serialized once per hint; `; nopush` is the last parameter
    /// when `mark_nopush` is set and this hint must not be pushed. Fields must not change after
    /// the first call (the plan is final once built).
    pub fn link_header(&self, mark_nopush: bool) -> Cow<'_, str> {
        let plain = self.cache.link.get_or_init(|| self.link(false).to_header());
        if mark_nopush && !self.push {
            Cow::Owned(format!("{plain}{NOPUSH}"))
        } else {
            Cow::Borrowed(plain)
        }
    }

    /// The length of [`Hint::link_header`]`(true)`, without building it.
    pub fn link_header_len(&self) -> usize {
        let plain = self.link_header(false).len();
        if self.push {
            plain
        } else {
            plain + NOPUSH.len()
        }
    }

    /// This hint's entry in `early-hints.json`, rendered by `render` on first use (pages share hints,
    /// so each is rendered once for all of them).
    pub fn json_entry(&self, render: impl FnOnce(&Hint) -> String) -> &str {
        self.cache.json.get_or_init(|| render(self))
    }

    /// Equal but for `integrity`, `depth`, `bytes` and `push`: what a change to a file's bytes alone
    /// can move (its fingerprint, its size, and so the push budget). Only `early-hints.json` shows
    /// the first three; `push` matters only where push is on.
    pub fn same_link(&self, o: &Hint) -> bool {
        let Hint {
            url,
            rel,
            as_,
            crossorigin,
            type_,
            media,
            imagesrcset,
            imagesizes,
            fetchpriority,
            integrity: _,
            link_integrity,
            depth: _,
            bytes: _,
            file,
            immutable,
            early,
            final_,
            push: _,
            cache: _,
        } = self;
        *url == o.url
            && *rel == o.rel
            && *as_ == o.as_
            && *crossorigin == o.crossorigin
            && *type_ == o.type_
            && *media == o.media
            && *imagesrcset == o.imagesrcset
            && *imagesizes == o.imagesizes
            && *fetchpriority == o.fetchpriority
            && *link_integrity == o.link_integrity
            && *file == o.file
            && *immutable == o.immutable
            && *early == o.early
            && *final_ == o.final_
    }

    /// The `as` value for the legacy push manifest's `type`.
    pub fn push_type(&self) -> &str {
        match self.rel {
            Rel::Modulepreload => "script",
            _ => self.as_.as_deref().unwrap_or("fetch"),
        }
    }
}

/// The hints of one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePlan {
    /// The URL the page is served at: `/` and `/about/` for index pages, `/a.html` otherwise
    /// (with the `--base-url` path prefix).
    pub url: String,
    /// The site-relative file.
    pub file: String,
    /// Hints in priority order (stylesheets, fonts, scripts/modules by depth, then document order).
    /// Shared: pages that hint the same file the same way hold one [`Hint`] (see [`HintPool`]).
    pub hints: Vec<Arc<Hint>>,
}

impl PagePlan {
    /// A page's plan from its own hints.
    pub fn new(url: impl Into<String>, file: impl Into<String>, hints: Vec<Hint>) -> PagePlan {
        PagePlan {
            url: url.into(),
            file: file.into(),
            // Not an in-place collect: that would keep the `Vec<Hint>`'s allocation, which is many
            // times the size of the pointers it ends up holding.
            hints: {
                let mut shared = Vec::with_capacity(hints.len());
                shared.extend(hints.into_iter().map(Arc::new));
                shared
            },
        }
    }

    /// URL paths a server may see for this page: the URL, `…/index.html` for an index page, and with
    /// `clean_urls` the path without `.html` or trailing slash.
    pub fn aliases(&self, clean_urls: bool) -> Vec<String> {
        let mut v = vec![self.url.clone()];
        if self.url.ends_with('/') {
            v.push(format!("{}index.html", self.url));
            if clean_urls && self.url.len() > 1 {
                v.push(self.url.trim_end_matches('/').to_string());
            }
        } else if clean_urls {
            for ext in [".html", ".htm"] {
                if let Some(stem) = self.url.strip_suffix(ext) {
                    v.push(stem.to_string());
                }
            }
        }
        v
    }

    /// Whether the hints (in order) have the same `push` flags.
    pub fn same_pushes(&self, o: &PagePlan) -> bool {
        self.hints.len() == o.hints.len()
            && self
                .hints
                .iter()
                .zip(&o.hints)
                .all(|(a, b)| a.push == b.push)
    }

    /// Equal but for the hints' [`Hint::same_link`] metadata.
    pub fn same_links(&self, o: &PagePlan) -> bool {
        self.url == o.url
            && self.file == o.file
            && self.hints.len() == o.hints.len()
            && self
                .hints
                .iter()
                .zip(&o.hints)
                .all(|(a, b)| Arc::ptr_eq(a, b) || a.same_link(b))
    }

    /// All the hints, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Hint> {
        self.hints.iter().map(|h| &**h)
    }

    /// Hints for the 103 response.
    pub fn early(&self) -> impl Iterator<Item = &Hint> {
        self.iter().filter(|h| h.early)
    }

    /// Hints for the final response's `Link` header.
    pub fn final_(&self) -> impl Iterator<Item = &Hint> {
        self.iter().filter(|h| h.final_)
    }

    /// Hints that may be pushed.
    pub fn pushable(&self) -> impl Iterator<Item = &Hint> {
        self.iter().filter(|h| h.push)
    }
}

/// Equal hints, shared between pages. Most of a site's pages hint the same stylesheets, fonts and
/// scripts, so 10,000 pages with 11 hints each hold about as many distinct hints as files: the plan
/// stays small, and each `Link` value is serialized once ([`Hint::link_header`]) for all the pages.
#[derive(Debug, Default)]
pub struct HintPool(Mutex<rustc_hash::FxHashSet<Arc<Hint>>>);

impl HintPool {
    /// Replaces each of the page's hints with the pooled equal one, pooling those not seen yet.
    pub fn share(&self, page: &mut PagePlan) {
        let mut pool = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for h in page.hints.iter_mut() {
            *h = intern(&mut pool, h);
        }
    }

    /// The pooled hint equal to `hint`, pooling it when there is none.
    pub fn intern(&self, hint: Arc<Hint>) -> Arc<Hint> {
        intern(
            &mut self.0.lock().unwrap_or_else(PoisonError::into_inner),
            &hint,
        )
    }

    /// Forgets the hints no page holds any more.
    pub fn prune(&self) {
        let mut pool = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        pool.retain(|h| Arc::strong_count(h) > 1);
    }
}

// A hint's interior mutability is its render cache, which is not part of its hash or equality.
#[allow(clippy::mutable_key_type)]
fn intern(pool: &mut rustc_hash::FxHashSet<Arc<Hint>>, hint: &Arc<Hint>) -> Arc<Hint> {
    match pool.get(hint) {
        Some(shared) => shared.clone(),
        None => {
            pool.insert(hint.clone());
            hint.clone()
        }
    }
}

/// One file of the site, fingerprinted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asset {
    /// Site-relative path (`/` separators).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// SRI value (`sha256-<base64>` unless `--sri` asked for another).
    pub integrity: String,
    /// MIME type by extension.
    #[serde(rename = "type")]
    pub mime: String,
    /// The name carries a content hash: cache it forever.
    pub immutable: bool,
}

/// Everything the emitters need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Pages by URL.
    pub pages: BTreeMap<String, PagePlan>,
    /// Every file, by URL path (with the base path prefix, not percent-encoded).
    pub assets: BTreeMap<String, Asset>,
    /// A short id of the build's pushable asset set (hex), used to name the push guard cookie value,
    /// so a new build pushes again and an unchanged one does not.
    pub build_id: String,
    /// The base path prefix (`/` or `/app/`).
    pub base_path: String,
}

impl Plan {
    /// Hints over all pages (for summaries).
    pub fn hint_count(&self) -> usize {
        self.pages.values().map(|p| p.hints.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_len_is_the_marked_headers_length() {
        for push in [false, true] {
            let h = Hint {
                as_: Some("font".into()),
                crossorigin: Some(String::new()),
                type_: Some("font/woff2".into()),
                push,
                ..Hint::new("/f.woff2", Rel::Preload)
            };
            assert_eq!(h.link_header_len(), h.link_header(true).len());
            assert_eq!(h.link_header(true).ends_with(NOPUSH), !push);
        }
    }
}
