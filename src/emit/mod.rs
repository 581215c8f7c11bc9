//! Emitters: each artifact rendered from the [`Plan`] as bytes. Pure functions; [`crate::output`]
//! writes the files.

use crate::config::{Artifact, Config, ServerOptions};
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
        Artifact::Nginx | Artifact::Caddy | Artifact::H2o | Artifact::Apache => {
            server_files(artifact, plan, &config.server, diags)
        }
        Artifact::Assets => vec![json::assets(plan)],
        Artifact::Push => vec![json::push_manifest(plan)],
        Artifact::Hints => vec![json::early_hints(plan)],
        Artifact::Headers => vec![headers::render(plan, diags)],
    }
}

/// A server config renderer: writes the artifact's main file to the [`Out`] as it goes, and
/// returns its other files (small ones), rendered whole. Problems go to the diagnostics.
pub type ServerRender =
    fn(&Plan, &ServerOptions, &mut Vec<Diagnostic>, &mut Out) -> Vec<OutputFile>;

/// A server config's main file and renderer; `None` for the other artifacts.
fn server_renderer(artifact: Artifact) -> Option<(&'static str, ServerRender)> {
    Some(match artifact {
        Artifact::Nginx => (nginx::HTTP_FILE, nginx::render_to),
        Artifact::Caddy => (caddy::FILE, caddy::render_to),
        Artifact::Apache => (apache::FILE, apache::render_to),
        Artifact::H2o => (h2o::FILE, h2o::render_to),
        Artifact::Assets | Artifact::Hints | Artifact::Push | Artifact::Headers => return None,
    })
}

/// A server config's files rendered whole: the main one, then the others. Nothing for an artifact
/// that is not a server config.
pub fn server_files(
    artifact: Artifact,
    plan: &Plan,
    opts: &ServerOptions,
    diags: &mut Vec<Diagnostic>,
) -> Vec<OutputFile> {
    let Some((path, render_to)) = server_renderer(artifact) else {
        return Vec::new();
    };
    let mut out = Out::whole();
    let rest = render_to(plan, opts, diags, &mut out);
    let main = OutputFile::text(path, out.finish().unwrap_or_default());
    std::iter::once(main).chain(rest).collect()
}

/// The artifacts whose main file is written as it is rendered (the big ones), byte for byte what
/// [`render`] gives.
#[derive(Clone, Copy)]
pub enum Streamed {
    /// A JSON document made of one big map.
    Map(json::MapDoc),
    /// A server config: its main file's path and its renderer.
    Server(&'static str, ServerRender),
}

impl Streamed {
    /// How `artifact` is streamed, when it is.
    pub fn of(artifact: Artifact) -> Option<Streamed> {
        match artifact {
            Artifact::Assets => Some(Streamed::Map(json::MapDoc::Assets)),
            Artifact::Hints => Some(Streamed::Map(json::MapDoc::EarlyHints)),
            _ => {
                server_renderer(artifact).map(|(path, render_to)| Streamed::Server(path, render_to))
            }
        }
    }

    /// The main file, relative to OUT.
    pub fn path(self) -> &'static str {
        match self {
            Streamed::Map(doc) => doc.file(),
            Streamed::Server(path, _) => path,
        }
    }

    /// Writes the main file to `w`; returns the artifact's other files, rendered whole.
    pub fn write(
        self,
        plan: &Plan,
        config: &Config,
        diags: &mut Vec<Diagnostic>,
        w: &mut dyn std::io::Write,
    ) -> std::io::Result<Vec<OutputFile>> {
        match self {
            Streamed::Map(doc) => doc.stream(plan, w).map(|_| Vec::new()),
            Streamed::Server(_, render_to) => {
                let mut out = Out::to(w);
                let rest = render_to(plan, &config.server, diags, &mut out);
                out.finish().map(|_| rest)
            }
        }
    }
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
