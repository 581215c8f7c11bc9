//! Apache httpd configuration: `apache/hintgen.conf`, a file to `Include` inside the
//! `<VirtualHost>` that serves the site.
//!
//! One `<LocationMatch>` per hint set (the paths of the pages that share it as one anchored regex,
//! split to keep lines short) with `Header add Link` lines for the final response and, for
//! httpd 2.4.58 and later, `H2EarlyHint Link` lines that mod_http2 sends as a 103 over h2/h2c
//! (`H2EarlyHints on`). httpd tests every `<LocationMatch>` on each request, so pages share
//! blocks: the 35,950 pages of a `cargo doc` site have 418 hint sets. Fingerprinted files get
//! `Cache-Control` from `<LocationMatch>` blocks that list them.
//!
//! Facts checked against httpd 2.4.71 with mod_http2 2.0.42 (Debian 12):
//! - `<LocationMatch>` compares the decoded path; the patterns here spell every ASCII character
//!   that is not a letter, digit, `/`, `_` or `-` as `\xHH`, so no quote, `$`, `{` or `>` reaches
//!   the config line.
//! - several `H2EarlyHint` lines arrive as one comma-joined `link` header in the 103.
//! - for a directory request (`/about/`) mod_dir looks `index.html` up in a sub-request whose
//!   fixups run mod_http2's hook too, so every `H2EarlyHint` is sent twice. A mod_rewrite rule that
//!   maps the page's `/about/` to `/about/index.html` before mod_dir runs avoids that (it is wrapped
//!   in `<IfModule rewrite_module>`; without mod_rewrite the 103 just repeats each Link).
//! - `H2Push` is on by default and pushes every `rel=preload` Link without `nopush` (not
//!   `modulepreload`), so push must be turned off explicitly unless asked for.
//! - `Header` values are format strings: `%` starts a format tag (`%%` is a literal `%`) and `\`
//!   escapes (`\n` would be a newline), and the config reader unescapes `\\` and `\"` inside quotes.

use std::fmt::Write as _;

use super::OutputFile;
use super::escape::{
    self, IMMUTABLE_CACHE_CONTROL, Nopush, PUSH_COOKIE, at_least, chunk_by_len, link_value,
    regex_literal,
};
use crate::config::ServerOptions;
use crate::error::Diagnostic;
use crate::plan::Plan;

/// The snippet's file name.
pub const FILE: &str = "apache/hintgen.conf";

const TARGET: &str = "Apache";

/// Longest regex written in one `<LocationMatch>` (httpd reads config lines up to 8 KiB).
const MAX_PATTERN: usize = 2000;

/// Renders `apache/hintgen.conf`, written to `s` as it is rendered (the only file).
pub fn render_to(
    plan: &Plan,
    opts: &ServerOptions,
    diags: &mut Vec<Diagnostic>,
    s: &mut super::Out,
) -> Vec<OutputFile> {
    let push = opts.push;
    let early_hints = at_least(&opts.apache_version, &[2, 4, 58]);
    let mode = if push {
        Nopush::Unpushable
    } else {
        Nopush::Never
    };
    let paths = escape::page_paths(plan, opts.clean_urls, TARGET, diags);
    if push {
        escape::note_unpushable_modules(plan, TARGET, diags);
    }

    // Each hint set's paths (as regex literals), in the order of the pages and their aliases; the
    // blocks are written after the head, which needs to know the index pages.
    struct Block<'p> {
        paths: Vec<String>,
        early: Vec<&'p crate::plan::Hint>,
        final_: Vec<&'p crate::plan::Hint>,
    }
    let mut blocks: Vec<Block> = Vec::new();
    // Sets by their hints' identity: equal hints are one pooled value ([`crate::plan::HintPool`]),
    // so pages with the same hints hold the same pointers, and no Link text is kept twice.
    type SetKey = (Vec<*const crate::plan::Hint>, Vec<*const crate::plan::Hint>);
    let mut set_of: std::collections::HashMap<SetKey, usize> = std::collections::HashMap::new();
    let mut index_pages: Vec<String> = Vec::new();
    let mut any_early = false;
    let cookie = escape::push_cookie_value(plan);
    let has_cookie = format!("/(?:^|;\\s*){PUSH_COOKIE}={cookie}(?:;|$)/");
    for page in plan.pages.values() {
        let aliases: Vec<String> = page
            .aliases(opts.clean_urls)
            .iter()
            .filter_map(|a| escape::decoded_path(a).ok())
            .filter(|a| paths.get(a).is_some_and(|p| p.url == page.url))
            .collect();
        if aliases.is_empty() {
            continue;
        }
        let early = if early_hints {
            escape::keep_expressible(page, page.early().collect(), TARGET, value_problem, diags)
        } else {
            Vec::new()
        };
        let final_ = escape::final_with_pushes(page, push);
        let final_ = escape::keep_expressible(page, final_, TARGET, value_problem, diags);
        if early.is_empty() && final_.is_empty() {
            continue;
        }
        if !early.is_empty() {
            any_early = true;
            if let Ok(own) = escape::decoded_path(&page.url)
                && own.ends_with('/')
                && !own.contains('?')
                && aliases.contains(&own)
            {
                index_pages.push(own);
            }
        }
        let ids = |hints: &[&crate::plan::Hint]| -> Vec<*const crate::plan::Hint> {
            hints.iter().map(|h| std::ptr::from_ref(*h)).collect()
        };
        let literals = aliases.iter().map(|a| regex_literal(a));
        match set_of.entry((ids(&early), ids(&final_))) {
            std::collections::hash_map::Entry::Occupied(e) => {
                blocks[*e.get()].paths.extend(literals);
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(blocks.len());
                blocks.push(Block {
                    paths: literals.collect(),
                    early,
                    final_,
                });
            }
        }
    }

    s.push_str(&header(push, early_hints));
    s.push_str("<IfModule http2_module>\n");
    let _ = writeln!(s, "    H2Push {}", if push { "on" } else { "off" });
    if any_early {
        s.push_str("    H2EarlyHints on\n");
    }
    s.push_str("</IfModule>\n");
    if !index_pages.is_empty() {
        s.push_str(
            "\n# Serve /dir/ as /dir/index.html before mod_dir's sub-request, which would send every\n\
             # H2EarlyHint twice. Only the pages listed; the query string is kept.\n\
             <IfModule rewrite_module>\n    RewriteEngine On\n",
        );
        let pats: Vec<String> = index_pages.iter().map(|p| regex_literal(p)).collect();
        for chunk in chunk_by_len(pats, MAX_PATTERN) {
            // mod_rewrite reads its arguments itself and keeps backslashes as written (unlike
            // `<LocationMatch>`), and the pattern holds no quote or space to escape.
            let _ = writeln!(
                s,
                "    RewriteRule \"^(?:{})$\" \"$0index.html\" [PT]",
                chunk.join("|")
            );
        }
        s.push_str("</IfModule>\n");
    }
    let chunks = blocks.into_iter().flat_map(|b| {
        let (early, final_) = (b.early, b.final_);
        chunk_by_len(b.paths, MAX_PATTERN)
            .into_iter()
            .map(move |chunk| (chunk, early.clone(), final_.clone()))
    });
    for (chunk, early, final_) in chunks {
        let (early, final_) = (&early, &final_);
        let pattern = format!("^(?:{})$", chunk.join("|"));
        let _ = writeln!(s, "\n<LocationMatch {}>", quote(&pattern));
        if !early.is_empty() {
            s.push_str("    <IfModule http2_module>\n");
            for h in early {
                let _ = writeln!(
                    s,
                    "        H2EarlyHint Link {}",
                    quote(&link_value(h, mode))
                );
            }
            s.push_str("    </IfModule>\n");
        }
        for h in final_ {
            let _ = writeln!(
                s,
                "    Header add Link {}",
                quote(&header_format(&link_value(h, mode)))
            );
        }
        if push && pushes(final_) {
            let _ = write!(
                s,
                "    # Push once per build: not to a visitor whose guard cookie names this build.\n    \
                 Header add Set-Cookie {} {}\n    <If {}>\n        <IfModule http2_module>\n            \
                 H2Push off\n        </IfModule>\n    </If>\n",
                quote(&header_format(&escape::push_set_cookie(plan))),
                quote(&format!("expr=%{{HTTP_COOKIE}} !~ {has_cookie}")),
                quote(&format!("%{{HTTP_COOKIE}} =~ {has_cookie}")),
            );
        }
        s.push_str("</LocationMatch>\n");
    }
    let immutable: Vec<String> = escape::immutable_paths(plan, TARGET, diags)
        .iter()
        .map(|p| regex_literal(p))
        .collect();
    if !immutable.is_empty() {
        s.push_str(
            "\n# Fingerprinted files: the name changes with the content, so cache forever.\n",
        );
    }
    for chunk in chunk_by_len(immutable, MAX_PATTERN) {
        let _ = write!(
            s,
            "<LocationMatch {}>\n    Header set Cache-Control {}\n</LocationMatch>\n",
            quote(&format!("^(?:{})$", chunk.join("|"))),
            quote(IMMUTABLE_CACHE_CONTROL)
        );
    }
    Vec::new()
}

/// Whether mod_http2 pushes anything for these final Links (it pushes `rel=preload` only).
fn pushes(final_: &[&crate::plan::Hint]) -> bool {
    final_
        .iter()
        .any(|h| h.push && h.rel == crate::plan::Rel::Preload)
}

fn header(push: bool, early_hints: bool) -> String {
    let mut s = String::from(
        "# Generated by hintgen: do not edit (re-run `hintgen build` instead).\n\
         #\n\
         # Apache httpd snippet: per-page Link headers, 103 Early Hints and Cache-Control for\n\
         # fingerprinted files. Include it inside the <VirtualHost> that serves the site:\n\
         #\n\
         #     <VirtualHost *:443>\n\
         #         Protocols h2 http/1.1\n\
         #         DocumentRoot /srv/site\n\
         #         Include /path/to/hintgen-out/apache/hintgen.conf\n\
         #     </VirtualHost>\n\
         #\n\
         # Needs mod_headers (a2enmod headers). mod_http2 gives HTTP/2, 103 Early Hints (httpd >= 2.4.58,\n\
         # over h2/h2c only) and push; mod_rewrite keeps the 103 of directory pages (/about/) from\n\
         # repeating each Link.\n",
    );
    if !early_hints {
        s.push_str(
            "# Written for httpd < 2.4.58 (`apache-version`): no 103, only the final response's Links.\n",
        );
    }
    if push {
        s.push_str(
            "# Push is on: mod_http2 pushes the rel=preload Links without `nopush`, only while the\n\
             # visitor lacks this build's guard cookie. Chrome 106 and Firefox 132 removed push.\n",
        );
    } else {
        s.push_str("# Push is off (mod_http2 would push every rel=preload Link by default).\n");
    }
    s.push('\n');
    s
}

/// Why a Link value cannot be written: `${` would be read as a config variable.
fn value_problem(text: &str) -> Option<&'static str> {
    if text.contains('$') {
        Some("holds `$`, which httpd's config reader expands as a variable")
    } else if escape::has_unsafe_char(text) {
        Some("holds a control character")
    } else {
        None
    }
}

/// Escapes a literal for a mod_headers format string: `%` → `%%`, `\` → `\\`.
fn header_format(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "%%")
}

/// A double-quoted config argument: httpd unescapes `\"` and `\\` inside quotes.
fn quote(s: &str) -> String {
    escape::backslash_quoted(s, '"')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Asset, Hint, PagePlan, Rel};
    use std::collections::BTreeMap;

    fn hint(url: &str, as_: &str, early: bool, final_: bool, push: bool) -> Hint {
        Hint {
            as_: Some(as_.into()),
            depth: 1,
            bytes: 10,
            early,
            final_,
            push,
            ..Hint::new(url, Rel::Preload)
        }
    }

    fn plan() -> Plan {
        let mut pages = BTreeMap::new();
        pages.insert(
            "/about/".to_string(),
            PagePlan::new(
                "/about/",
                "about/index.html",
                vec![
                    hint("/a b%.css", "style", true, true, true),
                    hint("/f.woff2", "font", true, false, false),
                ],
            ),
        );
        let mut assets = BTreeMap::new();
        assets.insert(
            "/x-12345678.js".to_string(),
            Asset {
                path: "x-12345678.js".into(),
                size: 1,
                sha256: String::new(),
                integrity: String::new(),
                mime: "text/javascript".into(),
                immutable: true,
            },
        );
        Plan {
            pages,
            assets,
            build_id: "beef".into(),
            base_path: "/".into(),
        }
    }

    #[test]
    fn snippet() {
        let out = crate::emit::server_files(
            crate::config::Artifact::Apache,
            &plan(),
            &ServerOptions::default(),
            &mut Vec::new(),
        );
        let text = String::from_utf8(out[0].bytes.clone()).unwrap();
        let body = text.split("\n\n").skip(1).collect::<Vec<_>>().join("\n\n");
        insta::assert_snapshot!(body, @r#"
        <IfModule http2_module>
            H2Push off
            H2EarlyHints on
        </IfModule>

        # Serve /dir/ as /dir/index.html before mod_dir's sub-request, which would send every
        # H2EarlyHint twice. Only the pages listed; the query string is kept.
        <IfModule rewrite_module>
            RewriteEngine On
            RewriteRule "^(?:/about/)$" "$0index.html" [PT]
        </IfModule>

        <LocationMatch "^(?:/about/|/about/index\\x2ehtml)$">
            <IfModule http2_module>
                H2EarlyHint Link "</a%20b%25.css>; rel=preload; as=style"
                H2EarlyHint Link "</f.woff2>; rel=preload; as=font"
            </IfModule>
            Header add Link "</a%%20b%%25.css>; rel=preload; as=style"
        </LocationMatch>

        # Fingerprinted files: the name changes with the content, so cache forever.
        <LocationMatch "^(?:/x-12345678\\x2ejs)$">
            Header set Cache-Control "public, max-age=31536000, immutable"
        </LocationMatch>
        "#);
    }

    #[test]
    fn push_and_old_versions() {
        let opts = ServerOptions {
            push: true,
            apache_version: "2.4.57".into(),
            ..ServerOptions::default()
        };
        let out = crate::emit::server_files(
            crate::config::Artifact::Apache,
            &plan(),
            &opts,
            &mut Vec::new(),
        );
        let text = String::from_utf8(out[0].bytes.clone()).unwrap();
        assert!(!text.contains("H2EarlyHint Link"));
        assert!(!text.contains("RewriteRule"));
        assert!(text.contains("    H2Push on\n"));
        assert!(text.contains(
            "Header add Set-Cookie \"hintgen_push=beef; Path=/; Max-Age=2592000; Secure; HttpOnly; \
             SameSite=Lax\" \"expr=%{HTTP_COOKIE} !~ /(?:^|;\\\\s*)hintgen_push=beef(?:;|$)/\""
        ), "{text}");
    }
}
