//! Email addresses as Offboard compares them: trimmed, Unicode-normalized (NFC) and
//! lower-cased, so that `" Ana.Lopez@Acme.example "` in a roster matches
//! `ana.lopez@acme.example` in Zoom, and `José` typed with a combining accent matches
//! `José` typed with a precomposed one.

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Characters spreadsheets and chat tools slip into pasted addresses: no-break and
/// zero-width spaces and the byte-order mark.
fn is_invisible(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// The comparable form of an address: invisible characters around it removed,
/// lower-cased, then NFC-composed (in that order: lower-casing can decompose, as `İ`
/// becomes `i` and a combining dot, so composing last keeps the result stable).
pub fn normalize(raw: &str) -> String {
    let trimmed = raw.trim_matches(is_invisible);
    if trimmed.is_ascii() {
        return trimmed.to_ascii_lowercase();
    }
    let lower = trimmed.to_lowercase();
    match is_nfc_quick(lower.chars()) {
        IsNormalized::Yes => lower,
        _ => lower.nfc().collect(),
    }
}

/// [`normalize`], without a copy when the address is already in normal form (as Zoom's
/// own addresses nearly always are).
pub fn normalized(raw: &str) -> std::borrow::Cow<'_, str> {
    let plain = raw.bytes().all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase());
    if plain {
        std::borrow::Cow::Borrowed(raw)
    } else {
        std::borrow::Cow::Owned(normalize(raw))
    }
}

/// Why a roster value is not an address Offboard will act on.
pub fn invalid_reason(normalized: &str) -> Option<&'static str> {
    if normalized.is_empty() {
        return Some("empty email");
    }
    if normalized.chars().any(char::is_whitespace) {
        return Some("email contains whitespace");
    }
    let Some((local, domain)) = normalized.split_once('@') else {
        return Some("not an email address (no '@')");
    };
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Some("not an email address");
    }
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Some("email domain is not a fully qualified name");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_surrounding_space() {
        assert_eq!(normalize("  Ana.Lopez@ACME.example\t"), "ana.lopez@acme.example");
        assert_eq!(normalize("\u{FEFF}\u{200B}ana@acme.example\u{00A0}"), "ana@acme.example");
    }

    #[test]
    fn borrows_what_is_already_normal() {
        assert!(matches!(normalized("ana@acme.example"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(normalized(" Ana@Acme.example"), "ana@acme.example");
    }

    #[test]
    fn composes_accents_before_comparing() {
        let combining = "Jose\u{0301}@acme.example";
        let precomposed = "jos\u{00E9}@acme.example";
        assert_eq!(normalize(combining), precomposed);
        assert_eq!(normalize("JOS\u{00C9}@ACME.example"), precomposed);
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        assert_eq!(invalid_reason(""), Some("empty email"));
        assert_eq!(invalid_reason("ana"), Some("not an email address (no '@')"));
        assert_eq!(invalid_reason("@acme.example"), Some("not an email address"));
        assert_eq!(invalid_reason("a@b@acme.example"), Some("not an email address"));
        assert_eq!(invalid_reason("ana@localhost"), Some("email domain is not a fully qualified name"));
        assert_eq!(invalid_reason("an a@acme.example"), Some("email contains whitespace"));
        assert_eq!(invalid_reason("ana@acme.example"), None);
    }
}
