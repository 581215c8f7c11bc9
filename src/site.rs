//! URLs ↔ site files, with WHATWG URL semantics (the `url` crate).
//!
//! Every page and file has a URL under the site's origin and base path. References are resolved against
//! the referring document's base (the page URL, or its `<base href>`; a stylesheet's or module's own URL),
//! which clamps `..` at the root exactly as browsers do, so `../../etc/passwd` becomes the missing file
//! `/etc/passwd` *inside* the site, never a path outside it. A URL is mapped to a file by dropping the
//! query and fragment, stripping the base path, percent-decoding, and turning `/dir/` into
//! `/dir/index.html`; existence is looked up in the walked file list, never on disk.

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use url::Url;

use crate::config::BaseUrl;

/// The origin used when `--base-url` gives none. `.invalid` is reserved (RFC 2606), so it can never
/// collide with a real host a page names.
pub const DEFAULT_ORIGIN: &str = "https://site.invalid";

/// Characters percent-encoded when a file path becomes a URL path: what the URL path parser would
/// encode, plus `%`, `?` and `#`, which would otherwise change the URL's meaning.
const PATH_ENCODE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// A path under the site: `file` is the site-relative file path (it may not exist), `url` the
    /// root-relative URL with the exact query and no fragment.
    Site {
        /// Site-relative path, `/` separators.
        file: String,
        /// `/path?query`, serialized by the URL parser.
        url: String,
    },
    /// Another origin (`https://cdn.example/x.js`, `//fonts.example/a.woff2`).
    External {
        /// The full URL without fragment.
        url: String,
        /// `scheme://host[:port]`.
        origin: String,
    },
    /// Same origin, but outside the base path (`--base-url /app/` and a reference to `/other/x.css`).
    OutsideBase {
        /// The URL path.
        url: String,
    },
    /// Not something fetched from a server: `data:`, `javascript:`, `mailto:`, `blob:`, `about:`, …
    NotAFile,
    /// An import specifier that is neither a URL nor a relative path (`vue`); needs an import map.
    Bare(String),
    /// The reference does not parse as a URL.
    Invalid(String),
}

/// The site's URL space.
#[derive(Debug, Clone)]
pub struct UrlSpace {
    origin: Url,
    base_path: String,
}

impl UrlSpace {
    /// The URL space for a base URL.
    pub fn new(base: &BaseUrl) -> Self {
        let origin = Url::parse(base.origin.as_deref().unwrap_or(DEFAULT_ORIGIN))
            .unwrap_or_else(|_| Url::parse(DEFAULT_ORIGIN).expect("valid default origin"));
        UrlSpace {
            origin,
            base_path: base.path.clone(),
        }
    }

    /// The base path (`/` or `/app/`).
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// The root-relative URL of a site file: base path + the percent-encoded relative path.
    pub fn file_url(&self, rel_path: &str) -> String {
        format!(
            "{}{}",
            self.base_path,
            utf8_percent_encode(rel_path, PATH_ENCODE)
        )
    }

    /// The URL a page is served at: `dir/index.html` → `/dir/`, others as [`Self::file_url`].
    pub fn page_url(&self, rel_path: &str) -> String {
        match rel_path.strip_suffix("index.html") {
            Some(dir) if dir.is_empty() || dir.ends_with('/') => self.file_url(dir),
            _ => self.file_url(rel_path),
        }
    }

    /// The absolute URL of a site file, used as the base for its own references.
    pub fn absolute(&self, root_relative: &str) -> Url {
        self.origin
            .join(root_relative)
            .unwrap_or_else(|_| self.origin.clone())
    }

    /// The base URL of a document: its own URL, or its `<base href>` resolved against it when that is
    /// an http(s) URL.
    pub fn document_base(&self, doc: &Url, base_href: Option<&str>) -> Url {
        match base_href.map(|h| doc.join(h.trim())) {
            Some(Ok(u)) if u.scheme() == "http" || u.scheme() == "https" => u,
            _ => doc.clone(),
        }
    }

    /// The URL the references of the site file `rel` resolve against: a page's (`html`) own URL or
    /// its `<base href>`, another file's URL.
    pub fn base_of(&self, rel: &str, html: bool, base_href: Option<&str>) -> Url {
        if html {
            self.document_base(&self.absolute(&self.page_url(rel)), base_href)
        } else {
            self.absolute(&self.file_url(rel))
        }
    }

    /// Resolves a reference as written against a base URL.
    pub fn resolve(&self, base: &Url, raw: &str) -> Target {
        let raw = raw.trim_matches(|c: char| c.is_ascii_whitespace());
        if raw.is_empty() {
            return Target::Invalid(String::new());
        }
        let url = match base.join(raw) {
            Ok(u) => u,
            Err(e) => return Target::Invalid(e.to_string()),
        };
        self.classify(url)
    }

    /// Resolves an ES-module specifier: relative (`./`, `../`, `/`) and absolute URLs resolve like any
    /// URL; anything else is bare. The import map, when given, maps bare specifiers first.
    pub fn resolve_specifier(
        &self,
        base: &Url,
        spec: &str,
        import_map: Option<(&BTreeMap<String, String>, &Url)>,
    ) -> Target {
        if let Some((map, map_base)) = import_map
            && let Some(mapped) = map_lookup(map, spec)
        {
            return self.resolve(map_base, &mapped);
        }
        let relative = spec.starts_with('/') || spec.starts_with("./") || spec.starts_with("../");
        if relative || Url::parse(spec).is_ok() {
            self.resolve(base, spec)
        } else {
            Target::Bare(spec.to_string())
        }
    }

    fn classify(&self, mut url: Url) -> Target {
        match url.scheme() {
            "http" | "https" => {}
            _ => return Target::NotAFile,
        }
        url.set_fragment(None);
        // The origin compared part by part: `Url::origin` builds a new value (with the host copied)
        // on each call, and every reference of the site comes through here.
        let same_origin = url.scheme() == self.origin.scheme()
            && url.host() == self.origin.host()
            && url.port_or_known_default() == self.origin.port_or_known_default();
        if !same_origin {
            return Target::External {
                origin: url.origin().ascii_serialization(),
                url: url.to_string(),
            };
        }
        let path = url.path();
        let root_relative = match url.query() {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        };
        let Some(inner) = path.strip_prefix(&self.base_path).or_else(|| {
            // `/app` itself, without the slash, is the base path's index page.
            (format!("{path}/") == self.base_path).then_some("")
        }) else {
            return Target::OutsideBase { url: root_relative };
        };
        let decoded = percent_decode_str(inner).decode_utf8_lossy();
        let mut file = decoded.into_owned();
        // Servers map an empty segment away (nginx merges slashes, a path on disk skips them):
        // `images//left.png` is the file `images/left.png`, at the URL as written.
        let bytes = file.as_bytes();
        if bytes.first() == Some(&b'/')
            || memchr::memchr_iter(b'/', bytes).any(|i| bytes.get(i + 1) == Some(&b'/'))
        {
            let mut merged = String::with_capacity(file.len());
            for c in file.chars() {
                if c != '/' || !(merged.is_empty() || merged.ends_with('/')) {
                    merged.push(c);
                }
            }
            file = merged;
        }
        if file.is_empty() || file.ends_with('/') {
            file.push_str("index.html");
        }
        Target::Site {
            file,
            url: root_relative,
        }
    }
}

/// Import-map lookup: an exact key, else the longest key ending in `/` that prefixes the specifier.
fn map_lookup(map: &BTreeMap<String, String>, spec: &str) -> Option<String> {
    if let Some(v) = map.get(spec) {
        return Some(v.clone());
    }
    map.iter()
        .filter(|(k, _)| k.ends_with('/') && spec.starts_with(k.as_str()))
        .max_by_key(|(k, _)| k.len())
        .map(|(k, v)| format!("{v}{}", &spec[k.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(base: &str) -> UrlSpace {
        UrlSpace::new(&BaseUrl::parse(base).unwrap())
    }

    fn site(file: &str, url: &str) -> Target {
        Target::Site {
            file: file.into(),
            url: url.into(),
        }
    }

    #[test]
    fn page_and_file_urls() {
        let s = space("/");
        assert_eq!(s.page_url("index.html"), "/");
        assert_eq!(s.page_url("a/index.html"), "/a/");
        assert_eq!(s.page_url("a/xindex.html"), "/a/xindex.html");
        assert_eq!(s.file_url("a b/c#d?.png"), "/a%20b/c%23d%3F.png");
        assert_eq!(space("/app/").page_url("index.html"), "/app/");
    }

    #[test]
    fn resolves_like_a_browser() {
        let s = space("/");
        let page = s.absolute("/blog/post/index.html");
        assert_eq!(
            s.resolve(&page, "../x.css"),
            site("blog/x.css", "/blog/x.css")
        );
        assert_eq!(
            s.resolve(&page, "/a.png?v=1#frag"),
            site("a.png", "/a.png?v=1")
        );
        assert_eq!(
            s.resolve(&page, "../../../../etc/passwd"),
            site("etc/passwd", "/etc/passwd")
        );
        assert_eq!(
            s.resolve(&page, "/docs/"),
            site("docs/index.html", "/docs/")
        );
        // Empty segments name no folder: the file is served at the URL as written.
        assert_eq!(
            s.resolve(&page, "images//left.png"),
            site("blog/post/images/left.png", "/blog/post/images//left.png")
        );
        assert_eq!(
            s.resolve(&page, "/docs//"),
            site("docs/index.html", "/docs//")
        );
        assert_eq!(
            space("/app/").resolve(&page, "/app//x.css"),
            site("x.css", "/app//x.css")
        );
        assert_eq!(
            s.resolve(&page, "caf%C3%A9 1.png"),
            site("blog/post/café 1.png", "/blog/post/caf%C3%A9%201.png")
        );
        assert_eq!(
            s.resolve(&page, "café.png"),
            site("blog/post/café.png", "/blog/post/caf%C3%A9.png")
        );
        assert_eq!(
            s.resolve(&page, "data:image/png;base64,xx"),
            Target::NotAFile
        );
        assert_eq!(s.resolve(&page, "javascript:void(0)"), Target::NotAFile);
        assert_eq!(s.resolve(&page, "mailto:a@b"), Target::NotAFile);
        assert!(matches!(
            s.resolve(&page, "//cdn.example/x.js"),
            Target::External { origin, .. } if origin == "https://cdn.example"
        ));
        assert!(matches!(
            s.resolve(&page, "http://[::1"),
            Target::Invalid(_)
        ));
    }

    #[test]
    fn base_path() {
        let s = space("/app/");
        let page = s.absolute("/app/index.html");
        assert_eq!(s.resolve(&page, "x.css"), site("x.css", "/app/x.css"));
        assert_eq!(
            s.resolve(&page, "/other.css"),
            Target::OutsideBase {
                url: "/other.css".into()
            }
        );
        assert_eq!(s.resolve(&page, "/app"), site("index.html", "/app"));
    }

    #[test]
    fn base_href_and_specifiers() {
        let s = space("/");
        let page = s.absolute("/a/index.html");
        let base = s.document_base(&page, Some("/static/"));
        assert_eq!(
            s.resolve(&base, "x.js"),
            site("static/x.js", "/static/x.js")
        );
        assert_eq!(s.document_base(&page, Some("javascript:x")), page);
        let map: BTreeMap<String, String> = [
            ("vue".to_string(), "/vendor/vue.js".to_string()),
            ("lib/".to_string(), "./libs/".to_string()),
        ]
        .into();
        let m = s.absolute("/m/main.js");
        assert_eq!(
            s.resolve_specifier(&m, "vue", Some((&map, &page))),
            site("vendor/vue.js", "/vendor/vue.js")
        );
        assert_eq!(
            s.resolve_specifier(&m, "lib/x.js", Some((&map, &page))),
            site("a/libs/x.js", "/a/libs/x.js")
        );
        assert_eq!(
            s.resolve_specifier(&m, "react", None),
            Target::Bare("react".into())
        );
        assert_eq!(
            s.resolve_specifier(&m, "./y.js", None),
            site("m/y.js", "/m/y.js")
        );
    }
}
