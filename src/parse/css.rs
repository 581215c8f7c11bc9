//! CSS discovery (stub: being written).

use super::FileFacts;

/// Parses a stylesheet.
pub fn parse_css(_text: &str) -> FileFacts {
    FileFacts::default()
}
