//! File parsers: from the bytes of one file to the references it makes.
//!
//! Each parser is push-style ([`Parser::write`] then [`Parser::finish`]) so the scanner can read a file
//! once, in fixed-size chunks, and feed the same bytes to the hasher and the parser. Parsers never touch
//! the disk and never resolve URLs: they report what the file says, where it says it, with the attributes
//! of the consuming element. Resolution happens in [`crate::graph`].

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Diagnostic, Location};

pub mod css;
pub mod html;
pub mod js;
pub mod vite;

/// What kind of file this is, as far as discovery cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// `.html` / `.htm`: a page.
    Html,
    /// `.css`.
    Css,
    /// `.js` / `.mjs`: parsed for ES-module imports.
    Js,
    /// `.vite/manifest.json` (or `manifest.json` beside a `.vite` build).
    ViteManifest,
    /// Anything else: fingerprinted only.
    Other,
}

impl FileKind {
    /// Picks the kind from a site-relative path (`/` separators).
    pub fn of(rel_path: &str) -> FileKind {
        let name = rel_path.rsplit('/').next().unwrap_or(rel_path);
        if rel_path == ".vite/manifest.json" || rel_path.ends_with("/.vite/manifest.json") {
            return FileKind::ViteManifest;
        }
        let is = |e: &str, names: &[&str]| names.iter().any(|n| e.eq_ignore_ascii_case(n));
        match name.rsplit_once('.').map(|(_, e)| e) {
            Some(e) if is(e, &["html", "htm"]) => FileKind::Html,
            Some(e) if is(e, &["css"]) => FileKind::Css,
            Some(e) if is(e, &["js", "mjs"]) => FileKind::Js,
            _ => FileKind::Other,
        }
    }
}

/// What a reference is, decided by the element or rule that makes it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum RefKind {
    /// `<link rel=stylesheet href>` (not `disabled`).
    Stylesheet,
    /// `<link rel=preload href>`; `attrs.as_` holds its `as`.
    Preload,
    /// `<link rel=modulepreload href>`.
    ModulePreload,
    /// `<link rel~=icon>`, `apple-touch-icon`, `mask-icon`.
    Icon,
    /// `<link rel=manifest>`.
    Manifest,
    /// `<link rel=prefetch>`: for a later navigation; recorded, never hinted.
    Prefetch,
    /// `<script src>`; `attrs.module`, `attrs.async_`, `attrs.defer` say which kind.
    Script,
    /// `<img src>`, `<img srcset>` and `<picture><source srcset>` candidates, `<input type=image src>`.
    Image,
    /// `<video poster>`.
    Poster,
    /// `<video src>`, `<audio src>`, `<source src>`, `<track src>`: media, never hinted.
    Media,
    /// CSS `@import`.
    CssImport,
    /// The one `src` picked from an `@font-face` rule (the first `woff2`, else the first `url()`).
    Font,
    /// Any other CSS `url()` (backgrounds, cursors, masks): recorded, not hinted by default.
    CssUrl,
    /// A static ES-module `import … from "x"`, `export … from "x"`, `import "x"`.
    JsImport,
    /// A dynamic `import("x")` with a string literal: a lazy edge, recorded, never hinted.
    JsDynamicImport,
}

/// One `srcset` candidate: the URL as written and its descriptor (`2x`, `640w`, or empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct SrcsetCandidate {
    /// The URL as written.
    pub url: String,
    /// The descriptor as written, or empty.
    pub descriptor: String,
}

/// Attributes of the consuming element that a hint must copy.
///
/// Strings hold attribute values as written (entity-decoded); `None` means the attribute is absent.
/// `crossorigin` present with no value is `Some("")` (the anonymous mode).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct RefAttrs {
    /// `as` of a `<link rel=preload>`.
    pub as_: Option<Box<str>>,
    /// `crossorigin`.
    pub crossorigin: Option<Box<str>>,
    /// `type` (`module` for module scripts, a MIME type on links and sources).
    pub type_: Option<Box<str>>,
    /// `media`.
    pub media: Option<Box<str>>,
    /// `fetchpriority` (`high`, `low`, `auto`).
    pub fetchpriority: Option<Box<str>>,
    /// `<script type=module>`.
    pub module: bool,
    /// `<script async>`.
    pub async_: bool,
    /// `<script defer>`.
    pub defer: bool,
    /// `<script nomodule>`.
    pub nomodule: bool,
    /// `loading=lazy`.
    pub lazy: bool,
    /// A stylesheet the page applies without blocking rendering: a `<link rel=stylesheet>` whose
    /// `media` does not match until its `onload` changes it (`media=print
    /// onload="this.media='all'"`), a `<link rel=preload as=style>` whose `onload` makes it a
    /// stylesheet, or an `@import` of either.
    pub deferred: bool,
    /// True for the reference an element is hinted by (an `<img>`'s `src`, or its first `srcset`
    /// candidate when it has no `src`); false for the other `srcset` candidates.
    pub primary: bool,
    /// An `<img>` inside a `<picture>` that offers `<source>` candidates: the browser may pick a
    /// source instead of the `<img>`'s own URL.
    pub picture_sources: bool,
    /// `integrity` as written in the HTML.
    pub integrity: Option<Box<str>>,
    /// What only images and fonts have, out of line: a site has hundreds of thousands of references
    /// and most have none of it.
    pub rare: Option<Box<RareAttrs>>,
}

/// The attributes of [`RefAttrs`] that only a few references have.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct RareAttrs {
    /// `srcset` / `imagesrcset` candidates of the element, as written.
    pub srcset: Vec<SrcsetCandidate>,
    /// `sizes` / `imagesizes`.
    pub sizes: Option<String>,
    /// `unicode-range` of an `@font-face`, as inclusive code point ranges; empty means all.
    pub unicode_range: Vec<(u32, u32)>,
    /// The `format()` of a font `src`, when given.
    pub format: Option<String>,
    /// `font-family` of an `@font-face`.
    pub font_family: Option<String>,
    /// `font-style` of an `@font-face`, lowercased, its words joined by one space.
    pub font_style: Option<String>,
    /// `font-weight` of an `@font-face`, lowercased, its words joined by one space.
    pub font_weight: Option<String>,
    /// The `@font-face`'s other `src` URLs, as written (root-relative once the graph resolves
    /// them): the browser fetches none of them when the preferred one loads.
    pub other_sources: Vec<String>,
    /// `unicode_range` holds only the code points that the faces declared after this one in the
    /// same stylesheet, for the same family, style and weight, leave: a browser takes each
    /// character from the last face whose range holds it. Empty then means none.
    pub shadowed: bool,
}

impl RefAttrs {
    /// The rare attributes, created empty if there are none yet.
    pub fn rare_mut(&mut self) -> &mut RareAttrs {
        self.rare.get_or_insert_with(Default::default)
    }

    /// With `srcset` candidates and `sizes` (nothing is stored when both are empty).
    pub fn with_images(mut self, srcset: Vec<SrcsetCandidate>, sizes: Option<String>) -> Self {
        if !srcset.is_empty() || sizes.is_some() {
            let r = self.rare_mut();
            r.srcset = srcset;
            r.sizes = sizes;
        }
        self
    }

    /// `srcset` / `imagesrcset` candidates of the element, as written.
    pub fn srcset(&self) -> &[SrcsetCandidate] {
        self.rare.as_ref().map_or(&[], |r| &r.srcset)
    }

    /// `sizes` / `imagesizes`.
    pub fn sizes(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.sizes.as_deref())
    }

    /// `unicode-range` of an `@font-face`; empty means all.
    pub fn unicode_range(&self) -> &[(u32, u32)] {
        self.rare.as_ref().map_or(&[], |r| &r.unicode_range)
    }

    /// The `format()` of a font `src`, when given.
    pub fn format(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.format.as_deref())
    }

    /// `font-family` of an `@font-face`.
    pub fn font_family(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.font_family.as_deref())
    }

    /// An `@font-face`'s other `src` URLs ([`RareAttrs::other_sources`]).
    pub fn other_sources(&self) -> &[String] {
        self.rare.as_ref().map_or(&[], |r| &r.other_sources)
    }

    /// Whether faces declared after this one take part of its `unicode-range`
    /// ([`RareAttrs::shadowed`]).
    pub fn is_shadowed(&self) -> bool {
        self.rare.as_ref().is_some_and(|r| r.shadowed)
    }

    /// Whether an `@font-face` is for italic or oblique text (its `font-style`).
    pub fn is_slanted_face(&self) -> bool {
        self.rare
            .as_ref()
            .and_then(|r| r.font_style.as_deref())
            .is_some_and(|s| s.starts_with("italic") || s.starts_with("oblique"))
    }

    /// What makes two `@font-face` rules of one family compete for the same text: their
    /// `font-style` and `font-weight` as written.
    pub fn face_descriptors(&self) -> (Option<&str>, Option<&str>) {
        self.rare.as_ref().map_or((None, None), |r| {
            (r.font_style.as_deref(), r.font_weight.as_deref())
        })
    }

    /// The weights an `@font-face` serves, from its `font-weight` (`bold`, `400`, `100 900`;
    /// `normal` when there is none); every weight when the value is not understood (`auto`).
    pub fn face_weights(&self) -> (u16, u16) {
        let Some(words) = self.face_descriptors().1 else {
            return (400, 400);
        };
        let weight = |w: &str| match w {
            "normal" => Some(400),
            "bold" => Some(700),
            _ => w.parse::<f32>().ok().map(|n| n.clamp(1.0, 1000.0) as u16),
        };
        let mut ends = words.split(' ').map(weight);
        match (ends.next().flatten(), ends.next(), ends.next()) {
            (Some(w), None, _) => (w, w),
            (Some(lo), Some(Some(hi)), None) => (lo.min(hi), lo.max(hi)),
            _ => (1, 1000),
        }
    }
}

/// A reference from one file to a URL, as the file says it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reference {
    /// The URL as written (entity-decoded for HTML, escape-decoded for CSS/JS), not resolved.
    pub url: String,
    /// What makes the reference.
    pub kind: RefKind,
    /// A short description for diagnostics, e.g. `<link rel=stylesheet>`, `@import`, `import`.
    pub element: std::borrow::Cow<'static, str>,
    /// Where in the referring file (start of the element or rule).
    pub location: Location,
    /// Attributes copied from the consuming element.
    pub attrs: RefAttrs,
}

/// The set of characters that occur in a page's text, used to pick `unicode-range` font faces.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextChars(pub BTreeSet<char>);

impl TextChars {
    /// True when the inclusive code point `range` overlaps any of `ranges` (an empty list covers
    /// everything).
    pub fn covers(ranges: &[(u32, u32)], range: (u32, u32)) -> bool {
        ranges.is_empty()
            || ranges
                .iter()
                .any(|&(lo, hi)| lo <= range.1 && range.0 <= hi)
    }

    /// True when any character lies in any of the inclusive `ranges` (an empty list covers everything).
    pub fn intersects(&self, ranges: &[(u32, u32)]) -> bool {
        ranges.is_empty() || Self::char_ranges(ranges).any(|r| self.0.range(r).next().is_some())
    }

    /// How many of the characters lie in the inclusive `ranges` (an empty list covers everything;
    /// overlapping ranges count a character once for each).
    pub fn count_in(&self, ranges: &[(u32, u32)]) -> usize {
        if ranges.is_empty() {
            return self.0.len();
        }
        Self::char_ranges(ranges)
            .map(|r| self.0.range(r).count())
            .sum()
    }

    /// The inclusive code point `ranges` as ranges of `char`s, without those that hold none.
    fn char_ranges(
        ranges: &[(u32, u32)],
    ) -> impl Iterator<Item = std::ops::RangeInclusive<char>> + '_ {
        // Surrogates are not `char`s and never occur in text, so an endpoint among them moves to
        // the nearest scalar value inside the range.
        let first = |lo: u32| {
            char::from_u32(if (0xD800..=0xDFFF).contains(&lo) {
                0xE000
            } else {
                lo
            })
        };
        let last = |hi: u32| {
            char::from_u32(match hi {
                0xD800..=0xDFFF => 0xD7FF,
                _ => hi.min(0x10FFFF),
            })
        };
        ranges
            .iter()
            .filter_map(move |&(lo, hi)| match (first(lo), last(hi)) {
                (Some(lo), Some(hi)) if lo <= hi => Some(lo..=hi),
                _ => None,
            })
    }
}

/// The text of a page around which the elements have the same words: its characters outside
/// ASCII, and whether it has others.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextContext {
    /// The class names and ids of the elements around the text, and the element words
    /// ([`element_word`]) of those that rules ask for by name ([`GATING_ELEMENTS`],
    /// [`NAMED_ELEMENTS`], which hold those that browsers give a weight or style of their own),
    /// as [`Words`] holds them, sorted. An element whose end tag is implied
    /// may still count as around text after it, which only adds words.
    pub words: Words,
    /// The characters outside ASCII, sorted, without duplicates (a list: a page has many
    /// contexts, most with a few characters).
    pub chars: Vec<char>,
    /// Some of the text is ASCII other than whitespace, or a text node has whitespace between
    /// other characters (the spaces between words, which a face sets too).
    pub ascii: bool,
}

impl TextContext {
    /// Whether any of its characters lies in any of the inclusive `ranges` (an empty list covers
    /// everything).
    pub fn intersects(&self, ranges: &[(u32, u32)]) -> bool {
        ranges.is_empty()
            || ranges.iter().any(|&(lo, hi)| {
                let at = self.chars.partition_point(|&c| (c as u32) < lo);
                self.chars.get(at).is_some_and(|&c| c as u32 <= hi)
            })
    }
}

/// The words around text of a page's code or form controls, which the parser keeps apart from
/// its [`TextContext`]s.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApartContext {
    /// The words of the elements around the outermost code element or control that the text is
    /// in, as [`TextContext::words`].
    pub outside: Words,
    /// Those, and the words of that element and of the elements inside it: of those around the
    /// text, for a control; of all of them, for code (the parser does not follow the elements
    /// inside code).
    pub words: Words,
}

/// What parsing one file found.
///
/// (De)serializable for the fingerprint cache ([`crate::cache`]), which stores it in a compact binary
/// form where fields are positional: never mark a field `skip_serializing_if`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileFacts {
    /// References in document order.
    pub refs: Vec<Reference>,
    /// The first `<base href>` of an HTML page.
    pub base_href: Option<String>,
    /// `imports` of the page's `<script type=importmap>` (specifier → URL as written).
    pub import_map: BTreeMap<String, String>,
    /// Characters of an HTML page's text (HTML only), but for the text inside its `<pre>` and
    /// `<code>` elements and its form controls ([`FileFacts::code_text`],
    /// [`FileFacts::control_text`]).
    pub text: Option<TextChars>,
    /// Characters of the text inside the page's `<pre>` and `<code>` elements; `None` when it has
    /// none. Browsers set it in `monospace`, so it is in another family only where a rule for
    /// those elements, or for elements inside them, names one ([`FontUse::code_families`]).
    pub code_text: Option<TextChars>,
    /// Characters of the text of the page's form controls (inside `<button>`, `<select>` and
    /// `<textarea>`, and the `placeholder` and `value` of controls), but for code inside them;
    /// `None` when it has none. Browsers give form controls a font of their own, so it is in
    /// another family only where a rule for them names one ([`FontUse::control_families`]).
    pub control_text: Option<TextChars>,
    /// Characters of the page's text that browsers set in italics (in `<em>`, `<i>`, `<cite>`,
    /// `<dfn>`, `<var>`, `<address>`), with U+0020 when there are any (the face that holds the
    /// space gives a line its metrics); `None` when the page has no such element.
    pub italic_text: Option<TextChars>,
    /// Characters of the page's text that browsers set in bold: in headings, `<b>`, `<strong>`,
    /// `<th>` and `<optgroup>` (and in what is inside them), with U+0020 when there are any (as
    /// [`FileFacts::italic_text`]); `None` when it has none.
    pub bold_text: Option<TextChars>,
    /// The characters outside ASCII of the page's text (as `text`), by the words of the elements
    /// around them (a page's only; in the order first seen).
    pub contexts: Vec<TextContext>,
    /// The words around the text of the page's code ([`ApartContext`]), one entry for each
    /// outermost `<pre>` or `<code>` element, each once, sorted: the weights rules give its text.
    /// Empty when the page has no code text ([`FileFacts::code_text`]), or when it gave them up
    /// (as [`FileFacts::contexts`]).
    pub code_contexts: Vec<ApartContext>,
    /// The same for the text of the page's form controls ([`FileFacts::control_text`]), by the
    /// words of the elements around it, as [`FileFacts::contexts`].
    pub control_contexts: Vec<ApartContext>,
    /// The nestings of those elements (outermost first) that the text of `italic_text` is in,
    /// each once: a rule may set one upright ([`FontUse::upright`]).
    pub italic_nestings: Vec<Vec<ItalicElement>>,
    /// The `lang` of the page's `<html>` element (HTML only).
    pub lang: Option<String>,
    /// The parsed `.vite/manifest.json` (Vite manifest only).
    pub vite_manifest: Option<vite::Manifest>,
    /// The font families the file's style rules name (stylesheets, and a page's inline styles).
    pub font_use: FontUse,
    /// Words that may be class names or ids of the page's elements: a page's `class` and `id`
    /// values, the names of its elements that rules may ask for ([`GATING_ELEMENTS`],
    /// [`NAMED_ELEMENTS`]) and the words of its inline scripts' strings; a script's string and
    /// template words.
    pub words: Words,
    /// A page's class names and ids of `<pre>` and `<code>` elements and of the elements inside
    /// them (syntax highlighters' `<span class="c1">`), which are not in [`FileFacts::words`].
    pub code_words: Words,
    /// A page's class names and ids of headings and of the elements inside them, and the names
    /// of the elements inside them that rules may ask for ([`NAMED_ELEMENTS`]): what rules that
    /// may set the weight of a heading's text ask for (also in [`FileFacts::words`] or
    /// [`FileFacts::code_words`]).
    pub heading_words: Words,
    /// Problems found while parsing; `file` is left empty and filled in by the caller. Not serialized:
    /// the scanner moves them out into [`crate::scan::Scanned::diagnostics`], and the cache keeps them there.
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

/// The font families named by `font-family` and `font` declarations, and the custom properties
/// whose values they read with `var()`. A browser fetches an `@font-face` only for text whose style
/// asks for its family, so a face whose family no style of the page names is never fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FontUse {
    /// Every name a declaration may mean, lowercased (CSS compares family names ASCII
    /// case-insensitively), sorted and without duplicates. It may hold more than the families (a
    /// `font` shorthand's other words), never fewer.
    pub names: Vec<String>,
    /// Some value is computed by `env()` or `attr()`, so any family may be asked for.
    pub computed: bool,
    /// Some text may be italic: a `font-style` or `font` declaration of a rule that may apply to
    /// any element says `italic` or `oblique` (or computes its value). Elements that browsers set
    /// in italics are [`FileFacts::italic_text`].
    pub italic: bool,
    /// What the rules for certain elements that set italics ask of them (as [`Gated::any_of`]).
    pub italic_for: Vec<Vec<Vec<String>>>,
    /// Rules that set elements of [`ITALIC_ELEMENTS`] upright: `address { font-style: normal }`.
    pub upright: Vec<Upright>,
    /// `font` shorthands that only `var()`s compute (rustdoc's `body { font: 1rem/1.5
    /// var(--font-family) }`): they set text in italics only if a property they read may hold
    /// `italic` or `oblique` ([`PropDef::slants`]).
    pub var_slants: Vec<VarSlant>,
    /// Names that only rules for certain elements ask for (`.fab { font-family: "Font Awesome 5
    /// Brands" }`), lowercased and sorted, none of them also in [`FontUse::names`].
    pub gated: Vec<Gated>,
    /// For each name of [`FontUse::gated`], the selectors among its rules' that name it only for
    /// generated content (`.nav-link::after { font-family: "Font Awesome 5 Free" }`): the family
    /// sets the content there, an icon, not the text of the element or of those inside it.
    pub generated: Vec<Gated>,
    /// The names of the `font-family` and `font` declarations whose rules may match `<pre>` or
    /// `<code>` elements or elements inside them, lowercased, each with what the rules ask of
    /// such an element (as [`Gated::any_of`], but for the element alone; an empty alternative
    /// asks nothing); the empty name for a value that may mean any family (`inherit`, a `var()`,
    /// a computed one). Browsers set code in `monospace`, so another family reaches its text
    /// ([`FileFacts::code_text`]) only through these.
    pub code_families: Vec<Gated>,
    /// The names of the `font-family` and `font` declarations whose rules may match form
    /// controls or elements inside them, lowercased, sorted (the empty name for a value that may
    /// mean any family). Browsers give `<button>`, `<input>`, `<select>` and `<textarea>` a font
    /// of their own, so another family reaches their text ([`FileFacts::control_text`]) only
    /// through these.
    pub control_families: Vec<String>,
    /// The `font-family` and `font` declarations that read custom properties with `var()`.
    pub var_reads: Vec<VarRead>,
    /// The custom properties whose values a `var()` may read, sorted by property.
    pub props: Vec<PropDef>,
    /// The `font-weight` (and `font`) declarations of rules for certain elements.
    pub weights: Vec<GatedWeight>,
    /// Every `font-weight` (and `font`) declaration.
    pub page_weights: Vec<PageWeight>,
    /// Where each name stands in the comma-separated lists of `font-family` and `font`
    /// declarations that name it (and of their `var()` fallbacks): one entry per name and the
    /// names before it in one list, sorted, without duplicates. A custom property's are its
    /// declaration's ([`PropDef::places`]).
    pub places: Vec<Place>,
    /// The `font-family` and `font` declarations, in the file's order, for the cascade
    /// ([`FamilyDecl`]).
    pub decls: Vec<FamilyDecl>,
    /// The `font-style` and `font` declarations: what they set, for which elements.
    pub styles: Vec<StyleDecl>,
}

/// A `font-style` declaration, or a `font` shorthand, which sets the style too.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StyleDecl {
    /// It surely slants text: `italic` or `oblique`, not computed. Any other value (`normal`,
    /// `inherit`, a `var()`, a shorthand without a style) may set text upright.
    pub italic: bool,
    /// It is outside at-rules and other style rules ([`Cascaded::overrides`]).
    pub overrides: bool,
    /// Its rule's selectors ([`FamilyDecl::selectors`]); empty outside style rules or in a
    /// nested one.
    pub selectors: Vec<RuleSelector>,
}

/// A `font-family` or `font` declaration, for the cascade ([`Cascaded`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FamilyDecl {
    /// The names it may mean, lowercased ([`FontUse::names`]).
    pub names: Vec<String>,
    /// Where it stands in the cascade.
    pub at: Cascaded,
    /// Its names are all it may mean: no `var()` or computed value, no `inherit` or its kin.
    pub fixed: bool,
    /// Its rule's selectors, for the cascade between rules for the same elements; empty for a
    /// declaration outside style rules or in a nested one ([`Cascaded::selectors`]).
    pub selectors: Vec<RuleSelector>,
}

/// One selector of a rule's list, as the cascade between rules of different selectors sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuleSelector {
    /// What it asks of the element it styles and of those around it, as [`Gated::any_of`] with
    /// [`NAMED_ELEMENTS`] counting as names (empty when it may match any element).
    pub any_of: Vec<String>,
    /// Its specificity, ids, classes and element names 10 bits each (`0x00401` for `.a h1`);
    /// `None` when an argument of a pseudo-class counts and was not read (`:not()`, `:is()`).
    pub specificity: Option<u32>,
    /// It asks for nothing but [`RuleSelector::any_of`]: class names, ids and named elements,
    /// joined by descendant combinators; so it matches every element that has those and has
    /// elements around it that have its other names.
    pub exact: bool,
    /// It is for content generated before or after the element.
    pub generated: bool,
    /// It is for the root or `<body>` (`:root`, `html`, `body`, `.dark body`), whose family the
    /// page's text inherits.
    pub root: bool,
}

/// A declaration as the cascade sees it: a later declaration of the same property in a rule with
/// the same selectors (the same elements, the same specificity) overrides it, unless only it is
/// `!important`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cascaded {
    /// Its rule's selectors as written, runs of whitespace made one space; empty for one that
    /// nothing overrides: outside style rules (a `style` attribute), or in a rule nested in
    /// another (whose selectors are relative to the outer one's).
    pub selectors: String,
    /// It says `!important`.
    pub important: bool,
    /// It overrides earlier declarations of its selectors: its rule is outside at-rules (which
    /// may leave it out, or put it in a layer that unlayered rules override) and other rules, and a
    /// browser keeps its value (one it may drop, such as a `font` shorthand without a size,
    /// leaves the earlier declaration in force).
    pub overrides: bool,
}

/// Which of `decls`, in cascade order (each with its property, where it stands, and whether its
/// stylesheet applies on every screen), a later declaration overrides ([`Cascaded`]).
pub fn overridden(decls: &[(&str, &Cascaded, bool)]) -> Vec<bool> {
    // The last declaration that overrides, and the last `!important` one, of each property and
    // selectors.
    let mut last = rustc_hash::FxHashMap::default();
    let mut last_important = rustc_hash::FxHashMap::default();
    for (i, &(prop, at, always)) in decls.iter().enumerate() {
        if always && at.overrides {
            last.insert((prop, at.selectors.as_str()), i);
            if at.important {
                last_important.insert((prop, at.selectors.as_str()), i);
            }
        }
    }
    decls
        .iter()
        .enumerate()
        .map(|(i, &(prop, at, _))| {
            let key = (prop, at.selectors.as_str());
            let after = |last: &rustc_hash::FxHashMap<(&str, &str), usize>| {
                last.get(&key).is_some_and(|&j| j > i)
            };
            !at.selectors.is_empty()
                && if at.important {
                    after(&last_important)
                } else {
                    after(&last) || last_important.contains_key(&key)
                }
        })
        .collect()
}

/// A name in one comma-separated family list, and the names of the entries before it there (none
/// when it comes first, or after only `var()`s and computed values, which may mean any family).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Place {
    /// Lowercased.
    pub name: String,
    /// Lowercased, sorted, without duplicates.
    pub before: Vec<String>,
}

/// A `font-weight` or `font` declaration of a rule for certain elements (`.fas { font-weight:
/// 900 }`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GatedWeight {
    /// What its rule's selectors ask of an element, as [`Gated::any_of`].
    pub any_of: Vec<Vec<String>>,
    /// The weight it sets.
    pub weight: Weight,
}

/// A weight a declaration sets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Weight {
    /// A number (`bold` is 700, `normal` 400).
    Is(u16),
    /// `var(--prop, fallback)`, as Font Awesome 7 sets `font-weight: var(--fa-style, 900)`, and
    /// `var()`s in fallbacks, as Angular Material sets `font-weight:
    /// var(--mat-card-title-text-weight, var(--mat-sys-title-large-weight))`.
    Var {
        /// The custom properties, as written: the first, then the one of its fallback, and so on.
        props: Vec<String>,
        /// The fallback weight of the last, when there is one.
        fallback: Option<u16>,
    },
    /// `bolder`: heavier than the parent's weight.
    Bolder,
    /// `lighter`: lighter than the parent's weight.
    Lighter,
    /// `inherit`, `unset`, `revert`: the parent's weight.
    Inherit,
    /// A `font` shorthand that reads custom properties (Infima's `font:
    /// var(--ifm-font-size-base)/var(--ifm-line-height-base) var(--ifm-font-family-base)`): the
    /// weight it says (`normal` when it says none), unless a property it reads (or one those read)
    /// may hold a weight ([`PropDef::weighs`]).
    Shorthand {
        /// The custom properties its `var()`s read, their fallbacks' included.
        props: Vec<String>,
        /// The weight it says, or 400.
        weight: u16,
    },
    /// Computed otherwise.
    Unknown,
}

/// A `font-weight` (or `font`) declaration, and what its rule's selectors ask of an element, as
/// [`Gated::any_of`] with [`NAMED_ELEMENTS`] counting as names: a weight the page's text may have.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PageWeight {
    /// The elements its rule is for; `None` for any element.
    pub gate: Gate,
    /// The weight it sets.
    pub weight: Weight,
    /// Its rule is for the root or `<body>` only (`body { font-weight: 400 }`): elements that
    /// have a weight of their own, such as headings, do not inherit it.
    pub root: bool,
    /// The elements (as [`element_word`]s) that a selector of its rule names and asks nothing
    /// else of (`strong` in `b, strong`, `h1` in `.h1, h1`), when the rule is outside other rules
    /// and conditional at-rules: for such an element, a later rule of this kind overrides it,
    /// and it overrides browsers' own weight (bold for headings, bolder for `<strong>`).
    pub bare: Vec<String>,
    /// The families (lowercased) that the last `font-family` or `font` declaration of its block
    /// sets, when that names families only (no `var()`, `inherit` or computed value): the text
    /// of the weight is in these (Font Awesome's `.headerlink { font: normal normal normal
    /// 14px/1 FontAwesome }` inside a heading sets no heading text in its family at 400). Empty
    /// when the block sets no family, or one that may be any.
    pub family: Vec<String>,
}

/// What a rule's selectors ask of an element: `None` for a rule that may apply to any element,
/// else as [`Gated::any_of`].
pub type Gate = Option<Vec<Vec<String>>>;

/// The family names of a value and the custom properties it reads: `var(--a, var(--b, X)) Y`
/// names `y` and reads `--a`, whose fallback reads `--b`, whose fallback names `x`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Expr {
    /// Lowercased.
    pub names: Vec<String>,
    /// Its `var()`s.
    pub vars: Vec<VarRef>,
}

/// One `var()`: the property, as written (custom property names are case-sensitive), and what its
/// fallback names and reads.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VarRef {
    /// The custom property.
    pub prop: String,
    /// The fallback, when there is one.
    pub fallback: Option<Expr>,
}

impl Expr {
    /// Names nothing and reads nothing.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.vars.is_empty()
    }

    /// The custom properties its `var()`s read, and those their fallbacks read.
    pub fn props_read(&self) -> Vec<String> {
        self.vars
            .iter()
            .flat_map(|v| {
                std::iter::once(v.prop.clone()).chain(v.fallback.iter().flat_map(Expr::props_read))
            })
            .collect()
    }

    /// Whether `name` (lowercased) is among its names or those of its fallbacks.
    pub fn names_any(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
            || self
                .vars
                .iter()
                .filter_map(|v| v.fallback.as_ref())
                .any(|f| f.names_any(name))
    }
}

/// A `font` shorthand that only `var()`s compute ([`FontUse::var_slants`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VarSlant {
    /// The elements its rule is for, as [`FontUse::italic_for`]'s.
    pub gate: Gate,
    /// The custom properties it reads.
    pub props: Vec<String>,
}

/// The `var()`s of a `font-family` or `font` declaration (its other names are in
/// [`FontUse::names`] or [`FontUse::gated`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VarRead {
    /// Its `var()`s.
    pub vars: Vec<VarRef>,
    /// The elements its rule is for.
    pub gate: Gate,
}

/// A custom property declaration (`--fa-family-brands: "Font Awesome 7 Brands"`): what its value
/// gives a `font-family`, `font` or `font-weight` that reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PropDef {
    /// The property, as written.
    pub prop: String,
    /// The family names its value may mean, and the properties it reads in turn.
    pub value: Expr,
    /// The weight it holds, when it is one (`--fa-style: 900`).
    pub weight: Option<u16>,
    /// Its value is empty (Bootstrap's `--bs-nav-link-font-weight: ;`): a declaration that reads
    /// it has no value, and an inherited property such as `font-weight` keeps the parent's.
    pub empty: bool,
    /// The elements its rule is for (custom properties inherit, so the elements inside them too).
    pub gate: Gate,
    /// Its rule's selectors each ask for the root alone (`:root`, `html`), or in a language
    /// (`:root[lang=ar]`), and it is outside conditional at-rules (`@media`, `@supports`).
    pub on_root: bool,
    /// Where the names of its value stand in their lists ([`FontUse::places`]).
    pub places: Vec<Place>,
    /// Where it stands in the cascade.
    pub at: Cascaded,
    /// Its value may hold a font weight, as part of a `font` shorthand that reads it: an integer
    /// from 1 to 1000, `bold`, `bolder` or `lighter`.
    pub weighs: bool,
    /// Its value may hold `italic` or `oblique`, which a `font` shorthand that reads it would set.
    pub slants: bool,
}

/// The elements whose names a rule's selector may ask for ([`Gated::any_of`]), recorded among a
/// page's [`Words`]: those that rules commonly give a font of their own (a monospace family for
/// code), and that many pages lack. Other element names ask for nothing.
pub const GATING_ELEMENTS: [&str; 5] = ["code", "kbd", "pre", "samp", "tt"];

/// Whether a `media` attribute or `@import` media list always applies on screen: none, `all` or
/// `screen`.
pub fn media_always_applies(media: Option<&str>) -> bool {
    media.is_none_or(|m| {
        let m = m.trim();
        m.is_empty() || m.eq_ignore_ascii_case("all") || m.eq_ignore_ascii_case("screen")
    })
}

/// The elements that browsers set in italics.
pub const ITALIC_ELEMENTS: [&str; 6] = ["address", "cite", "dfn", "em", "i", "var"];

/// The index in [`ITALIC_ELEMENTS`] of an element name (ASCII case-insensitive), if it is one.
pub fn italic_index(name: &str) -> Option<u8> {
    let i = ITALIC_ELEMENTS
        .iter()
        .position(|e| name.eq_ignore_ascii_case(e))?;
    u8::try_from(i).ok()
}

/// An element of [`ITALIC_ELEMENTS`] around italic text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItalicElement {
    /// Which one (its index in [`ITALIC_ELEMENTS`]).
    pub tag: u8,
    /// Its class names and id, as [`Words::hash`]es.
    pub names: Vec<u32>,
}

/// A style rule that sets the elements it matches upright (`font-style: normal`) or in their
/// parent's style (`inherit`), which a browser applies over its own italics for [`ITALIC_ELEMENTS`].
/// Only a rule outside other rules and conditional at-rules (`@media`, `@supports`; `@layer`
/// counts as outside) whose selector is one compound of an element name, class names and ids is
/// kept: it applies to every element that has them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Upright {
    /// The element name, as an index in [`ITALIC_ELEMENTS`]; `None` for any element.
    pub tag: Option<u8>,
    /// The class names and ids the selector asks for, as [`Words::hash`]es.
    pub names: Vec<u32>,
    /// `inherit` (or `unset`): the element takes its parent's style.
    pub inherit: bool,
}

impl Upright {
    /// Whether the rule matches the element.
    pub fn matches(&self, el: &ItalicElement) -> bool {
        self.tag.is_none_or(|t| t == el.tag) && self.names.iter().all(|n| el.names.contains(n))
    }
}

/// Whether text in the nesting `around` (outermost first) of [`ITALIC_ELEMENTS`] is italic
/// under the rules `upright`: its innermost element is, unless a rule sets it upright; with
/// `inherit` the element around it decides.
pub fn italic_under(around: &[ItalicElement], upright: &[&Upright]) -> bool {
    for el in around.iter().rev() {
        let rules = || upright.iter().filter(|u| u.matches(el));
        if rules().next().is_none() {
            return true;
        }
        // With both kinds of rule, whichever wins, `inherit` keeps the most italics.
        if !rules().any(|u| u.inherit) {
            return false;
        }
    }
    false
}

/// Elements that stylesheets commonly set in italics or give a weight, or style text inside
/// (`figure .caption`, `footer { font-style: italic }`), and many pages lack; those browsers set in bold (`<b>`, `<strong>`,
/// headings, `<th>`). A `font-style` or `font-weight` rule for them asks for them by name, as for
/// [`GATING_ELEMENTS`] (they are recorded among a page's [`Words`] too): normalize.css's `dfn {
/// font-style: italic }` slants no text of a page without a `<dfn>`.
pub const NAMED_ELEMENTS: [&str; 37] = [
    "address",
    "article",
    "aside",
    "b",
    "blockquote",
    "button",
    "caption",
    "cite",
    "dd",
    "dfn",
    "dt",
    "em",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "i",
    "label",
    "legend",
    "main",
    "mark",
    "nav",
    "optgroup",
    "q",
    "section",
    "small",
    "strong",
    "summary",
    "th",
    "thead",
    "var",
];

/// The headings. A rule for them asks for them by name, as for [`GATING_ELEMENTS`], when it names a
/// family or sets a weight: sites often give headings a family of their own, in one weight.
pub const HEADINGS: [&str; 6] = ["h1", "h2", "h3", "h4", "h5", "h6"];

/// The elements that browsers set in bold (`font-weight: bold`).
pub const BOLD_ELEMENTS: [&str; 8] = ["h1", "h2", "h3", "h4", "h5", "h6", "optgroup", "th"];

/// The elements that browsers set bolder than their parent (`font-weight: bolder`).
pub const BOLDER_ELEMENTS: [&str; 2] = ["b", "strong"];

/// An element name as a page's [`Words`] and [`Gated::any_of`] hold it: after a `<`, so that a
/// class such as `caption` never stands for a `<caption>` element.
pub fn element_word(name: &str) -> String {
    format!("<{}", name.to_ascii_lowercase())
}

/// The word a rule for the root in language `lang` (`:root[lang=ja]`, `html:lang(zh-Hans)`) asks
/// for, and a page whose `<html lang>` is `lang` or starts with `lang-` has: after a control
/// character ([`LANG_MARK`]), which no class name, id or script word holds.
pub fn lang_word(lang: &str) -> String {
    format!("{LANG_MARK}{}", lang.to_ascii_lowercase())
}

/// What starts a [`lang_word`].
pub const LANG_MARK: char = '\u{1}';

/// The word a rule for elements in language `lang` (`:lang(ja)`, `[lang=ja] .x`) asks for, and an
/// element whose `lang` is `lang` or starts with `lang-` has (the root too): after a control
/// character ([`ELEMENT_LANG_MARK`]), as [`lang_word`].
pub fn element_lang_word(lang: &str) -> String {
    format!("{ELEMENT_LANG_MARK}{}", lang.to_ascii_lowercase())
}

/// What starts an [`element_lang_word`].
pub const ELEMENT_LANG_MARK: char = '\u{2}';

/// The words of a `lang` attribute's value: `word` of the language and of each shorter one (`zh`,
/// `zh-Hans` of `zh-Hans-CN`). None for a value longer than `MAX_LANG_LEN` (64 bytes), which no
/// language tag is (a hostile one with many `-` would make many long words).
pub fn lang_words<'a>(
    lang: &'a str,
    word: fn(&str) -> String,
) -> impl Iterator<Item = String> + 'a {
    let lang = lang.trim_matches(|c: char| c.is_ascii_whitespace());
    let lang = if lang.len() > MAX_LANG_LEN { "" } else { lang };
    lang.match_indices('-')
        .map(move |(end, _)| word(&lang[..end]))
        .chain((!lang.is_empty()).then(|| word(lang)))
}

/// The longest `lang` value whose languages rules may ask for ([`lang_words`]).
const MAX_LANG_LEN: usize = 64;

/// A name that a selector asks of another element than the one it styles (`post` in `.post h1`,
/// `code` in `code span`), as [`Gated::any_of`] holds it: after a space, which no class name or
/// id of an element can hold, so it never equals a name the element itself is asked for; after
/// two when the element is around the one styled (`around`: the selector joins them by
/// descendant and child combinators only, as in those two, not `h2 + p`), so the styled
/// element's text is inside it too.
pub fn context_name(name: &str, around: bool) -> String {
    if around {
        format!("  {name}")
    } else {
        format!(" {name}")
    }
}

/// A name of [`Gated::any_of`] as the page's words hold it, and whether it is asked of the element
/// styled (`false` for a [`context_name`]).
pub fn gate_word(name: &str) -> (&str, bool) {
    match name.strip_prefix(' ') {
        Some(word) => (word.strip_prefix(' ').unwrap_or(word), false),
        None => (name, true),
    }
}

/// A name of [`Gated::any_of`] as the page's words hold it, and whether an element around the
/// styled element's text has it: the styled element itself, or one around it
/// ([`context_name`]).
pub fn gate_around(name: &str) -> (&str, bool) {
    match name.strip_prefix("  ") {
        Some(word) => (word, true),
        None => gate_word(name),
    }
}

/// A family name that only some rules name, and what their elements must have.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Gated {
    /// The name, lowercased.
    pub name: String,
    /// One entry per selector naming it: the class names and ids (without `.` or `#`) that the
    /// last compound of the selector asks of an element, its element name when it is one of
    /// [`GATING_ELEMENTS`] or [`HEADINGS`], and the class prefixes it asks for (`bi-` for `[class^="bi-"]`);
    /// and, as [`context_name`]s, those its other compounds ask of other elements; sorted,
    /// without duplicates.
    pub any_of: Vec<Vec<String>>,
}

/// Sorts entries by name and joins those of one name.
fn join_by_name(gated: &mut Vec<Gated>) {
    gated.sort_by(|a, b| a.name.cmp(&b.name));
    gated.dedup_by(|later, kept| {
        let same = later.name == kept.name;
        if same {
            kept.any_of.append(&mut later.any_of);
        }
        same
    });
    for g in gated {
        g.any_of.sort_unstable();
        g.any_of.dedup();
    }
}

/// The entry of `family` (lowercased) in a list that [`join_by_name`] sorted.
fn named<'a>(gated: &'a [Gated], family: &str) -> Option<&'a Gated> {
    gated
        .binary_search_by(|g| g.name.as_str().cmp(family))
        .ok()
        .map(|i| &gated[i])
}

impl FontUse {
    /// Nothing named and nothing computed.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
            && self.gated.is_empty()
            && self.generated.is_empty()
            && self.var_reads.is_empty()
            && self.props.is_empty()
            && self.weights.is_empty()
            && self.page_weights.is_empty()
            && self.italic_for.is_empty()
            && self.upright.is_empty()
            && self.code_families.is_empty()
            && self.control_families.is_empty()
            && self.places.is_empty()
            && self.decls.is_empty()
            && self.styles.is_empty()
            && !self.computed
            && !self.italic
    }

    /// Adds what `other` names.
    pub fn merge(&mut self, other: FontUse) {
        self.computed |= other.computed;
        self.italic |= other.italic;
        self.var_reads.extend(other.var_reads);
        self.weights.extend(other.weights);
        self.page_weights.extend(other.page_weights);
        self.italic_for.extend(other.italic_for);
        self.upright.extend(other.upright);
        self.var_slants.extend(other.var_slants);
        self.decls.extend(other.decls);
        self.styles.extend(other.styles);
        if !other.generated.is_empty() {
            self.generated.extend(other.generated);
            join_by_name(&mut self.generated);
        }
        if !other.places.is_empty() {
            self.places.extend(other.places);
            self.places.sort_unstable();
            self.places.dedup();
        }
        if other.names.is_empty()
            && other.gated.is_empty()
            && other.props.is_empty()
            && other.code_families.is_empty()
            && other.control_families.is_empty()
        {
            return;
        }
        self.code_families.extend(other.code_families);
        self.control_families.extend(other.control_families);
        self.names.extend(other.names);
        self.gated.extend(other.gated);
        self.props.extend(other.props);
        self.normalize();
    }

    /// Makes its declarations override nothing, as those of styles under a `media` condition;
    /// and, for an element's own (`element`: a `style` attribute, `<font face>`), be overridden by
    /// nothing a rule declares.
    pub fn overrides_nothing(&mut self, element: bool) {
        let decls = self.decls.iter_mut().map(|d| &mut d.at);
        for at in decls.chain(self.props.iter_mut().map(|d| &mut d.at)) {
            at.overrides = false;
            if element {
                at.selectors.clear();
            }
        }
    }

    /// Sorts and deduplicates the names, joins the gated entries of one name, and drops those that
    /// a rule for any element names too.
    pub fn normalize(&mut self) {
        self.names.sort_unstable();
        self.names.dedup();
        let names = &self.names;
        self.gated
            .retain(|g| names.binary_search_by(|n| n.as_str().cmp(&g.name)).is_err());
        join_by_name(&mut self.gated);
        join_by_name(&mut self.code_families);
        self.control_families.sort_unstable();
        self.control_families.dedup();
        // Stable: the declarations of one property keep their order.
        self.props.sort_by(|a, b| a.prop.cmp(&b.prop));
        self.props.dedup();
        self.var_reads.dedup();
        self.weights.dedup();
        self.page_weights.dedup();
        self.italic_for.sort_unstable();
        self.italic_for.dedup();
        self.var_slants.dedup();
        join_by_name(&mut self.generated);
        self.places.sort_unstable();
        self.places.dedup();
    }

    /// The places of `name` (lowercased) in the lists that name it.
    pub fn places_of(&self, name: &str) -> &[Place] {
        let start = self.places.partition_point(|p| p.name.as_str() < name);
        let len = self.places[start..].partition_point(|p| p.name == name);
        &self.places[start..start + len]
    }

    /// The declarations of custom property `prop`.
    pub fn props_of(&self, prop: &str) -> &[PropDef] {
        let start = self.props.partition_point(|d| d.prop.as_str() < prop);
        let len = self.props[start..].partition_point(|d| d.prop == prop);
        &self.props[start..start + len]
    }

    /// What elements a rule that names `family` (lowercased) asks for, when only such rules name it.
    pub fn gate_of(&self, family: &str) -> Option<&Gated> {
        named(&self.gated, family)
    }

    /// The selectors that give `family` (lowercased) only to generated content
    /// ([`FontUse::generated`]).
    pub fn generated_of(&self, family: &str) -> Option<&Gated> {
        named(&self.generated, family)
    }

    /// Whether a style may ask for `family` (an `@font-face`'s `font-family`).
    pub fn may_use(&self, family: &str) -> bool {
        self.may_use_lowercase(&family.to_ascii_lowercase())
    }

    /// [`FontUse::may_use`] for a name already lowercased.
    pub fn may_use_lowercase(&self, family: &str) -> bool {
        self.computed
            || self
                .names
                .binary_search_by(|n| n.as_str().cmp(family))
                .is_ok()
    }
}

/// A set of words (class names, ids, and words of scripts' strings), kept as sorted 32-bit hashes:
/// a collision only makes a word look present, which keeps a font hint that might have been left
/// out, never the other way round.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Words(pub Vec<u32>);

impl Words {
    /// The hash a word is kept as, of its ASCII lowercase: class selectors match without regard
    /// to case in quirks mode, and a match that is too loose only keeps a face.
    pub fn hash(word: &str) -> u32 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = rustc_hash::FxBuildHasher.build_hasher();
        let mut buf = [0u8; 64];
        for chunk in word.as_bytes().chunks(buf.len()) {
            let lower = &mut buf[..chunk.len()];
            lower.copy_from_slice(chunk);
            lower.make_ascii_lowercase();
            h.write(lower);
        }
        let h = h.finish();
        (h ^ (h >> 32)) as u32
    }

    /// Adds a word (call [`Words::seal`] when done adding).
    pub fn add(&mut self, word: &str) {
        if !word.is_empty() {
            self.0.push(Words::hash(word));
        }
    }

    /// Adds a class name, each of its prefixes that ends with `-` or `_` (`bi-`, for
    /// `bi-github`), which attribute selectors of icon fonts ask for (`[class^="bi-"]`), and each
    /// later piece that such a character ends and `-`, `_` or `:` starts (`mono-` for
    /// `md:font-mono-lg`), which substring selectors ask for (`[class*=font-mono-]`).
    pub fn add_class(&mut self, class: &str) {
        self.add(class);
        let mut start = 0;
        for (end, sep) in class.match_indices(['-', '_', ':']) {
            if sep != ":" && end > 0 {
                if end + 1 < class.len() {
                    self.add(&class[..=end]);
                }
                if start > 0 && end > start {
                    self.add(&class[start..=end]);
                }
            }
            start = end + 1;
        }
    }

    /// Adds every word of `text`: its whitespace-separated tokens, and the runs of letters, digits,
    /// `-` and `_` inside them (`class="fab"` in a template string gives `fab`), each with its
    /// prefixes as a class name ([`Words::add_class`]); and the element names of its tags
    /// ([`element_word`]: `<code>` gives `<code`).
    ///
    /// A string of plain words that reads as a sentence (Chart.js's `" are too far apart with
    /// stepSize of "`) names no class: its words are left out, so that Font Awesome's `.far`
    /// does not apply to every page that loads Chart.js (see `reads_as_prose`).
    pub fn add_text(&mut self, text: &str) {
        let prose = reads_as_prose(text);
        for token in text.split(|c: char| c.is_ascii_whitespace()) {
            if token.is_empty() || token.len() > 100 {
                continue;
            }
            let plain = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
            if token.chars().all(plain) {
                if prose {
                    continue;
                }
                self.add_class(token);
            } else {
                self.add(token);
                // A part after `.` or `#` is a selector's class or id (`'.btn .ni'` in a
                // `querySelectorAll`, which finds elements and gives none a class), a file
                // extension or a fragment.
                let mut after = ' ';
                for part in token.split_inclusive(|c: char| !plain(c)) {
                    let sep = part.chars().next_back().filter(|c| !plain(*c));
                    let name = &part[..part.len() - sep.map_or(0, char::len_utf8)];
                    if after != '.' && after != '#' {
                        self.add_class(name);
                    }
                    after = sep.unwrap_or(' ');
                }
                // A tag a script may write (`'<code>'`, `"<pre class=x>"`).
                for (i, _) in token.match_indices('<') {
                    let name = token[i + 1..].split(|c: char| !plain(c)).next();
                    if let Some(name) = name.filter(|n| !n.is_empty()) {
                        self.add(&element_word(name));
                    }
                }
            }
        }
    }

    /// Sorts and deduplicates, after adding.
    pub fn seal(&mut self) {
        self.0.sort_unstable();
        self.0.dedup();
        self.0.shrink_to_fit();
    }

    /// [`Words::seal`]ed.
    pub fn sealed(mut self) -> Words {
        self.seal();
        self
    }

    /// Whether `word` may have been added.
    pub fn contains(&self, word: &str) -> bool {
        self.contains_hash(Words::hash(word))
    }

    /// Whether it has the word whose [`Words::hash`] is `hash` (one word looked up in many lists
    /// is hashed once).
    pub fn contains_hash(&self, hash: u32) -> bool {
        self.0.binary_search(&hash).is_ok()
    }

    /// Nothing added.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Whether a script's string reads as an English sentence rather than class names: it has no
/// markup (`<`, `=`) and at least two different words that class names hardly ever are (`the`,
/// `of`, `with`, `are`…), among three or more.
fn reads_as_prose(text: &str) -> bool {
    const SMALL_WORDS: [&str; 24] = [
        "a", "an", "and", "are", "as", "be", "by", "can", "cannot", "for", "from", "has", "have",
        "is", "it", "must", "not", "of", "or", "that", "the", "this", "to", "with",
    ];
    if text.contains(['<', '=']) {
        return false;
    }
    let mut words = 0;
    let mut small: Vec<&str> = Vec::new();
    for token in text.split_ascii_whitespace() {
        words += 1;
        let word = token.trim_end_matches([',', '.', ':', ';', '!', '?']);
        if let Some(w) = SMALL_WORDS.iter().find(|w| w.eq_ignore_ascii_case(word))
            && !small.contains(w)
        {
            small.push(w);
        }
    }
    words >= 3 && small.len() >= 2
}

/// A push-style parser: feed chunks of the file, then finish.
pub trait Parser {
    /// Feeds the next chunk of the file's bytes. Chunks may split anything, even a UTF-8 sequence.
    fn write(&mut self, chunk: &[u8]);
    /// Ends the input and returns what was found.
    fn finish(self: Box<Self>) -> FileFacts;
}

/// The parser for a kind of file, or `None` for files that are only fingerprinted.
pub fn parser_for(kind: FileKind) -> Option<Box<dyn Parser>> {
    match kind {
        FileKind::Html => Some(Box::new(html::HtmlParser::new())),
        FileKind::Css => Some(Box::new(Buffered::new(css::parse_css))),
        FileKind::Js => Some(Box::new(Buffered::new(js::parse_js))),
        FileKind::ViteManifest => Some(Box::new(Buffered::new(vite::parse_manifest_facts))),
        FileKind::Other => None,
    }
}

/// Parses a whole file at once (tests, inline content).
pub fn parse_bytes(kind: FileKind, bytes: &[u8]) -> FileFacts {
    match parser_for(kind) {
        Some(mut p) => {
            p.write(bytes);
            p.finish()
        }
        None => FileFacts::default(),
    }
}

/// Collects a whole file, then hands its text (lossily decoded UTF-8, BOM removed) to a parse function.
/// CSS and JS need the whole text; they are small next to what they reference.
struct Buffered {
    bytes: Vec<u8>,
    parse: fn(&str) -> FileFacts,
}

impl Buffered {
    fn new(parse: fn(&str) -> FileFacts) -> Self {
        Buffered {
            bytes: Vec::new(),
            parse,
        }
    }
}

impl Parser for Buffered {
    fn write(&mut self, chunk: &[u8]) {
        self.bytes.extend_from_slice(chunk);
    }

    fn finish(self: Box<Self>) -> FileFacts {
        let bytes = self
            .bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&self.bytes);
        let text = String::from_utf8_lossy(bytes);
        (self.parse)(&text)
    }
}

/// Turns a byte offset into a 1-based line and column (columns count characters).
pub fn location_at(text: &str, offset: usize) -> Location {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Location::new(line as u32, col as u32)
}

/// [`location_at`] for many offsets into one text, in linear total time.
///
/// A line-start table finds the line by binary search; the column is counted from the line start, or
/// from the previous query when it lies earlier on the same line, so references found in document order
/// on one long minified line cost O(line) in all rather than O(line) each.
#[derive(Debug)]
pub struct Locator<'a> {
    text: &'a [u8],
    line_starts: Vec<usize>,
    /// The last query: (line index, byte offset, 1-based column).
    last: (usize, usize, u32),
}

impl<'a> Locator<'a> {
    /// Indexes the line starts of `text`.
    pub fn new(text: &'a str) -> Self {
        let text = text.as_bytes();
        let mut line_starts = vec![0];
        line_starts.extend(
            text.iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Locator {
            text,
            line_starts,
            last: (0, 0, 1),
        }
    }

    /// The 1-based line and column (in characters) of byte `offset`; the same answer as [`location_at`].
    pub fn locate(&mut self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let (last_line, last_offset, last_col) = self.last;
        let (from, base) = if line == last_line && offset >= last_offset {
            (last_offset, last_col)
        } else {
            (self.line_starts[line], 1)
        };
        // Count characters as UTF-8 lead bytes, so an offset inside a character cannot panic.
        let chars = self.text[from..offset]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count();
        let col = base + chars as u32;
        self.last = (line, offset, col);
        Location::new(line as u32 + 1, col)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lang_words_are_the_language_and_its_prefixes() {
        let words: Vec<String> =
            super::lang_words(" zh-Hans-CN ", super::element_lang_word).collect();
        assert_eq!(words, ["\u{2}zh", "\u{2}zh-hans", "\u{2}zh-hans-cn"]);
        assert_eq!(super::lang_words("", super::lang_word).count(), 0);
        // A value longer than any language tag, with many `-`, makes no words.
        let hostile = "a-".repeat(50_000);
        assert_eq!(super::lang_words(&hostile, super::lang_word).count(), 0);
    }

    use super::*;

    #[test]
    fn a_sentence_in_a_script_names_no_class() {
        let mut w = Words::default();
        w.add_text(" are too far apart with stepSize of ");
        w.add_text("Cannot read the value");
        w.add_text("far fa-bell is-active");
        w.add_text("<p class=\"note of\">Read the docs to learn more</p>");
        w.seal();
        for word in ["far", "fa-bell", "is-active", "note", "docs"] {
            assert!(w.contains(word), "{word}");
        }
        for word in ["apart", "stepSize", "Cannot", "value"] {
            assert!(!w.contains(word), "{word}");
        }
    }

    #[test]
    fn a_class_brings_its_prefixes() {
        let mut w = Words::default();
        w.add_class("bi-github-alt");
        w.add_class("tablet:font-mono-lg");
        w.add_text("x = 'icon_home' + \"<i class=fa-x>\" + $('.btn .ni,#top').x");
        w.seal();
        for word in [
            "bi-github-alt",
            "bi-",
            "bi-github-",
            "github-",
            "font-",
            "mono-",
            "icon_",
            "icon_home",
            "fa-",
            "fa-x",
            "<i",
        ] {
            assert!(w.contains(word), "{word}");
        }
        for word in [
            "bi",
            "bi-github",
            "-",
            "icon",
            "<class",
            "tablet:",
            "ont-",
            "alt-",
            "ni",
            "top",
        ] {
            assert!(!w.contains(word), "{word}");
        }
    }

    #[test]
    fn face_weights_read_the_descriptor() {
        let face = |weight: Option<&str>| {
            let mut attrs = RefAttrs::default();
            attrs.rare_mut().font_weight = weight.map(str::to_owned);
            attrs.face_weights()
        };
        assert_eq!(face(None), (400, 400));
        assert_eq!(face(Some("bold")), (700, 700));
        assert_eq!(face(Some("normal")), (400, 400));
        assert_eq!(face(Some("300")), (300, 300));
        assert_eq!(face(Some("900 100")), (100, 900));
        assert_eq!(face(Some("auto")), (1, 1000));
    }

    #[test]
    fn kinds() {
        assert_eq!(FileKind::of("index.html"), FileKind::Html);
        assert_eq!(FileKind::of("a/b.HTM"), FileKind::Html);
        assert_eq!(FileKind::of("x.mjs"), FileKind::Js);
        assert_eq!(FileKind::of(".vite/manifest.json"), FileKind::ViteManifest);
        assert_eq!(FileKind::of("manifest.json"), FileKind::Other);
        assert_eq!(FileKind::of("noext"), FileKind::Other);
    }

    #[test]
    fn locations() {
        assert_eq!(location_at("ab\ncd", 4), Location::new(2, 2));
        assert_eq!(location_at("é\nx", 0), Location::new(1, 1));
        assert_eq!(location_at("éa", 3), Location::new(1, 3));
    }

    #[test]
    fn text_chars() {
        let t = TextChars("Hi".chars().collect());
        assert!(t.intersects(&[(0, 0xFF)]));
        assert!(!t.intersects(&[(0x400, 0x4FF)]));
        assert!(t.intersects(&[]));
        // Endpoints that are surrogates or past U+10FFFF.
        let t = TextChars(['a', '\u{E000}'].into_iter().collect());
        assert!(t.intersects(&[(0xD800, 0xE000)]));
        assert!(t.intersects(&[(0x61, 0xDFFF)]));
        assert!(!t.intersects(&[(0xD800, 0xDFFF)]));
        assert!(!t.intersects(&[(0x110000, 0x120000)]));
        assert!(t.intersects(&[(0xE000, 0x120000)]));
        assert_eq!(t.count_in(&[(0x61, 0xDFFF)]), 1);
        assert_eq!(t.count_in(&[(0, 0x60), (0xD800, 0x120000)]), 1);
        assert_eq!(t.count_in(&[]), 2);
        assert_eq!(t.count_in(&[(0xD800, 0xDFFF)]), 0);
    }
}
