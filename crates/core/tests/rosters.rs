//! The roster files people actually send, one fixture per quirk, under
//! `tests/fixtures/rosters/`. Each test pins the exact emails (normalized), the line each
//! was on, and every rejected row with its line and reason code.

use std::path::PathBuf;

use offboard_core::{parse_roster, InputError, Roster, SkipReason};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rosters").join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The name the pipeline would give the file: its key under `inbox/`.
fn key(name: &str) -> String {
    format!("inbox/{name}")
}

fn parse(name: &str) -> Roster {
    parse_roster(&key(name), &fixture(name)).unwrap_or_else(|e| panic!("{name} was refused: {e}"))
}

fn entries(roster: &Roster) -> Vec<(u64, &str)> {
    roster.entries.iter().map(|e| (e.line, e.email.as_str())).collect()
}

fn rejected(roster: &Roster) -> Vec<(u64, &str, &str)> {
    roster.rejected.iter().map(|r| (r.line, r.value.as_str(), r.reason.code())).collect()
}

/// Parses a fixture that must be refused as a whole, checks that the error names the
/// file and has the given kind, and returns it.
fn refused(name: &str, kind: &str) -> InputError {
    let err = match parse_roster(&key(name), &fixture(name)) {
        Ok(roster) => panic!("{name} should be refused ({kind}) but parsed: {roster:?}"),
        Err(err) => err,
    };
    assert_eq!(err.kind(), kind, "{name}: {err}");
    let message = err.to_string();
    assert!(message.starts_with(&format!("{}: ", key(name))), "{name}: the message does not name the file: {message}");
    err
}

#[test]
fn the_2017_layout_reads_emails_from_column_one_under_any_header() {
    let roster = parse("2017-layout.csv");
    assert_eq!(
        entries(&roster),
        [
            (2, "ana.lopez@acme.example"),
            (3, "bo.chen@acme.example"),
            (4, "cy.diaz@acme.example"),
            (5, "di.evans@acme.example"),
        ]
    );
    assert_eq!(rejected(&roster), []);
    assert_eq!(roster.email_column, "Users to remove");
    assert!(!roster.email_column_by_name);
    assert_eq!(roster.format, "csv (,)");
}

#[test]
fn an_excel_export_with_bom_semicolons_and_crlf() {
    let roster = parse("excel-bom-semicolon.csv");
    // Line 4 is the `;;` Excel writes for an empty row.
    assert_eq!(
        entries(&roster),
        [(2, "ana.lopez@acme.example"), (3, "bo.chen@acme.example"), (5, "cy.diaz@acme.example")]
    );
    assert_eq!(rejected(&roster), []);
    assert_eq!(roster.email_column, "E-mail", "the BOM must not stick to a header");
    assert!(roster.email_column_by_name);
    assert_eq!(roster.format, "csv (;)");
}

#[test]
fn a_tab_separated_export() {
    let roster = parse("tab-separated.tsv");
    assert_eq!(
        entries(&roster),
        [(2, "ana.lopez@acme.example"), (3, "bo.chen@acme.example"), (4, "cy.diaz@acme.example")]
    );
    assert_eq!(rejected(&roster), []);
    assert_eq!(roster.email_column, "work_email");
    assert_eq!(roster.format, "csv (tab)");
}

#[test]
fn quoted_fields_with_commas_quotes_and_newlines() {
    let roster = parse("quoted-fields.csv");
    // Cy's note spans lines 4-5 and Ed's name lines 7-8: each row is on the line it starts on.
    assert_eq!(
        entries(&roster),
        [
            (2, "ana.lopez@acme.example"),
            (3, "bo.chen@acme.example"),
            (4, "cy.diaz@acme.example"),
            (6, "di.evans@acme.example"),
            (7, "ed.fox@acme.example"),
        ]
    );
    assert_eq!(rejected(&roster), []);
    assert_eq!(roster.email_column, "Email");
}

#[test]
fn blank_lines_before_between_and_after_rows_keep_the_line_numbers() {
    let roster = parse("blank-lines.csv");
    // Lines 1-2 blank, header on 3, 4 blank, Ana on 5, `,` on 6, spaces on 7, Bo on 8.
    assert_eq!(entries(&roster), [(5, "ana.lopez@acme.example"), (8, "bo.chen@acme.example")]);
    assert_eq!(rejected(&roster), []);
    assert_eq!(roster.email_column, "Email");
}

#[test]
fn header_variants_name_the_email_column() {
    for (name, column) in [
        ("header-variants/mail.csv", "mail"),
        ("header-variants/userPrincipalName.csv", "userPrincipalName"),
        ("header-variants/email-address.csv", "Email Address"),
    ] {
        let roster = parse(name);
        assert_eq!(entries(&roster), [(2, "ana.lopez@acme.example"), (3, "bo.chen@acme.example")], "{name}");
        assert_eq!(rejected(&roster), [], "{name}");
        assert_eq!(roster.email_column, column, "{name}");
        assert!(roster.email_column_by_name, "{name}");
    }
}

#[test]
fn a_google_workspace_export_with_required_suffixes() {
    // Google Workspace's "Download users" CSV names its columns `Email Address [Required]`;
    // that header names the email column as plainly as `Email Address` does.
    let roster = parse("header-variants/google-workspace.csv");
    assert_eq!(entries(&roster), [(2, "ana.lopez@acme.example"), (3, "bo.chen@acme.example")]);
    assert_eq!(rejected(&roster), []);
    assert_eq!(roster.email_column, "Email Address [Required]");
    assert!(roster.email_column_by_name);
}

#[test]
fn duplicates_in_other_case_and_spacing_are_reported_with_the_first_line() {
    let roster = parse("duplicates.csv");
    assert_eq!(entries(&roster), [(2, "ana.lopez@acme.example"), (5, "bo.chen@acme.example")]);
    assert_eq!(
        rejected(&roster),
        [
            (3, "ANA.LOPEZ@ACME.EXAMPLE", "duplicate"),
            (4, "Ana.Lopez@Acme.Example", "duplicate"),
            (6, "bo.chen@acme.example", "duplicate"),
        ]
    );
    let first_lines: Vec<_> = roster
        .rejected
        .iter()
        .map(|r| match r.reason {
            SkipReason::Duplicate { first_line } => first_line,
            ref other => panic!("line {}: {other:?}", r.line),
        })
        .collect();
    assert_eq!(first_lines, [2, 2, 5]);
}

#[test]
fn unicode_accents_compose_and_invisible_spaces_are_trimmed() {
    let roster = parse("unicode.csv");
    // Line 2 has `e` + U+0301; it compares as the precomposed U+00E9, so line 4 (`É`) repeats it.
    assert_eq!(
        entries(&roster),
        [(2, "jos\u{e9}.nunez@acme.example"), (3, "zoe.ahn@acme.example"), (5, "mo.ito@acme.example")]
    );
    assert_eq!(rejected(&roster), [(4, "JOS\u{c9}.NUNEZ@acme.example", "duplicate")]);
    assert!(matches!(roster.rejected[0].reason, SkipReason::Duplicate { first_line: 2 }));
}

#[test]
fn rows_without_a_usable_address_are_reported_with_their_lines() {
    let roster = parse("rejected-rows.csv");
    assert_eq!(entries(&roster), [(2, "ana.lopez@acme.example"), (9, "bo.chen@acme.example")]);
    assert_eq!(
        rejected(&roster),
        [
            (3, "no-at.acme.example", "invalid_email"),
            (4, "spa cey@acme.example", "invalid_email"),
            (5, "cy@localhost", "invalid_email"),
            (6, "", "invalid_email"),
            (7, "", "invalid_email"),
            (8, "@acme.example", "invalid_email"),
        ]
    );
}

#[test]
fn an_excel_workbook_numbers_rows_like_excel() {
    let roster = parse("roster.xlsx");
    // Header on row 1, row 4 blank.
    assert_eq!(
        entries(&roster),
        [(2, "ana.lopez@acme.example"), (3, "bo.chen@acme.example"), (5, "cy.diaz@acme.example")]
    );
    assert_eq!(rejected(&roster), [(6, "not-an-email", "invalid_email")]);
    assert_eq!(roster.email_column, "Email");
    assert_eq!(roster.format, "xlsx");
}

#[test]
fn a_bare_list_of_addresses_does_not_lose_its_first_person() {
    // No header row: line 1 is already a person. Reading it as a header would drop Ana
    // without a word; the file must either list her or be refused.
    match parse_roster(&key("no-header.csv"), &fixture("no-header.csv")) {
        Ok(roster) => {
            assert_eq!(
                entries(&roster),
                [(1, "ana.lopez@acme.example"), (2, "bo.chen@acme.example"), (3, "cy.diaz@acme.example")],
                "line 1 ({:?}) was read as a header and its address dropped",
                roster.email_column
            );
        }
        Err(err) => assert!(err.to_string().starts_with("inbox/no-header.csv: "), "{err}"),
    }
}

#[test]
fn a_png_is_not_text() {
    refused("binary.png", "not_text");
}

#[test]
fn utf16_is_not_text_and_says_how_to_save_it() {
    let err = refused("utf16.csv", "not_text");
    assert!(err.to_string().contains("UTF-16"), "{err}");
}

#[test]
fn latin1_is_not_text() {
    let err = refused("invalid-utf8.csv", "not_text");
    assert!(err.to_string().contains("UTF-8"), "{err}");
}

#[test]
fn a_file_of_names_has_no_email_column() {
    let err = refused("no-email-column.csv", "no_email_column");
    assert!(err.to_string().contains("Name, Department"), "the message lists the headers: {err}");
}

#[test]
fn an_empty_file_is_empty() {
    refused("empty.csv", "empty");
}

#[test]
fn a_file_of_blank_lines_is_empty() {
    refused("only-blank-lines.csv", "empty");
}
