//! Emitters: each artifact rendered from the [`Plan`] as bytes. Pure functions; [`crate::output`]
//! writes the files.

use crate::config::{Artifact, Config};
use crate::error::Diagnostic;
use crate::plan::Plan;

pub mod apache;
pub mod caddy;
pub mod escape;
pub mod h2o;
pub mod headers;
pub mod json;
pub mod nginx;

/// One output file: a path relative to OUT (`/` separators) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the output folder.
    pub path: String,
    /// The whole content.
    pub bytes: Vec<u8>,
}

impl OutputFile {
    /// A text output; a trailing newline is added when missing.
    pub fn text(path: impl Into<String>, mut text: String) -> Self {
        if !text.ends_with('\n') {
            text.push('\n');
        }
        OutputFile {
            path: path.into(),
            bytes: text.into_bytes(),
        }
    }
}

/// Renders one artifact. Problems (a name a target cannot express, a budget) go to `diags`.
pub fn render(
    plan: &Plan,
    config: &Config,
    artifact: Artifact,
    diags: &mut Vec<Diagnostic>,
) -> Vec<OutputFile> {
    match artifact {
        Artifact::Nginx => nginx::render(plan, &config.server, diags),
        Artifact::Caddy => caddy::render(plan, &config.server, diags),
        Artifact::H2o => h2o::render(plan, &config.server, diags),
        Artifact::Apache => apache::render(plan, &config.server, diags),
        Artifact::Assets => vec![json::assets(plan)],
        Artifact::Push => vec![json::push_manifest(plan)],
        Artifact::Hints => vec![json::early_hints(plan)],
        Artifact::Headers => vec![headers::render(plan, diags)],
    }
}

/// A renderer that writes its one file as it goes.
pub type StreamFn = fn(&Plan, &mut dyn std::io::Write) -> std::io::Result<()>;

/// For the artifacts big enough to be worth it and made of one file: the file's path (relative to
/// OUT) and its streaming renderer, which writes the same bytes as [`render`].
pub fn streamed(artifact: Artifact) -> Option<(&'static str, StreamFn)> {
    match artifact {
        Artifact::Assets => Some(("assets.json", json::stream_assets)),
        Artifact::Hints => Some(("early-hints.json", json::stream_early_hints)),
        _ => None,
    }
}
