//! Settings: command line + `hintgen.toml` → [`Config`].
