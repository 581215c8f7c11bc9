//! `sitegen`: writes a deterministic built site of a chosen size, for benchmarks and watch-mode tests.
//!
//! ```text
//! cargo run --release --example sitegen -- --pages 10000 --assets 30000 --bytes 1G /tmp/site
//! ```
//!
//! The site looks like a bundler's output: pages in nested section folders (`docs/g007/page-20/index.html`,
//! `blog/g003/page-41.html`, `api/g001/topic-3/page-23.html`), Vite-style content-hashed assets (`assets/app-Bx9_k2Qa.css`), a
//! shared stylesheet whose `@import` chain ends in `@font-face` rules with `unicode-range` (woff2 and
//! woff per subset and weight), per-section stylesheets and module entries with a static import
//! closure and a dynamic import, a classic `defer` script, and images referenced with absolute and
//! relative URLs, queries, `srcset`, `<picture>`, `loading=lazy` and `fetchpriority=high`. Some pages
//! are written in Cyrillic or Greek so `unicode-range` matters. Every reference resolves.
//!
//! Output depends only on the arguments (a SplitMix64 stream per file), so two runs give
//! byte-identical trees. Byte budget: about 12% goes to HTML, up to 3% to CSS and JS (at most
//! 192 KiB a file), the fonts have fixed sizes, and images (a skewed size mix, with PNG/JPEG/WebP/SVG
//! headers over random bytes) take the rest. `--assets` counts every non-HTML file; the fixed set
//! (fonts, shared CSS/JS, three files per section, `favicon.svg`, `robots.txt`) is always written, so
//! it is a minimum.
//!
//! OUT must not exist or be empty; `--force` replaces a folder that an earlier `sitegen` run wrote
//! (recognised by its `robots.txt`), and nothing else.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Parser;
use rayon::prelude::*;

/// The first line of `robots.txt`: how `--force` recognises a folder this tool wrote.
const MARKER: &str = "# site written by hintgen's sitegen example";

/// Writes a deterministic static site for benchmarks.
#[derive(Debug, Parser)]
#[command(name = "sitegen")]
struct Args {
    /// Number of HTML pages (the home page included).
    #[arg(long, default_value_t = 1000)]
    pages: usize,
    /// Number of non-HTML files (at least the fixed set of fonts, CSS, JS) [default: 3 × pages].
    #[arg(long)]
    assets: Option<usize>,
    /// Approximate total size: bytes, or with a suffix K, M, G (powers of 1024).
    #[arg(long, default_value = "100M", value_parser = parse_size)]
    bytes: u64,
    /// Seed for every random choice and byte.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Replace OUT if an earlier sitegen run wrote it.
    #[arg(long)]
    force: bool,
    /// Where to write the site.
    out: PathBuf,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(format!("unknown size suffix {c:?} (use K, M, G)")),
            };
            (&s[..i], m)
        }
        _ => (s, 1),
    };
    let n: f64 = num.parse().map_err(|_| format!("not a size: {s:?}"))?;
    if n.is_nan() || n < 0.0 {
        return Err(format!("not a size: {s:?}"));
    }
    Ok((n * mult as f64) as u64)
}

/// SplitMix64: tiny, fast, and good enough for picking names and filling bytes.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64, index: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index.rotate_left(32));
        r.next();
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn fill(&mut self, buf: &mut [u8]) {
        let mut chunks = buf.chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&self.next().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        let last = self.next().to_le_bytes();
        rest.copy_from_slice(&last[..rest.len()]);
    }
}

/// Random streams, so adding a kind of choice never shifts another's.
mod stream {
    pub const NAME: u64 = 1;
    pub const PAGE: u64 = 2;
    pub const IMAGE: u64 = 3;
    pub const TEXT: u64 = 4;
    pub const FONT: u64 = 5;
}

/// A Vite-style 8-character base64url content hash (always mixing upper, lower and digits, as
/// real hashes almost always do).
fn vite_hash(seed: u64, salt: u64, index: u64) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut r = Rng::new(seed, stream::NAME ^ (salt << 8), index);
    loop {
        let s: String = (0..8)
            .map(|_| ALPHA[r.below(64) as usize] as char)
            .collect();
        let upper = s.bytes().any(|b| b.is_ascii_uppercase());
        let lower = s.bytes().any(|b| b.is_ascii_lowercase());
        let digit = s.bytes().any(|b| b.is_ascii_digit());
        if upper && lower && digit && !s.starts_with('-') {
            return s;
        }
    }
}

/// A webpack-style 20-hex-digit `[contenthash]`.
fn hex_hash(seed: u64, salt: u64, index: u64) -> String {
    let mut r = Rng::new(seed, stream::NAME ^ (salt << 8), index);
    format!("{:016x}{:04x}", r.next(), r.next() & 0xffff)
}

const SECTION_NAMES: &[&str] = &[
    "docs",
    "blog",
    "guide",
    "api",
    "news",
    "learn",
    "products",
    "support",
    "community",
    "about",
];

const SUBSETS: &[(&str, &str)] = &[
    (
        "latin",
        "U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,U+2000-206F,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD",
    ),
    (
        "latin-ext",
        "U+0100-02BA,U+02BD-02C5,U+02C7-02CC,U+02CE-02D7,U+02DD-02FF,U+0304,U+0308,U+0329,U+1D00-1DBF,U+1E00-1E9F,U+1EF2-1EFF,U+2020,U+20A0-20AB,U+20AD-20C0,U+2113,U+2C60-2C7F,U+A720-A7FF",
    ),
    (
        "cyrillic",
        "U+0301,U+0400-045F,U+0490-0491,U+04B0-04B1,U+2116",
    ),
    (
        "cyrillic-ext",
        "U+0460-052F,U+1C80-1C8A,U+20B4,U+2DE0-2DFF,U+A640-A69F,U+FE2E-FE2F",
    ),
    (
        "greek",
        "U+0370-0377,U+037A-037F,U+0384-038A,U+038C,U+038E-03A1,U+03A3-03FF",
    ),
    (
        "vietnamese",
        "U+0102-0103,U+0110-0111,U+0128-0129,U+0168-0169,U+01A0-01A1,U+01AF-01B0,U+0300-0301,U+0303-0304,U+0308-0309,U+0323,U+0329,U+1EA0-1EF9,U+20AB",
    ),
];
const WEIGHTS: &[u32] = &[400, 700];

const WORDS: &[&str] = &[
    "static", "site", "asset", "preload", "server", "browser", "render", "cache", "header",
    "module", "script", "style", "font", "image", "request", "response", "network", "latency",
    "bundle", "chunk", "import", "export", "page", "layout", "theme", "build", "deploy", "edge",
    "origin", "stream", "the", "a", "of", "and", "to", "in", "is", "that", "with", "for", "on",
    "as", "by", "it",
];
const WORDS_RU: &[&str] = &[
    "сайт",
    "страница",
    "шрифт",
    "сервер",
    "браузер",
    "кэш",
    "запрос",
    "ответ",
    "модуль",
    "и",
    "в",
    "на",
    "с",
    "по",
];
const WORDS_EL: &[&str] = &[
    "ιστότοπος",
    "σελίδα",
    "γραμματοσειρά",
    "διακομιστής",
    "και",
    "το",
    "της",
    "με",
    "για",
];

/// Where each generated file goes and what pages may reference.
struct Layout {
    seed: u64,
    sections: usize,
    groups: usize,
    app_css: String,
    base_css: String,
    vendor_js: String,
    shared_js: String,
    util_js: String,
    analytics_js: String,
    /// (subset index, weight) → (woff2 path, woff path).
    fonts: Vec<(usize, u32, String, String)>,
    section_css: Vec<String>,
    section_js: Vec<String>,
    section_lazy: Vec<String>,
    /// Images: path and kind.
    images: Vec<(String, ImageKind)>,
    pages: Vec<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum ImageKind {
    Png,
    Jpg,
    Webp,
    Svg,
}

impl ImageKind {
    fn ext(self) -> &'static str {
        match self {
            ImageKind::Png => "png",
            ImageKind::Jpg => "jpg",
            ImageKind::Webp => "webp",
            ImageKind::Svg => "svg",
        }
    }
}

fn section_name(s: usize) -> String {
    let base = SECTION_NAMES[s % SECTION_NAMES.len()];
    if s < SECTION_NAMES.len() {
        base.to_string()
    } else {
        format!("{base}{}", s / SECTION_NAMES.len() + 1)
    }
}

impl Layout {
    fn new(args: &Args) -> Layout {
        let seed = args.seed;
        let pages_n = args.pages.max(1);
        let sections = (pages_n / 500).clamp(1, 40);
        // About 50 pages per folder.
        let groups = (pages_n / sections / 50).max(1);
        let a = |name: &str, salt: u64| format!("assets/{name}-{}", vite_hash(seed, salt, 0));
        let mut fonts = Vec::new();
        for (si, (subset, _)) in SUBSETS.iter().enumerate() {
            for &w in WEIGHTS {
                let i = (si * 10 + w as usize / 100) as u64;
                let stem = format!("assets/inter-{subset}-{w}-normal");
                fonts.push((
                    si,
                    w,
                    format!("{stem}-{}.woff2", vite_hash(seed, 100, i)),
                    format!("{stem}-{}.woff", vite_hash(seed, 101, i)),
                ));
            }
        }
        let section_css = (0..sections)
            .map(|s| {
                format!(
                    "assets/{}-{}.css",
                    section_name(s),
                    vite_hash(seed, 200, s as u64)
                )
            })
            .collect();
        let section_js = (0..sections)
            .map(|s| {
                format!(
                    "assets/{}-{}.js",
                    section_name(s),
                    vite_hash(seed, 201, s as u64)
                )
            })
            .collect();
        let section_lazy = (0..sections)
            .map(|s| {
                format!(
                    "assets/{}-lazy.{}.js",
                    section_name(s),
                    hex_hash(seed, 202, s as u64)
                )
            })
            .collect();
        let fixed = fonts.len() * 2 + 8 + 3 * sections;
        let image_n = args.assets.unwrap_or(pages_n * 3).saturating_sub(fixed);
        let per_folder = 100;
        let images = (0..image_n)
            .map(|i| {
                let mut r = Rng::new(seed, stream::IMAGE, i as u64);
                let kind = match r.below(20) {
                    0..=6 => ImageKind::Png,
                    7..=13 => ImageKind::Jpg,
                    14..=17 => ImageKind::Webp,
                    _ => ImageKind::Svg,
                };
                let s = i % sections;
                let folder = i / sections / per_folder;
                let name = *r.pick(&["photo", "diagram", "banner", "thumb", "icon", "figure"]);
                let path = format!(
                    "img/{}/{folder:03}/{name}-{i}-{}.{}",
                    section_name(s),
                    vite_hash(seed, 300, i as u64),
                    kind.ext()
                );
                (path, kind)
            })
            .collect();
        let pages = (0..pages_n)
            .map(|i| {
                if i == 0 {
                    return "index.html".to_string();
                }
                let s = i % sections;
                let g = (i / sections) % groups;
                let sec = section_name(s);
                match i % 3 {
                    0 => format!("{sec}/g{g:03}/page-{i}/index.html"),
                    1 => format!("{sec}/g{g:03}/page-{i}.html"),
                    _ => format!("{sec}/g{g:03}/topic-{}/page-{i}.html", i % 7),
                }
            })
            .collect();
        Layout {
            seed,
            sections,
            groups,
            app_css: format!("{}.css", a("app", 1)),
            base_css: format!("{}.css", a("base", 2)),
            vendor_js: format!("{}.js", a("vendor", 3)),
            shared_js: format!("{}.js", a("shared", 4)),
            util_js: format!("{}.js", a("util", 5)),
            analytics_js: format!("assets/analytics.{}.js", hex_hash(seed, 6, 0)),
            fonts,
            section_css,
            section_js,
            section_lazy,
            images,
            pages,
        }
    }
}

/// URL for `target` as seen from the page at `from`: root-relative or `../`-relative.
fn url_from(from: &str, target: &str, relative: bool) -> String {
    if !relative {
        return format!("/{target}");
    }
    let depth = from.matches('/').count();
    format!("{}{target}", "../".repeat(depth))
}

fn words(r: &mut Rng, n: usize, vocab: &[&str]) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(vocab[r.below(vocab.len() as u64) as usize]);
    }
    s
}

/// A page's HTML, padded with paragraphs to about `target` bytes.
fn page_html(l: &Layout, i: usize, target: usize) -> String {
    let path = &l.pages[i];
    let mut r = Rng::new(l.seed, stream::PAGE, i as u64);
    let s = i % l.sections;
    let lang = match i % 13 {
        5 => "ru",
        9 => "el",
        _ => "en",
    };
    let vocab = match lang {
        "ru" => WORDS_RU,
        "el" => WORDS_EL,
        _ => WORDS,
    };
    let rel = i % 2 == 1;
    let u = |t: &str| url_from(path, t, rel);
    let mut h = String::with_capacity(target + 4096);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — page {i}</title>\n\
         <link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\n\
         <link rel=\"preconnect\" href=\"https://cdn.example.com\">\n\
         <link rel=\"stylesheet\" href=\"{}\">\n\
         <link rel=\"stylesheet\" crossorigin href=\"{}\">\n\
         <script type=\"module\" crossorigin src=\"{}\"></script>\n\
         <link rel=\"modulepreload\" crossorigin href=\"{}\">\n\
         <script defer src=\"{}\"></script>\n\
         <script async src=\"https://cdn.example.com/widget.js\"></script>\n\
         </head>\n<body>\n<header class=\"top\">\n<a href=\"/\"><img src=\"/favicon.svg\" width=\"32\" height=\"32\" alt=\"Home\"></a>\n<nav>",
        words(&mut r, 3, vocab),
        u(&l.app_css),
        u(&l.section_css[s]),
        u(&l.section_js[s]),
        u(&l.vendor_js),
        u(&l.analytics_js),
    );
    for k in 0..5 {
        let other = (i + 1 + k * 37) % l.pages.len();
        let href = l.pages[other].trim_end_matches("index.html");
        let _ = write!(h, "<a href=\"/{href}\">{}</a> ", words(&mut r, 2, vocab));
    }
    h.push_str("</nav>\n</header>\n<main>\n");
    let _ = writeln!(h, "<h1>{}</h1>", words(&mut r, 4, vocab));
    let imgs = l.images.len();
    if imgs > 0 {
        let img = |k: usize| &l.images[(i * 7 + k * 7919) % imgs].0;
        let _ = writeln!(
            h,
            "<img class=\"hero\" src=\"{}\" width=\"960\" height=\"400\" alt=\"\" fetchpriority=\"high\">",
            u(img(0))
        );
        let n = 3 + r.below(6) as usize;
        for k in 1..=n {
            let _ = writeln!(h, "<p>{}</p>", {
                let n = 20 + r.below(40) as usize;
                words(&mut r, n, vocab)
            });
            match k % 4 {
                0 => {
                    let _ = writeln!(
                        h,
                        "<picture><source srcset=\"{} 1x, {} 2x\" type=\"image/webp\"><img src=\"{}\" loading=\"lazy\" alt=\"\"></picture>",
                        u(img(k)),
                        u(img(k + 1)),
                        u(img(k + 2))
                    );
                }
                1 => {
                    let _ = writeln!(
                        h,
                        "<img src=\"{}?v={}\" srcset=\"{} 640w, {} 1280w\" sizes=\"(max-width: 640px) 100vw, 640px\" loading=\"lazy\" alt=\"\">",
                        u(img(k)),
                        k,
                        u(img(k)),
                        u(img(k + 3))
                    );
                }
                2 => {
                    let _ = writeln!(
                        h,
                        "<figure><img src=\"{}\" loading=\"lazy\" alt=\"\"><figcaption>{}</figcaption></figure>",
                        u(img(k)),
                        words(&mut r, 5, vocab)
                    );
                }
                _ => {
                    let _ = writeln!(
                        h,
                        "<video controls preload=\"none\" poster=\"{}\"></video>",
                        u(img(k))
                    );
                }
            }
        }
    }
    if i % 10 == 3 {
        let _ = writeln!(
            h,
            "<div style=\"background-image: url('{}')\"></div>",
            u(&l.images.first().map_or(l.app_css.clone(), |x| x.0.clone()))
        );
    }
    while h.len() + 60 < target {
        let _ = writeln!(h, "<p>{}</p>", {
            let n = 30 + r.below(60) as usize;
            words(&mut r, n, vocab)
        });
    }
    h.push_str("</main>\n<footer><p>© Example</p></footer>\n</body>\n</html>\n");
    h
}

fn filler_css(r: &mut Rng, l: &Layout, target: usize, out: &mut String) {
    let mut k = 0;
    while out.len() < target {
        let _ = writeln!(
            out,
            ".c{k}-{}{{margin:{}px {}px;padding:{}rem;color:#{:06x};display:flex;gap:{}px}}",
            r.below(1000),
            r.below(40),
            r.below(40),
            r.below(4),
            r.below(0xffffff),
            r.below(24)
        );
        if k % 100 == 7 && !l.images.is_empty() {
            let img = &l.images[r.below(l.images.len() as u64) as usize].0;
            let _ = writeln!(out, ".bg{k}{{background:url(/{img}) no-repeat}}");
        }
        k += 1;
    }
}

fn filler_js(r: &mut Rng, target: usize, out: &mut String) {
    let mut k = 0;
    while out.len() < target {
        let _ = writeln!(
            out,
            "export function f{k}(a,b){{const x=a*{}+b;return x>{}?\"{}\":x.toString(36)}}",
            r.below(1000),
            r.below(100000),
            words(r, 2, WORDS)
        );
        k += 1;
    }
}

/// Every text asset (CSS, JS, favicon, robots.txt) with its bytes; `budget` is their total target.
fn text_assets(l: &Layout, budget: u64) -> Vec<(String, Vec<u8>)> {
    let mut r = Rng::new(l.seed, stream::TEXT, 0);
    let n_files = 6 + 3 * l.sections;
    // Real bundles: tens to a few hundred KiB per stylesheet or chunk.
    let each = (budget / n_files as u64).clamp(512, 192 << 10) as usize;
    let mut out = Vec::new();
    let file = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();

    // app.css: @import base.css, then page rules.
    let mut css = format!("@import url(\"./{}\");\n", file(&l.base_css));
    filler_css(&mut r, l, each, &mut css);
    out.push((l.app_css.clone(), css));
    // base.css: @font-face rules with unicode-range (woff2 first, then woff).
    let mut css = String::new();
    for (si, w, woff2, woff) in &l.fonts {
        let _ = writeln!(
            css,
            "@font-face{{font-family:Inter;font-style:normal;font-display:swap;font-weight:{w};src:url(/{woff2}) format(\"woff2\"),url(/{woff}) format(\"woff\");unicode-range:{}}}",
            SUBSETS[*si].1
        );
    }
    css.push_str("body{font-family:Inter,system-ui,sans-serif;margin:0}\n");
    filler_css(&mut r, l, each, &mut css);
    out.push((l.base_css.clone(), css));
    for s in 0..l.sections {
        let mut css = format!("main.s{s}{{max-width:72rem}}\n");
        filler_css(&mut r, l, each, &mut css);
        out.push((l.section_css[s].clone(), css));
    }

    let mut js = String::from("export const vendor=1;\n");
    filler_js(&mut r, each, &mut js);
    out.push((l.vendor_js.clone(), js));
    let mut js = format!("export * from \"./{}\";\n", file(&l.util_js));
    filler_js(&mut r, each, &mut js);
    out.push((l.shared_js.clone(), js));
    let mut js = String::from("export const util=2;\n");
    filler_js(&mut r, each, &mut js);
    out.push((l.util_js.clone(), js));
    let mut js = String::from(
        "(function(){var q=window.q||[];q.push([\"pageview\",location.pathname]);})();\n",
    );
    while js.len() < each / 4 {
        js.push_str("/* analytics */\n");
    }
    out.push((l.analytics_js.clone(), js));
    for s in 0..l.sections {
        let mut js = format!(
            "import{{vendor}}from\"./{}\";import\"./{}\";\nexport const section={s};\ndocument.addEventListener(\"click\",()=>import(\"./{}\"));\n",
            file(&l.vendor_js),
            file(&l.shared_js),
            file(&l.section_lazy[s])
        );
        filler_js(&mut r, each, &mut js);
        out.push((l.section_js[s].clone(), js));
        let mut js = format!("import{{util}}from\"./{}\";\n", file(&l.util_js));
        filler_js(&mut r, each / 2, &mut js);
        out.push((l.section_lazy[s].clone(), js));
    }
    out.push((
        "favicon.svg".to_string(),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\"><circle cx=\"16\" cy=\"16\" r=\"14\" fill=\"#36c\"/></svg>\n".to_string(),
    ));
    out.push((
        "robots.txt".to_string(),
        format!("{MARKER}\nUser-agent: *\nAllow: /\n"),
    ));
    out.into_iter().map(|(p, s)| (p, s.into_bytes())).collect()
}

/// Bytes of a binary file: a format header, then random bytes.
fn binary(seed: u64, stream: u64, index: u64, size: usize, magic: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; size];
    Rng::new(seed, stream, index).fill(&mut v);
    let n = magic.len().min(size);
    v[..n].copy_from_slice(&magic[..n]);
    v
}

fn image_bytes(l: &Layout, i: usize, size: usize) -> Vec<u8> {
    let kind = l.images[i].1;
    match kind {
        ImageKind::Svg => {
            let mut r = Rng::new(l.seed, stream::IMAGE ^ 0xff, i as u64);
            let mut s = String::from(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 100\">\n",
            );
            while s.len() + 8 < size {
                let _ = writeln!(
                    s,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#{:06x}\"/>",
                    r.below(100),
                    r.below(100),
                    r.below(50),
                    r.below(50),
                    r.below(0xffffff)
                );
            }
            s.push_str("</svg>\n");
            s.into_bytes()
        }
        ImageKind::Png => binary(l.seed, stream::IMAGE, i as u64, size, b"\x89PNG\r\n\x1a\n"),
        ImageKind::Jpg => binary(
            l.seed,
            stream::IMAGE,
            i as u64,
            size,
            b"\xff\xd8\xff\xe0\0\x10JFIF",
        ),
        ImageKind::Webp => {
            let mut m = b"RIFF\0\0\0\0WEBPVP8 ".to_vec();
            m[4..8].copy_from_slice(&(size.saturating_sub(8) as u32).to_le_bytes());
            binary(l.seed, stream::IMAGE, i as u64, size, &m)
        }
    }
}

fn write_file(root: &Path, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
    let p = root.join(rel);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(&p, bytes)
}

fn prepare_out(out: &Path, force: bool) -> Result<(), String> {
    match std::fs::read_dir(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: {e}", out.display())),
        Ok(mut entries) => {
            if entries.next().is_some() {
                let ours = std::fs::read_to_string(out.join("robots.txt"))
                    .is_ok_and(|t| t.starts_with(MARKER));
                if !force || !ours {
                    return Err(format!(
                        "{} is not empty{}",
                        out.display(),
                        if ours {
                            "; pass --force to replace it"
                        } else {
                            " (and sitegen did not write it)"
                        }
                    ));
                }
                std::fs::remove_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
            }
        }
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))
}

fn run(args: &Args) -> Result<(), String> {
    prepare_out(&args.out, args.force)?;
    let l = Layout::new(args);
    let root = args.out.as_path();
    fn io(rel: &str) -> impl FnOnce(std::io::Error) -> String + '_ {
        move |e| format!("{rel}: {e}")
    }
    let total = args.bytes;

    // HTML: about 12% of the budget, each page between half and one and a half of its share.
    let html_share = (total as f64 * 0.12 / l.pages.len() as f64) as usize;
    let html_bytes: u64 = (0..l.pages.len())
        .into_par_iter()
        .map(|i| {
            let mut r = Rng::new(l.seed, stream::PAGE ^ 0x55, i as u64);
            let target = (html_share as f64 * (0.5 + r.unit())) as usize;
            let html = page_html(&l, i, target);
            write_file(root, &l.pages[i], html.as_bytes()).map_err(io(&l.pages[i]))?;
            Ok(html.len() as u64)
        })
        .sum::<Result<u64, String>>()?;

    let texts = text_assets(&l, total * 3 / 100);
    let mut text_bytes = 0;
    for (p, b) in &texts {
        write_file(root, p, b).map_err(io(p))?;
        text_bytes += b.len() as u64;
    }

    let font_bytes: u64 = l
        .fonts
        .par_iter()
        .enumerate()
        .map(|(k, (_, _, woff2, woff))| {
            let mut r = Rng::new(l.seed, stream::FONT, k as u64);
            let n2 = 12_000 + r.below(24_000) as usize;
            let n1 = n2 * 13 / 10;
            write_file(
                root,
                woff2,
                &binary(l.seed, stream::FONT, 2 * k as u64, n2, b"wOF2"),
            )
            .map_err(io(woff2))?;
            write_file(
                root,
                woff,
                &binary(l.seed, stream::FONT, 2 * k as u64 + 1, n1, b"wOFF"),
            )
            .map_err(io(woff))?;
            Ok((n1 + n2) as u64)
        })
        .sum::<Result<u64, String>>()?;

    // Images share what is left, with a skewed mix: many small, a few large.
    let left = total.saturating_sub(html_bytes + text_bytes + font_bytes);
    let weights: Vec<f64> = (0..l.images.len())
        .map(|i| {
            let mut r = Rng::new(l.seed, stream::IMAGE ^ 0x77, i as u64);
            let w = 0.2 + r.unit().powi(3) * 8.0;
            if l.images[i].1 == ImageKind::Svg {
                w * 0.1
            } else {
                w
            }
        })
        .collect();
    let wsum: f64 = weights.iter().sum::<f64>().max(1e-9);
    let image_bytes_total: u64 = (0..l.images.len())
        .into_par_iter()
        .map(|i| {
            let size = ((left as f64 * weights[i] / wsum) as usize).max(200);
            let bytes = image_bytes(&l, i, size);
            let p = &l.images[i].0;
            write_file(root, p, &bytes).map_err(io(p))?;
            Ok(bytes.len() as u64)
        })
        .sum::<Result<u64, String>>()?;

    let assets = texts.len() + l.fonts.len() * 2 + l.images.len();
    let bytes = html_bytes + text_bytes + font_bytes + image_bytes_total;
    eprintln!(
        "sitegen: {} pages ({} sections × {} folders), {assets} assets ({} images, {} fonts), {bytes} bytes ({:.1} MiB) in {}",
        l.pages.len(),
        l.sections,
        l.groups,
        l.images.len(),
        l.fonts.len() * 2,
        bytes as f64 / (1 << 20) as f64,
        root.display()
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sitegen: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
