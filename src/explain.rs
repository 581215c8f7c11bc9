//! `hintgen explain`: one page's dependency tree, with depth, bytes, and whether each resource is
//! hinted or why not.

use std::collections::HashSet;
use std::fmt::Write;

use crate::config::Policy;
use crate::graph::{Decision, Entry, Graph, Node};
use crate::hints::page_plan;
use crate::messages::{human_bytes, sanitize};

/// Renders the tree for `page` as text.
pub fn explain(graph: &Graph, page: &Node, policy: &Policy) -> String {
    let (plan, entries, diags) = page_plan(graph, page, None, policy);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  ({}, {})",
        sanitize(&plan.url),
        sanitize(&page.rel),
        human_bytes(page.size)
    );
    let mut visited = HashSet::new();
    print_children(&mut out, &entries, &page.rel, 1, &mut visited);
    let _ = writeln!(out);
    let early = plan.early().count();
    let final_ = plan.final_().count();
    let bytes: u64 = plan.hints.iter().map(|h| h.bytes).sum();
    let _ = writeln!(
        out,
        "{} hints ({} in the 103, {} on the 200), {} hinted; max depth {}",
        plan.hints.len(),
        early,
        final_,
        human_bytes(bytes),
        entries.iter().map(|e| e.depth).max().unwrap_or(0)
    );
    // Each response's own Link lines when they differ (fonts go in the 103 only, and a budget may
    // leave a hint out of one response).
    let same = plan
        .early()
        .map(|h| &h.url)
        .eq(plan.final_().map(|h| &h.url));
    let responses: Vec<(&str, Vec<&crate::plan::Hint>)> = if same {
        vec![("", plan.early().collect())]
    } else {
        vec![
            ("In the 103:", plan.early().collect()),
            ("On the 200:", plan.final_().collect()),
        ]
    };
    for (title, hints) in responses {
        if !title.is_empty() {
            let _ = writeln!(out, "  {title}");
        }
        let indent = if title.is_empty() { 2 } else { 4 };
        for h in hints {
            let _ = writeln!(out, "{:indent$}Link: {}", "", h.link_header(false));
        }
    }
    for d in diags {
        let _ = writeln!(out, "{d}");
    }
    out
}

fn print_children<'a>(
    out: &mut String,
    entries: &'a [Entry],
    parent: &str,
    level: usize,
    visited: &mut HashSet<&'a str>,
) {
    for e in entries.iter().filter(|e| e.parent == parent) {
        let status = match &e.decision {
            Decision::Hint => {
                let kind = match (&e.explicit, e.by_preload) {
                    (Some((kind, _, _)), true) => *kind,
                    _ => e.kind,
                };
                let how = match kind {
                    crate::parse::RefKind::Script if e.attrs.module => "modulepreload",
                    crate::parse::RefKind::JsImport | crate::parse::RefKind::ModulePreload => {
                        "modulepreload"
                    }
                    _ => "preload",
                };
                if e.by_preload {
                    format!("hinted ({how}, as the page's own <link rel={how}> asks)")
                } else {
                    format!("hinted ({how})")
                }
            }
            Decision::Skip(why) => format!("not hinted: {why}"),
        };
        let _ = writeln!(
            out,
            "{:indent$}[{}] {}  {}  {}  — {}",
            "",
            e.depth,
            sanitize(&e.url),
            e.element,
            if e.file.is_some() {
                human_bytes(e.bytes)
            } else {
                "-".into()
            },
            status,
            indent = level * 2
        );
        if let Some(f) = &e.file
            && visited.insert(f)
        {
            print_children(out, entries, f, level + 1, visited);
        }
    }
}
