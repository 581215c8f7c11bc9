//! h2o configuration: `h2o.conf`, a YAML mapping of path-level directives to merge into the path
//! that serves the site, and with push `h2o-host.conf`, host-level directives.
//!
//! h2o 2.2 can neither match a `header.add` to one exact path (`paths:` entries are prefixes, and
//! each needs its own handler) nor send a 103. So the Links come from an `mruby.handler` that
//! looks the request path up in a table and returns status 399 with the headers: h2o then hands
//! the request to the next handler (`file.dir`) and keeps those headers on its response, and
//! pushes the `rel=preload` Links without `nopush` among them — the only way h2o 2.2 pushes for
//! a file it serves itself. Documented in <https://h2o.examp1e.net/configure/mruby.html>.
//!
//! Facts checked against h2o 2.2.5 (Debian 12):
//! - `PATH_INFO` is the raw request path (not percent-decoded), so the handler decodes `%XX`
//!   before the lookup; the table holds decoded paths.
//! - `http2-push-preload` is ON by default, so Links are marked `nopush` unless push is on; it and
//!   `http2-casper` are host-level (not path-level) directives, hence `h2o-host.conf`.
//! - `<<: !file …` merges a mapping from another file.
//!
//! For h2o >= 2.3 (`h2o-version`), the handler also sends the page's early hints as a 103 through
//! `env['rack.early_hints']` (h2o's mruby API for 103, added with `header.add … when: early`).
//! Paths and values are Ruby single-quoted strings (only `\\` and `\'` are escapes) inside a YAML
//! literal block, so any printable name can be written; names with control characters are left out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::OutputFile;
use super::escape::{self, IMMUTABLE_CACHE_CONTROL, Nopush, PUSH_COOKIE, at_least, link_value};
use crate::config::ServerOptions;
use crate::error::Diagnostic;
use crate::plan::{Plan, Rel};

/// The path-level fragment.
pub const FILE: &str = "h2o.conf";
/// The host-level fragment (with push only).
pub const HOST_FILE: &str = "h2o-host.conf";

const TARGET: &str = "h2o";

/// Renders `h2o.conf`, written to `s` as it is rendered; returns `h2o-host.conf` with push.
pub fn render_to(
    plan: &Plan,
    opts: &ServerOptions,
    diags: &mut Vec<Diagnostic>,
    s: &mut super::Out,
) -> Vec<OutputFile> {
    let push = opts.push;
    let early_hints = at_least(&opts.h2o_version, &[2, 3]);
    let first_mode = if push {
        Nopush::Unpushable
    } else {
        Nopush::All
    };
    let paths = escape::page_paths(plan, opts.clean_urls, TARGET, diags);
    if push {
        escape::note_unpushable_modules(plan, TARGET, diags);
    }

    // One row per hint set, shared by the pages that have it: [first visit, visitor with the
    // guard cookie, [early…], pushes?], numbered in the order pages first have it (each row is
    // kept once, as the key).
    let mut row_of: std::collections::HashMap<(String, String, String, bool), usize> =
        std::collections::HashMap::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for page in plan.pages.values() {
        let final_ = escape::final_with_pushes(page, push);
        let join = |hs: &[&crate::plan::Hint], mode| {
            hs.iter()
                .map(|h| link_value(h, mode))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let early: Vec<_> = if early_hints {
            page.early().collect()
        } else {
            Vec::new()
        };
        if final_.is_empty() && early.is_empty() {
            continue;
        }
        let early_text = early
            .iter()
            .map(|h| rb(&link_value(h, first_mode)))
            .collect::<Vec<_>>()
            .join(", ");
        let pushes = push && final_.iter().any(|h| h.push && h.rel == Rel::Preload);
        let row = (
            join(&final_, first_mode),
            join(&final_, Nopush::All),
            early_text,
            pushes,
        );
        let next = row_of.len();
        let i = *row_of.entry(row).or_insert(next);
        index.insert(&page.url, i);
    }

    // The Ruby program, indented under the YAML key; the per-page tables are written line by line.
    s.push_str(&header(push, early_hints));
    s.push_str("mruby.handler: |\n");
    indent(s, "pages = {\n");
    for (path, page) in &paths {
        if let Some(i) = index.get(page.url.as_str()) {
            let _ = writeln!(s, "    {} => {i},", rb(path));
        }
    }
    indent(s, "}\nlinks = [\n");
    let mut rows: Vec<_> = row_of.into_iter().collect();
    rows.sort_unstable_by_key(|(_, i)| *i);
    for ((a, b, e, p), _) in &rows {
        let _ = writeln!(s, "    [{}, {}, [{e}], {p}],", rb(a), rb(b));
    }
    indent(s, "]\nimmutable = {\n");
    for url in escape::immutable_paths(plan, TARGET, diags) {
        let _ = writeln!(s, "    {} => true,", rb(&url));
    }
    let mut ruby = String::new();
    let (cookie, set_cookie) = if push {
        (
            format!("{PUSH_COOKIE}={}", escape::push_cookie_value(plan)),
            escape::push_set_cookie(plan),
        )
    } else {
        (String::new(), String::new())
    };
    let _ = write!(
        ruby,
        "}}\ncookie = {}\nset_cookie = {}\npush = {push}\nlambda do |env|\n  \
         path = env['SCRIPT_NAME'].to_s + env['PATH_INFO'].to_s\n  \
         if path.include?('%')\n    \
         path = path.gsub(/%([0-9A-Fa-f]{{2}})/) {{ |m| m[1, 2].to_i(16).chr }}\n  \
         end\n  \
         headers = {{}}\n  \
         headers['cache-control'] = {} if immutable[path]\n  \
         i = pages[path]\n  \
         if i\n    \
         l = links[i]\n    \
         seen = push && (env['HTTP_COOKIE'] || '').split(';').any? {{ |c| c.strip == cookie }}\n",
        rb(&cookie),
        rb(&set_cookie),
        rb(IMMUTABLE_CACHE_CONTROL),
    );
    if early_hints {
        ruby.push_str(
            "    hint = env['rack.early_hints']\n    \
             hint.call({'link' => l[2].join(\"\\n\")}) if hint && !l[2].empty?\n",
        );
    }
    ruby.push_str(
        "    link = seen ? l[1] : l[0]\n    \
         headers['link'] = link if link != ''\n    \
         headers['set-cookie'] = set_cookie if l[3] && !seen\n  \
         end\n  \
         [399, headers, []]\n\
         end\n",
    );

    indent(s, &ruby);
    if !push {
        return Vec::new();
    }
    vec![OutputFile::text(
        HOST_FILE,
                "# Generated by hintgen: do not edit (re-run `hintgen build` instead).\n\
                 #\n\
                 # Host-level h2o directives for push; merge into the host next to `paths:`:\n\
                 #\n\
                 #     hosts:\n\
                 #       \"example.com:443\":\n\
                 #         <<: !file /path/to/hintgen-out/h2o-host.conf\n\
                 #         paths: ...\n\
                 #\n\
                 # http2-casper keeps a cookie of what was pushed so repeat visitors are not pushed\n\
                 # what they have cached (on top of hintgen's own per-build guard cookie).\n\
                 http2-push-preload: ON\n\
                 http2-casper: ON\n"
            .to_string(),
    )]
}

/// Writes Ruby `text` (whole lines) indented under the `mruby.handler` key.
fn indent(s: &mut super::Out, text: &str) {
    for line in text.lines() {
        if line.is_empty() {
            s.push('\n');
        } else {
            let _ = writeln!(s, "  {line}");
        }
    }
}

fn header(push: bool, early_hints: bool) -> String {
    let mut s = String::from(
        "# Generated by hintgen: do not edit (re-run `hintgen build` instead).\n\
         #\n\
         # h2o path-level directives: an mruby handler that adds each page's Link header and the\n\
         # Cache-Control of fingerprinted files, then hands the request on (status 399) to the next\n\
         # handler. Merge it into the path that serves the site, before file.dir:\n\
         #\n\
         #     paths:\n\
         #       \"/\":\n\
         #         <<: !file /path/to/hintgen-out/h2o.conf\n\
         #         file.dir: /srv/site\n\
         #\n\
         # Needs h2o built with mruby (`h2o -v` says \"mruby: YES\").\n",
    );
    if early_hints {
        s.push_str(
            "# Written for h2o >= 2.3 (`h2o-version`): the handler also sends the early hints as a\n\
             # 103 through env['rack.early_hints'].\n",
        );
    } else {
        s.push_str(
            "# h2o 2.2 sends no 103 (that needs h2o >= 2.3: set `h2o-version`), so the page's final\n\
             # Links go on the 200.\n",
        );
    }
    if push {
        s.push_str(
            "# Push is on: h2o pushes the rel=preload Links without `nopush`, only while the visitor\n\
             # lacks this build's guard cookie, which the response sets. Merge h2o-host.conf into the\n\
             # host for http2-casper. Chrome 106 and Firefox 132 removed push.\n",
        );
    } else {
        s.push_str(
            "# Push is off: every Link carries `nopush`, because h2o pushes preload Links by default.\n",
        );
    }
    s.push('\n');
    s
}

/// A Ruby single-quoted string literal: only `\\` and `\'` are escapes there.
fn rb(s: &str) -> String {
    escape::backslash_quoted(s, '\'')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Hint, PagePlan};

    fn plan() -> Plan {
        let h = |url: &str, early, final_, push| Hint {
            as_: Some("style".into()),
            depth: 1,
            bytes: 10,
            early,
            final_,
            push,
            ..Hint::new(url, Rel::Preload)
        };
        let mut pages = BTreeMap::new();
        pages.insert(
            "/it's/".to_string(),
            PagePlan::new(
                "/it's/",
                "it's/index.html",
                vec![
                    h("/a.css", true, true, true),
                    h("/b.css", true, false, false),
                ],
            ),
        );
        Plan {
            pages,
            build_id: "c0ffee".into(),
            base_path: "/".into(),
            ..Plan::default()
        }
    }

    #[test]
    fn fragment() {
        let out = crate::emit::server_files(
            crate::config::Artifact::H2o,
            &plan(),
            &ServerOptions::default(),
            &mut Vec::new(),
        );
        assert_eq!(out.len(), 1);
        let text = String::from_utf8(out[0].bytes.clone()).unwrap();
        let body = text.split("\n\n").skip(1).collect::<Vec<_>>().join("\n\n");
        insta::assert_snapshot!(body, @r#"
        mruby.handler: |
          pages = {
            '/it\'s/' => 0,
            '/it\'s/index.html' => 0,
          }
          links = [
            ['</a.css>; rel=preload; as=style; nopush', '</a.css>; rel=preload; as=style; nopush', [], false],
          ]
          immutable = {
          }
          cookie = ''
          set_cookie = ''
          push = false
          lambda do |env|
            path = env['SCRIPT_NAME'].to_s + env['PATH_INFO'].to_s
            if path.include?('%')
              path = path.gsub(/%([0-9A-Fa-f]{2})/) { |m| m[1, 2].to_i(16).chr }
            end
            headers = {}
            headers['cache-control'] = 'public, max-age=31536000, immutable' if immutable[path]
            i = pages[path]
            if i
              l = links[i]
              seen = push && (env['HTTP_COOKIE'] || '').split(';').any? { |c| c.strip == cookie }
              link = seen ? l[1] : l[0]
              headers['link'] = link if link != ''
              headers['set-cookie'] = set_cookie if l[3] && !seen
            end
            [399, headers, []]
          end
        "#);
    }

    #[test]
    fn push_and_early() {
        let opts = ServerOptions {
            push: true,
            h2o_version: "2.3.0".into(),
            ..ServerOptions::default()
        };
        let out = crate::emit::server_files(
            crate::config::Artifact::H2o,
            &plan(),
            &opts,
            &mut Vec::new(),
        );
        assert_eq!(out[1].path, HOST_FILE);
        let text = String::from_utf8(out[0].bytes.clone()).unwrap();
        assert!(
            text.contains(
                "['</a.css>; rel=preload; as=style', '</a.css>; rel=preload; as=style; nopush', \
             ['</a.css>; rel=preload; as=style', '</b.css>; rel=preload; as=style; nopush'], true],"
            ),
            "{text}"
        );
        assert!(text.contains("hint.call({'link' => l[2].join(\"\\n\")}) if hint && !l[2].empty?"));
    }
}
