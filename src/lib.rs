//! hintgen: from a built site to per-page preload / 103 Early Hints / push manifests and server config.
//!
//! The pipeline is a chain of functions over plain data; only the ends touch the disk:
//!
//! 1. [`walk`] lists the site's regular files (sorted, inside the root only);
//! 2. [`scan`] reads each file once, in parallel, feeding the bytes to the SHA-256 hasher
//!    ([`fingerprint`]) and to the parser for its kind ([`parse`]);
//! 3. [`graph`] resolves every reference with WHATWG URL rules ([`site`]) into an asset graph, and
//!    computes each page's closure with a depth per resource;
//! 4. [`hints`] applies the hint policy and budgets, giving a [`hints::Plan`];
//! 5. [`emit`] renders each artifact from the plan as bytes;
//! 6. [`output`] writes them atomically, leaving identical files untouched.

pub mod cli;
pub mod config;
pub mod error;
pub mod parse;

pub use error::{Diagnostic, Error, Result, Severity};
pub mod emit;
pub mod fingerprint;
pub mod graph;
pub mod link;
pub mod plan;
pub mod scan;
pub mod site;
pub mod walk;
pub mod hints;
