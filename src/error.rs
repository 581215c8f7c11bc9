//! Errors and diagnostics.
//!
//! Two kinds of trouble exist. An [`Error`] is fatal: bad usage, an unreadable site root, an output that
//! cannot be written; the run stops and the process exits 2. A [`Diagnostic`] is a problem with one file
//! or one reference (a missing target, a reference escaping the site, a budget drop); it is data that flows
//! through the pipeline, the run goes on, and any diagnostic of [`Severity::Error`] makes the exit code 1.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A fatal error: the run cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line or configuration is wrong.
    #[error("{0}")]
    Usage(String),
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `hintgen.toml` could not be parsed.
    #[error("{}: {message}", path.display())]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Ctrl-C was pressed.
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias for fatal errors.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something is broken (a missing file, an escaping reference); the exit code becomes 1.
    Error,
    /// Something is probably wrong or was dropped (a budget, a mismatched preload).
    Warning,
    /// Worth knowing, nothing to fix.
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

/// A position in a text file, 1-based. `line == 0` means "no position".
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Location {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub col: u32,
}

impl Location {
    /// A location at `line:col`.
    pub fn new(line: u32, col: u32) -> Self {
        Location { line, col }
    }
}

/// One problem with one file or reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Diagnostic {
    /// The site-relative file (`/` separators) the problem is in; empty for site-wide problems.
    pub file: String,
    /// Where in `file`.
    pub location: Location,
    /// How bad it is.
    pub severity: Severity,
    /// A stable machine-readable code, e.g. `missing-file`.
    pub code: &'static str,
    /// A sentence for humans, naming the element and the target.
    pub message: String,
}

impl Diagnostic {
    /// A new diagnostic with no location.
    pub fn new(
        severity: Severity,
        code: &'static str,
        file: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            file: file.into(),
            location: Location::default(),
            severity,
            code,
            message: message.into(),
        }
    }

    /// Sets the location.
    pub fn at(mut self, location: Location) -> Self {
        self.location = location;
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            f.write_str(&self.file)?;
            if self.location.line > 0 {
                write!(f, ":{}:{}", self.location.line, self.location.col)?;
            }
            f.write_str(": ")?;
        }
        write!(f, "{}[{}]: {}", self.severity, self.code, self.message)
    }
}
