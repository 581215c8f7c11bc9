//! HTML discovery with lol_html (stub: being written).

use super::{FileFacts, Parser};

/// Streaming HTML parser.
pub struct HtmlParser {
    bytes: Vec<u8>,
}

impl HtmlParser {
    /// A parser for one document.
    pub fn new() -> Self {
        HtmlParser { bytes: Vec::new() }
    }
}

impl Default for HtmlParser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser for HtmlParser {
    fn write(&mut self, chunk: &[u8]) {
        self.bytes.extend_from_slice(chunk);
    }
    fn finish(self: Box<Self>) -> FileFacts {
        FileFacts::default()
    }
}
