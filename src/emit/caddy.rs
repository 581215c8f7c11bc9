//! Caddy configuration: `Caddyfile`, a snippet to `import` inside the site block.
//!
//! One `map {path} …` gives every page path the number of its hint set (and every fingerprinted
//! file its cache header), and a second `map` gives each hint set its 103 Link value, its final
//! Link value and whether it pushes; a handful of `route`s then act on the mapped values. A `map`
//! is one hash lookup per request, where one `route` per page would test every page's matcher in
//! turn, and it compares paths case-sensitively, where the `path` matcher ignores case (so
//! `/About.html` and `/about.html` would both fire). Pages share a few hint sets (the 35,950 pages
//! of a `cargo doc` site have 418), so the values are written once per set, not once per page.
//!
//! Facts checked against Caddy 2.6.2 (Debian 12):
//! - `respond 103` inside a `route` sends a real 103 Early Hints with the headers set so far and goes
//!   on to the next handler (h1, h2 and h2c); `encode` before 2.8.0 swallows it.
//! - headers set before the 103 stay on the final response, so the final Link set replaces them
//!   (`header Link …` sets, it does not add). A deletion (`header -Link`) is deferred to the moment
//!   the response is written, so it may only run after the 103 was sent.
//! - `push` pushes the Links of the *first* header block written (the 103 when there is one), every
//!   Link without `nopush`, `modulepreload` included.
//! - the Caddyfile reader replaces `{$NAME}` with environment variables anywhere in the file, even
//!   inside quotes, and `{…}` placeholders are expanded in header and map values; backtick-quoted
//!   tokens take every other character literally. So values are backtick-quoted, and a name or value
//!   holding `{`, `}` or a backtick (with a quote or backslash) is left out with a diagnostic.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::OutputFile;
use super::escape::{self, IMMUTABLE_CACHE_CONTROL, Nopush, PUSH_COOKIE, link_value, unsafe_name};
use crate::config::ServerOptions;
use crate::error::Diagnostic;
use crate::plan::{Hint, Plan};

/// The snippet's file name.
pub const FILE: &str = "Caddyfile";

const TARGET: &str = "Caddy";

/// One map row.
#[derive(Default)]
struct Row<'a> {
    early: Cow<'a, str>,
    final_: Cow<'a, str>,
    push: bool,
    cache: bool,
}

/// Renders the `Caddyfile` snippet, written to `s` as it is rendered (the only file).
pub fn render_to(
    plan: &Plan,
    opts: &ServerOptions,
    diags: &mut Vec<Diagnostic>,
    s: &mut super::Out,
) -> Vec<OutputFile> {
    let push = opts.push;
    let mode = if push {
        Nopush::Unpushable
    } else {
        Nopush::Never
    };
    let pages = escape::page_paths(plan, opts.clean_urls, TARGET, diags);

    let mut by_url: BTreeMap<&str, Row> = BTreeMap::new();
    for page in plan.pages.values() {
        // Caddy pushes from the first header block, so with push on the 103 carries every pushable
        // hint (when a page has any hint for the 103 at all, there is a 103).
        let early: Vec<&Hint> = page
            .iter()
            .filter(|h| h.early || (push && h.push))
            .collect();
        let early = escape::keep_expressible(page, early, TARGET, value_problem, diags);
        let final_ =
            escape::keep_expressible(page, page.final_().collect(), TARGET, value_problem, diags);
        let join = |v: &[&Hint]| {
            v.iter()
                .map(|h| link_value(h, mode))
                .collect::<Vec<_>>()
                .join(", ")
        };
        by_url.insert(
            &page.url,
            Row {
                early: join(&early).into(),
                final_: join(&final_).into(),
                push: push && early.iter().any(|h| h.push),
                cache: false,
            },
        );
    }

    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for (path, page) in &pages {
        let Some(r) = by_url.get(page.url.as_str()) else {
            continue;
        };
        if r.early.is_empty() && r.final_.is_empty() {
            continue;
        }
        if quote(path).is_none() {
            diags.push(unsafe_name(
                &page.file,
                TARGET,
                &format!(
                    "the page path {} holds `{{`, `}}` or a backtick with a quote or backslash",
                    escape::shown(path)
                ),
            ));
            continue;
        }
        rows.insert(
            path.clone(),
            Row {
                early: Cow::Borrowed(&r.early),
                final_: Cow::Borrowed(&r.final_),
                push: r.push,
                cache: false,
            },
        );
    }
    for url in escape::immutable_paths(plan, TARGET, diags) {
        if quote(&url).is_none() {
            diags.push(unsafe_name(
                url.trim_start_matches('/'),
                TARGET,
                &format!(
                    "the file name {} holds `{{`, `}}` or a backtick with a quote or backslash",
                    escape::shown(&url)
                ),
            ));
            continue;
        }
        rows.entry(url).or_default().cache = true;
    }

    // Hint sets are numbered in the order of the first path that has one.
    let mut sets: BTreeMap<(&str, &str, bool), usize> = BTreeMap::new();
    let mut order: Vec<(&str, &str, bool)> = Vec::new();
    s.push_str(&header(push));
    s.push_str("map {path} {hintgen_set} {hintgen_cache} {\n");
    for (path, r) in &rows {
        let set = if r.early.is_empty() && r.final_.is_empty() {
            "\"\"".to_string()
        } else {
            let key = (&*r.early, &*r.final_, r.push);
            let next = sets.len() + 1;
            let n = *sets.entry(key).or_insert_with(|| {
                order.push(key);
                next
            });
            n.to_string()
        };
        let cache = if r.cache { IMMUTABLE_CACHE_CONTROL } else { "" };
        let _ = writeln!(
            s,
            "\t{} {set} {}",
            quote(path).unwrap_or_default(),
            quote(cache).unwrap_or_default(),
        );
    }
    s.push_str("\tdefault \"\" \"\"\n}\n\n");
    s.push_str("map {hintgen_set} {hintgen_early} {hintgen_final} {hintgen_push} {\n");
    for (n, (early, final_, pushes)) in order.iter().enumerate() {
        let _ = writeln!(
            s,
            "\t{} {} {} {}",
            n + 1,
            quote(early).unwrap_or_default(),
            quote(final_).unwrap_or_default(),
            if *pushes { "1" } else { "\"\"" },
        );
    }
    s.push_str("\tdefault \"\" \"\" \"\"\n}\n\n");
    s.push_str(
        "@hintgen_early not vars {hintgen_early} \"\"\n\
         @hintgen_final not vars {hintgen_final} \"\"\n\
         @hintgen_no_final vars {hintgen_final} \"\"\n\
         @hintgen_cache not vars {hintgen_cache} \"\"\n\n",
    );
    if push {
        let _ = write!(
            s,
            "# Push only while the visitor lacks this build's guard cookie.\n\
             @hintgen_push {{\n\tvars {{hintgen_push}} 1\n\tnot vars {{http.request.cookie.{PUSH_COOKIE}}} {}\n}}\n\
             push @hintgen_push\n\n",
            escape::push_cookie_value(plan)
        );
    }
    s.push_str(
        "# 103 Early Hints, then the final response's Link set replaces the 103's (Caddy keeps\n\
         # headers set before the 103); `-Link` is deferred, so it only touches the final response.\n\
         route @hintgen_early {\n\
         \theader Link {hintgen_early}\n\
         \trespond 103\n\
         \theader @hintgen_no_final -Link\n\
         }\n\
         route @hintgen_final {\n\
         \theader Link {hintgen_final}\n\
         }\n",
    );
    if push {
        let _ = write!(
            s,
            "route @hintgen_push {{\n\theader Set-Cookie {}\n}}\n",
            quote(&escape::push_set_cookie(plan)).unwrap_or_default()
        );
    }
    s.push_str("header @hintgen_cache Cache-Control {hintgen_cache}\n");
    Vec::new()
}

fn header(push: bool) -> String {
    let mut s = String::from(
        "# Generated by hintgen: do not edit (re-run `hintgen build` instead).\n\
         #\n\
         # Caddy snippet: per-page 103 Early Hints and Link headers, and Cache-Control for\n\
         # fingerprinted files. Import it inside the site block, next to file_server:\n\
         #\n\
         #     example.com {\n\
         #         root * /srv/site\n\
         #         import /path/to/hintgen-out/Caddyfile\n\
         #         file_server\n\
         #     }\n\
         #\n\
         # Needs Caddy >= 2.6 (tested with 2.6.2). Browsers use a 103 only over HTTP/2 and later, and\n\
         # only the first one. Before Caddy 2.8.0 the `encode` directive swallows the 103: leave\n\
         # `encode` out of this site, or upgrade. The path is compared case-sensitively with the\n\
         # decoded request path; `/about/` and `/about/index.html` are both listed.\n",
    );
    if push {
        s.push_str(
            "# Push is on: Caddy pushes every Link without `nopush` of the first response it writes\n\
             # (the 103 here), and only while the visitor lacks this build's guard cookie, which the\n\
             # response sets. Chrome 106 and Firefox 132 removed push.\n",
        );
    }
    s.push('\n');
    s
}

/// Why a Link value cannot be written: placeholders and environment variables use braces.
fn value_problem(text: &str) -> Option<&'static str> {
    if text.contains(['{', '}']) {
        Some("holds `{` or `}`, which Caddy reads as a placeholder")
    } else if quote_mark(text).is_none() {
        Some("holds a backtick together with a quote or backslash")
    } else {
        None
    }
}

/// A Caddyfile token that reads back as exactly `s`: backtick-quoted (no escapes at all), or
/// double-quoted when `s` holds a backtick but no `"` or `\` (Caddy 2.6 unescapes only `\"`).
/// `None` for braces (placeholders, `{$ENV}`), control characters, or a backtick with `"`/`\`.
fn quote(s: &str) -> Option<String> {
    quote_mark(s).map(|q| format!("{q}{s}{q}"))
}

/// The quote [`quote`] puts around `s`, without building the token.
fn quote_mark(s: &str) -> Option<char> {
    if s.bytes().any(|b| matches!(b, b'{' | b'}')) || escape::has_unsafe_char(s) {
        None
    } else if s.is_empty() {
        Some('"')
    } else if !s.contains('`') {
        Some('`')
    } else if !s.contains(['"', '\\']) {
        Some('"')
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PagePlan, Rel};

    fn hint(url: &str, rel: Rel, as_: Option<&str>, early: bool, final_: bool) -> Hint {
        Hint {
            as_: as_.map(String::from),
            depth: 1,
            bytes: 10,
            early,
            final_,
            ..Hint::new(url, rel)
        }
    }

    #[test]
    fn snippet() {
        let mut pages = BTreeMap::new();
        pages.insert(
            "/".to_string(),
            PagePlan::new(
                "/",
                "index.html",
                vec![
                    hint("/a.css", Rel::Preload, Some("style"), true, true),
                    hint("/f.woff2", Rel::Preload, Some("font"), true, false),
                ],
            ),
        );
        pages.insert(
            "/{$HOME}.html".to_string(),
            PagePlan::new(
                "/{$HOME}.html",
                "{$HOME}.html",
                vec![hint("/a.css", Rel::Preload, Some("style"), true, true)],
            ),
        );
        let plan = Plan {
            pages,
            build_id: "ff".into(),
            base_path: "/".into(),
            ..Plan::default()
        };
        let mut diags = Vec::new();
        let out = crate::emit::server_files(
            crate::config::Artifact::Caddy,
            &plan,
            &ServerOptions::default(),
            &mut diags,
        );
        let text = String::from_utf8(out[0].bytes.clone()).unwrap();
        let body = text.split("\n\n").skip(1).collect::<Vec<_>>().join("\n\n");
        insta::assert_snapshot!(body, @r#"
        map {path} {hintgen_set} {hintgen_cache} {
        	`/` 1 ""
        	`/index.html` 1 ""
        	default "" ""
        }

        map {hintgen_set} {hintgen_early} {hintgen_final} {hintgen_push} {
        	1 `</a.css>; rel=preload; as=style, </f.woff2>; rel=preload; as=font` `</a.css>; rel=preload; as=style` ""
        	default "" "" ""
        }

        @hintgen_early not vars {hintgen_early} ""
        @hintgen_final not vars {hintgen_final} ""
        @hintgen_no_final vars {hintgen_final} ""
        @hintgen_cache not vars {hintgen_cache} ""

        # 103 Early Hints, then the final response's Link set replaces the 103's (Caddy keeps
        # headers set before the 103); `-Link` is deferred, so it only touches the final response.
        route @hintgen_early {
        	header Link {hintgen_early}
        	respond 103
        	header @hintgen_no_final -Link
        }
        route @hintgen_final {
        	header Link {hintgen_final}
        }
        header @hintgen_cache Cache-Control {hintgen_cache}
        "#);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].message.contains("{$HOME}"));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\\c").as_deref(), Some("`a\"b\\c`"));
        assert_eq!(quote("a`b").as_deref(), Some("\"a`b\""));
        assert_eq!(quote("a`\"b"), None);
        assert_eq!(quote("{path}"), None);
        assert_eq!(quote("a\nb"), None);
    }
}
