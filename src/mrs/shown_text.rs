//! Server-supplied text made safe to show a person: on one line, with nothing a terminal would
//! act on, and never longer than a bound.
//!
//! Whoever submits an MRS job chooses its name, and a gateway writes what it likes in an error
//! body. Printed raw, `\e[2J` clears the reviewer's screen, a newline followed by
//! `Plan: 0 to add, 0 to change, 0 to destroy.` forges a line of the plan, and a bidi override
//! makes text read differently from what it is. Every such character is written out as an escape
//! instead (`\n`, `\u{1b}`, `\u{202e}`), as Rust's `escape_debug` does, so the text stays
//! readable and says what it holds.

/// True for the characters a terminal may act on or that change how text around them reads:
/// C0 controls, DEL, C1 controls, the bidi embeddings, overrides and isolates, the implicit
/// direction marks, and the Unicode line and paragraph separators.
pub fn is_unsafe_to_show(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
    )
}

/// `text` on one line with every [`is_unsafe_to_show`] character escaped.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_unsafe_to_show(c) {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                _ => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// [`one_line`], cut to at most `max` bytes on a character boundary (the cut marked with `…`).
pub fn one_line_bounded(text: &str, max: usize) -> String {
    // Escaping only lengthens text: cutting the input first keeps the work bounded.
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let escaped = one_line(&text[..end]);
    let cut = end < text.len();
    if escaped.len() <= max && !cut {
        return escaped;
    }
    let marker = "…";
    let mut keep = escaped.len().min(max.saturating_sub(marker.len()));
    while !escaped.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}{marker}", &escaped[..keep])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_newlines_are_written_out() {
        let forged = "etl\u{1b}[2J\u{1b}[31m\nPlan: 0 to add, 0 to change, 0 to destroy.";
        let shown = one_line(forged);
        assert_eq!(
            shown,
            "etl\\u{1b}[2J\\u{1b}[31m\\nPlan: 0 to add, 0 to change, 0 to destroy."
        );
        assert!(!shown.contains('\n') && !shown.contains('\u{1b}'));
    }

    #[test]
    fn c1_del_and_bidi_controls_are_escaped_and_plain_text_is_kept() {
        assert_eq!(one_line("a\u{7f}b\u{9b}c"), "a\\u{7f}b\\u{9b}c");
        assert_eq!(one_line("x\u{202e}y\u{2066}z"), "x\\u{202e}y\\u{2066}z");
        assert_eq!(one_line("a\u{2028}b\r\tc"), "a\\u{2028}b\\r\\tc");
        let plain = "Job 作业-1 (étape) ✓ \\path";
        assert_eq!(one_line(plain), plain);
    }

    #[test]
    fn bounded_text_is_cut_on_a_character_boundary_and_marked() {
        assert_eq!(one_line_bounded("short", 10), "short");
        let cut = one_line_bounded(&"é".repeat(100), 11);
        assert!(cut.len() <= 11 && cut.ends_with('…'), "{cut}");
        let escaped = one_line_bounded(&"\u{1b}".repeat(100), 20);
        assert!(escaped.len() <= 20 && escaped.ends_with('…'), "{escaped}");
    }

    proptest::proptest! {
        #[test]
        fn nothing_unsafe_survives_and_the_bound_holds(text in "\\PC*|[\\x00-\\x{9f}\\x{200e}-\\x{2069}]{0,64}", max in 4usize..300) {
            let shown = one_line_bounded(&text, max);
            proptest::prop_assert!(shown.len() <= max);
            proptest::prop_assert!(!shown.chars().any(is_unsafe_to_show), "{shown:?}");
            proptest::prop_assert!(!one_line(&text).chars().any(is_unsafe_to_show));
        }
    }
}
