//! Peer-supplied text on a terminal: escaped and cut short.
//!
//! A server chooses its SSH banner, its DISCONNECT text, its certificate's names and
//! the wording of what goes wrong; printed raw, an escape sequence in any of them
//! rewrites the operator's terminal (title, colours, cursor, a cleared screen) or hides
//! lines of the report. Every such string goes through [`text`] on its way to the
//! table: control characters (C0, DEL, C1) become visible escapes (`\x1b`), and the
//! result stops after [`MAX_FIELD`] characters with a note of how much was cut. JSON
//! output keeps the whole value (JSON escapes control characters itself).

use std::fmt::Write as _;

/// The most characters of one peer-supplied string shown in a table.
pub const MAX_FIELD: usize = 200;

/// The most characters of an error message printed on stderr (it may quote the peer).
pub const MAX_MESSAGE: usize = 1000;

/// `s`, safe to print on a terminal: control characters escaped, at most
/// [`MAX_FIELD`] characters of it.
pub fn text(s: &str) -> String {
    capped(s, MAX_FIELD)
}

/// An error message, safe to print on a terminal: control characters escaped, at most
/// [`MAX_MESSAGE`] characters.
pub fn message(s: &str) -> String {
    capped(s, MAX_MESSAGE)
}

fn capped(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max + 32));
    let mut chars = s.chars();
    for (shown, c) in chars.by_ref().enumerate() {
        if shown == max {
            let rest = c.len_utf8() + chars.as_str().len();
            let _ = write!(out, "… ({rest} more bytes)");
            return out;
        }
        if c.is_control() {
            // C0 controls, DEL and the C1 range (U+0080-U+009F), which some terminals
            // take as CSI and friends.
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else if matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            // Bidirectional controls, which reorder what follows them on the line.
            let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_truncates() {
        assert_eq!(text("plain"), "plain");
        assert_eq!(
            text("a\u{1b}]0;x\u{7}\u{1b}[2J\u{9b}b\r\n"),
            "a\\x1b]0;x\\x07\\x1b[2J\\x9bb\\x0d\\x0a"
        );
        let long = "é".repeat(MAX_FIELD + 10);
        let t = text(&long);
        assert!(t.starts_with(&"é".repeat(MAX_FIELD)));
        assert!(t.ends_with("… (20 more bytes)"), "{t}");
        assert!(!text(&"\u{1b}".repeat(1000)).contains('\u{1b}'));
        assert_eq!(text("abc\u{202e}gpj.exe"), "abc\\u{202e}gpj.exe");
    }
}
