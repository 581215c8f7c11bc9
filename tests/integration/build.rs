//! `hintgen build` on real bundler output and a hand-made site: exact hints, golden outputs,
//! fingerprints equal to `sha256sum`, determinism, untouched inputs, exit codes.

use std::path::Path;
use std::time::Duration;

use crate::harness::*;

/// What the Vite fixture's pages need, as Chromium fetched it (fixtures/README.md), in hint order.
const VITE_HOME: &[&str] = &[
    "</css/base.css>; rel=preload; as=style",
    "</assets/shared-lu0-7dkk.css>; rel=preload; as=style; crossorigin",
    "</assets/main-CrUJFCMQ.css>; rel=preload; as=style; crossorigin",
    "</css/reset.css>; rel=preload; as=style",
    "</css/typography.css>; rel=preload; as=style",
    "</assets/inter-latin-400-normal-C38fXH4l.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin",
    "</assets/main-B-AZA-4-.js>; rel=modulepreload; crossorigin",
    "</assets/shared-BfdqybA4.js>; rel=modulepreload; crossorigin",
    "</assets/hero-BeIChoe8.png>; rel=preload; as=image; fetchpriority=high",
];

const VITE_ABOUT: &[&str] = &[
    "</assets/shared-lu0-7dkk.css>; rel=preload; as=style; crossorigin",
    "</assets/about-CGehqwyA.css>; rel=preload; as=style; crossorigin",
    // The about page's text has more Latin letters than Cyrillic ones.
    "</assets/inter-latin-400-normal-C38fXH4l.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin",
    "</assets/inter-cyrillic-400-normal-obahsSVq.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin",
    "</assets/about-DzLYI_wF.js>; rel=modulepreload; crossorigin",
    "</assets/shared-BfdqybA4.js>; rel=modulepreload; crossorigin",
];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn vite_build_gets_exact_hints() {
    let out = tempfile::tempdir().unwrap();
    let o = build(&fixture("vite"), out.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let links = early_links(out.path());
    assert_eq!(links["/"], strings(VITE_HOME));
    assert_eq!(links["/about/"], strings(VITE_ABOUT));
    // Fonts go in the 103 only: on the 200 they delay first paint.
    let hints = json(out.path(), "early-hints.json");
    let final_home: Vec<&str> = hints["pages"]["/"]["final"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let expected: Vec<&str> = VITE_HOME
        .iter()
        .copied()
        .filter(|l| !l.contains("as=font"))
        .collect();
    assert_eq!(final_home, expected);
    // Lazy chunks, the lazy image, other font subsets and .woff files are never hinted.
    let all = serde_json::to_string(&hints).unwrap();
    for never in [
        "lazy-",
        "inter-greek",
        "inter-vietnamese",
        ".woff>",
        "favicon",
    ] {
        assert!(!all.contains(never), "{never} must not be hinted");
    }
}

#[test]
fn webpack_build_gets_exact_hints() {
    let out = tempfile::tempdir().unwrap();
    let o = build(&fixture("webpack"), out.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let links = early_links(out.path());
    let common_css = [
        "</css/vendors.3dd04f12b600ec8e2cbf.css>; rel=preload; as=style",
        "</css/shared.85d5b0e900f77031170e.css>; rel=preload; as=style",
    ];
    let font = "</fonts/inter-latin-400-normal.eca1e21531598d5db58f.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin";
    let common_js = [
        "</js/runtime.ddbd1bf08d98a8530666.js>; rel=preload; as=script",
        "</js/vendors.3d842525618f306e125d.js>; rel=preload; as=script",
        "</js/shared.94f0bb33bc2a31218f21.js>; rel=preload; as=script",
    ];
    let mut home = strings(&common_css);
    home.push("</css/main.ad47a65f4ad90243fe6d.css>; rel=preload; as=style".into());
    home.push(font.into());
    home.extend(strings(&common_js));
    home.push("</js/main.722bb3a56a7a88dede66.js>; rel=preload; as=script".into());
    home.push(
        "</img/hero.515162a567d5a211fab2.png>; rel=preload; as=image; fetchpriority=high".into(),
    );
    assert_eq!(links["/"], home);
    let mut blog = strings(&common_css);
    blog.push("</css/blog.e9a08ab2a956c4c07802.css>; rel=preload; as=style".into());
    blog.push(font.into());
    blog.extend(strings(&common_js));
    blog.push("</js/blog.bbfaa6774c1d26b274cf.js>; rel=preload; as=script".into());
    assert_eq!(links["/blog/"], blog);
    let assets = json(out.path(), "assets.json");
    assert_eq!(
        assets["assets"]["/js/main.722bb3a56a7a88dede66.js"]["immutable"],
        true
    );
    assert_eq!(assets["assets"]["/index.html"]["immutable"], false);
}

#[test]
fn handmade_site_hints_and_diagnostics() {
    let out = tempfile::tempdir().unwrap();
    let o = build(&fixture("handmade"), out.path(), &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "broken references exit 1\n{err}");
    for expected in [
        "index.html:14:1: error[missing-file]: <script> \"js/missing.js\"",
        "blog/post/index.html:8:1: error[escape]",
        "blog/post/index.html:11:1: warning[preload-mismatch]: <link rel=preload> for /js/main.mjs",
        "index.html:10:1: warning[preload-mismatch]: <link rel=preload> for /fonts/Hand%20Font.woff2",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in\n{err}");
    }
    let links = early_links(out.path());
    assert_eq!(
        links["/"],
        [
            "<https://cdn.example.com>; rel=preconnect",
            "</css/site.css>; rel=preload; as=style",
            // Its print-only `@import` is fetched at once too, and the stylesheet waits for it.
            "</css/print.css>; rel=preload; as=style",
            "</css/theme.css>; rel=preload; as=style",
            "</fonts/Hand%20Font.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin",
            "</fonts/wide.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin",
            "</js/app.js>; rel=preload; as=script",
            "</images/caf%C3%A9%20%C3%BC.png>; rel=preload; as=image; imagesrcset=\"/images/a,b;c.png 2x\"; imagesizes=100vw; fetchpriority=high",
            // The <picture>'s only source, asked for as its <img fetchpriority=high> asks.
            "</images/pic.webp>; rel=preload; as=image; type=\"image/webp\"; imagesrcset=\"/images/pic.webp 1x, /images/pic@2x.webp 2x\"; fetchpriority=high",
        ]
    );
    assert_eq!(
        links["/blog/post/"],
        [
            "</blog/blog.css?v=3>; rel=preload; as=style",
            "</css/theme.css>; rel=preload; as=style",
            // Only the heading is set in Hand, and its text has no character of the Latin subset.
            "</fonts/hand-cyrillic.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin",
            "</fonts/wide.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin",
            "</js/main.mjs>; rel=modulepreload; crossorigin",
            "</js/dep.mjs>; rel=modulepreload; crossorigin",
            "</js/lib.mjs>; rel=modulepreload; crossorigin",
            "</images/pic.png>; rel=preload; as=image; fetchpriority=high",
        ]
    );
    // A windows-1252 page names café.png with one 0xE9 byte; a UTF-16 page is transcoded.
    assert_eq!(
        links["/latin1.html"],
        ["</images/caf%C3%A9.png>; rel=preload; as=image; fetchpriority=high"]
    );
    assert_eq!(
        links["/utf16.html"][0],
        "</css/site.css>; rel=preload; as=style"
    );
    assert!(links["/empty.html"].is_empty());
    assert_eq!(
        links["/docs/"],
        ["</docs/empty.css>; rel=preload; as=style"]
    );
}

/// Golden snapshots of every output format for each fixture site.
#[test]
fn golden_outputs() {
    for name in ["vite", "webpack", "handmade"] {
        let out = tempfile::tempdir().unwrap();
        build(&fixture(name), out.path(), &[]);
        for (path, bytes) in outputs(out.path()) {
            let text = String::from_utf8(bytes).unwrap();
            let snap = format!("{name}__{}", path.replace(['/', '.'], "_"));
            insta::assert_snapshot!(snap, text);
        }
    }
}

#[test]
fn fingerprints_equal_sha256sum_and_big_files_stream() {
    if !have("sha256sum") {
        eprintln!("notice: sha256sum not found; skipping");
        return;
    }
    let (dir, site) = temp_fixture("handmade");
    // A file over 50 MB, deterministic content.
    let big = site.join("media/big.bin");
    let mut data = Vec::with_capacity(51 * 1024 * 1024);
    let mut x: u32 = 1;
    while data.len() < 51 * 1024 * 1024 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(&big, &data).unwrap();
    drop(data);
    let out = dir.path().join("out");
    build(&site, &out, &["--emit", "assets"]);
    let assets = json(&out, "assets.json");
    let map = assets["assets"].as_object().unwrap();
    assert_eq!(map.len(), tree_state(&site).len());
    for (_, a) in map {
        let path = site.join(a["path"].as_str().unwrap());
        let o = std::process::Command::new("sha256sum")
            .arg(&path)
            .output()
            .unwrap();
        let expected = String::from_utf8_lossy(&o.stdout);
        let expected = expected
            .trim_start_matches('\\')
            .split_whitespace()
            .next()
            .unwrap();
        assert_eq!(
            a["sha256"].as_str().unwrap(),
            expected,
            "{}",
            path.display()
        );
        assert!(a["integrity"].as_str().unwrap().starts_with("sha256-"));
    }
    assert_eq!(map["/media/big.bin"]["size"], 51 * 1024 * 1024);
}

#[test]
fn second_run_is_byte_identical_and_input_is_untouched() {
    for name in ["vite", "handmade"] {
        let (dir, site) = temp_fixture(name);
        let before = tree_state(&site);
        let out = dir.path().join("out");
        build(&site, &out, &[]);
        let first = outputs(&out);
        // The fingerprint cache records when it was written, so it is not an output to compare.
        let without_cache = |mut t: std::collections::BTreeMap<String, _>| {
            t.retain(|k, _| !k.starts_with(".hintgen-cache"));
            t
        };
        let first_state = without_cache(tree_state(&out));
        let o = build(&site, &out, &[]);
        assert_eq!(outputs(&out), first);
        assert_eq!(
            without_cache(tree_state(&out)),
            first_state,
            "unchanged outputs are not rewritten"
        );
        assert!(
            stderr(&o).contains(" 0 output(s) written"),
            "{}",
            stderr(&o)
        );
        assert_eq!(tree_state(&site), before, "the site must not be modified");
    }
}

#[test]
fn outputs_parse_back_and_links_round_trip() {
    for name in ["vite", "webpack", "handmade"] {
        let out = tempfile::tempdir().unwrap();
        build(&fixture(name), out.path(), &[]);
        for file in ["assets.json", "push_manifest.json", "early-hints.json"] {
            assert_eq!(json(out.path(), file)["version"], 1, "{file}");
        }
        let hints = json(out.path(), "early-hints.json");
        for (page, p) in hints["pages"].as_object().unwrap() {
            for set in ["early", "final"] {
                let values: Vec<&str> = p[set]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                for v in &values {
                    let parsed = hintgen::link::parse_links(v).unwrap();
                    assert_eq!(parsed.len(), 1, "{page}: {v}");
                    assert_eq!(&parsed[0].to_header(), v, "{page}: round trip");
                }
                let joined = values.join(", ");
                assert_eq!(
                    hintgen::link::parse_links(&joined).unwrap().len(),
                    values.len()
                );
            }
            for h in p["hints"].as_array().unwrap() {
                let url = h["url"].as_str().unwrap();
                assert!(
                    !url.contains('#') && !url.contains(' ') && !url.contains(','),
                    "{url}"
                );
            }
        }
        // _headers: comments, rule paths, and indented Link lines under the 2,000-character limit.
        let text = std::fs::read_to_string(out.path().join("_headers")).unwrap();
        for line in text.lines() {
            assert!(line.len() <= 2000);
            if line.starts_with('#') {
                continue;
            } else if let Some(v) = line.strip_prefix("  Link: ") {
                assert_eq!(hintgen::link::parse_links(v).unwrap().len(), 1, "{line}");
            } else if line.starts_with("  ") {
                assert_eq!(line, "  Cache-Control: public, max-age=31536000, immutable");
            } else {
                assert!(line.starts_with('/') && !line.contains(' '), "{line:?}");
            }
        }
    }
}

#[test]
fn exit_codes() {
    let out = tempfile::tempdir().unwrap();
    assert_eq!(
        build(&fixture("vite"), out.path(), &[]).status.code(),
        Some(0)
    );
    assert_eq!(
        build(&fixture("handmade"), out.path(), &[]).status.code(),
        Some(1)
    );
    let missing = out.path().join("no-such-site");
    let o = build(&missing, out.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
    let o = build(&fixture("vite"), out.path(), &["--emit", "bogus"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown artifact \"bogus\""));
    assert_eq!(run(&["build", "--no-such-flag"]).status.code(), Some(2));
    let o = build(&fixture("vite"), &fixture("vite"), &[]);
    assert_eq!(o.status.code(), Some(2), "OUT = SITE is refused");
    let help = run(&["build", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--emit",
        "--base-url",
        "--sri",
        "--config",
        "--color",
        "-q",
        "Exit codes",
    ] {
        assert!(text.contains(flag), "--help lacks {flag}");
    }
}

#[test]
fn hostile_tree_never_hangs_or_escapes() {
    let (dir, site) = temp_fixture("handmade");
    let outside = dir.path().join("secret.txt");
    std::fs::write(&outside, "secret").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, site.join("leak.txt")).unwrap();
        std::os::unix::fs::symlink("..", site.join("css/loop")).unwrap();
        std::os::unix::fs::symlink("js/app.js", site.join("alias.js")).unwrap();
        std::os::unix::fs::symlink("nowhere.css", site.join("gone.css")).unwrap();
        // A folder of scripts that the system provides (as Debian's documentation links
        // `_static/` files to its JavaScript packages), loaded by a page.
        let shared = dir.path().join("javascript");
        std::fs::create_dir(&shared).unwrap();
        std::fs::write(shared.join("lib.js"), "1").unwrap();
        std::os::unix::fs::symlink(&shared, site.join("vendor")).unwrap();
        std::fs::write(
            site.join("vendor.html"),
            "<!doctype html><script src=/vendor/lib.js></script><p>x",
        )
        .unwrap();
        let fifo = site.join("pipe.css");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
    }
    let out = dir.path().join("out");
    let o = assert_cmd::Command::new(env!("CARGO_BIN_EXE_hintgen"))
        .arg("build")
        .arg(&site)
        .arg("-o")
        .arg(&out)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("leak.txt: error[symlink-outside]"), "{err}");
    assert!(err.contains("pipe.css: warning[not-a-file]"), "{err}");
    assert!(err.contains("css/loop: error[symlink-loop]"), "{err}");
    assert!(err.contains("gone.css: warning[broken-symlink]"), "{err}");
    // A page that loads a file through a link out of the site: a warning naming the link, not a
    // claim that the file does not exist.
    assert!(err.contains("vendor: error[symlink-outside]"), "{err}");
    let through = lines_with(&err, "vendor.html");
    assert_eq!(through.len(), 1, "{err}");
    assert!(
        through[0].contains("warning[symlink-outside]")
            && through[0].contains("through the symbolic link \"vendor\""),
        "{err}"
    );
    let assets = json(&out, "assets.json");
    assert!(assets["assets"].get("/leak.txt").is_none());
    let listed = serde_json::to_string(&assets).unwrap();
    assert!(
        !listed.contains("/css/loop/"),
        "a looping link is not walked"
    );
    assert!(
        assets["assets"].get("/alias.js").is_some(),
        "a link inside the site is followed"
    );
    assert!(!serde_json::to_string(&assets).unwrap().contains("secret"));
}

#[test]
fn headers_merge_into_the_site_keeping_user_lines() {
    let (dir, site) = temp_fixture("vite");
    let user = "/*\n  X-Frame-Options: DENY\n";
    std::fs::write(site.join("_headers"), user).unwrap();
    let out = dir.path().join("out");
    build(&site, &out, &["--headers-in-site"]);
    let merged = std::fs::read_to_string(site.join("_headers")).unwrap();
    assert!(merged.starts_with(user));
    assert!(merged.contains("# >>> hintgen"));
    assert!(merged.contains("  Link: </css/base.css>; rel=preload; as=style"));
    assert!(!out.join("_headers").exists());
    let assets_before = std::fs::read(out.join("assets.json")).unwrap();
    build(&site, &out, &["--headers-in-site"]);
    assert_eq!(
        std::fs::read_to_string(site.join("_headers")).unwrap(),
        merged
    );
    assert_eq!(
        std::fs::read(out.join("assets.json")).unwrap(),
        assets_before
    );
}

#[test]
fn stdout_base_url_sri_and_check() {
    let o = run(&[
        "build",
        fixture("vite").to_str().unwrap(),
        "-o",
        "-",
        "--emit",
        "hints",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["pages"]["/"].is_object());
    assert!(o.stderr.is_empty(), "-q prints nothing on success");

    let out = tempfile::tempdir().unwrap();
    // webpack's `publicPath: 'auto'` makes page-relative URLs, so the build works under any prefix.
    build(
        &fixture("webpack"),
        out.path(),
        &["--base-url", "https://example.com/app/", "--sri", "sha384"],
    );
    let links = early_links(out.path());
    assert_eq!(
        links["/app/"][0],
        "</app/css/vendors.3dd04f12b600ec8e2cbf.css>; rel=preload; as=style"
    );
    assert_eq!(links["/app/blog/"].len(), 8);
    let assets = json(out.path(), "assets.json");
    assert!(
        assets["assets"]["/app/index.html"]["integrity"]
            .as_str()
            .unwrap()
            .starts_with("sha384-")
    );

    let (dir, site) = temp_fixture("vite");
    let out = dir.path().join("out");
    build(&site, &out, &[]);
    let check = |site: &Path| {
        let mut c = bin();
        c.arg("check").arg(site).arg("-o").arg(&out);
        c.output().unwrap()
    };
    assert_eq!(
        check(&site).status.code(),
        Some(0),
        "{}",
        stderr(&check(&site))
    );
    std::fs::write(site.join("css/reset.css"), "html{margin:0}\n").unwrap();
    let o = check(&site);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("stale-output"), "{}", stderr(&o));
    // `check` writes nothing, not even the fingerprint cache or the output folder.
    let fresh = dir.path().join("never-built");
    let mut c = bin();
    c.arg("check").arg(&site).arg("-o").arg(&fresh);
    assert_eq!(c.output().unwrap().status.code(), Some(1));
    assert!(!fresh.exists());
}

#[test]
fn explain_shows_depth_and_reasons() {
    let o = run(&["explain", fixture("vite").to_str().unwrap(), "/about/"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("[1] /assets/about-DzLYI_wF.js"), "{text}");
    assert!(text.contains("hinted (modulepreload)"));
    assert!(text.contains("not hinted: @font-face"), "{text}");
    assert!(text.contains("not hinted: dynamic import()") || !text.contains("import()"));
    let o = run(&["explain", fixture("vite").to_str().unwrap(), "/nope/"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn settings_file_budgets_and_policy() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hints.toml");
    std::fs::write(
        &config,
        "emit = [\"hints\"]\n[policy]\nmax-hints = 3\nfonts-on-final = true\npriority-images = false\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = build(
        &fixture("vite"),
        &out,
        &["--config", config.to_str().unwrap()],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "budget drops are warnings: {err}");
    assert!(
        err.contains("index.html: warning[budget]: over budget")
            && err.contains("5 hint(s) dropped"),
        "{err}"
    );
    assert!(
        !out.join("assets.json").exists(),
        "emit comes from the settings file"
    );
    let links = early_links(&out);
    assert_eq!(links["/"], strings(&VITE_HOME[..3]));
    let hints = json(&out, "early-hints.json");
    assert_eq!(
        hints["pages"]["/about/"]["final"].as_array().unwrap().len(),
        3
    );
    // Each response has its own budget: with 4 hints a response, the early-only fonts fill the 103,
    // and the modules still go on the 200.
    std::fs::write(&config, "emit = [\"hints\"]\n[policy]\nmax-hints = 4\n").unwrap();
    let o = build(
        &fixture("vite"),
        &out,
        &["--config", config.to_str().unwrap()],
    );
    let err = stderr(&o);
    assert!(
        err.contains(
            "2 hint(s) sent in one response only: /assets/about-DzLYI_wF.js (left out of the 103)"
        ),
        "{err}"
    );
    let page = &json(&out, "early-hints.json")["pages"]["/about/"];
    let list = |k: &str| -> Vec<String> {
        page[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(list("early"), strings(&VITE_ABOUT[..4]));
    let final_: Vec<&str> = [0, 1, 4, 5].iter().map(|&i| VITE_ABOUT[i]).collect();
    assert_eq!(list("final"), strings(&final_));
    std::fs::write(
        &config,
        "emit = [\"hints\"]\n[policy]\nmax-hints = 3\nfonts-on-final = true\npriority-images = false\n",
    )
    .unwrap();
    // A flag overrides the file; a bad key is a usage error naming the file.
    let o = build(
        &fixture("vite"),
        &out,
        &["--config", config.to_str().unwrap(), "--emit", "assets"],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(out.join("assets.json").exists());
    std::fs::write(&config, "[policy]\nmax-hint = 3\n").unwrap();
    let o = build(
        &fixture("vite"),
        &out,
        &["--config", config.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("hints.toml") && stderr(&o).contains("max-hint"),
        "{}",
        stderr(&o)
    );
    // `check` fails on budget drops.
    std::fs::write(&config, "emit = [\"hints\"]\n[policy]\nmax-hints = 3\n").unwrap();
    build(
        &fixture("vite"),
        &out,
        &["--config", config.to_str().unwrap()],
    );
    let mut c = bin();
    c.arg("check")
        .arg(fixture("vite"))
        .arg("-o")
        .arg(&out)
        .arg("--config")
        .arg(&config);
    assert_eq!(c.output().unwrap().status.code(), Some(1));
}

#[test]
fn report_is_a_self_contained_waterfall() {
    let out = tempfile::tempdir().unwrap();
    let o = run(&[
        "report",
        fixture("vite").to_str().unwrap(),
        "-o",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    for page in [
        "/about/",
        "about/index.html",
        "/assets/about-DzLYI_wF.js",
        "hinted",
    ] {
        assert!(html.contains(page), "report lacks {page}");
    }
    // Self-contained: no scripts, no external style sheets or images.
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("src="));
    // The lazy chunk is shown, not hinted, with the reason in its tooltip.
    assert!(html.contains("dynamic import(): loaded lazily"));
}

#[test]
fn default_output_is_never_inside_the_site() {
    let (dir, site) = temp_fixture("vite");
    let before = tree_state(&site);
    let o = bin()
        .arg("build")
        .arg(".")
        .current_dir(&site)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        tree_state(&site),
        before,
        "nothing is written into the site"
    );
    assert!(dir.path().join("hintgen-out/early-hints.json").is_file());
    // `dist` is the default site, and OUT defaults to the working folder.
    let work = dir.path().join("work");
    copy_tree(&site, &work.join("dist"));
    let o = bin().arg("build").current_dir(&work).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(work.join("hintgen-out/assets.json").is_file());
}

/// A client-rendered page (no text of its own, a script that renders it) gets the Basic Latin face
/// of its web font, and with `<html lang=ru>` the Cyrillic one too; a page without text or scripts
/// gets none. Vite's legacy guard, a dynamic
/// `import("_")`, raises no bare-specifier warning; a static bare import still does.
#[test]
fn client_rendered_pages_and_feature_probes() {
    let (dir, site) = temp_site(&[
        (
            "app.html",
            "<!doctype html><link rel=stylesheet href=/f.css><div id=root></div>\
             <script type=module src=/main.js></script>\
             <script type=module>import.meta.url;import(\"_\").catch(()=>1);</script>",
        ),
        (
            "ru.html",
            "<!doctype html><html lang=ru-RU><link rel=stylesheet href=/f.css><div id=root></div>\
             <script type=module src=/main.js></script>",
        ),
        (
            "blank.html",
            "<!doctype html><link rel=stylesheet href=/f.css><div></div>",
        ),
        // An inline module script that imports the app runs it too (Storybook's manager).
        (
            "inline.html",
            "<!doctype html><link rel=stylesheet href=/f.css><div id=root></div>\
             <script type=module>import './main.js';</script>",
        ),
        ("bare.html", "<script type=module src=/bare.js></script>"),
        (
            "f.css",
            "@font-face{font-family:R;src:url(/latin.woff2) format(\"woff2\");\
             unicode-range:U+0000-00FF}\
             @font-face{font-family:R;src:url(/cyr.woff2) format(\"woff2\");\
             unicode-range:U+0400-045F}",
        ),
        ("main.js", "export function g(){import(`_`).catch(()=>1)}\n"),
        ("bare.js", "import 'vue';\n"),
        ("latin.woff2", "w"),
        ("cyr.woff2", "w"),
    ]);
    let out = dir.path().join("out");
    let o = build(&site, &out, &[]);
    let err = stderr(&o);
    let links = early_links(&out);
    let fonts = |page: &str| -> Vec<String> {
        links
            .get(page)
            .unwrap_or_else(|| panic!("{page} not in {links:?}"))
            .iter()
            .filter(|l| l.contains("as=font"))
            .cloned()
            .collect()
    };
    assert_eq!(
        fonts("/app.html"),
        vec!["</latin.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin"]
    );
    assert_eq!(
        fonts("/ru.html"),
        vec![
            "</latin.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin",
            "</cyr.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin"
        ],
        "<html lang=ru>: Cyrillic letters are assumed too"
    );
    assert!(fonts("/blank.html").is_empty(), "{links:?}");
    assert_eq!(fonts("/inline.html"), fonts("/app.html"));
    let bare = lines_with(&err, "bare-specifier");
    assert_eq!(bare.len(), 1, "{err}");
    assert!(
        bare[0].contains("bare.js") && bare[0].contains("\"vue\""),
        "{err}"
    );
}

/// A browser fetches an `@font-face` only for text whose style asks for its family: a face whose
/// family no style of the page names (in its stylesheets or inline, in a declaration or a custom
/// property that one reads) is not hinted, unless some `font-family` is computed (`attr()`), when
/// any family may be asked for.
#[test]
fn a_face_whose_family_no_style_names_is_not_hinted() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=stylesheet href=/faces.css><link rel=stylesheet href=/use.css>\
             <p>Text <b style=\"font-family: 'Inline Face'\">bold</b></p>",
        ),
        (
            "var.html",
            "<!doctype html><link rel=stylesheet href=/faces.css><link rel=stylesheet href=/var.css>\
             <p>Text</p>",
        ),
        (
            "faces.css",
            "@font-face{font-family:Body;src:url(/body.woff2)}\
             @font-face{font-family:\"Inline Face\";src:url(/inline.woff2)}\
             @font-face{font-family:Unused;src:url(/unused.woff2)}",
        ),
        (
            "custom.html",
            "<!doctype html><link rel=stylesheet href=/faces.css><link rel=stylesheet href=/custom.css>\
             <p>Text</p>",
        ),
        ("use.css", "body{font-family:body,sans-serif}"),
        ("custom.css", ":root{--brand-font:Unused,serif}"),
        (
            "var.css",
            ":root{--f:Body}body{font-family:var(--f)}p{font-family:attr(data-f)}",
        ),
        ("body.woff2", "w"),
        ("inline.woff2", "w"),
        ("unused.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/"), ["/body.woff2", "/inline.woff2"]);
    assert_eq!(
        fonts("/var.html"),
        ["/body.woff2", "/inline.woff2", "/unused.woff2"]
    );
    // A custom property that no `var()` reads (and no script names) gives no family.
    assert!(fonts("/custom.html").is_empty());
    let why = explain(&site, "/");
    assert!(
        explains(&why, "/unused.woff2", "no style of the page names"),
        "{why}"
    );
}

/// A theme's HTML template that a generator copies unrendered (pydata-sphinx-theme's
/// `_static/webpack-macros.html`) has URLs such as `{{ pathto('_static/a.css', 1) }}`: a warning,
/// not a missing-file or bad-url error that would fail the build of a valid site. The same in a
/// stylesheet that pages load is a broken reference (Django's docs ship one).
#[test]
fn an_unrendered_template_url_is_a_warning() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=stylesheet href=/a.css><p>Docs",
        ),
        (
            "a.css",
            "@import url(\"{{ pathto('_static/fa.css', 1) }}\");body{color:red}",
        ),
        (
            "_static/macros.html",
            "{% macro head() %}<link href=\"{{ pathto('_static/a.css', 1) }}\" rel=stylesheet>\
             <script src=\"http://{{ host }}/x.js\"></script>\
             <img src=\"<%= logo %>\"><img src=\"${base}/b.png\">{% endmacro %}",
        ),
    ]);
    let out = dir.path().join("out");
    let o = build(&site, &out, &[]);
    let err = stderr(&o);
    assert_eq!(lines_with(&err, "warning[template-url]").len(), 4, "{err}");
    // A stylesheet a page loads is served: the browser requests its `@import` and gets a 404.
    let errors = lines_with(&err, "error[");
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].contains("a.css") && errors[0].contains("missing-file"),
        "{err}"
    );
    assert_eq!(o.status.code(), Some(1), "{err}");
}

/// `node_modules/` folders are not walked, but the files of theirs that the site loads are read
/// (a hand-made site serving its packages), and those these load in turn: they get hints, and
/// nothing else of the folder is listed. Version-control folders are not read: a page that loads a
/// file from one gets a warning that says so, not a missing-file error.
#[test]
fn files_of_node_modules_that_pages_load_are_read() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=stylesheet href=node_modules/theme/style.css>\
             <script type=importmap>{\"imports\":{\"lib\":\"/node_modules/lib/index.js\"}}</script>\
             <script type=module>import 'lib';</script>\
             <link rel=stylesheet href=.git/x.css><link rel=stylesheet href=/gone.css><p>Slides",
        ),
        (
            "node_modules/theme/style.css",
            "@import 'parts/base.css';@font-face{font-family:T;src:url(../fonts/t.woff2)}\
             body{font-family:T}",
        ),
        ("node_modules/theme/parts/base.css", "h1{color:red}"),
        ("node_modules/fonts/t.woff2", "t"),
        ("node_modules/lib/index.js", "import './dep.js';"),
        ("node_modules/lib/dep.js", "export {};"),
        ("node_modules/lib/unused.js", "export {};"),
        (".git/x.css", "p{}"),
        ("other.html", "<!doctype html><p>Nothing from packages"),
    ]);
    let outside = dir.path().join("outside.css");
    std::fs::write(&outside, "p{}").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, site.join("node_modules/theme/link.css")).unwrap();
        let page = site.join("index.html");
        let html = std::fs::read_to_string(&page).unwrap();
        let linked = "<link rel=stylesheet href=node_modules/theme/link.css>";
        std::fs::write(&page, html.replace("<p>", &format!("{linked}<p>"))).unwrap();
    }
    let out = dir.path().join("out");
    let o = build(&site, &out, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let early = &early_links(&out)["/"];
    for file in [
        "/node_modules/theme/style.css",
        "/node_modules/theme/parts/base.css",
        "/node_modules/fonts/t.woff2",
        "/node_modules/lib/index.js",
        "/node_modules/lib/dep.js",
    ] {
        assert!(early.iter().any(|l| l.contains(file)), "{file}: {early:?}");
    }
    let assets = std::fs::read_to_string(out.join("assets.json")).unwrap();
    assert!(assets.contains("node_modules/lib/dep.js") && !assets.contains("unused.js"));
    // A version-control folder, and a package file that links out of the site, are not read.
    let skipped = lines_with(&err, "skipped-folder");
    assert_eq!(skipped.len(), 1, "{err}");
    assert!(
        skipped[0].contains("warning") && skipped[0].contains("inside a .git folder"),
        "{err}"
    );
    assert!(!assets.contains("link.css"), "{assets}");
    #[cfg(unix)]
    assert!(
        lines_with(&err, "symlink-outside")
            .iter()
            .any(|l| l.contains("link.css") && l.contains("leads outside the site")),
        "{err}"
    );
    let missing = lines_with(&err, "missing-file");
    assert_eq!(missing.len(), 1, "{err}");
    assert!(missing[0].contains("/gone.css"), "{err}");
    // Without a reference, the folder is not read at all.
    assert!(
        !early_links(&out)["/other.html"]
            .iter()
            .any(|l| l.contains("node_modules"))
    );
}

/// A family that only rules for headings name is used on pages with such a heading, in the weights
/// of its text: what the rules for the bare element set, the last one in cascade order (a
/// stylesheet after those it imports) overriding earlier ones, or bold, as browsers set headings;
/// and what rules for the elements inside it set.
#[test]
fn a_family_only_headings_name_serves_their_weights() {
    let page = |sheets: &[&str], body: &str| {
        let links: String = sheets
            .iter()
            .map(|s| format!("<link rel=stylesheet href=/{s}>"))
            .collect();
        format!("<!doctype html>{links}<link rel=stylesheet href=/faces.css><p>Text <b>b</b>{body}")
    };
    let (dir, site) = temp_site(&[
        (
            "faces.css",
            "@font-face{font-family:Head;font-weight:400;src:url(/head-400.woff2)}\
             @font-face{font-family:Head;font-weight:700;src:url(/head-700.woff2)}\
             h1,h2{font-family:Head,serif}",
        ),
        (
            "framework.css",
            "body{font-weight:400}.h1,h1,h2{font-weight:500}",
        ),
        ("site.css", "h1,h2{font-weight:700}"),
        ("main.css", "@import \"framework.css\";h1{font-weight:700}"),
        (
            "wide.css",
            "h1{font-weight:700}@media (min-width:40em){h1{font-weight:500}}",
        ),
        ("small.css", "small{font-weight:400}"),
        ("inherit.css", "h1{font-weight:inherit}"),
        ("index.html", &page(&[], "<h1>Title</h1>")),
        ("none.html", &page(&[], "")),
        (
            "later.html",
            &page(&["framework.css", "site.css"], "<h1>Title</h1>"),
        ),
        (
            "earlier.html",
            &page(&["site.css", "framework.css"], "<h1>Title</h1>"),
        ),
        ("imported.html", &page(&["main.css"], "<h1>Title</h1>")),
        ("wide.html", &page(&["wide.css"], "<h1>Title</h1>")),
        (
            "small.html",
            &page(&["small.css"], "<h1>Title <small>s</small></h1>"),
        ),
        (
            "unsmall.html",
            &page(&["small.css"], "<h1>Title</h1><small>s</small>"),
        ),
        ("inherit.html", &page(&["inherit.css"], "<h1>Title</h1>")),
        ("head-400.woff2", "w"),
        ("head-700.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let links = early_links(&out);
    let fonts = |page: &str| font_urls(&links[page]);
    for page in ["/", "/later.html", "/imported.html", "/unsmall.html"] {
        assert_eq!(fonts(page), ["/head-700.woff2"], "{page}");
    }
    assert!(fonts("/none.html").is_empty());
    // The framework's 500 comes last, and the 400 face serves it.
    assert_eq!(fonts("/earlier.html"), ["/head-400.woff2"]);
    // A rule under `@media` may apply or not; the page's text around the heading is 400 and
    // bolder, which `inherit` passes on.
    for page in ["/wide.html", "/small.html", "/inherit.html"] {
        assert_eq!(
            fonts(page),
            ["/head-400.woff2", "/head-700.woff2"],
            "{page}"
        );
    }
    let why = explain(&site, "/later.html");
    assert!(
        explains(
            &why,
            "/head-400.woff2",
            "the text of the page's elements that rules name its family for is set in \
             font-weight 700"
        ),
        "{why}"
    );
    let why = explain(&site, "/none.html");
    assert!(
        explains(
            &why,
            "/head-700.woff2",
            "only rules for elements with <h1> or <h2> name its family, and no element of the \
             page is one"
        ),
        "{why}"
    );
}

/// A site built for a path prefix (MkDocs' `site_url`) names its files with the prefix; a missing
/// file found without it says which `--base-url` would serve it.
#[test]
fn a_missing_file_under_a_prefix_suggests_the_base_url() {
    let (dir, site) = temp_site(&[
        (
            "404.html",
            "<!doctype html><link rel=stylesheet href=/docs/css/site.css><p>Not found",
        ),
        ("css/site.css", "body{color:red}"),
    ]);
    let out = dir.path().join("out");
    let o = build(&site, &out, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let missing = lines_with(&err, "missing-file");
    assert_eq!(missing.len(), 1, "{err}");
    assert!(
        missing[0].contains(
            "(there is a file \"css/site.css\": if the site is served under /docs/, say so with \
             --base-url /docs/)"
        ),
        "{err}"
    );
    let o = build(&site, &out, &["--base-url", "/docs/"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A family that only rules for certain elements name (Font Awesome's `.fab { font-family: "Font
/// Awesome 5 Brands" }`) is used only on a page with such an element, or whose scripts may add one
/// (a string of theirs has the class name); and of its faces, only those whose weight such rules
/// ask for.
#[test]
fn a_face_only_rules_for_absent_elements_name_is_not_hinted() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=stylesheet href=/fa.css><p><i class=\"fas fa-home\"></i>Home",
        ),
        (
            "brands.html",
            "<!doctype html><link rel=stylesheet href=/fa.css><p><i class=\"fab fa-github\"></i>Code",
        ),
        (
            "id.html",
            "<!doctype html><link rel=stylesheet href=/fa.css><header><p id=logo>Logo</header>",
        ),
        (
            "no-header.html",
            "<!doctype html><link rel=stylesheet href=/fa.css><p id=logo>Logo",
        ),
        (
            "icons.html",
            "<!doctype html><link rel=stylesheet href=/fa.css><p><i class=\"me-1 bi-github\"></i>Code",
        ),
        (
            "regular.html",
            "<!doctype html><link rel=stylesheet href=/fa.css><p><i class=\"far fa-bell\"></i>Bell",
        ),
        (
            "both.html",
            "<!doctype html><link rel=stylesheet href=/fa.css><p><i class=\"far fa-bell\"></i>\
             <i class=\"fas fa-home\"></i>Both",
        ),
        (
            "script.html",
            "<!doctype html><link rel=stylesheet href=/fa.css><p>Share\
             <script src=/share.js></script>",
        ),
        (
            "inline.html",
            "<!doctype html><link rel=stylesheet href=/fa.css><p>Share\
             <script type=text/template><i class=\"fab fa-x\"></i></script>",
        ),
        (
            "post.html",
            "<!doctype html><link rel=stylesheet href=/fa.css><article class=post><h1>Title</h1>",
        ),
        (
            "fa.css",
            "@font-face{font-family:\"Font Awesome 5 Brands\";src:url(/brands.woff2)}\
             @font-face{font-family:\"Font Awesome 5 Free\";font-weight:400;src:url(/regular.woff2)}\
             @font-face{font-family:\"Font Awesome 5 Free\";font-weight:900;src:url(/solid.woff2)}\
             @font-face{font-family:Logo;src:url(/logo.woff2)}\
             .fab{font-family:\"Font Awesome 5 Brands\"}\
             .fab,.far{font-weight:400}\
             .fa,.far,.fas{font-family:\"Font Awesome 5 Free\"}\
             .fa,.fas{font-weight:900}\
             header #logo{font-family:Logo}\
             @font-face{font-family:bootstrap-icons;src:url(/bi.woff2)}\
             .bi::before,[class^=\"bi-\"]::before,[class*=\" bi-\"]::before{font-family:bootstrap-icons}\
             @font-face{font-family:Head;font-weight:300;src:url(/head-300.woff2)}\
             @font-face{font-family:Head;font-weight:700;src:url(/head-700.woff2)}\
             .post h1,.post>h2{font-family:Head}.post{font-weight:300}",
        ),
        (
            "share.js",
            "document.body.insertAdjacentHTML('beforeend', '<i class=\"fab fa-x\"></i>')",
        ),
        ("brands.woff2", "w"),
        ("solid.woff2", "w"),
        ("regular.woff2", "w"),
        ("logo.woff2", "w"),
        ("bi.woff2", "w"),
        ("head-300.woff2", "w"),
        ("head-700.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    // One family, two weights: `.fas` asks for 900, `.far` for 400.
    assert_eq!(fonts("/"), ["/solid.woff2"]);
    assert_eq!(fonts("/regular.html"), ["/regular.woff2"]);
    assert_eq!(fonts("/both.html"), ["/regular.woff2", "/solid.woff2"]);
    assert_eq!(fonts("/brands.html"), ["/brands.woff2"]);
    // `[class*=" bi-"]` asks for a class that starts with `bi-`.
    assert_eq!(fonts("/icons.html"), ["/bi.woff2"]);
    assert_eq!(fonts("/id.html"), ["/logo.woff2"]);
    // `header #logo` asks for a `<header>` around it.
    assert!(fonts("/no-header.html").is_empty());
    assert_eq!(fonts("/script.html"), ["/brands.woff2"]);
    assert_eq!(fonts("/inline.html"), ["/brands.woff2"]);
    // `.post h1` asks for a `post` around the `h1`; what `.post` gives that element is not its
    // weight: browsers set headings in bold.
    assert_eq!(fonts("/post.html"), ["/head-700.woff2"]);
    let why = explain(&site, "/");
    assert!(
        explains(
            &why,
            "/head-700.woff2",
            "only rules for elements with <h1> in or after ones with post or elements with <h2> \
             in or after ones with post name its family"
        ),
        "{why}"
    );
    assert!(
        explains(
            &why,
            "/brands.woff2",
            "only rules for elements with fab name its family"
        ),
        "{why}"
    );
    assert!(
        explains(
            &why,
            "/regular.woff2",
            "(weight 400): the text of the page's elements that rules name its family for is set in font-weight 900"
        ),
        "{why}"
    );
}

/// A face of a family that rules for any element name serves only the weights the page's text may
/// have: 400, bold where the page has a heading or `<th>`, bolder for `<b>` and `<strong>` (of any
/// of those weights), and the weights of the rules that may apply to its elements.
#[test]
fn a_weight_set_with_another_family_leaves_the_families_faces() {
    // A heading's permalink in an icon font (Read the Docs' `.headerlink`): its rule's 400 sets
    // no heading text in the heading's family.
    let page = |sheet: &str| {
        format!(
            "<!doctype html><link rel=stylesheet href=/faces.css><link rel=stylesheet href=/{sheet}>\
             <h1>Title<a class=headerlink href=#t>¶</a></h1>"
        )
    };
    let (dir, site) = temp_site(&[
        (
            "faces.css",
            "@font-face{font-family:Head;font-weight:400;src:url(/head-400.woff2)}\
             @font-face{font-family:Head;font-weight:700;src:url(/head-700.woff2)}\
             h1{font-family:Head,serif;font-weight:700}",
        ),
        (
            "shorthand.css",
            ".headerlink{font:normal normal normal 14px/1 Icons}",
        ),
        (
            "after.css",
            ".headerlink{font-weight:400;font-family:Icons}",
        ),
        (
            "named.css",
            ".headerlink{font-weight:400;font-family:Icons,Head}",
        ),
        (
            "media.css",
            ".headerlink{font-weight:400}@media print{.headerlink{font-family:Icons}}",
        ),
        // A rule for the heading itself: a rule that wins may give it the family.
        ("same.css", "h1.headed{font-weight:400;font-family:Icons}"),
        ("index.html", &page("shorthand.css")),
        (
            "same.html",
            &page("same.css").replace("<h1>", "<h1 class=headed>"),
        ),
        ("after.html", &page("after.css")),
        ("named.html", &page("named.css")),
        ("media.html", &page("media.css")),
        ("head-400.woff2", "w"),
        ("head-700.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let links = early_links(&out);
    let fonts = |page: &str| font_urls(&links[page]);
    for page in ["/", "/after.html"] {
        assert_eq!(fonts(page), ["/head-700.woff2"], "{page}");
    }
    // The icon font falls back to the heading's, the family is set elsewhere, or the rule is for
    // the heading.
    for page in ["/named.html", "/media.html", "/same.html"] {
        assert_eq!(
            fonts(page),
            ["/head-400.woff2", "/head-700.woff2"],
            "{page}"
        );
    }
}

#[test]
fn faces_serve_only_the_weights_the_page_may_have() {
    let page = |body: &str| format!("<!doctype html><link rel=stylesheet href=/site.css>{body}");
    let (dir, site) = temp_site(&[
        ("plain.html", &page("<p>Text")),
        ("heading.html", &page("<h1>Title</h1><p>Text")),
        ("strong.html", &page("<p><strong>Text</strong>")),
        ("light.html", &page("<p class=light>Text")),
        ("terms.html", &page("<dl><dt>Term<dd>Text</dl>")),
        ("stronger.html", &page("<h1><strong>Title</strong></h1>")),
        ("token.html", &page("<p class=tok>Text")),
        (
            "nav.html",
            &page("<nav class=nav><a class=nav-link>Link</a></nav>"),
        ),
        (
            "site.css",
            "body{font-family:Sans}.light{font-weight:300}dd{font-weight:600}\
             .tok{font-weight:var(--tok-weight,var(--sys-weight))}:root{--sys-weight:600}\
             .nav{--nav-weight: ;}.nav-link{font-weight:var(--nav-weight)}\
             @font-face{font-family:Sans;font-weight:300;src:url(/300.woff2)}\
             @font-face{font-family:Sans;font-weight:400;src:url(/400.woff2)}\
             @font-face{font-family:Sans;font-weight:600;src:url(/600.woff2)}\
             @font-face{font-family:Sans;font-weight:700;src:url(/700.woff2)}\
             @font-face{font-family:Sans;font-weight:800;src:url(/800.woff2)}",
        ),
        // Materialize's headings and `<strong>`: rules for the bare elements replace browsers'
        // bold, and a later one overrides an earlier one.
        (
            "light-headings.html",
            "<!doctype html><link rel=stylesheet href=/site.css><link rel=stylesheet href=/m.css>\
             <h1>Title</h1><p><strong>Text</strong>",
        ),
        (
            "m.css",
            "h1,h2{font-weight:400}b,strong{font-weight:bolder}strong{font-weight:600}\
             @media (min-width:40em){h2{font-weight:800}}",
        ),
        ("300.woff2", "w"),
        ("400.woff2", "w"),
        ("600.woff2", "w"),
        ("700.woff2", "w"),
        ("800.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let links = early_links(&out);
    let fonts = |page: &str| font_urls(&links[page]);
    assert_eq!(fonts("/plain.html"), ["/400.woff2"]);
    assert_eq!(fonts("/light-headings.html"), ["/400.woff2", "/600.woff2"]);
    assert_eq!(fonts("/heading.html"), ["/400.woff2", "/700.woff2"]);
    assert_eq!(fonts("/strong.html"), ["/400.woff2", "/700.woff2"]);
    assert_eq!(fonts("/light.html"), ["/300.woff2", "/400.woff2"]);
    assert_eq!(fonts("/terms.html"), ["/400.woff2", "/600.woff2"]);
    // A `var()` in a `var()`'s fallback is followed too. Bootstrap's `.nav` sets its links'
    // weight property to nothing: they keep their parent's weight.
    assert_eq!(fonts("/token.html"), ["/400.woff2", "/600.woff2"]);
    assert_eq!(fonts("/nav.html"), ["/400.woff2"]);
    // Bolder than bold is 900, which the heaviest face serves.
    assert_eq!(
        fonts("/stronger.html"),
        ["/400.woff2", "/700.woff2", "/800.woff2"]
    );
    let why = explain(&site, "/plain.html");
    assert!(
        why.lines().any(|l| l.contains("/600.woff2")
            && l.contains("the page's text is set in font-weight")
            && l.contains("400, which other faces")),
        "{why}"
    );
}

/// A family that only rules for elements in a language name (`:lang(ja)`, `[lang=ja]`) sets only
/// their text: the Japanese link of a language menu asks for the Japanese slice, not for the
/// family's Latin subset, which the page's English text is set in another family for.
#[test]
fn a_family_for_elements_in_a_language_sets_only_their_text() {
    let page = |body: &str| {
        format!("<!doctype html><html lang=en><link rel=stylesheet href=/site.css><p>Text {body}")
    };
    let (dir, site) = temp_site(&[
        ("index.html", &page("<a lang=ja>日本語</a>")),
        ("latin.html", &page("<a lang=ja>Nihongo</a>")),
        ("none.html", &page("")),
        (
            "site.css",
            "body{font-family:Sans}:lang(ja){font-family:JP}\
             @font-face{font-family:Sans;src:url(/sans.woff2)}\
             @font-face{font-family:JP;unicode-range:U+0000-00FF;src:url(/jp-latin.woff2)}\
             @font-face{font-family:JP;unicode-range:U+3000-9FFF;src:url(/jp-cjk.woff2)}",
        ),
        ("sans.woff2", "w"),
        ("jp-latin.woff2", "w"),
        ("jp-cjk.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/"), ["/sans.woff2", "/jp-cjk.woff2"]);
    assert_eq!(fonts("/latin.html"), ["/sans.woff2", "/jp-latin.woff2"]);
    assert_eq!(fonts("/none.html"), ["/sans.woff2"]);
    let why = explain(&site, "/");
    assert!(
        explains(
            &why,
            "/jp-latin.woff2",
            "only rules for elements with lang=ja name its family"
        ),
        "{why}"
    );
}

/// A family that only rules for certain elements give sets only their text (and that of the
/// elements inside them): a subset of a heading family is hinted where a heading has characters
/// in its `unicode-range`, not for the Cyrillic of a language menu. A face without a
/// `unicode-range` of its own (an icon font, whose glyphs generated content may set) is hinted
/// wherever its elements are.
#[test]
fn a_subset_of_a_family_for_certain_elements_follows_their_text() {
    let page = |body: &str| {
        format!(
            "<!doctype html><link rel=stylesheet href=/site.css>{body}\
             <nav><a href=/ru>\u{0420}\u{0443}\u{0441}</a></nav>"
        )
    };
    let (dir, site) = temp_site(&[
        ("index.html", &page("<h1>Title</h1><i class=icon></i>")),
        (
            "ru.html",
            &page("<h1>\u{0422}\u{0435}\u{043a}\u{0441}\u{0442}</h1>"),
        ),
        (
            "site.css",
            "body{font-family:Sans}h1,h2{font-family:Head}.icon{font-family:Icons}\
             @font-face{font-family:Sans;src:url(/sans.woff2)}\
             @font-face{font-family:Head;unicode-range:U+0000-00FF;src:url(/serif-latin.woff2)}\
             @font-face{font-family:Head;unicode-range:U+0400-045F;src:url(/serif-cyr.woff2)}\
             @font-face{font-family:Icons;src:url(/icons.woff2)}",
        ),
        ("sans.woff2", "w"),
        ("serif-latin.woff2", "w"),
        ("serif-cyr.woff2", "w"),
        ("icons.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(
        fonts("/"),
        ["/sans.woff2", "/serif-latin.woff2", "/icons.woff2"]
    );
    assert_eq!(fonts("/ru.html"), ["/sans.woff2", "/serif-cyr.woff2"]);
    let why = explain(&site, "/");
    assert!(
        explains(
            &why,
            "/serif-cyr.woff2",
            "only rules for elements with <h1> or <h2> name its family, and none of the page's text in \
             such elements is in its unicode-range"
        ),
        "{why}"
    );
}

/// Browsers fetch every `@import` at once, whatever its media, and the stylesheet that imports it
/// waits for it: a print-only import is hinted (without its media, under which a preload would not
/// be fetched), but its faces are not, as its rules do not apply on screen.
#[test]
fn imports_are_hinted_whatever_their_media_and_print_faces_are_not() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=stylesheet href=/main.css><p>Text",
        ),
        (
            "main.css",
            "@import url(print.css) print;@import url(wide.css) screen and (min-width: 60em);\
             body{font-family:Body}",
        ),
        (
            "print.css",
            "@font-face{font-family:Body;src:url(/print.woff2)}",
        ),
        (
            "wide.css",
            "@font-face{font-family:Body;src:url(/wide.woff2)}",
        ),
        ("print.woff2", "w"),
        ("wide.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    assert_eq!(
        early_links(&out)["/"],
        [
            "</main.css>; rel=preload; as=style",
            "</print.css>; rel=preload; as=style",
            "</wide.css>; rel=preload; as=style",
            "</wide.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin",
        ]
    );
    let why = explain(&site, "/");
    assert!(
        explains(&why, "/print.woff2", "print-only @import"),
        "{why}"
    );
}

/// The same holds when the rules for those elements read the family from a custom property
/// (`:lang(ja) { font-family: var(--font-ja) }`, `code { font-family: var(--mono) }`): a property
/// read only there gives the family to nothing else.
#[test]
fn a_family_read_from_a_custom_property_for_some_elements_sets_only_their_text() {
    let page = |body: &str| {
        format!("<!doctype html><html lang=en><link rel=stylesheet href=/site.css><p>Text {body}")
    };
    let (dir, site) = temp_site(&[
        ("index.html", &page("<a lang=ja>日本語</a>")),
        ("code.html", &page("<code>x</code>")),
        (
            "read.html",
            &page("<span style='font-family:var(--mono)'>y</span>"),
        ),
        (
            "site.css",
            ":root{--sans:Sans;--ja:JP,var(--sans);--mono:Mono,monospace}\
             html{font-family:var(--sans)}:lang(ja){font-family:var(--ja)}\
             code{font-family:var(--mono)}\
             @font-face{font-family:Sans;src:url(/sans.woff2)}\
             @font-face{font-family:Mono;src:url(/mono.woff2)}\
             @font-face{font-family:JP;unicode-range:U+0000-00FF;src:url(/jp-latin.woff2)}\
             @font-face{font-family:JP;unicode-range:U+3000-9FFF;src:url(/jp-cjk.woff2)}",
        ),
        ("sans.woff2", "w"),
        ("mono.woff2", "w"),
        ("jp-latin.woff2", "w"),
        ("jp-cjk.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/"), ["/sans.woff2", "/jp-cjk.woff2"]);
    assert_eq!(fonts("/code.html"), ["/sans.woff2", "/mono.woff2"]);
    // An inline style reads the property on an element of its own.
    assert_eq!(fonts("/read.html"), ["/sans.woff2", "/mono.woff2"]);
}

/// A `font` shorthand that only `var()`s compute (rustdoc's `body { font: 1rem/1.5
/// var(--font-family) }`) sets text in italics only when a property it reads may hold `italic` or
/// `oblique`: a family list does not, so a page without italic text gets no italic face.
#[test]
fn a_font_shorthand_of_custom_properties_slants_only_if_they_may() {
    let page = |css: &str| {
        format!(
            "<!doctype html><link rel=stylesheet href=/{css}><link rel=stylesheet href=/faces.css><p>Text"
        )
    };
    let (dir, site) = temp_site(&[
        ("index.html", &page("list.css")),
        ("styled.html", &page("styled.css")),
        (
            "list.css",
            ":root{--family:Lora,serif;--f:var(--family)}body{font:1rem/1.5 var(--f)}",
        ),
        (
            "styled.css",
            ":root{--style:italic}body{font:var(--style) 1rem/1.5 Lora}",
        ),
        (
            "faces.css",
            "@font-face{font-family:Lora;src:url(/lora.woff2)}\
             @font-face{font-family:Lora;font-style:italic;src:url(/lora-italic.woff2)}",
        ),
        ("lora.woff2", "w"),
        ("lora-italic.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/"), ["/lora.woff2"]);
    assert_eq!(fonts("/styled.html"), ["/lora.woff2", "/lora-italic.woff2"]);
}

/// A preconnect opens a connection for requests that send credentials, or, with `crossorigin`, for
/// those that do not; a browser uses it only for such requests. Modules (from a script, an import
/// map or a module preload) are CORS requests without credentials unless they say
/// `crossorigin=use-credentials`, as are elements with `crossorigin`; classic scripts and
/// stylesheets without it send credentials.
#[test]
fn preconnects_match_the_credentials_of_the_requests() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><script type=importmap>{\"imports\":{\"lit\":\"https://esm.test/lit.js\"}}\
             </script><script type=module src=/app.js></script>\
             <script type=module src=https://cdn.test/m.js></script>\
             <script src=https://classic.test/c.js></script>\
             <link rel=stylesheet href=https://anon.test/s.css crossorigin>\
             <script type=module src=https://cred.test/m.js crossorigin=use-credentials></script>",
        ),
        ("app.js", "import 'lit';"),
    ]);
    let out = build_ok(dir.path(), &site);
    let preconnects: Vec<String> = early_links(&out)["/"]
        .iter()
        .filter(|l| l.contains("rel=preconnect"))
        .cloned()
        .collect();
    assert_eq!(
        preconnects,
        [
            "<https://anon.test>; rel=preconnect; crossorigin",
            "<https://cdn.test>; rel=preconnect; crossorigin",
            "<https://classic.test>; rel=preconnect",
            "<https://cred.test>; rel=preconnect",
            "<https://esm.test>; rel=preconnect; crossorigin",
        ]
    );
}

/// A stylesheet the page loads without blocking rendering and applies once loaded (loadCSS's
/// `media=print onload="this.media='all'"`, a `rel=preload as=style` whose `onload` makes it a
/// stylesheet) is not hinted as a stylesheet (the page's own preload still is), nor are its
/// imports; the faces its rules use are, as the browser fetches them as soon as it applies. A
/// print stylesheet without such an `onload` keeps its faces out.
#[test]
fn stylesheets_applied_by_onload_give_their_fonts() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=stylesheet href=/late.css media=print \
             onload=\"this.media='all'\"><link rel=preload as=style href=/pre.css \
             onload=\"this.onload=null;this.rel='stylesheet'\">\
             <link rel=stylesheet href=/print.css media=print><p>Text <em>so</em>",
        ),
        (
            "late.css",
            "@import url(more.css);@font-face{font-family:Late;src:url(/late.woff2)}\
             p{font-family:Late}",
        ),
        (
            "more.css",
            "@font-face{font-family:More;src:url(/more.woff2)}em{font-family:More}",
        ),
        (
            "pre.css",
            "@font-face{font-family:Pre;src:url(/pre.woff2)}body{font-family:Pre}",
        ),
        (
            "print.css",
            "@font-face{font-family:Print;src:url(/print.woff2)}body{font-family:Print}",
        ),
        ("late.woff2", "w"),
        ("more.woff2", "w"),
        ("pre.woff2", "w"),
        ("print.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    assert_eq!(
        early_links(&out)["/"],
        [
            "</pre.css>; rel=preload; as=style",
            "</late.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin",
            "</pre.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin",
            "</more.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin",
        ]
    );
    let why = explain(&site, "/");
    for sheet in ["/late.css", "/more.css"] {
        assert!(explains(&why, sheet, "without blocking rendering"), "{why}");
    }
    assert!(explains(&why, "/print.woff2", "not critical"), "{why}");

    // A missing file that such a preload names is one broken reference, not two.
    let (dir, site) = temp_site(&[(
        "index.html",
        "<link rel=preload as=style href=/gone.css onload=\"this.rel='stylesheet'\">",
    )]);
    let o = build(&site, &dir.path().join("out"), &[]);
    assert_eq!(
        stderr(&o).matches("error[missing-file]").count(),
        1,
        "{}",
        stderr(&o)
    );
}

/// A family that only rules for certain elements name (reveal.js's `.reveal { font-family: Lato }`)
/// sets the text inside them too: its weights are those of that text (`.reveal strong`, a
/// heading), not only the weight the rules give the elements themselves; an icon font's element
/// without text keeps its own weight.
#[test]
fn a_family_named_for_elements_serves_the_weights_of_the_text_inside_them() {
    let page = |body: &str| format!("<!doctype html><link rel=stylesheet href=/site.css>{body}");
    let (dir, site) = temp_site(&[
        (
            "deck.html",
            &page("<div class=reveal><p>Intro <strong>bold</strong></div><p>Footer"),
        ),
        (
            "plain.html",
            &page("<div class=reveal><p>Intro</div><h1>Title</h1>"),
        ),
        ("icons.html", &page("<h1>Title <i class=icon></i></h1>")),
        (
            "site.css",
            ".reveal{font-family:Lato;font-weight:400}             .icon{font-family:Icons;font-weight:900}.icon:before{content:'x'}             @font-face{font-family:Lato;font-weight:400;src:url(/400.woff2)}             @font-face{font-family:Lato;font-weight:700;src:url(/700.woff2)}             @font-face{font-family:Icons;font-weight:400;src:url(/i400.woff2)}             @font-face{font-family:Icons;font-weight:900;src:url(/i900.woff2)}",
        ),
        ("400.woff2", "w"),
        ("700.woff2", "w"),
        ("i400.woff2", "w"),
        ("i900.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/deck.html"), ["/400.woff2", "/700.woff2"]);
    // The heading is outside the deck.
    assert_eq!(fonts("/plain.html"), ["/400.woff2"]);
    assert_eq!(fonts("/icons.html"), ["/i900.woff2"]);
}

/// A family that a `font-family` reads from a custom property (`var(--display)`) is used where a
/// rule that reads it applies and a declaration of the property gives it, through chains of
/// properties; a property a script names may be read by styles the script makes. A rule for code
/// elements applies where the page has one.
#[test]
fn a_face_named_only_in_custom_properties_follows_the_var_that_reads_them() {
    let page = |body: &str| format!("<!doctype html><link rel=stylesheet href=/site.css><p>{body}");
    let (dir, site) = temp_site(&[
        ("index.html", &page("Plain text")),
        ("display.html", &page("<h1 class=font-display>Title</h1>")),
        ("fancy.html", &page("<main class=fancy>Text</main>")),
        ("script.html", &page("Text<script src=/theme.js></script>")),
        ("code.html", &page("Run <code>make</code>")),
        (
            "fallback.html",
            "<!doctype html><link rel=stylesheet href=/fallback.css><p>Text",
        ),
        (
            "fallback.css",
            "@font-face{font-family:First;src:url(/first.woff2)}\
             @font-face{font-family:Second;src:url(/second.woff2)}\
             p{font-family:var(--none, First), var(--none, Second)}",
        ),
        ("first.woff2", "w"),
        ("second.woff2", "w"),
        (
            "site.css",
            "@font-face{font-family:Mono;src:url(/mono.woff2)}\
             @font-face{font-family:Body;src:url(/body.woff2)}\
             @font-face{font-family:Display;src:url(/display.woff2)}\
             @font-face{font-family:Fancy;src:url(/fancy.woff2)}\
             @font-face{font-family:Brand;src:url(/brand.woff2)}\
             :root{--font-sans:Body,sans-serif;--font-display:\"Display\";--brand:Brand}\
             html{--default:var(--font-sans);font-family:var(--default,serif)}\
             .font-display{font-family:var(--font-display)}\
             .fancy{--font-sans:Fancy}\
             :root{--font-mono:Mono;--default-mono:var(--font-mono)}\
             code,kbd,samp,pre{font-family:var(--default-mono,monospace)}",
        ),
        (
            "theme.js",
            "document.body.style.fontFamily = 'var(--brand)'",
        ),
        ("body.woff2", "w"),
        ("display.woff2", "w"),
        ("fancy.woff2", "w"),
        ("brand.woff2", "w"),
        ("mono.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/"), ["/body.woff2"]);
    assert_eq!(fonts("/display.html"), ["/body.woff2", "/display.woff2"]);
    assert_eq!(fonts("/fancy.html"), ["/body.woff2", "/fancy.woff2"]);
    assert_eq!(fonts("/script.html"), ["/body.woff2", "/brand.woff2"]);
    // Code elements are asked for by name, as classes are.
    assert_eq!(fonts("/code.html"), ["/mono.woff2", "/body.woff2"]);
    // Each var()'s fallback counts, also when the same property was read before.
    assert_eq!(fonts("/fallback.html"), ["/first.woff2", "/second.woff2"]);
    let why = explain(&site, "/");
    assert!(
        explains(
            &why,
            "/display.woff2",
            "only the custom properties --font-display name its family"
        ),
        "{why}"
    );
}

/// A chain of custom properties longer than any theme writes is not followed to its end (a
/// hostile one must not exhaust the stack): its family may be any, so the face is kept.
#[test]
fn a_hostile_chain_of_custom_properties_keeps_the_face() {
    let n = 100_000;
    let chain: Vec<String> = (1..n)
        .map(|i| format!("--p{i}:var(--p{})", i - 1))
        .collect();
    let css = format!(
        "@font-face{{font-family:X;src:url(/x.woff2)}}:root{{--p0:X;{}}}body{{font-family:var(--p{})}}",
        chain.join(";"),
        n - 1
    );
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=stylesheet href=/c.css><p>x",
        ),
        ("c.css", &css),
        ("x.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    assert_eq!(font_urls(&early_links(&out)["/"]), ["/x.woff2"]);
}

/// Font Awesome 7 gives an icon its family and weight through custom properties that the icon's
/// own classes set (`.fa-solid { --fa-style: 900 }`), with fallbacks for when they do not: each
/// page gets the one face its icons use. A property that reads another holds what that one holds
/// (`--fa-style: var(--fa-regular-weight)`).
#[test]
fn faces_chosen_through_custom_properties_of_the_element() {
    let page = |icon: &str| {
        format!("<!doctype html><link rel=stylesheet href=/fa.css><p><i class=\"{icon}\"></i>Icon")
    };
    let (dir, site) = temp_site(&[
        ("index.html", &page("fa-solid fa-house")),
        ("regular.html", &page("fa-regular fa-bell")),
        ("brands.html", &page("fa-brands fa-github")),
        ("plain.html", &page("")),
        (
            "fa.css",
            ".fa-brands,.fa-regular,.fa-solid{\
             --_fa-family:var(--fa-family,var(--fa-style-family,\"Font Awesome 7 Free\"));\
             font-family:var(--_fa-family);font-weight:var(--fa-style,900)}\
             :root{--fa-family-brands:\"Font Awesome 7 Brands\"}\
             @font-face{font-family:\"Font Awesome 7 Free\";font-weight:900;src:url(/solid.woff2)}\
             @font-face{font-family:\"Font Awesome 7 Free\";font-weight:400;src:url(/regular.woff2)}\
             @font-face{font-family:\"Font Awesome 7 Brands\";font-weight:400;src:url(/brands.woff2)}\
             .fa-solid{--fa-style:900}.fa-regular{--fa-style:var(--fa-regular-weight)}\
             :root{--fa-regular-weight:var(--fa-normal)}:root{--fa-normal:400}\
             .fa-brands{--fa-family:var(--fa-family-brands);--fa-style:400}",
        ),
        ("solid.woff2", "w"),
        ("regular.woff2", "w"),
        ("brands.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/"), ["/solid.woff2"]);
    assert_eq!(fonts("/regular.html"), ["/regular.woff2"]);
    assert_eq!(fonts("/brands.html"), ["/brands.woff2"]);
    assert!(fonts("/plain.html").is_empty());
}

/// A `font` shorthand that reads custom properties sets the weight it says (`normal` when none)
/// unless a property it reads may hold one: Infima's `html { font: var(--ifm-font-size-base) /
/// var(--ifm-line-height-base) var(--ifm-font-family-base) }` no longer leaves every weight open.
#[test]
fn a_font_shorthand_through_custom_properties_keeps_its_weight() {
    let page = |rules: &str| {
        format!(
            "<!doctype html><style>\
             @font-face{{font-family:F;font-weight:300;src:url(/light.woff2)}}\
             @font-face{{font-family:F;font-weight:400;src:url(/regular.woff2)}}\
             :root{{--size:100%;--lh:1.5;--fam:F,sans-serif;--w:300}}{rules}</style><p>Text"
        )
    };
    let (dir, site) = temp_site(&[
        (
            "index.html",
            &page("html{font:var(--size)/var(--lh) var(--fam)}"),
        ),
        (
            "weight.html",
            &page("html{font:var(--w) var(--size) var(--fam)}"),
        ),
        (
            "chain.html",
            &page(":root{--x:var(--w)}html{font:var(--x) 1em var(--fam)}"),
        ),
        ("light.woff2", "l"),
        ("regular.woff2", "r"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    let fonts = |page: &str| fonts(page).join(" ");
    assert_eq!(fonts("/"), "/regular.woff2");
    // A property it reads holds a weight, directly or through another.
    assert_eq!(fonts("/weight.html"), "/light.woff2 /regular.woff2");
    assert_eq!(fonts("/chain.html"), "/light.woff2 /regular.woff2");
}

/// Chains of custom properties declared more than once are followed once per property: 24 links
/// of two declarations each are 2^24 paths, which followed one by one would never end.
#[test]
fn custom_property_chains_are_followed_once_per_property() {
    let n = 24;
    let mut css = String::from(
        "@font-face{font-family:F;src:url(/regular.woff2)}\
         @font-face{font-family:F;font-weight:700;src:url(/bold.woff2)}\
         .x{font-family:F;font-weight:var(--p0)}p{font:var(--q0) 1em sans-serif}",
    );
    for i in 0..n {
        let next = i + 1;
        css += &format!(
            ":root{{--p{i}:var(--p{next});--q{i}:var(--q{next})}}\
             .y{i}{{--p{i}:var(--p{next});--q{i}:var(--q{next})}}"
        );
    }
    css += &format!(":root{{--p{n}:700;--q{n}:1em}}");
    let classes: Vec<String> = (0..n).map(|i| format!("y{i}")).collect();
    let page = format!(
        "<!doctype html><link rel=stylesheet href=/s.css><p class=\"x {}\">Text",
        classes.join(" ")
    );
    let (dir, site) = temp_site(&[
        ("index.html", &page),
        ("s.css", &css),
        ("regular.woff2", "r"),
        ("bold.woff2", "b"),
    ]);
    let out = build_ok(dir.path(), &site);
    assert_eq!(font_urls(&early_links(&out)["/"]), ["/bold.woff2"]);
}

/// A module is always fetched in CORS mode, `anonymous` when its element has no `crossorigin`:
/// a `<link rel=modulepreload crossorigin>` matches a module imported by a script without one
/// (Storybook's `iframe.html` has both), and only `use-credentials` differs.
#[test]
fn modulepreload_crossorigin_matches_an_anonymous_module() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=modulepreload crossorigin href=/dep.js>\
             <link rel=modulepreload crossorigin=use-credentials href=/dep2.js>\
             <script type=module src=/m.js></script><p>x",
        ),
        ("m.js", "import './dep.js'; import './dep2.js'"),
        ("dep.js", "1"),
        ("dep2.js", "2"),
    ]);
    let out = dir.path().join("out");
    let o = build(&site, &out, &[]);
    let err = stderr(&o);
    let mismatches = lines_with(&err, "preload-mismatch");
    assert_eq!(mismatches.len(), 1, "{err}");
    assert!(
        mismatches[0].contains("/dep2.js") && mismatches[0].contains("use-credentials"),
        "{err}"
    );
}

/// Among scripts of one depth, a parser-blocking one comes first: the browser fetches it at high
/// priority and the page waits for it, while `defer`, `async` and module scripts run later. So
/// when the budget is short, they are the ones left out.
#[test]
fn parser_blocking_scripts_come_before_deferred_ones() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><script defer src=/d.js></script><script type=module src=/m.js></script>\
             <script src=/b.js></script><p>x",
        ),
        ("d.js", "1"),
        ("m.js", "2"),
        ("b.js", "3"),
        ("hintgen.toml", "[policy]\nmax-hints = 2\n"),
    ]);
    let out = dir.path().join("out");
    let toml = site.join("hintgen.toml");
    let o = build(&site, &out, &["--config", toml.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(
        early_links(&out)["/"],
        [
            "</b.js>; rel=preload; as=script",
            "</d.js>; rel=preload; as=script"
        ]
    );
    assert!(err.contains("dropped: /m.js"), "{err}");
}

/// A page that its scripts render has no text, so uses no font, before they run: when the
/// budget is short, its modules go before the faces of its stylesheet (a Streamlit app's KaTeX
/// faces had taken the 103 from its entry module and imports). A page with text of its own keeps
/// its fonts first.
#[test]
fn a_page_its_scripts_render_hints_its_modules_before_its_fonts() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=stylesheet href=/app.css>\
             <script type=module src=/app.js></script><div id=root></div>",
        ),
        (
            "text.html",
            "<!doctype html><link rel=stylesheet href=/app.css>\
             <script type=module src=/app.js></script><p>Text</p>",
        ),
        (
            "app.css",
            "@font-face{font-family:A;src:url(/a.woff2)}\
             @font-face{font-family:B;src:url(/b.woff2)}body{font-family:A,B}",
        ),
        ("app.js", "import './dep.js'; document.body.className = 'x'"),
        ("dep.js", "export const x = 1"),
        ("a.woff2", "a"),
        ("b.woff2", "b"),
        ("hintgen.toml", "[policy]\nmax-hints = 3\n"),
    ]);
    let out = dir.path().join("out");
    let toml = site.join("hintgen.toml");
    let o = build(&site, &out, &["--config", toml.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let links = early_links(&out);
    assert_eq!(
        links["/"],
        [
            "</app.css>; rel=preload; as=style",
            "</app.js>; rel=modulepreload",
            "</dep.js>; rel=modulepreload"
        ]
    );
    assert_eq!(
        links["/text.html"],
        [
            "</app.css>; rel=preload; as=style",
            "</a.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin",
            "</b.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin"
        ]
    );
}

/// An image with candidates is never pushed: the browser picks one by viewport and density, and a
/// push of the `src` would send a file it may not use. Its preload, which carries the candidates,
/// stays.
#[test]
fn images_with_candidates_are_not_pushed() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><img src=/one.png fetchpriority=high>\
             <img src=/small.png srcset=\"/small.png 400w, /big.png 800w\" sizes=100vw fetchpriority=high><p>x",
        ),
        ("one.png", "p"),
        ("small.png", "p"),
        ("big.png", "pp"),
    ]);
    let out = build_ok(dir.path(), &site);
    let push: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("push_manifest.json")).unwrap()).unwrap();
    let pushed: Vec<&String> = push["/"].as_object().unwrap().keys().collect();
    assert_eq!(pushed, ["/one.png"]);
    let links = early_links(&out);
    assert!(
        links["/"]
            .iter()
            .any(|l| l.starts_with("</small.png>") && l.contains("imagesrcset")),
        "{links:?}"
    );
}

/// A broken reference in a file that no page loads (a bundler's sources shipped beside its output)
/// breaks no page: it is a warning, and the build succeeds. The same reference in a file a page
/// loads, even lazily through another file, stays an error.
#[test]
fn broken_references_in_files_no_page_loads_are_warnings() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><script type=module src=/app.js></script><p>x",
        ),
        ("app.js", "import('./lazy.js')"),
        ("lazy.js", "import './lib.js'"),
        ("lib.js", "import './gone.js'"),
        ("src/main.js", "import './controllers/slides'"),
        ("src/style.css", "@import 'theme.css';"),
    ]);
    let out = dir.path().join("out");
    let o = build(&site, &out, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let line = |file: &str| {
        err.lines()
            .find(|l| l.contains(file) && l.contains("missing-file"))
            .unwrap_or_else(|| panic!("{file}: {err}"))
            .to_string()
    };
    assert!(line("lib.js").contains("error["), "{err}");
    for file in ["src/main.js", "src/style.css"] {
        let l = line(file);
        assert!(
            l.contains("warning[") && l.ends_with("(no page loads this file)"),
            "{l}"
        );
    }
    // Without the loaded broken file, the build is clean but for the warnings.
    std::fs::write(site.join("gone.js"), "1").unwrap();
    let o = build(&site, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // `check` and a build without the cache (the other pipeline) agree.
    let o = build(&site, &out, &["--no-cache"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o).matches("no page loads this file").count(), 2);
}

/// Where faces of one family, style and weight overlap, a browser takes each character from the
/// last one declared whose `unicode-range` holds it (Noto's math subset covers the basic Greek
/// letters, and comes after the Greek subset), so an earlier face is hinted only for a character
/// that the later ones leave. An italic face is hinted only for italic text: the text of an
/// `<em>` and its kin, or any text when a `font-style` slants some (of a rule that may apply to the
/// page's elements); or when its family has no upright face.
#[test]
fn faces_a_browser_would_not_use_are_not_hinted() {
    let page = |body: &str| {
        format!(
            "<!doctype html><link rel=stylesheet href=/faces.css><h1>T</h1><p><b>Text</b> {body}</p>"
        )
    };
    let alpha = page("\u{3b1}\u{3b2}");
    let beta = page("\u{3b1} <b>\u{3d0}</b>");
    let em = page("<em>so</em>");
    let slanted = format!("{}<link rel=stylesheet href=/slant.css>", page("q"));
    let mixed = page("\u{3b1}\u{3b2} <em>so</em>");
    // A rule that slants `<em>` says what browsers do anyway: still only its text is italic.
    let restated = format!("{mixed}<style>em,cite.x{{font-style:italic}}</style>");
    let classed = format!(
        "{}<link rel=stylesheet href=/gated.css>",
        page("<span class=fst-italic>q</span>")
    );
    let unclassed = format!("{}<link rel=stylesheet href=/gated.css>", page("q"));
    // Normalize.css slants `<dfn>` (and highlighters slant code comments, in code's own family).
    let unquoted = format!("{}<link rel=stylesheet href=/quote.css>", page("q"));
    let quoted = format!(
        "{}<link rel=stylesheet href=/quote.css>",
        page("<blockquote>q</blockquote>")
    );
    let code = format!(
        "{}<link rel=stylesheet href=/code.css>",
        page("<pre class=hl><span class=c1># q</span></pre><code>q</code>")
    );
    let (dir, site) = temp_site(&[
        ("unquoted.html", &unquoted),
        ("quoted.html", &quoted),
        ("quote.css", "dfn,blockquote{font-style:italic}"),
        ("code.html", &code),
        (
            "code.css",
            "pre,code{font-family:Mono,monospace}.hl .c1{font-style:italic}",
        ),
        ("mixed.html", &mixed),
        ("restated.html", &restated),
        ("classed.html", &classed),
        ("unclassed.html", &unclassed),
        ("gated.css", ".fst-italic{font-style:italic!important}"),
        ("alpha.html", &alpha),
        ("beta.html", &beta),
        ("em.html", &em),
        ("slanted.html", &slanted),
        (
            "faces.css",
            "body{font-family:Noto}h1{font-family:Script}\
             @font-face{font-family:Noto;src:url(/greek.woff2);unicode-range:U+0370-03FF}\
             @font-face{font-family:Noto;src:url(/math.woff2);unicode-range:U+0391-03A9,U+03B1-03C9,U+2200-22FF}\
             @font-face{font-family:Noto;src:url(/latin.woff2);unicode-range:U+0000-00FF}\
             @font-face{font-family:Noto;font-style:italic;src:url(/latin-italic.woff2);unicode-range:U+0000-00FF}\
             @font-face{font-family:Noto;font-weight:700;src:url(/greek-bold.woff2);unicode-range:U+0370-03FF}\
             @font-face{font-family:Script;font-style:italic;src:url(/script.woff2)}\
             @font-face{font-family:Noto;font-style:italic;src:url(/greek-italic.woff2);unicode-range:U+0370-03FF}",
        ),
        ("greek-italic.woff2", "w"),
        ("slant.css", "p,blockquote{font-style:oblique}"),
        ("greek.woff2", "w"),
        ("math.woff2", "w"),
        ("latin.woff2", "w"),
        ("latin-italic.woff2", "w"),
        ("greek-bold.woff2", "w"),
        ("script.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    // The bold Greek face serves bold text, and none of it is Greek. Of a face's subsets, the one
    // that sets more of the page's characters goes first.
    assert_eq!(
        fonts("/alpha.html"),
        ["/latin.woff2", "/math.woff2", "/script.woff2"]
    );
    assert_eq!(
        fonts("/beta.html"),
        [
            "/latin.woff2",
            "/greek.woff2",
            "/math.woff2",
            "/greek-bold.woff2",
            "/script.woff2"
        ]
    );
    // Greek outside the `<em>`, Latin inside: the italic Latin face only.
    for page in ["/mixed.html", "/restated.html"] {
        assert_eq!(
            fonts(page),
            [
                "/latin.woff2",
                "/math.woff2",
                "/latin-italic.woff2",
                "/script.woff2"
            ],
            "{page}"
        );
    }
    // A rule for elements with a class slants text only on a page with one.
    assert_eq!(fonts("/unclassed.html"), ["/latin.woff2", "/script.woff2"]);
    assert_eq!(fonts("/unquoted.html"), ["/latin.woff2", "/script.woff2"]);
    assert_eq!(fonts("/code.html"), ["/latin.woff2", "/script.woff2"]);
    for page in ["/em.html", "/slanted.html", "/classed.html", "/quoted.html"] {
        assert_eq!(
            fonts(page),
            ["/latin.woff2", "/latin-italic.woff2", "/script.woff2"],
            "{page}"
        );
    }
    let why = explain(&site, "/alpha.html");
    for (file, reason) in [
        (
            "/greek.woff2",
            "only ones that faces declared after it take",
        ),
        ("/latin-italic.woff2", "no text of the page is italic"),
        (
            "/greek-bold.woff2",
            "only the text of headings, <b>, <strong>, <th> and <optgroup> is set in a weight it \
             serves, and none of that text is in its unicode-range",
        ),
    ] {
        assert!(explains(&why, file, reason), "{file}: {why}");
    }
    // Fonts go in the 103 only, so explain lists each response's Link lines apart.
    let tail = why.split("In the 103:\n").nth(1).expect(&why);
    let (early, final_) = tail.split_once("  On the 200:\n").expect(&why);
    assert_eq!(early.matches("    Link: ").count(), 4, "{why}");
    assert_eq!(
        final_
            .lines()
            .filter(|l| l.starts_with("    Link: "))
            .collect::<Vec<_>>(),
        ["    Link: </faces.css>; rel=preload; as=style"]
    );
}

/// Styles may set the elements that browsers set in italics upright: Bootstrap's reboot and USWDS
/// write `address { font-style: normal }`, a theme `.logo { font-style: normal }` for an `<em
/// class=logo>`, Eric Meyer's reset `em { font: inherit }`. Where every such element with text is
/// set upright, the italic face is not hinted; a rule under a `media` condition (of its `<link>`
/// or of an `@import` on the way) does not count.
#[test]
fn italic_elements_set_upright_need_no_italic_face() {
    let page = |sheets: &str, body: &str| {
        format!("<!doctype html><link rel=stylesheet href=/faces.css>{sheets}<p>Text {body}</p>")
    };
    let reboot = "<link rel=stylesheet href=/reboot.css>";
    let (dir, site) = temp_site(&[
        ("address.html", &page(reboot, "<address>Street</address>")),
        ("logo.html", &page(reboot, "<em class='logo x'>Name</em>")),
        (
            "mixed.html",
            &page(reboot, "<em class=logo>Name</em> <em>so</em>"),
        ),
        (
            "wide.html",
            &page(
                "<link rel=stylesheet media='(min-width: 40em)' href=/reboot.css>",
                "<address>Street</address>",
            ),
        ),
        (
            "meyer.html",
            &page(
                "<link rel=stylesheet href=/meyer.css>",
                "<address><em>so</em> Street</address>",
            ),
        ),
        (
            "restored.html",
            &page(
                "<link rel=stylesheet href=/meyer.css><style>em{font-style:italic}</style>",
                "<em>so</em>",
            ),
        ),
        (
            "printed.html",
            &page(
                "<link rel=stylesheet media=print href=/print.css>\
                 <link rel=stylesheet href=/reboot.css>",
                "<address>Street</address>",
            ),
        ),
        (
            "imported.html",
            &page(
                "<link rel=stylesheet href=/wide.css>",
                "<address>Street</address>",
            ),
        ),
        ("print.css", "p{color:black}"),
        ("wide.css", "@import url(/reboot.css) (min-width: 40em);"),
        (
            "reboot.css",
            "address{font-style:normal}.logo{font-style:normal}",
        ),
        ("meyer.css", "p,em,address{font:inherit}"),
        (
            "faces.css",
            "body{font-family:Noto}\
             @font-face{font-family:Noto;src:url(/latin.woff2)}\
             @font-face{font-family:Noto;font-style:italic;src:url(/latin-italic.woff2)}",
        ),
        ("latin.woff2", "w"),
        ("latin-italic.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    for (page, italic) in [
        ("/address.html", false),
        ("/logo.html", false),
        ("/meyer.html", false),
        ("/printed.html", false),
        ("/mixed.html", true),
        ("/wide.html", true),
        ("/imported.html", true),
        ("/restored.html", true),
    ] {
        let want: &[&str] = if italic {
            &["/latin.woff2", "/latin-italic.woff2"]
        } else {
            &["/latin.woff2"]
        };
        assert_eq!(fonts(page), want, "{page}");
    }
    let why = explain(&site, "/address.html");
    assert!(
        explains(&why, "/latin-italic.woff2", "font-style: normal"),
        "{why}"
    );
}

/// A page's own `<link rel=preload as=image imagesrcset>` for a `<picture>`'s source names the
/// same candidates with another URL (its `href`): browsers fetch the one they pick once, so the
/// page gets one hint, with the source's `type` and the `<img>`'s `fetchpriority`.
#[test]
fn a_preloaded_image_set_is_one_hint() {
    let set = "/a-400.webp 400w, /a-800.webp 800w";
    let (dir, site) = temp_site(&[
        (
            "index.html",
            &format!(
                "<!doctype html><link rel=preload as=image href=/a-800.webp \
                 imagesrcset='{set}' imagesizes=100vw><picture><source type=image/webp \
                 srcset='/a-400.webp 400w,\n  /a-800.webp 800w' sizes=100vw>\
                 <img src=/a.jpg fetchpriority=high></picture>"
            ),
        ),
        ("a-400.webp", "w"),
        ("a-800.webp", "w"),
        ("a.jpg", "j"),
    ]);
    let out = build_ok(dir.path(), &site);
    assert_eq!(
        early_links(&out)["/"],
        [format!(
            "</a-800.webp>; rel=preload; as=image; type=\"image/webp\"; imagesrcset=\"{set}\"; \
             imagesizes=100vw; fetchpriority=high"
        )]
    );
    let why = explain(&site, "/");
    assert!(
        explains(&why, "/a-400.webp", "the same image candidates"),
        "{why}"
    );
}

/// A family rule that names elements asks for them, as a weight or style rule does: Read the
/// Docs' `h1, …, h6, legend { font-family: Roboto Slab }` sets headings (bold) on a page without a
/// `<legend>`, so its regular face is not hinted there.
#[test]
fn a_family_rule_for_named_elements_asks_for_them() {
    let page = |body: &str| {
        format!("<!doctype html><link rel=stylesheet href=/site.css><h1>Title</h1><p>Text{body}")
    };
    let (dir, site) = temp_site(&[
        ("index.html", &page("")),
        (
            "form.html",
            &page("<form><fieldset><legend>Who</legend></fieldset></form>"),
        ),
        (
            "site.css",
            "body{font-family:Sans}h1,h2,legend{font-family:Slab}\
             @font-face{font-family:Sans;src:url(/sans.woff2)}\
             @font-face{font-family:Slab;font-weight:400;src:url(/slab.woff2)}\
             @font-face{font-family:Slab;font-weight:700;src:url(/slab-bold.woff2)}",
        ),
        ("sans.woff2", "w"),
        ("slab.woff2", "w"),
        ("slab-bold.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/"), ["/sans.woff2", "/slab-bold.woff2"]);
    assert_eq!(
        fonts("/form.html"),
        ["/sans.woff2", "/slab.woff2", "/slab-bold.woff2"]
    );
}

/// A rule for generated content (`.nav-link::after { font-family: Icons; font-weight: 900 }`)
/// sets its icon in the family, not the element's text: the weights of the link's text do not
/// pick the family's other faces. A rule for the element itself still does.
#[test]
fn a_family_for_generated_content_takes_its_own_weight() {
    let page = |body: &str| {
        format!(
            "<!doctype html><link rel=stylesheet href=/site.css><p>Text <a class=nav-link><span class=t>Home</span></a>{body}"
        )
    };
    let (dir, site) = temp_site(&[
        ("index.html", &page("")),
        ("text.html", &page("<span class=label>Label</span>")),
        (
            "site.css",
            "body{font-family:Sans}\
             .nav-link::after{font-family:Icons;font-weight:900;content:'x'}\
             .label{font-family:Icons}.t{font-weight:400}\
             @font-face{font-family:Sans;src:url(/sans.woff2)}\
             @font-face{font-family:Icons;font-weight:400;src:url(/icons-400.woff2)}\
             @font-face{font-family:Icons;font-weight:900;src:url(/icons-900.woff2)}",
        ),
        // Another family for the link itself still counts the weights of its text.
        (
            "brand.html",
            "<!doctype html><link rel=stylesheet href=/brand.css>\
             <p>Text <a class=nav-link><span class=t>Home</span></a>",
        ),
        (
            "brand.css",
            ".nav-link::after{font-family:Icons;font-weight:900;content:'x'}\
             .nav-link{font-family:Brand;font-weight:900}.t{font-weight:400}\
             @font-face{font-family:Icons;font-weight:900;src:url(/icons-900.woff2)}\
             @font-face{font-family:Brand;font-weight:400;src:url(/brand-400.woff2)}\
             @font-face{font-family:Brand;font-weight:900;src:url(/brand-900.woff2)}",
        ),
        ("sans.woff2", "w"),
        ("icons-400.woff2", "w"),
        ("icons-900.woff2", "w"),
        ("brand-400.woff2", "w"),
        ("brand-900.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/"), ["/sans.woff2", "/icons-900.woff2"]);
    assert_eq!(
        fonts("/text.html"),
        ["/sans.woff2", "/icons-400.woff2", "/icons-900.woff2"]
    );
    assert_eq!(
        fonts("/brand.html"),
        ["/icons-900.woff2", "/brand-400.woff2", "/brand-900.woff2"]
    );
}

/// A face outside ASCII counts where the weights of the elements around its characters pick it;
/// the page's code, which browsers set in `monospace` and no rule sets in the family, does not
/// keep it: Cyrillic in a paragraph and in `<code>` asks for the regular Cyrillic face, not the
/// bold one that a rule for other text (`.lead`) would pick.
#[test]
fn code_in_another_family_leaves_the_weights_of_text_outside_ascii() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=stylesheet href=/site.css><p class=lead>Title</p>\
             <p>Text \u{0416}</p><code>\u{0416}</code>",
        ),
        (
            "site.css",
            "body{font-family:Sans}.lead{font-weight:700}\
             @font-face{font-family:Sans;src:url(/latin.woff2);unicode-range:U+0000-00FF}\
             @font-face{font-family:Sans;font-weight:700;src:url(/latin-bold.woff2);unicode-range:U+0000-00FF}\
             @font-face{font-family:Sans;src:url(/cyr.woff2);unicode-range:U+0400-045F}\
             @font-face{font-family:Sans;font-weight:700;src:url(/cyr-bold.woff2);unicode-range:U+0400-045F}",
        ),
        ("latin.woff2", "w"),
        ("latin-bold.woff2", "w"),
        ("cyr.woff2", "w"),
        ("cyr-bold.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    assert_eq!(
        font_urls(&early_links(&out)["/"]),
        ["/latin.woff2", "/cyr.woff2", "/latin-bold.woff2"]
    );
}

/// A lazy `import()` of a missing file fails only when it runs: a warning, so that a runtime
/// that imports optional modules only some builds ship (Observable Framework's stdlib) does not
/// fail the build; a missing static import stays an error.
#[test]
fn a_missing_lazy_import_is_a_warning() {
    let page = |src: &str| format!("<!doctype html><script type=module src={src}></script>");
    let (dir, site) = temp_site(&[
        ("index.html", &page("/lazy.js")),
        ("lazy.js", "const sql = () => import('./stdlib/duckdb.js');"),
    ]);
    let out = dir.path().join("out");
    let o = build(&site, &out, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(lines_with(&err, "warning[missing-file]").len(), 1, "{err}");
    assert!(err.contains("the import fails when it runs"), "{err}");
    let (dir, site) = temp_site(&[
        ("index.html", &page("/static.js")),
        ("static.js", "import './stdlib/duckdb.js';"),
    ]);
    let o = build(&site, &dir.path().join("out"), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(lines_with(&stderr(&o), "error[missing-file]").len(), 1);
}

/// An italic face serves italic text of its weights: a page whose italic words are in paragraphs
/// (400) gets the regular italic, not the bold italic that only its headings' weight (700) would
/// pick; a page with an `<em>` in a heading, or a rule that slants bold text, gets both. Text in
/// code counts as unknown when the family may set it.
#[test]
fn italic_faces_follow_the_weights_of_italic_text() {
    let page = |body: &str| {
        format!("<!doctype html><link rel=stylesheet href=/faces.css><h1>Title</h1><p>{body}</p>")
    };
    let (dir, site) = temp_site(&[
        ("para.html", &page("Text <em>so</em>")),
        (
            "heading.html",
            &format!("{}<h2>A <em>b</em></h2>", page("Text")),
        ),
        (
            "rule.html",
            &page("Text <span class=note>n</span> <em>so</em>"),
        ),
        ("code.html", &page("Text <em>so</em> <code>x</code>")),
        (
            "faces.css",
            "body,code{font-family:Noto}.note{font-weight:700;font-style:italic}\
             @font-face{font-family:Noto;src:url(/r.woff2)}\
             @font-face{font-family:Noto;font-weight:700;src:url(/b.woff2)}\
             @font-face{font-family:Noto;font-style:italic;src:url(/i.woff2)}\
             @font-face{font-family:Noto;font-style:italic;font-weight:700;src:url(/bi.woff2)}",
        ),
        ("r.woff2", "w"),
        ("b.woff2", "w"),
        ("i.woff2", "w"),
        ("bi.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    let all = ["/r.woff2", "/b.woff2", "/i.woff2", "/bi.woff2"];
    assert_eq!(fonts("/para.html"), all[..3]);
    for page in ["/heading.html", "/rule.html", "/code.html"] {
        assert_eq!(fonts(page), all, "{page}");
    }
    let why = explain(&site, "/para.html");
    assert!(
        explains(
            &why,
            "/bi.woff2",
            "text that may be italic is set in font-weight 400"
        ),
        "{why}"
    );
}

/// A rule for the root in a language (Starlight's `:root[lang=ja] { --sl-font: "Noto Sans JP" }`)
/// applies to the pages whose `<html lang>` is that language: an English page whose language menu
/// says 日本語 does not get the Japanese face; a page its scripts render may be given any
/// language they name.
#[test]
fn rules_for_a_language_apply_to_its_pages() {
    let page = |lang: &str, body: &str| {
        format!("<!doctype html><html lang={lang}><link rel=stylesheet href=/site.css><p>{body}")
    };
    let (dir, site) = temp_site(&[
        ("en.html", &page("en", "Text <a lang=ja>日本語</a>")),
        ("ja.html", &page("ja-JP", "日本語のテキスト")),
        (
            "app.html",
            &page("en", "</p><div id=app></div><script src=/app.js></script>"),
        ),
        ("app.js", "const langs = ['en', 'ja'];"),
        (
            "site.css",
            ":root[lang|=ja]{--font:JP}body{font-family:var(--font,serif)}\
             @font-face{font-family:JP;src:url(/jp.woff2);unicode-range:U+3000-9FFF}\
             @font-face{font-family:JP;src:url(/jp-latin.woff2);unicode-range:U+0000-00FF}",
        ),
        ("jp.woff2", "w"),
        ("jp-latin.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/en.html"), Vec::<&str>::new());
    assert_eq!(fonts("/ja.html"), ["/jp.woff2"]);
    assert_eq!(fonts("/app.html"), ["/jp-latin.woff2"]);
    let why = explain(&site, "/en.html");
    assert!(
        explains(
            &why,
            "/jp.woff2",
            "in rules for elements the page does not have"
        ),
        "{why}"
    );
}

/// A browser uses a preload for an element with `integrity` only when the preload carries the same
/// (else it downloads the file again, as Chromium 156 does): hints repeat the consumer's value as
/// written, whatever its algorithm, and a page's own preload without it is a mismatch.
#[test]
fn hints_repeat_the_consumers_integrity() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=stylesheet href=/s.css integrity=' sha384-css ' crossorigin>\
             <link rel=preload as=script href=/a.js>\
             <script defer src=/a.js integrity=sha256-js></script>\
             <script type=module src=/m.js integrity=sha512-mod></script><p>x",
        ),
        ("s.css", "p{}"),
        ("a.js", "1"),
        ("m.js", "import './d.js'"),
        ("d.js", "2"),
    ]);
    let out = dir.path().join("out");
    let o = build(&site, &out, &[]);
    let err = stderr(&o);
    assert_eq!(
        early_links(&out)["/"],
        [
            // A token is written bare; real digests (`+`, `/`, `=`) are quoted.
            "</s.css>; rel=preload; as=style; crossorigin; integrity=sha384-css",
            "</a.js>; rel=preload; as=script; integrity=sha256-js",
            "</m.js>; rel=modulepreload; integrity=sha512-mod",
            "</d.js>; rel=modulepreload",
        ]
    );
    assert!(
        err.lines().any(|l| l.contains("preload-mismatch")
            && l.contains("/a.js")
            && l.contains("integrity is absent")),
        "{err}"
    );
}

/// A `<picture>`'s only source is hinted as its `<img fetchpriority=high>` asks, with the source's
/// `type` (trimmed, as a browser reads it) and candidates; with two sources the browser picks, and
/// nothing is hinted.
#[test]
fn a_pictures_only_source_is_hinted_with_its_type() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><picture><source srcset='/a.webp 1x, /a2.webp 2x' type=' image/webp '>\
             <img src=/a.png fetchpriority=high crossorigin></picture>\
             <picture><source srcset=/b.avif type=image/avif><source srcset=/b.webp type=image/webp>\
             <img src=/b.png fetchpriority=high></picture><p>x",
        ),
        ("a.webp", "i"),
        ("a2.webp", "i"),
        ("a.png", "i"),
        ("b.avif", "i"),
        ("b.webp", "i"),
        ("b.png", "i"),
    ]);
    let out = build_ok(dir.path(), &site);
    assert_eq!(
        early_links(&out)["/"],
        [
            "</a.webp>; rel=preload; as=image; type=\"image/webp\"; crossorigin; \
          imagesrcset=\"/a.webp 1x, /a2.webp 2x\"; fetchpriority=high"
        ]
    );
}

/// An author's `<link rel=preload>` is hinted, with its own `fetchpriority`, even when the element
/// that uses the file would not be on its own (an `<img>` without `fetchpriority=high`, as
/// Docusaurus writes for its logo; an `async` script, as Next.js writes for its chunks).
#[test]
fn explicit_preload_stands_when_its_consumer_is_not_hinted() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=preload as=image href=/a.png><img src=/a.png><img src=/b.png>\
             <link rel=preload as=script fetchpriority=low href=/s.js><script async src=/s.js></script>",
        ),
        ("a.png", "a"),
        ("b.png", "b"),
        ("s.js", "s"),
    ]);
    let out = build_ok(dir.path(), &site);
    // Next.js preloads its `async` chunks with `fetchpriority=low`: the hint keeps it low.
    assert_eq!(
        early_links(&out)["/"],
        vec![
            "</s.js>; rel=preload; as=script; fetchpriority=low".to_string(),
            "</a.png>; rel=preload; as=image".to_string()
        ]
    );
    let text = explain(&site, "/");
    assert!(
        text.contains(
            "/a.png  <img>  1 B  — hinted (preload, as the page's own <link rel=preload> asks)"
        ),
        "{text}"
    );
}

/// A page's own font preloads follow the faces its text uses (frameworks preload every file of
/// every face, `woff` fallbacks included): the page still fetches them, but the 103 carries only
/// what renders.
#[test]
fn font_preloads_follow_the_faces_the_text_uses() {
    let face = |file: &str, range: &str| {
        format!(
            "@font-face{{font-family:F;src:url(/{file}.woff2) format(\"woff2\"),\
             url(/{file}.woff) format(\"woff\");unicode-range:{range}}}"
        )
    };
    // A face of a family that no style names looks unused, but a script may add the style that
    // uses it: the author's preload of it stands.
    let page = format!(
        "<!doctype html><style>{}{}@font-face{{font-family:G;src:url(/g.woff2)}}\
         body{{font-family:F}}</style>\
         <link rel=preload as=font crossorigin href=/cyr.woff2>\
         <link rel=preload as=font crossorigin href=/cyr.woff>\
         <link rel=preload as=font crossorigin href=/lat.woff2>\
         <link rel=preload as=font crossorigin href=/lat.woff>\
         <link rel=preload as=font crossorigin href=/g.woff2><p>Latin text only",
        face("cyr", "U+0400-045F"),
        face("lat", "U+0000-00FF")
    );
    let (dir, site) = temp_site(&[
        ("index.html", &page),
        ("cyr.woff2", "c2"),
        ("cyr.woff", "c1"),
        ("lat.woff2", "l2"),
        ("lat.woff", "l1"),
        ("g.woff2", "g"),
    ]);
    let out = build_ok(dir.path(), &site);
    assert_eq!(
        early_links(&out)["/"],
        vec![
            "</lat.woff2>; rel=preload; as=font; type=\"font/woff2\"; crossorigin".to_string(),
            "</g.woff2>; rel=preload; as=font; crossorigin".to_string()
        ]
    );
    // The preloads that only cost bandwidth are reported once for the page.
    let o = build(&site, &dir.path().join("out2"), &[]);
    let warned = lines_with(&stderr(&o), "unused-preload").join("\n");
    assert!(
        warned.contains("index.html:1:")
            && warned.contains(
                "the page preloads 3 font file(s) it does not render with (/cyr.woff2, /cyr.woff, \
                 /lat.woff)"
            ),
        "{warned}"
    );
    let text = explain(&site, "/");
    assert!(
        text.contains(
            "/lat.woff  <link rel=preload>  2 B  — not hinted: the page preloads it, but an \
             @font-face in index.html lists a source before it that browsers read"
        ),
        "{text}"
    );
    assert!(
        text.contains("/cyr.woff2  @font-face  2 B  — not hinted: @font-face \"F\""),
        "{text}"
    );
}

/// A browser takes each character from the first family of the list whose faces' unicode-range
/// holds it: a fallback family's faces set only what the families before it leave, so a Chinese
/// page's Latin letters take Inter's Latin subset, never Noto Sans SC's.
#[test]
fn a_fallback_family_sets_what_the_families_before_it_leave() {
    let face = |family: &str, file: &str, weight: u16, range: &str| {
        format!(
            "@font-face{{font-family:\"{family}\";font-weight:{weight};src:url(/{file}.woff2);\
             unicode-range:{range}}}"
        )
    };
    let faces = [
        face("Inter", "inter-latin", 400, "U+0000-00FF"),
        face("Inter", "inter-latin-700", 700, "U+0000-00FF"),
        face("Noto Sans SC", "sc-latin", 400, "U+0000-00FF,U+2000-206F"),
        face("Noto Sans SC", "sc-cjk", 400, "U+4E00-9FFF"),
    ]
    .concat();
    let sheet = |rules: &str| {
        format!(
            "{faces}:root{{--base:Inter,\"Noto Sans SC\",sans-serif}}\
             body{{font-family:var(--base)}}{rules}"
        )
    };
    let page =
        |text: &str| format!("<!doctype html><link rel=stylesheet href=/s.css><p>{text}</p>");
    let files = |rules: &str| {
        vec![
            ("s.css".to_string(), sheet(rules)),
            ("index.html".to_string(), page("Docusaurus 文档")),
            ("dash.html".to_string(), page("Docs \u{2014} 文档")),
            ("inter-latin.woff2".to_string(), "i".to_string()),
            ("inter-latin-700.woff2".to_string(), "j".to_string()),
            ("sc-latin.woff2".to_string(), "l".to_string()),
            ("sc-cjk.woff2".to_string(), "c".to_string()),
        ]
    };
    let fonts = |rules: &str| {
        let files = files(rules);
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let (dir, site) = temp_site(&refs);
        let out = build_ok(dir.path(), &site);
        let links = early_links(&out);
        let names = |page: &str| -> Vec<String> {
            links[page]
                .iter()
                .filter_map(|l| {
                    l.strip_prefix("</")?
                        .split_once(".woff2>")
                        .map(|(f, _)| f.to_string())
                })
                .collect()
        };
        (names("/"), names("/dash.html"), dir, site)
    };
    // The Latin letters take Inter; the CJK slice sets the Chinese text; an em dash, outside
    // Inter's range, takes Noto Sans SC's Latin subset (after the slice, which sets more).
    let (index, dash, _dir, site) = fonts("");
    assert_eq!(index, ["inter-latin", "sc-cjk"]);
    assert_eq!(dash, ["inter-latin", "sc-cjk", "sc-latin"]);
    assert!(
        explain(&site, "/").contains(
            "/sc-latin.woff2  @font-face  1 B  — not hinted: @font-face \"Noto Sans SC\": every \
             character of the page in its unicode-range is in the unicode-range of a face of \
             \"inter\", which each list that names its family puts before it"
        ),
        "{}",
        explain(&site, "/")
    );
    // A list that names Noto Sans SC first gives it the Latin letters of the text it applies to.
    let (index, _, _dir, _) = fonts("p{font-family:\"Noto Sans SC\",Inter}");
    assert_eq!(index, ["inter-latin", "sc-latin", "sc-cjk"]);
    // So does a list where only a var() comes before it, which may mean any family.
    let (index, _, _dir, _) = fonts("p{font-family:var(--x),\"Noto Sans SC\"}");
    assert_eq!(index, ["inter-latin", "sc-latin", "sc-cjk"]);
    // A style of Inter whose faces do not hold a character takes none of them for certain.
    let (index, _, _dir, _) = fonts(&face("Inter", "inter-latin-700", 700, "U+0000-007F"));
    assert_eq!(index, ["inter-latin", "sc-latin", "sc-cjk"]);
}

/// Browsers set `<pre>` and `<code>` in `monospace`, and form controls in a font of their own: a
/// character that only code (or a control) has asks for a face of the page's family only where a
/// rule for those elements, or for elements inside them, may give them that family.
#[test]
fn code_text_counts_where_rules_give_code_the_family() {
    let page = |css: &str, code: &str| {
        format!(
            "<!doctype html><style>\
             @font-face{{font-family:F;src:url(/latin.woff2) format(\"woff2\");unicode-range:U+0-FF}}\
             @font-face{{font-family:F;src:url(/arrows.woff2) format(\"woff2\");unicode-range:U+2190-21FF}}\
             body{{font-family:F}}{css}</style><p>Plain text</p><pre>{code}</pre>"
        )
    };
    // Form controls likewise get a font of their own.
    let control =
        |css: &str| page(css, "code").replace("<pre>code</pre>", "<button>Next \u{2192}</button>");
    let (dir, site) = temp_site(&[
        ("index.html", &page("", "a \u{2192} b")),
        (
            "inherit.html",
            &page("pre{font-family:inherit}", "a \u{2192} b"),
        ),
        (
            "token.html",
            &page(".tok{font-family:F}", "a <span class=tok>\u{2192}</span> b"),
        ),
        (
            "other.html",
            &page(".tok{font-family:F}", "a <span class=op>\u{2192}</span> b"),
        ),
        ("button.html", &control("")),
        ("reset.html", &control("button,input{font:inherit}")),
        ("latin.woff2", "l"),
        ("arrows.woff2", "a"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    let fonts = |page: &str| fonts(page).join(" ");
    assert_eq!(fonts("/"), "/latin.woff2");
    assert_eq!(fonts("/button.html"), "/latin.woff2");
    assert_eq!(fonts("/reset.html"), "/latin.woff2 /arrows.woff2");
    assert_eq!(fonts("/inherit.html"), "/latin.woff2 /arrows.woff2");
    assert_eq!(fonts("/token.html"), "/latin.woff2 /arrows.woff2");
    assert_eq!(fonts("/other.html"), "/latin.woff2");
    let text = explain(&site, "/");
    assert!(
        text.contains(
            "occurs in the page outside <pre>, <code> and form controls (browsers give those a \
             font of their own"
        ),
        "{text}"
    );
}

/// A custom property declared for the root in the page's language overrides its declaration
/// for the plain root (the selector is more specific), and the overriding list decides which
/// family is a fallback: Starlight's Arabic pages take Latin letters from Noto Sans Arabic.
#[test]
fn a_root_declaration_in_the_page_language_overrides_the_plain_root() {
    let sheet = |ar_rule: &str| {
        format!(
            "@font-face{{font-family:Plex;src:url(/plex-latin.woff2);unicode-range:U+0-FF}}\
             @font-face{{font-family:Arabic;src:url(/ar-arabic.woff2);unicode-range:U+600-6FF}}\
             @font-face{{font-family:Arabic;src:url(/ar-latin.woff2);unicode-range:U+0-FF}}\
             :root{{--sl-font:\"Plex\",system-ui}}{ar_rule}\
             body{{font-family:var(--sl-font)}}"
        )
    };
    let rule = ":root[lang=ar]{--sl-font:\"Arabic\",\"Plex\",sans-serif}";
    let page = |lang: &str, sheet: &str| {
        format!(
            "<!doctype html><html lang={lang}><link rel=stylesheet href=/{sheet}>\
             <p>Starlight \u{0645}\u{0631}\u{062d}\u{0628}\u{0627}</p>"
        )
    };
    let (dir, site) = temp_site(&[
        ("s.css", &sheet(rule)),
        (
            "m.css",
            &sheet(&format!("@media (min-width:1px){{{rule}}}")),
        ),
        ("index.html", &page("en", "s.css")),
        ("ar.html", &page("ar", "s.css")),
        ("media.html", &page("ar", "m.css")),
        ("plex-latin.woff2", "p"),
        ("ar-arabic.woff2", "a"),
        ("ar-latin.woff2", "l"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    let fonts = |page: &str| fonts(page).join(" ");
    assert_eq!(fonts("/"), "/plex-latin.woff2");
    assert_eq!(fonts("/ar.html"), "/ar-latin.woff2 /ar-arabic.woff2");
    // Under `@media`, the rule may not apply: the plain root's list names Plex first.
    assert_eq!(
        fonts("/media.html"),
        "/plex-latin.woff2 /ar-latin.woff2 /ar-arabic.woff2"
    );
}

/// Characters outside ASCII count for the faces in the weights and style of the elements around
/// them: the Cyrillic of a language menu link asks for the regular face only, though the page has
/// bold and italic text elsewhere.
#[test]
fn text_outside_ascii_asks_for_the_weights_of_its_elements() {
    let face = |file: &str, weight: u16, style: &str, range: &str| {
        format!(
            "@font-face{{font-family:F;font-weight:{weight};font-style:{style};\
             src:url(/{file}.woff2);unicode-range:{range}}}"
        )
    };
    let faces = [
        face("lat", 400, "normal", "U+0-FF"),
        face("lat-b", 700, "normal", "U+0-FF"),
        face("lat-i", 400, "italic", "U+0-FF"),
        face("cyr", 400, "normal", "U+400-45F"),
        face("cyr-b", 700, "normal", "U+400-45F"),
        face("cyr-i", 400, "italic", "U+400-45F"),
    ]
    .concat();
    let page = |body: &str| {
        format!(
            "<!doctype html><style>{faces}body{{font-family:F}}.brand{{font-weight:700}}\
             blockquote{{font-style:italic}}</style><header><a class=brand>Brand</a>\
             <nav><a href=/ru>{body}</a></nav></header><h1>Title</h1><blockquote>Quote</blockquote>"
        )
    };
    let mut files = vec![
        ("index.html", page("\u{0420}\u{0443}")),
        ("strong.html", page("<strong>\u{0420}\u{0443}</strong>")),
        (
            "brand.html",
            page("<span class=brand>\u{0420}\u{0443}</span>"),
        ),
        (
            "quote.html",
            page("<blockquote>\u{0420}\u{0443}</blockquote>"),
        ),
        (
            "script.html",
            page("\u{0420}") + "<script src=/s.js></script>",
        ),
        (
            "element.html",
            page("\u{0420}") + "<script src=/e.js></script>",
        ),
    ];
    files.push(("s.js", "el.classList.add('brand')".to_string()));
    files.push((
        "e.js",
        "el.innerHTML = '<strong>' + t + '</strong>'".to_string(),
    ));
    let names = ["lat", "lat-b", "lat-i", "cyr", "cyr-b", "cyr-i"];
    let fonts: Vec<(String, String)> = names
        .iter()
        .map(|n| (format!("{n}.woff2"), n.to_string()))
        .collect();
    let mut all: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    all.extend(fonts.iter().map(|(p, t)| (p.as_str(), t.as_str())));
    let (dir, site) = temp_site(&all);
    let out = build_ok(dir.path(), &site);
    let links = early_links(&out);
    let cyrillic = |page: &str| -> String {
        font_urls(&links[page])
            .into_iter()
            .filter(|u| u.starts_with("/cyr"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(cyrillic("/"), "/cyr.woff2");
    // `<strong>` is bolder; a rule for a class the link's span has sets 700.
    assert_eq!(cyrillic("/strong.html"), "/cyr.woff2 /cyr-b.woff2");
    assert_eq!(cyrillic("/brand.html"), "/cyr.woff2 /cyr-b.woff2");
    assert_eq!(cyrillic("/quote.html"), "/cyr.woff2 /cyr-i.woff2");
    // A script that names a class may give it to any element.
    assert_eq!(cyrillic("/script.html"), "/cyr.woff2 /cyr-b.woff2");
    // But the elements around the page's own text are the page's: a script that writes
    // `<strong>` writes text of its own.
    assert_eq!(cyrillic("/element.html"), "/cyr.woff2");
    // A family with italic faces only sets upright text in them too.
    let (dir2, site2) = temp_site(&[
        (
            "index.html",
            "<!doctype html><style>\
             @font-face{font-family:S;font-style:italic;src:url(/s-lat.woff2);unicode-range:U+0-FF}\
             @font-face{font-family:S;font-style:italic;src:url(/s-cyr.woff2);unicode-range:U+400-45F}\
             body{font-family:S}</style><p>Text <a href=/ru>\u{0420}\u{0443}</a>",
        ),
        ("s-lat.woff2", "l"),
        ("s-cyr.woff2", "c"),
    ]);
    let out2 = build_ok(dir2.path(), &site2);
    assert_eq!(
        font_urls(&early_links(&out2)["/"]),
        ["/s-lat.woff2", "/s-cyr.woff2"]
    );
    let why = explain(&site, "/");
    assert!(
        explains(
            &why,
            "/cyr-b.woff2",
            "the page's characters in its unicode-range are in elements that no rule and no \
             browser default gives a weight it serves"
        ) && explains(
            &why,
            "/cyr-i.woff2",
            "are in elements that no rule and no browser default sets in italics"
        ),
        "{why}"
    );
}

/// A family that only rules for `<pre>` and `<code>` name sets only their text: the Cyrillic of
/// a page's language menu asks nothing of the code font.
#[test]
fn a_family_only_code_rules_name_sets_only_code() {
    let page = |css: &str| {
        format!(
            "<!doctype html><style>\
             @font-face{{font-family:M;src:url(/m-latin.woff2);unicode-range:U+0-FF}}\
             @font-face{{font-family:M;src:url(/m-cyr.woff2);unicode-range:U+400-45F}}\
             {css}</style><nav><a href=/ru>\u{0420}\u{0443}\u{0441}</a></nav><pre>let x</pre>"
        )
    };
    let (dir, site) = temp_site(&[
        ("index.html", &page("code,pre{font-family:M,monospace}")),
        ("nested.html", &page(".doc pre code{font-family:M}")),
        ("both.html", &page("pre,kbd{font-family:M}")),
        (
            "kbd.html",
            &page("pre,kbd{font-family:M}").replace("</pre>", "</pre><kbd>\u{0424}</kbd>"),
        ),
        ("m-latin.woff2", "l"),
        ("m-cyr.woff2", "c"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    let fonts = |page: &str| fonts(page).join(" ");
    assert_eq!(fonts("/"), "/m-latin.woff2");
    assert_eq!(fonts("/nested.html"), "");
    // `<kbd>` text is the page's own: the Cyrillic counts where it is in one.
    assert_eq!(fonts("/both.html"), "/m-latin.woff2");
    assert_eq!(fonts("/kbd.html"), "/m-cyr.woff2 /m-latin.woff2");
    assert!(explains(
        &explain(&site, "/"),
        "/m-cyr.woff2",
        "only rules for <pre> and <code> name its family, and their text has no character in \
         its unicode-range"
    ));
}

/// A later declaration for the same selectors overrides a family: a theme's `body { font-family:
/// Lato }` under the site's `body { font-family: Inter }` sets no text in Lato. Not when the later
/// one may not apply (under `@media`, in a stylesheet with a `media`), may be dropped (a `font`
/// shorthand without a size), loses to `!important`, or is for other selectors.
#[test]
fn a_family_that_a_later_rule_for_the_same_selectors_overrides_is_not_hinted() {
    let face = |f: &str| format!("@font-face{{font-family:{f};src:url(/{f}.woff2)}}");
    let faces: String = ["A", "B", "C", "D", "E", "F", "G", "H"]
        .iter()
        .map(|f| face(f))
        .collect();
    let theme = format!(
        "{faces}body{{font-family:A,serif}}h1, h2{{font-family:C}}.nav{{font-family:E}}\
         .menu{{font-family:F !important}}p{{font-family:G}}@media (min-width:1px){{p{{font-family:H}}}}"
    );
    let custom = "body { font-family: \"B\", sans-serif }\nh1,\n  h2 { font: 700 2em D }\n\
                  .nav{font:bold E2} .menu{font-family:B} p{font-family:B}";
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=stylesheet href=/theme.css>\
             <link rel=stylesheet href=/custom.css><link rel=stylesheet href=/print.css media=print>\
             <h1 class=nav>Title</h1><ul class=menu><li>Menu</ul><p>Text",
        ),
        ("theme.css", &theme),
        ("custom.css", custom),
        ("print.css", "p{font-family:B}"),
        (
            "inline.html",
            "<!doctype html><link rel=stylesheet href=/theme.css>\
            <style>body{font-family:B}</style><p style=\"font-family:G\">Text",
        ),
        ("A.woff2", "a"),
        ("B.woff2", "b"),
        ("C.woff2", "c"),
        ("D.woff2", "d"),
        ("E.woff2", "e"),
        ("F.woff2", "f"),
        ("G.woff2", "g"),
        ("H.woff2", "h"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    // A and C are overridden; E stays (the shorthand without a size is dropped), F stays
    // (`!important`), G is overridden by custom.css's `p` (print.css's may not apply), and H is
    // under `@media`, which a later rule for `p` overrides too.
    assert_eq!(fonts("/").join(" "), "/B.woff2 /D.woff2 /E.woff2 /F.woff2");
    // The page's own styles override nothing of its stylesheets (where they stand among them is
    // not known), and a `style` attribute is for its element alone.
    assert_eq!(
        fonts("/inline.html").join(" "),
        "/A.woff2 /B.woff2 /G.woff2 /H.woff2"
    );
    assert!(explains(
        &explain(&site, "/"),
        "/A.woff2",
        "every declaration that names its family is overridden by a later one for the same \
         selectors (`body`)"
    ));
    // So are custom properties: a theme's `--font` under the site's own.
    let (dir2, site2) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=stylesheet href=/theme.css>\
             <link rel=stylesheet href=/site.css><p>Text <code>x</code>",
        ),
        (
            "theme.css",
            &format!(
                "{}:root{{--font:A;--mono:C}}body{{font-family:var(--font)}}\
                 code{{font-family:var(--mono)}}",
                ["A", "B", "C", "D"].map(face).concat()
            ),
        ),
        (
            "site.css",
            ":root { --font: B }\n@media print { :root { --mono: D } }",
        ),
        ("A.woff2", "a"),
        ("B.woff2", "b"),
        ("C.woff2", "c"),
        ("D.woff2", "d"),
    ]);
    let out2 = build_ok(dir2.path(), &site2);
    // A is overridden; C is not, by a declaration under `@media`.
    assert_eq!(
        early_fonts(&out2)("/").join(" "),
        "/B.woff2 /C.woff2 /D.woff2"
    );
}

/// A family M with a regular face (`/m4.woff2`) and a bold one (`/m7.woff2`).
const M_REGULAR_AND_BOLD: &str = "@font-face{font-family:M;font-weight:400;src:url(/m4.woff2)}\
     @font-face{font-family:M;font-weight:700;src:url(/m7.woff2)}";

/// An element that a family rule asks for and no weight rule does inherits its weight from the
/// elements around it: `kbd { font-family: M }` sets the text of a `<kbd>` in a paragraph in M's
/// regular face, not in the bold one that the page's headings ask for. Code text too, though the
/// parser keeps it apart: in a paragraph it is regular, in a heading or a highlighter's bold
/// token it is bold.
#[test]
fn an_element_without_a_weight_rule_inherits_its_weight() {
    let page = |body: &str| {
        format!(
            "<!doctype html><style>{M_REGULAR_AND_BOLD}\
             kbd,code{{font-family:M}}</style><h1>Keys</h1>{body}"
        )
    };
    let (dir, site) = temp_site(&[
        ("index.html", &page("<p>Press <kbd>Ctrl K</kbd> to search")),
        (
            "code.html",
            &page("<p>Press <kbd>Ctrl K</kbd>, or <code>run()</code>"),
        ),
        ("heading.html", &page("<h2>Calling <code>run()</code></h2>")),
        (
            "token.html",
            &page(
                "<style>.k{font-weight:bold}</style><pre><code><span class=k>fn</span> run</code></pre>",
            ),
        ),
        (
            "plain-token.html",
            &page(
                "<style>.k{font-weight:bold}</style><pre><code><span class=n>run</span></code></pre>",
            ),
        ),
        ("m4.woff2", "4"),
        ("m7.woff2", "7"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/"), ["/m4.woff2"]);
    assert_eq!(fonts("/code.html"), ["/m4.woff2"]);
    assert_eq!(fonts("/heading.html"), ["/m4.woff2", "/m7.woff2"]);
    assert_eq!(fonts("/token.html"), ["/m4.woff2", "/m7.woff2"]);
    assert_eq!(fonts("/plain-token.html"), ["/m4.woff2"]);
}

/// Browsers set a form control's text in a normal weight of its own unless a rule gives it
/// another: a button that takes its family from a bold card (`button { font-family: inherit }`)
/// is set in the regular face. An icon in a button has the weight of its own rule.
#[test]
fn a_form_controls_text_has_a_weight_of_its_own() {
    let page = |style: &str, body: &str| {
        format!(
            "<!doctype html><style>{M_REGULAR_AND_BOLD}\
             button{{font-family:inherit}}{style}</style><p>Text</p>{body}"
        )
    };
    let (dir, site) = temp_site(&[
        (
            "card.html",
            &page(
                ".card{font-family:M;font-weight:700}",
                "<div class=card><button>Go</button></div>",
            ),
        ),
        (
            "field.html",
            &page(
                ".card{font-family:M;font-weight:700}",
                "<div class=card><input placeholder=Name></div>",
            ),
        ),
        (
            "icon.html",
            &page(
                ".icon{font-family:M;font-weight:700}",
                "<button><i class=icon></i> Go</button>",
            ),
        ),
        ("m4.woff2", "4"),
        ("m7.woff2", "7"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/card.html"), ["/m4.woff2", "/m7.woff2"]);
    assert_eq!(fonts("/field.html"), ["/m4.woff2", "/m7.woff2"]);
    assert_eq!(fonts("/icon.html"), ["/m7.woff2"]);
}

/// An `async` module is fetched at high priority like any module, and is hinted with its static
/// imports; a classic `async` script is not hinted.
#[test]
fn async_module_entry_is_hinted_with_its_imports() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><script type=module async src=/e.js></script>\
             <script async src=/s.js></script><p>Hi",
        ),
        ("e.js", "import './c.js';"),
        ("c.js", "export const c = 1;"),
        ("s.js", "s"),
    ]);
    let out = build_ok(dir.path(), &site);
    assert_eq!(
        early_links(&out)["/"],
        vec![
            "</e.js>; rel=modulepreload".to_string(),
            "</c.js>; rel=modulepreload".to_string()
        ]
    );
}

/// `hintgen build` plans each page as soon as it is read and frees its references (the other
/// commands keep the whole graph): the plan and diagnostics must be the same, with and without
/// the fingerprint cache.
#[test]
fn planning_pages_as_they_are_read_changes_nothing() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    // Pages that name other pages, or have an import map, are planned after every page is read.
    let tmp = tempfile::tempdir().unwrap();
    let mixed = tmp.path().join("site");
    for (rel, text) in [
        (
            "index.html",
            "<link rel=stylesheet href=a.css><iframe src=embed.html></iframe>\
             <link rel=preload as=fetch crossorigin href=data/frag.html><p>Hi",
        ),
        ("embed.html", "<link rel=stylesheet href=a.css><p>Embedded"),
        ("data/frag.html", "<p>Fragment"),
        (
            "map.html",
            "<script type=importmap>{\"imports\":{\"x\":\"/x.js\"}}</script>\
             <script type=module src=m.js></script>",
        ),
        ("a.css", "body{color:red}"),
        ("m.js", "import 'x';"),
        ("x.js", "export const x = 1;"),
    ] {
        let p = mixed.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        // Old enough for the cache to trust.
        let old = std::time::SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let sites = [
        fixtures.join("vite"),
        fixtures.join("webpack"),
        fixtures.join("handmade"),
        mixed,
    ];
    for site in &sites {
        let out = tmp.path().join("out");
        let _ = std::fs::remove_dir_all(&out);
        for (run, no_cache) in [true, false, false].into_iter().enumerate() {
            let args = hintgen::cli::BuildArgs {
                site: Some(site.clone()),
                output: Some(out.clone()),
                no_cache,
                ..Default::default()
            };
            let config = hintgen::config::Config::from_build_args(&args).unwrap();
            let kept = hintgen::build(&config).unwrap();
            let hintgen::Run::Built(streamed) = hintgen::build_or_reuse(&config, &|_| {}).unwrap()
            else {
                panic!("{}: nothing recorded, so nothing to reuse", site.display());
            };
            let what = format!("{} (cache: {})", site.display(), !no_cache);
            assert!(!kept.graph.nodes.is_empty());
            assert!(streamed.graph.nodes.is_empty(), "{what}");
            assert_eq!(streamed.plan, kept.plan, "{what}");
            assert_eq!(streamed.diagnostics, kept.diagnostics, "{what}");
            assert_eq!(
                (streamed.files, streamed.bytes),
                (kept.files, kept.bytes),
                "{what}"
            );
            if run == 2 {
                // The cache the first cached run wrote served every file.
                assert_eq!(streamed.cached, streamed.files, "{what}");
            }
        }
    }
}

/// An empty segment in a URL names no folder: servers send `css//site.css` from `css/site.css`
/// (the Debian Handbook's `Common_Content/images//image_left.png`), so it is no missing file, and
/// the hint keeps the URL the page asks for, which the browser matches its request against.
#[test]
fn an_empty_url_segment_names_no_folder() {
    let (dir, site) = temp_site(&[
        (
            "index.html",
            "<!doctype html><link rel=stylesheet href=css//site.css><p>Text",
        ),
        ("css/site.css", "p{color:red}"),
    ]);
    let out = dir.path().join("out");
    let o = build(&site, &out, &[]);
    assert!(
        o.status.success() && stderr(&o).contains(" 0 error(s), 0 warning(s)"),
        "{}",
        stderr(&o)
    );
    let links = early_links(&out);
    assert!(
        links["/"].iter().any(|l| l.starts_with("</css//site.css>")),
        "{links:?}"
    );
}

/// The classes that scripts may give elements count for the scripts the page runs as it loads:
/// a module that only `import()` loads renders later (another route's component), so the family
/// its elements would take is not hinted for this page's first render.
#[test]
fn classes_of_modules_loaded_later_do_not_ask_for_fonts() {
    let page = |script: &str| {
        format!(
            "<!doctype html><style>@font-face{{font-family:Card;src:url(/card.woff2)}}\
             .card-title{{font-family:Card}}</style><p>Text</p>\
             <script type=module src=/{script}></script>"
        )
    };
    let (dir, site) = temp_site(&[
        ("static.html", &page("static.js")),
        ("lazy.html", &page("lazy.js")),
        ("static.js", "import './card.js';"),
        ("lazy.js", "document.onclick = () => import('./card.js');"),
        (
            "card.js",
            "export const card = '<h2 class=\"card-title\">Card</h2>';",
        ),
        ("card.woff2", "w"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/static.html"), ["/card.woff2"]);
    assert!(fonts("/lazy.html").is_empty());
}

/// A rule for headings inside certain elements (docdash's `.usertext h1`) sets text only where
/// the page has such a heading with text: not on a page whose `.usertext` holds paragraphs and
/// whose `<h1>` is elsewhere. Content generated before an empty heading counts.
#[test]
fn a_rule_for_headings_inside_an_element_needs_such_a_heading() {
    let page = |body: &str| {
        format!(
            "<!doctype html><style>\
             @font-face{{font-family:S;src:url(/s.woff2)}}\
             @font-face{{font-family:I;src:url(/i.woff2)}}\
             .usertext h1{{font-family:S}}\
             .mark h2::before{{font-family:I;content:'*'}}</style>{body}"
        )
    };
    let (dir, site) = temp_site(&[
        (
            "elsewhere.html",
            &page("<h1>Module</h1><div class=usertext><p>Text</p></div>"),
        ),
        (
            "inside.html",
            &page("<div class=usertext><h1>Guide</h1></div>"),
        ),
        (
            "generated.html",
            &page("<div class=mark><h2></h2></div><p>Text</p>"),
        ),
        ("s.woff2", "s"),
        ("i.woff2", "i"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert!(fonts("/elsewhere.html").is_empty());
    let why = explain(&site, "/elsewhere.html");
    assert!(
        why.contains("no text of the page is in such a heading"),
        "{why}"
    );
    assert_eq!(fonts("/inside.html"), ["/s.woff2"]);
    assert_eq!(fonts("/generated.html"), ["/i.woff2"]);
}

/// A rule for headings (Read the Docs' `h1, h2 { font-family: Roboto Slab }`) sets no text when a
/// rule that wins over it sets another family for every heading of the page (a site's
/// `.rst-content h1, .rst-content h2 { font-family: "Source Serif 4" }`, its headings all in
/// `.rst-content`). Only a rule that surely matches counts, and only where it wins.
#[test]
fn a_more_specific_rule_outranks_a_family_for_the_pages_elements() {
    let page = |rules: &str, body: &str| {
        format!(
            "<!doctype html><link rel=stylesheet href=/theme.css><style>{rules}</style>\
             <p>Text</p>{body}"
        )
    };
    let book = ".content h1,.content h2{font-family:Book}";
    let inside = "<div class=content><h1>Guide</h1><h2>Install</h2></div>";
    let (dir, site) = temp_site(&[
        (
            "theme.css",
            "@font-face{font-family:Slab;src:url(/slab.woff2)}\
             @font-face{font-family:Book;src:url(/book.woff2)}\
             h1,h2,h3{font-family:Slab,serif;font-weight:700}",
        ),
        ("index.html", &page(book, inside)),
        (
            "outside.html",
            &page(book, &format!("{inside}<h2>Footer</h2>")),
        ),
        (
            "child.html",
            &page(".content>h1,.content>h2{font-family:Book}", inside),
        ),
        (
            "media.html",
            &page(&format!("@media (min-width:1px){{{book}}}"), inside),
        ),
        (
            "fallback.html",
            &page(".content h1,.content h2{font-family:Book,Slab}", inside),
        ),
        (
            "important.html",
            &format!(
                "<!doctype html><style>@font-face{{font-family:Slab;src:url(/slab.woff2)}}\
                 @font-face{{font-family:Book;src:url(/book.woff2)}}\
                 h1,h2{{font-family:Slab!important}}{book}</style>{inside}"
            ),
        ),
        ("slab.woff2", "s"),
        ("book.woff2", "t"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/"), ["/book.woff2"]);
    let why = explain(&site, "/");
    assert!(
        why.contains("a rule that wins over theirs sets another family"),
        "{why}"
    );
    // A heading outside `.content`; a child combinator, which the page's contexts cannot tell
    // from a descendant one; a rule under `@media`; a list that falls back to Slab; and an
    // `!important` Slab keep it.
    for page in [
        "/outside.html",
        "/child.html",
        "/media.html",
        "/fallback.html",
        "/important.html",
    ] {
        assert!(fonts(page).contains(&"/slab.woff2".to_string()), "{page}");
    }
}

/// A family that only rules for the root or `<body>` name reaches text by inheritance: where all
/// of the page's bold text is in elements that a rule gives another family (a Farm site's
/// `article { font-family: "Source Serif 4" }`, its headings all in the article), the family's
/// bold face sets none of it.
#[test]
fn bold_text_in_another_family_leaves_the_body_familys_bold_face() {
    let page = |rules: &str, body: &str| {
        format!(
            "<!doctype html><link rel=stylesheet href=/faces.css><style>{rules}</style>\
             <header><a href=/>Home</a></header>{body}"
        )
    };
    let body = "body{font-family:Sans}article{font-family:Book}h1,h2{font-weight:600}";
    let inside = "<article><h1>Docs</h1><p>Text</p></article>";
    let (dir, site) = temp_site(&[
        (
            "faces.css",
            "@font-face{font-family:Sans;font-weight:400;src:url(/sans-400.woff2)}\
             @font-face{font-family:Sans;font-weight:600;src:url(/sans-600.woff2)}\
             @font-face{font-family:Book;src:url(/book.woff2)}",
        ),
        ("index.html", &page(body, inside)),
        (
            "outside.html",
            &page(body, &format!("{inside}<h2>Contact</h2>")),
        ),
        (
            "universal.html",
            &page(&body.replace("body{", "*{"), inside),
        ),
        (
            "heading.html",
            &page(&format!("{body}h1{{font-family:Sans}}"), inside),
        ),
        ("sans-400.woff2", "a"),
        ("sans-600.woff2", "b"),
        ("book.woff2", "c"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/"), ["/sans-400.woff2", "/book.woff2"]);
    let why = explain(&site, "/");
    assert!(
        why.contains("is in elements that rules give another family"),
        "{why}"
    );
    // A heading outside the article; a family given to every element; a rule that gives
    // headings the family again.
    for page in ["/outside.html", "/universal.html", "/heading.html"] {
        assert!(
            fonts(page).contains(&"/sans-600.woff2".to_string()),
            "{page}"
        );
    }
}

/// A family for headings and quotes that a rule sets in italics (a blog's `blockquote, h1 {
/// font-family: Merriweather }` with `blockquote { font-style: italic }`): its upright faces serve
/// only the headings' weight, so the upright 400 face, whose weight only the quotes have, is not
/// hinted. A rule that may set text in the quote upright again keeps it.
#[test]
fn upright_faces_serve_only_the_upright_text_of_the_family() {
    let page = |rules: &str, quote: &str| {
        format!(
            "<!doctype html><link rel=stylesheet href=/faces.css><style>{rules}</style>\
             <h1>Story</h1><p>Text</p><blockquote>{quote}</blockquote>"
        )
    };
    let italic = "blockquote{font-style:italic}";
    let (dir, site) = temp_site(&[
        (
            "faces.css",
            "@font-face{font-family:Serif2;font-weight:400;src:url(/s-400.woff2)}\
             @font-face{font-family:Serif2;font-weight:700;src:url(/s-700.woff2)}\
             @font-face{font-family:Serif2;font-style:italic;src:url(/s-400i.woff2)}\
             blockquote,h1{font-family:Serif2}h1{font-weight:700}",
        ),
        ("index.html", &page(italic, "Quoted")),
        (
            "em.html",
            &page(
                &format!("{italic}blockquote em{{font-style:normal}}"),
                "Quoted <em>word</em>",
            ),
        ),
        (
            "class.html",
            &page(
                &format!("{italic}.plain{{font-style:normal}}"),
                "Quoted <span class=plain>word</span>",
            ),
        ),
        (
            "media.html",
            &page(&format!("@media (min-width:1px){{{italic}}}"), "Quoted"),
        ),
        ("s-400.woff2", "a"),
        ("s-700.woff2", "b"),
        ("s-400i.woff2", "c"),
    ]);
    let out = build_ok(dir.path(), &site);
    let fonts = early_fonts(&out);
    assert_eq!(fonts("/"), ["/s-700.woff2", "/s-400i.woff2"]);
    let why = explain(&site, "/");
    assert!(
        why.contains("is italic, but for text set in font-weight 700"),
        "{why}"
    );
    for page in ["/em.html", "/class.html", "/media.html"] {
        assert!(fonts(page).contains(&"/s-400.woff2".to_string()), "{page}");
    }
}
