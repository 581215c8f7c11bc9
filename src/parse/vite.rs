//! `.vite/manifest.json`: Vite's own record of which chunk imports which.
//!
//! Keys are manifest keys (source paths such as `src/main.ts` or `_shared-B2x.js`), not URLs; each entry's
//! `file` is the output path relative to the build's `outDir`. The graph uses the manifest to add
//! `imports` (static, hinted), `css` (stylesheets a chunk loads) and `dynamicImports` (lazy) edges, so
//! hints stay right even where the JS lexer cannot see an import (e.g. CSS that Vite injects).
//! See <https://vite.dev/guide/backend-integration>.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::FileFacts;
use crate::error::{Diagnostic, Severity};

/// One manifest entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Chunk {
    /// Output file, relative to `outDir`.
    pub file: String,
    /// Source path, when the chunk has one.
    pub src: Option<String>,
    /// An entry chunk.
    pub is_entry: bool,
    /// A dynamic entry chunk.
    pub is_dynamic_entry: bool,
    /// Manifest keys of statically imported chunks.
    pub imports: Vec<String>,
    /// Manifest keys of dynamically imported chunks.
    pub dynamic_imports: Vec<String>,
    /// Output CSS files (relative to `outDir`) this chunk needs.
    pub css: Vec<String>,
    /// Output asset files (relative to `outDir`) this chunk references.
    pub assets: Vec<String>,
}

/// The whole manifest: key → chunk.
pub type Manifest = BTreeMap<String, Chunk>;

/// Edges the manifest gives for one output file (paths relative to `outDir`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkEdges {
    /// Statically imported chunk files.
    pub imports: Vec<String>,
    /// Dynamically imported chunk files.
    pub dynamic_imports: Vec<String>,
    /// CSS files.
    pub css: Vec<String>,
}

/// Maps each output file to its edges, with manifest keys turned into output files.
pub fn edges_by_file(manifest: &Manifest) -> BTreeMap<String, ChunkEdges> {
    let file_of = |key: &String| manifest.get(key).map(|c| c.file.clone());
    manifest
        .values()
        .map(|c| {
            let edges = ChunkEdges {
                imports: c.imports.iter().filter_map(file_of).collect(),
                dynamic_imports: c.dynamic_imports.iter().filter_map(file_of).collect(),
                css: c.css.clone(),
            };
            (c.file.clone(), edges)
        })
        .collect()
}

/// Parses the manifest text into [`FileFacts::vite_manifest`], with a diagnostic when it is not valid.
pub fn parse_manifest_facts(text: &str) -> FileFacts {
    let mut facts = FileFacts::default();
    match serde_json::from_str::<Manifest>(text) {
        Ok(m) => facts.vite_manifest = Some(m),
        Err(e) => facts.diagnostics.push(Diagnostic::new(
            Severity::Warning,
            "bad-vite-manifest",
            "",
            format!("not a valid Vite manifest ({e}); ignoring it"),
        )),
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges() {
        let text = r#"{
          "index.html": {"file": "assets/index-A1.js", "isEntry": true, "src": "index.html",
             "imports": ["_shared-B2.js"], "dynamicImports": ["src/lazy.ts"], "css": ["assets/index-C3.css"]},
          "_shared-B2.js": {"file": "assets/shared-B2.js"},
          "src/lazy.ts": {"file": "assets/lazy-D4.js", "isDynamicEntry": true}
        }"#;
        let m = parse_manifest_facts(text).vite_manifest.unwrap();
        let e = edges_by_file(&m);
        assert_eq!(e["assets/index-A1.js"].imports, vec!["assets/shared-B2.js"]);
        assert_eq!(
            e["assets/index-A1.js"].dynamic_imports,
            vec!["assets/lazy-D4.js"]
        );
        assert_eq!(e["assets/index-A1.js"].css, vec!["assets/index-C3.css"]);
    }

    #[test]
    fn bad_manifest_is_a_diagnostic() {
        let f = parse_manifest_facts("{nope");
        assert!(f.vite_manifest.is_none());
        assert_eq!(f.diagnostics.len(), 1);
    }
}
