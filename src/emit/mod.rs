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

/// A renderer that writes its main file as it goes; problems go to the diagnostics. It returns
/// the artifact's other files, small ones, rendered whole.
pub type StreamFn = fn(
    &Plan,
    &Config,
    &mut Vec<Diagnostic>,
    &mut dyn std::io::Write,
) -> std::io::Result<Vec<OutputFile>>;

/// For the artifacts worth it (the big ones): the path of the main file (relative to OUT) and the
/// streaming renderer, which writes the same bytes as [`render`].
pub fn streamed(artifact: Artifact, config: &Config) -> Option<(&'static str, StreamFn)> {
    fn done(out: Out, rest: Vec<OutputFile>) -> std::io::Result<Vec<OutputFile>> {
        out.finish().map(|_| rest)
    }
    match artifact {
        Artifact::Assets => Some((json::MapDoc::Assets.file(), |p, _, _, w| {
            json::MapDoc::Assets.stream(p, w).map(|_| Vec::new())
        })),
        Artifact::Hints => Some((json::MapDoc::EarlyHints.file(), |p, _, _, w| {
            json::MapDoc::EarlyHints.stream(p, w).map(|_| Vec::new())
        })),
        Artifact::Nginx => Some((nginx::HTTP_FILE, |p, c, d, w| {
            let mut out = Out::to(w);
            let server = nginx::render_to(p, &c.server, d, &mut out);
            done(out, vec![server])
        })),
        Artifact::Caddy => Some((caddy::FILE, |p, c, d, w| {
            let mut out = Out::to(w);
            caddy::render_to(p, &c.server, d, &mut out);
            done(out, Vec::new())
        })),
        Artifact::Apache => Some((apache::FILE, |p, c, d, w| {
            let mut out = Out::to(w);
            apache::render_to(p, &c.server, d, &mut out);
            done(out, Vec::new())
        })),
        // With push, h2o has a second file, which `render` makes.
        Artifact::H2o if !config.server.push => Some((h2o::FILE, |p, c, d, w| {
            let mut out = Out::to(w);
            h2o::render_to(p, &c.server, d, &mut out);
            done(out, Vec::new())
        })),
        _ => None,
    }
}

/// A renderer's text kept whole, as the output file `path`.
fn whole(path: &str, render: impl FnOnce(&mut Out)) -> OutputFile {
    let mut out = Out::whole();
    render(&mut out);
    OutputFile::text(path, out.finish().unwrap_or_default())
}

/// Where a renderer writes its text: into a string kept whole, or to a writer in pieces of about
/// 1 MiB, so that a big output is never whole in memory. `write!` works on it.
pub struct Out<'w> {
    buf: String,
    sink: Option<&'w mut dyn std::io::Write>,
    /// The first write error; later text is dropped.
    failed: Option<std::io::Error>,
    /// Bytes handed to the writer so far.
    handed: usize,
    /// Whether the text handed to the writer so far ends with a newline.
    written_ends_line: bool,
}

/// Text handed to the writer at a time.
const PIECE: usize = 1 << 20;

impl Out<'static> {
    /// Keeps the text whole ([`Out::finish`] returns it).
    pub fn whole() -> Out<'static> {
        Out {
            buf: String::new(),
            sink: None,
            failed: None,
            handed: 0,
            written_ends_line: false,
        }
    }
}

impl<'w> Out<'w> {
    /// Hands the text to `w` as it grows.
    pub fn to(w: &'w mut dyn std::io::Write) -> Out<'w> {
        Out {
            buf: String::with_capacity(PIECE + PIECE / 4),
            sink: Some(w),
            failed: None,
            handed: 0,
            written_ends_line: false,
        }
    }

    /// Appends text.
    pub fn push_str(&mut self, text: &str) {
        self.buf.push_str(text);
        if self.buf.len() >= PIECE {
            self.spill();
        }
    }

    /// Appends a character.
    pub fn push(&mut self, c: char) {
        self.buf.push(c);
    }

    /// Bytes of text so far.
    pub fn position(&self) -> usize {
        self.handed + self.buf.len()
    }

    fn spill(&mut self) {
        let Some(w) = self.sink.as_mut() else {
            return;
        };
        if self.buf.is_empty() {
            return;
        }
        if self.failed.is_none() {
            self.failed = w.write_all(self.buf.as_bytes()).err();
        }
        self.written_ends_line = self.buf.ends_with('\n');
        self.handed += self.buf.len();
        self.buf.clear();
    }

    /// Ends the text with a newline when it has none, as [`OutputFile::text`] does; returns the
    /// text when it was kept whole (empty when it went to a writer).
    pub fn finish(mut self) -> std::io::Result<String> {
        let ends_line = if self.buf.is_empty() {
            self.written_ends_line
        } else {
            self.buf.ends_with('\n')
        };
        if !ends_line {
            self.buf.push('\n');
        }
        if self.sink.is_none() {
            return Ok(self.buf);
        }
        self.spill();
        match self.failed.take() {
            Some(e) => Err(e),
            None => Ok(String::new()),
        }
    }
}

impl std::fmt::Write for Out<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push_str(s);
        Ok(())
    }
}
