//! Shared helpers: fixture paths, temp copies, running the binary, tree digests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

/// The built binary.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hintgen"))
}

/// A folder under `fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Copies a folder tree (regular files and folders only).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A site of `files` (site-relative path, text) in a fresh temp folder: `(guard, site path)`.
pub fn temp_site(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    for (rel, text) in files {
        let path = site.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    (dir, site)
}

/// A fixture copied into a fresh temp folder: `(guard, site path)`.
pub fn temp_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_tree(&fixture(name), &site);
    (dir, site)
}

/// Runs `hintgen` with arguments, returning its output.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

/// Runs `hintgen build SITE -o OUT` plus extra arguments.
pub fn build(site: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut cmd = bin();
    cmd.arg("build").arg(site).arg("-o").arg(out).args(extra);
    cmd.output().unwrap()
}

/// Runs `hintgen build SITE -o DIR/out`, asserting it exits 0; returns the output folder.
pub fn build_ok(dir: &Path, site: &Path) -> PathBuf {
    let out = dir.join("out");
    let o = build(site, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    out
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir` (relative path → SHA-256 hex) plus each file's mtime, to prove a tree was
/// not modified.
pub fn tree_state(dir: &Path) -> BTreeMap<String, (String, std::time::SystemTime)> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(e.path()).unwrap();
            let hex: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            (rel, (hex, e.metadata().unwrap().modified().unwrap()))
        })
        .collect()
}

/// Every output file under `out` (relative path → bytes).
pub fn outputs(out: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(out)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            !e.file_name()
                .to_string_lossy()
                .starts_with(".hintgen-cache")
        })
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(out)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Reads a JSON output.
pub fn json(out: &Path, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The early (103) Link values of each page in `early-hints.json`.
pub fn early_links(out: &Path) -> BTreeMap<String, Vec<String>> {
    let v = json(out, "early-hints.json");
    v["pages"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(page, p)| {
            let links = p["early"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap().to_string())
                .collect();
            (page.clone(), links)
        })
        .collect()
}

/// The URLs of a page's `as=font` Link values (`</a.woff2>; rel=preload; as=font…` → `/a.woff2`).
pub fn font_urls(links: &[String]) -> Vec<&str> {
    links
        .iter()
        .filter(|l| l.contains("as=font"))
        .map(|l| l.split('>').next().unwrap().trim_start_matches('<'))
        .collect()
}

/// The font URLs of each page's early Link values ([`early_links`], [`font_urls`]), as a lookup
/// by page: `let fonts = early_fonts(&out); fonts("/")`.
pub fn early_fonts(out: &Path) -> impl Fn(&str) -> Vec<String> {
    let links = early_links(out);
    move |page| {
        font_urls(&links[page])
            .into_iter()
            .map(str::to_string)
            .collect()
    }
}

/// What `hintgen explain SITE PAGE` prints.
pub fn explain(site: &Path, page: &str) -> String {
    let o = run(&["explain", site.to_str().unwrap(), page]);
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Whether a line of `explain`'s output names `file` and gives `reason`.
pub fn explains(why: &str, file: &str, reason: &str) -> bool {
    why.lines().any(|l| l.contains(file) && l.contains(reason))
}

/// The lines of `text` (a run's stderr) that name `code`.
pub fn lines_with<'t>(text: &'t str, code: &str) -> Vec<&'t str> {
    text.lines().filter(|l| l.contains(code)).collect()
}

/// True when a command is on PATH.
pub fn have(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .output()
        .is_ok_and(|o| o.status.success())
}
