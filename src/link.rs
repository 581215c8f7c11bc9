//! `Link` header values (RFC 8288): serializing hints, and a parser used to check them.
//!
//! Every `Link` value hintgen writes goes through [`LinkValue::to_header`]. The URL is percent-encoded
//! for the characters that could end it or break a header (space, `"`, `<`, `>`, `,`, `;`, `\`, controls,
//! non-ASCII), so a file name can never add a parameter or a second link; parameter values are tokens when
//! they can be, and quoted strings otherwise (RFC 8288 §3, RFC 9110 §5.6.4). The parser is strict enough
//! to serve as the round-trip check in tests and is also used by `check` to read hints back.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Bytes percent-encoded in a hinted URL: controls, space, non-ASCII (always), and the characters that
/// end or split a `Link` value or break the config strings the URL is embedded in.
pub const URL_ESCAPE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b',')
    .add(b';')
    .add(b'\\')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'^')
    .add(b'|')
    .add(b'\'')
    .add(b'$');

/// Percent-encodes a URL path+query for use in a header or config. Existing `%XX` escapes are kept as
/// they are (the input is already a serialized URL); a lone `%` is encoded.
pub fn encode_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let bytes = url.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let is_escape = i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            if is_escape {
                out.push('%');
            } else {
                out.push_str("%25");
            }
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b'%' {
            i += 1;
        }
        out.extend(utf8_percent_encode(&url[start..i], URL_ESCAPE));
    }
    out
}

/// One link: a target and its parameters, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkValue {
    /// The target URL (already encoded for a header).
    pub url: String,
    /// Parameters in order; `None` for value-less ones such as `crossorigin` or `nopush`.
    pub params: Vec<(String, Option<String>)>,
}

impl LinkValue {
    /// A link to `url` (encoded with [`encode_url`]).
    pub fn new(url: &str) -> Self {
        LinkValue {
            url: encode_url(url),
            params: Vec::new(),
        }
    }

    /// Adds a parameter with a value.
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params.push((name.to_string(), Some(value.into())));
        self
    }

    /// Adds a value-less parameter (`crossorigin`, `nopush`).
    pub fn flag(mut self, name: &str) -> Self {
        self.params.push((name.to_string(), None));
        self
    }

    /// The value of a parameter: `Some(None)` when present without a value.
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }

    /// Serializes as one `Link` field value: `<url>; rel=preload; as=style; crossorigin`.
    pub fn to_header(&self) -> String {
        let mut s = format!("<{}>", self.url);
        for (name, value) in &self.params {
            s.push_str("; ");
            s.push_str(name);
            if let Some(v) = value {
                s.push('=');
                if is_token(v) {
                    s.push_str(v);
                } else {
                    s.push('"');
                    for c in v.chars() {
                        // Control characters cannot appear in a header at all; drop them.
                        if c.is_control() {
                            continue;
                        }
                        if c == '"' || c == '\\' {
                            s.push('\\');
                        }
                        s.push(c);
                    }
                    s.push('"');
                }
            }
        }
        s
    }
}

/// RFC 9110 token characters.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A parse error in a `Link` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkParseError(pub String);

/// Parses a `Link` field value (possibly several comma-separated links).
pub fn parse_links(header: &str) -> Result<Vec<LinkValue>, LinkParseError> {
    let err = |m: &str| LinkParseError(format!("{m} in {header:?}"));
    let b = header.as_bytes();
    let mut i = 0;
    let mut links = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t') {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= b.len() {
            break;
        }
        if b[i] != b'<' {
            return Err(err("expected '<'"));
        }
        let end = header[i..]
            .find('>')
            .ok_or_else(|| err("unterminated '<'"))?
            + i;
        let url = header[i + 1..end].to_string();
        if url.bytes().any(|c| c <= b' ' || c == b'<' || c >= 0x7F) {
            return Err(err("bad character in URL"));
        }
        i = end + 1;
        let mut link = LinkValue {
            url,
            params: Vec::new(),
        };
        loop {
            skip_ws(&mut i);
            if i >= b.len() {
                break;
            }
            if b[i] == b',' {
                i += 1;
                break;
            }
            if b[i] != b';' {
                return Err(err("expected ';' or ','"));
            }
            i += 1;
            skip_ws(&mut i);
            let start = i;
            while i < b.len() && is_token(&header[i..i + 1]) {
                i += 1;
            }
            if start == i {
                return Err(err("empty parameter name"));
            }
            let name = header[start..i].to_ascii_lowercase();
            skip_ws(&mut i);
            let mut value = None;
            if i < b.len() && b[i] == b'=' {
                i += 1;
                skip_ws(&mut i);
                if i < b.len() && b[i] == b'"' {
                    i += 1;
                    let mut v = String::new();
                    let mut closed = false;
                    let mut chars = header[i..].char_indices();
                    while let Some((off, c)) = chars.next() {
                        match c {
                            '"' => {
                                i += off + 1;
                                closed = true;
                                break;
                            }
                            '\\' => {
                                if let Some((_, n)) = chars.next() {
                                    v.push(n);
                                }
                            }
                            _ => v.push(c),
                        }
                    }
                    if !closed {
                        return Err(err("unterminated quoted string"));
                    }
                    value = Some(v);
                } else {
                    let start = i;
                    while i < b.len() && is_token(&header[i..i + 1]) {
                        i += 1;
                    }
                    if start == i {
                        return Err(err("empty parameter value"));
                    }
                    value = Some(header[start..i].to_string());
                }
            }
            link.params.push((name, value));
        }
        links.push(link);
    }
    Ok(links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_and_round_trips() {
        let l = LinkValue::new("/assets/a b,c;d\"é.css?x=1")
            .param("rel", "preload")
            .param("as", "style")
            .flag("crossorigin")
            .param("imagesrcset", "/a.png 1x, /b.png 2x");
        let h = l.to_header();
        assert_eq!(
            h,
            "</assets/a%20b%2Cc%3Bd%22%C3%A9.css?x=1>; rel=preload; as=style; crossorigin; \
             imagesrcset=\"/a.png 1x, /b.png 2x\""
        );
        let back = parse_links(&h).unwrap();
        assert_eq!(back, vec![l]);
    }

    #[test]
    fn keeps_existing_escapes() {
        assert_eq!(encode_url("/a%20b%zz%"), "/a%20b%25zz%25");
    }

    #[test]
    fn parses_several() {
        let v = parse_links("</a.css>; rel=preload; as=style, </b.js>; rel=modulepreload").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].get("rel"), Some(Some("modulepreload")));
        assert!(parse_links("</a>; rel").is_ok());
        assert!(parse_links("/a; rel=x").is_err());
        assert!(parse_links("</a>; rel=\"x").is_err());
    }
}
