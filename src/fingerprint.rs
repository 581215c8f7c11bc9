//! Fingerprints: SHA-256 digests, their hex and SRI forms, and content-hashed file names.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::Digest as _;

use crate::config::Sri;

/// A SHA-256 digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Lowercase hex.
    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    /// The SRI value `sha256-<base64>`.
    pub fn sri(&self) -> String {
        format!("sha256-{}", STANDARD.encode(self.0))
    }
}

/// Lowercase hex of any bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a stream incrementally: SHA-256 always, and SHA-384/512 when an SRI of that kind is asked for.
pub struct Hasher {
    sha256: sha2::Sha256,
    extra: Extra,
}

enum Extra {
    None,
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// A hasher for the given SRI choice.
    pub fn new(sri: Sri) -> Self {
        Hasher {
            sha256: sha2::Sha256::new(),
            extra: match sri {
                Sri::Sha256 => Extra::None,
                Sri::Sha384 => Extra::Sha384(sha2::Sha384::new()),
                Sri::Sha512 => Extra::Sha512(sha2::Sha512::new()),
            },
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.sha256.update(bytes);
        match &mut self.extra {
            Extra::None => {}
            Extra::Sha384(h) => h.update(bytes),
            Extra::Sha512(h) => h.update(bytes),
        }
    }

    /// The SHA-256 digest and the SRI value.
    pub fn finish(self) -> (Digest, String) {
        let d = Digest(self.sha256.finalize().into());
        let sri = match self.extra {
            Extra::None => d.sri(),
            Extra::Sha384(h) => format!("sha384-{}", STANDARD.encode(h.finalize())),
            Extra::Sha512(h) => format!("sha512-{}", STANDARD.encode(h.finalize())),
        };
        (d, sri)
    }
}

/// True when a file name already carries a content hash, so the file can be cached forever:
/// Vite's `name-[hash].ext` (8 base64url characters), webpack's `[name].[contenthash].ext`
/// (hex, 8–64 characters, any separator), gulp-rev's `name-[10 hex].ext`; and anything under
/// Next.js's `_next/static/` or SvelteKit's `_app/immutable/`, whose names are hashes or sit in a
/// build-id folder (both frameworks serve those folders as immutable themselves). Never an HTML
/// page: its address is the one visitors come back to, so it must not be cached forever (and
/// rustdoc's `trait.OsStrExt.html` only looks hashed).
pub fn is_content_hashed(rel_path: &str) -> bool {
    if crate::parse::FileKind::of(rel_path) == crate::parse::FileKind::Html {
        return false;
    }
    let in_folder = |folder: &str| {
        rel_path
            .match_indices(folder)
            .any(|(i, _)| i == 0 || rel_path.as_bytes()[i - 1] == b'/')
    };
    if in_folder("_next/static/") || in_folder("_app/immutable/") {
        return true;
    }
    let name = rel_path.rsplit('/').next().unwrap_or(rel_path);
    // Drop the extension, then look at each dot part (`x.abc123.min.js`, `x-Ab12Cd34.js.map`,
    // Storybook's `Button.stories-CbhCIe1r.js`).
    let parts: Vec<&str> = name.split('.').collect();
    let named = &parts[..parts.len().saturating_sub(1).max(1)];
    // rustdoc names an item's files `kind.Name.ext` (`trait.OsStrExt.js`): the name is Rust's.
    let item = RUSTDOC_ITEM_KINDS.contains(&parts[0]) && parts.len() > 2;
    named
        .iter()
        .enumerate()
        .any(|(i, part)| !(item && i == 1) && part_has_hash(part, i == 0))
        || is_hugo_processed(name)
}

/// The item kinds that start rustdoc's file names (`struct.Vec.html`, `trait.impl/…/trait.Read.js`).
const RUSTDOC_ITEM_KINDS: [&str; 16] = [
    "attr",
    "constant",
    "derive",
    "enum",
    "externcrate",
    "fn",
    "foreigntype",
    "keyword",
    "macro",
    "primitive",
    "static",
    "struct",
    "trait",
    "traitalias",
    "type",
    "union",
];

/// Whether one dot part of a name carries a hash: the last `-` part (Vite, gulp-rev), the whole
/// part (webpack's `[name].[contenthash].js`), or the last 8 characters after a `-` (Vite's
/// base64url hash may itself contain `-`; esbuild's, Angular's, is base32, capitals and the digits
/// 2–7, often without a digit). A whole first part is a hash only with a digit: hand-named files
/// such as `PushMenu.js` or `_buttons.scss` are 8 characters too, and a name made only of a hash
/// (Nuxt's chunks) has one three times in four.
fn part_has_hash(part: &str, first: bool) -> bool {
    if part.is_empty() {
        return false;
    }
    if let Some((_, last)) = part.rsplit_once('-')
        && is_hex_hash(last)
    {
        return true;
    }
    if part.len() > 9
        && part.is_char_boundary(part.len() - 8)
        && part.as_bytes()[part.len() - 9] == b'-'
    {
        let tail = &part[part.len() - 8..];
        if is_base64url_hash(tail) || is_base32_hash(tail) {
            return true;
        }
    }
    let has_digit = |s: &str| s.bytes().any(|b| b.is_ascii_digit());
    // Qwik names its assets `[hash]-[name].[ext]`: a hash before the first `-` of the name, held
    // to the whole-name standard.
    if first
        && let Some((head, _)) = part.split_once('-')
        && (is_hex_hash(head) || (is_base64url_hash(head) && has_digit(head)))
    {
        return true;
    }
    is_hex_hash(part) || (is_base64url_hash(part) && (!first || has_digit(part)))
}

/// Hugo's processed images: `hero_hu<32 hex>_<size>_<options>.webp`, the hex a digest of the
/// source and the processing.
fn is_hugo_processed(name: &str) -> bool {
    name.match_indices("_hu").any(|(i, _)| {
        let rest = &name[i + 3..];
        let hex = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        (16..=64).contains(&hex) && rest.as_bytes().get(hex) == Some(&b'_')
    })
}

/// esbuild's default `[hash]`: 8 characters of base32 (`A`–`Z`, `2`–`7`), as Angular writes them
/// (`main-WWICEUJR.js`, `chunk-SBN7ISVL.js`). Only trusted after a `-` at the end of the stem.
fn is_base32_hash(s: &str) -> bool {
    s.len() == 8
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

fn is_hex_hash(s: &str) -> bool {
    (8..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_hexdigit())
        && s.bytes().any(|b| b.is_ascii_digit())
        && (s.bytes().all(|b| !b.is_ascii_uppercase())
            || s.bytes().all(|b| !b.is_ascii_lowercase()))
}

fn is_base64url_hash(s: &str) -> bool {
    if s.len() != 8
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return false;
    }
    let lower = s.bytes().filter(u8::is_ascii_lowercase).count();
    let upper = s.bytes().filter(u8::is_ascii_uppercase).count();
    let digit = s.bytes().filter(u8::is_ascii_digit).count();
    let other = 8 - lower - upper - digit;
    // A word such as "settings" or "Overview" is not a hash; random base64url almost always mixes
    // at least two classes beyond a leading capital.
    let classes = [lower, upper, digit, other]
        .iter()
        .filter(|&&n| n > 0)
        .count();
    let capitalized_word = upper == 1 && lower == 7 && s.as_bytes()[0].is_ascii_uppercase();
    // Capitals with separators and nothing else (`__PAGE__`, `LICENSE_`) are a marker, not a
    // hash: random base64url looks like that about once in 2,000 names.
    let marker = lower == 0 && digit == 0 && other > 0;
    let word = digit == 0 && other == 0 && upper <= 1;
    classes >= 2 && !(capitalized_word || marker || word || is_name_like(s))
}

/// True when 8 characters read as a person's naming rather than chance: words, each maybe ending
/// in digits, joined by one kind of separator (a leading one allowed, as in `_buttons`), in
/// lowercase (`two-tone`, `v2-micro`) or else in capitals and capitalized words (`GB1-UCS2`,
/// `Japan1-0`, `Outline2`, `RS-Latin`). Hand-named files such as PDF.js's `Adobe-Japan1-0.bcmap`,
/// `theme-two-tone.css` or `summernote-sr-RS-Latin.js` end that way; random base64url does in
/// about one name in 200, which then loses only the `immutable` caching.
fn is_name_like(s: &str) -> bool {
    let separators = s.bytes().filter(|b| matches!(b, b'-' | b'_'));
    let mut seen = None;
    for b in separators {
        if seen.replace(b).is_some_and(|first| first != b) {
            return false;
        }
    }
    let (mut lower, mut upper) = (false, false);
    for (i, word) in s.split(['-', '_']).enumerate() {
        let letters = word.trim_end_matches(|c: char| c.is_ascii_digit());
        if (word.is_empty() && i > 0) || !letters.bytes().all(|b| b.is_ascii_alphabetic()) {
            return false;
        }
        match letters.as_bytes() {
            [] => {}
            l if l.iter().all(u8::is_ascii_lowercase) => lower = true,
            l if l.iter().all(u8::is_ascii_uppercase) => upper = true,
            [first, rest @ ..]
                if first.is_ascii_uppercase() && rest.iter().all(u8::is_ascii_lowercase) =>
            {
                upper = true;
            }
            _ => return false,
        }
    }
    !(lower && upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests() {
        let mut h = Hasher::new(Sri::Sha256);
        h.update(b"ab");
        h.update(b"c");
        let (d, sri) = h.finish();
        assert_eq!(
            d.hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sri, "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
        let mut h = Hasher::new(Sri::Sha384);
        h.update(b"abc");
        assert!(
            h.finish()
                .1
                .starts_with("sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP")
        );
    }

    #[test]
    fn hashed_names() {
        for yes in [
            "assets/index-BaX3_9kQ.js",
            "assets/index-D1x-2aBc.css",
            "main.3b1f9c0e2a7d4f6b8c9d.js",
            "vendor.3b1f9c0e.chunk.js",
            "app-d41d8cd98f.css",
            "inter-latin-400-normal-Cb4Tsa0V.woff2",
            "_next/static/chunks/1pcw6gskne7pf.js",
            // Angular (esbuild, base32), with and without a digit.
            "main-WWICEUJR.js",
            "chunk-SBN7ISVL.js",
            "media/roboto-greek-ext-400-normal-IONFYYIZ.woff2",
            "app/_next/static/abcBuildId/_buildManifest.js",
            // Storybook's story chunks keep a dot in their name; Hugo's processed images.
            "assets/Button.stories-CbhCIe1r.js",
            "img/hero_hu4a14159a13816d00f2b8a1fee57f5995_168023_600x0_resize_q75_h2_box_3.webp",
            "_nuxt/9eeSF3cY.js",
            "assets/nGG6Vz2G-bundle-graph.json",
            "_app/immutable/chunks/CkIvFeiX.js",
            // Vite hashes that hold separators, or words in mixed case styles.
            "assets/x-ER2_FS-b.js",
            "assets/x-DY_xgnyu.js",
            "assets/x-umyc-CDI.js",
            "assets/x-myIcon12.js",
        ] {
            assert!(is_content_hashed(yes), "{yes}");
        }
        for no in [
            "index.html",
            "assets/index-settings.js",
            "about-Overview.js",
            "logo.png",
            "css/base.css",
            "inter-latin-400-normal.woff2",
            "favicon.ico",
            "a-deadbeef.js",
            // Next.js's per-route data keeps its name from build to build.
            "__next.__PAGE__.txt",
            "about/__next.about.__PAGE__.txt",
            "LICENSE_.txt",
            // Hand-named files whose last 8 characters after a `-` only look like Vite's hash.
            "web/cmaps/Adobe-Japan1-0.bcmap",
            "web/cmaps/Adobe-GB1-UCS2.bcmap",
            "web/iccs/CGATS001Compat-v2-micro.icc",
            "theme-two-tone.css",
            "icons-Outline2.css",
            "lib-es2015-1.css",
            "font-Latin1-B.css",
            "lib.es2015-1.css",
            "a.b.c.d.js",
            "photo_hub_cap.jpg",
            ".htaccess",
            // Hand-named files of 8 characters, and a locale name.
            "vendor/bootstrap/scss/_buttons.scss",
            "-buttons.css",
            "build/js/PushMenu.js",
            "build/js/AdminLTE.js",
            ".idea/AdminLTE.iml",
            "lang/summernote-sr-RS-Latin.js",
            "img/Overview-intro.png",
            "css/Layout12-print.css",
            // rustdoc's items, and an HTML page whatever its name.
            "trait.impl/clap_lex/ext/trait.OsStrExt.js",
            "allocator_api2/vec/struct.IntoIter.html",
            "assets/page-BaX3_9kQ.html",
        ] {
            assert!(!is_content_hashed(no), "{no}");
        }
    }
}
