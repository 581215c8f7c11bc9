//! `hintgen watch`: the real binary as a child process, real files, real notify.
//!
//! Every wait is a bounded poll for something the watcher prints or writes (generous timeouts, so a
//! loaded machine is slow rather than wrong). Sleeps only ever separate two quiet windows; no assertion
//! depends on how long anything took. The child is always killed by [`Watch`]'s `Drop`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::*;

/// How long any single wait may take before the test fails.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A running `hintgen watch` and its stderr, line by line.
struct Watch {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Watch {
    /// Starts `hintgen watch SITE -o OUT --debounce MS` plus `extra`, and waits until it watches.
    fn start(site: &Path, out: &Path, debounce_ms: u64, extra: &[&str]) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hintgen"))
            .arg("watch")
            .arg(site)
            .arg("-o")
            .arg(out)
            .args(["--debounce", &debounce_ms.to_string(), "--color", "never"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        let w = Watch { child, lines };
        w.wait_for(0, |l| l.starts_with("hintgen: watching"));
        w
    }

    /// Lines printed so far.
    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    fn len(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// Waits for a line at index `from` or later that matches; returns its index and text.
    fn wait_for(&self, from: usize, pred: impl Fn(&str) -> bool) -> (usize, String) {
        let start = Instant::now();
        loop {
            {
                let lines = self.lines.lock().unwrap();
                if let Some((i, l)) = lines.iter().enumerate().skip(from).find(|(_, l)| pred(l)) {
                    return (i, l.clone());
                }
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "no matching line from {from} on; stderr so far:\n{}",
                self.lines().join("\n")
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the next rebuild summary at or after `from`.
    fn rebuilt(&self, from: usize) -> (usize, String) {
        self.wait_for(from, is_rebuild)
    }

    /// Summary lines at or after `from`.
    fn rebuilds_since(&self, from: usize) -> Vec<String> {
        self.lines()
            .into_iter()
            .skip(from)
            .filter(|l| is_rebuild(l))
            .collect()
    }

    /// Sends SIGINT (Ctrl-C) and waits for the exit code.
    fn interrupt(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -INT failed");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(start.elapsed() < TIMEOUT, "watch did not exit after SIGINT");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_rebuild(line: &str) -> bool {
    line.starts_with("hintgen: rebuilt in ")
}

/// Writes a file, creating its folder.
fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// Each page's structured hints in `early-hints.json` (URL → JSON).
fn page_hints(out: &Path) -> std::collections::BTreeMap<String, serde_json::Value> {
    let v = json(out, "early-hints.json");
    v["pages"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, p)| (k.clone(), p["hints"].clone()))
        .collect()
}

/// The watcher's outputs equal a fresh `hintgen build` of the same folder.
fn assert_same_as_build(site: &Path, out: &Path) {
    let fresh = tempfile::tempdir().unwrap();
    let o = build(site, fresh.path(), &["--color", "never"]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
    let want = outputs(fresh.path());
    let have = outputs(out);
    for (name, bytes) in &want {
        assert!(
            have.get(name) == Some(bytes),
            "{name} differs from a fresh build"
        );
    }
}

/// Vite fixture in a temp folder, outputs beside it.
fn vite() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (dir, site) = temp_fixture("vite");
    let out = dir.path().join("out");
    (dir, site, out)
}

#[test]
fn editing_css_changes_the_hints_of_exactly_the_pages_that_use_it() {
    let (_dir, site, out) = vite();
    let w = Watch::start(&site, &out, 50, &[]);
    let before = page_hints(&out);
    assert_eq!(before.len(), 2);

    // typography.css is imported (through base.css and reset.css) by the home page only.
    let mark = w.len();
    append(
        &site.join("css/typography.css"),
        "\nh1 { letter-spacing: 0; }\n",
    );
    let (_, line) = w.rebuilt(mark);
    assert!(line.contains("1 changed (css/typography.css)"), "{line}");
    assert!(line.contains("1 page(s) affected"), "{line}");
    let after = page_hints(&out);
    assert_ne!(after["/"], before["/"]);
    assert_eq!(after["/about/"], before["/about/"]);

    // shared-*.css is used by both pages.
    let mark = w.len();
    append(
        &site.join("assets/shared-lu0-7dkk.css"),
        "\n.x { color: red }\n",
    );
    let (_, line) = w.rebuilt(mark);
    assert!(line.contains("2 page(s) affected"), "{line}");
    let last = page_hints(&out);
    assert_ne!(last["/"], after["/"]);
    assert_ne!(last["/about/"], after["/about/"]);

    // Dropping the @import of reset.css removes two hints from the home page only.
    let mark = w.len();
    write(&site.join("css/base.css"), "a { color: #0b5cad; }\n");
    w.rebuilt(mark);
    let links = early_links(&out);
    assert!(!links["/"].iter().any(|l| l.contains("/css/reset.css")));
    assert!(!links["/"].iter().any(|l| l.contains("/css/typography.css")));
    assert_eq!(page_hints(&out)["/about/"], last["/about/"]);
    assert_same_as_build(&site, &out);
}

#[test]
fn a_stylesheet_edit_that_names_another_family_moves_the_font_hint() {
    let (_dir, site, out) = vite();
    // shared-*.css declares the Inter faces and its `body` rule names Inter; the new sheet declares
    // a face no style names yet.
    write(
        &site.join("css/other.css"),
        "@font-face{font-family:Other;src:url(/other.woff2)}\n",
    );
    write(&site.join("other.woff2"), "w");
    write(
        &site.join("other.html"),
        "<!doctype html><link rel=stylesheet href=/css/other.css><p>Text</p>\n",
    );
    let w = Watch::start(&site, &out, 50, &[]);
    let fonts = |out: &Path| -> Vec<String> {
        early_links(out)["/other.html"]
            .iter()
            .filter(|l| l.contains("as=font"))
            .cloned()
            .collect()
    };
    assert!(fonts(&out).is_empty());

    // Same references, one more rule: only the file's bytes and its font use change.
    let mark = w.len();
    append(&site.join("css/other.css"), "p{font-family:other}\n");
    let (_, line) = w.rebuilt(mark);
    assert!(line.contains("1 page(s) affected"), "{line}");
    assert_eq!(
        fonts(&out),
        ["</other.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin"]
    );
    assert_same_as_build(&site, &out);
}

#[test]
fn adding_a_page() {
    let (_dir, site, out) = vite();
    let w = Watch::start(&site, &out, 50, &[]);
    let mark = w.len();
    write(
        &site.join("new/index.html"),
        "<!doctype html><link rel=stylesheet href=/css/base.css><p>New</p>\n",
    );
    let (_, line) = w.rebuilt(mark);
    assert!(line.contains("1 added (new/index.html)"), "{line}");
    let links = early_links(&out);
    assert_eq!(
        links["/new/"],
        vec![
            "</css/base.css>; rel=preload; as=style",
            "</css/reset.css>; rel=preload; as=style",
            "</css/typography.css>; rel=preload; as=style",
        ]
    );
    assert_same_as_build(&site, &out);
}

#[test]
fn deleting_an_asset_is_reported() {
    let (_dir, site, out) = vite();
    let w = Watch::start(&site, &out, 50, &[]);
    let mark = w.len();
    std::fs::remove_file(site.join("assets/hero-BeIChoe8.png")).unwrap();
    let (i, line) = w.rebuilt(mark);
    assert!(
        line.contains("1 removed (assets/hero-BeIChoe8.png)"),
        "{line}"
    );
    assert!(line.contains("1 error(s)"), "{line}");
    let lines = w.lines();
    assert!(
        lines[mark..i]
            .iter()
            .any(|l| l.contains("error[missing-file]") && l.contains("hero-BeIChoe8.png")),
        "{}",
        lines.join("\n")
    );
    assert!(!early_links(&out)["/"].iter().any(|l| l.contains("hero")));
    assert_same_as_build(&site, &out);
}

#[test]
fn atomic_rename_saves() {
    let (_dir, site, out) = vite();
    let w = Watch::start(&site, &out, 50, &[]);
    // What many editors do: write a temp file beside the target, then rename it over the target.
    let mark = w.len();
    let tmp = site.join("css/.reset.css.tmp-save");
    let text = std::fs::read_to_string(site.join("css/reset.css")).unwrap();
    write(&tmp, &format!("{text}\nbody {{ margin: 1px }}\n"));
    std::fs::rename(&tmp, site.join("css/reset.css")).unwrap();
    let (_, line) = w.rebuilt(mark);
    assert!(line.contains("1 changed (css/reset.css)"), "{line}");
    assert!(
        !line.contains("added") && !line.contains("removed"),
        "{line}"
    );
    assert_same_as_build(&site, &out);

    // vim's default: write 4913, rename the file to a backup~, write a new file, drop the backup.
    let mark = w.len();
    let target = site.join("css/typography.css");
    write(&site.join("css/4913"), "");
    std::fs::remove_file(site.join("css/4913")).unwrap();
    std::fs::rename(&target, site.join("css/typography.css~")).unwrap();
    write(&target, "h1 { font-weight: 700 }\n");
    std::fs::remove_file(site.join("css/typography.css~")).unwrap();
    let (_, line) = w.rebuilt(mark);
    assert!(line.contains("1 changed (css/typography.css)"), "{line}");
    assert_same_as_build(&site, &out);
}

#[test]
fn swap_and_backup_files_do_not_trigger_a_rebuild() {
    let (_dir, site, out) = vite();
    let w = Watch::start(&site, &out, 50, &[]);
    let mark = w.len();
    for name in [
        "css/.reset.css.swp",
        "css/.reset.css.swx",
        "css/reset.css~",
        "css/#reset.css#",
        "css/.#reset.css",
        "css/4913",
        "css/reset.css___jb_tmp___",
        "css/reset.css___jb_old___",
        "css/reset.css.kate-swp",
    ] {
        write(&site.join(name), "junk");
    }
    append(&site.join("css/.reset.css.swp"), "more junk");
    // Let any (wrong) rebuild for those happen on its own, then make one real change.
    std::thread::sleep(Duration::from_millis(500));
    append(&site.join("css/reset.css"), "\n/* edit */\n");
    let (i, line) = w.rebuilt(mark);
    assert_eq!(
        w.rebuilds_since(mark),
        vec![line.clone()],
        "{}",
        w.lines().join("\n")
    );
    assert!(line.contains("1 changed (css/reset.css)"), "{line}");
    assert!(!w.lines()[mark..i].iter().any(|l| l.contains("swp")));
}

#[test]
fn deleting_and_recreating_the_site_folder() {
    let (dir, site, out) = vite();
    let w = Watch::start(&site, &out, 50, &[]);
    let mark = w.len();
    std::fs::remove_dir_all(&site).unwrap();
    w.wait_for(mark, |l| l.contains("site folder is gone"));
    // The outputs are left as they were.
    assert_eq!(early_links(&out).len(), 2);

    // Recreated elsewhere, then moved into place (as bundlers that build into a temp folder do),
    // with one change.
    let staging = dir.path().join("staging");
    copy_tree(&fixture("vite"), &staging);
    append(&staging.join("css/typography.css"), "\np { margin: 0 }\n");
    std::fs::rename(&staging, &site).unwrap();
    let (_, line) = w.rebuilt(mark);
    assert!(line.contains("1 changed (css/typography.css)"), "{line}");
    assert_same_as_build(&site, &out);

    // The watch is re-armed on the new folder.
    let mark = w.len();
    append(&site.join("css/reset.css"), "\n/* again */\n");
    let (_, line) = w.rebuilt(mark);
    assert!(line.contains("1 changed (css/reset.css)"), "{line}");

    // Emptied in place and refilled (vite's emptyOutDir): one rebuild, with the final state.
    let mark = w.len();
    for e in std::fs::read_dir(&site).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            std::fs::remove_dir_all(&p).unwrap();
        } else {
            std::fs::remove_file(&p).unwrap();
        }
    }
    w.wait_for(mark, |l| l.contains("site folder is empty"));
    copy_tree(&fixture("vite"), &site);
    let (_, line) = w.rebuilt(mark);
    assert!(line.contains("2 changed"), "{line}");
    assert_same_as_build(&site, &out);
}

#[test]
fn a_burst_of_200_files_is_one_rebuild_with_the_final_state() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let out = dir.path().join("out");
    let css = |i: usize, v: &str| format!(".c{i} {{ color: {v} }}\n");
    let page = |i: usize, v: &str| {
        format!("<!doctype html><link rel=stylesheet href=/css/{i}.css><p>{v} {i}</p>\n")
    };
    for i in 0..100 {
        write(&site.join(format!("css/{i}.css")), &css(i, "red"));
        write(&site.join(format!("p/{i}.html")), &page(i, "first"));
    }
    // A longer quiet window than the other tests: a burst split by the machine pausing the test
    // for more than the window would (rightly) be two rebuilds.
    let w = Watch::start(&site, &out, 400, &[]);
    let mark = w.len();
    for i in 0..100 {
        // Each file is written twice, as bundlers do (truncate, then write).
        write(&site.join(format!("css/{i}.css")), "");
        write(&site.join(format!("css/{i}.css")), &css(i, "blue"));
        write(&site.join(format!("p/{i}.html")), "");
        write(&site.join(format!("p/{i}.html")), &page(i, "final"));
    }
    let (_, line) = w.rebuilt(mark);
    assert!(line.contains("200 changed"), "{line}");
    assert!(line.contains("100 page(s) affected"), "{line}");
    assert_same_as_build(&site, &out);
    // Nothing else follows: a later change is the next (second) rebuild.
    std::thread::sleep(Duration::from_millis(800));
    write(&site.join("css/0.css"), &css(0, "green"));
    let (_, second) = w.rebuilt(w.len());
    assert!(second.contains("1 changed (css/0.css)"), "{second}");
    assert_eq!(w.rebuilds_since(mark).len(), 2, "{}", w.lines().join("\n"));
}

#[test]
fn outputs_are_never_observed_half_written() {
    let (_dir, site, out) = vite();
    let w = Watch::start(&site, &out, 50, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (stop, reads, out) = (stop.clone(), reads.clone(), out.clone());
        std::thread::spawn(move || {
            let mut bad = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                for name in ["early-hints.json", "assets.json", "push_manifest.json"] {
                    match std::fs::read(out.join(name)) {
                        Ok(bytes) => {
                            if serde_json::from_slice::<serde_json::Value>(&bytes).is_err() {
                                bad.push(format!("{name}: {} bytes", bytes.len()));
                            }
                            reads.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => bad.push(format!("{name}: {e}")),
                    }
                }
            }
            bad
        })
    };
    for round in 0..10 {
        let mark = w.len();
        append(
            &site.join("assets/shared-lu0-7dkk.css"),
            &format!("\n.r{round} {{ color: red }}\n"),
        );
        w.rebuilt(mark);
    }
    stop.store(true, Ordering::Relaxed);
    let bad = reader.join().unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert!(reads.load(Ordering::Relaxed) > 0);
    assert_same_as_build(&site, &out);
}

#[test]
fn exec_runs_after_a_rebuild_with_the_changed_outputs() {
    let (dir, site, out) = vite();
    let log = dir.path().join("exec.log");
    let cmd = format!(
        "printf '%s\\n---\\n' \"$HINTGEN_CHANGED\" >> '{}'",
        log.display()
    );
    let w = Watch::start(&site, &out, 50, &["--exec", &cmd]);
    // The initial build wrote every output: one run already.
    let start = Instant::now();
    while !log.exists() {
        assert!(start.elapsed() < TIMEOUT);
        std::thread::sleep(Duration::from_millis(10));
    }
    let mark = w.len();
    append(&site.join("css/reset.css"), "\n/* x */\n");
    w.rebuilt(mark);
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log).unwrap();
        let runs: Vec<&str> = text.split("---\n").filter(|r| !r.is_empty()).collect();
        if runs.len() >= 2 {
            let changed: Vec<&str> = runs[1].lines().collect();
            assert!(
                changed.iter().any(|l| l.ends_with("early-hints.json")),
                "{changed:?}"
            );
            assert!(
                changed.iter().any(|l| l.ends_with("assets.json")),
                "{changed:?}"
            );
            assert!(
                !changed.iter().any(|l| l.ends_with("push_manifest.json")),
                "{changed:?}"
            );
            break;
        }
        assert!(start.elapsed() < TIMEOUT, "{text}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn ctrl_c_exits_130_and_leaves_no_temp_files() {
    let (_dir, site, out) = vite();
    let w = Watch::start(&site, &out, 50, &[]);
    let mark = w.len();
    append(&site.join("css/reset.css"), "\n/* x */\n");
    w.rebuilt(mark);
    assert_eq!(w.interrupt(), Some(130));
    let leftovers: Vec<_> = walkdir::WalkDir::new(&out)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".hintgen-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn outputs_inside_the_site_are_ignored() {
    let (_dir, site, _) = vite();
    let out = site.join("_hints");
    let w = Watch::start(&site, &out, 50, &["--headers-in-site"]);
    let mark = w.len();
    append(&site.join("css/reset.css"), "\n/* x */\n");
    w.rebuilt(mark);
    // Writing the outputs (into SITE/_hints and SITE/_headers) must not start another rebuild:
    // the next one is for the next edit.
    std::thread::sleep(Duration::from_millis(500));
    append(&site.join("css/reset.css"), "\n/* y */\n");
    let (_, line) = w.rebuilt(w.len());
    assert!(line.contains("1 changed (css/reset.css)"), "{line}");
    assert_eq!(w.rebuilds_since(mark).len(), 2, "{}", w.lines().join("\n"));
    assert!(
        !json(&out, "assets.json")["assets"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.contains("_hints"))
    );
}

#[test]
fn polling_sees_an_edit() {
    let (_dir, site, out) = vite();
    let w = Watch::start(&site, &out, 50, &["--poll"]);
    let before = page_hints(&out);
    let mark = w.len();
    // Poll mode compares mtimes: make sure this one moves even on a coarse clock.
    std::thread::sleep(Duration::from_millis(20));
    append(&site.join("css/typography.css"), "\nh2 { margin: 0 }\n");
    let (_, line) = w.rebuilt(mark);
    assert!(line.contains("1 changed (css/typography.css)"), "{line}");
    assert_ne!(page_hints(&out)["/"], before["/"]);
}

#[test]
fn a_reference_to_a_file_not_there_yet_waits_one_more_quiet_window() {
    let (_dir, site, out) = vite();
    // A long window, so the late file surely lands inside the second one.
    let w = Watch::start(&site, &out, 1000, &[]);
    let mark = w.len();
    write(
        &site.join("late/index.html"),
        "<!doctype html><link rel=stylesheet href=/late/late.css><p>Late</p>\n",
    );
    w.wait_for(mark, |l| l.contains("waiting one more quiet window"));
    // Nothing was written or reported yet.
    assert!(!early_links(&out).contains_key("/late/"));
    write(&site.join("late/late.css"), "p { margin: 0 }\n");
    let (i, line) = w.rebuilt(mark);
    assert!(line.contains("2 added"), "{line}");
    assert!(line.contains("0 error(s)"), "{line}");
    assert!(
        !w.lines()[mark..i]
            .iter()
            .any(|l| l.contains("missing-file")),
        "{}",
        w.lines().join("\n")
    );
    assert_eq!(
        early_links(&out)["/late/"],
        vec!["</late/late.css>; rel=preload; as=style"]
    );
}

#[test]
fn a_failed_rebuild_is_reported_and_the_loop_goes_on() {
    let (_dir, site, out) = vite();
    let w = Watch::start(&site, &out, 50, &[]);
    // An output that cannot be replaced: a folder where the file goes.
    let hints = out.join("early-hints.json");
    std::fs::remove_file(&hints).unwrap();
    std::fs::create_dir(&hints).unwrap();
    std::fs::write(hints.join("keep"), "x").unwrap();
    let mark = w.len();
    append(&site.join("css/reset.css"), "\n/* 1 */\n");
    let (i, _) = w.wait_for(mark, |l| l.contains("rebuild failed"));
    // Fixed; the next change writes everything.
    std::fs::remove_dir_all(&hints).unwrap();
    append(&site.join("css/reset.css"), "\n/* 2 */\n");
    let (_, line) = w.rebuilt(i);
    assert!(line.contains("1 changed (css/reset.css)"), "{line}");
    assert_same_as_build(&site, &out);
}
