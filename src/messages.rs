//! Printing to stderr: diagnostics in the chosen format, the summary line, and colour decisions.

use std::io::{IsTerminal, Write};

use crate::cli::{ColorChoice, DiagFormat};
use crate::error::{Diagnostic, Severity};

/// Whether to colour stderr: `always`, `never`, or `auto` = a terminal and `NO_COLOR` unset.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Control and bidi characters in file names are shown escaped, so a name cannot rewrite the terminal.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let bad = c.is_control()
                || ('\u{202A}'..='\u{202E}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c);
            if bad {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Formats one diagnostic in the chosen format (no trailing newline).
pub fn format_diagnostic(
    d: &Diagnostic,
    format: DiagFormat,
    color: bool,
    site_prefix: &str,
) -> String {
    match format {
        DiagFormat::Human => {
            let sev = match (color, d.severity) {
                (false, s) => s.to_string(),
                (true, Severity::Error) => "\x1b[1;31merror\x1b[0m".into(),
                (true, Severity::Warning) => "\x1b[1;33mwarning\x1b[0m".into(),
                (true, Severity::Note) => "\x1b[1;36mnote\x1b[0m".into(),
            };
            let mut s = String::new();
            if !d.file.is_empty() {
                s.push_str(&sanitize(&format!("{site_prefix}{}", d.file)));
                if d.location.line > 0 {
                    s.push_str(&format!(":{}:{}", d.location.line, d.location.col));
                }
                s.push_str(": ");
            }
            s.push_str(&format!("{sev}[{}]: {}", d.code, sanitize(&d.message)));
            s
        }
        DiagFormat::Json => {
            let mut v = serde_json::to_value(d).expect("serializable");
            if let Some(o) = v.as_object_mut() {
                o.insert("file".into(), format!("{site_prefix}{}", d.file).into());
            }
            v.to_string()
        }
        DiagFormat::Github => {
            // https://docs.github.com/actions/reference/workflow-commands-for-github-actions
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "notice",
            };
            let esc_prop = |s: &str| {
                s.replace('%', "%25")
                    .replace('\r', "%0D")
                    .replace('\n', "%0A")
                    .replace(':', "%3A")
                    .replace(',', "%2C")
            };
            let esc_msg = |s: &str| {
                s.replace('%', "%25")
                    .replace('\r', "%0D")
                    .replace('\n', "%0A")
            };
            let mut props = vec![];
            if !d.file.is_empty() {
                props.push(format!(
                    "file={}",
                    esc_prop(&format!("{site_prefix}{}", d.file))
                ));
            }
            if d.location.line > 0 {
                props.push(format!("line={}", d.location.line));
                props.push(format!("col={}", d.location.col));
            }
            props.push(format!("title={}", esc_prop(d.code)));
            format!("::{level} {}::{}", props.join(","), esc_msg(&d.message))
        }
    }
}

/// Prints diagnostics to stderr; with `quiet`, only errors.
pub fn print_diagnostics(
    diags: &[Diagnostic],
    format: DiagFormat,
    color: bool,
    quiet: bool,
    site_prefix: &str,
) {
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for d in diags {
        if quiet && d.severity != Severity::Error {
            continue;
        }
        let _ = writeln!(err, "{}", format_diagnostic(d, format, color, site_prefix));
    }
}

/// Counts errors and warnings.
pub fn counts(diags: &[Diagnostic]) -> (usize, usize) {
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    (errors, warnings)
}

/// `1.2 MB`-style sizes for the summary.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;

    #[test]
    fn formats() {
        let d = Diagnostic::new(Severity::Error, "missing-file", "a,b.html", "x\ny")
            .at(Location::new(3, 4));
        assert_eq!(
            format_diagnostic(&d, DiagFormat::Human, false, "dist/"),
            "dist/a,b.html:3:4: error[missing-file]: x\\ny"
        );
        assert_eq!(
            format_diagnostic(&d, DiagFormat::Github, false, ""),
            "::error file=a%2Cb.html,line=3,col=4,title=missing-file::x%0Ay"
        );
        assert!(format_diagnostic(&d, DiagFormat::Json, false, "").contains("\"line\":3"));
        assert_eq!(human_bytes(1_234_567), "1.2 MB");
    }
}
