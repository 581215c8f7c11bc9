//! `hintgen report`: one self-contained `report.html` (no scripts, no external files) with a waterfall
//! chart per page: each resource is a bar in the column of its depth (one round trip per level without
//! hints), coloured by whether it is hinted, with its size and the reason when it is not.

use std::fmt::Write;

use crate::config::Policy;
use crate::graph::{Decision, Graph};
use crate::hints::page_plan;
use crate::messages::human_bytes;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// Renders the report for every page.
pub fn render(graph: &Graph, policy: &Policy) -> String {
    let mut body = String::new();
    let mut summary = String::new();
    let mut total_hints = 0;
    let pages: Vec<_> = graph.pages().collect();
    let index = graph.index();
    for page in &pages {
        let (plan, entries, _) = page_plan(graph, page, Some(&index), policy);
        total_hints += plan.hints.len();
        let max_depth = entries.iter().map(|e| e.depth).max().unwrap_or(1).max(1);
        let _ = writeln!(
            summary,
            "<tr><td><a href=\"#p{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&page.rel),
            esc(&plan.url),
            plan.hints.len(),
            max_depth,
            human_bytes(plan.hints.iter().map(|h| h.bytes).sum())
        );
        let _ = writeln!(
            body,
            "<section id=\"p{}\"><h2>{} <small>{}</small></h2>",
            esc(&page.rel),
            esc(&plan.url),
            esc(&page.rel)
        );
        let _ = writeln!(
            body,
            "<div class=\"wf\" style=\"--levels:{}\">",
            max_depth + 1
        );
        let _ = writeln!(
            body,
            "<div class=\"row\"><span class=\"name\">{}</span><span class=\"bar html\" style=\"--d:0\">HTML {}</span></div>",
            esc(&page.rel),
            human_bytes(page.size)
        );
        for e in &entries {
            let (class, why) = match &e.decision {
                Decision::Hint => ("hinted", "hinted: can start with the 103".to_string()),
                Decision::Skip(r) => ("skip", r.to_string()),
            };
            let _ = writeln!(
                body,
                "<div class=\"row\" title=\"{}\"><span class=\"name\">{}</span><span class=\"bar {class}\" style=\"--d:{}\">{} · {}</span></div>",
                esc(&why),
                esc(&e.url),
                e.depth,
                esc(e.element),
                if e.file.is_some() {
                    human_bytes(e.bytes)
                } else {
                    "-".into()
                }
            );
        }
        body.push_str("</div></section>\n");
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>hintgen report</title>\n<style>\n{CSS}</style></head><body>\n<h1>hintgen report</h1>\n<p>{} pages, {total_hints} hints. Columns are waterfall levels: without hints each level waits one round trip for the one before. Green bars are hinted and can start at once; grey bars are not (hover for why).</p>\n<table><tr><th>page</th><th>hints</th><th>depth</th><th>hinted bytes</th></tr>\n{summary}</table>\n{body}</body></html>\n",
        pages.len()
    )
}

const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #ddd}
.wf{display:grid;gap:2px;margin:1em 0}.row{display:grid;grid-template-columns:28em 1fr;align-items:center}
.name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-family:monospace;font-size:12px}
.bar{margin-left:calc(var(--d) * 100% / var(--levels));width:calc(100% / var(--levels));padding:1px 6px;
border-radius:3px;font-size:12px;white-space:nowrap;overflow:hidden}
.html{background:#8ab4f8}.hinted{background:#81c995}.skip{background:#dadce0;color:#555}
small{color:#777;font-weight:normal}
";
