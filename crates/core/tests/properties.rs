//! Properties of the roster and HR readers: they never panic, whatever they are given; a
//! roster in any of the layouts people send reads back to exactly the people in it; and
//! email normalization is idempotent.

use offboard_core::email::normalize;
use offboard_core::policy::DatePolicy;
use offboard_core::{parse_hr_file, parse_roster, SkipReason};
use proptest::prelude::*;

const XLSX: &[u8] = include_bytes!("fixtures/rosters/roster.xlsx");

/// Bytes that look like what arrives in `inbox/`: anything at all, text made of the
/// characters tables are made of, and damaged copies of a real workbook.
fn upload_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        "[a-zA-Z0-9@., ;\t\r\n\"'_-]{0,512}".prop_map(String::into_bytes),
        (proptest::collection::vec(any::<u8>(), 0..512)).prop_map(|tail| [b"PK\x03\x04".as_slice(), &tail].concat()),
        proptest::collection::vec((0..XLSX.len(), any::<u8>()), 1..8).prop_map(|edits| {
            let mut bytes = XLSX.to_vec();
            for (at, byte) in edits {
                bytes[at] = byte;
            }
            bytes
        }),
    ]
}

/// Text shaped like an HR file: a header naming the columns the reader looks for, then
/// rows of date-ish, email-ish and id-ish cells.
fn hr_text() -> impl Strategy<Value = String> {
    let header = prop::sample::select(vec![
        "email,termination_date\n",
        "Employee ID;Work Email;Last Day;Manager Email;Action\n",
        "employee_id\tend_date\tmanager\n",
    ]);
    (header, "[0-9a-zA-Z@./:T+ ,;\t\r\n-]{0,400}").prop_map(|(h, body)| format!("{h}{body}"))
}

proptest! {
    #[test]
    fn parse_roster_never_panics_on_bytes(bytes in upload_bytes()) {
        let _ = parse_roster("inbox/any.csv", &bytes);
    }

    #[test]
    fn parse_roster_never_panics_on_strings(text in any::<String>()) {
        let _ = parse_roster("inbox/any.csv", text.as_bytes());
    }

    #[test]
    fn parse_hr_file_never_panics_on_bytes(bytes in upload_bytes()) {
        let _ = parse_hr_file("hr/any.csv", &bytes, &DatePolicy::default());
    }

    #[test]
    fn parse_hr_file_never_panics_on_strings(text in any::<String>()) {
        let _ = parse_hr_file("hr/any.csv", text.as_bytes(), &DatePolicy::default());
    }

    #[test]
    fn parse_hr_file_never_panics_on_hr_shaped_text(text in hr_text(), day_first in any::<bool>()) {
        let dates = DatePolicy {
            timezone: "Europe/Berlin".to_string(),
            slash_order: if day_first {
                offboard_core::policy::SlashOrder::DayFirst
            } else {
                offboard_core::policy::SlashOrder::MonthFirst
            },
        };
        let _ = parse_hr_file("hr/any.csv", text.as_bytes(), &dates);
    }
}

/// One row of a generated roster: which address, how it is cased and padded, the other
/// column's value, and the blank lines before it.
#[derive(Debug, Clone)]
struct GenRow {
    address: usize,
    upper: Vec<bool>,
    before: String,
    after: String,
    other: String,
    blanks: usize,
}

#[derive(Debug, Clone)]
struct GenRoster {
    addresses: Vec<String>,
    rows: Vec<GenRow>,
    delimiter: char,
    header: &'static str,
    email_first: bool,
    bom: bool,
    crlf: bool,
    blanks_before_header: usize,
    blanks_at_end: usize,
    /// Which kind of blank line: empty, spaces, or only delimiters (Excel's empty row).
    blank_kind: usize,
}

fn padding() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop::sample::select(vec![' ', ' ', '\u{a0}']), 0..3).prop_map(String::from_iter)
}

fn gen_row() -> impl Strategy<Value = GenRow> {
    (
        any::<prop::sample::Index>(),
        proptest::collection::vec(any::<bool>(), 40),
        padding(),
        padding(),
        "[A-Za-z]{0,8}",
        0..3usize,
    )
        .prop_map(|(address, upper, before, after, other, blanks)| GenRow {
            address: address.index(usize::MAX),
            upper,
            before,
            after,
            other,
            blanks,
        })
}

fn gen_roster() -> impl Strategy<Value = GenRoster> {
    (
        proptest::collection::vec("[a-z0-9][a-z0-9._+-]{0,10}@[a-z0-9]{1,8}\\.(example|test|example\\.org)", 1..8),
        proptest::collection::vec(gen_row(), 1..25),
        prop::sample::select(vec![',', ';', '\t']),
        prop::sample::select(vec!["Email", "E-mail", "work_email", "Email Address", "mail", "userPrincipalName"]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0..3usize,
        0..3usize,
        0..3usize,
    )
        .prop_map(
            |(
                addresses,
                rows,
                delimiter,
                header,
                email_first,
                bom,
                crlf,
                blanks_before_header,
                blanks_at_end,
                blank_kind,
            )| {
                GenRoster {
                    addresses,
                    rows,
                    delimiter,
                    header,
                    email_first,
                    bom,
                    crlf,
                    blanks_before_header,
                    blanks_at_end,
                    blank_kind,
                }
            },
        )
}

/// A generated roster as a file, and what it must read back as: the distinct addresses
/// with the line each first appears on, and the repeats with the line of the first.
struct Rendered {
    bytes: Vec<u8>,
    entries: Vec<(u64, String)>,
    duplicates: Vec<(u64, u64)>,
}

fn render(roster: &GenRoster) -> Rendered {
    let newline = if roster.crlf { "\r\n" } else { "\n" };
    let d = roster.delimiter;
    let blank = match roster.blank_kind {
        0 => String::new(),
        1 => "   ".to_string(),
        _ => d.to_string(),
    };
    let mut text = String::new();
    let mut line = 1u64;
    let mut push_line = |text: &mut String, content: &str| {
        text.push_str(content);
        text.push_str(newline);
        line += 1;
        line - 1
    };
    if roster.bom {
        text.push('\u{feff}');
    }
    for _ in 0..roster.blanks_before_header {
        push_line(&mut text, &blank);
    }
    let header =
        if roster.email_first { format!("{}{d}Dept", roster.header) } else { format!("Dept{d}{}", roster.header) };
    push_line(&mut text, &header);
    let mut entries = Vec::new();
    let mut duplicates = Vec::new();
    let mut first_seen = std::collections::HashMap::new();
    for row in &roster.rows {
        for _ in 0..row.blanks {
            push_line(&mut text, &blank);
        }
        let address = &roster.addresses[row.address % roster.addresses.len()];
        let cased: String = address
            .chars()
            .zip(row.upper.iter().cycle())
            .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c })
            .collect();
        let cell = format!("{}{cased}{}", row.before, row.after);
        let content =
            if roster.email_first { format!("{cell}{d}{}", row.other) } else { format!("{}{d}{cell}", row.other) };
        let at = push_line(&mut text, &content);
        match first_seen.get(address) {
            Some(&first) => duplicates.push((at, first)),
            None => {
                first_seen.insert(address.clone(), at);
                entries.push((at, address.clone()));
            }
        }
    }
    for _ in 0..roster.blanks_at_end {
        push_line(&mut text, &blank);
    }
    Rendered { bytes: text.into_bytes(), entries, duplicates }
}

proptest! {
    #[test]
    fn a_generated_roster_reads_back_to_its_distinct_people(roster in gen_roster()) {
        let rendered = render(&roster);
        let parsed = parse_roster("inbox/generated.csv", &rendered.bytes)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{:?}", String::from_utf8_lossy(&rendered.bytes))))?;
        let entries: Vec<(u64, String)> = parsed.entries.iter().map(|e| (e.line, e.email.clone())).collect();
        prop_assert_eq!(&entries, &rendered.entries, "{:?}", String::from_utf8_lossy(&rendered.bytes));
        let duplicates: Vec<(u64, u64)> = parsed
            .rejected
            .iter()
            .map(|r| match r.reason {
                SkipReason::Duplicate { first_line } => Ok((r.line, first_line)),
                ref other => Err(TestCaseError::fail(format!("line {}: {other:?}", r.line))),
            })
            .collect::<Result<_, _>>()?;
        prop_assert_eq!(&duplicates, &rendered.duplicates, "{:?}", String::from_utf8_lossy(&rendered.bytes));
        prop_assert_eq!(parsed.email_column.as_str(), roster.header);
        prop_assert!(parsed.email_column_by_name);
    }
}

/// Strings made of what makes normalization interesting: case, accents as combining marks
/// of several classes, precomposed letters, invisible and no-break spaces, `İ`, `Σ`, `ß`.
fn tricky_string() -> impl Strategy<Value = String> {
    let chars = prop::sample::select(vec![
        'a', 'A', 'e', 'E', 'i', 'I', 'j', 'J', 'h', 'H', 'z', '@', '.', ' ', '\t', '\u{a0}', '\u{200b}', '\u{feff}',
        '\u{2060}', '\u{0301}', '\u{0300}', '\u{0308}', '\u{0316}', '\u{0323}', '\u{0327}', '\u{030c}', '\u{0331}',
        '\u{00e9}', '\u{00c9}', '\u{0130}', '\u{03a3}', '\u{00df}', '\u{212a}', '\u{212b}', '\u{1e9e}', '\u{01c4}',
    ]);
    proptest::collection::vec(chars, 0..16).prop_map(String::from_iter)
}

proptest! {
    #[test]
    fn normalize_is_idempotent(raw in prop_oneof![any::<String>(), tricky_string()]) {
        let once = normalize(&raw);
        prop_assert_eq!(normalize(&once), once.clone(), "raw {:?}", raw);
    }
}

/// Normalizing must compose after lower-casing too. `İ` lower-cases to `i` + U+0307
/// (class 230), which then sits before U+0316 (class 220), out of canonical order. And a
/// `J` with a combining caron has no precomposed capital, but lower-cases to a `j` and a
/// caron, which compose to `ǰ` (U+01F0): the same address typed two ways must compare as one.
#[test]
fn normalize_composes_what_lower_casing_decomposes() {
    let once = normalize("\u{130}\u{316}@acme.example");
    assert_eq!(normalize(&once), once);
    assert_eq!(normalize("J\u{30c}@acme.example"), normalize("\u{1f0}@acme.example"));
}
