//! CSS discovery: the URLs a stylesheet makes the browser fetch.
//!
//! This module owns reading `@import`, `@font-face { src }` and every other `url()` out of CSS text, with
//! the attributes a hint needs (`media` of an import; `format`, `font-family` and `unicode-range` of a
//! font). It does not resolve URLs or decide what to hint; that is [`crate::graph`] and the hint policy.
//!
//! The text is read with `cssparser`'s tokenizer (the one Servo and Firefox use), so strings, escapes,
//! comments and unquoted `url(…)` tokens follow CSS Syntax Level 3 exactly; no regexes. Rather than
//! modelling every at-rule, the walker goes through the token stream and descends into every `{}`, `()`
//! and `[]` block, so `@media`, `@supports`, `@layer`, `@container`, `@scope` and CSS nesting are all
//! covered at any depth, and malformed CSS just yields whatever can still be found. Only four shapes
//! are understood: `@import` preludes, `@font-face` bodies, `@namespace` preludes (whose URL is a
//! name, never fetched), and `font-family` / `font` declarations and custom properties (the
//! families the rules may ask for, [`FontUse`]). Depth is bounded by `cssparser`'s nested-block limit, so hostile nesting
//! cannot overflow the stack.
//!
//! URLs that never cause a fetch are dropped here rather than in the resolver: `data:` URLs (their bytes
//! are inline, and copying a base64 font into a `String` is wasted memory) and fragment-only URLs such as
//! `url(#clip)` (they name an element of the current document).

use cssparser::{CowRcStr, Delimiter, ParseError, Parser, Token, UnicodeRange};

use std::cell::OnceCell;
use std::rc::Rc;

use super::{
    Cascaded, Expr, FamilyDecl, FileFacts, FontUse, Gated, GatedWeight, Locator, PageWeight,
    PropDef, RefAttrs, RefKind, Reference, VarRead, VarRef, VarSlant, Weight,
};

/// Parses a stylesheet and returns its references in document order.
///
/// Also used on inline `<style>` text and on `style=""` values wrapped as `*{…}`. Locations are
/// 1-based line:col within `text`. Never fails: malformed CSS gives the references that can be found.
pub fn parse_css(text: &str) -> FileFacts {
    let mut walker = Walker {
        locator: Locator::new(text),
        refs: Vec::new(),
        fonts: FontUse::default(),
        text,
        rule: Rule::Any,
        nested: false,
        in_style: false,
        in_at_rule: false,
        block_weights: Vec::new(),
        block_family: Vec::new(),
    };
    let mut parser = Parser::new(text);
    walker.scan(&mut parser, false);
    shadow_faces(&mut walker.refs);
    let mut fonts = walker.fonts;
    fonts.normalize();
    FileFacts {
        refs: walker.refs,
        font_use: fonts,
        ..FileFacts::default()
    }
}

/// An inclusive range of code points, as in a `unicode-range`.
pub(crate) type CodeRange = (u32, u32);

/// Where faces of one family, style and weight overlap, a browser takes each character from the
/// last one declared whose `unicode-range` holds it (Noto's `math` subset, declared after `greek`,
/// covers the basic Greek letters). So each face's range becomes what the faces after it leave,
/// marked [`RareAttrs::shadowed`](super::RareAttrs::shadowed) when that is less.
fn shadow_faces(refs: &mut [Reference]) {
    let faces: Vec<usize> = (0..refs.len())
        .filter(|&i| refs[i].kind == RefKind::Font && refs[i].attrs.font_family().is_some())
        .collect();
    if faces.len() < 2 {
        return;
    }
    let key = |r: &Reference| {
        let (style, weight) = r.attrs.face_descriptors();
        (
            r.attrs.font_family().map(str::to_ascii_lowercase),
            style.map(str::to_owned),
            weight.map(str::to_owned),
        )
    };
    let keys: Vec<_> = faces.iter().map(|&i| key(&refs[i])).collect();
    for (n, &i) in faces.iter().enumerate() {
        let later: Vec<CodeRange> = faces[n + 1..]
            .iter()
            .zip(&keys[n + 1..])
            .filter(|(_, k)| **k == keys[n])
            .flat_map(|(&j, _)| whole_if_empty(refs[j].attrs.unicode_range()))
            .collect();
        if later.is_empty() {
            continue;
        }
        let own = whole_if_empty(refs[i].attrs.unicode_range());
        let left = subtract_ranges(&own, later);
        if left != own {
            let rare = refs[i].attrs.rare_mut();
            rare.unicode_range = left;
            rare.shadowed = true;
        }
    }
}

/// A `unicode-range` as a list that is never empty: no `unicode-range` means every code point.
fn whole_if_empty(ranges: &[CodeRange]) -> Vec<CodeRange> {
    if ranges.is_empty() {
        vec![(0, 0x10FFFF)]
    } else {
        ranges.to_vec()
    }
}

/// The code points of `from` that are in none of `less`, as inclusive ranges in the order of `from`.
pub(crate) fn subtract_ranges(from: &[CodeRange], mut less: Vec<CodeRange>) -> Vec<CodeRange> {
    less.sort_unstable();
    let mut left = Vec::new();
    for &(lo, hi) in from.iter().filter(|(lo, hi)| lo <= hi) {
        let mut next = lo;
        // The cuts that may reach into [lo, hi]: those starting at or before hi.
        for &(cut_lo, cut_hi) in &less[..less.partition_point(|c| c.0 <= hi)] {
            if cut_hi < next {
                continue;
            }
            if cut_lo > next {
                left.push((next, cut_lo - 1));
            }
            next = cut_hi.saturating_add(1);
            if next > hi {
                break;
            }
        }
        if next <= hi {
            left.push((next, hi));
        }
    }
    left
}

/// The code points of `ranges` as sorted, disjoint ranges, adjacent ones joined.
pub(crate) fn merge_ranges(mut ranges: Vec<CodeRange>) -> Vec<CodeRange> {
    ranges.retain(|(lo, hi)| lo <= hi);
    ranges.sort_unstable();
    let mut out: Vec<CodeRange> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// The code points in both `a` and `b`, each sorted and disjoint ([`merge_ranges`]).
pub(crate) fn intersect_ranges(a: &[CodeRange], b: &[CodeRange]) -> Vec<CodeRange> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let (lo, hi) = (a[i].0.max(b[j].0), a[i].1.min(b[j].1));
        if lo <= hi {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The most names before a family that its place in a list keeps ([`super::Place::before`]);
/// one further down counts as first.
const MAX_BEFORE: usize = 32;

/// The error type of the `cssparser` closures; nothing is reported, errors only stop a sub-parse.
type Failure = ParseError<()>;

struct Walker<'t> {
    locator: Locator<'t>,
    refs: Vec<Reference>,
    /// Family names of `font-family` / `font` declarations, unsorted.
    fonts: FontUse,
    text: &'t str,
    /// The innermost style rule around the walk.
    rule: Rule,
    /// Inside a style rule or an at-rule other than `@layer`: a rule here applies only where
    /// they do.
    nested: bool,
    /// Inside a style rule (for the cascade, [`super::Cascaded`]).
    in_style: bool,
    /// Inside an at-rule's block, `@layer`'s included.
    in_at_rule: bool,
    /// The block being walked: the weights its declarations set (indexes into
    /// [`FontUse::page_weights`]) and the families its last `font-family` or `font` declaration
    /// sets ([`PageWeight::family`]).
    block_weights: Vec<usize>,
    block_family: Vec<String>,
}

/// What a rule's selectors ask of an element ([`selector_gate`]); `None` when some selector may
/// match any element.
type RuleGate = Option<Rc<Vec<Vec<String>>>>;

/// The innermost style rule around a declaration, and what its selectors ask of an element.
#[derive(Clone)]
enum Rule {
    /// Outside style rules.
    Any,
    /// A style rule: its selectors (a byte range of the text), read once, when a font declaration
    /// first needs them, and what they ask of an element, worked out once for each way of
    /// reading it.
    Selectors {
        range: std::ops::Range<usize>,
        /// The selectors' compounds ([`Walker::selectors`]).
        selectors: OnceCell<Rc<Vec<Vec<Compound>>>>,
        /// Class names, ids, [`super::GATING_ELEMENTS`] and [`super::HEADINGS`]
        /// ([`Walker::rule_gate`]).
        gate: OnceCell<RuleGate>,
        /// Those and [`super::NAMED_ELEMENTS`] ([`Walker::named_gate`]).
        named: OnceCell<RuleGate>,
        /// The selectors for the cascade ([`Walker::rule_selectors`]).
        ranked: OnceCell<Rc<[super::RuleSelector]>>,
        /// Outside other rules and conditional at-rules ([`Walker::nested`]).
        top: bool,
        /// Outside other style rules ([`super::Cascaded::selectors`]).
        unnested: bool,
        /// Outside other style rules and at-rules ([`super::Cascaded::overrides`]).
        overrides: bool,
    },
}

/// One `src` entry of an `@font-face`: a URL and its `format()`.
struct FontSource {
    url: String,
    format: Option<String>,
}

impl<'t> Walker<'t> {
    /// Walks tokens until the end of `p` (the input, or the block `p` is delimited to), descending into
    /// every block. In an `image-set()`, bare strings are URLs too.
    fn scan<'i>(&mut self, p: &mut Parser<'i>, in_image_set: bool) {
        // Where the current statement (a rule's prelude, a declaration) began.
        let mut statement = None;
        loop {
            p.skip_whitespace();
            let at = p.position();
            let start = at.byte_index();
            let Ok(token) = p.next() else { return };
            let began = *statement.get_or_insert(at);
            match token.clone() {
                Token::Semicolon => statement = None,
                Token::AtKeyword(name) if name.eq_ignore_ascii_case("import") => {
                    self.import(p, start);
                    statement = None;
                }
                Token::AtKeyword(name) if name.eq_ignore_ascii_case("font-face") => {
                    self.font_face(p, start);
                    statement = None;
                }
                Token::AtKeyword(name) if name.eq_ignore_ascii_case("namespace") => {
                    // `@namespace svg url(http://www.w3.org/2000/svg);` names, never fetches.
                    let _ = p.parse_until_after(Delimiter::Semicolon, |p| {
                        skip_rest(p);
                        Ok::<(), Failure>(())
                    });
                    statement = None;
                }
                // A block after a style rule's selectors: the declarations in it apply only to
                // elements they match. An at-rule's block (`@media`, `@layer`, …) keeps the rule
                // around it.
                Token::CurlyBracketBlock => {
                    let outer = self.rule.clone();
                    let outer_nested = self.nested;
                    // A block's weights go with its own family declarations only: those of a
                    // block nested in it apply to other elements, or under a condition.
                    let outer_block = (
                        std::mem::take(&mut self.block_weights),
                        std::mem::take(&mut self.block_family),
                    );
                    let (outer_style, outer_at) = (self.in_style, self.in_at_rule);
                    let prelude = p.slice(began..at).trim_start();
                    if !prelude.starts_with('@') {
                        self.rule = Rule::Selectors {
                            range: began.byte_index()..start,
                            selectors: OnceCell::new(),
                            gate: OnceCell::new(),
                            named: OnceCell::new(),
                            ranked: OnceCell::new(),
                            top: !self.nested,
                            unnested: !self.in_style,
                            overrides: !self.in_style && !self.in_at_rule,
                        };
                        self.nested = true;
                        self.in_style = true;
                    } else {
                        self.in_at_rule = true;
                        // `.a { @media print { font-family: B } }`: the rule's declarations in
                        // there apply only where the at-rule does.
                        if let Rule::Selectors { overrides, .. } = &mut self.rule {
                            *overrides = false;
                        }
                        let layer = prelude
                            .get(..6)
                            .is_some_and(|a| a.eq_ignore_ascii_case("@layer"));
                        self.nested |= !layer;
                    }
                    self.descend(p, false);
                    self.rule = outer;
                    self.nested = outer_nested;
                    (self.block_weights, self.block_family) = outer_block;
                    (self.in_style, self.in_at_rule) = (outer_style, outer_at);
                    statement = None;
                }
                // A rule for certain elements may give them a weight that picks one face of a
                // family they name.
                Token::Ident(name)
                    if name.eq_ignore_ascii_case("font-weight")
                        && p.try_parse(Parser::expect_colon).is_ok() =>
                {
                    declaration_value(p, |value| {
                        let weight = weight_value(value);
                        self.gated_weight(weight);
                    });
                }
                // `font-style: italic` (or `oblique`, or computed) may set text in italics.
                Token::Ident(name)
                    if name.eq_ignore_ascii_case("font-style")
                        && p.try_parse(Parser::expect_colon).is_ok() =>
                {
                    declaration_value(p, |value| {
                        let start = value.state();
                        if let Some(inherit) = upright_keyword(value) {
                            self.sets_upright(inherit);
                            self.style_decl(false);
                            return;
                        }
                        value.reset(&start);
                        let (mut slant, mut computed) = (false, false);
                        while let Ok(token) = value.next() {
                            match token {
                                Token::Ident(word) => slant |= is_slant(word),
                                Token::Function(f) => {
                                    computed |= is_computing(f) || f.eq_ignore_ascii_case("var")
                                }
                                _ => {}
                            }
                        }
                        if slant || computed {
                            self.slants();
                        }
                        self.style_decl(slant && !computed);
                    });
                }
                // A `font-family` or `font` declaration, or a selector such as `font:hover` (whose
                // words then count as names, which only keeps more faces): the value ends at `;`,
                // at the end of the block, or before a `{}` block, which the walk then descends
                // into. A custom property may hold a font list that a `var()` elsewhere reads (in
                // a shadow root's styles, which live in scripts): its words count as names too,
                // and its value is then walked again as usual, for its `url()`s.
                Token::Ident(name)
                    if (name.eq_ignore_ascii_case("font-family")
                        || name.eq_ignore_ascii_case("font")
                        || name.starts_with("--"))
                        && p.try_parse(Parser::expect_colon).is_ok() =>
                {
                    let custom = name.starts_with("--").then(|| name.clone());
                    let shorthand = name.eq_ignore_ascii_case("font");
                    let value_start = p.state();
                    declaration_value(p, |value| {
                        self.font_value(value, custom.as_deref(), shorthand);
                    });
                    if custom.is_some() {
                        p.reset(&value_start);
                    }
                }
                Token::UnquotedUrl(url) => self.push(&url, RefKind::CssUrl, "url()", start),
                Token::QuotedString(url) if in_image_set => {
                    self.push(&url, RefKind::CssUrl, "url()", start);
                }
                Token::Function(name) if is_url_function(&name) => {
                    if let Some(url) = url_function_argument(p) {
                        self.push(&url, RefKind::CssUrl, "url()", start);
                    }
                }
                Token::Function(name) => {
                    let image_set = name.eq_ignore_ascii_case("image-set")
                        || name.eq_ignore_ascii_case("-webkit-image-set");
                    self.descend(p, image_set);
                }
                Token::ParenthesisBlock | Token::SquareBracketBlock => {
                    self.descend(p, false);
                }
                _ => {}
            }
        }
    }

    /// Walks the block whose opening token was just read.
    fn descend<'i>(&mut self, p: &mut Parser<'i>, in_image_set: bool) {
        let _ = p.parse_nested_block(|inner| {
            self.scan(inner, in_image_set);
            Ok::<(), Failure>(())
        });
    }

    /// `@import <url> [layer | layer(…)]? [supports(…)]? <media-query-list>?;`, the at-keyword just read.
    fn import<'i>(&mut self, p: &mut Parser<'i>, start: usize) {
        let _ = p.parse_until_after(Delimiter::Semicolon | Delimiter::CurlyBracketBlock, |p| {
            let url = match p.next()?.clone() {
                Token::QuotedString(s) | Token::UnquotedUrl(s) => Some(s),
                Token::Function(name) if is_url_function(&name) => url_function_argument(p),
                _ => None,
            };
            let mut media_start = None;
            loop {
                p.skip_whitespace();
                let at = p.position();
                let Ok(token) = p.next() else { break };
                let modifier = match token {
                    Token::Ident(name) => name.eq_ignore_ascii_case("layer"),
                    Token::Function(name) => {
                        name.eq_ignore_ascii_case("layer") || name.eq_ignore_ascii_case("supports")
                    }
                    _ => false,
                };
                if !modifier {
                    media_start = Some(at);
                    skip_rest(p);
                    break;
                }
            }
            let media = media_start
                .map(|at| p.slice_from(at).trim())
                .filter(|m| !m.is_empty())
                .map(Box::from);
            if let Some(url) = url {
                let attrs = RefAttrs {
                    media,
                    ..RefAttrs::default()
                };
                self.push_with(&url, RefKind::CssImport, "@import", start, attrs);
            }
            Ok::<(), Failure>(())
        });
    }

    /// `@font-face { … }`, the at-keyword just read: one [`RefKind::Font`] for the preferred `src`.
    fn font_face<'i>(&mut self, p: &mut Parser<'i>, start: usize) {
        // Skip any (invalid) prelude, up to the block.
        declaration_value(p, skip_rest);
        if !matches!(p.next(), Ok(Token::CurlyBracketBlock)) {
            return;
        }
        let mut sources = Vec::new();
        let mut attrs = RefAttrs::default();
        let _ = p.parse_nested_block(|body| {
            while !body.is_exhausted() {
                let _ = body.parse_until_after(Delimiter::Semicolon, |decl| {
                    font_descriptor(decl, &mut sources, &mut attrs);
                    skip_rest(decl);
                    Ok::<(), Failure>(())
                });
            }
            Ok::<(), Failure>(())
        });
        // A browser takes the sources in order and fetches the first whose format it reads, or
        // one without a format, which it tries (Chromium fetches a `woff` listed before a
        // `woff2`). One without a format that no browser reads (`.eot`, SVG fonts) is passed over,
        // as the next one is what the text ends up in.
        let pick = sources.iter().position(|s| match &s.format {
            // Also the old variable-font spelling `woff2 supports variations`.
            Some(f) => {
                is_readable_format(f) || f.get(..5).is_some_and(|f| f.eq_ignore_ascii_case("woff2"))
            }
            None => {
                let path = path_of(&s.url).to_ascii_lowercase();
                ![".eot", ".svg", ".svgz"]
                    .iter()
                    .any(|ext| path.ends_with(ext))
            }
        });
        // A face without a (valid) family is dropped by browsers: nothing of it is fetched.
        if attrs.font_family().is_none() {
            return;
        }
        let Some(pick) = pick else { return };
        let source = sources.remove(pick);
        let others: Vec<String> = sources.into_iter().map(|s| s.url).collect();
        if source.format.is_some() {
            attrs.rare_mut().format = source.format;
        }
        if !others.is_empty() {
            attrs.rare_mut().other_sources = others;
        }
        self.push_with(&source.url, RefKind::Font, "@font-face", start, attrs);
    }

    /// Records what a `font-family` or `font` declaration or a custom property (`custom`, its
    /// name) may ask for: the names of its value and the custom properties it reads
    /// ([`read_value`]), and, for a declaration, whether `env()` or `attr()` computes it. In the
    /// `font` shorthand (`shorthand`), a computed value may also set italics.
    fn font_value<'i>(&mut self, p: &mut Parser<'i>, custom: Option<&str>, shorthand: bool) {
        let mut value = Value::default();
        let start = p.state();
        read_value(p, shorthand && custom.is_none(), &mut value, None);
        let mut expr = std::mem::take(&mut value.expr);
        if let Some(prop) = custom {
            p.reset(&start);
            let empty = p.is_exhausted();
            let weighs = may_hold(p, &sets_weight);
            p.reset(&start);
            let slants = may_hold(p, &|t| matches!(t, Token::Ident(w) if is_slant(w)));
            p.reset(&start);
            let weight = match weight_value(p) {
                Weight::Is(w) => Some(w),
                _ => None,
            };
            if !expr.is_empty() || weight.is_some() || empty {
                let gate = self.rule_gate().as_deref().cloned();
                let on_root = matches!(self.rule, Rule::Selectors { top: true, .. })
                    && self.selectors().iter().all(|s| match s.as_slice() {
                        [c] => {
                            (c.root
                                || c.tag
                                    .as_deref()
                                    .is_some_and(|t| t.eq_ignore_ascii_case("html")))
                                && c.words.is_empty()
                                && !c.extra
                        }
                        _ => false,
                    });
                p.reset(&start);
                let at = self.cascaded(p, None);
                self.fonts.props.push(PropDef {
                    prop: prop.to_owned(),
                    value: expr,
                    weight,
                    empty,
                    gate,
                    on_root,
                    places: value.places,
                    at,
                    weighs,
                    slants,
                });
            }
            return;
        }
        self.fonts.places.append(&mut value.places);
        // The elements it names count, as for a weight or a style: Read the Docs' `h1, …, h6,
        // legend { font-family: Roboto Slab }` asks for headings or a `<legend>`, not for any
        // element.
        let gate = self.named_gate();
        let computed = value.computed || !expr.vars.is_empty();
        if shorthand {
            // `font: inherit` gives the parent's weight and style; otherwise the shorthand resets
            // the weight to `normal` unless it says one.
            p.reset(&start);
            let keyword = upright_keyword(p);
            let weight = match (keyword, value.weight.unwrap_or(Some(400))) {
                (Some(true), _) => Weight::Inherit,
                (_, Some(w)) if !computed => Weight::Is(w),
                // Only `var()`s compute it: what they read decides.
                (_, Some(weight)) if !value.computed => Weight::Shorthand {
                    props: expr.props_read(),
                    weight,
                },
                _ => Weight::Unknown,
            };
            self.gated_weight(weight);
            if let Some(inherit) = keyword {
                self.sets_upright(inherit);
            }
        }
        if shorthand {
            self.style_decl(value.italic && !computed);
        }
        if value.italic || shorthand && value.computed {
            self.slants();
        } else if shorthand && computed {
            // Only `var()`s compute it: what they read decides.
            let gate = self.named_gate().as_deref().cloned();
            let props = expr.props_read();
            self.fonts.var_slants.push(VarSlant { gate, props });
        }
        let selectors = self.selectors();
        // The last compound of each selector: the element the declarations apply to.
        let subjects = || selectors.iter().filter_map(|s| s.last());
        let code: Vec<Vec<String>> = subjects()
            .filter(|s| s.may_hold_code())
            .map(|s| s.words.clone())
            .collect();
        // A value that may mean any family: computed, read from a custom property, or the
        // parent's (browsers give code elements and form controls a font of their own;
        // `inherit` gives them the family of the text around them).
        let any = computed
            || expr
                .names
                .iter()
                .any(|n| ["inherit", "unset", "revert", "revert-layer"].contains(&n.as_str()));
        if subjects().any(Compound::may_hold_control) {
            if any {
                self.fonts.control_families.push(String::new());
            } else {
                self.fonts
                    .control_families
                    .extend(expr.names.iter().cloned());
            }
        }
        if !code.is_empty() {
            let names = if any {
                vec![String::new()]
            } else {
                expr.names.clone()
            };
            self.fonts
                .code_families
                .extend(names.into_iter().map(|name| Gated {
                    name,
                    any_of: code.clone(),
                }));
        }
        // The weights of the rule set text in these families, whichever declaration comes first.
        self.block_family = if any { Vec::new() } else { expr.names.clone() };
        for &i in &self.block_weights {
            self.fonts.page_weights[i].family = self.block_family.clone();
        }
        p.reset(&start);
        let at = self.cascaded(p, Some(shorthand));
        self.fonts.decls.push(FamilyDecl {
            names: expr.names.clone(),
            at,
            fixed: !any && !expr.names.is_empty(),
            selectors: self.rule_selectors(),
        });
        let fonts = &mut self.fonts;
        fonts.computed |= value.computed;
        if !expr.vars.is_empty() {
            fonts.var_reads.push(VarRead {
                vars: expr.vars,
                gate: gate.as_deref().cloned(),
            });
        }
        match &gate {
            None => fonts.names.append(&mut expr.names),
            Some(gate) => {
                let generated = generated_only(&selectors);
                if !generated.is_empty() {
                    fonts.generated.extend(expr.names.iter().map(|name| Gated {
                        name: name.clone(),
                        any_of: generated.clone(),
                    }));
                }
                fonts.gated.extend(expr.names.into_iter().map(|name| Gated {
                    name,
                    any_of: gate.to_vec(),
                }))
            }
        }
    }

    /// Where the innermost rule's declaration whose value `p` holds stands in the cascade: a
    /// `font-family` or `font` one (`Some(shorthand)`), or a custom property's (`None`), whose
    /// value a browser always keeps.
    fn cascaded(&self, p: &mut Parser<'_>, family: Option<bool>) -> Cascaded {
        let (selectors, overrides) = match &self.rule {
            Rule::Selectors {
                range,
                unnested: true,
                overrides,
                ..
            } => {
                let text = self.text.get(range.clone()).unwrap_or_default();
                (
                    text.split_whitespace().collect::<Vec<_>>().join(" "),
                    *overrides,
                )
            }
            _ => (String::new(), false),
        };
        let kept = match family {
            Some(shorthand) => kept_value(p, shorthand),
            None => Some(is_important(p)),
        };
        Cascaded {
            overrides: overrides && kept.is_some() && !selectors.is_empty(),
            selectors,
            important: kept.unwrap_or_else(|| is_important(p)),
        }
    }

    /// Records that the innermost style rule sets the elements it matches upright, or in their
    /// parent's style (`inherit`): kept when it is a [`super::Upright`] rule, for each of its
    /// selectors that is one compound of an element name of [`super::ITALIC_ELEMENTS`] or none,
    /// class names and ids.
    fn sets_upright(&mut self, inherit: bool) {
        if !matches!(self.rule, Rule::Selectors { top: true, .. }) {
            return;
        }
        for selector in self.selectors().iter() {
            let [c] = selector.as_slice() else { continue };
            if c.other || c.root || (c.tag.is_none() && c.words.is_empty()) {
                continue;
            }
            let tag = match &c.tag {
                None => None,
                Some(t) => match super::italic_index(t) {
                    Some(i) => Some(i),
                    None => continue,
                },
            };
            let names = c.words.iter().map(|w| super::Words::hash(w)).collect();
            self.fonts.upright.push(super::Upright {
                tag,
                names,
                inherit,
            });
        }
    }

    /// Records that the innermost style rule may set text in italics: any text, or, for a rule for
    /// certain elements, theirs. Here the elements that italic rules commonly ask for count as
    /// names too ([`super::NAMED_ELEMENTS`]: normalize.css's `dfn { font-style: italic }` slants
    /// no text of a page without a `<dfn>`, nor `table.docutils caption` one without a caption).
    fn slants(&mut self) {
        match self.named_gate() {
            Some(gate) => self.fonts.italic_for.push(gate.to_vec()),
            None => self.fonts.italic = true,
        }
    }

    /// Records a `font-style` (or `font`) declaration of the innermost style rule, which surely
    /// slants text (`italic`) or may set it upright.
    fn style_decl(&mut self, italic: bool) {
        let selectors = self.rule_selectors();
        let overrides = !selectors.is_empty()
            && matches!(
                self.rule,
                Rule::Selectors {
                    overrides: true,
                    ..
                }
            );
        self.fonts.styles.push(super::StyleDecl {
            italic,
            overrides,
            selectors,
        });
    }

    /// The innermost style rule's selectors as the cascade sees them ([`rule_selector`]),
    /// worked out once for the rule; none outside style rules, in a nested one (whose selectors
    /// are relative to the outer one's), or for a rule without selectors
    /// ([`super::Cascaded::selectors`]).
    fn rule_selectors(&self) -> Vec<super::RuleSelector> {
        match &self.rule {
            Rule::Selectors {
                range,
                unnested: true,
                ranked,
                ..
            } if self
                .text
                .get(range.clone())
                .is_some_and(|t| !t.trim().is_empty()) =>
            {
                ranked
                    .get_or_init(|| self.selectors().iter().map(|s| rule_selector(s)).collect())
                    .to_vec()
            }
            _ => Vec::new(),
        }
    }

    /// Records a weight that the innermost style rule sets: among the page's weights, and among
    /// the weights of rules for certain elements when it is one.
    fn gated_weight(&mut self, weight: Weight) {
        let gate = self.named_gate().as_deref().cloned();
        let selectors = self.selectors();
        let root = selectors
            .iter()
            .all(|s| s.last().is_some_and(Compound::is_root_or_body));
        let bare = if matches!(self.rule, Rule::Selectors { top: true, .. }) {
            let bare = |s: &Vec<Compound>| match s.as_slice() {
                [c] if c.words.is_empty() && !c.other && !c.root && c.lang.is_none() => {
                    c.tag.as_deref().map(super::element_word)
                }
                _ => None,
            };
            selectors.iter().filter_map(bare).collect()
        } else {
            Vec::new()
        };
        self.block_weights.push(self.fonts.page_weights.len());
        self.fonts.page_weights.push(PageWeight {
            gate,
            weight: weight.clone(),
            root,
            bare,
            family: self.block_family.clone(),
        });
        if let Some(gate) = self.rule_gate() {
            self.fonts.weights.push(GatedWeight {
                any_of: gate.to_vec(),
                weight,
            });
        }
    }

    /// What the innermost style rule's selectors ask of an element, the elements of
    /// [`super::NAMED_ELEMENTS`] counting as names too; `None` outside rules, or when a selector
    /// may match any element.
    fn named_gate(&self) -> RuleGate {
        match &self.rule {
            Rule::Any => None,
            Rule::Selectors { named, .. } => self.cached_gate(named, &super::NAMED_ELEMENTS),
        }
    }

    /// What the innermost style rule's selectors ask of an element, worked out on first use;
    /// `None` outside rules, or when a selector may match any element.
    fn rule_gate(&self) -> RuleGate {
        match &self.rule {
            Rule::Any => None,
            Rule::Selectors { gate, .. } => self.cached_gate(gate, &super::HEADINGS),
        }
    }

    /// The [`selector_gate`] of the innermost style rule's selectors with the element names of
    /// `more`, worked out once and kept in `cell`.
    fn cached_gate(&self, cell: &OnceCell<RuleGate>, more: &[&str]) -> RuleGate {
        cell.get_or_init(|| selector_gate(&self.selectors(), more).map(Rc::new))
            .clone()
    }

    /// The compounds of the innermost style rule's selectors ([`selectors_of`]), read on first
    /// use; outside rules, one compound that may match any element.
    fn selectors(&self) -> Rc<Vec<Vec<Compound>>> {
        let any = || vec![vec![Compound::default()]];
        match &self.rule {
            Rule::Any => Rc::new(any()),
            Rule::Selectors {
                range, selectors, ..
            } => selectors
                .get_or_init(|| {
                    Rc::new(
                        self.text
                            .get(range.clone())
                            .map_or_else(any, |t| selectors_of(t.trim())),
                    )
                })
                .clone(),
        }
    }

    fn push(&mut self, url: &str, kind: RefKind, element: &'static str, start: usize) {
        self.push_with(url, kind, element, start, RefAttrs::default());
    }

    fn push_with(
        &mut self,
        url: &str,
        kind: RefKind,
        element: &'static str,
        start: usize,
        attrs: RefAttrs,
    ) {
        let url = url.trim();
        if url.is_empty() || url.starts_with('#') || is_data_url(url) {
            return;
        }
        self.refs.push(Reference {
            url: url.to_owned(),
            kind,
            element: element.into(),
            location: self.locator.locate(start),
            attrs,
        });
    }
}

/// Reads one `@font-face` descriptor (`name: value`), keeping `src`, `font-family` and `unicode-range`.
fn font_descriptor<'i>(p: &mut Parser<'i>, sources: &mut Vec<FontSource>, attrs: &mut RefAttrs) {
    let Ok(name) = p.expect_ident_cloned() else {
        return;
    };
    if p.expect_colon().is_err() {
        return;
    }
    if name.eq_ignore_ascii_case("src") {
        // A later `src` wins, as in the cascade (the "bulletproof" `.eot` pattern declares two).
        let parsed = p.parse_comma_separated_ignoring_errors(font_source);
        if !parsed.is_empty() {
            *sources = parsed;
        }
    } else if name.eq_ignore_ascii_case("font-family") {
        // An invalid declaration is dropped, so an earlier one stands.
        if let Some(family) = font_family(p) {
            attrs.rare_mut().font_family = Some(family);
        }
    } else if name.eq_ignore_ascii_case("font-style") {
        attrs.rare_mut().font_style = descriptor_words(p);
    } else if name.eq_ignore_ascii_case("font-weight") {
        attrs.rare_mut().font_weight = descriptor_words(p);
    } else if name.eq_ignore_ascii_case("unicode-range") {
        attrs.rare_mut().unicode_range = p.parse_comma_separated_ignoring_errors(|p| {
            UnicodeRange::parse(p)
                .map(|r| (r.start, r.end))
                .map_err(Failure::from)
        });
    }
}

/// What a `font-family`, `font` or custom property value may ask for, besides its [`Expr`].
#[derive(Default)]
struct Value {
    /// See [`read_value`].
    expr: Expr,
    /// `env()` or `attr()` computes some of it.
    computed: bool,
    /// A `font` shorthand's `italic` or `oblique`.
    italic: bool,
    /// A `font` shorthand's weight, when it says one: `None` when relative (`bolder`).
    weight: Option<Option<u16>>,
    /// A `font` shorthand's size was read, after which numbers are not weights (`1em/1.5`).
    sized: bool,
    /// Where its names stand in their lists ([`FontUse::places`]).
    places: Vec<super::Place>,
}

/// Reads a value's names into `into`, or into `out.expr` at the top level (`None`), and its flags
/// into `out`. A quoted string is one name; a run of identifiers is one name, and each of its
/// tails too (`font: bold 1em Open Sans` names `Open Sans`, with `bold 1em` before it). A `var()`
/// is kept with its property and what its fallback names and reads.
fn read_value<'i>(
    p: &mut Parser<'i>,
    shorthand: bool,
    out: &mut Value,
    mut into: Option<&mut Expr>,
) {
    let mut run: Vec<String> = Vec::new();
    // Where the names of each entry after the first begin, in this list's names.
    let base = into.as_deref().unwrap_or(&out.expr).names.len();
    let mut cuts: Vec<usize> = Vec::new();
    fn end_run(run: &mut Vec<String>, names: &mut Vec<String>) {
        for i in 0..run.len() {
            names.push(run[i..].join(" "));
        }
        run.clear();
    }
    loop {
        let var = match p.next() {
            Err(_) => break,
            Ok(Token::Ident(word)) => {
                // `font: italic 1em Serif` sets italics (a family so named is not looked for).
                if shorthand && !out.sized {
                    out.italic |= is_slant(word);
                    if ["bold", "bolder", "lighter"]
                        .iter()
                        .any(|w| word.eq_ignore_ascii_case(w))
                    {
                        out.weight = Some(keyword_weight(word));
                    }
                }
                run.push(word.to_ascii_lowercase());
                continue;
            }
            Ok(
                token @ Token::Number {
                    int_value: Some(_), ..
                },
            ) if shorthand && !out.sized => {
                out.weight = Some(weight_number(token));
                false
            }
            Ok(Token::Dimension { .. } | Token::Percentage { .. }) => {
                out.sized = true;
                false
            }
            Ok(Token::QuotedString(name)) => {
                let name = name.to_ascii_lowercase();
                let names = &mut into.as_deref_mut().unwrap_or(&mut out.expr).names;
                end_run(&mut run, names);
                names.push(name);
                continue;
            }
            Ok(Token::Function(name)) if name.eq_ignore_ascii_case("var") => true,
            Ok(Token::Function(name)) => {
                out.computed |= is_computing(name);
                false
            }
            Ok(Token::Comma) => {
                let names = &mut into.as_deref_mut().unwrap_or(&mut out.expr).names;
                end_run(&mut run, names);
                cuts.push(names.len());
                continue;
            }
            Ok(_) => false,
        };
        end_run(
            &mut run,
            &mut into.as_deref_mut().unwrap_or(&mut out.expr).names,
        );
        if var {
            let read = p.parse_nested_block(|args| {
                let prop = args.expect_ident_cloned()?.to_string();
                let fallback = args.expect_comma().is_ok().then(|| {
                    let mut fallback = Expr::default();
                    read_value(args, shorthand, out, Some(&mut fallback));
                    fallback
                });
                Ok::<_, Failure>(VarRef { prop, fallback })
            });
            if let Ok(read) = read {
                into.as_deref_mut().unwrap_or(&mut out.expr).vars.push(read);
            }
        }
    }
    let names = match into {
        Some(expr) => &mut expr.names,
        None => &mut out.expr.names,
    };
    end_run(&mut run, names);
    for (i, name) in names.iter().enumerate().skip(base) {
        let entry = cuts.partition_point(|&c| c <= i);
        let end = entry.checked_sub(1).map_or(base, |e| cuts[e]);
        // A name this far down a list too long for any real stack counts as first, which makes
        // it no fallback (and keeps the places of a hostile list linear in its length).
        let mut before = if end - base > MAX_BEFORE {
            Vec::new()
        } else {
            names[base..end].to_vec()
        };
        before.sort_unstable();
        before.dedup();
        out.places.push(super::Place {
            name: name.clone(),
            before,
        });
    }
}

/// A `font-weight` value (or a custom property's): a number, `normal` or `bold`, `bolder`,
/// `lighter`, `inherit` and its kin, or `var(--prop, number)`; `!important` may follow. Anything
/// else is [`Weight::Unknown`].
fn weight_value<'i>(p: &mut Parser<'i>) -> Weight {
    let weight = match p.next() {
        Ok(Token::Function(f)) if f.eq_ignore_ascii_case("var") => {
            let mut props = Vec::new();
            p.parse_nested_block(|args| var_weight(args, &mut props))
                .ok()
                .map(|fallback| Weight::Var { props, fallback })
        }
        Ok(Token::Ident(word)) if keyword_weight(word).is_none() => {
            match word.to_ascii_lowercase().as_str() {
                "bolder" => Some(Weight::Bolder),
                "lighter" => Some(Weight::Lighter),
                "inherit" | "unset" | "revert" | "revert-layer" => Some(Weight::Inherit),
                _ => None,
            }
        }
        Ok(token) => weight_number(token).map(Weight::Is),
        Err(_) => None,
    };
    let ends = p.try_parse(|v| v.expect_exhausted()).is_ok()
        || p.try_parse(cssparser::parse_important).is_ok();
    weight.filter(|_| ends).unwrap_or(Weight::Unknown)
}

/// The arguments of a weight's `var()`: its property (into `props`), and its fallback, a weight
/// or another such `var()` (whose properties follow).
fn var_weight(args: &mut Parser<'_>, props: &mut Vec<String>) -> Result<Option<u16>, Failure> {
    props.push(args.expect_ident_cloned()?.to_string());
    if args.expect_comma().is_err() {
        return Ok(None);
    }
    let fallback = match args.next()? {
        Token::Function(f) if f.eq_ignore_ascii_case("var") => {
            args.parse_nested_block(|inner| var_weight(inner, props))?
        }
        token => Some(weight_number(token).ok_or_else(Failure::unexpected_token)?),
    };
    args.expect_exhausted()?;
    Ok(fallback)
}

/// Whether a custom property's value may hold a token that `holds` picks, at any depth of its
/// blocks and functions (one that cannot be read counts as holding one).
fn may_hold(p: &mut Parser<'_>, holds: &dyn Fn(&Token) -> bool) -> bool {
    while let Ok(token) = p.next() {
        let found = match token {
            Token::Function(_) | Token::ParenthesisBlock | Token::SquareBracketBlock => p
                .parse_nested_block(|inner| Ok::<_, Failure>(may_hold(inner, holds)))
                .unwrap_or(true),
            token => holds(token),
        };
        if found {
            return true;
        }
    }
    false
}

/// Whether a token of a `font` shorthand's value sets a weight ([`super::PropDef::weighs`]): a
/// whole number from 1 to 1000, `bold`, `bolder` or `lighter`.
fn sets_weight(token: &Token) -> bool {
    match token {
        Token::Ident(word) => ["bold", "bolder", "lighter"]
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w)),
        token => weight_number(token).is_some(),
    }
}

/// A weight token: a whole number from 1 to 1000, `normal` or `bold` ([`keyword_weight`]).
fn weight_number(token: &Token) -> Option<u16> {
    match token {
        Token::Number {
            int_value: Some(n), ..
        } => u16::try_from(*n).ok().filter(|n| (1..=1000).contains(n)),
        Token::Ident(word) => keyword_weight(word),
        _ => None,
    }
}

/// Runs `read` on a declaration's value (or an at-rule's prelude): up to `;`, the end of the
/// block, or a `{}` block.
fn declaration_value<'i>(p: &mut Parser<'i>, read: impl FnOnce(&mut Parser<'i>)) {
    let _ = p.parse_until_before(
        Delimiter::Semicolon | Delimiter::CurlyBracketBlock,
        |value| {
            read(value);
            Ok::<(), Failure>(())
        },
    );
}

/// Whether a browser surely keeps a `font-family` value (or a `font` one, `shorthand`), read from
/// `p`: `Some` with whether it is `!important`, `None` when it may be invalid (a browser then
/// drops the declaration). A family list holds names, strings, commas and `var()`s; a shorthand
/// needs a size, a system font or a keyword that sets it whole, or a `var()` (a value that a
/// `var()` makes invalid unsets the property, which overrides too).
fn kept_value(p: &mut Parser<'_>, shorthand: bool) -> Option<bool> {
    let start = p.state();
    let (mut named, mut whole, mut important) = (false, !shorthand, false);
    while let Ok(token) = p.next().cloned() {
        match token {
            Token::Ident(word) => {
                named = true;
                whole |= is_font_size_or_system(&word);
            }
            Token::QuotedString(_) => named = true,
            Token::Comma => {}
            Token::Function(f) if f.eq_ignore_ascii_case("var") => (named, whole) = (true, true),
            Token::Function(f) if shorthand && is_computing(&f) => whole = true,
            Token::Dimension { .. } | Token::Percentage { .. } if shorthand => whole = true,
            Token::Number { .. } | Token::Delim('/') if shorthand => {}
            Token::Delim('!')
                if p.try_parse(|p| p.expect_ident_matching("important"))
                    .is_ok() =>
            {
                important = true;
            }
            _ => {
                p.reset(&start);
                return None;
            }
        }
    }
    p.reset(&start);
    (named && whole).then_some(important)
}

/// Whether a declaration's value, read from `p`, says `!important`.
fn is_important(p: &mut Parser<'_>) -> bool {
    let start = p.state();
    let mut important = false;
    while let Ok(token) = p.next().cloned() {
        if matches!(token, Token::Delim('!')) {
            important |= p
                .try_parse(|p| p.expect_ident_matching("important"))
                .is_ok();
        }
    }
    p.reset(&start);
    important
}

/// Whether a word of a `font` shorthand sets the whole font (with a family): a size keyword, a
/// system font or a CSS-wide keyword.
fn is_font_size_or_system(word: &str) -> bool {
    [
        "xx-small",
        "x-small",
        "small",
        "medium",
        "large",
        "x-large",
        "xx-large",
        "xxx-large",
        "smaller",
        "larger",
        "caption",
        "icon",
        "menu",
        "message-box",
        "small-caption",
        "status-bar",
        "inherit",
        "initial",
        "unset",
        "revert",
        "revert-layer",
    ]
    .iter()
    .any(|k| word.eq_ignore_ascii_case(k))
}

/// Whether a `font-style` (or `font`) value is only a keyword that sets text upright: `Some(false)`
/// for `normal` or `initial`, `Some(true)` for `inherit` or `unset` (the parent's style), with or
/// without `!important`.
fn upright_keyword(value: &mut Parser<'_>) -> Option<bool> {
    let inherit = match value.next() {
        Ok(Token::Ident(w))
            if w.eq_ignore_ascii_case("normal") || w.eq_ignore_ascii_case("initial") =>
        {
            false
        }
        Ok(Token::Ident(w))
            if w.eq_ignore_ascii_case("inherit") || w.eq_ignore_ascii_case("unset") =>
        {
            true
        }
        _ => return None,
    };
    let _ = value.try_parse(|v| {
        v.expect_delim('!')?;
        v.expect_ident_matching("important")
    });
    value.is_exhausted().then_some(inherit)
}

/// Whether a type selector names one of [`super::GATING_ELEMENTS`] or of `more`.
fn is_gating_element(name: &str, more: &[&str]) -> bool {
    super::GATING_ELEMENTS
        .iter()
        .chain(more)
        .any(|e| name.eq_ignore_ascii_case(e))
}

/// The weight a `font-weight` keyword sets, or `None` for one relative to the parent's weight
/// (`bolder`, `lighter`, `inherit`) or unknown.
fn keyword_weight(word: &str) -> Option<u16> {
    if word.eq_ignore_ascii_case("normal") || word.eq_ignore_ascii_case("initial") {
        Some(400)
    } else if word.eq_ignore_ascii_case("bold") {
        Some(700)
    } else {
        None
    }
}

/// `italic` or `oblique`, the `font-style` keywords that slant text.
fn is_slant(word: &str) -> bool {
    word.eq_ignore_ascii_case("italic") || word.eq_ignore_ascii_case("oblique")
}

/// `env()` and `attr()`, whose value is only known in the browser (`var()` is followed instead).
fn is_computing(function: &str) -> bool {
    ["env", "attr"]
        .iter()
        .any(|f| function.eq_ignore_ascii_case(f))
}

/// A descriptor's value as lowercased words joined by one space (`Oblique 10deg` → `oblique 10deg`,
/// `100  900` → `100 900`), or `None` when it is empty.
fn descriptor_words<'i>(p: &mut Parser<'i>) -> Option<String> {
    let start = p.position();
    skip_rest(p);
    let words: Vec<&str> = p.slice_from(start).split_ascii_whitespace().collect();
    (!words.is_empty()).then(|| words.join(" ").to_ascii_lowercase())
}

/// Whether browsers that preload read fonts of this `format()`. They skip the others without
/// fetching them: `embedded-opentype` (the `.eot` of the old cross-browser syntax), `svg`, and any
/// name they do not know.
fn is_readable_format(format: &str) -> bool {
    let format = format.to_ascii_lowercase();
    let base = format.strip_suffix("-variations").unwrap_or(&format);
    matches!(
        base,
        "woff2" | "woff" | "truetype" | "opentype" | "collection"
    )
}

/// One `src` entry: `url(…) [format(…)]? [tech(…)]?`; `local(…)` entries fail and are skipped.
fn font_source<'i>(p: &mut Parser<'i>) -> Result<FontSource, Failure> {
    let url = match p.next()?.clone() {
        Token::UnquotedUrl(url) => url,
        Token::Function(name) if is_url_function(&name) => {
            url_function_argument(p).ok_or_else(Failure::unexpected_token)?
        }
        _ => return Err(Failure::unexpected_token()),
    };
    let mut format = None;
    while let Ok(token) = p.next() {
        if matches!(token, Token::Function(name) if name.eq_ignore_ascii_case("format")) {
            format = p
                .parse_nested_block(|f| {
                    let value = match f.next()? {
                        Token::Ident(s) | Token::QuotedString(s) => s.to_string(),
                        _ => return Err(Failure::unexpected_token()),
                    };
                    skip_rest(f);
                    Ok(value)
                })
                .ok();
        }
    }
    Ok(FontSource {
        url: url.to_string(),
        format,
    })
}

/// `font-family: "Inter Var"` or `font-family: Inter Var` → `Inter Var`.
/// `None` when the descriptor is not one family name (a list, `'A', serif`; a generic family; a
/// CSS-wide keyword): browsers then drop it.
fn font_family<'i>(p: &mut Parser<'i>) -> Option<String> {
    let mut words: Vec<CowRcStr<'i>> = Vec::new();
    let mut quoted = None;
    while let Ok(token) = p.next() {
        match token {
            Token::QuotedString(s) if words.is_empty() && quoted.is_none() => {
                quoted = Some(s.to_string());
            }
            Token::Ident(s) if quoted.is_none() => words.push(s.clone()),
            _ => return None,
        }
    }
    if quoted.is_some() {
        return quoted;
    }
    const RESERVED: &[&str] = &[
        "serif",
        "sans-serif",
        "cursive",
        "fantasy",
        "monospace",
        "system-ui",
        "emoji",
        "math",
        "fangsong",
        "ui-serif",
        "ui-sans-serif",
        "ui-monospace",
        "ui-rounded",
        "inherit",
        "initial",
        "unset",
        "revert",
        "revert-layer",
        "default",
    ];
    match words.as_slice() {
        [] => None,
        [one] if RESERVED.iter().any(|r| one.eq_ignore_ascii_case(r)) => None,
        _ => Some(words.join(" ")),
    }
}

/// `url(` and CSS Values 4 `src(`, whose argument is a string when the tokenizer did not make a
/// `url-token` of the whole thing.
fn is_url_function(name: &str) -> bool {
    name.eq_ignore_ascii_case("url") || name.eq_ignore_ascii_case("src")
}

/// The string argument of the `url(`/`src(` function token just read (its modifiers are ignored).
fn url_function_argument<'i>(p: &mut Parser<'i>) -> Option<CowRcStr<'i>> {
    p.parse_nested_block(|args| {
        let url = args.expect_string_cloned()?;
        skip_rest(args);
        Ok::<_, Failure>(url)
    })
    .ok()
}

/// What a rule's selector list asks of the elements it matches, as far as class names, ids and a
/// few element names tell: for each selector, the classes and ids of its last compound (the element
/// the declarations apply to), and its element name when it is one of
/// [`GATING_ELEMENTS`](super::GATING_ELEMENTS), or a class prefix ([`class_prefix`]), outside
/// functional pseudo-classes (`:not(.a)` asks for no `a`); and those of its other compounds, which
/// other elements of the page must have ([`super::context_name`]: `.post h1` asks for a `post`
/// around the `h1`). `None` when some selector asks for none of them (`body`, `*`,
/// `[class*=icon]`, `:root`), as it may match any element. The element names of `more` count as
/// names too.
fn selector_gate(selectors: &[Vec<Compound>], more: &[&str]) -> Option<Vec<Vec<String>>> {
    let names = |c: &Compound| {
        let tag = c.tag.as_deref().filter(|t| is_gating_element(t, more));
        // The root in a language: the page's `<html lang>` (or a script's word) has it; another
        // element in a language: it or an element around it has that `lang`.
        let lang = c.lang.as_deref().map(|l| match c.is_root() {
            true => super::lang_word(l),
            false => super::element_lang_word(l),
        });
        c.words
            .iter()
            .cloned()
            .chain(tag.map(super::element_word))
            .chain(lang)
            .collect::<Vec<_>>()
    };
    selectors
        .iter()
        .map(|compounds| {
            let (subject, others) = compounds.split_last()?;
            let mut all = names(subject);
            for c in others {
                // The root's language is the page's, not an element's around the text.
                let around = !c.sibling && !c.is_root();
                all.extend(names(c).iter().map(|n| super::context_name(n, around)));
            }
            all.sort_unstable();
            all.dedup();
            (!all.is_empty()).then_some(all)
        })
        .collect()
}

/// One selector's [`RuleSelector`](super::RuleSelector).
fn rule_selector(compounds: &[Compound]) -> super::RuleSelector {
    let any_of = selector_gate(
        std::slice::from_ref(&compounds.to_vec()),
        &super::NAMED_ELEMENTS,
    )
    .and_then(|mut alts| alts.pop())
    .unwrap_or_default();
    let mut counts = [0u32; 3];
    let mut known = true;
    for c in compounds {
        known &= !c.unsure;
        for (n, more) in counts.iter_mut().zip([c.ids, c.classes, c.types]) {
            *n = (*n + u32::from(more)).min(1023);
        }
    }
    let exact = compounds.iter().all(|c| {
        !c.other
            && !c.sibling
            && !c.child
            && !c.is_root()
            && c.lang.is_none()
            && c.tag
                .as_deref()
                .is_none_or(|t| is_gating_element(t, &super::NAMED_ELEMENTS))
    });
    super::RuleSelector {
        any_of,
        specificity: known.then(|| counts[0] << 20 | counts[1] << 10 | counts[2]),
        exact,
        generated: compounds.last().is_some_and(|c| c.generated),
        root: compounds.last().is_some_and(Compound::is_root_or_body),
    }
}

/// What the selectors among `selectors` that are for generated content (`::before`, `::after`)
/// ask of an element ([`selector_gate`], with [`super::NAMED_ELEMENTS`]), but for what another
/// of them, for the element itself, asks too (`.x, .x::before`).
fn generated_only(selectors: &[Vec<Compound>]) -> Vec<Vec<String>> {
    let is_generated = |s: &Vec<Compound>| s.last().is_some_and(|c| c.generated);
    if !selectors.iter().any(is_generated) {
        return Vec::new();
    }
    let alts = |generated: bool| {
        selectors
            .iter()
            .filter(move |s| is_generated(s) == generated)
            .filter_map(|s| selector_gate(std::slice::from_ref(s), &super::NAMED_ELEMENTS))
            .flatten()
    };
    let own: rustc_hash::FxHashSet<Vec<String>> = alts(false).collect();
    alts(true).filter(|alt| !own.contains(alt)).collect()
}

/// Elements that are never `<pre>` or `<code>` elements nor inside one (in HTML a parser builds
/// from a valid page): a rule whose selector's last compound names one of them does not set the
/// family of code ([`Compound::may_hold_code`]).
const NOT_IN_CODE: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "optgroup",
    "option",
    "p",
    "search",
    "section",
    "select",
    "summary",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
];

/// One compound of a selector, as far as it tells which elements it may match: its element name,
/// whether it is the root (`:root`, `:host`), and its class names, ids and class prefixes
/// ([`class_prefix`]), outside functional pseudo-classes (`:not(.a)` asks for no `a`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Compound {
    tag: Option<String>,
    root: bool,
    words: Vec<String>,
    /// It asks for something more: a pseudo-class or pseudo-element, an attribute, `*`, `&`.
    other: bool,
    /// It asks for something besides being the root, its element name, class names, ids and a
    /// language ([`Compound::other`] but for `:root`, `:host`, `[lang]` and `:lang()`).
    extra: bool,
    /// The language it asks for (`[lang=ja]`, `[lang|=ja]`, `:lang(ja)`), lowercased.
    lang: Option<String>,
    /// It is for the content generated before or after the element (`::before`, `:after`).
    generated: bool,
    /// A sibling combinator (`+`, `~`) follows it: the element is beside the next compound's, not
    /// around it.
    sibling: bool,
    /// A child combinator (`>`) follows it.
    child: bool,
    /// Its ids, its class names, attributes and pseudo-classes, and its element name and
    /// pseudo-elements, for its specificity.
    ids: u16,
    classes: u16,
    types: u16,
    /// A pseudo-class whose arguments count for its specificity, which are not read (`:not()`,
    /// `:is()`, `:has()`, `:nth-child()`), or a nesting selector (`&`).
    unsure: bool,
}

impl Compound {
    /// Whether it asks for the root: `:root`, `:host`, `html`.
    fn is_root(&self) -> bool {
        self.root
            || self
                .tag
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("html"))
    }

    /// Whether it asks for the root or `<body>`, whose style every element inherits.
    fn is_root_or_body(&self) -> bool {
        self.is_root()
            || self
                .tag
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("body"))
    }

    /// Whether it may match a `<pre>` or `<code>` element or an element inside one: it names no
    /// element of [`NOT_IN_CODE`] and is not the root.
    fn may_hold_code(&self) -> bool {
        !self.root
            && self
                .tag
                .as_ref()
                .is_none_or(|t| !NOT_IN_CODE.iter().any(|e| t.eq_ignore_ascii_case(e)))
    }

    /// Whether it may match a form control (`<button>`, `<input>`, `<select>`, `<textarea>`) or an
    /// element inside one: it names no element that is never one nor inside one, and is not the
    /// root.
    fn may_hold_control(&self) -> bool {
        !self.root
            && self.tag.as_ref().is_none_or(|t| {
                let t = t.to_ascii_lowercase();
                t != "pre" && (CONTROLS.contains(&t.as_str()) || !NOT_IN_CODE.contains(&t.as_str()))
            })
    }
}

/// Form controls and the elements inside them that [`NOT_IN_CODE`] lists.
const CONTROLS: &[&str] = &["optgroup", "option", "select", "textarea"];

/// The compounds of each selector of a rule's selector list ([`Compound`]), the last one (the
/// element the declarations apply to) last.
fn selectors_of(prelude: &str) -> Vec<Vec<Compound>> {
    // Ends the compound being read: a combinator, another compound or the selector's end follows.
    fn close(compound: &mut Compound, selector: &mut Vec<Compound>) {
        let mut done = std::mem::take(compound);
        done.words.sort_unstable();
        done.words.dedup();
        selector.push(done);
    }
    let mut p = Parser::new(prelude);
    let mut all = Vec::new();
    let mut selector = Vec::new();
    let mut compound = Compound::default();
    let (mut after_dot, mut after_colon, mut after_space) = (false, false, false);
    // The colon just read followed another (`::before`).
    let mut after_double = false;
    loop {
        let token = p.next_including_whitespace().ok().cloned();
        let dot = std::mem::take(&mut after_dot);
        let colon = std::mem::take(&mut after_colon);
        match token {
            None | Some(Token::Comma) => {
                close(&mut compound, &mut selector);
                all.push(std::mem::take(&mut selector));
                after_space = false;
                if token.is_none() {
                    break;
                }
                continue;
            }
            // Maybe a descendant combinator, if a compound follows (not before the selector's
            // first, after a comma).
            Some(Token::WhiteSpace(_)) => {
                after_space = !selector.is_empty() || compound != Compound::default();
                continue;
            }
            // A combinator: the next compound describes another element.
            Some(Token::Delim(c @ ('>' | '+' | '~'))) => {
                compound.sibling = c != '>';
                compound.child = c == '>';
                close(&mut compound, &mut selector);
                after_space = false;
                continue;
            }
            _ => {}
        }
        if std::mem::take(&mut after_space) {
            close(&mut compound, &mut selector);
        }
        let double = std::mem::take(&mut after_double);
        match token {
            Some(Token::Ident(name)) if dot => {
                compound.words.push(name.to_string());
                compound.classes = compound.classes.saturating_add(1);
            }
            Some(Token::Ident(name)) if colon => {
                let root = name.eq_ignore_ascii_case("root") || name.eq_ignore_ascii_case("host");
                compound.root |= root;
                compound.extra |= !root;
                let generated =
                    name.eq_ignore_ascii_case("before") || name.eq_ignore_ascii_case("after");
                compound.generated |= generated;
                // `::x`, and the pseudo-elements that CSS 2 wrote with one colon, count as
                // element names.
                let legacy = ["first-line", "first-letter"]
                    .iter()
                    .any(|e| name.eq_ignore_ascii_case(e));
                if double || generated || legacy {
                    compound.types = compound.types.saturating_add(1);
                } else {
                    compound.classes = compound.classes.saturating_add(1);
                }
            }
            Some(Token::Ident(name)) => {
                compound.tag = Some(name.to_string());
                compound.types = compound.types.saturating_add(1);
            }
            Some(Token::IDHash(name)) => {
                compound.words.push(name.to_string());
                compound.ids = compound.ids.saturating_add(1);
            }
            Some(Token::Delim('.')) => after_dot = true,
            Some(Token::Colon) => {
                after_colon = true;
                after_double = colon;
                compound.other = true;
            }
            Some(Token::SquareBracketBlock) => {
                compound.other = true;
                compound.classes = compound.classes.saturating_add(1);
                match p.parse_nested_block(attribute) {
                    Ok(Attribute::ClassPrefix(prefix)) => {
                        compound.words.push(prefix);
                        compound.extra = true;
                    }
                    Ok(Attribute::Lang(lang)) => compound.lang = Some(lang),
                    _ => compound.extra = true,
                }
            }
            Some(Token::Function(name)) if colon && name.eq_ignore_ascii_case("lang") => {
                compound.other = true;
                compound.classes = compound.classes.saturating_add(1);
                let lang = p.parse_nested_block(|p| {
                    let lang = p.expect_ident_or_string()?.to_ascii_lowercase();
                    p.expect_exhausted()?;
                    Ok::<_, Failure>(lang)
                });
                compound.lang = lang.ok().or(compound.lang.take());
            }
            // `*`, `&`, other attribute selectors and functional pseudo-classes (whose arguments
            // the parser skips) ask for nothing.
            _ => {
                compound.other = true;
                compound.extra = true;
                match &token {
                    // `:where()` counts nothing; `:nth-of-type(2n)`, `:dir(rtl)` count as one
                    // pseudo-class; the others count their arguments.
                    Some(Token::Function(f)) if colon => {
                        let f = f.to_ascii_lowercase();
                        if double
                            || ["not", "is", "has", "matches", "nth-child", "nth-last-child"]
                                .contains(&f.as_str())
                            || f.ends_with("-any")
                        {
                            compound.unsure = true;
                        } else if f != "where" {
                            compound.classes = compound.classes.saturating_add(1);
                        }
                    }
                    Some(Token::Delim('*')) => {}
                    _ => compound.unsure = true,
                }
            }
        }
    }
    all
}

/// What an attribute selector asks for, as far as the gates read it.
enum Attribute {
    /// A class-name prefix ([`class_prefix`]).
    ClassPrefix(String),
    /// A language, `[lang=ja]` or `[lang|=ja]`, lowercased.
    Lang(String),
    Other,
}

/// Reads an attribute selector's block: a language, or a class-name prefix ([`class_prefix`]).
fn attribute<'i>(p: &mut Parser<'i>) -> Result<Attribute, Failure> {
    let start = p.state();
    if p.try_parse(|p| p.expect_ident_matching("lang")).is_ok() {
        if !matches!(p.next()?, Token::Delim('=') | Token::DashMatch) {
            return Ok(Attribute::Other);
        }
        let lang = p.expect_ident_or_string()?.to_ascii_lowercase();
        skip_rest(p);
        return Ok(Attribute::Lang(lang));
    }
    p.reset(&start);
    Ok(class_prefix(p)?.map_or(Attribute::Other, Attribute::ClassPrefix))
}

/// The class-name prefix an attribute selector asks for, as icon fonts write them:
/// `[class^="bi-"]` (the first class starts with `bi-`) or `[class*=" bi-"]` (a later one does),
/// when the prefix ends with `-` or `_`. It stands for any class with that prefix
/// ([`Words::add_class`](super::Words::add_class)). A substring without the space
/// (`[class*=font-mono-]`, which `md:font-mono-lg` has too) may start inside a class: only its
/// last piece, after a `-`, `_` or `:` of its own, is sure to start a piece of the class
/// (`mono-`), and stands for it; a substring of one piece (`[class*=icon-]`) asks for nothing.
fn class_prefix<'i>(p: &mut Parser<'i>) -> Result<Option<String>, Failure> {
    let name = p.expect_ident_cloned()?;
    let substring = match p.next()? {
        Token::PrefixMatch => false,
        Token::SubstringMatch => true,
        _ => return Ok(None),
    };
    let value = p.expect_ident_or_string()?.clone();
    skip_rest(p);
    let prefix = match value.strip_prefix(' ') {
        Some(later) if substring => Some(later),
        None if substring => {
            let inner = &value[..value.len().saturating_sub(1)];
            inner.rfind(['-', '_', ':']).map(|i| &value[i + 1..])
        }
        _ => Some(&*value),
    };
    Ok(prefix
        .filter(|prefix| {
            name.eq_ignore_ascii_case("class")
                && prefix.len() > 1
                && prefix.ends_with(['-', '_'])
                && !prefix.contains(' ')
        })
        .map(str::to_owned))
}

/// Consumes the rest of a delimited parser, so `cssparser` does not report leftover input.
fn skip_rest(p: &mut Parser<'_>) {
    while p.next().is_ok() {}
}

/// The URL without its query and fragment, to look at its extension.
fn path_of(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

fn is_data_url(url: &str) -> bool {
    url.get(..5)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("data:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }
    use crate::error::Location;

    /// (url, kind, line, col) of every reference.
    fn refs(css: &str) -> Vec<(String, RefKind, u32, u32)> {
        parse_css(css)
            .refs
            .into_iter()
            .map(|r| (r.url, r.kind, r.location.line, r.location.col))
            .collect()
    }

    fn urls(css: &str) -> Vec<(String, RefKind)> {
        parse_css(css)
            .refs
            .into_iter()
            .map(|r| (r.url, r.kind))
            .collect()
    }

    fn one(css: &str) -> Reference {
        let mut facts = parse_css(css);
        assert_eq!(facts.refs.len(), 1, "{css}: {:?}", facts.refs);
        facts.refs.remove(0)
    }

    use RefKind::{CssImport, CssUrl, Font};

    #[test]
    fn ranges_subtract() {
        let cases: &[(&[CodeRange], &[CodeRange], &[CodeRange])] = &[
            (
                &[(0x370, 0x3FF)],
                &[(0x3B1, 0x3C9), (0x391, 0x3A9)],
                &[(0x370, 0x390), (0x3AA, 0x3B0), (0x3CA, 0x3FF)],
            ),
            (&[(0, 0xFF), (0x2000, 0x206F)], &[(0, 0x10FFFF)], &[]),
            (&[(10, 20)], &[(30, 40)], &[(10, 20)]),
            (&[(10, 20)], &[(10, 10), (20, 20)], &[(11, 19)]),
            (&[(10, 20)], &[(5, 15), (8, 12)], &[(16, 20)]),
            (&[(10, 20)], &[], &[(10, 20)]),
        ];
        for &(from, less, left) in cases {
            assert_eq!(
                subtract_ranges(from, less.to_vec()),
                left,
                "{from:x?} - {less:x?}"
            );
        }
        assert_eq!(whole_if_empty(&[]), [(0, 0x10FFFF)]);
    }

    /// A face keeps what the faces of its family, style and weight declared after it leave.
    #[test]
    fn later_faces_shadow_earlier_ones() {
        let f = parse_css(
            "@font-face{font-family:N;src:url(greek.woff2);unicode-range:U+0370-03FF}\
             @font-face{font-family:N;font-weight:700;src:url(bold.woff2);unicode-range:U+0370-03FF}\
             @font-face{font-family:n;src:url(math.woff2);unicode-range:U+0391-03A9,U+03B1-03C9}\
             @font-face{font-family:N;src:url(all.woff2)}\
             @font-face{font-family:N;src:url(last.woff2);unicode-range:U+0000-00FF}",
        );
        let faces: Vec<(&str, bool, &[CodeRange])> = f
            .refs
            .iter()
            .map(|r| {
                (
                    r.url.as_str(),
                    r.attrs.is_shadowed(),
                    r.attrs.unicode_range(),
                )
            })
            .collect();
        assert_eq!(
            faces,
            [
                ("greek.woff2", true, &[][..]),
                ("bold.woff2", false, &[(0x370, 0x3FF)][..]),
                ("math.woff2", true, &[][..]),
                ("all.woff2", true, &[(0x100, 0x10FFFF)][..]),
                ("last.woff2", false, &[(0, 0xFF)][..]),
            ]
        );
    }

    #[test]
    fn imports() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("@import url(a.css);", "a.css", None),
            ("@import url('a.css');", "a.css", None),
            ("@import \"a.css\";", "a.css", None),
            ("@import 'a.css' screen;", "a.css", Some("screen")),
            (
                "@import url(a.css) screen and (min-width: 40em), print;",
                "a.css",
                Some("screen and (min-width: 40em), print"),
            ),
            ("@import url(a.css) layer;", "a.css", None),
            (
                "@import url(a.css) layer(base) print;",
                "a.css",
                Some("print"),
            ),
            (
                "@import \"a.css\" layer(x) supports(display: grid) screen /* c */ ;",
                "a.css",
                Some("screen /* c */"),
            ),
            ("@IMPORT URL(a.css);", "a.css", None),
            ("@import 'a.css'", "a.css", None),
            ("@import\n  'q.css?v=1#x'  ;", "q.css?v=1#x", None),
        ];
        for &(css, url, media) in cases {
            let r = one(css);
            assert_eq!((r.url.as_str(), r.kind), (url, CssImport), "{css}");
            assert_eq!(r.attrs.media.as_deref(), media, "{css}");
            assert_eq!(r.element, "@import");
            assert_eq!(r.location, Location::new(1, 1), "{css}");
        }
    }

    #[test]
    fn urls_in_declarations() {
        let cases: &[(&str, &[&str])] = &[
            ("a{background:url(a.png)}", &["a.png"]),
            ("a{background:url( 'b.png' )}", &["b.png"]),
            ("a{background:URL(\"c.png\") no-repeat}", &["c.png"]),
            (
                "a{cursor:url(x.cur),auto;mask:url(m.svg#i)}",
                &["x.cur", "m.svg#i"],
            ),
            // Escaped parens and spaces in an unquoted url, decoded by the tokenizer.
            (r"a{background:url(a\(1\)\ b.png)}", &["a(1) b.png"]),
            (r#"a{background:url("q\"uote\2f.png")}"#, &["q\"uote/.png"]),
            (
                "a{background:image-set(\"a.avif\" type(\"image/avif\") 1x, url(b.png) 2x)}",
                &["a.avif", "b.png"],
            ),
            ("a{background:-webkit-image-set('w.png' 1x)}", &["w.png"]),
            // Not fetches: empty, data:, fragment-only, @namespace, plain strings.
            ("a{background:url()}", &[]),
            ("a{background:url('')}", &[]),
            ("a{background:url(data:image/png;base64,AAAA)}", &[]),
            ("a{background:url('DATA:image/svg+xml,<svg/>')}", &[]),
            ("a{filter:url(#blur)}", &[]),
            ("@namespace svg url(http://www.w3.org/2000/svg); a{}", &[]),
            ("a{content:'url(x.png)'}", &[]),
            ("/* url(x.png) */ a{}", &[]),
            ("a{--x: url(v.png)}", &["v.png"]),
            ("a{b:src(\"s.png\")}", &["s.png"]),
        ];
        for &(css, want) in cases {
            let got: Vec<_> = urls(css);
            let want: Vec<_> = want.iter().map(|u| (u.to_string(), CssUrl)).collect();
            assert_eq!(got, want, "{css}");
        }
    }

    #[test]
    fn every_weight_declaration_is_a_page_weight() {
        let f = parse_css(
            "p{font-weight:bolder}h2 .x{font-weight:lighter!important}dd{font-weight:600}\
             button{font-weight:inherit}.a{font:bold 1em X}i{font-weight:calc(1)}",
        )
        .font_use;
        let gate = |alts: &[&[&str]]| {
            Some(
                alts.iter()
                    .map(|a| a.iter().map(|s| s.to_string()).collect())
                    .collect::<Vec<Vec<String>>>(),
            )
        };
        let weights: Vec<(crate::parse::Gate, Weight)> = f
            .page_weights
            .into_iter()
            .map(|w| (w.gate, w.weight))
            .collect();
        assert_eq!(
            weights,
            [
                (None, Weight::Bolder),
                (gate(&[&["  <h2", "x"]]), Weight::Lighter),
                (gate(&[&["<dd"]]), Weight::Is(600)),
                (gate(&[&["<button"]]), Weight::Inherit),
                (gate(&[&["a"]]), Weight::Is(700)),
                (gate(&[&["<i"]]), Weight::Unknown),
            ]
        );
    }

    #[test]
    fn selectors_gate_the_families_their_rules_name() {
        let gate = |sel: &str| selector_gate(&selectors_of(sel), &[]);
        let v = |alts: &[&[&str]]| {
            Some(
                alts.iter()
                    .map(|a| a.iter().map(|s| s.to_string()).collect())
                    .collect::<Vec<Vec<String>>>(),
            )
        };
        assert_eq!(gate(".fab"), v(&[&["fab"]]));
        assert_eq!(gate(".fa-brands , .fab"), v(&[&["fa-brands"], &["fab"]]));
        assert_eq!(
            gate(".fa-classic.fa-brands"),
            v(&[&["fa-brands", "fa-classic"]])
        );
        // The last compound is the element styled; the others ask for elements around it (kept
        // apart, after two spaces) or beside one of those (after one); pseudo-classes'
        // arguments ask for nothing.
        assert_eq!(
            gate(".card > .title:hover::before"),
            v(&[&["  card", "title"]])
        );
        assert_eq!(gate(".a .b"), v(&[&["  a", "b"]]));
        assert_eq!(gate("#main p.lead"), v(&[&["  main", "lead"]]));
        assert_eq!(gate(".post h1, .post h2"), v(&[&["  post"], &["  post"]]));
        assert_eq!(gate("h2 + .x.y ~ p"), v(&[&[" x", " y"]]));
        assert_eq!(gate(".a + .b .c"), v(&[&["  b", " a", "c"]]));
        assert_eq!(gate(".a .b ~ .c"), v(&[&["  a", " b", "c"]]));
        assert_eq!(gate(".a *"), v(&[&["  a"]]));
        assert_eq!(gate("div#main"), v(&[&["main"]]));
        assert_eq!(gate(".x:not(.y)"), v(&[&["x"]]));
        assert_eq!(gate("& .icon"), v(&[&["icon"]]));
        assert_eq!(gate(".md\\:flex"), v(&[&["md:flex"]]));
        // Code elements, which rules often give a monospace family, are asked for by name.
        assert_eq!(
            gate("code, KBD, samp, pre.x, div > tt"),
            v(&[&["<code"], &["<kbd"], &["<samp"], &["<pre", "x"], &["<tt"]])
        );
        assert_eq!(gate("pre code:hover"), v(&[&["  <pre", "<code"]]));
        assert_eq!(gate("code p"), v(&[&["  <code"]]));
        // Icon fonts' class prefixes: any class that starts with `bi-`.
        assert_eq!(
            gate(".bi::before, [class^=\"bi-\"]::before, [CLASS*=' bi-']::before"),
            v(&[&["bi"], &["bi-"], &["bi-"]])
        );
        assert_eq!(gate("i[class^=icon_]"), v(&[&["icon_"]]));
        // The root in a language: Starlight's `:root[lang=ja]`, Docusaurus's `html[lang=zh-Hans]`.
        let lang = |l: &str| crate::parse::lang_word(l);
        assert_eq!(
            gate(":root[lang=ja], HTML[lang|='zh-Hans'] .x, :root:lang(ar)"),
            Some(vec![
                vec![lang("ja")],
                vec![format!(" {}", lang("zh-hans")), "x".to_string()],
                vec![lang("ar")],
            ])
        );
        // Other elements in a language: the element or one around it has that `lang`.
        let element = |l: &str| crate::parse::element_lang_word(l);
        assert_eq!(
            gate("[lang=ja], .x:lang(zh-Hans), [lang|=ar] p"),
            Some(vec![
                vec![element("ja")],
                vec![element("zh-hans"), "x".to_string()],
                vec![format!("  {}", element("ar"))],
            ])
        );
        // A substring's last piece: USWDS's `[class*=font-mono-]` matches `md:font-mono-lg`.
        assert_eq!(
            gate("[class*=font-mono-], [class*='md:font-']"),
            v(&[&["mono-"], &["font-"]])
        );
        // A selector without a class or id may match any element.
        for any in [
            "body",
            "*",
            ".a, p",
            "body > p",
            ":not(pre) > :where(code)",
            "[class*=icon-]::before",
            "[class*=a--]",
            ":root:lang(ja, ko)",
            "[class^=icon]",
            "[class^='-']",
            "[data-icon^=bi-]",
            "[class$=-x]",
            ":root",
            ":not(.x)",
            "",
        ] {
            assert_eq!(gate(any), None, "{any}");
        }

        let fonts = parse_css(
            ".fab{font-family:\"Font Awesome 5 Brands\"}\
             .fa,.fas{font-family:\"Font Awesome 5 Free\";font-weight:900}\
             @media (min-width:1px){.far{font-family:\"Font Awesome 5 Free\"}}\
             body{font-family:Inter}\
             .mono{font-family:Inter}\
             .card{color:red;.title{font-family:Display}}\
             *{font-family:Everywhere}",
        )
        .font_use;
        assert_eq!(fonts.names, ["everywhere", "inter"]);
        let gated: Vec<(&str, &Vec<Vec<String>>)> = fonts
            .gated
            .iter()
            .map(|g| (g.name.as_str(), &g.any_of))
            .collect();
        let strings = |alts: &[&[&str]]| v(alts).unwrap();
        assert_eq!(
            gated,
            [
                ("display", &strings(&[&["title"]])),
                ("font awesome 5 brands", &strings(&[&["fab"]])),
                (
                    "font awesome 5 free",
                    &strings(&[&["fa"], &["far"], &["fas"]])
                ),
            ],
            "{fonts:?}"
        );
        // Merged with a file that names a gated family for any element, it is no longer gated.
        let mut merged = fonts.clone();
        merged.merge(parse_css("p{font-family:display}").font_use);
        assert!(merged.gate_of("display").is_none() && merged.may_use("display"));
        assert!(merged.gate_of("font awesome 5 brands").is_some());
    }

    #[test]
    fn family_lists_keep_where_each_name_stands() {
        // A declaration's, then each custom property's.
        let places = |css: &str| -> Vec<(String, Vec<String>)> {
            let f = parse_css(css).font_use;
            f.places
                .into_iter()
                .chain(f.props.into_iter().flat_map(|d| d.places))
                .map(|p| (p.name, p.before))
                .collect()
        };
        let place = |name: &str, before: &[&str]| (name.to_string(), owned(before));
        assert_eq!(
            places(
                "p{font: bold 1em/1.5 Inter, 'Noto Sans SC', sans-serif}\
                 :root{--f:var(--a, A, B), C}"
            ),
            [
                // The shorthand's words before the family count with it.
                place("bold", &[]),
                place("inter", &[]),
                place("noto sans sc", &["bold", "inter"]),
                place("sans-serif", &["bold", "inter", "noto sans sc"]),
                place("a", &[]),
                place("b", &["a"]),
                // After a `var()` only: it may mean any family.
                place("c", &[]),
            ]
        );
        // Far down a list longer than any real stack, a name counts as first.
        let long: Vec<String> = (0..40).map(|i| format!("f{i}")).collect();
        let long = places(&format!("p{{font-family:{}}}", long.join(",")));
        let before = |name: &str| long.iter().find(|p| p.0 == name).unwrap().1.len();
        assert_eq!((before("f20"), before("f32"), before("f33")), (20, 32, 0));
        // A run of words is one entry, each of its tails a name.
        assert_eq!(
            places("p{font-family:Open Sans,X}"),
            [
                place("open sans", &[]),
                place("sans", &[]),
                place("x", &["open sans", "sans"]),
            ]
        );
    }

    #[test]
    fn font_families_named_by_rules() {
        let names = |css: &str| {
            let f = parse_css(css).font_use;
            (f.names, f.computed)
        };
        let (n, computed) = names(
            "body{font-family:\"Open Sans\", Arial, sans-serif}\
             p{font: italic bold 12px/30px Fira Code, serif !important}\
             @font-face{font-family:Unused;src:url(u.woff2)}",
        );
        assert!(!computed);
        for want in ["open sans", "arial", "sans-serif", "fira code", "serif"] {
            assert!(n.contains(&want.to_string()), "{want} in {n:?}");
        }
        assert!(
            !n.contains(&"unused".to_string()),
            "a face names no use: {n:?}"
        );
        assert!(
            n.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates: {n:?}"
        );

        // A `var()` is followed, not a computed value; what its fallback names is kept with it.
        let f = parse_css("p{font-family:var(--sans, var(--ui, Inter)), serif}").font_use;
        assert_eq!((f.names, f.computed), (owned(&["serif"]), false));
        let var = |prop: &str, fallback: Option<Expr>| VarRef {
            prop: prop.into(),
            fallback,
        };
        let listed = |n: &[&str]| Expr {
            names: owned(n),
            vars: Vec::new(),
        };
        let ui = var("--ui", Some(listed(&["inter"])));
        let sans = var(
            "--sans",
            Some(Expr {
                names: Vec::new(),
                vars: vec![ui],
            }),
        );
        assert_eq!(
            f.var_reads,
            [VarRead {
                vars: vec![sans],
                gate: None
            }]
        );
        // A custom property's names wait for a `var()` that reads it, and its value is still
        // walked for URLs; one that holds a weight keeps it.
        let facts = parse_css(
            ":root{--brand-font: 'Brand Face', sans-serif; --bg: url(bg.png); --x: var(--y)}\
             .fab{--fa: var(--fa-brands); --fa-style: 400; --n: 1.5; color: red}",
        );
        let f = &facts.font_use;
        assert!(!f.may_use("brand face") && !f.computed, "{f:?}");
        let def =
            |prop: &str, value: Expr, weight: Option<u16>, gate: Option<&[&[&str]]>| PropDef {
                prop: prop.into(),
                value,
                weight,
                empty: false,
                gate: gate.map(|g| g.iter().map(|alt| owned(alt)).collect()),
                // The `:root` rule's.
                on_root: gate.is_none(),
                places: Vec::new(),
                at: Cascaded::default(),
                weighs: weight.is_some(),
                slants: false,
            };
        let reads = |prop: &str| Expr {
            names: Vec::new(),
            vars: vec![var(prop, None)],
        };
        let fab: Option<&[&[&str]]> = Some(&[&["fab"]]);
        // (Places and the cascade are tested on their own.)
        let props: Vec<PropDef> = f
            .props
            .iter()
            .cloned()
            .map(|d| PropDef {
                places: Vec::new(),
                at: Cascaded::default(),
                ..d
            })
            .collect();
        assert_eq!(
            props,
            [
                def(
                    "--brand-font",
                    listed(&["brand face", "sans-serif"]),
                    None,
                    None
                ),
                def("--fa", reads("--fa-brands"), None, fab),
                def("--fa-style", listed(&[]), Some(400), fab),
                def("--x", reads("--y"), None, None),
            ]
        );
        assert_eq!(f.props_of("--fa").len(), 1);
        // An empty value is kept: what reads it inherits (Bootstrap's `.nav` sets
        // `--bs-nav-link-font-weight: ;`).
        let empty = parse_css(".nav{--w: ;--v:/**/}.x{--u:500}").font_use.props;
        let empty: Vec<_> = empty.iter().map(|d| (d.prop.as_str(), d.empty)).collect();
        assert_eq!(empty, [("--u", false), ("--v", true), ("--w", true)]);
        assert!(f.props_of("--f").is_empty() && f.props_of("--z").is_empty());
        assert_eq!(facts.refs.len(), 1, "{:?}", facts.refs);
        assert!(names("p{font:1em env(x)}").1);
        assert_eq!(names("p{color:red}"), (Vec::new(), false));

        // A `font` element selector is not a declaration: its block is still walked.
        let facts = parse_css("font:hover{background:url(x.png)} a{font-family:B}");
        assert_eq!(facts.refs.len(), 1, "{:?}", facts.refs);
        assert!(facts.font_use.may_use("b") && facts.font_use.may_use("B"));
    }

    #[test]
    fn rules_that_may_set_the_family_of_code() {
        let reach = |prelude: &str| -> Vec<Vec<String>> {
            selectors_of(prelude)
                .into_iter()
                .filter_map(|mut s| s.pop())
                .filter(Compound::may_hold_code)
                .map(|s| s.words)
                .collect()
        };
        let words = |w: &[&str]| -> Vec<String> { w.iter().map(|s| s.to_string()).collect() };
        // Elements that are never code nor inside it, and the root.
        assert!(reach("body").is_empty());
        assert!(reach("html, :root, .prose p, article > H2, :host").is_empty());
        // Code elements, phrasing elements that may be inside them, and any element.
        assert_eq!(reach("pre, code"), vec![words(&[]), words(&[])]);
        assert_eq!(reach(".hljs span"), vec![words(&[])]);
        assert_eq!(reach("*"), vec![words(&[])]);
        // What the last compound asks of the element; the others are not followed.
        assert_eq!(
            reach("pre.lang-x, #main .tok.b, p code, [class^=\"tok-\"]"),
            vec![
                words(&["lang-x"]),
                words(&["b", "tok"]),
                words(&[]),
                words(&["tok-"])
            ]
        );
        // A page's declaration outside rules, and family values that may mean any family.
        let f = parse_css(
            "pre { font-family: inherit } .x code { font-family: var(--f) } h1 { font-family: H } code { font-family: M, monospace }",
        );
        let names: Vec<&str> = f
            .font_use
            .code_families
            .iter()
            .map(|g| g.name.as_str())
            .collect();
        assert_eq!(names, ["", "m", "monospace"]);
    }

    #[test]
    fn rules_that_may_set_the_family_of_form_controls() {
        let reach = |prelude: &str| {
            selectors_of(prelude)
                .iter()
                .filter_map(|s| s.last())
                .any(Compound::may_hold_control)
        };
        assert!(!reach("body, html, :root, pre, .x > p, h1"));
        assert!(reach("button") && reach("select") && reach(".btn") && reach("span") && reach("*"));
        let f = parse_css(
            "body { font-family: B } button, input { font: inherit } .btn { font-family: C }",
        );
        assert_eq!(f.font_use.control_families, ["", "c"]);
    }

    #[test]
    fn rules_that_set_italic_elements_upright() {
        use crate::parse::{ITALIC_ELEMENTS, Upright, Words};
        let upright = |css: &str| -> Vec<(String, Vec<u32>, bool)> {
            parse_css(css)
                .font_use
                .upright
                .into_iter()
                .map(
                    |Upright {
                         tag,
                         names,
                         inherit,
                     }| {
                        let tag = tag.map_or("*", |t| ITALIC_ELEMENTS[t as usize]);
                        (tag.to_string(), names, inherit)
                    },
                )
                .collect()
        };
        let x = Words::hash("x");
        // Bootstrap's reboot and USWDS; a class of any element; Meyer's reset; an `@layer`.
        assert_eq!(
            upright(
                "address,CITE,p{font-style:normal}.x{font-style:initial!important}\
                 em.x,b{font:inherit}@layer base{i{font-style:unset}}"
            ),
            [
                ("address".to_string(), vec![], false),
                ("cite".to_string(), vec![], false),
                ("*".to_string(), vec![x], false),
                ("em".to_string(), vec![x], true),
                ("i".to_string(), vec![], true),
            ]
        );
        // Only where it always applies, to every element it names.
        for css in [
            "@media (min-width:40em){em{font-style:normal}}",
            "@supports (x:y){em{font-style:normal}}",
            ".a{em{font-style:normal}}",
            ".a em, em:hover, em::before, [lang] em, *{font-style:normal}",
            "em{font-style:normal italic}",
            "em{font-style:oblique}",
            "em{font:1em Serif}",
        ] {
            assert_eq!(upright(css), [], "{css}");
        }
        // A slanting value still slants.
        assert!(parse_css("p{font-style:oblique 10deg}").font_use.italic);
    }

    #[test]
    fn rules_for_headings_ask_for_them() {
        let f = parse_css(
            "h1, h2 {font-family: Head}\
             .h1, h1, h2.x, article h3 {font-weight: 500}\
             @media (min-width: 40em) {h1 {font-weight: 600}}\
             html, :root, body {font-weight: 300} body p {font-weight: 200} * {font: inherit}",
        )
        .font_use;
        assert_eq!(
            f.gate_of("head").map(|g| &g.any_of),
            Some(&vec![owned(&["<h1"]), owned(&["<h2"])])
        );
        let bare: Vec<&[String]> = f.page_weights.iter().map(|w| w.bare.as_slice()).collect();
        let empty: &[String] = &[];
        assert_eq!(
            bare,
            [
                &["<h1".to_string()][..],
                empty,
                &["<html".to_string(), "<body".to_string()],
                empty,
                empty
            ]
        );
        let page: Vec<(bool, &Weight)> =
            f.page_weights.iter().map(|w| (w.root, &w.weight)).collect();
        assert_eq!(
            page,
            [
                (false, &Weight::Is(500)),
                (false, &Weight::Is(600)),
                (true, &Weight::Is(300)),
                (false, &Weight::Is(200)),
                (false, &Weight::Inherit),
            ]
        );
        // A selector after a comma and a space is one compound too.
        assert_eq!(
            parse_css("address, em {font-style: normal}")
                .font_use
                .upright
                .len(),
            2
        );
    }

    #[test]
    fn weights_of_rules_for_certain_elements() {
        let weights = |css: &str| -> Vec<(Vec<Vec<String>>, Option<u16>)> {
            let f = parse_css(css).font_use;
            f.weights
                .into_iter()
                .map(|w| {
                    let weight = match w.weight {
                        Weight::Is(n) => Some(n),
                        _ => None,
                    };
                    (w.any_of, weight)
                })
                .collect()
        };
        let gate = |classes: &[&str]| vec![owned(classes)];
        assert_eq!(
            weights(
                ".fab,.far{font-weight:400}.fa,.fas{font-weight:900 !important}\
                 p{font-weight:700}.b{font-weight:bolder}.c{font-weight:bold}\
                 .v{font-weight:var(--w)}.x{font-weight:calc(300 * 3)}"
            ),
            [
                (vec![owned(&["fab"]), owned(&["far"])], Some(400)),
                (vec![owned(&["fa"]), owned(&["fas"])], Some(900)),
                (gate(&["b"]), None),
                (gate(&["c"]), Some(700)),
                (gate(&["v"]), None),
                (gate(&["x"]), None),
            ]
        );
        let var = |css: &str| parse_css(css).font_use.weights[0].weight.clone();
        assert_eq!(
            var(".fa{font-weight:var(--fa-style,900)}"),
            Weight::Var {
                props: vec!["--fa-style".into()],
                fallback: Some(900)
            }
        );
        assert_eq!(
            var(".fa{font-weight:var(--w) !important}"),
            Weight::Var {
                props: vec!["--w".into()],
                fallback: None
            }
        );
        assert_eq!(
            var(".t{font-weight:var(--a, var(--b, var(--c, 500)))}"),
            Weight::Var {
                props: vec!["--a".into(), "--b".into(), "--c".into()],
                fallback: Some(500)
            }
        );
        assert_eq!(
            var(".t{font-weight:var(--a, var(--b, 5em))}"),
            Weight::Unknown
        );
        for css in [
            ".fa{font-weight:var(--w) 1}",
            ".fa{font-weight:var(--w, 1.5)}",
        ] {
            assert_eq!(var(css), Weight::Unknown, "{css}");
        }
        // The `font` shorthand sets a weight, `normal` unless it says one; numbers after the
        // size are not weights.
        assert_eq!(
            weights(
                ".a{font:italic 700 1em/1.5 X}.b{font:1em/900 X}.c{font:bold 1em X}\
                 .d{font:var(--fa-font-solid)}.e{font:bolder 1em X}"
            ),
            [
                (gate(&["a"]), Some(700)),
                (gate(&["b"]), Some(400)),
                (gate(&["c"]), Some(700)),
                (gate(&["d"]), None),
                (gate(&["e"]), None),
            ]
        );
    }

    #[test]
    fn nested_blocks_are_walked() {
        let css = "@media (min-width: 1px) { @supports (display: grid) { .a { background: url(a.png) } } }
@layer base { .b { & .c { background: url(b.png) } } }
@container card (width > 1px) { .d { mask-image: url(c.svg) } }
@media print { @font-face { font-family: P; src: url(p.woff2) format('woff2') } }";
        assert_eq!(
            urls(css),
            vec![
                ("a.png".into(), CssUrl),
                ("b.png".into(), CssUrl),
                ("c.svg".into(), CssUrl),
                ("p.woff2".into(), Font),
            ]
        );
    }

    #[test]
    fn font_face_picks_one_source() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            // The first source a browser reads, in order, even when a woff2 comes later.
            (
                "src: url(a.woff) format('woff'), url(a.woff2) format('woff2')",
                "a.woff",
                Some("woff"),
            ),
            ("src: local(X), url(a.ttf), url(a.woff2)", "a.ttf", None),
            ("src: url(a.eot), url(a.woff2)", "a.woff2", None),
            (
                "src: local('X Y'), url(a.ttf) format(truetype)",
                "a.ttf",
                Some("truetype"),
            ),
            (
                "src: url(a.WOFF2?v=3#iefix), url(b.woff2)",
                "a.WOFF2?v=3#iefix",
                None,
            ),
            (
                "src: url(a.woff2) format('woff2') tech(variations), url(b.woff)",
                "a.woff2",
                Some("woff2"),
            ),
            // A later src replaces an earlier one, as in the cascade; `.eot` and SVG fonts are
            // skipped as browsers skip them.
            (
                "src: url(a.eot); src: url('a.eot?#iefix') format('embedded-opentype'), url(a.svg#f) format('svg'), url(a.woff) format('woff'), url(a.ttf) format('truetype')",
                "a.woff",
                Some("woff"),
            ),
            (
                "src: url(a.eot?#iefix) format(\"embedded-opentype\"), url(a.ttf)",
                "a.ttf",
                None,
            ),
            (
                "src: url(\"a.otf\") format(\"opentype\")",
                "a.otf",
                Some("opentype"),
            ),
            (
                "src: url(a.ttf) format('truetype-variations'), url(a.woff2) format('woff2-variations')",
                "a.ttf",
                Some("truetype-variations"),
            ),
            (
                "src: url(a.woff2) format(woff2 supports variations), url(a.woff) format(woff)",
                "a.woff2",
                Some("woff2"),
            ),
        ];
        for &(src, url, format) in cases {
            let css = format!("@font-face {{ font-family: F; {src}; font-display: swap }}");
            let r = one(&css);
            assert_eq!((r.url.as_str(), r.kind), (url, Font), "{css}");
            assert_eq!(r.attrs.format(), format, "{css}");
            assert_eq!(r.element, "@font-face");
        }
    }

    #[test]
    fn font_face_family_is_one_name() {
        for (css, family) in [
            ("font-family: 'Open Sans'", "Open Sans"),
            ("font-family: Open  Sans", "Open Sans"),
            ("font-family: A; font-family: 'B', serif", "A"),
            ("font-family: A; font-family: B", "B"),
            ("font-family: Serif Pro", "Serif Pro"),
        ] {
            let r = one(&format!("@font-face {{ {css}; src: url(f.woff2) }}"));
            assert_eq!(r.attrs.font_family(), Some(family), "{css}");
        }
    }

    #[test]
    fn font_face_without_fetchable_source() {
        for css in [
            // Browsers drop a face whose font-family is not one family name (GNU Octave's manual
            // lists fallbacks in it), or that has none.
            "@font-face { font-family: 'Mono X', 'Courier New', monospace; src: url(m.woff2) }",
            "@font-face { font-family: monospace; src: url(m.woff2) }",
            "@font-face { font-family: 'A' B; src: url(m.woff2) }",
            "@font-face { src: url(m.woff2) }",
            "@font-face { font-family: F; src: local(F) }",
            "@font-face { font-family: F }",
            "@font-face { src: url(data:font/woff2;base64,AAAA) format('woff2'), url(f.woff) }",
            "@font-face;",
            "@font-face",
        ] {
            assert_eq!(urls(css), vec![], "{css}");
        }
    }

    #[test]
    fn font_face_attributes() {
        let r = one("@font-face {
  font-family: \"Inter Var\";
  font-style: normal;
  src: url(/f/inter.woff2) format(\"woff2\");
  unicode-range: U+0000-00FF, U+0131, U+0152-0153, U+02BB-02BC, U+2000-206F, U+4??, u+1e00-1eff;
}");
        assert_eq!(r.attrs.font_family(), Some("Inter Var"));
        assert_eq!(
            r.attrs.unicode_range(),
            vec![
                (0x0, 0xFF),
                (0x131, 0x131),
                (0x152, 0x153),
                (0x2BB, 0x2BC),
                (0x2000, 0x206F),
                (0x400, 0x4FF),
                (0x1E00, 0x1EFF),
            ]
        );
        let r = one("@font-face{font-family:Open Sans;src:url(o.woff2)}");
        assert_eq!(r.attrs.font_family(), Some("Open Sans"));
        assert!(r.attrs.unicode_range().is_empty());
        // Tricky unicode-range tokens: `U+1e3` (number then dimension), `U+0-7F`, `U+??`.
        let r = one(
            "@font-face{font-family:F;src:url(x.woff2);unicode-range:U+1e3,U+0-7F,U+??,U+10FFFF}",
        );
        assert_eq!(
            r.attrs.unicode_range(),
            vec![(0x1E3, 0x1E3), (0, 0x7F), (0, 0xFF), (0x10FFFF, 0x10FFFF)]
        );
        // Garbage entries are skipped, the good ones kept.
        let r = one("@font-face{font-family:F;src:url(x.woff2);unicode-range:U+0-7F, bogus, U+41}");
        assert_eq!(r.attrs.unicode_range(), vec![(0, 0x7F), (0x41, 0x41)]);
    }

    /// The shape @fontsource packages ship: one face per subset, each with its own range.
    #[test]
    fn fontsource_style_faces() {
        let subsets = [
            (
                "cyrillic-ext",
                "U+0460-052F, U+1C80-1C8A, U+20B4, U+2DE0-2DFF, U+A640-A69F, U+FE2E-FE2F",
            ),
            (
                "cyrillic",
                "U+0301, U+0400-045F, U+0490-0491, U+04B0-04B1, U+2116",
            ),
            (
                "greek",
                "U+0370-0377, U+037A-037F, U+0384-038A, U+038C, U+038E-03A1, U+03A3-03FF",
            ),
            (
                "latin-ext",
                "U+0100-02BA, U+02BD-02C5, U+02C7-02CC, U+02CE-02D7, U+02DD-02FF, U+0304, U+0308, U+0329, U+1D00-1DBF, U+1E00-1E9F, U+1EF2-1EFF, U+2020, U+20A0-20AB, U+20AD-20C0, U+2113, U+2C60-2C7F, U+A720-A7FF",
            ),
            (
                "latin",
                "U+0000-00FF, U+0131, U+0152-0153, U+02BB-02BC, U+02C6, U+02DA, U+02DC, U+0304, U+0308, U+0329, U+2000-206F, U+20AC, U+2122, U+2191, U+2193, U+2212, U+2215, U+FEFF, U+FFFD",
            ),
        ];
        let mut css = String::new();
        for (name, range) in subsets {
            css.push_str(&format!(
                "/* roboto-{name}-400-normal */\n@font-face {{\n  font-family: 'Roboto';\n  font-style: normal;\n  font-display: swap;\n  font-weight: 400;\n  src: url(./files/roboto-{name}-400-normal.woff2) format('woff2'), url(./files/roboto-{name}-400-normal.woff) format('woff');\n  unicode-range: {range};\n}}\n"
            ));
        }
        let facts = parse_css(&css);
        assert_eq!(facts.refs.len(), 5);
        for (i, (r, (name, range))) in facts.refs.iter().zip(subsets).enumerate() {
            assert_eq!(r.url, format!("./files/roboto-{name}-400-normal.woff2"));
            assert_eq!(r.kind, Font);
            assert_eq!(r.attrs.font_family(), Some("Roboto"));
            // Fontsource's subsets overlap a little (U+0490 is in both Cyrillic subsets, U+0304
            // in both Latin ones): the earlier face keeps only what the later ones leave.
            let shadowed = ["cyrillic-ext", "latin-ext"].contains(&name);
            assert_eq!(r.attrs.is_shadowed(), shadowed, "{name}");
            if !shadowed {
                assert_eq!(r.attrs.unicode_range().len(), range.split(',').count());
            }
            assert_eq!(r.location, Location::new(2 + 9 * i as u32, 1));
        }
        assert_eq!(facts.refs[4].attrs.unicode_range()[0], (0, 0xFF));
        assert!(
            !facts.refs[3]
                .attrs
                .unicode_range()
                .contains(&(0x304, 0x304))
        );
    }

    #[test]
    fn locations() {
        let css = "a {\r\n  background: url(a.png);\r\n}\r\n\r\n  @import 'b.css';\n/* é */ .x{b:url(\"é.png\") url(c.png)}";
        assert_eq!(
            refs(css),
            vec![
                ("a.png".into(), CssUrl, 2, 15),
                ("b.css".into(), CssImport, 5, 3),
                ("é.png".into(), CssUrl, 6, 14),
                ("c.png".into(), CssUrl, 6, 27),
            ]
        );
    }

    #[test]
    fn inline_style_attribute_form() {
        assert_eq!(
            refs("*{background-image: url('hero.jpg'); color: red}"),
            vec![("hero.jpg".into(), CssUrl, 1, 21)]
        );
    }

    #[test]
    fn selectors_rank_for_the_cascade() {
        let ranked = |css: &str| {
            let decls = parse_css(css).font_use.decls;
            decls
                .into_iter()
                .flat_map(|d| d.selectors)
                .map(|s| {
                    let spec = s.specificity.map_or("?".to_string(), |x| {
                        format!("{},{},{}", x >> 20, x >> 10 & 1023, x & 1023)
                    });
                    let flags = match (s.exact, s.generated) {
                        (true, _) => " exact",
                        (false, true) => " generated",
                        (false, false) => "",
                    };
                    format!("{} {spec}{flags}", s.any_of.join("+"))
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ranked(
                "h1, .rst-content h2, #top .a.b, div.c, .d > h3, .e + h4, a:hover, \
                 p::before, p:after, :not(.f) h5, :where(.g) h6, [lang=ja] p, *, .h[title] \
                 { font-family: X }"
            ),
            [
                "<h1 0,0,1 exact",
                "  rst-content+<h2 0,1,1 exact",
                "  top+a+b 1,2,0 exact",
                // `div` is not among the named elements: the selector asks more than its names.
                "c 0,1,1",
                "  d+<h3 0,1,1",
                " e+<h4 0,1,1",
                " 0,1,1",
                " 0,0,2 generated",
                " 0,0,2 generated",
                "<h5 ?",
                "<h6 0,0,1",
                "  \u{2}ja 0,1,1",
                " 0,0,0",
                "h 0,2,0",
            ]
        );
        // Declarations outside style rules, or in nested ones, have none; nor do custom
        // properties.
        assert!(ranked(".a { .b { font-family: X } } .c { --f: X }").is_empty());
    }

    #[test]
    fn style_declarations_say_whether_they_surely_slant() {
        let styles = |css: &str| {
            parse_css(css)
                .font_use
                .styles
                .into_iter()
                .map(|d| {
                    let sels: Vec<String> =
                        d.selectors.iter().map(|s| s.any_of.join("+")).collect();
                    format!(
                        "{} {}{}",
                        sels.join(","),
                        if d.italic { "italic" } else { "upright?" },
                        if d.overrides { "" } else { " (kept)" }
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            styles(
                "blockquote { font-style: italic } .a { font-style: oblique 10deg }\
                 em { font-style: normal } .b { font-style: var(--s) } .c { font: 1em Serif }\
                 .d { font: italic 1em Serif } .e { font: var(--f) }\
                 @media print { .f { font-style: italic } } .g { .h { font-style: italic } }"
            ),
            [
                "<blockquote italic",
                "a italic",
                "<em upright?",
                "b upright?",
                "c upright?",
                "d italic",
                "e upright?",
                "f italic (kept)",
                // A nested rule's selectors are relative to the outer one's: none are kept.
                " italic (kept)",
            ]
        );
    }

    #[test]
    fn family_declarations_for_the_cascade() {
        let decls = |css: &str| {
            parse_css(css)
                .font_use
                .decls
                .into_iter()
                .map(|d| {
                    let flag = match (d.at.overrides, d.at.important) {
                        (true, false) => "",
                        (true, true) => " !",
                        (false, false) => " (kept)",
                        (false, true) => " ! (kept)",
                    };
                    format!("{}: {}{flag}", d.at.selectors, d.names.join(","))
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            decls(
                "h1,\n  h2  >  a { font-family: A, \"B c\" }\
                 p { font: italic 700 1rem/1.5 C } p { font: bold D }\
                 p { font-family: E !important } p { font: var(--f) }\
                 @media print { p { font-family: F } } @layer base { p { font-family: G } }\
                 .a { color: red; .b { font-family: H } } p { font-family: 12px }\
                 p { font: menu } p { font-family: inherit }\
                 .c { @media print { font-family: I } }"
            ),
            [
                // Names as [`FontUse::names`] keeps them: a shorthand's other words too.
                "h1, h2 > a: a,b c",
                "p: italic,c",
                "p: bold d,d (kept)",
                "p: e,important !",
                "p: ",
                "p: f (kept)",
                "p: g (kept)",
                ": h (kept)",
                "p:  (kept)",
                "p: menu",
                "p: inherit",
                ".c: i (kept)",
            ]
        );
        // A custom property's value is always kept.
        let props = parse_css(":root{--f: A !important} @media print{:root{--f:B}} .x{--f:}")
            .font_use
            .props;
        let at: Vec<_> = props
            .iter()
            .map(|d| (d.at.selectors.as_str(), d.at.important, d.at.overrides))
            .collect();
        assert_eq!(
            at,
            [
                (":root", true, true),
                (":root", false, false),
                (".x", false, true)
            ]
        );
        // An element's own styles are overridden by no rule.
        let mut f = parse_css("*{font-family:A}").font_use;
        f.overrides_nothing(true);
        assert_eq!(f.decls[0].at.selectors, "");
        assert!(!f.decls[0].at.overrides);
    }

    #[test]
    fn garbage_never_panics() {
        let inputs = [
            "",
            "}}}{{{",
            "a{background:url(",
            "a{background:url('x.png'",
            "@import",
            "@import ;",
            "@import url(",
            "@font-face { src: url(x.woff2",
            "@font-face { src: , , ; unicode-range: U+, U+zz, U+-1 }",
            "@font-face { src: format(woff2) url(x.woff2) }",
            "a{b:url(a b.png)}",
            "a{b:url(a\"b.png)}",
            "\\",
            "@media{@media{@media{",
            "a{b:image-set(",
            "\u{0}\u{FFFD}url(x)",
        ];
        for css in inputs {
            let _ = parse_css(css);
        }
        let deep = "a{".repeat(10_000) + "b:url(x.png)";
        let _ = parse_css(&deep);
        let deep = "(".repeat(10_000);
        assert!(parse_css(&deep).refs.is_empty());
    }

    #[test]
    fn recovers_after_bad_rules() {
        let css = "a{b:url(x y)} @import url(a.css) ; c{d:url(ok.png)} @font-face{font-family:F;src:url(f.woff2)";
        assert_eq!(
            urls(css),
            vec![
                ("a.css".into(), CssImport),
                ("ok.png".into(), CssUrl),
                ("f.woff2".into(), Font),
            ]
        );
    }

    #[test]
    fn long_minified_line_is_linear() {
        let mut css = String::new();
        for i in 0..20_000 {
            css.push_str(&format!(".c{i}{{background:url(i/{i}.png)}}"));
        }
        let facts = parse_css(&css);
        assert_eq!(facts.refs.len(), 20_000);
        let last = facts.refs.last().unwrap();
        let offset = css.rfind("url(").unwrap();
        assert_eq!(last.location, super::super::location_at(&css, offset));
    }

    #[test]
    fn a_shorthand_of_custom_properties_slants_by_what_they_hold() {
        let f = parse_css(
            ":root{--style:oblique 10deg;--family:Lora,serif;--mixed:calc(1px) italic}\
             body{font:1rem var(--family)}em{font:var(--style) 1rem var(--family)}\
             p{font:env(x) 1rem Lora}",
        )
        .font_use;
        let slants: Vec<(&str, bool)> = f
            .props
            .iter()
            .map(|d| (d.prop.as_str(), d.slants))
            .collect();
        assert_eq!(
            slants,
            [("--family", false), ("--mixed", true), ("--style", true)]
        );
        // The `var()` shorthands wait for what they read; a computed one slants at once.
        let gates: Vec<_> = f.var_slants.iter().map(|v| v.gate.is_some()).collect();
        assert_eq!(gates, [false, true]);
        assert!(f.italic);
    }

    #[test]
    fn locator_matches_location_at() {
        let text = "ab\r\né\n\nxyz é ü\n";
        let mut locator = Locator::new(text);
        let offsets: Vec<usize> = (0..=text.len()).chain([3, 0, 9, 2, 100]).collect();
        for offset in offsets {
            assert_eq!(
                locator.locate(offset),
                super::super::location_at(text, offset),
                "offset {offset}"
            );
        }
    }
}
