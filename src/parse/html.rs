//! HTML discovery: one streaming pass over a page with lol_html.
//!
//! This module owns what a page says about its sub-resources: the [`Reference`]s made by the
//! elements a browser fetches from (`<link>`, `<script src>`, `<img>`, `<picture><source>`,
//! `<video>`, …), the first `<base href>`, the `imports` of `<script type=importmap>`, the CSS of
//! inline `<style>` and `style=""` (handed to [`super::css::parse_css`]), the imports of inline
//! `<script type=module>` (handed to [`super::js::parse_js`]), the font families the page's own
//! styles name (inline CSS, `<font face>`, SVG `font-family`), and the set of characters in the
//! page's text (for `unicode-range` font selection). It does not resolve URLs, read other files or
//! decide what is hinted.
//!
//! Choices, and why:
//! - **Streaming.** [`HtmlParser::write`] takes chunks split anywhere (even inside a UTF-8 sequence
//!   or a tag) and feeds them to an [`lol_html::HtmlRewriter`] that lives in the parser. Handlers share
//!   one `Arc<Mutex<State>>` (the `Send` flavour of lol_html, so a parser can move between threads;
//!   the lock is never contended). Memory stays bounded: only the first 1 KiB is held back (to sniff
//!   the encoding), inline `<style>` / module / import-map text is buffered until its text node
//!   ends, and the bytes between the last reported position and the end of the input are kept to
//!   count columns. Every chunking gives the same facts; the tests check sizes 1 to 64.
//! - **Encoding** follows the WHATWG sniffing order as far as a streaming parser can: a BOM wins
//!   (UTF-8, UTF-16LE/BE); UTF-16 is transcoded to UTF-8 with an `encoding_rs` decoder before lol_html
//!   sees it, because lol_html only handles ASCII-compatible encodings. Without a BOM, a prescan of the
//!   first 1024 bytes (the spec's prescan window) looks for `<meta charset>` or
//!   `<meta http-equiv=content-type>`; when it finds none, lol_html's `adjust_charset_on_meta_tag`
//!   still switches on a later `<meta>`. The default is UTF-8; bad bytes decode to U+FFFD.
//!   lol_html decodes attribute values and text with the current encoding, so URLs come out as
//!   Unicode whatever the page's charset. It leaves character references alone, so those are
//!   decoded here, in attribute values (`href="a?x=1&amp;y=2"`) and, for the text characters, in text.
//! - **Locations** are 1-based line:column of the element's `<`, columns counted in characters of the
//!   page's encoding (for UTF-16 input, of the transcoded stream, which has the same characters).
//!   Line and column are resolved as lol_html reports positions, which it does in document order,
//!   so no table of line offsets is kept. Refs found by the CSS and JS parsers inside inline text are
//!   re-based onto the page; refs from a `style=""` attribute carry the element's location.
//! - **Inert content.** Refs and text inside `<template>` are ignored (its content is not rendered or
//!   fetched), except in a declarative shadow root (`<template shadowrootmode>`), which the parser
//!   attaches and renders. `<noscript>` content is ignored too: lol_html parses it as raw text, as
//!   a browser does with scripting enabled, which is when hints matter; a scripting-disabled visit
//!   may fetch more.
//! - **Not references:** empty or whitespace-only URLs, and `data:` URLs (nothing to fetch or hint,
//!   and they can be megabytes long). Scripts whose `type` is neither a JavaScript MIME type,
//!   `module` nor `importmap` are data blocks, per the HTML spec.
//! - **Errors never abort.** lol_html runs with `strict = false` and a generous memory limit; if it
//!   still fails, a `html-parse` warning is recorded and what was found so far is returned.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use encoding_rs::{
    CoderResult, Decoder, Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, X_USER_DEFINED,
};
use lol_html::errors::RewritingError;
use lol_html::html_content::{Attribute, Comment, EndTag, TextChunk, TextType};
use lol_html::send::{DocumentContentHandlers, Element, ElementContentHandlers, HtmlRewriter};
use lol_html::{AsciiCompatibleEncoding, MemorySettings, OutputSink, Selector};
use rustc_hash::{FxHashMap, FxHashSet};

use super::{
    ApartContext, FileFacts, FontUse, ITALIC_ELEMENTS, ItalicElement, Parser, RefAttrs, RefKind,
    Reference, SrcsetCandidate, TextChars, TextContext, Words,
};
use crate::error::{Diagnostic, Location, Severity};

/// Bytes held back to sniff the encoding: the WHATWG prescan looks at the first 1024 bytes.
const PRESCAN_LEN: usize = 1024;

/// lol_html buffers a whole start tag when it spans chunks, so a page with a huge attribute (an
/// inlined `data:` image, a big `srcset`) needs room; this is far above any sane page yet bounded.
const MEMORY_LIMIT: usize = 256 << 20;

/// Elements the element handler acts on, by tag name; any other element only for its class names
/// and id ([`record_names`]) and its `style`, `font-family` and `hidden` attributes
/// ([`ATTRIBUTES`]). Elements rules may ask for by name
/// ([`GATING_ELEMENTS`](crate::parse::GATING_ELEMENTS),
/// [`NAMED_ELEMENTS`](crate::parse::NAMED_ELEMENTS)) and those browsers set in italics
/// ([`ITALIC_ELEMENTS`]) are acted on too.
///
/// The handler is registered for every element (`*`) rather than for a list of these: lol_html
/// compiles its selectors for every page, and compiling a list of some sixty names cost more
/// than calling the handler for the elements it does not need. `picture > source` is not used
/// either: a child combinator makes lol_html track the open elements of the whole page;
/// `<picture>` nesting is counted instead. `placeholder` and `value` are only rendered on the
/// listed elements.
const ELEMENTS: &[&str] = &[
    "html",
    "link",
    "script",
    "img",
    "picture",
    "source",
    "video",
    "audio",
    "track",
    "input",
    "area",
    "textarea",
    "button",
    "select",
    "base",
    "style",
    "template",
    "title",
    "meta",
    "astro-island",
    "font",
    "details",
    "summary",
    "dialog",
    "pre",
    "code",
];

/// Attributes that make the element handler act on any element.
const ATTRIBUTES: &[&str] = &["style", "font-family", "hidden"];

/// Whether the element handler acts on an element with this tag name.
fn acts_on(tag: &str) -> bool {
    ELEMENTS.contains(&tag)
        || ITALIC_ELEMENTS.contains(&tag)
        || crate::parse::GATING_ELEMENTS.contains(&tag)
        || crate::parse::NAMED_ELEMENTS.contains(&tag)
}

/// Elements whose end tag may be left out (the next start tag closes them). lol_html reports only
/// end tags that are written, so a count of open hidden elements would never come down for them:
/// their `hidden` is not followed, and their text counts, as a preload too many costs less than
/// a face missed for the rest of the page.
const END_TAG_OPTIONAL: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "rt", "rp", "tr", "td", "th", "thead", "tbody",
    "tfoot", "colgroup", "caption", "html", "head", "body",
];

/// The JavaScript MIME type essences (<https://mimesniff.spec.whatwg.org/#javascript-mime-type>).
const JS_MIME_TYPES: &[&str] = &[
    "application/ecmascript",
    "application/javascript",
    "application/x-ecmascript",
    "application/x-javascript",
    "text/ecmascript",
    "text/javascript",
    "text/javascript1.0",
    "text/javascript1.1",
    "text/javascript1.2",
    "text/javascript1.3",
    "text/javascript1.4",
    "text/javascript1.5",
    "text/jscript",
    "text/livescript",
    "text/x-ecmascript",
    "text/x-javascript",
];

type Shared = Arc<Mutex<State>>;
type Rewriter = HtmlRewriter<'static, Discard>;

/// Streaming HTML parser: feed it a page in chunks of any size, then [`Parser::finish`].
pub struct HtmlParser {
    shared: Shared,
    /// The first bytes, held until [`PRESCAN_LEN`] are seen (or the input ends); `None` once started.
    head: Option<Vec<u8>>,
    /// Transcodes UTF-16 input to UTF-8 before lol_html sees it.
    utf16: Option<Decoder>,
    /// `None` before the start and after lol_html failed.
    rewriter: Option<Rewriter>,
    /// lol_html's memory limit ([`MEMORY_LIMIT`]; lowered by tests to reach the failure path).
    memory_limit: usize,
}

impl HtmlParser {
    /// A parser for one document.
    pub fn new() -> Self {
        HtmlParser {
            shared: Arc::new(Mutex::new(State::default())),
            head: Some(Vec::new()),
            utf16: None,
            rewriter: None,
            memory_limit: MEMORY_LIMIT,
        }
    }

    /// Sniffs the encoding from the held-back head, builds the rewriter and feeds it the head.
    fn start(&mut self) {
        let Some(head) = self.head.take() else {
            return;
        };
        let (encoding, bom_len) = match head.as_slice() {
            [0xEF, 0xBB, 0xBF, ..] => (UTF_8, 3),
            [0xFF, 0xFE, ..] => (UTF_16LE, 2),
            [0xFE, 0xFF, ..] => (UTF_16BE, 2),
            _ => (UTF_8, 0),
        };
        let (encoding, adjust) = if bom_len > 0 {
            (encoding, false)
        } else {
            match prescan(&head) {
                Some(found) => (found, false),
                None => (UTF_8, true),
            }
        };
        let body = &head[bom_len..];
        if encoding == UTF_16LE || encoding == UTF_16BE {
            self.utf16 = Some(encoding.new_decoder_without_bom_handling());
            self.rewriter = Some(build_rewriter(
                &self.shared,
                UTF_8,
                false,
                self.memory_limit,
            ));
        } else {
            lock(&self.shared).positions.encoding = encoding;
            lock(&self.shared).meta_switch_pending = adjust;
            self.rewriter = Some(build_rewriter(
                &self.shared,
                encoding,
                adjust,
                self.memory_limit,
            ));
        }
        self.input(body, false);
    }

    /// Passes bytes on, through the UTF-16 decoder when there is one.
    fn input(&mut self, bytes: &[u8], last: bool) {
        let Some(decoder) = self.utf16.as_mut() else {
            feed(&mut self.rewriter, &self.shared, bytes);
            return;
        };
        let mut src = bytes;
        loop {
            let mut out = String::with_capacity(16 * 1024);
            let (result, read, _) = decoder.decode_to_string(src, &mut out, last);
            src = &src[read..];
            feed(&mut self.rewriter, &self.shared, out.as_bytes());
            if result == CoderResult::InputEmpty {
                break;
            }
        }
    }
}

impl Default for HtmlParser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser for HtmlParser {
    fn write(&mut self, mut chunk: &[u8]) {
        if let Some(head) = self.head.as_mut() {
            let take = (PRESCAN_LEN - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if head.len() < PRESCAN_LEN {
                return;
            }
            self.start();
        }
        self.input(chunk, false);
    }

    fn finish(mut self: Box<Self>) -> FileFacts {
        self.start();
        if self.utf16.is_some() {
            self.input(&[], true);
        }
        if let Some(rewriter) = self.rewriter.take()
            && let Err(e) = rewriter.end()
        {
            parse_failed(&self.shared, &e);
        }
        let mut st = std::mem::take(&mut *lock(&self.shared));
        if let Some(raw) = st.raw.take() {
            st.finish_raw(raw);
        }
        flush_picture_sources(&mut st);
        st.flush_text();
        st.close_code_block();
        let keeps_apart = st.keeps_apart();
        let [code_contexts, control_contexts] =
            [st.code_contexts, st.control_contexts].map(|kept| {
                let mut kept: Vec<_> = kept.into_iter().filter(|_| keeps_apart).collect();
                kept.sort_unstable();
                kept.into_iter()
                    .map(|(outside, words)| ApartContext {
                        outside: Words(outside),
                        words: Words(words),
                    })
                    .collect()
            });
        FileFacts {
            refs: st.refs,
            base_href: st.base_href,
            lang: st.lang,
            import_map: st.import_map,
            text: Some(TextChars(st.chars.into_set())),
            code_text: st.code_chars.map(|c| TextChars(c.into_set())),
            control_text: st.control_chars.map(|c| TextChars(c.into_set())),
            italic_text: st.italic_chars.map(CharSet::with_space),
            bold_text: st.bold_chars.map(CharSet::with_space),
            contexts: if st.contexts_given_up {
                Vec::new()
            } else {
                text_contexts(st.context_index, st.contexts)
            },
            code_contexts,
            control_contexts,
            italic_nestings: st.italic_nestings,
            vite_manifest: None,
            font_use: st.font_use,
            words: st.words.sealed(),
            code_words: st.code_words.sealed(),
            heading_words: st.heading_words.sealed(),
            diagnostics: st.diagnostics,
        }
    }
}

/// Parses a whole page at once.
pub fn parse_html(bytes: &[u8]) -> FileFacts {
    let mut parser = Box::new(HtmlParser::new());
    parser.write(bytes);
    parser.finish()
}

/// The output sink: discovery only reads, so lol_html's output is dropped.
struct Discard;

impl OutputSink for Discard {
    fn handle_chunk(&mut self, _chunk: &[u8]) {}
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

fn feed(rewriter: &mut Option<Rewriter>, shared: &Shared, bytes: &[u8]) {
    let Some(rw) = rewriter.as_mut() else {
        return;
    };
    if bytes.is_empty() {
        return;
    }
    lock(shared).positions.push(bytes);
    if let Err(e) = rw.write(bytes) {
        // A failed rewriter is poisoned and must not be used again: stop here, keep what was found.
        *rewriter = None;
        parse_failed(shared, &e);
    }
}

fn parse_failed(shared: &Shared, e: &RewritingError) {
    let mut st = lock(shared);
    let at = st.positions.current();
    st.diagnostics.push(
        Diagnostic::new(
            Severity::Warning,
            "html-parse",
            "",
            format!("HTML parsing stopped ({e}); references after this point are not reported"),
        )
        .at(at),
    );
}

/// The selectors, parsed once per process: lol_html takes them as `Cow<'static, Selector>`, and
/// parsing them for every page cost more than some of the discovery itself.
static ANY_ELEMENT: LazyLock<Selector> = LazyLock::new(|| parse_selector("*"));
static RAW_TEXT_SELECTOR: LazyLock<Selector> = LazyLock::new(|| parse_selector("style, script"));
static META_SELECTOR: LazyLock<Selector> = LazyLock::new(|| parse_selector("meta"));

fn parse_selector(s: &str) -> Selector {
    s.parse().expect("constant selectors are valid")
}

fn build_rewriter(
    shared: &Shared,
    encoding: &'static Encoding,
    adjust: bool,
    memory_limit: usize,
) -> Rewriter {
    let encoding =
        AsciiCompatibleEncoding::new(encoding).unwrap_or_else(AsciiCompatibleEncoding::utf_8);
    let (s2, s3, s4, s5) = (
        shared.clone(),
        shared.clone(),
        shared.clone(),
        shared.clone(),
    );
    let settings = lol_html::send::Settings::new_send()
        .with_encoding(encoding)
        .with_strict(false)
        .with_adjust_charset_on_meta_tag(adjust)
        .with_memory_settings(MemorySettings::new().with_max_allowed_memory_usage(memory_limit))
        .append_element_content_handler((
            Cow::Borrowed(&*ANY_ELEMENT),
            ElementContentHandlers::default().element(move |el: &mut Element<'_, '_>| {
                on_element(&s2, el);
                Ok(())
            }),
        ))
        .append_element_content_handler((
            Cow::Borrowed(&*RAW_TEXT_SELECTOR),
            ElementContentHandlers::default().text(move |t: &mut TextChunk<'_>| {
                on_raw_text(&s3, t);
                Ok(())
            }),
        ))
        .append_document_content_handler(
            DocumentContentHandlers::default()
                .text(move |t: &mut TextChunk<'_>| {
                    on_text(&s4, t);
                    Ok(())
                })
                .comments(move |c: &mut Comment<'_>| {
                    // Only to move the position tracker along, so it holds few bytes.
                    lock(&s5).positions.at(c.source_location().bytes().start);
                    Ok(())
                }),
        );
    HtmlRewriter::new(settings, Discard)
}

/// Looks for a charset declaration in the first [`PRESCAN_LEN`] bytes (a stand-in for the WHATWG
/// prescan, using lol_html's tokenizer so comments and scripts are skipped as a browser would).
///
/// A head without the bytes `<meta` (in any case) has no `<meta>` start tag, so it is not
/// tokenized at all; otherwise tokenizing stops at the first usable declaration.
fn prescan(head: &[u8]) -> Option<&'static Encoding> {
    if !head.windows(5).any(|w| w.eq_ignore_ascii_case(b"<meta")) {
        return None;
    }
    let found: Cell<Option<&'static Encoding>> = Cell::new(None);
    {
        let settings = lol_html::Settings::new()
            .with_strict(false)
            .append_element_content_handler((
                Cow::Borrowed(&*META_SELECTOR),
                lol_html::ElementContentHandlers::default().element(
                    |el: &mut lol_html::html_content::Element<'_, '_>| {
                        let a = Attrs::of(el, head, 0);
                        found.set(meta_encoding(
                            a.get("charset"),
                            a.get("http-equiv"),
                            a.get("content"),
                        ));
                        // An error stops the tokenizer: the first declaration wins.
                        match found.get() {
                            Some(_) => Err("found".into()),
                            None => Ok(()),
                        }
                    },
                ),
            ));
        let mut rewriter = lol_html::HtmlRewriter::new(settings, Discard);
        if rewriter.write(head).is_ok() {
            let _ = rewriter.end();
        }
    }
    // The spec's fix-ups: a UTF-16 label in a page that has no BOM means UTF-8, and
    // x-user-defined means windows-1252.
    found.get().map(|e| match e {
        e if e == UTF_16LE || e == UTF_16BE => UTF_8,
        e if e == X_USER_DEFINED => WINDOWS_1252,
        e => e,
    })
}

/// The encoding a `<meta>` declares, as lol_html reads it: `charset`, else
/// `http-equiv=content-type` with a `charset` in `content`; only ASCII-compatible ones count
/// (after mapping, UTF-16 labels are left to [`prescan`]).
fn meta_encoding(
    charset: Option<String>,
    http_equiv: Option<String>,
    content: Option<String>,
) -> Option<&'static Encoding> {
    let usable = |e: &'static Encoding| {
        (e.is_ascii_compatible() || e == UTF_16LE || e == UTF_16BE).then_some(e)
    };
    charset
        .and_then(|c| Encoding::for_label_no_replacement(c.as_bytes()))
        .and_then(usable)
        .or_else(|| {
            if !http_equiv?
                .trim_matches(is_ascii_ws)
                .eq_ignore_ascii_case("content-type")
            {
                return None;
            }
            let content = content?;
            let label = charset_from_content(&content)?;
            Encoding::for_label_no_replacement(label.as_bytes()).and_then(usable)
        })
}

/// The WHATWG "algorithm for extracting a character encoding from a meta element".
fn charset_from_content(content: &str) -> Option<&str> {
    let bytes = content.as_bytes();
    let mut pos = 0;
    loop {
        let found = bytes[pos..]
            .windows(7)
            .position(|w| w.eq_ignore_ascii_case(b"charset"))?;
        pos += found + 7;
        while bytes.get(pos).is_some_and(|&b| is_ascii_ws_byte(b)) {
            pos += 1;
        }
        if bytes.get(pos) != Some(&b'=') {
            continue;
        }
        pos += 1;
        while bytes.get(pos).is_some_and(|&b| is_ascii_ws_byte(b)) {
            pos += 1;
        }
        return match bytes.get(pos)? {
            &q @ (b'"' | b'\'') => {
                let len = bytes[pos + 1..].iter().position(|&b| b == q)?;
                Some(&content[pos + 1..pos + 1 + len])
            }
            _ => {
                let len = bytes[pos..]
                    .iter()
                    .position(|&b| is_ascii_ws_byte(b) || b == b';')
                    .unwrap_or(bytes.len() - pos);
                Some(&content[pos..pos + len])
            }
        };
    }
}

// ---------------------------------------------------------------------------------------------
// Shared state and handlers
// ---------------------------------------------------------------------------------------------

/// Everything the handlers collect.
#[derive(Default)]
struct State {
    refs: Vec<Reference>,
    base_href: Option<String>,
    /// `lang` of `<html>`.
    lang: Option<String>,
    import_map: BTreeMap<String, String>,
    diagnostics: Vec<Diagnostic>,
    /// Font families named by inline styles.
    font_use: FontUse,
    /// Class names and ids of the page's elements, and words of its inline scripts' strings.
    words: Words,
    /// Class names and ids of `<pre>` and `<code>` elements and of the elements inside them.
    code_words: Words,
    /// Open `<pre>` and `<code>` elements.
    code_depth: usize,
    /// Class names and ids of headings and of the elements inside them, and the element names
    /// of those ([`FileFacts::heading_words`]).
    heading_words: Words,
    /// Open headings.
    heading_depth: usize,
    chars: CharSet,
    entities: EntityDecoder,
    /// The characters of the text inside `<pre>` and `<code>` elements, once one is seen, and
    /// its entities, decoded on their own.
    code_chars: Option<CharSet>,
    code_entities: EntityDecoder,
    /// Open `<button>`, `<select>` and `<textarea>` elements.
    control_depth: usize,
    /// The characters of form controls' text ([`FileFacts::control_text`]), and its entities.
    control_chars: Option<CharSet>,
    control_entities: EntityDecoder,
    positions: Positions,
    /// Open `<template>` elements: their content is inert.
    template_depth: usize,
    /// Open `<title>` elements: their text is not rendered in the page.
    title_depth: usize,
    /// Open elements that are not rendered: `hidden`, `style="display: none"`, a `<dialog>`
    /// without `open`.
    hidden_depth: usize,
    /// Open elements that browsers set in italics (`<em>`, `<i>`, `<cite>`, `<dfn>`, `<var>`,
    /// `<address>`), outermost first.
    italic_open: Vec<ItalicElement>,
    /// Each nesting of them that text was seen in, once ([`FileFacts::italic_nestings`]).
    italic_nestings: Vec<Vec<ItalicElement>>,
    /// The characters of their text, once one is seen.
    italic_chars: Option<CharSet>,
    /// Entities of that text, decoded on their own.
    italic_entities: EntityDecoder,
    /// Open `<b>`, `<strong>`, `<th>` and `<optgroup>` elements (headings are `heading_depth`).
    bold_depth: usize,
    /// The characters of the text of those and of headings ([`FileFacts::bold_text`]), once one
    /// is seen, and its entities, decoded on their own.
    bold_chars: Option<CharSet>,
    bold_entities: EntityDecoder,
    /// The words of the open elements that have class names, an id, or an element word that rules
    /// ask for ([`open_context`]), outermost first; where each one's start; and which entry of
    /// `contexts` holds the text that they are around, once text needs it.
    context: Words,
    context_starts: Vec<usize>,
    context_at: Option<usize>,
    /// The page's text (not code nor form controls) by the words of the elements around it
    /// ([`FileFacts::contexts`]): its characters outside ASCII and whether it has others; and
    /// each set of words, with the entry of `contexts` that holds its text.
    contexts: Vec<(Vec<char>, bool)>,
    context_index: FxHashMap<Vec<u32>, usize>,
    /// The text node being read has whitespace, and other characters, so far.
    node_space: bool,
    node_other: bool,
    /// The words the contexts keep so far, and whether a context had more than
    /// [`MAX_CONTEXT_WORDS`] or they came to more than [`MAX_CONTEXTS_WORDS`] (hostile nesting): then
    /// the page keeps no contexts, which leaves every face its text asks for.
    context_words: usize,
    contexts_given_up: bool,
    /// The outermost `<pre>` or `<code>` element open now: the words around its text
    /// ([`CodeBlock`]).
    code_block: Option<CodeBlock>,
    /// How many of the words of the elements open now ([`State::context`]) are those of the
    /// elements around the outermost form control open now, once one is.
    control_outside: usize,
    /// The words around the text of the page's code and of its form controls, each pair once
    /// ([`FileFacts::code_contexts`], [`FileFacts::control_contexts`]: those of the elements
    /// around the outermost code element or control, and all of them, each sorted); how many
    /// words they keep; and whether one had more than [`MAX_CONTEXT_WORDS`] or they came to more
    /// than [`MAX_CONTEXTS_WORDS`], when the page keeps none of them.
    code_contexts: FxHashSet<(Vec<u32>, Vec<u32>)>,
    control_contexts: FxHashSet<(Vec<u32>, Vec<u32>)>,
    apart_words: usize,
    apart_given_up: bool,
    /// The words of the elements open now are kept as a control context.
    control_context_kept: bool,
    /// Open `<details>` without `open`: only their `<summary>` is rendered.
    closed_details_depth: usize,
    /// Open `<summary>` elements inside a closed `<details>`.
    summary_depth: usize,
    /// Open `<picture>` elements: a `<source>` in one offers image candidates.
    picture_depth: usize,
    /// A `<source srcset>` was seen in the `<picture>` open now.
    picture_has_source: bool,
    /// The `<source>`s of the `<picture>` open now, held until its `<img>` says how the image is
    /// asked for (or until the next `<picture>`, or the end, for one without).
    picture_sources: Vec<PictureSource>,
    /// The `<picture>` open now has had its `<img>`.
    picture_img_seen: bool,
    /// The inline `<style>` / `<script>` whose text is being collected.
    raw: Option<RawText>,
    /// lol_html will switch encoding on the first usable `<meta>` charset; the column counter follows.
    meta_switch_pending: bool,
}

/// An outermost `<pre>` or `<code>` element being read, whose text the parser keeps apart from
/// the page's contexts: the words of the elements around it; those and its own and those of the
/// elements inside it (which are not on the stack of open elements' words, [`State::context`]);
/// whether it has text; and whether it had more than [`MAX_CONTEXT_WORDS`] words (a listing
/// with an `id` for each line), when the page's code and control contexts are given up.
#[derive(Default)]
struct CodeBlock {
    outside: Vec<u32>,
    words: Vec<u32>,
    text: bool,
    overflow: bool,
}

impl CodeBlock {
    /// Adds words, dropping repeats when they grow (a highlighted listing has an element for
    /// each token, most with the same few classes).
    fn extend(&mut self, words: impl Iterator<Item = u32>) {
        if self.overflow {
            return;
        }
        self.words.extend(words);
        if self.words.len() > 2 * MAX_CONTEXT_WORDS {
            self.words.sort_unstable();
            self.words.dedup();
            if self.words.len() > MAX_CONTEXT_WORDS {
                self.overflow = true;
                self.words = Vec::new();
            }
        }
    }
}

/// Inline text being collected until its text node ends.
struct RawText {
    kind: RawKind,
    /// The element's location.
    at: Location,
    /// Where the text starts (right after the start tag).
    origin: Location,
    text: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RawKind {
    /// `always`: its `media` always applies ([`super::media_always_applies`]).
    Style {
        always: bool,
    },
    ModuleScript,
    ImportMap,
    /// A classic script or a data block, without `src`.
    OtherScript,
}

/// What a `<script>` is, from its `type` (HTML spec, "prepare the script element").
#[derive(Clone, Copy, PartialEq, Eq)]
enum ScriptType {
    Classic,
    Module,
    ImportMap,
    /// Any other type: a data block, never fetched or run.
    Data,
}

impl State {
    /// Ends a text node: a character reference still being read is resolved as it stands.
    fn flush_text(&mut self) {
        if self.entities.pending.is_some() {
            match self.context_entry() {
                Some(i) => self.entities.flush(&mut WithContext {
                    chars: &mut self.chars,
                    context: &mut self.contexts[i].0,
                }),
                None => self.entities.flush(&mut self.chars),
            }
        }
        if let Some(code) = self.code_chars.as_mut() {
            self.code_entities.flush(code);
        }
        if let Some(control) = self.control_chars.as_mut() {
            self.control_entities.flush(control);
        }
        if let Some(italic) = self.italic_chars.as_mut() {
            self.italic_entities.flush(italic);
        }
        if let Some(bold) = self.bold_chars.as_mut() {
            self.bold_entities.flush(bold);
        }
    }

    /// The entry of `contexts` for the words of the elements open now; `None` once the page's
    /// contexts are given up ([`State::contexts_given_up`]).
    fn context_entry(&mut self) -> Option<usize> {
        if let Some(i) = self.context_at {
            return Some(i);
        }
        if self.contexts_given_up {
            return None;
        }
        let mut key = self.context.0.clone();
        key.sort_unstable();
        key.dedup();
        if key.len() > MAX_CONTEXT_WORDS {
            self.contexts_given_up = true;
            return None;
        }
        let i = match self.context_index.entry(key) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                self.context_words += e.key().len();
                if self.context_words > MAX_CONTEXTS_WORDS {
                    self.contexts_given_up = true;
                    return None;
                }
                self.contexts.push((Vec::new(), false));
                *e.insert(self.contexts.len() - 1)
            }
        };
        self.context_at = Some(i);
        Some(i)
    }

    /// Keeps `words`, those around text of code (`code`) or of a form control, with `outside`,
    /// those of them around the outermost code element or control, as one of the page's code or
    /// control contexts, unless they are given up ([`State::apart_given_up`]).
    fn keep_apart(&mut self, code: bool, mut outside: Vec<u32>, mut words: Vec<u32>) {
        if !self.keeps_apart() {
            return;
        }
        for w in [&mut outside, &mut words] {
            w.sort_unstable();
            w.dedup();
        }
        let kept = if code {
            &mut self.code_contexts
        } else {
            &mut self.control_contexts
        };
        let key = (outside, words);
        if kept.contains(&key) {
            return;
        }
        self.apart_words += key.0.len() + key.1.len();
        if key.1.len() > MAX_CONTEXT_WORDS || self.apart_words > MAX_CONTEXTS_WORDS {
            self.apart_given_up = true;
            return;
        }
        kept.insert(key);
    }

    /// Whether the page still keeps code and control contexts: neither they nor the page's
    /// contexts were given up (hostile nesting), which leaves their weights unknown anyway.
    fn keeps_apart(&self) -> bool {
        !self.apart_given_up && !self.contexts_given_up
    }

    /// The first `outside` words of the elements open now ([`State::context`]: those of the
    /// elements around an outermost code element or control), and all of them.
    fn context_split(&self, outside: usize) -> (Vec<u32>, Vec<u32>) {
        let words = &self.context.0;
        (words[..outside.min(words.len())].to_vec(), words.clone())
    }

    /// Ends the outermost code element being read: the words around its text are kept, if it
    /// had text.
    fn close_code_block(&mut self) {
        match self.code_block.take() {
            Some(block) if block.overflow => self.apart_given_up = true,
            Some(block) if block.text => self.keep_apart(true, block.outside, block.words),
            _ => {}
        }
    }

    /// Starts reading an outermost code element whose own words are `own` ([`CodeBlock`]),
    /// until its end tag.
    fn open_code_block(
        &mut self,
        shared: &Shared,
        el: &mut Element<'_, '_>,
        outside: usize,
        own: Vec<u32>,
    ) {
        self.close_code_block();
        if !self.keeps_apart() {
            return;
        }
        let (outside, words) = self.context_split(outside);
        let mut block = CodeBlock {
            outside,
            words,
            ..CodeBlock::default()
        };
        block.extend(own.into_iter());
        let s = shared.clone();
        let registered = el.on_end_tag(Box::new(move |_: &mut EndTag<'_>| {
            lock(&s).close_code_block();
            Ok(())
        }));
        if registered.is_ok() {
            self.code_block = Some(block);
        }
    }

    /// Starts collecting the text of an inline `<style>` or `<script>` (the element at `at`, its
    /// text from byte `text_start`).
    fn collect_raw(&mut self, kind: RawKind, at: Location, text_start: usize) {
        let origin = self.positions.at(text_start);
        self.raw = Some(RawText {
            kind,
            at,
            origin,
            text: String::new(),
        });
    }

    /// Whether text here is rendered: not in a plain `<template>`, a hidden element, or a closed
    /// `<details>` outside its `<summary>`.
    fn renders_text(&self) -> bool {
        self.template_depth == 0
            && self.hidden_depth == 0
            && (self.closed_details_depth == 0 || self.summary_depth > 0)
    }

    fn push(
        &mut self,
        url: String,
        kind: RefKind,
        element: impl Into<std::borrow::Cow<'static, str>>,
        at: Location,
        attrs: RefAttrs,
    ) {
        self.refs.push(Reference {
            url,
            kind,
            element: element.into(),
            location: at,
            attrs,
        });
    }

    /// Parses collected inline text and records what it references.
    fn finish_raw(&mut self, raw: RawText) {
        match raw.kind {
            RawKind::Style { always } => {
                let mut facts = super::css::parse_css(&raw.text);
                if !always {
                    // A rule that applies on some screens only does not set text upright.
                    facts.font_use.upright.clear();
                    facts.font_use.overrides_nothing(false);
                }
                self.append_inline(facts, raw.origin, |_| true);
            }
            RawKind::ModuleScript => {
                let facts = super::js::parse_js(&raw.text);
                self.append_inline(facts, raw.origin, |k| {
                    matches!(k, RefKind::JsImport | RefKind::JsDynamicImport)
                });
            }
            // Only for the class names it may give elements (a classic script's imports are not
            // module imports; a data block's strings may be templates).
            RawKind::OtherScript => {
                let mut facts = super::js::parse_js(&raw.text);
                self.words.0.append(&mut facts.words.0);
            }
            RawKind::ImportMap => self.read_import_map(&raw),
        }
    }

    fn append_inline(
        &mut self,
        facts: FileFacts,
        origin: Location,
        keep: impl Fn(RefKind) -> bool,
    ) {
        for mut r in facts.refs.into_iter().filter(|r| keep(r.kind)) {
            r.location = rebase(r.location, origin);
            self.refs.push(r);
        }
        for mut d in facts.diagnostics {
            d.location = rebase(d.location, origin);
            self.diagnostics.push(d);
        }
        self.font_use.merge(facts.font_use);
        let mut words = facts.words;
        self.words.0.append(&mut words.0);
    }

    /// Merges an import map's `imports`; the first map to define a specifier wins, as when a
    /// browser merges several import maps.
    fn read_import_map(&mut self, raw: &RawText) {
        let value: serde_json::Value = match serde_json::from_str(&raw.text) {
            Ok(v) => v,
            Err(e) => {
                let at = if e.line() > 0 {
                    rebase(
                        Location::new(to_u32(e.line()), to_u32(e.column())),
                        raw.origin,
                    )
                } else {
                    raw.at
                };
                self.warn_import_map(at, format!("the import map is not valid JSON: {e}"));
                return;
            }
        };
        let Some(map) = value.as_object() else {
            self.warn_import_map(raw.at, "the import map is not a JSON object".to_string());
            return;
        };
        let imports = match map.get("imports") {
            None => return,
            Some(serde_json::Value::Object(imports)) => imports,
            Some(_) => {
                self.warn_import_map(
                    raw.at,
                    "the import map's \"imports\" is not an object".into(),
                );
                return;
            }
        };
        for (specifier, address) in imports {
            match address.as_str() {
                Some(address) => {
                    self.import_map
                        .entry(specifier.clone())
                        .or_insert_with(|| address.to_string());
                }
                None => self.warn_import_map(
                    raw.at,
                    format!("the import map's address for {specifier:?} is not a string"),
                ),
            }
        }
    }

    fn warn_import_map(&mut self, at: Location, message: String) {
        self.diagnostics
            .push(Diagnostic::new(Severity::Warning, "bad-importmap", "", message).at(at));
    }
}

/// Maps a location inside inline text onto the page, given where the text starts.
fn rebase(inner: Location, origin: Location) -> Location {
    match inner.line {
        0 => origin,
        1 => Location::new(origin.line, origin.col + inner.col.max(1) - 1),
        n => Location::new(origin.line.saturating_add(n - 1), inner.col),
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn on_element(shared: &Shared, el: &mut Element<'_, '_>) {
    let mut guard = lock(shared);
    let st = &mut *guard;
    let tag = el.tag_name();
    let first_word = st.words.0.len();
    let first_code_word = st.code_words.0.len();
    let outside = st.context.0.len();
    record_names(st, el, &tag);
    // Rules may ask for these by name ([`GATING_ELEMENTS`](crate::parse::GATING_ELEMENTS),
    // [`NAMED_ELEMENTS`](crate::parse::NAMED_ELEMENTS)).
    if crate::parse::GATING_ELEMENTS.contains(&tag.as_str())
        || crate::parse::NAMED_ELEMENTS.contains(&tag.as_str())
    {
        let word = crate::parse::element_word(&tag);
        if st.heading_depth > 0 {
            st.heading_words.add(&word);
        }
        st.words.add(&word);
    }
    open_context(st, shared, el, first_word);
    // The element's class names, id and element word, which rules may ask for.
    let own = |st: &State| -> Vec<u32> {
        let code = &st.code_words.0[first_code_word..];
        st.words.0[first_word..]
            .iter()
            .chain(code)
            .copied()
            .collect()
    };
    // Inside code, they are around its text.
    if st.code_block.is_some() {
        let own = own(st);
        if let Some(block) = st.code_block.as_mut() {
            block.extend(own.into_iter());
        }
    }
    if !acts_on(&tag) && !ATTRIBUTES.iter().any(|name| el.has_attribute(name)) {
        return;
    }
    let range = el.source_location().bytes();
    let at = st.positions.at(range.start);
    match tag.as_str() {
        "meta" => {
            // Mirror lol_html's own charset switch (first usable declaration, wherever it is)
            // so columns after it are counted in the new encoding.
            if st.meta_switch_pending
                && let Some(e) = {
                    let a = Attrs::of(el, &st.positions.tail, st.positions.base);
                    meta_encoding(a.get("charset"), a.get("http-equiv"), a.get("content"))
                }
                && e.is_ascii_compatible()
            {
                st.positions.at(range.end);
                st.positions.encoding = e;
                st.meta_switch_pending = false;
            }
            return;
        }
        "template" => {
            // A declarative shadow root is rendered like the rest of the page; a plain template's
            // content is inert, and so is everything inside it.
            let shadow_root = st.template_depth == 0
                && el.get_attribute("shadowrootmode").is_some_and(|mode| {
                    let mode = mode.trim_matches(is_ascii_ws);
                    mode.eq_ignore_ascii_case("open") || mode.eq_ignore_ascii_case("closed")
                });
            if !shadow_root {
                count_open(st, shared, el, |st| &mut st.template_depth);
            }
            return;
        }
        "style" | "script" => {
            // Text of an earlier element that had none (`<style></style>`) is complete now.
            if let Some(raw) = st.raw.take() {
                st.finish_raw(raw);
            }
        }
        _ => {}
    }
    if st.template_depth > 0 {
        return;
    }
    match tag.as_str() {
        "title" => {
            count_open(st, shared, el, |st| &mut st.title_depth);
        }
        "pre" | "code" => {
            if st.code_depth == 0 {
                st.open_code_block(shared, el, outside, own(st));
            }
            count_open(st, shared, el, |st| &mut st.code_depth);
        }
        t if crate::parse::HEADINGS.contains(&t) => {
            count_open(st, shared, el, |st| &mut st.heading_depth);
        }
        "b" | "strong" | "th" | "optgroup" => {
            count_open(st, shared, el, |st| &mut st.bold_depth);
        }
        "button" | "select" | "textarea" => {
            if st.control_depth == 0 {
                st.control_outside = outside;
            }
            count_open(st, shared, el, |st| &mut st.control_depth);
        }
        "details" if !el.has_attribute("open") => {
            count_open(st, shared, el, |st| &mut st.closed_details_depth);
        }
        "summary" if st.closed_details_depth > 0 => {
            count_open(st, shared, el, |st| &mut st.summary_depth);
        }
        // Browsers set these in italics: their text may use italic faces.
        t if st.renders_text() && ITALIC_ELEMENTS.contains(&t) => open_italic(st, shared, el, t),
        "picture" => {
            count_open(st, shared, el, |st| &mut st.picture_depth);
            flush_picture_sources(st);
            st.picture_has_source = false;
            st.picture_img_seen = false;
        }
        _ => {}
    }
    let hidden = is_hidden(el, &tag);
    if hidden {
        count_open(st, shared, el, |st| &mut st.hidden_depth);
    }
    let a = Attrs::of(el, &st.positions.tail, st.positions.base);
    match tag.as_str() {
        // In `<picture>` a `<source>` offers image candidates; in media elements, a file.
        "source" if st.picture_depth > 0 => on_picture_source(st, &a, at),
        "link" => on_link(st, &a, at),
        "script" => on_script(st, &a, at, range.end),
        "img" => on_img(st, &a, at),
        "input" => {
            if a.is("type", "image")
                && let Some(url) = a.url("src")
            {
                let attrs = RefAttrs {
                    lazy: a.is("loading", "lazy"),
                    fetchpriority: a.val("fetchpriority"),
                    crossorigin: a.val("crossorigin"),
                    primary: true,
                    ..RefAttrs::default()
                };
                st.push(url, RefKind::Image, "<input type=image>", at, attrs);
            }
        }
        "video" | "audio" | "track" | "source" => {
            if tag == "video"
                && let Some(url) = a.url("poster")
            {
                let attrs = RefAttrs {
                    crossorigin: a.val("crossorigin"),
                    primary: true,
                    ..RefAttrs::default()
                };
                st.push(url, RefKind::Poster, "<video poster>", at, attrs);
            }
            if let Some(url) = a.url("src") {
                let attrs = RefAttrs {
                    crossorigin: a.val("crossorigin"),
                    type_: a.val("type"),
                    media: a.val("media"),
                    primary: true,
                    ..RefAttrs::default()
                };
                st.push(url, RefKind::Media, format!("<{tag}>"), at, attrs);
            }
        }
        "html" => {
            if st.lang.is_none()
                && let Some(lang) = a.get("lang")
            {
                let lang = lang.trim_matches(is_ascii_ws);
                // Rules for the root in a language (`:root[lang=ja]`, `:lang(zh-Hans)`) ask for
                // it as a word.
                for word in super::lang_words(lang, super::lang_word) {
                    st.words.add(&word);
                }
                st.lang = Some(lang.to_string());
            }
        }
        "astro-island" => on_astro_island(st, &a, at),
        "base" => {
            if st.base_href.is_none()
                && let Some(href) = a.get("href")
            {
                st.base_href = Some(href.trim_matches(is_ascii_ws).to_string());
            }
        }
        "style" => {
            // `type` other than empty or text/css: the browser does not apply the sheet.
            let css = a.get("type").is_none_or(|t| {
                let t = t.trim_matches(is_ascii_ws);
                t.is_empty() || t.eq_ignore_ascii_case("text/css")
            });
            if css {
                let always = super::media_always_applies(a.get("media").as_deref());
                st.collect_raw(RawKind::Style { always }, at, range.end);
            }
        }
        _ => {}
    }
    if !hidden && st.renders_text() && collect_attribute_text(st, &a, &tag) && st.keeps_apart() {
        // Its words are around that text, with those of the elements around it.
        // Outside a control, all of those are around the field.
        let outside = if st.control_depth > 0 {
            st.control_outside
        } else {
            usize::MAX
        };
        let (around, mut words) = st.context_split(outside);
        words.extend(own(st));
        st.keep_apart(false, around, words);
    }
    if let Some(decls) = a.get("style")
        && !decls.trim_matches(is_ascii_ws).is_empty()
    {
        // A declaration list is not a stylesheet: wrap it in a rule so the CSS parser reads it.
        let mut facts = super::css::parse_css(&format!("*{{{decls}}}"));
        facts.font_use.overrides_nothing(true);
        for mut r in facts.refs {
            r.location = at;
            st.refs.push(r);
        }
        for mut d in facts.diagnostics {
            d.location = at;
            st.diagnostics.push(d);
        }
        st.font_use.merge(facts.font_use);
    }
    // Families named outside CSS: `<font face>`, and SVG's `font-family` presentation attribute.
    let face = if tag == "font" { a.get("face") } else { None };
    for families in face.into_iter().chain(a.get("font-family")) {
        let mut facts = super::css::parse_css(&format!("*{{font-family:{families}}}"));
        facts.font_use.overrides_nothing(true);
        st.font_use.merge(facts.font_use);
    }
}

fn on_link(st: &mut State, a: &Attrs<'_, '_>, at: Location) {
    let rel = a.get("rel").unwrap_or_default().to_ascii_lowercase();
    let tokens: Vec<&str> = rel.split(is_ascii_ws).filter(|t| !t.is_empty()).collect();
    let has = |t: &str| tokens.contains(&t);
    let href = a.url("href");
    // Stylesheets loaded without blocking rendering and applied once loaded (loadCSS, Beasties):
    // `media=print onload="this.media='all'"` and `rel=preload as=style
    // onload="this.rel='stylesheet'"`.
    let onload = a.get("onload").unwrap_or_default();
    if has("stylesheet")
        && !has("alternate")
        && !a.has("disabled")
        && let Some(url) = &href
    {
        let media = a.val("media");
        let deferred = onload.contains("media") && !super::media_always_applies(media.as_deref());
        let attrs = RefAttrs {
            // Its rules apply on every screen once its `onload` has changed its `media`.
            media: media.filter(|_| !deferred),
            deferred,
            crossorigin: a.val("crossorigin"),
            integrity: a.val("integrity"),
            type_: a.val("type"),
            primary: true,
            ..RefAttrs::default()
        };
        st.push(
            url.clone(),
            RefKind::Stylesheet,
            "<link rel=stylesheet>",
            at,
            attrs,
        );
    }
    if has("preload") {
        // An image preload may name its candidates in `imagesrcset` and have no `href`.
        let srcset = a.srcset("imagesrcset");
        let url = href
            .clone()
            .or_else(|| srcset.first().map(|c| c.url.clone()));
        if let Some(url) = url {
            let attrs = RefAttrs {
                as_: a.val("as"),
                type_: a.val("type"),
                crossorigin: a.val("crossorigin"),
                media: a.val("media"),
                fetchpriority: a.val("fetchpriority"),
                integrity: a.val("integrity"),
                primary: true,
                ..RefAttrs::default()
            }
            .with_images(srcset, a.get("imagesizes"));
            // The stylesheet its `onload` makes of it, after the preload that fetches it.
            let sheet = (a.is("as", "style") && onload.contains("stylesheet")).then(|| {
                let sheet = RefAttrs {
                    media: attrs.media.clone(),
                    crossorigin: attrs.crossorigin.clone(),
                    integrity: attrs.integrity.clone(),
                    deferred: true,
                    primary: true,
                    ..RefAttrs::default()
                };
                (url.clone(), sheet)
            });
            st.push(url, RefKind::Preload, "<link rel=preload>", at, attrs);
            if let Some((url, sheet)) = sheet {
                st.push(
                    url,
                    RefKind::Stylesheet,
                    "<link rel=preload onload>",
                    at,
                    sheet,
                );
            }
        }
    }
    if has("modulepreload")
        && let Some(url) = &href
    {
        let attrs = RefAttrs {
            crossorigin: a.val("crossorigin"),
            integrity: a.val("integrity"),
            primary: true,
            ..RefAttrs::default()
        };
        st.push(
            url.clone(),
            RefKind::ModulePreload,
            "<link rel=modulepreload>",
            at,
            attrs,
        );
    }
    let icon = tokens.iter().find(|t| {
        matches!(
            **t,
            "icon" | "apple-touch-icon" | "apple-touch-icon-precomposed" | "mask-icon"
        )
    });
    if let (Some(icon), Some(url)) = (icon, &href) {
        let attrs = RefAttrs {
            type_: a.val("type"),
            media: a.val("media"),
            primary: true,
            ..RefAttrs::default()
        };
        st.push(
            url.clone(),
            RefKind::Icon,
            format!("<link rel={icon}>"),
            at,
            attrs,
        );
    }
    // Recorded for `explain` (and existence checks), never hinted.
    for (rel, kind) in [
        ("manifest", RefKind::Manifest),
        ("prefetch", RefKind::Prefetch),
    ] {
        if has(rel)
            && let Some(url) = &href
        {
            let attrs = RefAttrs {
                crossorigin: a.val("crossorigin"),
                primary: true,
                ..RefAttrs::default()
            };
            st.push(url.clone(), kind, format!("<link rel={rel}>"), at, attrs);
        }
    }
}

fn script_type(a: &Attrs<'_, '_>) -> ScriptType {
    let declared = match a.get("type") {
        Some(t) => t,
        None => match a.get("language") {
            Some(l) if !l.is_empty() => format!("text/{l}"),
            _ => return ScriptType::Classic,
        },
    };
    let t = declared.trim_matches(is_ascii_ws).to_ascii_lowercase();
    if t.is_empty() || JS_MIME_TYPES.contains(&t.as_str()) {
        ScriptType::Classic
    } else if t == "module" {
        ScriptType::Module
    } else if t == "importmap" {
        ScriptType::ImportMap
    } else {
        ScriptType::Data
    }
}

fn on_script(st: &mut State, a: &Attrs<'_, '_>, at: Location, tag_end: usize) {
    let kind = script_type(a);
    let module = kind == ScriptType::Module;
    if let (ScriptType::Classic | ScriptType::Module, Some(url)) = (kind, a.url("src")) {
        let attrs = RefAttrs {
            type_: if module {
                Some("module".into())
            } else {
                a.val("type")
            },
            module,
            async_: a.has("async"),
            defer: a.has("defer"),
            nomodule: a.has("nomodule"),
            crossorigin: a.val("crossorigin"),
            integrity: a.val("integrity"),
            fetchpriority: a.val("fetchpriority"),
            primary: true,
            ..RefAttrs::default()
        };
        let element = if module {
            "<script type=module>"
        } else {
            "<script>"
        };
        st.push(url, RefKind::Script, element, at, attrs);
        return;
    }
    if a.has("src") {
        // External import maps are not supported by browsers: only inline ones count.
        return;
    }
    let inline = match kind {
        ScriptType::Module => RawKind::ModuleScript,
        ScriptType::ImportMap => RawKind::ImportMap,
        ScriptType::Classic | ScriptType::Data => RawKind::OtherScript,
    };
    st.collect_raw(inline, at, tag_end);
}

fn on_img(st: &mut State, a: &Attrs<'_, '_>, at: Location) {
    let srcset = a.srcset("srcset");
    let lazy = a.is("loading", "lazy");
    let fetchpriority = a.val("fetchpriority");
    let crossorigin = a.val("crossorigin");
    let sizes = a.get("sizes");
    if st.picture_depth > 0 && !st.picture_img_seen {
        // The `<picture>`'s sources come before its `<img>`, which says how the image is asked
        // for: a source the browser always takes is asked for that way.
        st.picture_img_seen = true;
        let sources = std::mem::take(&mut st.picture_sources);
        let asked = RefAttrs {
            lazy,
            fetchpriority: fetchpriority.clone(),
            crossorigin: crossorigin.clone(),
            ..RefAttrs::default()
        };
        let taken = PictureSource::always_taken(&sources);
        for source in sources {
            push_picture_source(st, source, taken.then_some(&asked));
        }
    }
    let mut others = srcset.iter();
    // The primary reference is `src`, else the first candidate.
    let primary = match a.url("src") {
        Some(src) => Some(src),
        None => others.next().map(|c| c.url.clone()),
    };
    let Some(primary) = primary else {
        return;
    };
    let rest: Vec<String> = others.map(|c| c.url.clone()).collect();
    let attrs = RefAttrs {
        lazy,
        fetchpriority: fetchpriority.clone(),
        crossorigin: crossorigin.clone(),
        primary: true,
        picture_sources: st.picture_depth > 0 && st.picture_has_source,
        ..RefAttrs::default()
    }
    .with_images(srcset, sizes.clone());
    st.push(primary, RefKind::Image, "<img>", at, attrs);
    for url in rest {
        let attrs = RefAttrs {
            lazy,
            fetchpriority: fetchpriority.clone(),
            crossorigin: crossorigin.clone(),
            primary: false,
            ..RefAttrs::default()
        }
        .with_images(Vec::new(), sizes.clone());
        st.push(url, RefKind::Image, "<img>", at, attrs);
    }
}

/// Whether the element is not rendered, and its text with it: `hidden` (also `until-found`, whose
/// text is not painted until found), `style="display: none"`, or a `<dialog>` that is not `open`.
fn is_hidden(el: &Element<'_, '_>, tag: &str) -> bool {
    if END_TAG_OPTIONAL.contains(&tag) {
        return false;
    }
    el.has_attribute("hidden")
        || (tag == "dialog" && !el.has_attribute("open"))
        || el
            .get_attribute("style")
            .is_some_and(|decls| displays_none(&decls))
}

/// Whether a `style` attribute's declarations set `display: none`.
fn displays_none(decls: &str) -> bool {
    let mut none = false;
    for decl in decls.split(';') {
        if let Some((name, value)) = decl.split_once(':')
            && name
                .trim_matches(is_ascii_ws)
                .eq_ignore_ascii_case("display")
        {
            // A later declaration wins.
            let value = value.trim_matches(is_ascii_ws);
            let value = value
                .strip_suffix("!important")
                .map_or(value, |v| v.trim_matches(is_ascii_ws));
            none = value.eq_ignore_ascii_case("none");
        }
    }
    none
}

/// Counts an element as open in the counter `depth` picks, until its end tag. An element that
/// cannot have an end tag is not counted (it could never be uncounted).
fn count_open(
    st: &mut State,
    shared: &Shared,
    el: &mut Element<'_, '_>,
    depth: fn(&mut State) -> &mut usize,
) {
    let s = shared.clone();
    let registered = el.on_end_tag(Box::new(move |_: &mut EndTag<'_>| {
        let mut st = lock(&s);
        let d = depth(&mut st);
        *d = d.saturating_sub(1);
        Ok(())
    }));
    if registered.is_ok() {
        *depth(st) += 1;
    }
}

/// The most words (of nested elements) one context of a page's text keeps ([`State::context`]).
const MAX_CONTEXT_WORDS: usize = 512;

/// The most words all the contexts of a page's text keep together.
const MAX_CONTEXTS_WORDS: usize = 1 << 20;

/// The page's [`TextContext`]s, in the order their words first held text: each set of words
/// ([`State::context_index`]) with its text, characters sorted and without repeats.
fn text_contexts(
    index: FxHashMap<Vec<u32>, usize>,
    texts: Vec<(Vec<char>, bool)>,
) -> Vec<TextContext> {
    let mut words = vec![Vec::new(); texts.len()];
    for (key, i) in index {
        words[i] = key;
    }
    words
        .into_iter()
        .zip(texts)
        .filter(|(_, (chars, ascii))| *ascii || !chars.is_empty())
        .map(|(words, (mut chars, ascii))| {
            chars.sort_unstable();
            chars.dedup();
            chars.shrink_to_fit();
            TextContext {
                words: Words(words),
                chars,
                ascii,
            }
        })
        .collect()
}

/// Puts the words of an element that may hold text (those [`on_element`] added to the page's
/// words from `first_word` on: its class names, id and element word) on the stack of open
/// elements' words ([`State::context`]) until its end tag, or the end tag of an element around it
/// (whose end implies its own).
fn open_context(st: &mut State, shared: &Shared, el: &mut Element<'_, '_>, first_word: usize) {
    if st.code_depth > 0
        || st.template_depth > 0
        || st.words.0.len() == first_word
        || !el.can_have_content()
    {
        return;
    }
    let s = shared.clone();
    let level = st.context_starts.len();
    let registered = el.on_end_tag(Box::new(move |_: &mut EndTag<'_>| {
        let mut st = lock(&s);
        if st.context_starts.len() > level {
            let start = st.context_starts[level];
            st.context.0.truncate(start);
            st.context_starts.truncate(level);
            st.context_at = None;
            st.control_context_kept = false;
        }
        Ok(())
    }));
    if registered.is_ok() {
        st.context_starts.push(st.context.0.len());
        let State { words, context, .. } = st;
        context.0.extend_from_slice(&words.0[first_word..]);
        st.context_at = None;
        st.control_context_kept = false;
    }
}

/// Counts an element that browsers set in italics (one of [`ITALIC_ELEMENTS`]) as open until its
/// end tag, with its class names and id, which rules that set it upright may ask for.
fn open_italic(st: &mut State, shared: &Shared, el: &mut Element<'_, '_>, tag: &str) {
    let Some(tag) = super::italic_index(tag) else {
        return;
    };
    st.italic_chars.get_or_insert_with(CharSet::default);
    let s = shared.clone();
    let registered = el.on_end_tag(Box::new(move |_: &mut EndTag<'_>| {
        lock(&s).italic_open.pop();
        Ok(())
    }));
    if registered.is_err() {
        return;
    }
    let mut names = Vec::new();
    for attr in el.attributes() {
        let name = attr.name_preserve_case();
        if name.eq_ignore_ascii_case("class") {
            let classes = attr.value();
            let classes = classes.split(is_ascii_ws).filter(|c| !c.is_empty());
            names.extend(classes.map(Words::hash));
        } else if name.eq_ignore_ascii_case("id") {
            names.push(Words::hash(&attr.value()));
        }
    }
    st.italic_open.push(ItalicElement { tag, names });
}

/// An Astro island: Astro's inline loader `import()`s the island's `renderer-url` and
/// `component-url` as modules, at once for `client="load"` and `client="only"` (so they are entry
/// modules of the page, hinted with their static imports), later for `idle`, `visible` and `media`
/// (recorded as lazy, like any `import()`).
fn on_astro_island(st: &mut State, a: &Attrs<'_, '_>, at: Location) {
    let client = a.get("client").unwrap_or_default().to_ascii_lowercase();
    let eager = client == "load" || client == "only";
    for name in ["renderer-url", "component-url"] {
        let Some(url) = a.url(name) else { continue };
        let (kind, attrs) = if eager {
            let attrs = RefAttrs {
                type_: Some("module".into()),
                module: true,
                primary: true,
                ..RefAttrs::default()
            };
            (RefKind::Script, attrs)
        } else {
            let attrs = RefAttrs {
                primary: true,
                ..RefAttrs::default()
            };
            (RefKind::JsDynamicImport, attrs)
        };
        st.push(
            url,
            kind,
            format!("<astro-island client={client}>"),
            at,
            attrs,
        );
    }
}

/// A `<picture>`'s `<source>`, as written.
struct PictureSource {
    candidates: Vec<SrcsetCandidate>,
    type_: Option<Box<str>>,
    media: Option<Box<str>>,
    sizes: Option<String>,
    at: Location,
}

impl PictureSource {
    /// Whether a browser always takes the picture's source: there is only one, for every viewport
    /// (no `media`), in an image format (`type`, when given, is one).
    fn always_taken(sources: &[PictureSource]) -> bool {
        match sources {
            [only] => {
                only.media.is_none()
                    && !only.candidates.is_empty()
                    && only.type_.as_deref().is_none_or(|t| {
                        t.trim_matches(is_ascii_ws)
                            .get(..6)
                            .is_some_and(|p| p.eq_ignore_ascii_case("image/"))
                    })
            }
            _ => false,
        }
    }
}

fn on_picture_source(st: &mut State, a: &Attrs<'_, '_>, at: Location) {
    st.picture_has_source = true;
    let source = PictureSource {
        candidates: a.srcset("srcset"),
        type_: a.val("type"),
        media: a.val("media"),
        sizes: a.get("sizes"),
        at,
    };
    if st.picture_img_seen {
        // After the `<img>`: never chosen, only reported.
        push_picture_source(st, source, None);
    } else {
        st.picture_sources.push(source);
    }
}

/// The references of `<source>`s that no `<img>` followed: candidates, never hinted.
fn flush_picture_sources(st: &mut State) {
    for source in std::mem::take(&mut st.picture_sources) {
        push_picture_source(st, source, None);
    }
}

/// A `<source>`'s references: its candidates, for the browser to pick from; or, for the source the
/// browser always takes, its first candidate asked for as `img` asks (`lazy`, `fetchpriority`,
/// `crossorigin`), with the source's `type` and every candidate as the preload's `imagesrcset`.
fn push_picture_source(st: &mut State, source: PictureSource, img: Option<&RefAttrs>) {
    let PictureSource {
        candidates,
        type_,
        media,
        sizes,
        at,
    } = source;
    let mut rest = candidates.iter();
    if let Some(img) = img
        && let Some(first) = rest.next()
    {
        let attrs = RefAttrs {
            type_: type_.clone(),
            lazy: img.lazy,
            fetchpriority: img.fetchpriority.clone(),
            crossorigin: img.crossorigin.clone(),
            primary: true,
            ..RefAttrs::default()
        }
        .with_images(candidates.clone(), sizes.clone());
        st.push(
            first.url.clone(),
            RefKind::Image,
            "<picture><source srcset>",
            at,
            attrs,
        );
    }
    for candidate in rest {
        let attrs = RefAttrs {
            type_: type_.clone(),
            media: media.clone(),
            primary: false,
            ..RefAttrs::default()
        }
        .with_images(Vec::new(), sizes.clone());
        st.push(
            candidate.url.clone(),
            RefKind::Image,
            "<source srcset>",
            at,
            attrs,
        );
    }
}

/// Characters from attributes that form controls render, kept with the controls' text
/// ([`FileFacts::control_text`]): `placeholder`, and the `value` of `<input>` (shown as a
/// button's label or a field's text) and `<button>`. Not `alt` (shown only when the image fails)
/// nor `title` (a tooltip the browser draws in its own font): Chromium fetches no face for either.
/// Whether the element has such an attribute.
fn collect_attribute_text(st: &mut State, a: &Attrs<'_, '_>, tag: &str) -> bool {
    let value = tag == "button" || (tag == "input" && !a.is("type", "hidden"));
    let names: &[&str] = if value {
        &["placeholder", "value"]
    } else {
        &["placeholder"]
    };
    let mut found = false;
    for name in names {
        if let Some(v) = a.get(name) {
            st.control_chars
                .get_or_insert_with(CharSet::default)
                .add_str(&v);
            found = true;
        }
    }
    found
}

/// Records an element's class names, id and language, which style rules may ask for: apart for
/// `<pre>` and `<code>` and the elements inside them ([`FileFacts::code_words`]).
fn record_names(st: &mut State, el: &Element<'_, '_>, tag: &str) {
    let in_code = st.code_depth > 0 || tag == "pre" || tag == "code";
    let in_heading = st.heading_depth > 0 || crate::parse::HEADINGS.contains(&tag);
    let words = if in_code {
        &mut st.code_words
    } else {
        &mut st.words
    };
    let heading_words = &mut st.heading_words;
    for attr in el.attributes() {
        let name = attr.name_preserve_case();
        if name.eq_ignore_ascii_case("class") {
            for class in attr.value().split(is_ascii_ws) {
                words.add_class(class);
                if in_heading {
                    heading_words.add_class(class);
                }
            }
        } else if name.eq_ignore_ascii_case("id") {
            words.add(&attr.value());
            if in_heading {
                heading_words.add(&attr.value());
            }
        } else if name.eq_ignore_ascii_case("lang") {
            // Rules for elements in a language (`:lang(ja)`, `[lang=ja]`) ask for it as a word.
            for word in super::lang_words(&attr.value(), super::element_lang_word) {
                words.add(&word);
                if in_heading {
                    heading_words.add(&word);
                }
            }
        }
    }
}

fn on_raw_text(shared: &Shared, t: &mut TextChunk<'_>) {
    let mut st = lock(shared);
    if let Some(raw) = st.raw.as_mut() {
        raw.text.push_str(t.as_str());
    }
    if t.last_in_text_node()
        && let Some(raw) = st.raw.take()
    {
        st.finish_raw(raw);
    }
}

fn on_text(shared: &Shared, t: &mut TextChunk<'_>) {
    let mut guard = lock(shared);
    let st = &mut *guard;
    st.positions.at(t.source_location().bytes().start);
    let visible = st.renders_text()
        && match t.text_type() {
            TextType::Data => true,
            // `<textarea>` text is shown; `<title>` text is not part of the page.
            TextType::RCData => st.title_depth == 0,
            _ => false,
        };
    if visible {
        // Browsers give code and form controls a font of their own: their characters are kept
        // apart ([`FileFacts::code_text`], [`FileFacts::control_text`]).
        if st.code_depth > 0 {
            let code = st.code_chars.get_or_insert_with(CharSet::default);
            st.code_entities.feed(t.as_str(), code);
            if let Some(block) = st.code_block.as_mut() {
                block.text = true;
            }
        } else if st.control_depth > 0 {
            let control = st.control_chars.get_or_insert_with(CharSet::default);
            st.control_entities.feed(t.as_str(), control);
            if !st.control_context_kept && st.keeps_apart() {
                st.control_context_kept = true;
                let (outside, words) = st.context_split(st.control_outside);
                st.keep_apart(false, outside, words);
            }
        } else {
            let text = t.as_str();
            // The text is kept with the elements around it too: the weights rules give those
            // may leave some faces out. Its characters outside ASCII are kept there.
            let outside = !text.is_ascii() || text.contains('&') || st.entities.pending.is_some();
            // The spaces between words are set in a face too (the Latin subset of a Cyrillic
            // paragraph's family): a text node with spaces and other characters counts as
            // having ASCII.
            let mut ascii = false;
            for b in text.bytes() {
                if b.is_ascii_whitespace() {
                    st.node_space = true;
                } else {
                    st.node_other = true;
                    ascii |= b.is_ascii();
                }
                if ascii && st.node_space {
                    break;
                }
            }
            let ascii = ascii || st.node_space && st.node_other;
            let context = (outside || ascii).then(|| st.context_entry()).flatten();
            if ascii && let Some(i) = context {
                st.contexts[i].1 = true;
            }
            let context = context.filter(|_| outside);
            match context {
                None => st.entities.feed(text, &mut st.chars),
                Some(i) => st.entities.feed(
                    text,
                    &mut WithContext {
                        chars: &mut st.chars,
                        context: &mut st.contexts[i].0,
                    },
                ),
            }
        }
        if st.heading_depth > 0 || st.bold_depth > 0 {
            let bold = st.bold_chars.get_or_insert_with(CharSet::default);
            st.bold_entities.feed(t.as_str(), bold);
        }
        if !st.italic_open.is_empty()
            && let Some(italic) = st.italic_chars.as_mut()
        {
            st.italic_entities.feed(t.as_str(), italic);
            if !t.as_str().bytes().all(|b| b.is_ascii_whitespace())
                && !st.italic_nestings.contains(&st.italic_open)
            {
                st.italic_nestings.push(st.italic_open.clone());
            }
        }
    }
    if t.last_in_text_node() {
        st.flush_text();
        st.node_space = false;
        st.node_other = false;
    }
}

/// The characters of a page's text.
///
/// Adding runs for every character of the page, so it is made cheap, and the work moves to
/// [`CharSet::into_set`], which runs once:
/// - U+0000 to U+00FF, where most text is, get a flag byte each, so recording one is a single
///   store; a run of ASCII is recorded byte by byte, with no decoding and no branch. Whitespace
///   and control characters are recorded too and left out at the end.
/// - The rest of the Basic Multilingual Plane goes to a bitmap (8 KiB, allocated on the first such
///   character), so a script's characters repeated through a page cost no tree lookups.
/// - Only characters beyond the BMP (emoji, rare CJK) go to a set.
struct CharSet {
    latin1: [bool; 0x100],
    bmp: Option<Box<[u64; 0x10000 / 64]>>,
    astral: BTreeSet<char>,
}

impl Default for CharSet {
    fn default() -> Self {
        CharSet {
            latin1: [false; 0x100],
            bmp: None,
            astral: BTreeSet::new(),
        }
    }
}

impl CharSet {
    /// The characters recorded ([`CharSet::into_set`]), with U+0020 when there are any: a browser
    /// takes the metrics of a line of text from the first face of its family whose range holds
    /// the space (CSS's first available font) and fetches it, so a Greek heading fetches a Latin
    /// subset in its weight, and a Chinese phrase in `<em>` the italic Latin subset.
    fn with_space(self) -> TextChars {
        let mut chars = self.into_set();
        if !chars.is_empty() {
            chars.insert(' ');
        }
        TextChars(chars)
    }

    /// Records a text character.
    fn add(&mut self, c: char) {
        let code = c as u32;
        match u8::try_from(code) {
            Ok(byte) => self.latin1[usize::from(byte)] = true,
            Err(_) if code < 0x10000 => {
                let bmp = self.bmp.get_or_insert_with(|| Box::new([0; 0x10000 / 64]));
                bmp[(code / 64) as usize] |= 1 << (code % 64);
            }
            Err(_) => {
                self.astral.insert(c);
            }
        }
    }

    /// Records every character of `text`.
    fn add_str(&mut self, text: &str) {
        self.add_str_with(text, |_| {});
    }

    /// Records every character of `text`, and hands those outside ASCII to `other` too.
    fn add_str_with(&mut self, text: &str, mut other: impl FnMut(char)) {
        if text.is_ascii() {
            self.add_ascii(text.as_bytes());
            return;
        }
        let mut rest = text;
        while !rest.is_empty() {
            let ascii = rest.bytes().take_while(u8::is_ascii).count();
            self.add_ascii(&rest.as_bytes()[..ascii]);
            let mut after = rest[ascii..].chars();
            if let Some(c) = after.next() {
                self.add(c);
                other(c);
            }
            rest = after.as_str();
        }
    }

    /// Records ASCII bytes, one store each.
    fn add_ascii(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.latin1[usize::from(b)] = true;
        }
    }

    /// The characters recorded, without ASCII whitespace and control characters: they select no
    /// font face, and keeping U+0020 would make every page match every Latin subset.
    fn into_set(self) -> BTreeSet<char> {
        let latin1 = (0..=u8::MAX)
            .filter(|&b| self.latin1[usize::from(b)])
            .map(char::from)
            .filter(|c| !c.is_ascii_whitespace() && !c.is_control());
        let bmp = self.bmp.iter().flat_map(|words| {
            let used = words.iter().enumerate().filter(|&(_, &word)| word != 0);
            used.flat_map(|(i, &word)| {
                let base = (i * 64) as u32;
                (0..64)
                    .filter(move |bit| word & (1 << bit) != 0)
                    .filter_map(move |bit| char::from_u32(base + bit))
            })
        });
        // In code point order, so the set is built in bulk rather than by inserts.
        latin1.chain(bmp).chain(self.astral).collect()
    }
}

/// Where [`EntityDecoder`] puts the text: literal runs as slices (most text has no references, and
/// a run is cheaper to take whole), and the characters of references one by one.
trait TextSink {
    /// Takes literal text.
    fn push_str(&mut self, text: &str);
    /// Takes one character.
    fn push(&mut self, c: char);
}

impl TextSink for CharSet {
    fn push_str(&mut self, text: &str) {
        self.add_str(text);
    }

    fn push(&mut self, c: char) {
        self.add(c);
    }
}

/// A sink for the page's text that also keeps its characters outside ASCII in the list of the
/// elements around it ([`State::contexts`]), which it sorts and dedups as it grows (a page has
/// many contexts, most with a few characters: a bitmap each would cost more than the list).
struct WithContext<'c> {
    chars: &'c mut CharSet,
    context: &'c mut Vec<char>,
}

/// Adds a character outside ASCII to a context's list.
fn add_to_context(list: &mut Vec<char>, c: char) {
    if list.len() == list.capacity() && list.len() >= 64 {
        list.sort_unstable();
        list.dedup();
    }
    list.push(c);
}

impl TextSink for WithContext<'_> {
    fn push_str(&mut self, text: &str) {
        let context = &mut *self.context;
        self.chars
            .add_str_with(text, |c| add_to_context(context, c));
    }

    fn push(&mut self, c: char) {
        self.chars.add(c);
        if !c.is_ascii() {
            add_to_context(self.context, c);
        }
    }
}

impl TextSink for String {
    fn push_str(&mut self, text: &str) {
        String::push_str(self, text);
    }

    fn push(&mut self, c: char) {
        String::push(self, c);
    }
}

// ---------------------------------------------------------------------------------------------
// Attribute helpers
// ---------------------------------------------------------------------------------------------

fn is_ascii_ws(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0C' | '\r' | ' ')
}

fn is_ascii_ws_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

/// An element's attributes: lowercase names, read once; values are decoded (lol_html returns them
/// with character references left in) only when asked for, as most are never looked at.
/// Elements carry few attributes, so a list is fastest.
struct Attrs<'a, 'i>(Vec<(AttrName, &'a Attribute<'i>)>);

impl<'a, 'i> Attrs<'a, 'i> {
    /// Reads the names of `el`'s attributes. `input` is the input from offset `base` on, which
    /// holds the element's start tag: an ASCII name is read from there rather than through
    /// lol_html, which would allocate a `String` for each one.
    fn of<H: lol_html::HandlerTypes>(
        el: &'a lol_html::html_content::Element<'_, 'i, H>,
        input: &[u8],
        base: usize,
    ) -> Self {
        let names = el.attributes().iter().map(|at| {
            let raw = at.name_source_location().and_then(|loc| {
                let range = loc.bytes();
                input.get(range.start.checked_sub(base)?..range.end.checked_sub(base)?)
            });
            let name = match raw {
                // ASCII bytes decode to themselves in every encoding lol_html reads.
                Some(raw) if raw.is_ascii() => AttrName::new(raw),
                // lol_html's decoding, exactly (it may drop a BOM, say).
                _ => AttrName::new(at.name().as_bytes()),
            };
            (name, at)
        });
        Attrs(names.collect())
    }

    fn find(&self, name: &str) -> Option<&'a Attribute<'i>> {
        // The first of duplicate attributes wins, as in the HTML tokenizer.
        self.0.iter().find(|(n, _)| n.is(name)).map(|&(_, at)| at)
    }

    /// The value, decoded; `None` when absent.
    fn get(&self, name: &str) -> Option<String> {
        self.find(name).map(|at| decode_attribute(at.value()))
    }

    /// [`Attrs::get`], in the compact form [`RefAttrs`] keeps.
    fn val(&self, name: &str) -> Option<Box<str>> {
        self.get(name).map(String::into_boxed_str)
    }

    fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// True when present and equal to `value`, ASCII case-insensitively, once trimmed.
    fn is(&self, name: &str, value: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.trim_matches(is_ascii_ws).eq_ignore_ascii_case(value))
    }

    /// A URL-valued attribute, trimmed; `None` when absent, blank, or a `data:` URL.
    fn url(&self, name: &str) -> Option<String> {
        url_value(self.get(name)?)
    }

    /// A `srcset`-valued attribute's candidates, without `data:` URLs.
    fn srcset(&self, name: &str) -> Vec<SrcsetCandidate> {
        self.get(name)
            .map(|v| {
                parse_srcset(&v)
                    .into_iter()
                    .filter(|c| !is_data_url(&c.url))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// An attribute name, ASCII-lowercased and kept inline. Names longer than the buffer are only
/// counted: no name looked up is that long.
struct AttrName {
    len: usize,
    bytes: [u8; 16],
}

impl AttrName {
    fn new(name: &[u8]) -> Self {
        let mut bytes = [0; 16];
        if let Some(prefix) = bytes.get_mut(..name.len()) {
            prefix.copy_from_slice(name);
            prefix.make_ascii_lowercase();
        }
        AttrName {
            len: name.len(),
            bytes,
        }
    }

    /// True when the name is `name` (which is lowercase).
    fn is(&self, name: &str) -> bool {
        self.bytes.get(..self.len) == Some(name.as_bytes())
    }
}

/// The trimmed URL; the value's own allocation when there is nothing to trim (the usual case).
fn url_value(value: String) -> Option<String> {
    let url = value.trim_matches(is_ascii_ws);
    if url.is_empty() || is_data_url(url) {
        None
    } else if url.len() == value.len() {
        Some(value)
    } else {
        Some(url.to_string())
    }
}

fn is_data_url(url: &str) -> bool {
    url.len() >= 5 && url.as_bytes()[..5].eq_ignore_ascii_case(b"data:")
}

// ---------------------------------------------------------------------------------------------
// srcset
// ---------------------------------------------------------------------------------------------

/// Parses a `srcset` / `imagesrcset` value with the HTML spec's algorithm
/// (<https://html.spec.whatwg.org/multipage/images.html#parse-a-srcset-attribute>).
///
/// A URL is a run of non-whitespace and may contain commas (`a,b.png 1x`); trailing commas end it.
/// Candidates whose descriptors the spec rejects (`1x 2x`, `0w`, `abc`) are dropped, as a browser
/// would. Descriptors are kept as written, joined by one space.
pub fn parse_srcset(input: &str) -> Vec<SrcsetCandidate> {
    let s = input.as_bytes();
    let mut pos = 0;
    let mut out = Vec::new();
    loop {
        while pos < s.len() && (is_ascii_ws_byte(s[pos]) || s[pos] == b',') {
            pos += 1;
        }
        if pos >= s.len() {
            return out;
        }
        let start = pos;
        while pos < s.len() && !is_ascii_ws_byte(s[pos]) {
            pos += 1;
        }
        let mut url = &input[start..pos];
        let mut descriptors = Vec::new();
        if url.ends_with(',') {
            url = url.trim_end_matches(',');
        } else {
            pos = tokenize_descriptors(input, pos, &mut descriptors);
        }
        if !url.is_empty() && descriptors_valid(&descriptors) {
            out.push(SrcsetCandidate {
                url: url.to_string(),
                descriptor: descriptors.join(" "),
            });
        }
    }
}

/// The spec's descriptor tokenizer, from `pos` (just after the URL); returns where it stopped.
///
/// The spec builds each descriptor a character at a time, but every character from its first to
/// its end is kept (whitespace and commas too, inside parentheses), so a descriptor is a slice.
fn tokenize_descriptors<'a>(input: &'a str, mut pos: usize, out: &mut Vec<&'a str>) -> usize {
    enum St {
        In,
        Parens,
        After,
    }
    let s = input.as_bytes();
    while pos < s.len() && is_ascii_ws_byte(s[pos]) {
        pos += 1;
    }
    // Start of the descriptor being read, if any.
    let mut current: Option<usize> = None;
    let mut state = St::In;
    loop {
        let c = s.get(pos).copied();
        match state {
            St::In => match c {
                Some(b) if is_ascii_ws_byte(b) => {
                    if let Some(start) = current.take() {
                        out.push(&input[start..pos]);
                        state = St::After;
                    }
                }
                Some(b',') => {
                    if let Some(start) = current {
                        out.push(&input[start..pos]);
                    }
                    return pos + 1;
                }
                None => {
                    if let Some(start) = current {
                        out.push(&input[start..pos]);
                    }
                    return pos;
                }
                Some(b) => {
                    current.get_or_insert(pos);
                    if b == b'(' {
                        state = St::Parens;
                    }
                }
            },
            St::Parens => match c {
                Some(b')') => state = St::In,
                None => {
                    out.push(&input[current.unwrap_or(pos)..pos]);
                    return pos;
                }
                Some(_) => {}
            },
            St::After => match c {
                Some(b) if is_ascii_ws_byte(b) => {}
                None => return pos,
                Some(_) => {
                    state = St::In;
                    continue; // reprocess this character in the descriptor state
                }
            },
        }
        pos += 1;
    }
}

/// The spec's descriptor checks: at most one of `Nw` / `Nx`, an optional `Nh` only with `Nw`.
fn descriptors_valid(descriptors: &[&str]) -> bool {
    let (mut w, mut x, mut h) = (false, false, false);
    for d in descriptors {
        let Some(number) = d.strip_suffix(['w', 'x', 'h']) else {
            return false;
        };
        match d.as_bytes()[d.len() - 1] {
            b'w' if !w && !x && is_positive_integer(number) => w = true,
            b'x' if !w && !x && !h && is_non_negative_float(number) => x = true,
            b'h' if !h && !x && is_positive_integer(number) => h = true,
            _ => return false,
        }
    }
    w || !h
}

fn is_positive_integer(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.bytes().any(|b| b != b'0')
}

/// A "valid floating-point number" (HTML spec) that is not negative.
fn is_non_negative_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let negative = b.first() == Some(&b'-');
    if negative {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let int = digits(&mut i);
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = digits(&mut i);
        if frac == 0 {
            return false;
        }
    }
    if int == 0 && frac == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len() && !(negative && s.parse::<f64>().is_ok_and(|v| v < 0.0))
}

// ---------------------------------------------------------------------------------------------
// Positions
// ---------------------------------------------------------------------------------------------

/// Turns byte offsets in the stream fed to lol_html into line:column, in one forward pass.
///
/// lol_html reports positions in document order, so each query only needs the bytes between the
/// previous position and the new one. The bytes not yet counted are kept in `tail`; the counted
/// prefix is dropped on the next [`Positions::push`] (once per write, so dropping stays linear).
/// Every text chunk and comment is a query too, so the tail holds little more than one chunk:
/// at most the longest run of markup with no text, comment or handled element in it.
///
/// An element handler asks for the element's position first, so while it runs the tail holds
/// the element's whole start tag: [`Attrs::of`] reads attribute names from there.
struct Positions {
    /// Input offset of `tail[0]`.
    base: usize,
    tail: Vec<u8>,
    /// Index in `tail` of the last position counted, whose location is (`line`, `col` + 1).
    cursor: usize,
    line: u32,
    /// Characters between the start of the line and the cursor.
    col: u32,
    /// How bytes become characters for column counts.
    encoding: &'static Encoding,
}

impl Default for Positions {
    fn default() -> Self {
        Positions {
            base: 0,
            tail: Vec::new(),
            cursor: 0,
            line: 1,
            col: 0,
            encoding: UTF_8,
        }
    }
}

impl Positions {
    fn push(&mut self, bytes: &[u8]) {
        self.tail.drain(..self.cursor);
        self.base += self.cursor;
        self.cursor = 0;
        self.tail.extend_from_slice(bytes);
    }

    fn current(&self) -> Location {
        Location::new(self.line, self.col.saturating_add(1))
    }

    /// The location of `offset`. An offset before the last one asked for (which lol_html does
    /// not produce) gets the last location rather than a wrong count.
    fn at(&mut self, offset: usize) -> Location {
        let target = offset.saturating_sub(self.base).min(self.tail.len());
        if target > self.cursor {
            let seg = &self.tail[self.cursor..target];
            // Counting (which vectorizes) comes first: a backward search for the last newline
            // would step through a segment that has none a byte at a time.
            let newlines = count_bytes(seg, |b| b == b'\n');
            if newlines == 0 {
                self.col = self.col.saturating_add(count_chars(seg, self.encoding));
            } else {
                let line_start = seg.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                self.line = self.line.saturating_add(to_u32(newlines));
                self.col = count_chars(&seg[line_start..], self.encoding);
            }
            self.cursor = target;
        }
        self.current()
    }

    /// Bytes held for counting (for tests of the memory bound).
    #[cfg(test)]
    fn held(&self) -> usize {
        self.tail.len()
    }
}

/// The number of bytes for which `pred` holds. Counted in blocks of up to 255 bytes into a
/// byte-wide counter, which the compiler turns into 16 comparisons at a time (a plain
/// `filter().count()` into a `usize` does 4).
fn count_bytes(bytes: &[u8], pred: impl Fn(u8) -> bool) -> usize {
    bytes
        .chunks(255)
        .map(|block| usize::from(block.iter().fold(0u8, |n, &b| n + u8::from(pred(b)))))
        .sum()
}

fn count_chars(bytes: &[u8], encoding: &'static Encoding) -> u32 {
    if bytes.is_ascii() {
        return to_u32(bytes.len());
    }
    if encoding == UTF_8 {
        return to_u32(count_bytes(bytes, |b| (b & 0xC0) != 0x80));
    }
    if encoding.is_single_byte() {
        return to_u32(bytes.len());
    }
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    to_u32(text.chars().count())
}

// ---------------------------------------------------------------------------------------------
// Character references
// ---------------------------------------------------------------------------------------------

/// Decodes character references (`&amp;`, `&#233;`, `&eacute;`), fed in arbitrary pieces.
///
/// lol_html hands over text and attribute values raw. This follows the HTML tokenizer's rules for
/// numeric references and for the legacy names that work without `;` (in an attribute value such a
/// name followed by `=` or an alphanumeric stays as written, so `?a=1&copy=2` keeps its query).
/// The name table covers markup escapes, Latin-1 and common typography; other names stay as
/// written, which in text only adds ASCII (a superset is harmless for font selection) and in a
/// URL is what a browser would also see for any name it does not know.
#[derive(Default)]
struct EntityDecoder {
    /// Decoding an attribute value rather than text.
    attribute: bool,
    /// What follows a `&` still being read (a name, or `#` and digits).
    pending: Option<String>,
}

/// Longest reference read before giving up (the longest HTML name has 31 characters).
const MAX_ENTITY_LEN: usize = 32;

impl EntityDecoder {
    fn feed(&mut self, text: &str, out: &mut impl TextSink) {
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if self.pending.is_none() {
                // Fast path: everything up to the next `&` is literal.
                let plain = rest.find('&').unwrap_or(rest.len());
                if plain > 0 {
                    out.push_str(&rest[..plain]);
                    rest = &rest[plain..];
                    continue;
                }
            }
            self.step(c, out);
            rest = &rest[c.len_utf8()..];
        }
    }

    fn step(&mut self, c: char, out: &mut impl TextSink) {
        let Some(pending) = self.pending.as_mut() else {
            if c == '&' {
                self.pending = Some(String::new());
            } else {
                out.push(c);
            }
            return;
        };
        if let Some(number) = pending.strip_prefix('#') {
            let hex = number.starts_with(['x', 'X']);
            let digits = &number[usize::from(hex)..];
            let accept = match (number.is_empty(), hex) {
                (true, _) => c.is_ascii_digit() || c == 'x' || c == 'X',
                (false, true) => c.is_ascii_hexdigit(),
                (false, false) => c.is_ascii_digit(),
            };
            if accept {
                // Leading zeros are dropped; a capped number still has 30 digits, so it still
                // overflows to U+FFFD as the spec says.
                if digits == "0" {
                    pending.pop();
                }
                if pending.len() < MAX_ENTITY_LEN {
                    pending.push(c);
                }
                return;
            }
            let pending = self.pending.take().unwrap_or_default();
            if self.resolve(&pending, Some(c), out) {
                return;
            }
            self.step(c, out);
            return;
        }
        if (c.is_ascii_alphanumeric() || (c == '#' && pending.is_empty()))
            && pending.len() < MAX_ENTITY_LEN
        {
            pending.push(c);
            return;
        }
        let pending = self.pending.take().unwrap_or_default();
        if !self.resolve(&pending, Some(c), out) {
            self.step(c, out);
        }
    }

    /// Outputs what `&` + `pending` stands for, given the character after it (`None` at the end).
    /// Returns true when that character was a `;` that belonged to the reference.
    fn resolve(&self, pending: &str, next: Option<char>, out: &mut impl TextSink) -> bool {
        if let Some(number) = pending.strip_prefix('#') {
            let hex = number.starts_with(['x', 'X']);
            let digits = &number[usize::from(hex)..];
            if digits.is_empty() {
                out.push('&');
                out.push_str(pending);
                return false;
            }
            out.push(decode_numeric(digits, if hex { 16 } else { 10 }));
            return next == Some(';');
        }
        if next == Some(';')
            && let Some(c) = named_reference(pending)
        {
            out.push(c);
            return true;
        }
        // The longest legacy name that starts the run, as the tokenizer matches it.
        for len in (1..=pending.len()).rev() {
            let Some(c) = legacy_reference(&pending[..len]) else {
                continue;
            };
            let after = pending[len..].chars().next().or(next);
            if self.attribute && after.is_some_and(|a| a == '=' || a.is_ascii_alphanumeric()) {
                break;
            }
            out.push(c);
            out.push_str(&pending[len..]);
            return false;
        }
        out.push('&');
        out.push_str(pending);
        false
    }

    /// Ends the text: a reference still being read is resolved as it stands.
    fn flush(&mut self, out: &mut impl TextSink) {
        if let Some(pending) = self.pending.take() {
            self.resolve(&pending, None, out);
        }
    }
}

/// An attribute value with its character references decoded (lol_html returns them raw).
fn decode_attribute(raw: String) -> String {
    if !raw.contains('&') {
        return raw;
    }
    let mut out = String::with_capacity(raw.len());
    let mut decoder = EntityDecoder {
        attribute: true,
        pending: None,
    };
    decoder.feed(&raw, &mut out);
    decoder.flush(&mut out);
    out
}

/// Latin-1 names, in code point order from U+00A0.
const LATIN1_NAMES: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

/// Other names worth knowing (only with `;`): common typography and symbols.
const OTHER_NAMES: &[(&str, char)] = &[
    ("apos", '\''),
    ("OElig", '\u{152}'),
    ("oelig", '\u{153}'),
    ("Scaron", '\u{160}'),
    ("scaron", '\u{161}'),
    ("Yuml", '\u{178}'),
    ("fnof", '\u{192}'),
    ("circ", '\u{2C6}'),
    ("tilde", '\u{2DC}'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("thinsp", '\u{2009}'),
    ("zwnj", '\u{200C}'),
    ("zwj", '\u{200D}'),
    ("lrm", '\u{200E}'),
    ("rlm", '\u{200F}'),
    ("ndash", '\u{2013}'),
    ("mdash", '\u{2014}'),
    ("lsquo", '\u{2018}'),
    ("rsquo", '\u{2019}'),
    ("sbquo", '\u{201A}'),
    ("ldquo", '\u{201C}'),
    ("rdquo", '\u{201D}'),
    ("bdquo", '\u{201E}'),
    ("dagger", '\u{2020}'),
    ("Dagger", '\u{2021}'),
    ("bull", '\u{2022}'),
    ("hellip", '\u{2026}'),
    ("permil", '\u{2030}'),
    ("prime", '\u{2032}'),
    ("Prime", '\u{2033}'),
    ("lsaquo", '\u{2039}'),
    ("rsaquo", '\u{203A}'),
    ("oline", '\u{203E}'),
    ("frasl", '\u{2044}'),
    ("euro", '\u{20AC}'),
    ("trade", '\u{2122}'),
    ("larr", '\u{2190}'),
    ("uarr", '\u{2191}'),
    ("rarr", '\u{2192}'),
    ("darr", '\u{2193}'),
    ("harr", '\u{2194}'),
    ("minus", '\u{2212}'),
    ("check", '\u{2713}'),
    ("hearts", '\u{2665}'),
];

/// Code points the spec remaps for numeric references in 0x80..=0x9F (windows-1252's).
const C1_REMAP: [u32; 32] = [
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
];

/// The character a numeric reference stands for, with the spec's fix-ups.
fn decode_numeric(digits: &str, radix: u32) -> char {
    let code = u32::from_str_radix(digits, radix).unwrap_or(u32::MAX);
    let code = match code {
        0x80..=0x9F => C1_REMAP[(code - 0x80) as usize],
        c => c,
    };
    match code {
        0 => '\u{FFFD}',
        c => char::from_u32(c).unwrap_or('\u{FFFD}'),
    }
}

/// Names that work without a `;`: Latin-1, and the markup escapes in either case.
fn legacy_reference(name: &str) -> Option<char> {
    match name {
        "amp" | "AMP" => Some('&'),
        "lt" | "LT" => Some('<'),
        "gt" | "GT" => Some('>'),
        "quot" | "QUOT" => Some('"'),
        "COPY" => Some('\u{A9}'),
        "REG" => Some('\u{AE}'),
        _ => LATIN1_NAMES
            .iter()
            .position(|n| *n == name)
            .and_then(|i| char::from_u32(0xA0 + i as u32)),
    }
}

/// The character a name followed by `;` stands for.
fn named_reference(name: &str) -> Option<char> {
    legacy_reference(name).or_else(|| {
        OTHER_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, c)| c)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `bytes` fed in chunks of `size` bytes.
    fn parse_chunked(bytes: &[u8], size: usize) -> FileFacts {
        let mut parser = Box::new(HtmlParser::new());
        for chunk in bytes.chunks(size.max(1)) {
            parser.write(chunk);
        }
        parser.finish()
    }

    /// The parts of the facts that must not depend on chunking.
    type Summary<'a> = (
        &'a [Reference],
        &'a Option<String>,
        &'a BTreeMap<String, String>,
        &'a Option<TextChars>,
        &'a [Diagnostic],
    );

    fn summary(f: &FileFacts) -> Summary<'_> {
        (
            &f.refs,
            &f.base_href,
            &f.import_map,
            &f.text,
            &f.diagnostics,
        )
    }

    fn urls(f: &FileFacts) -> Vec<&str> {
        f.refs.iter().map(|r| r.url.as_str()).collect()
    }

    fn only(f: &FileFacts, kind: RefKind) -> Vec<&Reference> {
        f.refs.iter().filter(|r| r.kind == kind).collect()
    }

    /// The page's text and its form controls' (all but code).
    fn chars(f: &FileFacts) -> String {
        f.text
            .iter()
            .chain(&f.control_text)
            .flat_map(|t| t.0.iter())
            .collect()
    }

    #[test]
    fn code_text_is_kept_apart() {
        let f = parse_html(
            "<p>Plain &amp; simple</p><pre>a &rarr; b<span>\u{2500}</span></pre><code>\u{3b1}</code>\
             <p>After</p>"
                .as_bytes(),
        );
        let code: String = f.code_text.as_ref().unwrap().0.iter().collect();
        assert!(
            code.contains('→') && code.contains('─') && code.contains('α'),
            "{code}"
        );
        let text: String = f.text.as_ref().unwrap().0.iter().collect();
        assert!(text.contains('&') && text.contains('A'), "{text}");
        assert!(
            !text.contains('→') && !text.contains('α') && !text.contains('b'),
            "{text}"
        );
        assert!(parse_html(b"<p>No code").code_text.is_none());
    }

    #[test]
    fn form_control_text_is_kept_apart() {
        let f = parse_html(
            "<p>Plain</p><button>\u{2665} <b>Like</b></button><select><option>\u{3b1}</select>\
             <textarea>\u{3b2}</textarea><input placeholder=\u{3b3}><input type=submit value=\u{3b4}>\
             <button><code>\u{2192}</code></button>"
                .as_bytes(),
        );
        let control: String = f.control_text.as_ref().unwrap().0.iter().collect();
        for c in ['\u{2665}', 'L', '\u{3b1}', '\u{3b2}', '\u{3b3}', '\u{3b4}'] {
            assert!(control.contains(c), "{c:?} missing from {control:?}");
        }
        let text: String = f.text.as_ref().unwrap().0.iter().collect();
        assert!(!text.contains('\u{2665}') && !text.contains('L'), "{text}");
        // Code inside a control is code.
        let code: String = f.code_text.as_ref().unwrap().0.iter().collect();
        assert!(code.contains('\u{2192}') && !control.contains('\u{2192}'));
    }

    fn utf16(s: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in s.encode_utf16() {
            out.extend(if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    const RICH: &str = r#"<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Café — titre</title>
<base href=" /sub/ ">
<link rel="stylesheet" href="/css/main.css" media="screen" crossorigin integrity="sha256-x">
<link rel="alternate stylesheet" href="/alt.css">
<link rel="stylesheet" href="/disabled.css" disabled>
<link rel="preload" as="font" type="font/woff2" href="/f.woff2" crossorigin="anonymous">
<link rel="preload" as="image" imagesrcset="/h-1.png 1x, /h-2.png 2x" imagesizes="50vw">
<link rel="modulepreload" href="/m.js">
<link rel="shortcut icon" href="/favicon.ico">
<link rel="apple-touch-icon" href="/apple.png">
<link rel="manifest" href="/app.webmanifest" crossorigin="use-credentials">
<script type="importmap">{"imports": {"lib": "/lib/index.js", "x/": "/x/"}}</script>
<script src="/classic.js" defer></script>
<script type=" Module " src="/app.js" async></script>
<script type="text/template" src="/not-a-script.js"></script>
<script nomodule src="/legacy.js"></script>
<style>@import "/inline.css"; body { background: url(/bg.png) }</style>
</head>
<body>
<!-- <img src="/commented.png"> -->
<p>Bonjour&nbsp;&eacute;t&#233; &#x4E2D; &amp; &bogus; ok</p>
<template><img src="/in-template.png"><template><img src="/deeper.png"></template><p>Ω</p></template>
<noscript><img src="/noscript.png"></noscript>
<img src="/a.png" srcset="/a,1.png 1x, /a-2.png 2x" sizes="100vw" loading="LAZY" fetchpriority="high" alt="Ärger">
<img srcset="/only-1.png 480w, /only-2.png 800w">
<img src="  " alt="">
<img src="data:image/png;base64,AAAA">
<picture><source srcset="/p.avif 1x, /p2.avif 2x" type="image/avif" media="(min-width: 1px)"><img src="/p.jpg"></picture>
<video poster="/poster.jpg" src="/v.mp4"><source src="/v.webm" type="video/webm"><track src="/t.vtt"></video>
<audio src="/a.mp3"></audio>
<input type="image" src="/btn.png" value="Go">
<input type="hidden" value="ZZZ">
<div style="background-image: url('/div.png')" title="Titrö">text</div>
<textarea placeholder="Écrire">ÿ</textarea>
<script type="module">import "/inline-dep.js";</script>
</body>
</html>
"#;

    #[test]
    fn a_pictures_only_source_is_asked_for_as_its_img_asks() {
        let primary = |html: &str| -> Vec<(String, Option<String>, usize)> {
            parse_html(html.as_bytes())
                .refs
                .into_iter()
                .filter(|r| r.attrs.primary)
                .map(|r| {
                    let t = r.attrs.type_.as_deref().map(str::to_string);
                    (r.url, t, r.attrs.srcset().len())
                })
                .collect()
        };
        // The only source, for every viewport, in an image format: taken, with its candidates.
        assert_eq!(
            primary(
                "<picture><source srcset=\"a.webp 1x, a2.webp 2x\" type=image/webp>\
                 <img src=a.png fetchpriority=high></picture>"
            ),
            [
                ("a.webp".to_string(), Some("image/webp".to_string()), 2),
                ("a.png".to_string(), None, 0)
            ]
        );
        let only_img = |html: &str| {
            let p = primary(html);
            assert_eq!(p.len(), 1, "{html}: {p:?}");
            assert_eq!(p[0].0, "i.png", "{html}");
        };
        // Two sources, a `media`, or a type that is not an image: the browser picks.
        only_img(
            "<picture><source srcset=a.avif type=image/avif><source srcset=a.webp><img src=i.png></picture>",
        );
        only_img(
            "<picture><source srcset=a.webp media=\"(min-width: 800px)\"><img src=i.png></picture>",
        );
        only_img("<picture><source srcset=a.mp4 type=video/mp4><img src=i.png></picture>");
        // A source after the `<img>` is never taken; one with no `<img>` after it is reported.
        only_img("<picture><img src=i.png><source srcset=late.webp></picture>");
        let f = parse_html(b"<picture><source srcset=lonely.webp></picture><p>x");
        assert_eq!(f.refs.len(), 1);
        assert!(!f.refs[0].attrs.primary);
    }

    #[test]
    fn declarative_shadow_roots_are_rendered() {
        let f = parse_html(
            b"<my-card><template shadowrootmode=\"open\"><style>p{font-family:Shadow}</style>\
              <img src=/in-shadow.png fetchpriority=high><p>\xce\xa9</p>\
              <template><img src=/inert.png></template></template></my-card>\
              <template><template shadowrootmode=open><img src=/still-inert.png></template></template>",
        );
        let urls: Vec<&str> = f.refs.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(urls, ["/in-shadow.png"]);
        assert!(f.font_use.may_use("shadow"));
        assert!(f.text.unwrap().0.contains(&'\u{3a9}'));
    }

    /// Text a browser does not render asks for no font: `hidden`, `display: none`, a closed
    /// `<dialog>` or `<details>` (except its `<summary>`). An element whose end tag may be left out
    /// is not followed, so the text after it still counts.
    #[test]
    fn hidden_text_is_not_page_text() {
        let chars = |html: &str| -> String {
            let f = parse_html(html.as_bytes());
            let mut all: Vec<char> = chars(&f).chars().filter(|c| !c.is_ascii()).collect();
            all.sort_unstable();
            all.into_iter().collect()
        };
        assert_eq!(
            chars(
                "<div hidden><span>\u{3b1}</span><p>\u{3b2}</div>\
                 <section style=\"color:red; DISPLAY : none !important\">\u{3b3}</section>\
                 <dialog>\u{3b4}</dialog><dialog open>\u{416}</dialog>\
                 <details><summary>\u{417}</summary>\u{3b5}<div>\u{3b6}</div></details>\
                 <details open>\u{418}</details>\
                 <input hidden placeholder=\u{3b7}><input placeholder=\u{419}>\
                 <div style=\"display:none;display:block\">\u{41a}</div>\
                 <p hidden>\u{41b}<p>\u{41c}<div hidden=until-found>\u{3b8}</div>\u{41d}"
            ),
            "\u{416}\u{417}\u{418}\u{419}\u{41a}\u{41b}\u{41c}\u{41d}"
        );
    }

    /// Italic faces are only used for italic text: the text of an element browsers set in italics
    /// (outside hidden and inert parts), kept apart, or any text under a declaration that slants it.
    #[test]
    fn italic_text_is_noticed() {
        let italic_text = |html: &str| -> Option<String> {
            let f = parse_html(html.as_bytes());
            f.italic_text.map(|t| {
                t.0.into_iter()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect()
            })
        };
        assert_eq!(italic_text("<p>plain <b>bold</b> \u{3b1}"), None);
        assert_eq!(
            italic_text("<template><em>x</em></template><div hidden><i>y</i></div>"),
            None
        );
        assert_eq!(
            italic_text("<p>\u{3b1} <em>a&amp;b</em> <cite>c</cite> <i class=icon></i>d"),
            Some("&abc".to_string())
        );
        assert_eq!(
            italic_text("<address>\u{416}</address>"),
            Some("\u{416}".to_string())
        );
        // The nestings of italic elements that text is in, each once, for rules that set some
        // upright; with `inherit`, the element around decides.
        let f = parse_html(
            b"<address> <em class='x y' id=z>a</em> b <em class='x y' id=z>c</em>\
              </address><p><i>d</i> <i>\n</i>",
        );
        let el = |tag: &str, names: &[&str]| ItalicElement {
            tag: crate::parse::italic_index(tag).unwrap(),
            names: names.iter().map(|n| Words::hash(n)).collect(),
        };
        let (address, em, i) = (el("address", &[]), el("em", &["x", "y", "z"]), el("i", &[]));
        assert_eq!(
            f.italic_nestings,
            [
                vec![address.clone(), em.clone()],
                vec![address.clone()],
                vec![i.clone()]
            ]
        );
        let rule = |tag: Option<&str>, names: &[&str], inherit| crate::parse::Upright {
            tag: tag.map(|t| el(t, &[]).tag),
            names: names.iter().map(|n| Words::hash(n)).collect(),
            inherit,
        };
        let under = |n: &[ItalicElement], rules: &[crate::parse::Upright]| {
            crate::parse::italic_under(n, &rules.iter().collect::<Vec<_>>())
        };
        let nested = [address.clone(), em.clone()];
        assert!(under(&nested, &[rule(Some("address"), &[], false)]));
        assert!(under(&nested, &[rule(None, &["x", "q"], false)]));
        assert!(!under(&nested, &[rule(None, &["y", "x"], false)]));
        assert!(under(&nested, &[rule(Some("em"), &[], true)]));
        assert!(!under(
            &nested,
            &[
                rule(Some("em"), &[], true),
                rule(Some("address"), &[], false)
            ]
        ));
        assert!(under(
            &nested,
            &[rule(Some("em"), &[], false), rule(Some("em"), &["z"], true)]
        ));
        assert!(!under(&[i], &[rule(Some("i"), &[], true)]));
        let declared = |html: &str| parse_html(html.as_bytes()).font_use.italic;
        assert!(!declared(
            "<p>a <em>b</em><span style=\"font-style:normal\">x</span>"
        ));
        assert!(!declared(
            "<style>@font-face{font-family:X;font-style:italic}</style>"
        ));
        for html in [
            "<p style=\"font-style: oblique 10deg\">e",
            "<p style=\"font: italic bold 1em Serif\">f",
            "<style>p{font-style:var(--slant)}</style>",
        ] {
            assert!(declared(html), "{html}");
        }
        // A rule for elements with a class slants theirs only.
        let f = parse_html(b"<style>.q{font-style:italic}</style>").font_use;
        assert!(!f.italic);
        assert_eq!(f.italic_for, [[["q".to_string()]]]);
        // So does a rule for elements often set in italics, such as normalize.css's `dfn`, or a
        // selector for text inside one; the page records which of them it has.
        let f = parse_html(
            b"<style>dfn{font-style:italic}figure .caption{font-style:italic}</style>\
              <blockquote>q</blockquote>",
        );
        assert!(!f.font_use.italic);
        let owned = |alt: &[&str]| vec![alt.iter().map(|w| w.to_string()).collect::<Vec<_>>()];
        assert_eq!(
            f.font_use.italic_for,
            [owned(&["  <figure", "caption"]), owned(&["<dfn"])]
        );
        let words = f.words;
        assert!(words.contains("<blockquote") && !words.contains("<dfn"));
        for name in crate::parse::GATING_ELEMENTS
            .iter()
            .chain(&crate::parse::NAMED_ELEMENTS)
        {
            let html = format!("<{name}>x</{name}>");
            let words = parse_html(html.as_bytes()).words;
            assert!(words.contains(&crate::parse::element_word(name)), "{name}");
        }
    }

    #[test]
    fn headings_keep_the_names_of_what_is_inside_them() {
        let f = parse_html(
            b"<h1 class=display-4 id=top>Title <small class=sub>s</small><code class=c>x</code></h1>\
              <p class=lead>Text <small>t</small></p><h2>Two <strong>s</strong></h2>",
        );
        let h = &f.heading_words;
        for word in ["display-4", "top", "sub", "c", "<small", "<strong", "<code"] {
            assert!(h.contains(word), "{word}");
        }
        assert!(!h.contains("lead") && !h.contains("<h1"));
        assert!(f.words.contains("lead") && f.words.contains("<h1"));
        // The text browsers set in bold: in headings, `<b>`, `<strong>`, `<th>`, `<optgroup>`.
        let f = parse_html(
            "<h2>Ä</h2><p>Ω <b>Ж</b> <span>ж</span></p><table><tr><th>Ø</th><td>ø</table>"
                .as_bytes(),
        );
        let bold = f.bold_text.unwrap().0;
        assert_eq!(bold.into_iter().collect::<String>(), " ÄØЖ");
        // The space counts wherever there is text: the face that holds it gives the line its
        // metrics (a Greek heading, or Chinese in `<em>`, fetches a Latin subset for it).
        let f = parse_html("<h1>Ελληνικά</h1><em>历史地图</em>".as_bytes());
        assert!(f.bold_text.unwrap().0.contains(&' '));
        assert!(f.italic_text.unwrap().0.contains(&' '));
        assert!(parse_html(b"<h1> </h1>").bold_text.unwrap().0.is_empty());
        assert!(parse_html(b"<p>plain").bold_text.is_none());
    }

    #[test]
    fn text_outside_ascii_keeps_the_elements_around_it() {
        let f = parse_html(
            "<body class=doc><nav><a class=lang-ru href=/ru>\u{0420}\u{0443}</a></nav>\
             <ul><li class=item>\u{00e9}&#x4e2d;<li class=other>plain<li>\u{03a9}</ul>\
             <h2>\u{0416}</h2><p>\u{0416} and ascii<br class=x>\u{0436}<pre class=c>\u{044f}</pre>"
                .as_bytes(),
        );
        let found: Vec<(Vec<&str>, String)> = f
            .contexts
            .iter()
            .map(|c| {
                let words = [
                    "doc", "lang-ru", "lang-", "item", "other", "<h2", "<pre", "c", "x",
                ]
                .into_iter()
                .filter(|w| c.words.contains(w))
                .collect();
                (words, c.chars.iter().collect())
            })
            .collect();
        let want = |words: &[&'static str], chars: &str| (words.to_vec(), chars.to_string());
        assert_eq!(
            found,
            [
                want(&["doc", "lang-ru", "lang-"], "\u{0420}\u{0443}"),
                want(&["doc", "item"], "\u{00e9}\u{4e2d}"),
                // The `<li>`s' end tags are implied: their words stay until `</ul>`.
                want(&["doc", "item", "other"], "\u{03a9}"),
                want(&["doc", "<h2"], "\u{0416}"),
                // Code is apart; a void element holds no text.
                want(&["doc"], "\u{0416}\u{0436}"),
            ]
        );
        // The spaces between words count as ASCII text: a face that holds the space sets them.
        let ascii = |html: &str| -> Vec<bool> {
            let f = parse_html(html.as_bytes());
            f.contexts.iter().map(|c| c.ascii).collect()
        };
        assert_eq!(
            ascii("<p class=a>\u{0416}\u{0436} \u{0436}</p><p class=b>\u{65e5}\u{672c}</p>"),
            [true, false]
        );
        assert_eq!(ascii("<p class=a>\u{0416}<b> </b></p>"), [false]);
        // Nesting too deep to follow (hostile, or broken markup that never closes its elements)
        // gives up the page's contexts: every face its text asks for stays.
        let deep: String = (0..600)
            .map(|i| format!("<div class=c{i}>\u{00e9}"))
            .collect();
        let f = parse_html(deep.as_bytes());
        assert!(f.contexts.is_empty());
        assert!(f.text.unwrap().0.contains(&'\u{00e9}'));
    }

    #[test]
    fn code_and_control_text_keep_the_elements_around_them() {
        let f = parse_html(
            b"<body class=doc><h2>Use <code class=api>run</code></h2>\
              <p class=note><pre class=hl><code><span class=k>fn</span> <span class=n>x</span>\
              </code></pre></p><pre class=empty></pre>\
              <form class=card><button class=btn><b>Go</b> on</button>\
              <input class=field placeholder=Name><input type=hidden value=x></form>",
        );
        let names = [
            "doc", "<h2", "<code", "api", "note", "<pre", "hl", "k", "n", "empty", "card",
            "<button", "btn", "<b", "field",
        ];
        let found = |c: &[ApartContext]| -> Vec<(Vec<&str>, Vec<&str>)> {
            let mut found: Vec<_> = c
                .iter()
                .map(|c| {
                    let of = |w: &Words| names.iter().copied().filter(|n| w.contains(n)).collect();
                    (of(&c.outside), of(&c.words))
                })
                .collect();
            found.sort();
            found
        };
        let pair =
            |outside: &[&'static str], words: &[&'static str]| (outside.to_vec(), words.to_vec());
        // Code: one entry for each outermost element with text, with the words of every element
        // inside it; an empty `<pre>` has none.
        assert_eq!(
            found(&f.code_contexts),
            [
                pair(&["doc", "<h2"], &["doc", "<h2", "<code", "api"]),
                pair(
                    &["doc", "note"],
                    &["doc", "<code", "note", "<pre", "hl", "k", "n"]
                ),
            ]
        );
        // Controls: the elements around each piece of text, and which of them are around the
        // control; a field's placeholder has the field's.
        assert_eq!(
            found(&f.control_contexts),
            [
                pair(&["doc", "card"], &["doc", "card", "<button", "btn"]),
                pair(&["doc", "card"], &["doc", "card", "<button", "btn", "<b"]),
                pair(&["doc", "card"], &["doc", "card", "field"]),
            ]
        );
        let none = parse_html(b"<p>plain</p>");
        assert!(none.code_contexts.is_empty() && none.control_contexts.is_empty());
        // A listing with more distinct words than a context keeps (a line anchor each) gives up
        // the code and control contexts, not the page's.
        for n in [600, 50_000] {
            let lines: String = (0..n)
                .map(|i| format!("<span id=L{i}>line</span>\n"))
                .collect();
            let f = parse_html(
                format!("<p class=a>\u{00e9}</p><pre>{lines}</pre><button>Go</button>").as_bytes(),
            );
            assert!(f.code_contexts.is_empty() && f.control_contexts.is_empty());
            assert_eq!(f.contexts.len(), 1);
        }
        // Repeated tokens are one word each, however long the listing.
        let tokens: String = (0..5000).map(|_| "<span class=k>fn</span> ").collect();
        let f = parse_html(format!("<pre>{tokens}</pre>").as_bytes());
        assert_eq!(f.code_contexts.len(), 1);
        assert!(f.code_contexts[0].words.contains("k"));
    }

    #[test]
    fn font_families_named_by_inline_styles_and_attributes() {
        let f = parse_html(
            b"<style>p{font-family:'Display Face'}</style>\
              <p style=\"font: 1em Body Face\">a</p>\
              <font face=\"Old Face, serif\">b</font>\
              <svg><text font-family=\"Svg Face\">c</text></svg>\
              <template><style>p{font-family:Inert}</style></template>",
        );
        for name in ["Display Face", "body face", "OLD FACE", "Svg Face"] {
            assert!(f.font_use.may_use(name), "{name}: {:?}", f.font_use);
        }
        assert!(!f.font_use.may_use("Unnamed"));
        assert!(
            !f.font_use.may_use("Inert"),
            "a template's content is inert"
        );
        assert!(!f.font_use.computed);
    }

    #[test]
    fn finds_html_references() {
        let f = parse_html(RICH.as_bytes());
        let html: Vec<(&str, RefKind)> = f
            .refs
            .iter()
            .filter(|r| r.element.starts_with('<'))
            .map(|r| (r.url.as_str(), r.kind))
            .collect();
        use RefKind::*;
        assert_eq!(
            html,
            vec![
                ("/css/main.css", Stylesheet),
                ("/f.woff2", Preload),
                ("/h-1.png", Preload),
                ("/m.js", ModulePreload),
                ("/favicon.ico", Icon),
                ("/apple.png", Icon),
                ("/app.webmanifest", Manifest),
                ("/classic.js", Script),
                ("/app.js", Script),
                ("/legacy.js", Script),
                ("/a.png", Image),
                ("/a,1.png", Image),
                ("/a-2.png", Image),
                ("/only-1.png", Image),
                ("/only-2.png", Image),
                ("/p.avif", Image),
                ("/p2.avif", Image),
                ("/p.jpg", Image),
                ("/poster.jpg", Poster),
                ("/v.mp4", Media),
                ("/v.webm", Media),
                ("/t.vtt", Media),
                ("/a.mp3", Media),
                ("/btn.png", Image),
            ]
        );
        assert_eq!(f.base_href.as_deref(), Some("/sub/"));
        assert_eq!(
            f.import_map,
            BTreeMap::from([
                ("lib".to_string(), "/lib/index.js".to_string()),
                ("x/".to_string(), "/x/".to_string()),
            ])
        );
        assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
    }

    #[test]
    fn stylesheets_applied_by_onload_are_deferred() {
        let f = parse_html(
            br#"<link rel=stylesheet href=/a.css media=print onload="this.media='all'">
<link rel=stylesheet href=/b.css media="only x" onload="if(media!='all')media='all'">
<link rel=stylesheet href=/c.css media=print onload="track()">
<link rel=stylesheet href=/d.css onload="this.media='all'">
<link rel=preload as=style href=/e.css onload="this.onload=null;this.rel='stylesheet'">
<link rel=preload as=script href=/f.js onload="this.rel='stylesheet'">"#,
        );
        let sheet = |url: &str| {
            f.refs
                .iter()
                .find(|r| r.url == url && r.kind == RefKind::Stylesheet)
                .map(|r| (r.attrs.deferred, r.attrs.media.as_deref()))
        };
        // Deferred: applied on every screen once loaded, so without the `media` it starts with.
        assert_eq!(sheet("/a.css"), Some((true, None)));
        assert_eq!(sheet("/b.css"), Some((true, None)));
        // An `onload` that leaves `media` alone, or a `media` that applies at once: as written.
        assert_eq!(sheet("/c.css"), Some((false, Some("print"))));
        assert_eq!(sheet("/d.css"), Some((false, None)));
        // A style preload that its `onload` makes a stylesheet: both.
        assert_eq!(sheet("/e.css"), Some((true, None)));
        assert!(
            f.refs
                .iter()
                .any(|r| r.url == "/e.css" && r.kind == RefKind::Preload)
        );
        assert_eq!(sheet("/f.js"), None);
    }

    #[test]
    fn copies_attributes() {
        let f = parse_html(RICH.as_bytes());
        let find = |url: &str| f.refs.iter().find(|r| r.url == url).unwrap();

        let css = find("/css/main.css");
        assert_eq!(css.element, "<link rel=stylesheet>");
        assert_eq!(css.attrs.media.as_deref(), Some("screen"));
        assert_eq!(css.attrs.crossorigin.as_deref(), Some(""));
        assert_eq!(css.attrs.integrity.as_deref(), Some("sha256-x"));
        assert!(css.attrs.primary);

        let font = find("/f.woff2");
        assert_eq!(font.attrs.as_.as_deref(), Some("font"));
        assert_eq!(font.attrs.type_.as_deref(), Some("font/woff2"));
        assert_eq!(font.attrs.crossorigin.as_deref(), Some("anonymous"));

        let hero = find("/h-1.png");
        assert_eq!(hero.attrs.as_.as_deref(), Some("image"));
        assert_eq!(hero.attrs.sizes(), Some("50vw"));
        let set: Vec<_> = hero
            .attrs
            .srcset()
            .iter()
            .map(|c| (&*c.url, &*c.descriptor))
            .collect();
        assert_eq!(set, [("/h-1.png", "1x"), ("/h-2.png", "2x")]);

        assert_eq!(find("/apple.png").element, "<link rel=apple-touch-icon>");
        assert_eq!(find("/favicon.ico").element, "<link rel=icon>");
        let manifest = find("/app.webmanifest");
        assert_eq!(
            manifest.attrs.crossorigin.as_deref(),
            Some("use-credentials")
        );

        let classic = find("/classic.js");
        assert_eq!(classic.element, "<script>");
        assert!(classic.attrs.defer && !classic.attrs.module && !classic.attrs.async_);
        let module = find("/app.js");
        assert_eq!(module.element, "<script type=module>");
        assert!(module.attrs.module && module.attrs.async_);
        assert_eq!(module.attrs.type_.as_deref(), Some("module"));
        assert!(find("/legacy.js").attrs.nomodule);

        let img = find("/a.png");
        assert_eq!(img.element, "<img>");
        assert!(img.attrs.primary && img.attrs.lazy);
        assert_eq!(img.attrs.fetchpriority.as_deref(), Some("high"));
        assert_eq!(img.attrs.sizes(), Some("100vw"));
        assert_eq!(img.attrs.srcset().len(), 2);
        assert_eq!(img.attrs.srcset()[0].url, "/a,1.png");
        assert!(!find("/a,1.png").attrs.primary);
        assert!(find("/a,1.png").attrs.lazy);
        assert!(find("/only-1.png").attrs.primary);
        assert_eq!(find("/only-1.png").attrs.srcset().len(), 2);
        assert!(!find("/only-2.png").attrs.primary);

        let avif = find("/p.avif");
        assert!(!avif.attrs.primary);
        assert_eq!(avif.attrs.type_.as_deref(), Some("image/avif"));
        assert_eq!(avif.attrs.media.as_deref(), Some("(min-width: 1px)"));
        assert!(find("/p.jpg").attrs.primary);
        assert_eq!(find("/poster.jpg").element, "<video poster>");
        assert_eq!(find("/v.webm").attrs.type_.as_deref(), Some("video/webm"));
        assert_eq!(find("/btn.png").element, "<input type=image>");
    }

    #[test]
    fn locations_are_line_and_character_column() {
        let f = parse_html(RICH.as_bytes());
        let loc = |url: &str| f.refs.iter().find(|r| r.url == url).unwrap().location;
        let expected = |needle: &str| super::super::location_at(RICH, RICH.find(needle).unwrap());
        assert_eq!(loc("/css/main.css"), Location::new(7, 1));
        assert_eq!(loc("/p.avif"), expected("<source srcset"));
        assert_eq!(loc("/p.jpg"), expected("<img src=\"/p.jpg"));
        assert_eq!(loc("/a.mp3"), expected("<audio"));

        let page = "<p>été</p><img src=a.png>\n  ééé <img\nsrc=b.png>";
        let f = parse_html(page.as_bytes());
        assert_eq!(f.refs[0].location, Location::new(1, 11));
        assert_eq!(f.refs[1].location, Location::new(2, 7));
    }

    #[test]
    fn template_and_noscript_are_inert() {
        let f = parse_html(RICH.as_bytes());
        for url in [
            "/in-template.png",
            "/deeper.png",
            "/noscript.png",
            "/commented.png",
        ] {
            assert!(!urls(&f).contains(&url), "{url}");
        }
        assert!(!chars(&f).contains('Ω'));

        let f = parse_html(
            b"<template><template><img src=a></template><img src=b></template><img src=c>",
        );
        assert_eq!(urls(&f), ["c"]);
        let f = parse_html(b"<TEMPLATE><IMG SRC=a></TEMPLATE><IMG SRC=b>");
        assert_eq!(urls(&f), ["b"]);
    }

    #[test]
    fn script_types() {
        let page = br#"
            <script src=a.js type=""></script>
            <script src=b.js type="text/javascript"></script>
            <script src=c.js type=" TEXT/JAVASCRIPT "></script>
            <script src=d.js type="application/json"></script>
            <script src=e.js type="text/babel"></script>
            <script src=f.js type="text/javascript; charset=utf-8"></script>
            <script src=g.js language="javascript"></script>
            <script src=h.js language="vbscript"></script>
            <script src=i.js type=MODULE></script>
            <script src=" " type=module>import "x.js"</script>
            <script src=j.js type=importmap></script>
        "#;
        let f = parse_html(page);
        assert_eq!(urls(&f), ["a.js", "b.js", "c.js", "g.js", "i.js"]);
        assert!(f.refs[4].attrs.module);
    }

    #[test]
    fn blank_and_data_urls_are_not_references() {
        let f = parse_html(
            b"<img src=''><img src='   '><link rel=stylesheet href=' \n'><script src=''></script>\
              <img src='data:image/gif;base64,R0lGOD' srcset='data:image/png;base64,AA 1x, b.png 2x'>\
              <video poster=''></video><link rel=preload href=''>",
        );
        assert_eq!(urls(&f), ["b.png"]);
        assert!(f.refs[0].attrs.primary);
    }

    #[test]
    fn urls_are_trimmed_and_decoded() {
        let f = parse_html(b"<link rel=stylesheet href='\t/a.css?x=1&amp;y=2 '>");
        assert_eq!(urls(&f), ["/a.css?x=1&y=2"]);
    }

    #[test]
    fn astro_islands() {
        let f = parse_html(
            b"<astro-island uid=a component-url=\"/_astro/Counter.js\" \
              renderer-url=\"/_astro/client.js\" client=\"load\"></astro-island>\
              <astro-island uid=b component-url=\"/_astro/Lazy.js\" renderer-url=\"/_astro/client.js\" \
              client=\"visible\"></astro-island>",
        );
        let got: Vec<(&str, RefKind, bool)> = f
            .refs
            .iter()
            .map(|r| (r.url.as_str(), r.kind, r.attrs.module))
            .collect();
        assert_eq!(
            got,
            [
                ("/_astro/client.js", RefKind::Script, true),
                ("/_astro/Counter.js", RefKind::Script, true),
                ("/_astro/client.js", RefKind::JsDynamicImport, false),
                ("/_astro/Lazy.js", RefKind::JsDynamicImport, false),
            ]
        );
        assert_eq!(f.refs[0].element, "<astro-island client=load>");
    }

    #[test]
    fn prefetch_is_recorded() {
        let f = parse_html(b"<link rel=prefetch href=/next.js as=script><link rel=dns-prefetch href=//cdn.example>");
        let got: Vec<(&str, RefKind)> = f.refs.iter().map(|r| (r.url.as_str(), r.kind)).collect();
        assert_eq!(got, [("/next.js", RefKind::Prefetch)]);
    }

    #[test]
    fn html_lang() {
        let f = parse_html(b"<!doctype html><html lang=' pt-BR '><body><p lang=en>x");
        assert_eq!(f.lang.as_deref(), Some("pt-BR"));
        assert_eq!(parse_html(b"<p>x").lang, None);
    }

    #[test]
    fn base_href_first_wins() {
        let f = parse_html(b"<base target=_blank><base href='/a/'><base href='/b/'>");
        assert_eq!(f.base_href.as_deref(), Some("/a/"));
        let f = parse_html(b"<template><base href='/t/'></template><p>");
        assert_eq!(f.base_href, None);
    }

    #[test]
    fn import_maps_merge_and_bad_ones_warn() {
        let page = br#"<script type=importmap>{"imports":{"a":"/a1.js"}}</script>
<script type="importmap">{"imports":{"a":"/a2.js","b":"/b.js","n":1}}</script>
<script type=importmap>
  {"imports": {oops}}
</script>
<script type=importmap></script>"#;
        let f = parse_html(page);
        assert_eq!(
            f.import_map,
            BTreeMap::from([
                ("a".to_string(), "/a1.js".to_string()),
                ("b".to_string(), "/b.js".to_string()),
            ])
        );
        let codes: Vec<_> = f.diagnostics.iter().map(|d| (d.code, d.location)).collect();
        assert_eq!(codes.len(), 3, "{:?}", f.diagnostics);
        assert!(codes.iter().all(|(c, _)| *c == "bad-importmap"));
        assert!(
            f.diagnostics
                .iter()
                .all(|d| d.severity == Severity::Warning)
        );
        // The JSON error points into the page: line 4, at `oops`.
        assert_eq!(codes[1].1, Location::new(4, 16));
        // An empty map fails at its very start, right after the start tag.
        assert_eq!(codes[2].1, Location::new(6, 24));
    }

    #[test]
    fn text_characters() {
        let f = parse_html(RICH.as_bytes());
        let text = chars(&f);
        for c in ['B', 'é', '中', '&', '\u{A0}', 'É', 'ÿ', 'G'] {
            assert!(text.contains(c), "{c:?} missing from {text:?}");
        }
        // Title text, scripts, styles, hidden inputs, whitespace, and `alt` and `title`
        // attributes (shown only for a broken image, and in the browser's own tooltip) are not
        // page text.
        for c in ['—', '{', 'Z', ' ', '\n', 'Ä', 'ö'] {
            assert!(!text.contains(c), "{c:?} in {text:?}");
        }
    }

    #[test]
    fn character_references() {
        let text = |s: &str| {
            let mut out = String::new();
            let mut d = EntityDecoder::default();
            // Fed one character at a time: pieces may split a reference anywhere.
            for c in s.chars() {
                d.feed(&c.to_string(), &mut out);
            }
            d.flush(&mut out);
            out
        };
        assert_eq!(text("a &amp; b &lt;&gt;&quot;&apos;"), "a & b <>\"'");
        assert_eq!(
            text("&#233;&#xE9;&#XE9;&#0000233;&#150;&#0;&#x110000;&#xD800;"),
            "ééé\u{e9}\u{2013}\u{FFFD}\u{FFFD}\u{FFFD}"
        );
        assert_eq!(text("&#38x &#; &#x; &# &"), "&x &#; &#x; &# &");
        assert_eq!(
            text("&eacute &amp &notit; &unknown; &mdash;&hellip;&copy"),
            "é & ¬it; &unknown; —…©"
        );
        assert_eq!(
            text("&#99999999999999999999999999999999999999;"),
            "\u{FFFD}"
        );
        assert_eq!(decode_attribute("/a?x=1&amp;y=2".into()), "/a?x=1&y=2");
        assert_eq!(
            decode_attribute("/a?x=1&copy=2&amp=3&notit=4".into()),
            "/a?x=1&copy=2&amp=3&notit=4"
        );
        assert_eq!(
            decode_attribute("/a?x=1&copy;=2&lang=fr&amp".into()),
            "/a?x=1©=2&lang=fr&"
        );
        assert_eq!(decode_attribute("&#x2F;&#47;x".into()), "//x");
    }

    #[test]
    fn legacy_encodings_decode_attributes() {
        let mut page = b"<html><head><title>\xe9</title><meta charset=\"windows-1252\"></head>\
                         <body><img src=\"caf\xe9.png\"><input placeholder=\"\x80\">\xfc</body>"
            .to_vec();
        let f = parse_html(&page);
        assert_eq!(urls(&f), ["café.png"]);
        assert!(chars(&f).contains('€') && chars(&f).contains('ü'));

        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("<meta http-equiv=Content-Type content='text/html; charset=Shift_JIS'>\n日本語 <img src='画像.png'>");
        let f = parse_html(&sjis);
        assert_eq!(urls(&f), ["画像.png"]);
        assert_eq!(f.refs[0].location, Location::new(2, 5));
        assert!(chars(&f).contains('語'));

        // A declaration past the prescan window still switches the decoder for what follows.
        page = format!("<!-- {} -->", "x".repeat(1500)).into_bytes();
        page.extend_from_slice(b"<meta charset=latin1><img src=\"\xe0.png\">");
        let f = parse_html(&page);
        assert_eq!(urls(&f), ["à.png"]);
    }

    #[test]
    fn byte_order_marks() {
        let page = "<p>ß</p>\n<img src=\"ü.png\">";
        let f = parse_html(&utf16(page, false));
        assert_eq!(urls(&f), ["ü.png"]);
        assert_eq!(f.refs[0].location, Location::new(2, 1));
        assert!(chars(&f).contains('ß'));
        assert_eq!(urls(&parse_html(&utf16(page, true))), ["ü.png"]);

        let mut bom = b"\xEF\xBB\xBF<meta charset=windows-1252><img src=\"\xC3\xA9.png\">".to_vec();
        assert_eq!(
            urls(&parse_html(&bom)),
            ["é.png"],
            "the BOM wins over <meta>"
        );
        bom.truncate(2);
        assert!(parse_html(&bom).refs.is_empty());
    }

    #[test]
    fn never_fails() {
        for page in [
            &b""[..],
            b"\xff\xfe",
            b"\xfe\xff\x00",
            b"<img src=\"\xff\xfe.png\">",
            b"<img src=a.png",
            b"<select><xmp><script>\"use strict\";</script></select><img src=b.png>",
            b"<svg><style>a{}</style><script href=x></script></svg><math><mi>",
            b"<style>unterminated",
            b"<script type=importmap>{",
            b"</template></template><img src=c.png>",
        ] {
            let f = parse_html(page);
            assert!(f.text.is_some());
        }
        let f = parse_html(b"<img src=\"\xff.png\">");
        assert_eq!(urls(&f), ["\u{FFFD}.png"]);
    }

    #[test]
    fn srcset_parsing() {
        let parse = |s: &str| -> Vec<(String, String)> {
            parse_srcset(s)
                .into_iter()
                .map(|c| (c.url, c.descriptor))
                .collect()
        };
        let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(u, d)| (u.to_string(), d.to_string()))
                .collect()
        };
        assert_eq!(
            parse("a,b.png 1x, c.png 2x"),
            p(&[("a,b.png", "1x"), ("c.png", "2x")])
        );
        assert_eq!(parse("a.png, b.png"), p(&[("a.png", ""), ("b.png", "")]));
        assert_eq!(parse("a.png,b.png"), p(&[("a.png,b.png", "")]));
        assert_eq!(
            parse(" a.png 480w,b.png 800w "),
            p(&[("a.png", "480w"), ("b.png", "800w")])
        );
        assert_eq!(parse("a.png 100w 50h"), p(&[("a.png", "100w 50h")]));
        assert_eq!(
            parse("a.png 1.5x,\n\tb.png .5x"),
            p(&[("a.png", "1.5x"), ("b.png", ".5x")])
        );
        assert_eq!(
            parse("data:image/png;base64,AA== 1x"),
            p(&[("data:image/png;base64,AA==", "1x")])
        );
        assert_eq!(parse("a.png,,, b.png"), p(&[("a.png", ""), ("b.png", "")]));
        assert_eq!(parse(",,,"), p(&[]));
        assert_eq!(parse(""), p(&[]));
        // Invalid descriptors drop the candidate.
        for bad in [
            "a.png 1x 2x",
            "a.png 0w",
            "a.png 1.x",
            "a.png -1x",
            "a.png 50h",
            "a.png foo",
            "a.png 1x 10w",
        ] {
            assert_eq!(
                parse(&format!("{bad}, ok.png 2x")),
                p(&[("ok.png", "2x")]),
                "{bad}"
            );
        }
        // Parentheses keep whitespace and commas inside one (invalid) descriptor.
        assert_eq!(parse("a.png (1x, 2x), b.png"), p(&[("b.png", "")]));
        assert_eq!(parse("ü.png 1e1x"), p(&[("ü.png", "1e1x")]));
    }

    #[test]
    fn meta_content_charset() {
        assert_eq!(
            charset_from_content("text/html; charset=Shift_JIS"),
            Some("Shift_JIS")
        );
        assert_eq!(
            charset_from_content("text/html;charset = \"koi8-r\" x"),
            Some("koi8-r")
        );
        assert_eq!(charset_from_content("charsetcharset=utf-8;"), Some("utf-8"));
        assert_eq!(
            charset_from_content("text/html; charset='unterminated"),
            None
        );
        assert_eq!(charset_from_content("text/html"), None);
    }

    #[test]
    fn inline_css_is_parsed() {
        let page = "<p>x</p>\n<style>\n  @import \"/inline.css\";\n</style>\n\
                    <div style=\"background: url(/div.png)\"></div>\n\
                    <template><style>@import \"/t.css\";</style></template>\
                    <style type=text/less>@import \"/less.css\";</style>";
        let f = parse_html(page.as_bytes());
        let import = only(&f, RefKind::CssImport);
        assert_eq!(import.len(), 1, "{:?}", f.refs);
        assert_eq!(import[0].url, "/inline.css");
        assert_eq!(import[0].location, Location::new(3, 3));
        let url = only(&f, RefKind::CssUrl);
        assert_eq!(url.len(), 1, "{:?}", f.refs);
        assert_eq!(url[0].url, "/div.png");
        assert_eq!(url[0].location, Location::new(5, 1));
    }

    #[test]
    fn inline_module_imports() {
        let page = "<script type=module>\nimport \"/dep.js\";\n</script><script>import \"/no.js\"</script>";
        let f = parse_html(page.as_bytes());
        let imports = only(&f, RefKind::JsImport);
        assert_eq!(imports.len(), 1, "{:?}", f.refs);
        assert_eq!(imports[0].url, "/dep.js");
        assert_eq!(imports[0].location, Location::new(2, 1));
    }

    #[test]
    fn rewriter_failure_is_a_warning() {
        let mut page = b"<img src=a.png>\n<img alt=\"".to_vec();
        page.extend(std::iter::repeat_n(b'x', 64 * 1024));
        page.extend_from_slice(b"\" src=b.png><img src=c.png>");
        let mut parser = Box::new(HtmlParser::new());
        parser.memory_limit = 8 * 1024;
        for chunk in page.chunks(1000) {
            parser.write(chunk);
        }
        let f = parser.finish();
        assert_eq!(urls(&f), ["a.png"]);
        assert_eq!(f.diagnostics.len(), 1, "{:?}", f.diagnostics);
        assert_eq!(f.diagnostics[0].code, "html-parse");
        assert_eq!(f.diagnostics[0].severity, Severity::Warning);
        assert!(f.text.is_some());
    }

    #[test]
    fn parsers_can_move_between_threads() {
        fn assert_send<T: Send>() {}
        assert_send::<HtmlParser>();
    }

    #[test]
    fn rebasing() {
        let origin = Location::new(10, 5);
        assert_eq!(rebase(Location::new(1, 1), origin), Location::new(10, 5));
        assert_eq!(rebase(Location::new(1, 3), origin), Location::new(10, 7));
        assert_eq!(rebase(Location::new(3, 2), origin), Location::new(12, 2));
        assert_eq!(rebase(Location::default(), origin), origin);
    }

    /// Documents for the streaming test: every chunking must give the same facts.
    fn streaming_corpus() -> Vec<(&'static str, Vec<u8>)> {
        let mut late_meta = format!("<!-- {} -->\n<p>ab</p>", "pad ".repeat(300)).into_bytes();
        late_meta.extend_from_slice(
            b"<meta charset=windows-1252><p>\xe9\xe8</p><img src=\"\xe0.png\" alt=\"\xfc\">",
        );
        let (sjis, _, _) = encoding_rs::SHIFT_JIS
            .encode("<meta charset=shift_jis><p>日本語テキスト</p>\n<img src=\"画像.png\" srcset=\"画像2.png 2x\">");
        vec![
            ("rich", RICH.as_bytes().to_vec()),
            ("rich utf-16le", utf16(RICH, false)),
            ("rich utf-16be", utf16(RICH, true)),
            ("rich utf-8 bom", [b"\xEF\xBB\xBF".as_slice(), RICH.as_bytes()].concat()),
            (
                "windows-1252",
                b"<!doctype html><meta charset=\"windows-1252\"><title>Caf\xe9</title>\
                  <p>na\xefve \x93quoted\x94 &eacute;</p>\n<img src=\"caf\xe9.png\" alt=\"\xc9t\xe9\">\
                  <link rel=stylesheet href=\"\xfc.css\">"
                    .to_vec(),
            ),
            ("late meta", late_meta),
            ("shift_jis", sjis.into_owned()),
            (
                "inline style and module",
                b"<style>\n@import url(/x.css);\n.a{background:url(/y.png)}\n</style>\n\
                  <div style=\"mask: url(/m.svg)\">\xc3\xa9&amp;&#x1F600;&hellip;</div>\n\
                  <script type=module>\nimport a from \"/a.js\";\nimport(\"/lazy.js\");\n</script>"
                    .to_vec(),
            ),
            (
                "templates and srcset",
                b"<template><img src=t.png><template><style>@import 't.css';</style></template></template>\
                  <picture><source srcset=\"a.avif 1x, a,2.avif 2x\" type=image/avif><img srcset=\"b 1x,c 2x\"></picture>\
                  <noscript><img src=n.png></noscript><p>\xe2\x82\xac</p>"
                    .to_vec(),
            ),
            (
                "import maps",
                br#"<script type=importmap>{"imports":{"a":"/a.js","b":"/b.js"}}</script>
<script type=importmap>{bad json}</script><script type=importmap></script>"#
                    .to_vec(),
            ),
            (
                "invalid utf-8 and truncation",
                b"<p>\xff\xfe\xc3</p><img alt=\"\xe2\x82\" src=\"x\xc3.png\"><img src=tr".to_vec(),
            ),
        ]
    }

    #[test]
    fn every_chunking_gives_the_same_facts() {
        for (name, doc) in streaming_corpus() {
            let whole = parse_html(&doc);
            assert!(
                !whole.refs.is_empty() || name == "import maps",
                "{name}: no refs"
            );
            for size in 1..=64 {
                let chunked = parse_chunked(&doc, size);
                assert_eq!(
                    summary(&whole),
                    summary(&chunked),
                    "{name}: chunk size {size} differs"
                );
            }
        }
    }

    #[test]
    fn memory_stays_bounded() {
        let mut page = String::new();
        for i in 0..20_000 {
            page.push_str(&format!(
                "<div class=c{i}><p>Paragraph {i}, été</p><img src=\"/i/{i}.png\" alt=x>\
                 <svg><path d=\"M0 0L{i} {i}\"/></svg></div>\n"
            ));
        }
        let mut parser = Box::new(HtmlParser::new());
        let mut most = 0;
        for chunk in page.as_bytes().chunks(8192) {
            parser.write(chunk);
            most = most.max(lock(&parser.shared).positions.held());
        }
        let f = parser.finish();
        assert_eq!(f.refs.len(), 20_000);
        assert_eq!(f.refs[19_999].location, Location::new(20_000, 46));
        assert!(most <= 2 * 8192, "{most} bytes held");
    }

    #[test]
    fn encodings_agree() {
        let whole = parse_html(RICH.as_bytes());
        for doc in [utf16(RICH, false), utf16(RICH, true)] {
            let other = parse_html(&doc);
            assert_eq!(summary(&whole), summary(&other));
        }
    }
}
