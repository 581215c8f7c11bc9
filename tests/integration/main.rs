//! hintgen's integration tests: one binary, modules per area, a shared harness.

mod build;
mod cache;
mod harness;
mod server_harness;
mod servers;
mod watch;
