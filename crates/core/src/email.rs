//! Email addresses as Offboard compares them: trimmed and lower-cased, so that
//! `" Ana.Lopez@Acme.example "` in a roster matches `ana.lopez@acme.example` in Zoom.

/// The comparable form of an address: surrounding whitespace removed, lower-cased.
pub fn normalize(raw: &str) -> String {
    raw.trim().to_lowercase()
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
