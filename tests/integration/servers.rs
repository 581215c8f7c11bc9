//! The server configs, served by the real servers: nginx, Caddy, Apache httpd and h2o, each started
//! on 127.0.0.1 with a throwaway certificate, serving a site with the config `hintgen build` wrote.
//! Over HTTP/2, each page's final `Link` set (order included), the 103 of Caddy and Apache, the
//! pushes with `--push` (and none once the guard cookie is sent), the cache headers of fingerprinted
//! files, and `nginx -t` / `caddy validate` / `apache2 -t` / `h2o -t` on a 5,000-page site and on a
//! site of hostile file names, where no name may add a header or a directive.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use hintgen::cli::BuildArgs;
use hintgen::config::{Config, ServerOptions};
use hintgen::emit::{self, OutputFile};
use hintgen::link::encode_url;
use hintgen::plan::{Asset, Hint, PagePlan, Plan, Rel};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::server_harness::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    Nginx,
    Caddy,
    Apache,
    H2o,
}

impl Server {
    fn bin(self) -> &'static str {
        match self {
            Server::Nginx => "nginx",
            Server::Caddy => "caddy",
            Server::Apache => "apache2",
            Server::H2o => "h2o",
        }
    }

    /// Servers here that rewrite `/contact` to `contact.html` in the test config (h2o 2.2's file
    /// handler cannot).
    fn clean_urls(self) -> bool {
        self != Server::H2o
    }
}

// ---------------------------------------------------------------------------------------------
// The fixture site and the expected headers.

/// A small site with fingerprinted and plain files, a module graph, a font, a script with SRI
/// (its hint carries the quoted `integrity`), a page with a space and non-ASCII in its name, and a
/// page served at a clean URL.
fn write_site(site: &Path) {
    let files: &[(&str, &str)] = &[
        (
            "index.html",
            r#"<!doctype html><html><head><title>home</title>
<link rel="stylesheet" href="/assets/main-Ab12Cd34.css">
<script type="module" src="/assets/app-Zx98Yw76.mjs"></script>
<script defer src="/js/legacy.js" crossorigin="anonymous"
  integrity="sha384-SGnfRWKw6byybL5xUyTYTXC+zcuhBpwYZxdyLtcz+wFuUKCM/P++46cIfAm6npPM"></script>
</head><body><img src="/img/hero.png" fetchpriority="high" alt=""></body></html>
"#,
        ),
        (
            "about/index.html",
            r#"<!doctype html><html><head><title>about</title>
<link rel="stylesheet" href="/css/site.css">
<link rel="stylesheet" href="/assets/main-Ab12Cd34.css">
</head><body>about</body></html>
"#,
        ),
        (
            "v1.2/it's/index.html",
            r#"<!doctype html><html><head><title>dotted folder</title>
<link rel="stylesheet" href="/css/site.css">
</head><body>dotted</body></html>
"#,
        ),
        (
            "contact.html",
            r#"<!doctype html><html><head><title>contact</title>
<script type="module" src="/assets/app-Zx98Yw76.mjs"></script>
</head><body>contact</body></html>
"#,
        ),
        (
            "a b/é.html",
            r#"<!doctype html><html><head><title>odd</title>
<link rel="stylesheet" href="/css/caf%C3%A9%20menu.css">
</head><body>odd</body></html>
"#,
        ),
        (
            "assets/main-Ab12Cd34.css",
            "@font-face{font-family:X;src:url(/assets/font-Qw12Er34.woff2) format(\"woff2\")}\nbody{font-family:X}\n",
        ),
        ("assets/font-Qw12Er34.woff2", "wOF2 not really a font\n"),
        (
            "assets/app-Zx98Yw76.mjs",
            "import { x } from \"./dep-Mn34Bv56.mjs\";\nconsole.log(x);\n",
        ),
        ("assets/dep-Mn34Bv56.mjs", "export const x = 1;\n"),
        ("js/legacy.js", "console.log('legacy');\n"),
        ("img/hero.png", "not really a png\n"),
        ("css/site.css", "body{margin:0}\n"),
        ("css/café menu.css", "p{color:red}\n"),
    ];
    for (name, body) in files {
        let p = site.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, body).unwrap();
    }
}

/// A test folder: the site, hintgen's outputs, a certificate.
struct Env {
    dir: tempfile::TempDir,
    site: PathBuf,
    out: PathBuf,
    tls: Tls,
    /// Configure the servers to serve `contact.html` at `/contact` (try_files and the like).
    clean: bool,
    /// Serve cleartext HTTP/2 (h2c) instead of TLS (Caddy and Apache).
    plain: bool,
}

impl Env {
    fn new() -> Env {
        let dir = open_tempdir();
        let site = dir.path().join("site");
        let out = dir.path().join("out");
        fs::create_dir_all(&site).unwrap();
        let tls = make_cert(dir.path());
        Env {
            dir,
            site,
            out,
            tls,
            clean: true,
            plain: false,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Runs `hintgen build` (the real binary) and returns the plan the library makes for the same
/// arguments (the build is deterministic, so it is the plan the configs were rendered from).
fn hintgen_build(env: &Env, push: bool) -> Plan {
    run_hintgen(env, push);
    let args = BuildArgs {
        site: Some(env.site.clone()),
        output: Some(env.out.clone()),
        push,
        clean_urls: true,
        ..BuildArgs::default()
    };
    let config = Config::from_build_args(&args).unwrap();
    let plan = hintgen::build(&config).unwrap().plan;
    // The SRI script's hint repeats its integrity, so every server is checked with that value.
    assert!(
        plan.pages["/"].hints.iter().any(|h| h
            .link_header(false)
            .ends_with("integrity=\"sha384-SGnfRWKw6byybL5xUyTYTXC+zcuhBpwYZxdyLtcz+wFuUKCM/P++46cIfAm6npPM\"")),
        "{:?}",
        plan.pages["/"].hints
    );
    plan
}

/// Runs `hintgen build SITE -o OUT --emit hints,nginx,caddy,apache,h2o --clean-urls [--push]`.
fn run_hintgen(env: &Env, push: bool) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hintgen"));
    cmd.arg("build")
        .arg(&env.site)
        .arg("-o")
        .arg(&env.out)
        .args([
            "--emit",
            "hints,nginx,caddy,apache,h2o",
            "--clean-urls",
            "-q",
        ]);
    if push {
        cmd.arg("--push");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.code() == Some(0),
        "hintgen build failed: {}",
        text(&out.stderr)
    );
    open_tree(env.dir.path());
}

#[derive(Clone, Copy)]
enum Mark {
    Never,
    Unpushable,
    All,
}

fn link(h: &Hint, mark: Mark) -> String {
    match mark {
        Mark::Never => h.link_header(false).into_owned(),
        Mark::Unpushable => h.link_header(true).into_owned(),
        Mark::All => h.link(false).flag("nopush").to_header(),
    }
}

/// The documented `Link` set of the final response.
fn expected_final(server: Server, page: &PagePlan, push: bool, cookie: bool) -> Vec<String> {
    let hints: Vec<&Hint> = match server {
        // These push from the final response's Links, and only rel=preload.
        Server::Nginx | Server::Apache | Server::H2o => page
            .iter()
            .filter(|h| h.final_ || (push && h.push && h.rel == Rel::Preload))
            .collect(),
        Server::Caddy => page.final_().collect(),
    };
    let mark = match (server, push, cookie) {
        (Server::H2o, false, _) => Mark::All,
        (_, false, _) => Mark::Never,
        (Server::Nginx | Server::H2o, true, true) => Mark::All,
        (_, true, _) => Mark::Unpushable,
    };
    hints.iter().map(|h| link(h, mark)).collect()
}

/// The documented `Link` set of the 103 (none for nginx and h2o 2.2).
fn expected_early(server: Server, page: &PagePlan, push: bool) -> Vec<String> {
    let mark = if push { Mark::Unpushable } else { Mark::Never };
    match server {
        Server::Caddy => page
            .hints
            .iter()
            .filter(|h| h.early || (push && h.push))
            .map(|h| link(h, mark))
            .collect(),
        Server::Apache => page.early().map(|h| link(h, mark)).collect(),
        Server::Nginx | Server::H2o => Vec::new(),
    }
}

/// The documented pushes (sorted paths).
fn expected_pushes(server: Server, page: &PagePlan) -> Vec<String> {
    let mut v: Vec<String> = page
        .pushable()
        .filter(|h| server == Server::Caddy || h.rel == Rel::Preload)
        .map(|h| encode_url(&h.url))
        .collect();
    v.sort();
    v
}

/// Request paths for a page: its URL path percent-encoded the way a browser would.
const PATH_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn request_path(path: &str) -> String {
    utf8_percent_encode(path, PATH_ENCODE).to_string()
}

// ---------------------------------------------------------------------------------------------
// Starting each server with hintgen's config.

fn start(server: Server, env: &Env, out: &Path, name: &str) -> Running {
    let port = free_port();
    let dir = env.path(&format!("{name}-run"));
    fs::create_dir_all(&dir).unwrap();
    open_tree(&dir);
    let log = env.path(&format!("{name}.log"));
    let bin = tool(server.bin()).unwrap();
    let mut cmd = Command::new(&bin);
    match server {
        Server::Nginx => {
            let conf = nginx_conf(env, out, &dir, port);
            cmd.arg("-c").arg(&conf).arg("-p").arg(&dir);
        }
        Server::Caddy => {
            let conf = caddy_conf(env, out, &dir, port);
            cmd.args(["run", "--adapter", "caddyfile", "--config"])
                .arg(&conf)
                .env("HOME", &dir)
                .env("XDG_DATA_HOME", &dir)
                .env("XDG_CONFIG_HOME", &dir);
        }
        Server::Apache => {
            let conf = apache_conf(env, out, &dir, port);
            cmd.arg("-f").arg(&conf).arg("-DFOREGROUND");
        }
        Server::H2o => {
            let conf = h2o_conf(env, out, &dir, port);
            cmd.arg("-c").arg(&conf);
        }
    }
    let mut running = Running::start(name, cmd, port, &log);
    if env.plain {
        running.scheme = "http";
    }
    running
}

/// Runs the server's own config check on hintgen's output in `out`.
fn config_check(server: Server, env: &Env, out: &Path, name: &str) -> String {
    let dir = env.path(&format!("{name}-check"));
    fs::create_dir_all(&dir).unwrap();
    open_tree(&dir);
    let port = free_port();
    let bin = tool(server.bin()).unwrap();
    let mut cmd = Command::new(&bin);
    match server {
        Server::Nginx => {
            let conf = nginx_conf(env, out, &dir, port);
            cmd.arg("-t").arg("-c").arg(&conf).arg("-p").arg(&dir);
        }
        Server::Caddy => {
            let conf = caddy_conf(env, out, &dir, port);
            cmd.args(["validate", "--adapter", "caddyfile", "--config"])
                .arg(&conf)
                .env("HOME", &dir)
                .env("XDG_DATA_HOME", &dir)
                .env("XDG_CONFIG_HOME", &dir);
        }
        Server::Apache => {
            let conf = apache_conf(env, out, &dir, port);
            cmd.arg("-t").arg("-f").arg(&conf);
        }
        Server::H2o => {
            let conf = h2o_conf(env, out, &dir, port);
            cmd.arg("-t").arg("-c").arg(&conf);
        }
    }
    check_ok(&format!("{} config check ({name})", server.bin()), &mut cmd)
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

fn nginx_conf(env: &Env, out: &Path, dir: &Path, port: u16) -> PathBuf {
    let d = p(dir);
    let temps: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .iter()
        .map(|t| format!("    {t}_temp_path {d}/{t};\n"))
        .collect();
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log notice;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n    \
         access_log off;\n{temps}    include {out}/nginx/hintgen-http.conf;\n    \
         server {{\n        listen 127.0.0.1:{port} ssl http2;\n        \
         ssl_certificate {cert};\n        ssl_certificate_key {key};\n        root {site};\n        \
         add_header X-User-Header kept always;\n        \
         include {out}/nginx/hintgen-server.conf;\n{clean}    }}\n}}\n",
        clean = if env.clean {
            "        location ~ [^/]$ { try_files $uri $uri.html $uri/index.html =404; }\n"
        } else {
            ""
        },
        out = p(out),
        cert = p(&env.tls.cert),
        key = p(&env.tls.key),
        site = p(&env.site),
    );
    let path = dir.join("nginx.conf");
    fs::write(&path, conf).unwrap();
    path
}

fn caddy_conf(env: &Env, out: &Path, dir: &Path, port: u16) -> PathBuf {
    let (h2c, site, tls) = if env.plain {
        (
            "\tservers {\n\t\tprotocols h1 h2 h2c\n\t}\n".to_string(),
            format!("http://127.0.0.1:{port}"),
            String::new(),
        )
    } else {
        (
            String::new(),
            format!("https://127.0.0.1:{port}"),
            format!("\ttls {} {}\n", p(&env.tls.cert), p(&env.tls.key)),
        )
    };
    let conf = format!(
        "{{\n\tadmin off\n\tauto_https off\n\tstorage file_system {d}/data\n{h2c}}}\n\
         {site} {{\n{tls}\troot * {root}\n\t\
         header X-User-Header kept\n\timport {out}/Caddyfile\n{clean}\tfile_server\n}}\n",
        d = p(dir),
        out = p(out),
        root = p(&env.site),
        clean = if env.clean {
            "\ttry_files {path} {path}.html {path}/index.html\n"
        } else {
            ""
        },
    );
    let path = dir.join("Caddyfile");
    fs::write(&path, conf).unwrap();
    path
}

fn apache_conf(env: &Env, out: &Path, dir: &Path, port: u16) -> PathBuf {
    let d = p(dir);
    let modules: String = [
        ("mpm_event", "mpm_event"),
        ("authz_core", "authz_core"),
        ("mime", "mime"),
        ("dir", "dir"),
        ("headers", "headers"),
        ("ssl", "ssl"),
        ("http2", "http2"),
        ("rewrite", "rewrite"),
    ]
    .iter()
    .map(|(m, f)| format!("LoadModule {m}_module /usr/lib/apache2/modules/mod_{f}.so\n"))
    .collect();
    let user = if is_root() {
        "User nobody\nGroup nogroup\n"
    } else {
        ""
    };
    let conf = format!(
        "ServerRoot \"{d}\"\nDefaultRuntimeDir \"{d}\"\nPidFile \"{d}/httpd.pid\"\n\
         Mutex file:{d} default\nErrorLog \"{d}/error.log\"\nLogLevel warn\n{modules}\
         TypesConfig /etc/mime.types\n{user}StartServers 1\nServerLimit 1\nThreadsPerChild 25\n\
         MaxRequestWorkers 25\nListen 127.0.0.1:{port}\nServerName localhost\n\
         SSLSessionCache none\n\
         <VirtualHost 127.0.0.1:{port}>\n{tls}    DocumentRoot \"{site}\"\n    \
         DirectoryIndex index.html\n    <Directory \"{site}\">\n        Require all granted\n    \
         </Directory>\n    Header always set X-User-Header kept\n    \
         Include {out}/apache/hintgen.conf\n{clean}</VirtualHost>\n",
        clean = if env.clean {
            "    RewriteEngine On\n    RewriteCond \"%{DOCUMENT_ROOT}%{REQUEST_URI}.html\" -f\n    \
             RewriteRule \"^(.+)$\" \"$1.html\" [PT]\n    \
             RewriteCond \"%{DOCUMENT_ROOT}%{REQUEST_URI}/index.html\" -f\n    \
             RewriteRule \"^(.+[^/])$\" \"$1/index.html\" [PT]\n"
        } else {
            ""
        },
        out = p(out),
        tls = if env.plain {
            "    Protocols h2c http/1.1\n".to_string()
        } else {
            format!(
                "    SSLEngine on\n    SSLCertificateFile {}\n    SSLCertificateKeyFile {}\n    \
                 Protocols h2 http/1.1\n",
                p(&env.tls.cert),
                p(&env.tls.key)
            )
        },
        site = p(&env.site),
    );
    let path = dir.join("httpd.conf");
    fs::write(&path, conf).unwrap();
    path
}

fn h2o_conf(env: &Env, out: &Path, dir: &Path, port: u16) -> PathBuf {
    let user = if is_root() { "user: nobody\n" } else { "" };
    let host = out.join("h2o-host.conf");
    let host_include = if host.exists() {
        format!("    <<: !file {}\n", p(&host))
    } else {
        String::new()
    };
    let conf = format!(
        "{user}error-log: {d}/error.log\nlisten:\n  host: 127.0.0.1\n  port: {port}\n  ssl:\n    \
         certificate-file: {cert}\n    key-file: {key}\n    ocsp-update-interval: 0\n\
         hosts:\n  default:\n{host_include}    paths:\n      \"/\":\n        \
         <<: !file {out}/h2o.conf\n        file.dir: {site}\n",
        d = p(dir),
        out = p(out),
        cert = p(&env.tls.cert),
        key = p(&env.tls.key),
        site = p(&env.site),
    );
    let path = dir.join("h2o.conf");
    fs::write(&path, conf).unwrap();
    path
}

// ---------------------------------------------------------------------------------------------
// The end-to-end checks.

fn serve_and_check(server: Server, push: bool) {
    serve_and_check_with(server, push, false);
}

/// With `plain`, the server speaks h2c (cleartext HTTP/2) and only the Links and 103s are checked
/// (browsers use neither push nor 103 without TLS; curl does).
fn serve_and_check_with(server: Server, push: bool, plain: bool) {
    let test = format!(
        "{}_{}{}",
        server.bin(),
        if push { "push" } else { "hints" },
        if plain { "_h2c" } else { "" }
    );
    if require(&test, &[server.bin(), "curl", "nghttp", "openssl"]).is_none() {
        return;
    }
    let mut env = Env::new();
    env.plain = plain;
    write_site(&env.site);
    let plan = hintgen_build(&env, push);
    assert!(plan.pages.len() >= 4, "{:?}", plan.pages.keys());
    assert!(
        plan.pages.values().any(|p| p.early().count() > 0),
        "the fixture must have hints"
    );
    let running = start(server, &env, &env.out, &test);
    let cookie = format!(
        "cookie: other=1; hintgen_push={}",
        if plan.build_id.is_empty() {
            "0"
        } else {
            plan.build_id.as_str()
        }
    );

    let (mut saw_103, mut saw_push) = (0, 0);
    for page in plan.pages.values() {
        for alias in page.aliases(true) {
            let is_clean = alias != page.url && !alias.ends_with("/index.html");
            if is_clean && !server.clean_urls() {
                continue;
            }
            // Page URLs in the plan are already percent-encoded, as a browser sends them.
            let url = running.url(&alias);
            let blocks = curl(&url, &[]);
            let last = blocks.last().unwrap();
            assert_eq!(last.status, 200, "{url}\n{}", running.log());
            assert_eq!(
                last.links(),
                expected_final(server, page, push, false),
                "{}: final Link of {url}",
                server.bin()
            );
            let early: Vec<&Response> = blocks.iter().filter(|b| b.status == 103).collect();
            let want_early = expected_early(server, page, push);
            if want_early.is_empty() {
                assert!(early.is_empty(), "{url}: unexpected 103 {early:?}");
            } else {
                assert_eq!(early.len(), 1, "{url}: one 103 expected, got {blocks:?}");
                saw_103 += 1;
                assert_eq!(
                    early[0].links(),
                    want_early,
                    "{}: 103 Link of {url}",
                    server.bin()
                );
            }
            if server != Server::H2o {
                // hintgen's headers never drop the user's own (nginx's add_header trap).
                assert_eq!(last.get("x-user-header"), Some("kept"), "{url}");
            }
            let pushes = push && !expected_pushes(server, page).is_empty();
            assert_eq!(
                last.get("set-cookie")
                    .is_some_and(|c| c.starts_with("hintgen_push=")),
                pushes,
                "{url}: guard cookie"
            );
        }
        if push && !plain {
            let url = running.url(&page.url);
            let first = nghttp(&url, &[]);
            let mut pushed = first.pushes.clone();
            pushed.sort();
            saw_push += pushed.len();
            assert_eq!(
                pushed,
                expected_pushes(server, page),
                "{}: PUSH_PROMISE paths for {url}",
                server.bin()
            );
            let again = nghttp(&url, &[&cookie]);
            assert!(
                again.pushes.is_empty(),
                "{}: pushed {:?} to a visitor with the guard cookie",
                server.bin(),
                again.pushes
            );
            let last = again.responses.last().unwrap();
            assert_eq!(
                last.links(),
                expected_final(server, page, push, true),
                "{url}"
            );
            assert!(last.get("set-cookie").is_none(), "{url}: cookie set again");
        }
    }
    // The fixture exercises what is checked: 103s where a server sends them, and pushes.
    assert_eq!(
        saw_103 > 0,
        matches!(server, Server::Caddy | Server::Apache),
        "103s seen: {saw_103}"
    );
    assert_eq!(saw_push > 0, push && !plain, "pushes seen: {saw_push}");
    assert!(plan.assets.values().any(|a| a.immutable));
    assert!(plan.assets.values().any(|a| !a.immutable));
    for (url, asset) in &plan.assets {
        if asset.mime == "text/html" {
            continue;
        }
        let r = curl_final(&running.url(url), &[]);
        assert_eq!(r.status, 200, "{url}");
        let cc = r.get("cache-control");
        if asset.immutable {
            assert_eq!(
                cc,
                Some("public, max-age=31536000, immutable"),
                "{}: {url}",
                server.bin()
            );
        } else {
            assert!(
                !cc.is_some_and(|c| c.contains("immutable")),
                "{}: {url} is not fingerprinted but got {cc:?}",
                server.bin()
            );
        }
        if url.ends_with(".mjs") && server == Server::Nginx {
            assert_eq!(r.get("content-type"), Some("text/javascript"), "{url}");
        }
    }
    drop(running);
}

#[test]
fn nginx_sends_each_page_s_links() {
    serve_and_check(Server::Nginx, false);
}

#[test]
fn nginx_pushes_once_per_build() {
    serve_and_check(Server::Nginx, true);
}

#[test]
fn caddy_sends_103_and_links() {
    serve_and_check(Server::Caddy, false);
}

#[test]
fn caddy_pushes_once_per_build() {
    serve_and_check(Server::Caddy, true);
}

#[test]
fn apache_sends_103_and_links() {
    serve_and_check(Server::Apache, false);
}

#[test]
fn apache_pushes_once_per_build() {
    serve_and_check(Server::Apache, true);
}

#[test]
fn caddy_sends_103_over_h2c() {
    serve_and_check_with(Server::Caddy, false, true);
}

#[test]
fn apache_sends_103_over_h2c() {
    serve_and_check_with(Server::Apache, false, true);
}

#[test]
fn h2o_sends_each_page_s_links() {
    serve_and_check(Server::H2o, false);
}

#[test]
fn h2o_pushes_once_per_build() {
    serve_and_check(Server::H2o, true);
}

// ---------------------------------------------------------------------------------------------
// Config checks at scale and with hostile names.

const ALL: [Server; 4] = [Server::Nginx, Server::Caddy, Server::Apache, Server::H2o];

fn require_all(test: &str) -> bool {
    require(test, &["nginx", "caddy", "apache2", "h2o", "openssl"]).is_some()
}

/// Writes the server outputs for `plan` into `out` (the emitters, without the pipeline).
fn emit_all(plan: &Plan, opts: &ServerOptions, out: &Path) -> Vec<hintgen::Diagnostic> {
    let config = Config {
        server: opts.clone(),
        ..Config::default()
    };
    let mut diags = Vec::new();
    let mut files: Vec<OutputFile> = Vec::new();
    for a in [
        hintgen::config::Artifact::Nginx,
        hintgen::config::Artifact::Caddy,
        hintgen::config::Artifact::Apache,
        hintgen::config::Artifact::H2o,
    ] {
        files.extend(emit::render(plan, &config, a, &mut diags));
    }
    for f in files {
        let path = out.join(&f.path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, &f.bytes).unwrap();
    }
    open_tree(out);
    diags
}

#[test]
fn config_checks_pass_for_5000_pages() {
    if !require_all("config_checks_pass_for_5000_pages") {
        return;
    }
    let env = Env::new();
    write_site(&env.site);
    for i in 0..5000 {
        let dir = env.site.join(format!("posts/{i:04}"));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("index.html"),
            format!(
                "<!doctype html><link rel=stylesheet href=/assets/main-Ab12Cd34.css>\
                 <link rel=stylesheet href=/css/post-{}.css>\
                 <script type=module src=/assets/app-Zx98Yw76.mjs></script>\n",
                i % 50
            ),
        )
        .unwrap();
    }
    for i in 0..50 {
        fs::write(env.site.join(format!("css/post-{i}.css")), "p{}\n").unwrap();
    }
    for push in [false, true] {
        run_hintgen(&env, push);
        let http = fs::read_to_string(env.out.join("nginx/hintgen-http.conf")).unwrap();
        assert!(http.contains("\"/posts/4999/index.html\""));
        for server in ALL {
            let log = config_check(server, &env, &env.out, &format!("big-{push}"));
            assert!(
                !log.contains("[warn]") && !log.contains("could not build optimal"),
                "{}: {log}",
                server.bin()
            );
        }
    }
}

/// File names that try to end a config string or header value and add their own.
const HOSTILE: &[&str] = &[
    "q\"uote.html",
    "back\\slash.html",
    "dollar$x{y}.html",
    "env{$HOME}.html",
    "semi;colon#hash.html",
    "sp ace,comma.html",
    "ünï©ode.html",
    "tick`x.html",
    "tick`\"x.html",
    "pct%41.html",
    "Case.html",
    "case.html",
    "'single'.html",
    "<angle>.html",
    "q?mark.html",
    "\" always; add_header X-Injected 1 always; #.html",
    "`\n\theader X-Injected 1 #.html",
    "\"\nHeader set X-Injected 1\n#.html",
    "'] ; h['x-injected'] = '1' ; x = ['.html",
    "cr\r\nX-Injected: 1.html",
    "tab\there.html",
];

fn hostile_hint(url: &str, early: bool, final_: bool) -> Hint {
    Hint {
        as_: Some("style".into()),
        depth: 1,
        bytes: 10,
        early,
        final_,
        push: true,
        ..Hint::new(url, Rel::Preload)
    }
}

/// A plan whose pages and assets have the hostile names, and a page whose hint parameters hold
/// quotes, backslashes, `$` and braces.
fn hostile_plan(site: &Path) -> Plan {
    let mut pages = BTreeMap::new();
    let mut assets = BTreeMap::new();
    for name in HOSTILE {
        // URLs in a plan are percent-encoded, as the pipeline writes them.
        let url = request_path(&format!("/{name}"));
        let css_name = format!("assets/{}-Ab12Cd34.css", name.trim_end_matches(".html"));
        let css = request_path(&format!("/{css_name}"));
        let file = site.join(name);
        fs::write(&file, "<!doctype html>hostile\n").unwrap();
        let css_file = site.join(&css_name);
        fs::create_dir_all(css_file.parent().unwrap()).unwrap();
        fs::write(&css_file, "p{}\n").unwrap();
        pages.insert(
            url.clone(),
            PagePlan::new(
                url.clone(),
                name.to_string(),
                vec![
                    hostile_hint(&css, true, true),
                    hostile_hint(&format!("/x/{name}?v=\"1\""), true, false),
                ],
            ),
        );
        assets.insert(
            css.clone(),
            Asset {
                path: css_name.clone(),
                size: 4,
                sha256: String::new(),
                integrity: String::new(),
                mime: "text/css".into(),
                immutable: true,
            },
        );
    }
    let mut params = hostile_hint("/p.css", true, true);
    params.media = Some("screen and (x: \"a\\\" always; add_header X-Injected 1;\")".into());
    let mut dollar = hostile_hint("/d.css", true, true);
    dollar.media = Some("print and ($x: {y})".into());
    fs::write(site.join("params.html"), "<!doctype html>params\n").unwrap();
    pages.insert(
        "/params.html".into(),
        PagePlan::new("/params.html", "params.html", vec![params, dollar]),
    );
    Plan {
        pages,
        assets,
        build_id: "5eed".into(),
        base_path: "/".into(),
    }
}

fn hostile(push: bool) {
    let test = format!("hostile_names_{push}");
    if !require_all(&test) || require(&test, &["curl"]).is_none() {
        return;
    }
    let mut env = Env::new();
    env.clean = false;
    let plan = hostile_plan(&env.site);
    let opts = ServerOptions {
        push,
        ..ServerOptions::default()
    };
    let diags = emit_all(&plan, &opts, &env.out);
    // Control characters are refused by every target.
    for bad in ["cr\r\n", "`\n", "\"\nHeader", "tab\t"] {
        assert!(
            diags
                .iter()
                .any(|d| d.code == "server-unsafe-name" && d.file.starts_with(bad)),
            "no diagnostic for {bad:?}: {diags:#?}"
        );
    }
    // No output holds a control character other than newline and tab (Caddyfile indentation),
    // and the name with a tab is not in any output.
    for e in walkdir::WalkDir::new(&env.out).into_iter().flatten() {
        if e.file_type().is_file() {
            let t = fs::read_to_string(e.path()).unwrap();
            assert!(
                !t.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
                    && !t.contains("tab\there"),
                "{}",
                e.path().display()
            );
            assert!(!t.contains("X-Injected 1\n"), "{}", e.path().display());
        }
    }
    for server in ALL {
        config_check(server, &env, &env.out, &format!("hostile-{push}"));
        let running = start(server, &env, &env.out, &format!("{}-{test}", server.bin()));
        for page in plan.pages.values() {
            let blocks = curl(&running.url(&page.url), &[]);
            for b in &blocks {
                for (name, value) in &b.headers {
                    assert!(
                        !name.contains("injected") && !value.contains("X-Injected: 1"),
                        "{}: {} added {name}: {value}",
                        server.bin(),
                        page.url
                    );
                }
                // Every Link is one of the page's own hints, whole.
                let own: Vec<String> = page
                    .hints
                    .iter()
                    .flat_map(|h| [Mark::Never, Mark::Unpushable, Mark::All].map(|m| link(h, m)))
                    .collect();
                for l in b.links() {
                    assert!(own.contains(&l), "{}: {} sent {l}", server.bin(), page.url);
                }
            }
            let last = blocks.last().unwrap();
            let name = &page.file;
            let expressible = !name.chars().any(char::is_control)
                && !(server == Server::Caddy
                    && (name.contains(['{', '}'])
                        || (name.contains('`') && name.contains(['"', '\\']))));
            if expressible && page.url != "/params.html" {
                assert_eq!(
                    last.links(),
                    expected_final(server, page, push, false),
                    "{}: {}",
                    server.bin(),
                    page.url
                );
            }
            if !expressible {
                assert!(last.links().is_empty(), "{}: {}", server.bin(), page.url);
            }
        }
        drop(running);
    }
}

#[test]
fn hostile_names_never_break_out() {
    hostile(false);
}

#[test]
fn hostile_names_never_break_out_with_push() {
    hostile(true);
}
