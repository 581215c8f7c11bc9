//! Running real web servers for the end-to-end tests of the server configs: finding the binaries,
//! a throwaway TLS certificate, a free port, a config per server that keeps every path (pid, logs,
//! temp files) inside a temp folder, a guard that always stops the server (also when a test
//! panics), and clients (`curl`, `nghttp`) whose output is parsed into responses and pushes.
//!
//! A missing server skips its test with a notice, except when `CI` is set: then it fails, so CI can
//! never pass without having run the servers.

use std::fs;
use std::io::Read as _;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hintgen::link::{LinkValue, parse_links};

/// Folders searched for server binaries besides `PATH` (Debian puts nginx and apache2 in sbin).
const SBIN: &[&str] = &["/usr/sbin", "/sbin", "/usr/local/sbin"];

/// The path of a program, from `PATH` or the sbin folders.
pub fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SBIN.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The paths of all `names`, or `None` after printing a skip notice. Panics when `CI` is set, so a
/// CI run without the servers fails instead of passing quietly.
pub fn require(test: &str, names: &[&str]) -> Option<Vec<PathBuf>> {
    let found: Vec<Option<PathBuf>> = names.iter().map(|n| tool(n)).collect();
    let missing: Vec<&str> = names
        .iter()
        .zip(&found)
        .filter(|(_, p)| p.is_none())
        .map(|(n, _)| *n)
        .collect();
    if missing.is_empty() {
        return Some(found.into_iter().flatten().collect());
    }
    let msg = format!(
        "{test}: {} not installed (apt-get install nginx caddy apache2 h2o nghttp2-client curl openssl)",
        missing.join(", ")
    );
    if std::env::var_os("CI").is_some() {
        panic!("{msg}; CI must run the server tests");
    }
    eprintln!("SKIPPED {msg}");
    None
}

/// True when running as root: servers then drop privileges and need a user to switch to.
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A temp folder that every user can read (servers that drop privileges to `nobody` must read the
/// site and their config).
pub fn open_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Makes a tree readable by everyone (folders 755, files 644).
pub fn open_tree(root: &Path) {
    for e in walkdir::WalkDir::new(root).into_iter().flatten() {
        let mode = if e.file_type().is_dir() { 0o755 } else { 0o644 };
        if !e.file_type().is_symlink() {
            fs::set_permissions(e.path(), fs::Permissions::from_mode(mode)).unwrap();
        }
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI.
pub struct Tls {
    /// PEM certificate.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// Writes `cert.pem` and `key.pem` (P-256, valid two days) into `dir`.
pub fn make_cert(dir: &Path) -> Tls {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .arg("ec_paramgen_curve:prime256v1")
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext"])
        .arg("subjectAltName=DNS:localhost,IP:127.0.0.1")
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "openssl: {}", text(&out.stderr));
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    Tls { cert, key }
}

/// A TCP port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Lossy UTF-8.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs a config check command; returns its combined output, failing the test when it fails.
pub fn check_ok(what: &str, cmd: &mut Command) -> String {
    let out: Output = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{what} failed:\n{all}");
    all
}

/// A server started as a child process, in its own process group so that every process it forks
/// is stopped with it. Dropping it stops the group (TERM, then KILL), also during a panic.
pub struct Running {
    child: Child,
    /// The server's name, for messages.
    pub name: String,
    /// The port it listens on.
    pub port: u16,
    /// `https`, or `http` for a server speaking h2c.
    pub scheme: &'static str,
    log: PathBuf,
}

impl Running {
    /// Starts `cmd` with stdout and stderr in `log`, and waits until `port` accepts connections.
    pub fn start(name: &str, mut cmd: Command, port: u16, log: &Path) -> Running {
        let file = fs::File::create(log).unwrap();
        cmd.stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        let mut running = Running {
            child,
            name: name.into(),
            port,
            scheme: "https",
            log: log.into(),
        };
        running.wait_ready();
        running
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited ({status}) before listening:\n{}",
                    self.name,
                    self.log()
                );
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not listen on {} within 20 s:\n{}",
                self.name,
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's output so far.
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// `https://127.0.0.1:PORT` + `path` (`http://` for h2c).
    pub fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.port)
    }

    fn signal_group(&self, sig: &str) {
        // The shell's own `kill` (no procps needed); a negative pid names the process group.
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!("kill -{sig} -{} 2>/dev/null", self.child.id()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.signal_group("TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                // Children of the group (Apache's workers) may still be finishing.
                std::thread::sleep(Duration::from_millis(100));
                self.signal_group("KILL");
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        self.signal_group("KILL");
        let _ = self.child.wait();
    }
}

/// One response header block (a 103 or the final response).
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers in order, names lowercased.
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// Every value of a header, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of a header.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }

    /// Every link of every `Link` header line, in order, serialized the way hintgen writes them.
    pub fn links(&self) -> Vec<String> {
        self.all("link")
            .iter()
            .flat_map(|v| {
                parse_links(v)
                    .unwrap_or_else(|e| panic!("unparsable Link {v:?}: {e:?}"))
                    .into_iter()
                    .map(|l: LinkValue| l.to_header())
            })
            .collect()
    }
}

/// GETs `url` over HTTP/2 with curl (h2c with prior knowledge for `http://`), returning every
/// header block (103s, then the final one).
pub fn curl(url: &str, headers: &[&str]) -> Vec<Response> {
    let mut cmd = Command::new("curl");
    let h2 = if url.starts_with("http://") {
        "--http2-prior-knowledge"
    } else {
        "--http2"
    };
    cmd.args(["-sSk", h2, "--max-time", "20", "-D", "-", "-o", "/dev/null"]);
    for h in headers {
        cmd.arg("-H").arg(h);
    }
    let out = cmd.arg(url).output().expect("curl runs");
    assert!(out.status.success(), "curl {url}: {}", text(&out.stderr));
    let mut blocks = Vec::new();
    let mut cur: Option<Response> = None;
    for line in text(&out.stdout).lines() {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("HTTP/") {
            let status = rest
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            assert!(
                rest.starts_with('2'),
                "{url} answered over HTTP/{rest}, not HTTP/2"
            );
            blocks.extend(cur.take());
            cur = Some(Response {
                status,
                headers: Vec::new(),
            });
        } else if let (Some(r), Some((n, v))) = (cur.as_mut(), line.split_once(':')) {
            r.headers
                .push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    blocks.extend(cur);
    blocks
}

/// The final response of a curl GET (asserting it is the last block).
pub fn curl_final(url: &str, headers: &[&str]) -> Response {
    curl(url, headers)
        .into_iter()
        .last()
        .unwrap_or_else(|| panic!("{url}: no response"))
}

/// What `nghttp -nv` saw for one request.
#[derive(Debug, Clone, Default)]
pub struct Nghttp {
    /// Paths of PUSH_PROMISE frames, in order.
    pub pushes: Vec<String>,
    /// Header blocks of the request's own stream (103s and the final response).
    pub responses: Vec<Response>,
}

/// GETs `url` with `nghttp -nv` (HTTP/2 over TLS; the certificate is not checked) and parses its
/// frame log: PUSH_PROMISE paths and the header blocks of the request's stream.
pub fn nghttp(url: &str, headers: &[&str]) -> Nghttp {
    let mut cmd = Command::new("nghttp");
    cmd.args(["-nv", "-t", "20"]);
    for h in headers {
        cmd.arg("-H").arg(h);
    }
    let out = cmd.arg(url).output().expect("nghttp runs");
    let log = text(&out.stdout);
    assert!(
        out.status.success(),
        "nghttp {url}:\n{log}{}",
        text(&out.stderr)
    );
    let mut r = Nghttp::default();
    let mut push_promise_paths: Vec<String> = Vec::new();
    for line in log.lines() {
        // Header fields: `[  0.031] recv (stream_id=13) :path: /x`; the request's own stream is
        // odd, pushed streams are even; only PUSH_PROMISE frames carry `:path` on receipt.
        let Some(pos) = line.find("recv (stream_id=") else {
            if line.contains("recv PUSH_PROMISE frame") {
                r.pushes.append(&mut push_promise_paths);
            }
            continue;
        };
        let rest = &line[pos + "recv (stream_id=".len()..];
        let Some((id, field)) = rest.split_once(") ") else {
            continue;
        };
        let id: u32 = id.parse().unwrap_or(0);
        let Some((name, value)) = field.split_once(": ") else {
            continue;
        };
        if let Some(pseudo) = name.strip_prefix(':') {
            match pseudo {
                "path" => push_promise_paths.push(value.to_string()),
                "status" if id % 2 == 1 => r.responses.push(Response {
                    status: value.trim().parse().unwrap_or(0),
                    headers: Vec::new(),
                }),
                _ => {}
            }
            continue;
        }
        if id % 2 == 1
            && let Some(resp) = r.responses.last_mut()
        {
            resp.headers
                .push((name.to_ascii_lowercase(), value.to_string()));
        }
    }
    r
}
