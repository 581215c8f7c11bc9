//! hintgen's integration tests: one binary, modules per area, a shared harness.

mod build;
mod harness;
