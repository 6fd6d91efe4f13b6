//! Rosters: the CSV files people upload to say who is leaving.
//!
//! The 2017 layout (a header row, emails in column 1) must keep working, and so must any
//! export whose header names an email column. A row that cannot be used is never dropped
//! silently: it comes back as a [`SkippedRow`] with its line number and reason. A file that
//! cannot be used at all is a [`RosterError`] naming the file, and no one is acted on.

use std::collections::HashMap;

use crate::email;
use crate::plan::{SkipReason, SkippedRow};

/// Header names (compared without case, spaces, `-`, `_` or `.`) that mark the email column.
const EMAIL_HEADERS: &[&str] = &[
    "email",
    "emails",
    "emailaddress",
    "mail",
    "workemail",
    "useremail",
    "primaryemail",
    "zoomemail",
    "userprincipalname",
    "upn",
];

/// A roster that parsed: the people it lists and the rows it could not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    /// The header of the column the emails were read from.
    pub email_column: String,
    /// Whether that column was found by its header name (else it is column 1).
    pub email_column_by_name: bool,
    /// One entry per distinct valid email, in file order.
    pub entries: Vec<RosterEntry>,
    /// Rows that name no one Offboard can act on, with the reason.
    pub rejected: Vec<SkippedRow>,
}

/// One person listed in a roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// 1-based line of the file the row starts on.
    pub line: u64,
    /// The email as compared: trimmed and lower-cased.
    pub email: String,
}

/// Why a whole file was refused. Every variant names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    #[error("{file}: not a text file ({detail}); upload a CSV with a header row and an email column")]
    NotText { file: String, detail: String },
    #[error("{file}: the file is empty; expected a header row and one row per person")]
    Empty { file: String },
    #[error("{file}: no email column: no header names one (headers: {headers}) and column 1 holds no email address")]
    NoEmailColumn { file: String, headers: String },
    #[error("{file}: line {line}: {detail}")]
    Malformed { file: String, line: u64, detail: String },
}

impl RosterError {
    /// A stable, machine-readable name for the error, for `error.json`.
    pub fn kind(&self) -> &'static str {
        match self {
            RosterError::NotText { .. } => "not_text",
            RosterError::Empty { .. } => "empty",
            RosterError::NoEmailColumn { .. } => "no_email_column",
            RosterError::Malformed { .. } => "malformed",
        }
    }
}

/// Parses a roster. `file` is used only to name the file in errors.
pub fn parse_roster(file: &str, bytes: &[u8]) -> Result<Roster, RosterError> {
    let text = as_text(file, bytes)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let headers =
        reader.headers().map_err(|e| malformed(file, &e))?.iter().map(|h| h.trim().to_string()).collect::<Vec<_>>();
    if headers.iter().all(String::is_empty) {
        return Err(RosterError::Empty { file: file.to_string() });
    }
    let records = reader.records().map(|r| r.map_err(|e| malformed(file, &e))).collect::<Result<Vec<_>, _>>()?;

    let (column, by_name) = match headers.iter().position(|h| is_email_header(h)) {
        Some(index) => (index, true),
        None if column_one_holds_emails(&records) => (0, false),
        None => return Err(RosterError::NoEmailColumn { file: file.to_string(), headers: headers.join(", ") }),
    };

    let mut entries = Vec::new();
    let mut rejected = Vec::new();
    let mut first_seen: HashMap<String, u64> = HashMap::new();
    let mut lines = LineCounter::new(text);
    for record in &records {
        let line = lines.line_of(record);
        let raw = record.get(column).unwrap_or("");
        let normalized = email::normalize(raw);
        let reason = if let Some(why) = email::invalid_reason(&normalized) {
            Some(SkipReason::InvalidEmail { detail: why.to_string() })
        } else {
            first_seen.get(&normalized).map(|&first_line| SkipReason::Duplicate { first_line })
        };
        match reason {
            Some(reason) => rejected.push(SkippedRow { line, value: raw.trim().to_string(), reason }),
            None => {
                first_seen.insert(normalized.clone(), line);
                entries.push(RosterEntry { line, email: normalized });
            }
        }
    }
    Ok(Roster {
        email_column: headers.get(column).cloned().unwrap_or_default(),
        email_column_by_name: by_name,
        entries,
        rejected,
    })
}

fn as_text<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, RosterError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.is_empty() {
        return Err(RosterError::Empty { file: file.to_string() });
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(RosterError::NotText {
            file: file.to_string(),
            detail: format!("binary data (a NUL byte at offset {at})"),
        });
    }
    std::str::from_utf8(bytes).map_err(|e| RosterError::NotText {
        file: file.to_string(),
        detail: format!("invalid UTF-8 at byte offset {}", e.valid_up_to()),
    })
}

/// The csv crate counts a record's line from where its reader started, which is before
/// any blank lines that precede the record; people need the line the data is on.
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter { text, offset: 0, line: 1 }
    }

    fn line_of(&mut self, record: &csv::StringRecord) -> u64 {
        let Some(position) = record.position() else { return 0 };
        let mut start = usize::try_from(position.byte()).unwrap_or(usize::MAX).min(self.text.len());
        let bytes = self.text.as_bytes();
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start >= self.offset {
            self.line += bytecount_newlines(&bytes[self.offset..start]);
            self.offset = start;
        }
        self.line
    }
}

fn bytecount_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

fn is_email_header(header: &str) -> bool {
    let key: String =
        header.chars().filter(|c| !matches!(c, ' ' | '-' | '_' | '.')).flat_map(char::to_lowercase).collect();
    EMAIL_HEADERS.contains(&key.as_str())
}

/// The 2017 layout puts emails in column 1 under any header; accept that layout only
/// when column 1 really holds an address somewhere, so a file of names is refused.
fn column_one_holds_emails(records: &[csv::StringRecord]) -> bool {
    records.iter().any(|r| r.get(0).is_some_and(|v| email::invalid_reason(&email::normalize(v)).is_none()))
}

fn malformed(file: &str, error: &csv::Error) -> RosterError {
    let line = error.position().map_or(0, csv::Position::line);
    RosterError::Malformed { file: file.to_string(), line, detail: error.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(roster: &Roster) -> Vec<&str> {
        roster.entries.iter().map(|e| e.email.as_str()).collect()
    }

    #[test]
    fn reads_the_2017_layout_from_column_one() {
        let roster = parse_roster("r.csv", b"Users to remove\nana@acme.example\nbo@acme.example\n").unwrap();
        assert_eq!(emails(&roster), ["ana@acme.example", "bo@acme.example"]);
        assert!(!roster.email_column_by_name);
        assert_eq!(roster.entries[1].line, 3);
    }

    #[test]
    fn finds_the_email_column_by_header_name() {
        for header in ["Email", "E-mail", "work_email", "userPrincipalName", " Email Address "] {
            let csv = format!("Name,{header},Dept\nAna,Ana@Acme.example ,Sales\n");
            let roster = parse_roster("r.csv", csv.as_bytes()).unwrap();
            assert_eq!(emails(&roster), ["ana@acme.example"], "header {header:?}");
            assert!(roster.email_column_by_name);
        }
    }

    #[test]
    fn reports_bad_and_duplicate_rows_with_their_lines() {
        let csv = "email\nana@acme.example\n\nnot-an-email\nANA@acme.example\nbo@acme.example\n";
        let roster = parse_roster("r.csv", csv.as_bytes()).unwrap();
        assert_eq!(emails(&roster), ["ana@acme.example", "bo@acme.example"]);
        assert_eq!(
            roster.rejected,
            vec![
                SkippedRow {
                    line: 4,
                    value: "not-an-email".into(),
                    reason: SkipReason::InvalidEmail { detail: "not an email address (no '@')".into() },
                },
                SkippedRow {
                    line: 5,
                    value: "ANA@acme.example".into(),
                    reason: SkipReason::Duplicate { first_line: 2 },
                },
            ]
        );
    }

    #[test]
    fn handles_bom_and_crlf() {
        let roster = parse_roster("r.csv", b"\xEF\xBB\xBFEmail\r\nana@acme.example\r\n").unwrap();
        assert_eq!(emails(&roster), ["ana@acme.example"]);
        assert_eq!(roster.email_column, "Email");
    }

    #[test]
    fn refuses_a_file_without_an_email_column_naming_it() {
        let err = parse_roster("inbox/names.csv", b"Name,Dept\nAna,Sales\n").unwrap_err();
        assert_eq!(err.kind(), "no_email_column");
        let text = err.to_string();
        assert!(text.contains("inbox/names.csv") && text.contains("Name, Dept"), "{text}");
    }

    #[test]
    fn refuses_binary_and_empty_files() {
        let err = parse_roster("inbox/x.png", b"\x89PNG\r\n\x1a\n\0\0\0").unwrap_err();
        assert_eq!(err.kind(), "not_text");
        assert!(err.to_string().starts_with("inbox/x.png: not a text file"));
        let err = parse_roster("inbox/x.csv", &[0xff, 0xfe, b'a']).unwrap_err();
        assert_eq!(err.kind(), "not_text");
        assert_eq!(parse_roster("e.csv", b"").unwrap_err().kind(), "empty");
        assert_eq!(parse_roster("e.csv", b"\xEF\xBB\xBF").unwrap_err().kind(), "empty");
    }
}
