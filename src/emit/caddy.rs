//! caddy configuration (being written).

use super::OutputFile;
use crate::config::ServerOptions;
use crate::error::Diagnostic;
use crate::plan::Plan;

/// Renders the caddy snippet(s).
pub fn render(
    _plan: &Plan,
    _opts: &ServerOptions,
    _diags: &mut Vec<Diagnostic>,
) -> Vec<OutputFile> {
    Vec::new()
}
