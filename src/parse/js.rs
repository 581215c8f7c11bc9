//! ES-module import discovery: the specifiers a module's `import` and `export … from` name.
//!
//! This module owns finding static imports (`import … from "x"`, `import "x"`, `export … from "x"`, with
//! their `with { type: … }` attribute) and dynamic `import("x")` calls with a literal specifier in
//! JavaScript text. It does not resolve specifiers (bare names go through the page's import map in
//! [`crate::graph`]) and it does not look at anything else in the code.
//!
//! Design: a small hand-written lexer in the manner of `es-module-lexer`, the lexer Vite itself uses to
//! rewrite imports. Import syntax is a tiny, keyword-led corner of the language; what makes finding it
//! hard is knowing what is *not* code: strings, template literals (with `${…}` nesting to any depth),
//! comments and regular expression literals. The lexer tracks just enough context to tell a regex from a
//! division (the kind of the previous significant token, and which keyword or punctuator opened the
//! `(…)` or `{…}` that a `)` or `}` closes), then looks ahead at each `import`/`export` keyword. A full
//! JavaScript parser would cost compile time and memory (an AST for a multi-megabyte bundle) for no
//! better answer on import syntax, and would reject whole files over a syntax error elsewhere; the lexer
//! is linear, allocates only for the specifiers it returns, and degrades gracefully on odd input.
//!
//! Known limits, shared with `es-module-lexer`: a `/` directly after the `}` of an object literal that
//! was opened after `case x:` or a label, or after a keyword used as a plain variable name (`of`,
//! `yield`, `await` outside modules), may be read the wrong way; minifiers never produce these.
//! `new URL("./x", import.meta.url)` is not reported.

use super::{FileFacts, Locator, RefAttrs, RefKind, Reference, Words};

/// Parses a JavaScript module and returns its import references in document order.
///
/// Also used on inline `<script type=module>` text. Static imports are [`RefKind::JsImport`] (element
/// `import` or `export … from`, `attrs.type_` from a `with { type: "json" }` clause); `import("x")` with
/// a string or plain template literal is [`RefKind::JsDynamicImport`] (element `import()`). Specifiers
/// are returned escape-decoded, not resolved. Never fails.
pub fn parse_js(text: &str) -> FileFacts {
    let mut lexer = Lexer {
        text,
        src: text.as_bytes(),
        pos: 0,
        prev: Prev::Statement,
        after_condition_keyword: false,
        braces: Vec::new(),
        parens: Vec::new(),
        locator: Locator::new(text),
        refs: Vec::new(),
        words: Words::default(),
    };
    lexer.run();
    lexer.words.seal();
    FileFacts {
        refs: lexer.refs,
        words: lexer.words,
        ..FileFacts::default()
    }
}

/// What the previous significant token lets a `/` (and a `{`) mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Start of input, `;`, `{`, the `}` of a block, the `)` of `if (…)`/`while (…)`/`for (…)`/`with (…)`,
    /// `else`, `do`, `try`, `finally`: a statement starts, so `/` begins a regex and `{` a block.
    Statement,
    /// A punctuator that expects an operand, or an operator keyword (`return`, `typeof`, …): `/` begins a
    /// regex and `{` an object literal.
    Operator,
    /// The end of an operand (identifier, literal, `)`, `]`, the `}` of an object literal, `++`, `--`):
    /// `/` divides.
    Operand,
    /// `.` or `?.`: the next identifier is a property name, not a keyword.
    Dot,
}

/// What a `{` opened, so its `}` can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Brace {
    /// A block or body: `}` ends a statement.
    Block,
    /// An object literal (or a pattern, or an arrow body): `}` ends an operand.
    Object,
    /// A template's `${`: `}` resumes the template.
    Substitution,
}

struct Lexer<'t> {
    text: &'t str,
    src: &'t [u8],
    pos: usize,
    prev: Prev,
    /// The last token was `if`, `while`, `for` or `with`, so the next `(…)` is a condition.
    after_condition_keyword: bool,
    braces: Vec<Brace>,
    /// One entry per open `(`: true when it follows `if`/`while`/`for`/`with`.
    parens: Vec<bool>,
    locator: Locator<'t>,
    refs: Vec<Reference>,
    /// Words of the strings and templates ([`FileFacts::words`]).
    words: Words,
}

/// A string literal found by a lookahead: the raw text between its quotes and the offset after it.
struct Literal {
    start: usize,
    end: usize,
    after: usize,
}

impl Lexer<'_> {
    fn run(&mut self) {
        if self.src.starts_with(b"#!") {
            self.pos = skip_line_comment(self.src, 2);
        }
        while self.pos < self.src.len() {
            let b = self.src[self.pos];
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C => {
                    self.pos += 1;
                    continue;
                }
                b'/' if self.src.get(self.pos + 1) == Some(&b'/') => {
                    self.pos = skip_line_comment(self.src, self.pos + 2);
                    continue;
                }
                b'/' if self.src.get(self.pos + 1) == Some(&b'*') => {
                    self.pos = skip_block_comment(self.src, self.pos + 2);
                    continue;
                }
                0x80.. => {
                    if let Some(len) = unicode_space_at(self.text, self.pos) {
                        self.pos += len;
                        continue;
                    }
                }
                _ => {}
            }
            let condition = std::mem::take(&mut self.after_condition_keyword);
            self.token(b, condition);
        }
    }

    /// Lexes one significant token starting with byte `b` at `self.pos`.
    fn token(&mut self, b: u8, condition: bool) {
        let src = self.src;
        let next = src.get(self.pos + 1).copied();
        match b {
            b'\'' | b'"' => {
                let start = self.pos;
                self.pos = skip_string(src, self.pos);
                self.string_words(start + 1, self.pos - 1);
                self.prev = Prev::Operand;
            }
            b'`' => {
                self.pos += 1;
                self.template();
            }
            b'/' => {
                if matches!(self.prev, Prev::Statement | Prev::Operator) {
                    self.pos = skip_regex(src, self.pos);
                    self.prev = Prev::Operand;
                } else {
                    self.pos += 1;
                    self.prev = Prev::Operator;
                }
            }
            b'(' => {
                self.parens.push(condition);
                self.pos += 1;
                self.prev = Prev::Operator;
            }
            b')' => {
                let condition = self.parens.pop().unwrap_or(false);
                self.pos += 1;
                self.prev = if condition {
                    Prev::Statement
                } else {
                    Prev::Operand
                };
            }
            b'[' => {
                self.pos += 1;
                self.prev = Prev::Operator;
            }
            b']' => {
                self.pos += 1;
                self.prev = Prev::Operand;
            }
            b'{' => {
                self.braces.push(if self.prev == Prev::Operator {
                    Brace::Object
                } else {
                    Brace::Block
                });
                self.pos += 1;
                self.prev = Prev::Statement;
            }
            b'}' => {
                self.pos += 1;
                match self.braces.pop() {
                    Some(Brace::Substitution) => self.template(),
                    Some(Brace::Object) => self.prev = Prev::Operand,
                    Some(Brace::Block) | None => self.prev = Prev::Statement,
                }
            }
            b';' => {
                self.pos += 1;
                self.prev = Prev::Statement;
            }
            b'.' if next.is_some_and(|n| n.is_ascii_digit()) => self.number(),
            b'.' if src[self.pos..].starts_with(b"...") => {
                self.pos += 3;
                self.prev = Prev::Operator;
            }
            b'.' => {
                self.pos += 1;
                self.prev = Prev::Dot;
            }
            // `?.` is optional chaining unless a digit follows (`a?.5:1` is a conditional).
            b'?' if next == Some(b'.')
                && !src.get(self.pos + 2).is_some_and(|n| n.is_ascii_digit()) =>
            {
                self.pos += 2;
                self.prev = Prev::Dot;
            }
            b'+' | b'-' if next == Some(b) => {
                self.pos += 2;
                self.prev = Prev::Operand;
            }
            b'0'..=b'9' => self.number(),
            _ if is_ident_byte(b) => self.word(),
            _ => {
                self.pos += 1;
                self.prev = Prev::Operator;
            }
        }
    }

    /// Scans template text from `self.pos` (just after `` ` `` or a substitution's `}`) to the closing
    /// backtick, or to a `${`, whose expression the main loop then lexes as code.
    fn template(&mut self) {
        let src = self.src;
        let start = self.pos;
        while let Some(i) = src[self.pos..]
            .iter()
            .position(|&b| matches!(b, b'\\' | b'`' | b'$'))
        {
            let at = self.pos + i;
            match src[at] {
                b'\\' => self.pos = (at + 2).min(src.len()),
                b'`' => {
                    self.string_words(start, at);
                    self.pos = at + 1;
                    self.prev = Prev::Operand;
                    return;
                }
                _ if src.get(at + 1) == Some(&b'{') => {
                    self.string_words(start, at);
                    self.pos = at + 2;
                    self.braces.push(Brace::Substitution);
                    self.prev = Prev::Operator;
                    return;
                }
                _ => self.pos = at + 1,
            }
        }
        self.string_words(start, src.len());
        self.pos = src.len();
        self.prev = Prev::Operand;
    }

    /// Records the words of a string's or template's text (`start..end`, between the quotes): the
    /// class names a script may give elements are in its strings.
    fn string_words(&mut self, start: usize, end: usize) {
        if let Some(text) = self.text.get(start..end.max(start)) {
            self.words.add_text(text);
        }
    }

    /// A numeric literal (decimal, `.5`, exponent, hex/octal/binary, `_` separators, `n` suffix).
    fn number(&mut self) {
        let src = self.src;
        let radix_prefix = src[self.pos] == b'0'
            && src
                .get(self.pos + 1)
                .is_some_and(|b| b.is_ascii_alphabetic());
        while let Some(&b) = src.get(self.pos) {
            if !(b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
                break;
            }
            self.pos += 1;
            if matches!(b, b'e' | b'E')
                && !radix_prefix
                && matches!(src.get(self.pos), Some(b'+' | b'-'))
            {
                self.pos += 1;
            }
        }
        self.prev = Prev::Operand;
    }

    /// An identifier or keyword; `import` and `export` are looked into.
    fn word(&mut self) {
        let start = self.pos;
        self.pos = ident_end(self.text, start);
        if self.prev == Prev::Dot {
            // A property name: `x.import(…)`, `a.return / 2`.
            self.prev = Prev::Operand;
            return;
        }
        self.prev = match &self.src[start..self.pos] {
            b"import" => return self.import(start),
            b"export" => return self.export(start),
            b"if" | b"while" | b"for" | b"with" => {
                self.after_condition_keyword = true;
                Prev::Operator
            }
            b"else" | b"do" | b"try" | b"finally" => Prev::Statement,
            b"return" | b"typeof" | b"instanceof" | b"in" | b"of" | b"new" | b"delete"
            | b"void" | b"throw" | b"case" | b"yield" | b"await" | b"default" | b"extends" => {
                Prev::Operator
            }
            _ => Prev::Operand,
        };
    }

    /// The `import` keyword at `start` (the lexer is just after it).
    fn import(&mut self, start: usize) {
        let src = self.src;
        let j = skip_trivia(src, self.pos);
        match src.get(j) {
            // `import.meta`: not an import.
            Some(b'.') => self.prev = Prev::Operand,
            Some(b'(') => {
                // Only record here: the main loop still lexes the call's tokens.
                if let Some(literal) = dynamic_specifier(src, j + 1) {
                    self.record(&literal, RefKind::JsDynamicImport, "import()", start, None);
                }
                self.prev = Prev::Operand;
            }
            _ => match static_import_clause(src, j) {
                Some(literal) => self.finish_static(literal, "import", start),
                None => self.prev = Prev::Operand,
            },
        }
    }

    /// The `export` keyword at `start`: only `export * [as x] from "m"` and `export {…} from "m"`.
    fn export(&mut self, start: usize) {
        match export_from_clause(self.src, skip_trivia(self.src, self.pos)) {
            Some(literal) => self.finish_static(literal, "export … from", start),
            None => self.prev = Prev::Statement,
        }
    }

    /// Records a static import whose specifier is `literal`, reads an import-attributes clause after
    /// it, and moves the lexer past both (everything in between was checked to be import syntax).
    fn finish_static(&mut self, literal: Literal, element: &'static str, start: usize) {
        let (type_, after) = match attributes_clause(self.src, literal.after) {
            Some((type_, after)) => (type_, after),
            None => (None, literal.after),
        };
        self.record(&literal, RefKind::JsImport, element, start, type_);
        self.pos = after;
        self.prev = Prev::Statement;
    }

    fn record(
        &mut self,
        literal: &Literal,
        kind: RefKind,
        element: &'static str,
        start: usize,
        type_: Option<String>,
    ) {
        let raw = self.text.get(literal.start..literal.end).unwrap_or("");
        if raw.is_empty() {
            return;
        }
        self.refs.push(Reference {
            url: decode_escapes(raw),
            kind,
            element: element.into(),
            location: self.locator.locate(start),
            attrs: RefAttrs {
                type_: type_.map(String::into_boxed_str),
                ..RefAttrs::default()
            },
        });
    }
}

/// After `import` (at `j`, trivia skipped): `"m"`, or bindings then `from "m"`. Bindings are any run of
/// identifiers, `*`, `,` and `{…}` name lists, which also covers `import defer * as x` and
/// `import source x`.
fn static_import_clause(src: &[u8], mut j: usize) -> Option<Literal> {
    if let Some(literal) = string_at(src, j) {
        return Some(literal);
    }
    for _ in 0..8 {
        j = skip_trivia(src, j);
        match *src.get(j)? {
            b'{' => j = skip_name_list(src, j + 1)?,
            b'*' | b',' => j += 1,
            b if is_ident_byte(b) && !b.is_ascii_digit() => {
                let end = ident_end_ascii(src, j);
                if &src[j..end] == b"from"
                    && let Some(literal) = string_at(src, skip_trivia(src, end))
                {
                    return Some(literal);
                }
                j = end;
            }
            _ => return None,
        }
    }
    None
}

/// After `export` (at `j`, trivia skipped): `* [as name] from "m"` or `{…} from "m"`.
fn export_from_clause(src: &[u8], j: usize) -> Option<Literal> {
    let mut j = match *src.get(j)? {
        b'{' => skip_name_list(src, j + 1)?,
        b'*' => {
            let k = skip_trivia(src, j + 1);
            if word_at(src, k, b"as") {
                let k = skip_trivia(src, k + 2);
                match string_at(src, k) {
                    Some(name) => name.after,
                    None if src.get(k).is_some_and(|&b| is_ident_byte(b)) => {
                        ident_end_ascii(src, k)
                    }
                    None => return None,
                }
            } else {
                k
            }
        }
        _ => return None,
    };
    j = skip_trivia(src, j);
    if !word_at(src, j, b"from") {
        return None;
    }
    string_at(src, skip_trivia(src, j + 4))
}

/// After `import(` (at `j`): a string or substitution-free template, then `)` or `,` (options follow).
fn dynamic_specifier(src: &[u8], j: usize) -> Option<Literal> {
    let j = skip_trivia(src, j);
    let literal = match src.get(j)? {
        b'`' => {
            let len = src[j + 1..]
                .iter()
                .position(|&b| matches!(b, b'`' | b'$' | b'\\'))?;
            let end = j + 1 + len;
            // Escapes are rare in specifiers; refuse them in templates rather than cook them twice.
            (src[end] == b'`').then_some(Literal {
                start: j + 1,
                end,
                after: end + 1,
            })?
        }
        _ => string_at(src, j)?,
    };
    let k = skip_trivia(src, literal.after);
    matches!(src.get(k), Some(b')' | b',')).then_some(literal)
}

/// `with { type: "json" }` (or the older `assert { … }`) at `j` (trivia allowed): the `type` value and
/// the offset after the clause. `None` when there is no well-formed clause.
fn attributes_clause(src: &[u8], j: usize) -> Option<(Option<String>, usize)> {
    let j = skip_trivia(src, j);
    let keyword_len = if word_at(src, j, b"with") {
        4
    } else if word_at(src, j, b"assert") {
        6
    } else {
        return None;
    };
    let mut j = skip_trivia(src, j + keyword_len);
    if src.get(j) != Some(&b'{') {
        return None;
    }
    j += 1;
    let mut type_ = None;
    loop {
        j = skip_trivia(src, j);
        let (key, after_key) = match *src.get(j)? {
            b'}' => return Some((type_, j + 1)),
            b',' => {
                j += 1;
                continue;
            }
            b'"' | b'\'' => {
                let key = string_at(src, j)?;
                (&src[key.start..key.end], key.after)
            }
            b if is_ident_byte(b) => {
                let end = ident_end_ascii(src, j);
                (&src[j..end], end)
            }
            _ => return None,
        };
        j = skip_trivia(src, after_key);
        if src.get(j) != Some(&b':') {
            return None;
        }
        let value = string_at(src, skip_trivia(src, j + 1))?;
        if key == b"type" {
            let raw = std::str::from_utf8(&src[value.start..value.end]).unwrap_or("");
            type_ = Some(decode_escapes(raw));
        }
        j = value.after;
    }
}

/// Skips `a, b as c, "d-e" as f, default as g }` from just after `{`; returns the offset after `}`.
fn skip_name_list(src: &[u8], mut j: usize) -> Option<usize> {
    loop {
        j = skip_trivia(src, j);
        match *src.get(j)? {
            b'}' => return Some(j + 1),
            b',' => j += 1,
            b'"' | b'\'' => j = string_at(src, j)?.after,
            b if is_ident_byte(b) => j = ident_end_ascii(src, j),
            _ => return None,
        }
    }
}

/// A complete `'…'` or `"…"` literal at `j`, or `None` (not a quote, or unterminated on its line).
fn string_at(src: &[u8], j: usize) -> Option<Literal> {
    let quote = *src.get(j)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let (end, terminated) = scan_string(src, j);
    terminated.then_some(Literal {
        start: j + 1,
        end: end - 1,
        after: end,
    })
}

/// True when the identifier at `j` is exactly `word`.
fn word_at(src: &[u8], j: usize, word: &[u8]) -> bool {
    src.get(j..).is_some_and(|rest| rest.starts_with(word))
        && !src.get(j + word.len()).is_some_and(|&b| is_ident_byte(b))
}

/// Bytes that may continue an identifier: ASCII letters, digits, `_`, `$`, `\` (escapes), `#` (private
/// names), and any non-ASCII byte (Unicode identifier characters).
fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'\\' | b'#') || b >= 0x80
}

/// End of the identifier at `start`, stopping at Unicode spaces (non-breaking space, BOM, …).
fn ident_end(text: &str, start: usize) -> usize {
    let src = text.as_bytes();
    let mut i = start;
    while let Some(&b) = src.get(i) {
        if b < 0x80 {
            if !is_ident_byte(b) {
                break;
            }
            i += 1;
        } else if unicode_space_at(text, i).is_some() {
            break;
        } else {
            i += 1;
        }
    }
    i.max(start + 1).min(src.len())
}

/// End of an identifier in lookahead, where only ASCII names matter.
fn ident_end_ascii(src: &[u8], start: usize) -> usize {
    src[start..]
        .iter()
        .position(|&b| !is_ident_byte(b))
        .map_or(src.len(), |n| start + n)
}

/// The byte length of a non-ASCII whitespace or line-terminator character at `i`, if there is one.
fn unicode_space_at(text: &str, i: usize) -> Option<usize> {
    let c = text.get(i..)?.chars().next()?;
    matches!(
        c,
        '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
    .then(|| c.len_utf8())
}

/// Skips whitespace and comments from `j`.
fn skip_trivia(src: &[u8], mut j: usize) -> usize {
    loop {
        match src.get(j) {
            Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C) => j += 1,
            Some(b'/') => match src.get(j + 1) {
                Some(b'/') => j = skip_line_comment(src, j + 2),
                Some(b'*') => j = skip_block_comment(src, j + 2),
                _ => return j,
            },
            _ => return j,
        }
    }
}

/// From inside a `//` comment to its line end.
fn skip_line_comment(src: &[u8], from: usize) -> usize {
    src[from.min(src.len())..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(src.len(), |n| from + n)
}

/// From inside a `/*` comment to just after its `*/` (or the end).
fn skip_block_comment(src: &[u8], from: usize) -> usize {
    src[from.min(src.len())..]
        .windows(2)
        .position(|w| w == b"*/")
        .map_or(src.len(), |n| from + n + 2)
}

/// From the opening quote at `start` to just after the closing one. An unterminated string ends before
/// its line break, as engines report it, so one stray quote cannot swallow the rest of the file.
fn skip_string(src: &[u8], start: usize) -> usize {
    scan_string(src, start).0
}

/// [`skip_string`], also telling whether the closing quote was found.
fn scan_string(src: &[u8], start: usize) -> (usize, bool) {
    let quote = src[start];
    let mut i = start + 1;
    while let Some(&b) = src.get(i) {
        match b {
            // `\` + CRLF is one line continuation.
            b'\\' if src.get(i + 1) == Some(&b'\r') && src.get(i + 2) == Some(&b'\n') => i += 3,
            b'\\' => i += 2,
            b'\n' | b'\r' => return (i, false),
            _ if b == quote => return (i + 1, true),
            _ => i += 1,
        }
    }
    (src.len(), false)
}

/// From the `/` at `start` over a regular expression literal and its flags. A `/` inside a `[…]` class
/// does not end it; an unterminated literal ends before its line break.
fn skip_regex(src: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    let mut in_class = false;
    while let Some(&b) = src.get(i) {
        match b {
            b'\\' => i += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'/' if !in_class => return ident_end_ascii(src, i + 1),
            b'\n' | b'\r' => return i,
            _ => {}
        }
        i += 1;
    }
    src.len()
}

/// Cooks the escapes of a string literal's raw text (`\n`, `\xHH`, `\uHHHH`, `\u{H…}`, line
/// continuations, `\'`); text without a backslash is copied as is.
fn decode_escapes(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    // A high surrogate from `\uD83D`, waiting for its low half.
    let mut high: Option<u32> = None;
    while let Some(c) = chars.next() {
        let unit = if c == '\\' {
            match chars.next() {
                None => break,
                Some('n') => Some('\n' as u32),
                Some('t') => Some('\t' as u32),
                Some('r') => Some('\r' as u32),
                Some('b') => Some(0x08),
                Some('f') => Some(0x0C),
                Some('v') => Some(0x0B),
                Some('0') => Some(0),
                Some('\r') => {
                    chars.next_if_eq(&'\n');
                    None
                }
                Some('\n' | '\u{2028}' | '\u{2029}') => None,
                Some('x') => Some(read_hex(&mut chars, 2).unwrap_or('x' as u32)),
                Some('u') => Some(if chars.next_if_eq(&'{').is_some() {
                    let value = read_hex(&mut chars, 6);
                    chars.next_if_eq(&'}');
                    value.unwrap_or(0xFFFD)
                } else {
                    read_hex(&mut chars, 4).unwrap_or('u' as u32)
                }),
                Some(other) => Some(other as u32),
            }
        } else {
            Some(c as u32)
        };
        let Some(unit) = unit else { continue };
        if let Some(h) = high.take() {
            if (0xDC00..0xE000).contains(&unit) {
                let c = 0x10000 + ((h - 0xD800) << 10) + (unit - 0xDC00);
                out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                continue;
            }
            out.push('\u{FFFD}');
        }
        if (0xD800..0xDC00).contains(&unit) {
            high = Some(unit);
        } else {
            out.push(char::from_u32(unit).unwrap_or('\u{FFFD}'));
        }
    }
    if high.is_some() {
        out.push('\u{FFFD}');
    }
    out
}

/// Reads up to `max` hex digits (exactly `max` when `max` is 2 or 4).
fn read_hex(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, max: usize) -> Option<u32> {
    let mut value = 0u32;
    let mut digits = 0;
    while digits < max {
        let Some(d) = chars.peek().and_then(|c| c.to_digit(16)) else {
            break;
        };
        chars.next();
        value = value * 16 + d;
        digits += 1;
    }
    let complete = if max == 6 { digits > 0 } else { digits == max };
    complete.then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;
    use RefKind::{JsDynamicImport as Dyn, JsImport as Static};

    fn found(js: &str) -> Vec<(String, RefKind)> {
        parse_js(js)
            .refs
            .into_iter()
            .map(|r| (r.url, r.kind))
            .collect()
    }

    fn check(cases: &[(&str, &[(&str, RefKind)])]) {
        for &(js, want) in cases {
            let want: Vec<_> = want.iter().map(|&(u, k)| (u.to_owned(), k)).collect();
            assert_eq!(found(js), want, "in {js:?}");
        }
    }

    #[test]
    fn static_import_forms() {
        check(&[
            ("import x from \"m\";", &[("m", Static)]),
            ("import {a as b, c} from 'm'", &[("m", Static)]),
            ("import * as ns from \"m\"", &[("m", Static)]),
            ("import \"m\"", &[("m", Static)]),
            ("import 'm';", &[("m", Static)]),
            ("import x, {y} from \"m\"", &[("m", Static)]),
            ("import x, * as y from \"m\"", &[("m", Static)]),
            ("import {} from 'm'", &[("m", Static)]),
            (
                "import {default as d, \"a-b\" as ab,} from 'm'",
                &[("m", Static)],
            ),
            ("import from from 'm'", &[("m", Static)]),
            ("import defer * as ns from 'm'", &[("m", Static)]),
            (
                "import\n  {\n a,\n b // c\n }\n from\n 'm'",
                &[("m", Static)],
            ),
            (
                "import /* a */ x /* b */ from /* c */ 'm'",
                &[("m", Static)],
            ),
            ("export * from \"m\"", &[("m", Static)]),
            ("export * as n from \"m\"", &[("m", Static)]),
            ("export * as \"n-1\" from \"m\"", &[("m", Static)]),
            ("export {a} from \"m\"", &[("m", Static)]),
            (
                "export {a as default, b} from 'm'; export {c}",
                &[("m", Static)],
            ),
            ("export{a}from\"m\"", &[("m", Static)]),
            ("export*from\"m\"", &[("m", Static)]),
        ]);
    }

    #[test]
    fn not_imports() {
        check(&[
            ("import.meta.url", &[]),
            ("const u = import.meta.resolve('./x.js')", &[]),
            ("obj.import('x')", &[]),
            ("obj?.import('x')", &[]),
            ("x.import", &[]),
            (
                "reimport('x'); imports('y'); import_('z'); $import('w')",
                &[],
            ),
            ("'import x from \"m\"'", &[]),
            ("\"import('m')\"", &[]),
            ("`import x from 'm'`", &[]),
            ("// import x from 'm'\n", &[]),
            ("/* import('m') */", &[]),
            ("const r = /import('m')/g;", &[]),
            ("export {a}; export default 1; export const b = 2;", &[]),
            ("export {a}\nfrom('x')", &[]),
            ("import(x)", &[]),
            ("import('a' + b)", &[]),
            ("import(`./${name}.js`)", &[]),
            ("import(/* webpackChunkName: 'x' */ foo)", &[]),
            ("class A { import(x) {} }", &[]),
            ("({ import: 'x' })", &[]),
            ("import 'unterminated", &[]),
            ("import", &[]),
            ("import ''", &[]),
        ]);
    }

    #[test]
    fn dynamic_imports() {
        check(&[
            ("import('m')", &[("m", Dyn)]),
            ("import(\"m\")", &[("m", Dyn)]),
            ("import(`m`)", &[("m", Dyn)]),
            ("import ( /* c */ 'm' /* d */ )", &[("m", Dyn)]),
            ("import(\n  'm'\n)", &[("m", Dyn)]),
            (
                "import('./d.json', { with: { type: 'json' } })",
                &[("./d.json", Dyn)],
            ),
            ("await import('m').then(m => m.default)", &[("m", Dyn)]),
            ("[...import('m')]", &[("m", Dyn)]),
            ("const f = () => import('./lazy.js')", &[("./lazy.js", Dyn)]),
            ("`${import('in-template')}`", &[("in-template", Dyn)]),
        ]);
    }

    #[test]
    fn import_attributes() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "import json from \"./a.json\" with { type: \"json\" };",
                Some("json"),
            ),
            ("import s from './a.css' with {type:'css'}", Some("css")),
            (
                "import s from './a.json' assert { type: 'json' }",
                Some("json"),
            ),
            (
                "import s from './a.json' with { 'type': 'json', other: 'x' }",
                Some("json"),
            ),
            (
                "export {default} from './a.json' with { type: 'json' }",
                Some("json"),
            ),
            ("import s from './a.js'", None),
            ("import s from './a.js'\nwith(x) {}", None),
        ];
        for &(js, type_) in cases {
            let facts = parse_js(js);
            assert_eq!(facts.refs.len(), 1, "{js}");
            assert_eq!(facts.refs[0].attrs.type_.as_deref(), type_, "{js}");
        }
    }

    #[test]
    fn minified_vite_output() {
        check(&[
            (
                r#"import{r as e}from"./vendor-DtA1b2C3.js";const t=/[/]"/g,n=a/b/c;import("./lazy-x1.js")"#,
                &[("./vendor-DtA1b2C3.js", Static), ("./lazy-x1.js", Dyn)],
            ),
            (
                r#"import{a as b}from"./x.js";import"./y.js";export{c as d}from"./z.js";"#,
                &[("./x.js", Static), ("./y.js", Static), ("./z.js", Static)],
            ),
            (
                r#"const __vite__mapDeps=(i,m=__vite__mapDeps,d=(m.f||(m.f=["assets/a.js","assets/b.css"])))=>i.map(i=>d[i]);import{_ as o}from"./preload-helper-BXl3LOEh.js";const r=()=>o(()=>import("./About-C0ffee12.js"),__vite__mapDeps([0,1]),import.meta.url);"#,
                &[
                    ("./preload-helper-BXl3LOEh.js", Static),
                    ("./About-C0ffee12.js", Dyn),
                ],
            ),
        ]);
    }

    #[test]
    fn regex_and_division() {
        check(&[
            // Division after operands: reading `/ 2; import('m') /` as a regex would hide the import.
            ("a = b / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = a[0] / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = f(a) / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = 1 / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = .5 / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = 0x1F / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = 1e+3 / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = 10n / 2n; import('m') / 3", &[("m", Dyn)]),
            ("x = a++ / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = a-- / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = this.#p / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = a.return / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = a.if / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = this / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = `t` / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = `${a}` / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = 's' / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = /r/ / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = ({}) / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = {a:1} / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = [{}] / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = a\n/ 2; import('m') / 3", &[("m", Dyn)]),
            ("x = a /* c */ / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = import.meta / 2; import('m') / 3", &[("m", Dyn)]),
            ("x = café / 2; import('m') / 3", &[("m", Dyn)]),
            // Regexes after operators and keywords hide what is inside them.
            ("x = /import('m')/; import('n')", &[("n", Dyn)]),
            ("f(/'/); import('n')", &[("n", Dyn)]),
            ("x = [/\"/, /`/]; import('n')", &[("n", Dyn)]),
            ("return /'/.test(s); import('n')", &[("n", Dyn)]),
            ("x = typeof /'/; import('n')", &[("n", Dyn)]),
            ("if (a) /'/.test(s); import('n')", &[("n", Dyn)]),
            ("while (a) /'/.exec(s); import('n')", &[("n", Dyn)]),
            ("function f() {}\n/'/.test(s); import('n')", &[("n", Dyn)]),
            ("{}\n/'/g.exec(s); import('n')", &[("n", Dyn)]),
            ("x = a ? /'/ : /\"/; import('n')", &[("n", Dyn)]),
            ("x = !/'/.test(s) && /'/; import('n')", &[("n", Dyn)]),
            ("x => /'/; import('n')", &[("n", Dyn)]),
            ("x = y => { /'/.test(s) }; import('n')", &[("n", Dyn)]),
            // Slashes inside classes and escapes do not end a regex.
            ("x = /[/'\\]]/; import('n')", &[("n", Dyn)]),
            ("x = /\\/'/; import('n')", &[("n", Dyn)]),
            ("x = /a/gimsuyd.source; import('n')", &[("n", Dyn)]),
            // `/=` is division-assignment after an operand, a regex after an operator.
            ("a /= 2; x = 'y' /import('m')", &[("m", Dyn)]),
            ("x = /=import('m')/; import('n')", &[("n", Dyn)]),
            // `a?.5:1` is a conditional with a number, `a?.b` a member access.
            ("x = a?.5:/'/; import('n')", &[("n", Dyn)]),
            ("x = a?.b / 2; import('m') / 3", &[("m", Dyn)]),
            ("a /= 2; import('m') / 3", &[("m", Dyn)]),
        ]);
    }

    #[test]
    fn words_of_strings_and_templates() {
        let words = parse_js(
            "const fab = 1; el.className = 'fa-brands icon'; h(\"i\", {class: \"far\"});\n\
             const t = `<span class=\"badge ${kind}\">${x}</span>`; // 'commented'\n\
             /* \"also-comment\" */ const r = /re-gex/;",
        )
        .words;
        for w in [
            "fa-brands",
            "icon",
            "far",
            "i",
            "badge",
            "span",
            "class",
            "FA-Brands",
        ] {
            assert!(words.contains(w), "{w}");
        }
        // Identifiers, comments and regular expressions are not strings.
        for w in ["fab", "commented", "also-comment", "re-gex", "kind"] {
            assert!(!words.contains(w), "{w}");
        }
    }

    #[test]
    fn strings_templates_comments() {
        check(&[
            (r#"x = "\"import('a')"; import('b')"#, &[("b", Dyn)]),
            (r"x = '\'import(`a`)'; import('b')", &[("b", Dyn)]),
            ("x = 'a\\\nimport(\"a\")'; import('b')", &[("b", Dyn)]),
            ("x = 'a\\\r\nimport(\"a\")'; import('b')", &[("b", Dyn)]),
            (
                "x = `a${`b${'}`'}c`}import('a')`; import('b')",
                &[("b", Dyn)],
            ),
            (
                "x = `${ {a: `}`}.a }import('a')`; import('b')",
                &[("b", Dyn)],
            ),
            (
                "x = `${ f({}) }${ `${ `${'`'}` }` }`; import('b')",
                &[("b", Dyn)],
            ),
            ("x = `\\${import('a')}`; import('b')", &[("b", Dyn)]),
            ("x = `$`; import('b')", &[("b", Dyn)]),
            ("x = `${ /`/ }`; import('b')", &[("b", Dyn)]),
            (
                "/* a */ /** import('a') **/ import('b') // import('c')",
                &[("b", Dyn)],
            ),
            ("/* unterminated import('a')", &[]),
            ("#!/usr/bin/env node\nimport 'b'", &[("b", Static)]),
            // An unterminated string stops at its line end.
            ("x = 'oops\nimport 'b'", &[("b", Static)]),
            ("x = `unterminated ${ import('a')", &[("a", Dyn)]),
        ]);
    }

    #[test]
    fn specifier_escapes() {
        check(&[
            (r#"import "./a\x2Db.js""#, &[("./a-b.js", Static)]),
            (r#"import "./\u0061.js""#, &[("./a.js", Static)]),
            (r#"import "./\u{1F600}.js""#, &[("./😀.js", Static)]),
            (r#"import "./\uD83D\uDE00.js""#, &[("./😀.js", Static)]),
            (r#"import './it\'s.js'"#, &[("./it's.js", Static)]),
            (r#"import('./é.js')"#, &[("./é.js", Dyn)]),
            ("import './a\\\nb.js'", &[("./ab.js", Static)]),
        ]);
    }

    #[test]
    fn elements_and_locations() {
        let js = "// head\r\nimport a from './a.js';\r\n  export * from './b.js'\r\nconst x = 'é'; import('./c.js')";
        let got: Vec<_> = parse_js(js)
            .refs
            .into_iter()
            .map(|r| (r.element.into_owned(), r.location))
            .collect();
        assert_eq!(
            got,
            vec![
                ("import".to_owned(), Location::new(2, 1)),
                ("export … from".to_owned(), Location::new(3, 3)),
                ("import()".to_owned(), Location::new(4, 16)),
            ]
        );
    }

    #[test]
    fn unicode_whitespace_and_identifiers() {
        check(&[
            ("x =\u{A0}/'/; import('n')", &[("n", Dyn)]),
            ("\u{FEFF}import 'n'", &[("n", Static)]),
            (
                "const café = 1; x = café / 2; import('m') / 3",
                &[("m", Dyn)],
            ),
        ]);
    }

    #[test]
    fn garbage_never_panics() {
        let inputs = [
            "",
            "/",
            "`",
            "'",
            "\"",
            "\\",
            "${",
            "}",
            ")",
            "]",
            "`${",
            "`${}",
            "/[",
            "/\\",
            "import(",
            "import('",
            "import(`",
            "import{",
            "import *",
            "export *",
            "export * as",
            "export {",
            "import x from",
            "import x from '",
            "import 'a' with {",
            "import 'a' with { type:",
            "import 'a' with { type: 'json'",
            "0x",
            "1e",
            "1e+",
            "?.",
            "...",
            "#",
            "#!",
            "é",
            "\u{FEFF}",
            "'\\",
            "`\\",
            "/a\\",
            "a?",
            "import'\\",
            "import('\\u{110000}')",
            "import('\\uD800')",
        ];
        for js in inputs {
            let _ = parse_js(js);
        }
        // Deep nesting of every bracket kind.
        let deep = "({[`${".repeat(5_000) + "import('x')";
        assert_eq!(found(&deep), vec![("x".to_owned(), Dyn)]);
        let closers = "}])`".repeat(5_000) + "import('y')";
        let _ = parse_js(&closers);
        // Every prefix of a realistic module.
        let module = "import{a as b}from\"./x.js\";const t=`${b}/${/[/]`/g}`,n=c/d/e;import(\"./y.js\")/*\u{e9}*/";
        for end in (0..=module.len()).filter(|&i| module.is_char_boundary(i)) {
            let _ = parse_js(&module[..end]);
        }
    }

    #[test]
    fn big_minified_bundle_is_linear() {
        let chunk = r#"import{a as b}from"./x.js";const t=/[/]"/g,n=a/b/c,s=`${q}`;f(()=>import("./lazy.js"));"#;
        let js = chunk.repeat(20_000);
        let facts = parse_js(&js);
        assert_eq!(facts.refs.len(), 40_000);
        let last = facts.refs.last().unwrap();
        assert_eq!(last.url, "./lazy.js");
        assert_eq!(
            last.location,
            Location::new(1, (js.rfind("import(").unwrap() + 1) as u32)
        );
    }
}
