//! Rosters: the files people upload to `inbox/` to say who is leaving.
//!
//! The 2017 layout (a header row, emails in column 1) must keep working, and so must any
//! export whose header names an email column, in any of the formats [`crate::table`]
//! reads. A row that cannot be used is never dropped silently: it comes back as a
//! [`SkippedRow`] with its line number and reason. A file that cannot be used at all is an
//! [`InputError`] naming the file, and no one is acted on.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use crate::email;
use crate::plan::{SkipReason, SkippedRow};
use crate::table::{find_column, read_table_picking, InputError, Row, Table};

/// Header names (compared by [`crate::table::header_key`]) that mark the email column.
pub const EMAIL_HEADERS: &[&str] = &[
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
    /// How the file was read (`csv (;)`, `xlsx`, ...).
    pub format: String,
    /// One entry per distinct valid email, in file order.
    pub entries: Vec<RosterEntry>,
    /// Rows that name no one Offboard can act on, with the reason.
    pub rejected: Vec<SkippedRow>,
}

/// One person listed in a roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// 1-based line of the file the row starts on (the row number in a workbook).
    pub line: u64,
    /// The email as compared: see [`email::normalize`].
    pub email: String,
}

/// Parses a roster. `file` is used only to name the file in errors.
pub fn parse_roster(file: &str, bytes: &[u8]) -> Result<Roster, InputError> {
    // Only the email column is kept of each row: the one named so, else column 1.
    let table =
        read_table_picking(file, bytes, |headers| Some(vec![find_column(headers, EMAIL_HEADERS).unwrap_or(0)]))?;
    let (column, by_name) = match find_column(&table.headers, EMAIL_HEADERS) {
        Some(index) => (index, true),
        None if column_one_holds_emails(&table) => (0, false),
        None => return Err(InputError::NoEmailColumn { file: file.to_string(), headers: table.headers.join(", ") }),
    };
    // A bare list of addresses has no header row: its first line is a person, not a name
    // for the column, and must not be dropped.
    let headerless = !by_name && email::invalid_reason(&email::normalize(&table.headers[0])).is_none();
    let first_row = headerless.then(|| (table.header_line, table.headers[0].clone()));
    let capacity = table.rows.len() + 1;
    let cells = first_row.into_iter().chain(table.rows.into_iter().map(|row| {
        let cell = row.cells.into_iter().next().unwrap_or_default();
        (row.line, cell)
    }));

    // Normalize every row, then find repeats by borrowing the normalized addresses: a
    // million-row roster is not copied a second time into the set of addresses seen. The
    // text as written is kept only where it differs, to show in the plan.
    let mut checked: Vec<Checked> = Vec::with_capacity(capacity);
    for (line, raw) in cells {
        let (email, written) = if matches!(email::normalized(&raw), Cow::Borrowed(_)) {
            (raw, None)
        } else {
            (email::normalize(&raw), Some(raw))
        };
        let invalid = email::invalid_reason(&email).map(|why| SkipReason::InvalidEmail { detail: why.to_string() });
        checked.push(Checked { line, email, written, invalid });
    }
    let mut first_line_of: Vec<Option<u64>> = vec![None; checked.len()];
    {
        let mut first_seen: FxHashMap<&str, u64> = FxHashMap::default();
        first_seen.reserve(checked.len());
        for (index, row) in checked.iter().enumerate().filter(|(_, row)| row.invalid.is_none()) {
            if let Some(&first) = first_seen.get(row.email.as_str()) {
                first_line_of[index] = Some(first);
            } else {
                first_seen.insert(&row.email, row.line);
            }
        }
    }
    let mut entries = Vec::with_capacity(checked.len());
    let mut rejected = Vec::new();
    for (row, duplicate_of) in checked.into_iter().zip(first_line_of) {
        let reason = match (row.invalid, duplicate_of) {
            (None, None) => {
                entries.push(RosterEntry { line: row.line, email: row.email });
                continue;
            }
            (Some(invalid), _) => invalid,
            (None, Some(first_line)) => SkipReason::Duplicate { first_line },
        };
        let value = row.written.unwrap_or(row.email).trim().to_string();
        rejected.push(SkippedRow { line: row.line, value, reason });
    }
    Ok(Roster {
        email_column: if headerless { "(no header row)".to_string() } else { table.headers[column].clone() },
        email_column_by_name: by_name,
        format: table.format,
        entries,
        rejected,
    })
}

/// One row on its way through [`parse_roster`].
struct Checked {
    line: u64,
    /// Normalized.
    email: String,
    /// The cell as written, when normalizing changed it.
    written: Option<String>,
    invalid: Option<SkipReason>,
}

/// The 2017 layout puts emails in column 1 under any header; accept that layout only
/// when column 1 really holds an address somewhere, so a file of names is refused.
fn column_one_holds_emails(table: &Table) -> bool {
    let holds_email = |cell: &str| email::invalid_reason(&email::normalize(cell)).is_none();
    table.headers.first().is_some_and(|h| holds_email(h)) || table.rows.iter().any(|r: &Row| holds_email(r.get(0)))
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
        assert_eq!(parse_roster("e.csv", b"\n\n").unwrap_err().kind(), "empty");
        assert_eq!(parse_roster("e.csv", b"\xEF\xBB\xBF").unwrap_err().kind(), "empty");
    }
}
