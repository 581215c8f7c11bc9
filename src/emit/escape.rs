//! Quoting and the facts shared by the server config emitters ([`super::nginx`], [`super::caddy`],
//! [`super::apache`], [`super::h2o`]).
//!
//! Every server config is a small language of its own, and a file name ends up in two places there:
//! as a *match key* (the page path a request is compared with, written raw because servers compare
//! decoded paths) and inside a `Link` *header value* (already percent-encoded by
//! [`crate::link::encode_url`], so only parameter values such as `media` can carry odd characters).
//! The functions here quote for each syntax, or say "cannot" so the emitter leaves the name out with a
//! `server-unsafe-name` diagnostic. No control character (CR, LF, NUL, …) is ever written: a name
//! that holds one is left out everywhere.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::error::{Diagnostic, Severity};
use crate::plan::{Hint, PagePlan, Plan, Rel};

/// `Cache-Control` for files whose name carries a content hash (DESIGN.md section 5).
pub const IMMUTABLE_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// Name of the push guard cookie. Its value is [`Plan::build_id`]: a visitor who carries the current
/// value was already pushed this build's assets (and has them cached), so nothing is pushed again.
pub const PUSH_COOKIE: &str = "hintgen_push";

/// How long the push guard cookie lives (30 days): about as long as browsers keep a site's cache.
pub const PUSH_COOKIE_MAX_AGE: u32 = 30 * 24 * 3600;

/// Diagnostic code for a name or value a target cannot express.
pub const UNSAFE_NAME: &str = "server-unsafe-name";

/// The value of the push guard cookie: the build id, or `0` for a plan without one. Only hex digits
/// reach a config (the id is documented as hex; anything else is dropped).
pub fn push_cookie_value(plan: &Plan) -> String {
    let v: String = plan
        .build_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if v.is_empty() { "0".into() } else { v }
}

/// The `Set-Cookie` value that marks a visitor as pushed for this build. `Path` is the site's base
/// path; `Secure` because browsers only ever used push over TLS.
pub fn push_set_cookie(plan: &Plan) -> String {
    let path = if plan.base_path.is_empty() || !is_plain_path(&plan.base_path) {
        "/"
    } else {
        plan.base_path.as_str()
    };
    format!(
        "{PUSH_COOKIE}={}; Path={path}; Max-Age={PUSH_COOKIE_MAX_AGE}; Secure; HttpOnly; SameSite=Lax",
        push_cookie_value(plan)
    )
}

fn is_plain_path(p: &str) -> bool {
    p.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b))
}

/// A character no config may carry: controls (C0, DEL, C1: CR, LF, NUL, TAB…), and the Unicode line
/// and paragraph separators and BOM, which YAML and some config readers treat as line breaks.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// True when `s` holds a character no config may carry (see [`is_unsafe_char`]).
pub fn has_unsafe_char(s: &str) -> bool {
    // Bytes up to the first control or non-ASCII one need no decoding (the first byte at or above
    // 0x80 always starts a character).
    match s.bytes().position(|b| !(0x20..0x7f).contains(&b)) {
        None => false,
        Some(i) => s[i..].chars().any(is_unsafe_char),
    }
}

/// A warning for a name or value that `target` cannot express and that was left out.
pub fn unsafe_name(file: &str, target: &str, what: &str) -> Diagnostic {
    Diagnostic::new(
        Severity::Warning,
        UNSAFE_NAME,
        file,
        format!("{target}: {what}; it is left out of the {target} config"),
    )
}

/// Shows a name in a diagnostic without control characters.
pub fn shown(s: &str) -> String {
    format!("{:?}", s)
}

/// The decoded form of a URL path, as servers compare it (`$uri`, `{path}`, `<Location>`), or a
/// diagnostic reason: a path whose escapes decode to invalid UTF-8 or to a control character cannot
/// be matched safely.
pub fn decoded_path(url: &str) -> Result<String, &'static str> {
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(url).collect();
    let s = String::from_utf8(bytes).map_err(|_| "decodes to invalid UTF-8")?;
    if has_unsafe_char(&s) {
        return Err("holds a control character");
    }
    Ok(s)
}

/// The decoded URL paths a server may see for each page (see [`PagePlan::aliases`]), mapped to
/// the page. Page URLs in the plan are percent-encoded; servers match decoded paths.
///
/// A path that two pages claim (`/a` for both `a.html` and `a/index.html` with clean URLs) goes to the
/// first page in URL order, with a diagnostic; a path with a control character is left out (a server
/// could never be configured to match it safely).
pub fn page_paths<'a>(
    plan: &'a Plan,
    clean_urls: bool,
    target: &str,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, &'a PagePlan> {
    let mut out: BTreeMap<String, &PagePlan> = BTreeMap::new();
    for page in plan.pages.values() {
        for alias in page.aliases(clean_urls) {
            let alias = match decoded_path(&alias) {
                Ok(a) => a,
                Err(why) => {
                    diags.push(unsafe_name(
                        &page.file,
                        target,
                        &format!("the page path {} {why}", shown(&alias)),
                    ));
                    continue;
                }
            };
            match out.get(&alias) {
                Some(other) if other.url != page.url => {
                    diags.push(Diagnostic::new(
                        Severity::Warning,
                        "server-path-conflict",
                        &page.file,
                        format!(
                            "{target}: the path {} is also served by {}; it gets that page's hints",
                            shown(&alias),
                            other.file
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    out.insert(alias, page);
                }
            }
        }
    }
    out
}

/// Immutable assets as decoded URL paths that a server can match; names with control characters
/// are left out with a diagnostic.
pub fn immutable_paths(plan: &Plan, target: &str, diags: &mut Vec<Diagnostic>) -> Vec<String> {
    let mut v = Vec::new();
    for (url, asset) in &plan.assets {
        if !asset.immutable {
            continue;
        }
        match decoded_path(url) {
            Ok(p) => v.push(p),
            Err(why) => diags.push(unsafe_name(
                &asset.path,
                target,
                &format!("the file name {} {why}", shown(url)),
            )),
        }
    }
    v.sort();
    v.dedup();
    v
}

/// What the push mode asks of a `Link` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nopush {
    /// Write no `nopush` (push is off and the server does not push on its own).
    Never,
    /// `nopush` on every hint that must not be pushed.
    Unpushable,
    /// `nopush` on every hint (push off on a server that pushes by default, or a visitor who
    /// already has the pushed files).
    All,
}

/// One hint's `Link` value with the chosen `nopush` marking.
pub fn link_value(h: &Hint, nopush: Nopush) -> Cow<'_, str> {
    match nopush {
        Nopush::Never => h.link_header(false),
        Nopush::Unpushable => h.link_header(true),
        Nopush::All => Cow::Owned(format!("{}; nopush", h.link_header(false))),
    }
}

/// Checks the hints of a page against a per-target test of their `Link` text, leaving out (with a
/// diagnostic) those the target cannot carry. `bad` returns why a value cannot be written.
pub fn keep_expressible<'a>(
    page: &PagePlan,
    hints: Vec<&'a Hint>,
    target: &str,
    bad: impl Fn(&str) -> Option<&'static str>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<&'a Hint> {
    hints
        .into_iter()
        .filter(|h| {
            // `bad` tests characters, and the `; nopush` a mode may add holds none it refuses.
            match bad(&h.link_header(false)) {
                None => true,
                Some(why) => {
                    diags.push(unsafe_name(
                        &page.file,
                        target,
                        &format!("the hint for {} {why}", shown(&h.url)),
                    ));
                    false
                }
            }
        })
        .collect()
}

/// Hints for the final response on servers that push from the final response's `Link` header and
/// only push `rel=preload` (nginx, Apache, h2o): the page's final hints, plus, with push on, the
/// pushable `preload` hints that are early-only (a push needs a `Link` to start from).
pub fn final_with_pushes(page: &PagePlan, push: bool) -> Vec<&Hint> {
    page.iter()
        .filter(|h| h.final_ || (push && h.push && h.rel == Rel::Preload))
        .collect()
}

/// With push on, a note for pushable `modulepreload` hints: nginx, Apache and h2o push only
/// `rel=preload` links, so those files are hinted but not pushed.
pub fn note_unpushable_modules(plan: &Plan, target: &str, diags: &mut Vec<Diagnostic>) {
    let (mut hints, mut pages) = (0usize, 0usize);
    for page in plan.pages.values() {
        let n = page
            .pushable()
            .filter(|h| h.rel == Rel::Modulepreload)
            .count();
        if n > 0 {
            hints += n;
            pages += 1;
        }
    }
    if hints > 0 {
        diags.push(Diagnostic::new(
            Severity::Note,
            "server-push-modulepreload",
            "",
            format!(
                "{target} pushes only rel=preload links: {hints} pushable modulepreload hint(s) on \
                 {pages} page(s) are hinted but not pushed"
            ),
        ));
    }
}

/// Compares dotted versions numerically: `at_least("2.4.62", &[2, 4, 58])`. A part that is not a
/// number counts as 0, and a missing part as 0.
pub fn at_least(version: &str, min: &[u32]) -> bool {
    let parts: Vec<u32> = version
        .trim()
        .split('.')
        .map(|p| {
            p.chars()
                .take_while(|c| c.is_ascii_digit())
                .collect::<String>()
                .parse()
                .unwrap_or(0)
        })
        .collect();
    for (i, m) in min.iter().enumerate() {
        let v = parts.get(i).copied().unwrap_or(0);
        if v != *m {
            return v > *m;
        }
    }
    true
}

/// A PCRE pattern matching exactly `s` (a decoded URL path): ASCII letters, digits, `/`, `_` and `-`
/// stay; other ASCII characters become `\xHH` (so no quote, `$`, `{`, `#`, `;` or space reaches the
/// config); non-ASCII characters stay as UTF-8, which matches byte for byte with or without PCRE's
/// UTF mode. Callers refuse control characters first.
pub fn regex_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-') || !c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\x{:02x}", c as u32));
        }
    }
    out
}

/// Splits `items` into alternation groups whose joined patterns stay under `max_len` bytes (regex
/// compilers and config readers have limits), keeping order.
pub fn chunk_by_len(items: Vec<String>, max_len: usize) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut len = 0;
    for it in items {
        match out.last_mut() {
            Some(last) if len + it.len() < max_len => {
                len += it.len() + 1;
                last.push(it);
            }
            _ => {
                len = it.len();
                out.push(vec![it]);
            }
        }
    }
    out
}

/// `s` between `quote` characters, with `quote` and `\` escaped by a backslash: the string syntax
/// nginx and httpd (double quotes) and Ruby (single quotes) share.
pub fn backslash_quoted(s: &str, quote: char) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    // The runs between the characters to escape are copied whole.
    let mut from = 0;
    for (i, c) in s.match_indices([quote, '\\']) {
        out.push_str(&s[from..i]);
        out.push('\\');
        out.push_str(c);
        from = i + c.len();
    }
    out.push_str(&s[from..]);
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(at_least("2.4.62", &[2, 4, 58]));
        assert!(at_least("2.4.58", &[2, 4, 58]));
        assert!(!at_least("2.4.57", &[2, 4, 58]));
        assert!(at_least("2.3", &[2, 3]));
        assert!(!at_least("2.2.5", &[2, 3]));
        assert!(at_least("10", &[2, 3]));
        assert!(!at_least("1.24.0", &[1, 25, 1]));
    }

    #[test]
    fn regex_literals_hold_no_config_syntax() {
        assert_eq!(regex_literal("/a.b/é c"), "/a\\x2eb/é\\x20c");
        let r = regex_literal("/\"$x{y};#z\\'`");
        assert!(!r.contains(['"', '$', '{', '}', ';', '#', '\'', '`', ' ']));
        assert_eq!(r.matches("\\x").count(), 9);
    }

    #[test]
    fn quoting_escapes_the_quote_and_backslashes() {
        assert_eq!(backslash_quoted(r#"a"b\c'é"#, '"'), r#""a\"b\\c'é""#);
        assert_eq!(backslash_quoted(r#"a"b\c'é"#, '\''), r#"'a"b\\c\'é'"#);
        assert_eq!(backslash_quoted("", '"'), "\"\"");
    }

    #[test]
    fn unsafe_chars_are_found_past_ascii() {
        assert!(!has_unsafe_char(r#"</a.css>; rel=preload; title="é""#));
        assert!(has_unsafe_char("a\tb"));
        assert!(has_unsafe_char("a\u{7f}"));
        assert!(has_unsafe_char("é\u{85}"));
        assert!(has_unsafe_char("é\u{2028}"));
        assert!(!has_unsafe_char("日本語"));
    }

    #[test]
    fn chunks() {
        let v: Vec<String> = ["aaa", "bb", "c", "dddd"].map(String::from).to_vec();
        assert_eq!(
            chunk_by_len(v, 7),
            vec![vec!["aaa", "bb"], vec!["c", "dddd"]]
        );
    }

    #[test]
    fn cookie_value_is_plain() {
        let plan = Plan {
            build_id: "ab\"; x=1".into(),
            ..Plan::default()
        };
        assert_eq!(push_cookie_value(&plan), "abx1");
        assert_eq!(push_cookie_value(&Plan::default()), "0");
        assert!(push_set_cookie(&plan).starts_with("hintgen_push=abx1; Path=/;"));
    }
}
