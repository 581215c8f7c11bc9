//! The command line (clap derive only; no logic).
