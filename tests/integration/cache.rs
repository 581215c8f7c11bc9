//! The fingerprint cache (`OUT/.hintgen-cache`): an unchanged key is reused, a changed file is read
//! again (new inode, racy mtime), a damaged or foreign cache is ignored with a note, and the outputs
//! are byte-identical with and without the cache. Nothing here is timed: racy mtimes are made by
//! setting them, not by racing the clock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

const CACHE: &str = ".hintgen-cache";

/// Runs `hintgen build SITE -o OUT` with extra arguments.
fn hintgen(site: &Path, out: &Path, extra: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_hintgen"))
        .arg("build")
        .arg(site)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "hintgen failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An mtime well before any run's start, so the racy rule does not apply.
fn old_time() -> SystemTime {
    SystemTime::now() - Duration::from_secs(24 * 3600)
}

fn set_mtime(path: &Path, t: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

#[cfg(unix)]
fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap().ino()
}

/// A small site whose files all have an old mtime: `(guard, site, out)`.
fn site() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let files: &[(&str, &str)] = &[
        (
            "index.html",
            "<!doctype html><title>t</title>\n<link rel=stylesheet href=/css/a.css>\n\
             <script type=module src=/js/app.js></script>\n<p>Hello</p>\n",
        ),
        ("css/a.css", "body{font-family:X}\n"),
        ("css/b.css", "body{font-family:Y}\n"),
        (
            "css/fonts.css",
            "@font-face{font-family:X;src:url(/f/x.woff2) format(\"woff2\")}\n",
        ),
        ("f/x.woff2", "wOF2-font-bytes"),
        ("js/app.js", "import './dep.js';\n"),
        ("js/dep.js", "export const a = 1;\n"),
        ("img/logo.png", "PNG-bytes-0001"),
    ];
    for (rel, text) in files {
        let p = site.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        set_mtime(&p, old_time());
    }
    let out = dir.path().join("out");
    (dir, site, out)
}

/// The `sha256` that `assets.json` gives a site-relative file.
fn recorded_sha256(out: &Path, rel: &str) -> String {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("assets.json")).unwrap()).unwrap();
    let assets = json["assets"].as_object().unwrap();
    let entry = assets
        .values()
        .find(|a| a["path"] == rel)
        .unwrap_or_else(|| panic!("{rel} not in assets.json"));
    entry["sha256"].as_str().unwrap().to_string()
}

/// Rewrites a file in place (same inode, same size) and puts its mtime back.
fn rewrite_in_place(path: &Path, text: &str) {
    let meta = std::fs::metadata(path).unwrap();
    assert_eq!(meta.len(), text.len() as u64, "same size");
    std::fs::write(path, text).unwrap();
    set_mtime(path, meta.modified().unwrap());
}

/// Every output file (relative path → bytes), without the cache and its run record.
fn outputs(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut map = BTreeMap::new();
    for e in walkdir::WalkDir::new(out) {
        let e = e.unwrap();
        if e.file_type().is_file() && !e.file_name().to_string_lossy().starts_with(CACHE) {
            let rel = e.path().strip_prefix(out).unwrap().display().to_string();
            map.insert(rel, std::fs::read(e.path()).unwrap());
        }
    }
    map
}

/// stderr without the summary line (which has a duration and write counts).
fn diagnostics(o: &Output) -> String {
    stderr(o)
        .lines()
        .filter(|l| !l.starts_with("hintgen:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn unchanged_key_is_reused() {
    let (_g, site, out) = site();
    hintgen(&site, &out, &[]);
    assert!(out.join(CACHE).is_file());
    let before = recorded_sha256(&out, "img/logo.png");
    // Same path, size, mtime and inode: the cache is trusted (this is what makes re-runs cheap, and
    // the limit of a stat-based key, as for git and rsync).
    rewrite_in_place(&site.join("img/logo.png"), "PNG-bytes-0002");
    hintgen(&site, &out, &[]);
    assert_eq!(recorded_sha256(&out, "img/logo.png"), before);
    // --no-cache reads it.
    hintgen(&site, &out, &["--no-cache"]);
    assert_eq!(
        recorded_sha256(&out, "img/logo.png"),
        sha256_hex(b"PNG-bytes-0002")
    );
}

#[cfg(unix)]
#[test]
fn replaced_file_with_restored_mtime_and_size_is_read_again() {
    let (_g, site, out) = site();
    hintgen(&site, &out, &[]);
    let page = site.join("index.html");
    let css = site.join("css/a.css");
    for (path, old, new) in [
        (&css, "body{font-family:X}\n", "body{font-family:Z}\n"),
        (
            &page,
            "href=/css/a.css",
            "href=/css/b.css", // same length: the page now links another stylesheet
        ),
    ] {
        let meta = std::fs::metadata(path).unwrap();
        let text = std::fs::read_to_string(path).unwrap().replace(old, new);
        // A new file renamed over the old one, as bundlers and editors write: new inode, and a tool
        // restores the old mtime; the size is the same.
        let tmp = path.with_extension("tmp-new");
        std::fs::write(&tmp, &text).unwrap();
        set_mtime(&tmp, meta.modified().unwrap());
        let old_inode = inode(path);
        std::fs::rename(&tmp, path).unwrap();
        assert_ne!(inode(path), old_inode);
        assert_eq!(std::fs::metadata(path).unwrap().len(), meta.len());
        assert_eq!(
            std::fs::metadata(path).unwrap().modified().unwrap(),
            meta.modified().unwrap()
        );
    }
    hintgen(&site, &out, &[]);
    assert_eq!(
        recorded_sha256(&out, "css/a.css"),
        sha256_hex(b"body{font-family:Z}\n")
    );
    // The page's parse results were not taken from the cache either.
    let hints = std::fs::read_to_string(out.join("early-hints.json")).unwrap();
    assert!(hints.contains("/css/b.css"), "{hints}");
    assert!(!hints.contains("/css/a.css"), "{hints}");
}

#[test]
fn racy_mtime_is_read_again() {
    let (_g, site, out) = site();
    // An mtime that is not older than the run's start by more than the timestamp granularity: the
    // file may change again within the same tick, so its entry is not trusted. (A future mtime is
    // the deterministic way into that window.)
    let logo = site.join("img/logo.png");
    let racy = SystemTime::now() + Duration::from_secs(3600);
    set_mtime(&logo, racy);
    hintgen(&site, &out, &[]);
    rewrite_in_place(&logo, "PNG-bytes-0003");
    assert_eq!(std::fs::metadata(&logo).unwrap().modified().unwrap(), racy);
    hintgen(&site, &out, &[]);
    assert_eq!(
        recorded_sha256(&out, "img/logo.png"),
        sha256_hex(b"PNG-bytes-0003")
    );
}

#[test]
fn damaged_or_foreign_cache_is_ignored_with_a_note() {
    let (_g, site, out) = site();
    hintgen(&site, &out, &[]);
    let good = std::fs::read(out.join(CACHE)).unwrap();
    // After each damage the site changes in place with its key kept, so trusting the damaged cache
    // would show the old digest.
    let mut damages: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"not a cache at all".to_vec()),
        ("empty", Vec::new()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("truncated trailer", good[..good.len() - 1].to_vec()),
    ];
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    damages.push(("flipped byte", flipped));
    let mut foreign = good.clone();
    foreign[8..12].copy_from_slice(&999u32.to_le_bytes());
    damages.push(("foreign format version", foreign));
    for (i, (what, bytes)) in damages.into_iter().enumerate() {
        let content = format!("PNG-bytes-{:04}", 100 + i);
        // Rebuild a good cache for the current content first.
        hintgen(&site, &out, &[]);
        rewrite_in_place(&site.join("img/logo.png"), &content);
        std::fs::write(out.join(CACHE), &bytes).unwrap();
        let o = hintgen(&site, &out, &[]);
        let err = stderr(&o);
        assert!(err.contains("note[cache-ignored]"), "{what}: {err}");
        assert_eq!(
            recorded_sha256(&out, "img/logo.png"),
            sha256_hex(content.as_bytes()),
            "{what}"
        );
        // The cache was rewritten and is trusted again.
        let o = hintgen(&site, &out, &[]);
        assert!(!stderr(&o).contains("cache-ignored"), "{what}");
    }
}

#[test]
fn another_sri_choice_does_not_use_the_cache() {
    let (_g, site, out) = site();
    hintgen(&site, &out, &[]);
    let o = hintgen(&site, &out, &["--sri", "sha384"]);
    assert!(stderr(&o).contains("note[cache-ignored]"), "{}", stderr(&o));
    let assets = std::fs::read_to_string(out.join("assets.json")).unwrap();
    assert!(assets.contains("\"sha384-"), "{assets}");
    assert!(!assets.contains("\"sha256-"), "{assets}");
}

#[test]
fn no_cache_flag_neither_reads_nor_writes() {
    let (_g, site, out) = site();
    hintgen(&site, &out, &["--no-cache"]);
    assert!(!out.join(CACHE).exists());
    std::fs::write(out.join(CACHE), b"damaged").unwrap();
    let o = hintgen(&site, &out, &["--no-cache"]);
    assert!(!stderr(&o).contains("cache-ignored"));
    assert_eq!(std::fs::read(out.join(CACHE)).unwrap(), b"damaged");
}

#[test]
fn outputs_are_identical_with_and_without_the_cache() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let (_g, small, _) = site();
    for site in [fixtures.join("vite"), fixtures.join("webpack"), small] {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        let cached = dir.path().join("cached");
        let reference = hintgen(&site, &plain, &["--no-cache"]);
        assert!(!plain.join(CACHE).exists());
        // First run fills the cache, the second is served from it.
        let first = hintgen(&site, &cached, &[]);
        assert!(cached.join(CACHE).is_file());
        let second = hintgen(&site, &cached, &[]);
        assert_eq!(outputs(&plain), outputs(&cached), "{}", site.display());
        let want = diagnostics(&reference).replace(&*plain.to_string_lossy(), "OUT");
        for o in [&first, &second] {
            let got = diagnostics(o).replace(&*cached.to_string_lossy(), "OUT");
            assert_eq!(got, want, "{}", site.display());
        }
        // With the cache and with `--sri sha512`, the same again.
        hintgen(&site, &plain, &["--no-cache", "--sri", "sha512"]);
        hintgen(&site, &cached, &["--sri", "sha512"]);
        hintgen(&site, &cached, &["--sri", "sha512"]);
        assert_eq!(outputs(&plain), outputs(&cached), "{}", site.display());
    }
}

/// stderr with the run's duration blanked.
fn without_duration(o: &Output) -> String {
    let text = stderr(o);
    match (text.rfind(" ms)"), text.rfind(" (")) {
        (Some(end), Some(start)) if start < end => format!("{}{}", &text[..start], &text[end..]),
        _ => text,
    }
}

#[test]
fn an_unchanged_rerun_says_the_same_and_no_change_goes_unseen() {
    let (_g, site, out) = site();
    std::fs::write(site.join("broken.html"), "<img src=/missing.png>\n").unwrap();
    set_mtime(&site.join("broken.html"), old_time());
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hintgen"))
            .arg("build")
            .arg(&site)
            .arg("-o")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let first = run(&[]);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    let written = outputs(&out);
    // Nothing changed: the same diagnostics, summary and exit code, and the same outputs.
    let second = run(&[]);
    let third = run(&[]);
    assert_eq!(second.status.code(), Some(1));
    assert_eq!(without_duration(&third), without_duration(&second));
    assert!(
        stderr(&second).contains("missing-file"),
        "{}",
        stderr(&second)
    );
    assert_eq!(outputs(&out), written);
    // An output deleted or edited is written again.
    std::fs::remove_file(out.join("push_manifest.json")).unwrap();
    let assets = out.join("assets.json");
    let mut edited = std::fs::read(&assets).unwrap();
    edited[0] = b' ';
    std::fs::write(&assets, &edited).unwrap();
    run(&[]);
    assert_eq!(outputs(&out), written);
    // Other settings give other outputs.
    run(&["--sri", "sha384"]);
    assert!(
        std::fs::read_to_string(&assets)
            .unwrap()
            .contains("\"sha384-")
    );
    run(&[]);
    assert_eq!(outputs(&out), written);
    // A file added, then a file fixed.
    std::fs::write(site.join("missing.png"), "PNG").unwrap();
    set_mtime(&site.join("missing.png"), old_time());
    let fixed = run(&[]);
    assert_eq!(fixed.status.code(), Some(0), "{}", stderr(&fixed));
    assert!(!stderr(&fixed).contains("missing-file"));
    assert_eq!(recorded_sha256(&out, "missing.png"), sha256_hex(b"PNG"));
}
