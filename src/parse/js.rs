//! ES-module import discovery (stub: being written).

use super::FileFacts;

/// Parses a JavaScript file for module imports.
pub fn parse_js(_text: &str) -> FileFacts {
    FileFacts::default()
}
