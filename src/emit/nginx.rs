//! nginx configuration: `nginx/hintgen-http.conf` (in `http {}`) and `nginx/hintgen-server.conf`
//! (in `server {}`).
//!
//! nginx 1.22 has no 103 Early Hints (`early_hints` appeared in 1.29.0 and only relays a proxied
//! upstream's 103), so the hints go on the final response. Instead of one `location` per page, the
//! http-level file holds `map $uri $hintgen_link { … }` and the server-level file one
//! `add_header Link $hintgen_link always;` (an empty value sends no header). That avoids the
//! `add_header` inheritance trap: a level that has any `add_header` of its own drops every inherited
//! one, so per-page `location` blocks with `add_header` would silently remove the user's own headers
//! (HSTS, CSP) on those pages. See <https://nginx.org/en/docs/http/ngx_http_headers_module.html>.
//!
//! Facts checked against nginx 1.22.1 (Debian 12):
//! - map keys match `$uri` (decoded, normalized) **case-insensitively**: nginx lowercases exact keys,
//!   and two keys that differ only by case are a "conflicting parameter" error. Such paths are
//!   written as case-sensitive regex keys (`"~^/About\x2ehtml$"`), which nginx tries after the
//!   exact keys.
//! - a config token may not exceed the 4 KiB read buffer ("too long parameter"), so a long `Link`
//!   value is split over several variables (`$hintgen_link`, `$hintgen_link_2`, …), each sent as its
//!   own `Link` header line.
//! - map values are complex values: `$` starts a variable and cannot be escaped, so a hint whose
//!   `Link` text holds `$` (only possible in a parameter such as `media`) is left out.
//! - `map_hash_bucket_size` / `map_hash_max_size` are sized here by running nginx's own hash
//!   building (`ngx_hash_init`) on the keys, so `nginx -t` neither fails nor warns.
//! - the stock `mime.types` has no `mjs`; `types { text/javascript mjs; }` at http level adds it
//!   (several `types` blocks at one level merge), while at server level it would replace every type.
//! - `http2_push_preload on` pushes `rel=preload` Links without `nopush` (not `modulepreload`); push
//!   was removed in nginx 1.25.1 (the directive is then ignored with a warning), so for an
//!   `nginx-version` of 1.25.1 or later no push is written.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::OutputFile;
use super::escape::{
    self, IMMUTABLE_CACHE_CONTROL, Nopush, PUSH_COOKIE, has_unsafe_char, link_value, unsafe_name,
};
use crate::config::ServerOptions;
use crate::error::Diagnostic;
use crate::plan::Plan;

/// The http-level include.
pub const HTTP_FILE: &str = "nginx/hintgen-http.conf";
/// The server-level include.
pub const SERVER_FILE: &str = "nginx/hintgen-server.conf";

/// Largest value (after quoting) written as one token; nginx's limit is its 4 KiB read buffer.
const MAX_VALUE: usize = 3000;
/// Largest key; longer page paths are left out (no real site has them).
const MAX_KEY: usize = 1000;

const TARGET: &str = "nginx";

/// Renders `nginx/hintgen-http.conf`, written to `http` as it is rendered; returns the (small)
/// server-level file, `nginx/hintgen-server.conf`.
pub fn render_to(
    plan: &Plan,
    opts: &ServerOptions,
    diags: &mut Vec<Diagnostic>,
    http: &mut super::Out,
) -> Vec<OutputFile> {
    // nginx 1.25.1 removed push: for such a target, write the hints without it.
    let push = opts.push && !escape::at_least(&opts.nginx_version, &[1, 25, 1]);
    if opts.push && !push {
        diags.push(Diagnostic::new(
            crate::error::Severity::Warning,
            "server-no-push",
            "",
            format!(
                "nginx {} has no HTTP/2 push (removed in 1.25.1): the nginx config is written without it",
                opts.nginx_version
            ),
        ));
    }
    let pages = escape::page_paths(plan, opts.clean_urls, TARGET, diags);

    // Per page: the Link value parts for a first visit (with pushes) and, with push on, for a
    // visitor who carries the guard cookie (everything `nopush`).
    let mut first: BTreeMap<&str, &[String]> = BTreeMap::new();
    let mut cached: BTreeMap<&str, &[String]> = BTreeMap::new();
    let mut pushing: BTreeSet<&str> = BTreeSet::new();
    let mut per_page: BTreeMap<&str, (Vec<String>, Vec<String>, bool)> = BTreeMap::new();
    for page in plan.pages.values() {
        let hints = escape::final_with_pushes(page, push);
        let hints = escape::keep_expressible(page, hints, TARGET, value_problem, diags);
        let mode = if push {
            Nopush::Unpushable
        } else {
            Nopush::Never
        };
        let a = split_links(hints.iter().map(|h| link_value(h, mode)));
        // The cookie-carrying visitor's variant exists only with push on.
        let b = if push {
            split_links(hints.iter().map(|h| link_value(h, Nopush::All)))
        } else {
            Vec::new()
        };
        let pushes = push
            && hints
                .iter()
                .any(|h| h.push && h.rel == crate::plan::Rel::Preload);
        per_page.insert(page.url.as_str(), (a, b, pushes));
    }
    for (path, page) in &pages {
        if path.len() > MAX_KEY {
            diags.push(unsafe_name(
                &page.file,
                TARGET,
                &format!("the page path is longer than {MAX_KEY} bytes"),
            ));
            continue;
        }
        let Some((a, b, pushes)) = per_page.get(page.url.as_str()) else {
            continue;
        };
        if !a.is_empty() {
            first.insert(path, a);
            cached.insert(path, b);
        }
        if *pushes {
            pushing.insert(path);
        }
    }
    let parts = first.values().map(|v| v.len()).max().unwrap_or(1).max(1);
    let immutable = escape::immutable_paths(plan, TARGET, diags);
    let immutable: Vec<String> = immutable
        .into_iter()
        .filter(|p| p.len() <= MAX_KEY)
        .collect();
    if push {
        escape::note_unpushable_modules(plan, TARGET, diags);
    }

    // The maps, as (variable, source, entries); the hash sizes are computed over all of them.
    let mut maps: Vec<Map> = Vec::new();
    for i in 0..parts {
        let var = link_var(i);
        fn entries<'a>(m: &BTreeMap<&'a str, &'a [String]>, i: usize) -> Vec<(&'a str, &'a str)> {
            m.iter()
                .filter_map(|(k, v)| v.get(i).map(|x| (*k, x.as_str())))
                .collect()
        }
        if push {
            maps.push(Map::new("$uri", &format!("{var}_push"), entries(&first, i)));
            maps.push(Map::new(
                "$uri",
                &format!("{var}_cached"),
                entries(&cached, i),
            ));
        } else {
            maps.push(Map::new("$uri", &var, entries(&first, i)));
        }
    }
    if push {
        let entries = pushing.iter().map(|p| (*p, "1")).collect();
        maps.push(Map::new("$uri", "$hintgen_push_page", entries));
    }
    maps.push(Map::new(
        "$uri",
        "$hintgen_cache_control",
        immutable
            .iter()
            .map(|p| (p.as_str(), IMMUTABLE_CACHE_CONTROL))
            .collect(),
    ));
    let (bucket, max_size) = hash_sizes(&maps);

    http.push_str(&http_header(push, parts));
    let _ = writeln!(http, "types {{\n    text/javascript mjs;\n}}\n");
    let _ = writeln!(http, "map_hash_bucket_size {bucket};");
    let _ = writeln!(http, "map_hash_max_size {max_size};");
    for m in &maps {
        http.push('\n');
        m.write(http);
    }
    if push {
        let cookie = escape::push_cookie_value(plan);
        for i in 0..parts {
            let var = link_var(i);
            let _ = write!(
                http,
                "\n# A visitor who carries the guard cookie of this build was already pushed its files.\n\
                 map $cookie_{PUSH_COOKIE} {var} {{\n    default {var}_push;\n    {} {var}_cached;\n}}\n",
                quote(&cookie)
            );
        }
        let _ = write!(
            http,
            "\n# Set the guard cookie on pages that push, unless the visitor has this build's value.\n\
             map \"$hintgen_push_page:$cookie_{PUSH_COOKIE}\" $hintgen_set_cookie {{\n    default \"\";\n    \
             \"~^1:\" {};\n    {} \"\";\n}}\n",
            quote(&escape::push_set_cookie(plan)),
            quote(&format!("1:{cookie}"))
        );
    }

    let mut server = String::new();
    server.push_str(&server_header(push));
    for i in 0..parts {
        let _ = writeln!(server, "add_header Link {} always;", link_var(i));
    }
    server.push_str("add_header Cache-Control $hintgen_cache_control;\n");
    if push {
        server.push_str(
            "\n# HTTP/2 push of the rel=preload Links above (nginx <= 1.25.0; 1.25.1 removed push and\n\
             # ignores this directive with a warning; Chrome 106 and Firefox 132 dropped push too).\n\
             http2_push_preload on;\n\
             add_header Set-Cookie $hintgen_set_cookie;\n",
        );
    }
    vec![OutputFile::text(SERVER_FILE, server)]
}

fn link_var(i: usize) -> String {
    if i == 0 {
        "$hintgen_link".into()
    } else {
        format!("$hintgen_link_{}", i + 1)
    }
}

fn http_header(push: bool, parts: usize) -> String {
    let mut s = String::from(
        "# Generated by hintgen: do not edit (re-run `hintgen build` instead).\n\
         #\n\
         # http-level part of hintgen's nginx config: the per-page Link values and the cache headers\n\
         # of fingerprinted files, as maps. Include it inside `http { }`, after `include mime.types;`:\n\
         #\n\
         #     http {\n\
         #         include mime.types;\n\
         #         include /path/to/hintgen-out/nginx/hintgen-http.conf;\n\
         #         server {\n\
         #             include /path/to/hintgen-out/nginx/hintgen-server.conf;\n\
         #             ...\n\
         #         }\n\
         #     }\n\
         #\n\
         # It sets map_hash_bucket_size and map_hash_max_size (sized for these maps and never below\n\
         # nginx's defaults): remove your own lines for them, as nginx refuses a duplicate.\n\
         # Keys are matched against $uri, the decoded path of the request after internal redirects\n\
         # (`/about/` is looked up as `/about/index.html` once the index module has run).\n\
         # nginx sends no 103 Early Hints for files it serves, so these are each page's final Link\n\
         # values, sent on the 200. Font preloads are among them only with `fonts-on-final = true`\n\
         # in hintgen.toml, as on the 200 they delay first paint. For fonts in a 103, serve through\n\
         # Caddy or h2o, or a CDN that turns Link headers into 103s.\n",
    );
    if parts > 1 {
        s.push_str(
            "# Long Link values are split over several variables, each sent as its own Link line.\n",
        );
    }
    if push {
        s.push_str(
            "# Push is on: $hintgen_link marks what must not be pushed with `nopush`, and marks\n\
             # everything `nopush` for a visitor whose guard cookie names this build.\n",
        );
    }
    s.push('\n');
    s
}

fn server_header(push: bool) -> String {
    let mut s = String::from(
        "# Generated by hintgen: do not edit (re-run `hintgen build` instead).\n\
         #\n\
         # server-level part of hintgen's nginx config; needs nginx/hintgen-http.conf at http level.\n\
         # Include it inside the `server { }` that serves the site:\n\
         #\n\
         #     server {\n\
         #         include /path/to/hintgen-out/nginx/hintgen-server.conf;\n\
         #         ...\n\
         #     }\n\
         #\n\
         # The add_header inheritance trap: nginx inherits add_header directives from the level above\n\
         # only when the current level has none of its own. A `location` with any add_header therefore\n\
         # loses these lines (and your server-level headers); include this file in such a location\n\
         # too. Nothing here adds a location, so your own routing is untouched.\n\
         # An empty value sends no header: pages without hints and files that are not fingerprinted\n\
         # get nothing. Fingerprinted files get `Cache-Control: public, max-age=31536000, immutable`;\n\
         # drop `expires` for them or they get two Cache-Control headers.\n",
    );
    if push {
        s.push_str(
            "# Push is only started from rel=preload Links (not modulepreload), over HTTP/2.\n",
        );
    }
    s.push('\n');
    s
}

/// Why a `Link` value cannot be a map value: `$` would start a variable.
fn value_problem(text: &str) -> Option<&'static str> {
    if text.contains('$') {
        Some("holds `$`, which nginx reads as a variable in a map value")
    } else if has_unsafe_char(text) {
        Some("holds a control character")
    } else {
        None
    }
}

/// Joins Link values with `, ` into parts whose quoted form stays under [`MAX_VALUE`].
fn split_links<'a>(values: impl Iterator<Item = Cow<'a, str>>) -> Vec<String> {
    // The length `quote` would give, without building the string.
    let quoted_len = |s: &str| s.len() + 2 + s.bytes().filter(|&b| b == b'"' || b == b'\\').count();
    let mut parts: Vec<(String, usize)> = Vec::new();
    for v in values {
        let len = quoted_len(&v);
        match parts.last_mut() {
            Some((last, last_len)) if *last_len + len < MAX_VALUE => {
                last.push_str(", ");
                last.push_str(&v);
                *last_len += len;
            }
            _ => parts.push((v.into_owned(), len)),
        }
    }
    parts.into_iter().map(|(p, _)| p).collect()
}

/// An nginx double-quoted string. Inside quotes nginx unescapes `\"`, `\'`, `\\`, `\t`, `\r`, `\n`
/// and keeps other bytes as they are, so escaping `\` and `"` is enough (control characters never
/// get here).
fn quote(s: &str) -> String {
    escape::backslash_quoted(s, '"')
}

/// One `map` block.
struct Map<'a> {
    source: String,
    var: String,
    /// (key, value) in key order.
    entries: Vec<(&'a str, &'a str)>,
    /// Keys written as case-sensitive regexes because another key differs only by case.
    regex: BTreeSet<&'a str>,
}

impl<'a> Map<'a> {
    fn new(source: &str, var: &str, entries: Vec<(&'a str, &'a str)>) -> Map<'a> {
        let mut by_lower: BTreeMap<String, Vec<&'a str>> = BTreeMap::new();
        for &(k, _) in &entries {
            by_lower.entry(k.to_lowercase()).or_default().push(k);
        }
        let regex = by_lower
            .values()
            .filter(|v| v.len() > 1)
            .flatten()
            .copied()
            .collect();
        Map {
            source: source.into(),
            var: var.into(),
            entries,
            regex,
        }
    }

    /// The keys nginx puts in its hash (the exact ones).
    fn hashed_keys(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| !self.regex.contains(*k))
    }

    fn write(&self, out: &mut super::Out) {
        let _ = writeln!(out, "map {} {} {{", self.source, self.var);
        out.push_str("    default \"\";\n");
        for (k, v) in &self.entries {
            if !self.regex.contains(k) {
                let _ = writeln!(out, "    {} {};", quote(k), quote(v));
            }
        }
        // Regex keys are tried in order, after every exact key.
        for (k, v) in &self.entries {
            if self.regex.contains(k) {
                let re = format!("~^{}$", escape::regex_literal(k));
                let _ = writeln!(out, "    {} {};", quote(&re), quote(v));
            }
        }
        out.push_str("}\n");
    }
}

/// `map_hash_bucket_size` and `map_hash_max_size` that let nginx build every map's hash without
/// a warning: the smallest bucket size (from 128 bytes up) for which nginx's search succeeds
/// quickly, and the table size it finds (never below nginx's default 2048, which the user's own
/// maps may rely on).
fn hash_sizes(maps: &[Map]) -> (usize, usize) {
    let mut sets: Vec<Vec<(u64, usize)>> = maps
        .iter()
        .map(|m| {
            m.hashed_keys()
                .map(|k| (ngx_hash(k), elt_size(k.len())))
                .collect()
        })
        .collect();
    // The biggest map is the one most likely to need a bigger bucket: tried first, it ends the
    // search at a bucket size that will not do before the others are searched.
    sets.sort_by_key(|keys| std::cmp::Reverse(keys.len()));
    let longest = sets.iter().flatten().map(|k| k.1).max().unwrap_or(0);
    let mut bucket = 128usize;
    while bucket < longest + 8 {
        bucket *= 2;
    }
    // Keep nginx's own start-up search (and ours) short: at most ~2e7 bucket placements per map.
    loop {
        let mut max_size = 2048usize;
        let mut ok = true;
        for keys in &sets {
            let budget = 20_000_000 / keys.len().max(1);
            match first_fit(keys, bucket, budget) {
                Some(size) => max_size = max_size.max(size),
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok || bucket >= 32768 {
            // nginx restarts its search near max_size for big tables: check every map there too.
            // (Elsewhere its search is the one `first_fit` made, which found a size within it.)
            while !sets
                .iter()
                .all(|k| (ok && !restarts(k.len(), max_size)) || ngx_hash_init(k, bucket, max_size))
            {
                max_size += 1024;
            }
            return (bucket, max_size);
        }
        bucket *= 2;
    }
}

/// `ngx_hash_key_lc`: nginx lowercases exact map keys before hashing them.
fn ngx_hash(key: &str) -> u64 {
    key.bytes().fold(0u64, |k, c| {
        k.wrapping_mul(31)
            .wrapping_add(u64::from(c.to_ascii_lowercase()))
    })
}

/// `NGX_HASH_ELT_SIZE` on a 64-bit build: value pointer, u_short length, name, aligned to 8.
fn elt_size(len: usize) -> usize {
    8 + (len + 2).div_ceil(8) * 8
}

/// Whether the keys fit in `size` buckets. `test` holds zeros on entry and is left so: only the
/// slots that were filled are cleared, as most sizes fail after a few keys and clearing the whole
/// table for each size tried took more time than placing the keys.
fn fits(keys: &[(u64, usize)], bucket: usize, size: usize, test: &mut [usize]) -> bool {
    let m = FastMod::new(size as u64);
    let mut placed = keys.len();
    for (n, (hash, elt)) in keys.iter().enumerate() {
        let i = m.of(*hash) as usize;
        test[i] += elt;
        if test[i] > bucket - 8 {
            placed = n;
            break;
        }
    }
    let fit = placed == keys.len();
    for (hash, _) in &keys[..keys.len().min(placed + 1)] {
        test[m.of(*hash) as usize] = 0;
    }
    fit
}

/// `x % d` by multiplication (Lemire, Kaser and Kurz, "Faster remainder by direct computation",
/// 2019): exact for every 64-bit `x` and every divisor below 2^32. The hash-size search takes the
/// remainder of every key for every candidate size, and a 64-bit division costs several times more.
struct FastMod {
    m: u128,
    d: u64,
}

impl FastMod {
    fn new(d: u64) -> FastMod {
        debug_assert!(d > 0 && d < 1 << 32);
        // For d = 1 the reciprocal does not fit; m = 0 gives the remainder 0.
        let m = if d == 1 {
            0
        } else {
            u128::MAX / u128::from(d) + 1
        };
        FastMod { m, d }
    }

    fn of(&self, x: u64) -> u64 {
        let low = self.m.wrapping_mul(u128::from(x));
        // The high 128 bits of `low * d`, of which only the low 64 can be set.
        let hi = (low >> 64) * u128::from(self.d);
        let lo = ((low & u128::from(u64::MAX)) * u128::from(self.d)) >> 64;
        ((hi + lo) >> 64) as u64
    }
}

/// The first table size nginx's search (from its own start) accepts, within `budget` tries.
fn first_fit(keys: &[(u64, usize)], bucket: usize, budget: usize) -> Option<usize> {
    if keys.is_empty() {
        return Some(1);
    }
    let start = (keys.len() / ((bucket - 8) / 16)).max(1);
    let mut test = vec![0usize; start + budget + 1];
    (start..start + budget).find(|&size| fits(keys, bucket, size, &mut test))
}

/// Whether `ngx_hash_init`, for `n` keys, starts its search at `max_size - 1000` rather than at
/// the smallest size that could hold them.
fn restarts(n: usize, max_size: usize) -> bool {
    n > 0 && max_size > 10000 && max_size / n < 100
}

/// Whether `ngx_hash_init` builds this hash without a warning with these settings.
fn ngx_hash_init(keys: &[(u64, usize)], bucket: usize, max_size: usize) -> bool {
    if keys.is_empty() {
        return true;
    }
    if keys.iter().any(|k| bucket < k.1 + 8) {
        return false;
    }
    let n = keys.len();
    let mut start = (n / ((bucket - 8) / 16)).max(1);
    if restarts(n, max_size) {
        start = max_size - 1000;
    }
    let mut test = vec![0usize; max_size + 1];
    (start..=max_size).any(|size| fits(keys, bucket, size, &mut test))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Asset, Hint, PagePlan, Rel};

    fn hint(url: &str, rel: Rel, as_: Option<&str>) -> Hint {
        Hint {
            as_: as_.map(String::from),
            depth: 1,
            bytes: 10,
            push: true,
            ..Hint::new(url, rel)
        }
    }

    fn plan() -> Plan {
        let mut font = hint("/f-abcdef12.woff2", Rel::Preload, Some("font"));
        font.crossorigin = Some(String::new());
        font.final_ = false;
        font.push = false;
        let mut odd = hint("/odd.css", Rel::Preload, Some("style"));
        odd.media = Some("(min-width: $x)".into());
        let mut pages = BTreeMap::new();
        for (url, file) in [
            ("/about/", "about/index.html"),
            ("/About.html", "About.html"),
            ("/about.html", "about.html"),
        ] {
            pages.insert(
                url.to_string(),
                PagePlan::new(
                    url,
                    file,
                    vec![
                        hint("/a-12345678.css", Rel::Preload, Some("style")),
                        font.clone(),
                        hint("/m-12345678.js", Rel::Modulepreload, None),
                        odd.clone(),
                    ],
                ),
            );
        }
        let mut assets = BTreeMap::new();
        assets.insert(
            "/a-12345678.css".to_string(),
            Asset {
                path: "a-12345678.css".into(),
                size: 1,
                sha256: String::new(),
                integrity: String::new(),
                mime: "text/css".into(),
                immutable: true,
            },
        );
        Plan {
            pages,
            assets,
            build_id: "0123abcd".into(),
            base_path: "/".into(),
        }
    }

    #[test]
    fn http_and_server_files() {
        let mut diags = Vec::new();
        let out = crate::emit::server_files(
            crate::config::Artifact::Nginx,
            &plan(),
            &ServerOptions::default(),
            &mut diags,
        );
        assert_eq!(out.len(), 2);
        let http = String::from_utf8(out[0].bytes.clone()).unwrap();
        let body = http.split("\n\n").skip(1).collect::<Vec<_>>().join("\n\n");
        insta::assert_snapshot!(body, @r#"
        types {
            text/javascript mjs;
        }

        map_hash_bucket_size 128;
        map_hash_max_size 2048;

        map $uri $hintgen_link {
            default "";
            "/about/" "</a-12345678.css>; rel=preload; as=style, </m-12345678.js>; rel=modulepreload";
            "/about/index.html" "</a-12345678.css>; rel=preload; as=style, </m-12345678.js>; rel=modulepreload";
            "~^/About\\x2ehtml$" "</a-12345678.css>; rel=preload; as=style, </m-12345678.js>; rel=modulepreload";
            "~^/about\\x2ehtml$" "</a-12345678.css>; rel=preload; as=style, </m-12345678.js>; rel=modulepreload";
        }

        map $uri $hintgen_cache_control {
            default "";
            "/a-12345678.css" "public, max-age=31536000, immutable";
        }
        "#);
        let server = String::from_utf8(out[1].bytes.clone()).unwrap();
        assert!(server.ends_with(
            "add_header Link $hintgen_link always;\nadd_header Cache-Control $hintgen_cache_control;\n"
        ));
        // The `$` in a media query cannot be written in a map value: left out, once per page.
        assert_eq!(
            diags
                .iter()
                .filter(|d| d.code == escape::UNSAFE_NAME)
                .count(),
            3
        );
    }

    #[test]
    fn push_maps_and_cookie() {
        let mut diags = Vec::new();
        let opts = ServerOptions {
            push: true,
            ..ServerOptions::default()
        };
        // A pushable early-only font goes on the 200 too: push starts from the final Link.
        let mut p = plan();
        for page in p.pages.values_mut() {
            std::sync::Arc::make_mut(&mut page.hints[1]).push = true;
            std::sync::Arc::make_mut(&mut page.hints[2]).push = false;
        }
        let out = crate::emit::server_files(crate::config::Artifact::Nginx, &p, &opts, &mut diags);
        let http = String::from_utf8(out[0].bytes.clone()).unwrap();
        assert!(http.contains(
            "\"/about/\" \"</a-12345678.css>; rel=preload; as=style, </f-abcdef12.woff2>; rel=preload; \
             as=font; crossorigin, </m-12345678.js>; rel=modulepreload; nopush\";"
        ), "{http}");
        assert!(http.contains(
            "\"/about/\" \"</a-12345678.css>; rel=preload; as=style; nopush, </f-abcdef12.woff2>; \
             rel=preload; as=font; crossorigin; nopush, </m-12345678.js>; rel=modulepreload; nopush\";"
        ), "{http}");
        assert!(http.contains(
            "map $cookie_hintgen_push $hintgen_link {\n    default $hintgen_link_push;\n    \
             \"0123abcd\" $hintgen_link_cached;\n}"
        ));
        assert!(http.contains("\"~^1:\" \"hintgen_push=0123abcd; Path=/; Max-Age=2592000; Secure; HttpOnly; SameSite=Lax\";"));
        let server = String::from_utf8(out[1].bytes.clone()).unwrap();
        assert!(
            server.contains("http2_push_preload on;\nadd_header Set-Cookie $hintgen_set_cookie;\n")
        );
        assert!(!diags.iter().any(|d| d.code == "server-push-modulepreload"));

        let newer = ServerOptions {
            push: true,
            nginx_version: "1.25.1".into(),
            ..ServerOptions::default()
        };
        let mut diags = Vec::new();
        let out = crate::emit::server_files(crate::config::Artifact::Nginx, &p, &newer, &mut diags);
        let server = String::from_utf8(out[1].bytes.clone()).unwrap();
        assert!(!server.contains("http2_push_preload"));
        assert!(diags.iter().any(|d| d.code == "server-no-push"));
    }

    #[test]
    fn long_values_are_split() {
        let mut p = plan();
        let page = p.pages.get_mut("/about/").unwrap();
        page.hints = (0..60)
            .map(|i| {
                hint(
                    &format!("/assets/chunk-{i:04}-abcdefgh.js"),
                    Rel::Modulepreload,
                    None,
                )
                .into()
            })
            .collect();
        let out = crate::emit::server_files(
            crate::config::Artifact::Nginx,
            &p,
            &ServerOptions::default(),
            &mut Vec::new(),
        );
        let http = String::from_utf8(out[0].bytes.clone()).unwrap();
        assert!(http.contains("map $uri $hintgen_link_2 {"));
        assert!(http.lines().all(|l| l.len() < 3100));
        let server = String::from_utf8(out[1].bytes.clone()).unwrap();
        assert!(server.contains("add_header Link $hintgen_link_2 always;"));
    }

    #[test]
    fn fast_remainder_is_exact() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for d in (1..5000u64).chain([65_521, 1 << 20, (1 << 32) - 1]) {
            let m = FastMod::new(d);
            for _ in 0..200 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                assert_eq!(m.of(x), x % d, "{x} % {d}");
            }
            for edge in [0, 1, d - 1, d, u64::MAX, u64::MAX - 1] {
                assert_eq!(m.of(edge), edge % d, "{edge} % {d}");
            }
        }
    }

    #[test]
    fn hash_sizes_follow_the_keys() {
        let keys: Vec<String> = (0..15000)
            .map(|i| format!("/blog/post-{i}/index.html"))
            .collect();
        let m = Map::new(
            "$uri",
            "$v",
            keys.iter().map(|k| (k.as_str(), "x")).collect(),
        );
        let (bucket, max) = hash_sizes(std::slice::from_ref(&m));
        let k: Vec<(u64, usize)> = m
            .hashed_keys()
            .map(|k| (ngx_hash(k), elt_size(k.len())))
            .collect();
        assert!(ngx_hash_init(&k, bucket, max));
        assert!(bucket <= 4096 && max >= 2048, "{bucket} {max}");
    }
}
