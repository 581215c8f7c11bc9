//! `_headers` for Netlify and Cloudflare Pages: one rule per page URL with a `Link` line per hint,
//! after one `Cache-Control` rule per folder whose files are all fingerprinted (`/assets/*`).
//!
//! Cloudflare turns `preload`/`preconnect` Links on HTML responses into 103 Early Hints, so the rule
//! carries the page's full early set. Limits (Cloudflare Pages docs): 100 rules, 2,000 characters a
//! line; a page beyond the rule limit or a Link line beyond the line limit is left out with a
//! diagnostic rather than written into a file the platform would reject. With `--headers-in-site` the
//! rules are merged into the site's own `_headers` between marker comments, keeping every other line.

use super::OutputFile;
use super::escape::IMMUTABLE_CACHE_CONTROL;
use crate::error::{Diagnostic, Severity};
use crate::plan::Plan;

/// Most rules Cloudflare Pages reads from `_headers`.
pub const MAX_RULES: usize = 100;
/// Longest line Cloudflare Pages accepts in `_headers`.
pub const MAX_LINE: usize = 2000;
/// First line of the generated block.
pub const BEGIN: &str =
    "# >>> hintgen: generated rules, rewritten on every build; edit outside the markers";
/// Last line of the generated block.
pub const END: &str = "# <<< hintgen";

/// The folders (URL paths ending in `/`) whose every file, at any depth, is fingerprinted, and
/// whose parent folder is not: one splat rule each (`/assets/*`) gives them long-lived caching in
/// a few rules, where a rule per file would use up the platform's limit. The site's root is never
/// one (it holds the pages).
///
/// One pass over the assets in URL order, where a folder's files are next to each other: a stack
/// holds the open folders, each with whether all its files so far are fingerprinted and the
/// largest such folders found below it.
fn fingerprinted_folders(plan: &Plan) -> Vec<&str> {
    struct Open<'p> {
        dir: &'p str,
        fixed: bool,
        found: Vec<&'p str>,
    }
    fn close<'p>(stack: &mut Vec<Open<'p>>) {
        let done = stack.pop().expect("a folder is open");
        let parent = stack.last_mut().expect("the root stays open");
        parent.fixed &= done.fixed;
        if done.fixed {
            parent.found.push(done.dir);
        } else {
            parent.found.extend(done.found);
        }
    }
    let mut stack = vec![Open {
        dir: "/",
        fixed: false,
        found: Vec::new(),
    }];
    for (url, asset) in &plan.assets {
        let dir = &url[..url.rfind('/').map_or(0, |i| i + 1)];
        while stack.len() > 1 && !dir.starts_with(stack[stack.len() - 1].dir) {
            close(&mut stack);
        }
        // Open the folders between the innermost open one and the file's own.
        let mut at = stack[stack.len() - 1].dir.len();
        while let Some(i) = dir[at..].find('/') {
            at += i + 1;
            stack.push(Open {
                dir: &dir[..at],
                fixed: true,
                found: Vec::new(),
            });
        }
        let innermost = stack.last_mut().expect("the root stays open");
        innermost.fixed &= asset.immutable;
    }
    while stack.len() > 1 {
        close(&mut stack);
    }
    stack.pop().map(|root| root.found).unwrap_or_default()
}

/// Renders the rule block (without markers).
pub fn rules(plan: &Plan, diags: &mut Vec<Diagnostic>) -> String {
    let mut out = String::new();
    let mut count = 0usize;
    let mut left_out = Vec::new();
    // Cache rules first: few, and they never depend on the page limit.
    for dir in fingerprinted_folders(plan) {
        if count >= MAX_RULES {
            left_out.push(format!("{dir}*"));
            continue;
        }
        count += 1;
        out.push_str(&crate::link::encode_url(dir));
        out.push_str("*\n  Cache-Control: ");
        out.push_str(IMMUTABLE_CACHE_CONTROL);
        out.push('\n');
    }
    for page in plan.pages.values() {
        let links: Vec<String> = page
            .early()
            .filter_map(|h| {
                let line = format!("  Link: {}", h.link_header(false));
                if line.len() > MAX_LINE {
                    diags.push(Diagnostic::new(
                        Severity::Warning,
                        "headers-line",
                        &page.file,
                        format!(
                            "_headers: the Link for {} is {} characters, over the {MAX_LINE} limit; left out",
                            h.url,
                            line.len()
                        ),
                    ));
                    return None;
                }
                Some(line)
            })
            .collect();
        if links.is_empty() {
            continue;
        }
        // Both platforms serve `a.html` at `/a` too; index pages at their folder URL.
        let mut paths = vec![crate::link::encode_url(&page.url)];
        if let Some(stem) = page.url.strip_suffix(".html") {
            paths.push(crate::link::encode_url(stem));
        }
        for path in paths {
            if count >= MAX_RULES {
                left_out.push(path);
                continue;
            }
            count += 1;
            out.push_str(&path);
            out.push('\n');
            for l in &links {
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    if !left_out.is_empty() {
        diags.push(Diagnostic::new(
            Severity::Warning,
            "headers-rules",
            "_headers",
            format!(
                "Cloudflare Pages reads at most {MAX_RULES} rules; {} rule path(s) left out: {}{}",
                left_out.len(),
                left_out[..left_out.len().min(10)].join(", "),
                if left_out.len() > 10 { ", …" } else { "" }
            ),
        ));
    }
    out
}

/// `_headers` as a standalone file in OUT.
pub fn render(plan: &Plan, diags: &mut Vec<Diagnostic>) -> OutputFile {
    OutputFile::text(
        "_headers",
        format!("{BEGIN}\n{}{END}\n", rules(plan, diags)),
    )
}

/// Merges the block into an existing `_headers` text: replaces the text between the markers, or
/// appends the block; every other line is kept as it was.
pub fn merge(existing: &str, block: &str) -> String {
    let generated = format!("{BEGIN}\n{block}{END}\n");
    let lines: Vec<&str> = existing.split_inclusive('\n').collect();
    let start = lines.iter().position(|l| l.trim_end() == BEGIN);
    let end = start.and_then(|s| {
        lines[s..]
            .iter()
            .position(|l| l.trim_end() == END)
            .map(|e| s + e)
    });
    match (start, end) {
        (Some(s), Some(e)) => {
            let mut out: String = lines[..s].concat();
            out.push_str(&generated);
            out.push_str(&lines[e + 1..].concat());
            out
        }
        _ => {
            let mut out = existing.to_string();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&generated);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan with these assets (URL, immutable) and no pages.
    fn plan_of(assets: &[(&str, bool)]) -> Plan {
        let mut plan = Plan::default();
        for &(url, immutable) in assets {
            plan.assets.insert(
                url.to_string(),
                crate::plan::Asset {
                    path: url[1..].to_string(),
                    size: 1,
                    sha256: String::new(),
                    integrity: String::new(),
                    mime: String::new(),
                    immutable,
                },
            );
        }
        plan
    }

    #[test]
    fn cache_rules_cover_the_largest_fingerprinted_folders() {
        let plan = plan_of(&[
            ("/index.html", false),
            ("/assets/a-Bx3k9QzL.js", true),
            ("/assets/fonts/f-Cb4Tsa0V.woff2", true),
            ("/img/logo.png", false),
            ("/img/h/p.3b1f9c0e2a7d.png", true),
            ("/docs/v1/_static/s.css", false),
        ]);
        assert_eq!(fingerprinted_folders(&plan), ["/assets/", "/img/h/"]);
        let text = rules(&plan, &mut Vec::new());
        assert_eq!(
            text,
            "/assets/*\n  Cache-Control: public, max-age=31536000, immutable\n\
             /img/h/*\n  Cache-Control: public, max-age=31536000, immutable\n"
        );
        // A folder's files sit together in URL order even beside names that sort around it.
        let tricky = plan_of(&[
            ("/a/b.txt", false),
            ("/a/b/x-Bx3k9QzL.js", true),
            ("/a/b/c/y-Bx3k9QzL.js", true),
            ("/a/b0/z-Bx3k9QzL.js", true),
            ("/a/b0/w.txt", false),
            ("/z/q-Bx3k9QzL.js", true),
        ]);
        assert_eq!(fingerprinted_folders(&tricky), ["/a/b/", "/z/"]);
    }

    #[test]
    fn merge_keeps_user_lines() {
        let user = "/*\n  X-Frame-Options: DENY\n";
        let once = merge(user, "/\n  Link: </a.css>; rel=preload; as=style\n");
        assert!(once.starts_with(user));
        assert!(once.contains("</a.css>"));
        let twice = merge(&once, "/\n  Link: </b.css>; rel=preload; as=style\n");
        assert!(twice.starts_with(user));
        assert!(!twice.contains("</a.css>"));
        assert_eq!(twice.matches(BEGIN).count(), 1);
        let with_tail = format!("{once}/x\n  A: b\n");
        let again = merge(&with_tail, "");
        assert!(again.ends_with("/x\n  A: b\n"));
        assert!(!again.contains("</a.css>"));
    }
}
