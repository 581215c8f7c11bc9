//! Settings: the command line and `hintgen.toml` resolved into one [`Config`].
//!
//! Precedence: flags, then the settings file, then defaults. Every policy default below is documented
//! with the reason it was chosen (see `DESIGN.md` section 4 and the README's policy section).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::{BuildArgs, ColorChoice, DiagFormat, SriArg};
use crate::error::{Error, Result};

/// One output artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Artifact {
    /// `assets.json`.
    Assets,
    /// `push_manifest.json`.
    Push,
    /// `early-hints.json`.
    Hints,
    /// `_headers`.
    Headers,
    /// `nginx/`.
    Nginx,
    /// `Caddyfile`.
    Caddy,
    /// `h2o.conf`.
    H2o,
    /// `apache/`.
    Apache,
}

impl Artifact {
    /// Every artifact, in `--emit` order.
    pub const ALL: [Artifact; 8] = [
        Artifact::Assets,
        Artifact::Push,
        Artifact::Hints,
        Artifact::Headers,
        Artifact::Nginx,
        Artifact::Caddy,
        Artifact::H2o,
        Artifact::Apache,
    ];

    /// The `--emit` name.
    pub fn name(self) -> &'static str {
        match self {
            Artifact::Assets => "assets",
            Artifact::Push => "push",
            Artifact::Hints => "hints",
            Artifact::Headers => "headers",
            Artifact::Nginx => "nginx",
            Artifact::Caddy => "caddy",
            Artifact::H2o => "h2o",
            Artifact::Apache => "apache",
        }
    }

    /// Parses an `--emit` name.
    pub fn parse(name: &str) -> Option<Artifact> {
        Artifact::ALL.into_iter().find(|a| a.name() == name.trim())
    }
}

/// Digest used for `integrity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sri {
    /// sha256 (the fingerprint itself).
    #[default]
    Sha256,
    /// sha384.
    Sha384,
    /// sha512.
    Sha512,
}

impl Sri {
    /// The prefix in an `integrity` value.
    pub fn name(self) -> &'static str {
        match self {
            Sri::Sha256 => "sha256",
            Sri::Sha384 => "sha384",
            Sri::Sha512 => "sha512",
        }
    }
}

/// Where the site is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// `scheme://host[:port]` when `--base-url` gave one; hint URLs stay root-relative either way.
    pub origin: Option<String>,
    /// The path prefix, always starting and ending with `/`.
    pub path: String,
}

impl Default for BaseUrl {
    fn default() -> Self {
        BaseUrl {
            origin: None,
            path: "/".into(),
        }
    }
}

impl BaseUrl {
    /// Parses `/app/`, `/app`, `https://example.com/app/`.
    pub fn parse(s: &str) -> Result<BaseUrl> {
        let s = s.trim();
        if s.contains("://") {
            let u = url::Url::parse(s)
                .map_err(|e| Error::Usage(format!("--base-url {s:?} is not a valid URL: {e}")))?;
            if u.scheme() != "http" && u.scheme() != "https" {
                return Err(Error::Usage(format!(
                    "--base-url {s:?}: only http and https"
                )));
            }
            let mut path = u.path().to_string();
            if !path.ends_with('/') {
                path.push('/');
            }
            return Ok(BaseUrl {
                origin: Some(u.origin().ascii_serialization()),
                path,
            });
        }
        let mut path = String::from("/");
        path.push_str(s.trim_matches('/'));
        if !path.ends_with('/') {
            path.push('/');
        }
        if path
            .chars()
            .any(|c| c.is_control() || c == ' ' || c == '?' || c == '#')
        {
            return Err(Error::Usage(format!("--base-url {s:?}: not a URL path")));
        }
        Ok(BaseUrl { origin: None, path })
    }
}

/// The hint policy (DESIGN.md section 4). Every field can be set in `[policy]` of `hintgen.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Policy {
    /// Most hints per response (the 103 and the 200 are counted apart); the tail (lowest priority)
    /// is left out of that response, and a hint left out of both is dropped, with a diagnostic.
    pub max_hints: usize,
    /// Most bytes of one `Link` header value; servers and CDNs cap a header near 8 KiB.
    pub max_header_bytes: usize,
    /// Files larger than this are never hinted (a hint that large competes with the HTML).
    pub max_file_bytes: u64,
    /// Most bytes pushed per page when push is on.
    pub max_push_bytes: u64,
    /// Hint fonts declared by render-blocking stylesheets.
    pub fonts: bool,
    /// Also put font hints on the 200 response. Off by default: measured in Chromium, font preloads that
    /// arrive with the HTML delay first paint (~95 ms) and buy nothing; they pay only in a 103.
    pub fonts_on_final: bool,
    /// Hint `async` classic scripts (off: async scripts are by definition not critical).
    pub async_scripts: bool,
    /// Hint images marked `fetchpriority=high` (and `<link rel=preload as=image>`).
    pub priority_images: bool,
    /// Hint images that render-blocking CSS names with `url()` (off: most are below the fold).
    pub css_images: bool,
    /// Add `rel=preconnect` for cross-origin hosts that critical resources come from.
    pub preconnect: bool,
    /// Copy `<link rel=preload|modulepreload>` elements already in the page into the hints.
    pub explicit_preloads: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_hints: 16,
            max_header_bytes: 8 * 1024,
            max_file_bytes: 4 * 1024 * 1024,
            max_push_bytes: 512 * 1024,
            fonts: true,
            fonts_on_final: false,
            async_scripts: false,
            priority_images: true,
            css_images: false,
            preconnect: true,
            explicit_preloads: true,
        }
    }
}

/// Options for the server config emitters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServerOptions {
    /// Emit HTTP/2 push (opt-in: Chrome removed it in 106, Firefox in 132, nginx in 1.25.1).
    pub push: bool,
    /// Pages are also served at their clean URL (`/about` for `/about.html` or `/about/index.html`).
    pub clean_urls: bool,
    /// Target nginx version, e.g. "1.22".
    pub nginx_version: String,
    /// Target Caddy version, e.g. "2.6".
    pub caddy_version: String,
    /// Target Apache httpd version, e.g. "2.4.62" (`H2EarlyHint` needs 2.4.58).
    pub apache_version: String,
    /// Target h2o version, e.g. "2.2" (`when: early` needs 2.3).
    pub h2o_version: String,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            push: false,
            clean_urls: false,
            nginx_version: "1.22".into(),
            caddy_version: "2.6".into(),
            apache_version: "2.4.62".into(),
            h2o_version: "2.2".into(),
        }
    }
}

/// `hintgen.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileSettings {
    /// The site folder.
    pub site: Option<PathBuf>,
    /// The output folder.
    pub out: Option<PathBuf>,
    /// Artifacts to write.
    pub emit: Option<Vec<String>>,
    /// Base URL.
    pub base_url: Option<String>,
    /// `sha256`, `sha384` or `sha512`.
    pub sri: Option<String>,
    /// Merge `_headers` into the site.
    pub headers_in_site: Option<bool>,
    /// The hint policy.
    pub policy: Policy,
    /// Server emitter options.
    pub server: ServerOptions,
}

impl FileSettings {
    /// Loads the settings file: `explicit` when given (it must exist), else `./hintgen.toml` if present.
    pub fn load(explicit: Option<&Path>) -> Result<(FileSettings, Option<PathBuf>)> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let p = PathBuf::from("hintgen.toml");
                if !p.is_file() {
                    return Ok((FileSettings::default(), None));
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let settings = toml::from_str(&text).map_err(|e| Error::Config {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok((settings, Some(path)))
    }
}

/// Everything a run needs, resolved.
#[derive(Debug, Clone)]
pub struct Config {
    /// The site root.
    pub site: PathBuf,
    /// The output folder; `None` means stdout (`-o -`).
    pub out: Option<PathBuf>,
    /// Artifacts to write.
    pub emit: BTreeSet<Artifact>,
    /// Where the site is served.
    pub base: BaseUrl,
    /// Digest for `integrity`.
    pub sri: Sri,
    /// Merge `_headers` into SITE.
    pub headers_in_site: bool,
    /// Use the fingerprint cache.
    pub cache: bool,
    /// The hint policy.
    pub policy: Policy,
    /// Server emitter options.
    pub server: ServerOptions,
    /// Diagnostics format.
    pub format: DiagFormat,
    /// Only errors on stderr.
    pub quiet: bool,
    /// Colour choice.
    pub color: ColorChoice,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            site: PathBuf::from("dist"),
            out: Some(PathBuf::from("hintgen-out")),
            emit: Artifact::ALL.into_iter().collect(),
            base: BaseUrl::default(),
            sri: Sri::Sha256,
            headers_in_site: false,
            cache: true,
            policy: Policy::default(),
            server: ServerOptions::default(),
            format: DiagFormat::Human,
            quiet: false,
            color: ColorChoice::Auto,
        }
    }
}

/// Resolves the site folder: the argument, the settings file, or `dist` when it exists.
pub fn resolve_site(arg: Option<&Path>, file: Option<&Path>) -> Result<PathBuf> {
    let site = match arg.or(file) {
        Some(p) => p.to_path_buf(),
        None if Path::new("dist").is_dir() => PathBuf::from("dist"),
        None => {
            return Err(Error::Usage(
                "no SITE given and there is no `dist` folder here; run `hintgen build <SITE>`"
                    .into(),
            ));
        }
    };
    if !site.is_dir() {
        return Err(Error::Usage(format!(
            "site folder {} does not exist or is not a folder",
            site.display()
        )));
    }
    Ok(site)
}

impl Config {
    /// Builds the configuration for `build`/`watch`/`check` from flags and the settings file.
    pub fn from_build_args(args: &BuildArgs) -> Result<Config> {
        let (file, _) = FileSettings::load(args.config.as_deref())?;
        let site = resolve_site(args.site.as_deref(), file.site.as_deref())?;
        let out = match args.output.as_deref().or(file.out.as_deref()) {
            Some(p) if p == Path::new("-") => None,
            Some(p) => Some(p.to_path_buf()),
            None => Some(default_out(&site)),
        };
        let emit = match args.emit.as_ref().or(file.emit.as_ref()) {
            None => Artifact::ALL.into_iter().collect(),
            Some(list) => {
                let mut set = BTreeSet::new();
                for name in list.iter().filter(|n| !n.trim().is_empty()) {
                    let a = Artifact::parse(name).ok_or_else(|| {
                        Error::Usage(format!(
                            "--emit: unknown artifact {name:?} (expected one of: {})",
                            Artifact::ALL.map(|a| a.name()).join(", ")
                        ))
                    })?;
                    set.insert(a);
                }
                if set.is_empty() {
                    return Err(Error::Usage("--emit: the list is empty".into()));
                }
                set
            }
        };
        if out.is_none() && emit.len() != 1 {
            return Err(Error::Usage(
                "-o - prints one artifact on stdout: pick it with --emit (e.g. --emit hints)"
                    .into(),
            ));
        }
        let base = match args.base_url.as_deref().or(file.base_url.as_deref()) {
            Some(s) => BaseUrl::parse(s)?,
            None => BaseUrl::default(),
        };
        let sri = match (args.sri, file.sri.as_deref()) {
            (Some(SriArg::Sha256), _) => Sri::Sha256,
            (Some(SriArg::Sha384), _) => Sri::Sha384,
            (Some(SriArg::Sha512), _) => Sri::Sha512,
            (None, None) | (None, Some("sha256")) => Sri::Sha256,
            (None, Some("sha384")) => Sri::Sha384,
            (None, Some("sha512")) => Sri::Sha512,
            (None, Some(other)) => {
                return Err(Error::Usage(format!(
                    "sri = {other:?} in the settings file: expected sha256, sha384 or sha512"
                )));
            }
        };
        let mut server = file.server.clone();
        server.push |= args.push;
        server.clean_urls |= args.clean_urls;
        let policy = file.policy.clone();
        if policy.max_hints == 0 {
            return Err(Error::Usage("policy.max-hints must be at least 1".into()));
        }
        let config = Config {
            site,
            out,
            emit,
            base,
            sri,
            headers_in_site: args.headers_in_site || file.headers_in_site.unwrap_or(false),
            cache: !args.no_cache,
            policy,
            server,
            format: args.format,
            quiet: args.quiet,
            color: args.color,
        };
        config.check_out_not_in_site()?;
        Ok(config)
    }

    /// Refuses an output folder that is the site itself (outputs would become site files).
    fn check_out_not_in_site(&self) -> Result<()> {
        let Some(out) = &self.out else { return Ok(()) };
        let site = std::fs::canonicalize(&self.site).map_err(|e| Error::io(&self.site, e))?;
        let out_abs = absolute_lexical(out);
        if out_abs == site || std::fs::canonicalize(out).is_ok_and(|o| o == site) {
            return Err(Error::Usage(format!(
                "the output folder {} is the site folder; pick another -o",
                out.display()
            )));
        }
        Ok(())
    }
}

/// The default output folder: `hintgen-out` in the working folder, or beside the site when the working
/// folder is inside the site (outputs never land in the site unless asked for).
pub fn default_out(site: &Path) -> PathBuf {
    let out = PathBuf::from("hintgen-out");
    let (Ok(site_abs), Ok(cwd)) = (std::fs::canonicalize(site), std::env::current_dir()) else {
        return out;
    };
    if cwd.starts_with(&site_abs) {
        let parent = site_abs.parent().unwrap_or(&site_abs);
        return parent.join("hintgen-out");
    }
    out
}

/// An absolute path without touching the disk beyond the working folder.
pub fn absolute_lexical(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(BaseUrl::parse("/app").unwrap().path, "/app/");
        assert_eq!(BaseUrl::parse("app/").unwrap().path, "/app/");
        assert_eq!(BaseUrl::parse("/").unwrap().path, "/");
        let b = BaseUrl::parse("https://example.com:8443/x").unwrap();
        assert_eq!(b.origin.as_deref(), Some("https://example.com:8443"));
        assert_eq!(b.path, "/x/");
        assert!(BaseUrl::parse("ftp://x/").is_err());
    }

    #[test]
    fn policy_from_toml() {
        let s: FileSettings = toml::from_str(
            "emit = [\"hints\"]\n[policy]\nmax-hints = 4\nfonts = false\n[server]\npush = true\n",
        )
        .unwrap();
        assert_eq!(s.policy.max_hints, 4);
        assert!(!s.policy.fonts);
        assert!(s.server.push);
        assert!(toml::from_str::<FileSettings>("[policy]\nbogus = 1\n").is_err());
    }
}
