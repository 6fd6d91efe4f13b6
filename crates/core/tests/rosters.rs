//! The roster files people actually send, one fixture per quirk, under
//! `tests/fixtures/rosters/`. Each test pins the exact emails (normalized), the line each
//! was on, and every rejected row with its line and reason code.

use std::path::PathBuf;

use offboard_core::policy::RosterPolicy;
use offboard_core::roster::parse_roster_with;
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
fn a_utf16_export_is_read_and_its_encoding_named() {
    let roster = parse_roster_with(&key("utf16.csv"), &fixture("utf16.csv"), &RosterPolicy::default()).unwrap();
    assert_eq!(roster.format, "csv (,), UTF-16LE");
    assert_eq!(roster.entries.iter().map(|e| e.email.as_str()).collect::<Vec<_>>(), ["ana.lopez@acme.example"]);
}

#[test]
fn a_latin1_export_is_read_as_windows_1252() {
    let roster =
        parse_roster_with(&key("invalid-utf8.csv"), &fixture("invalid-utf8.csv"), &RosterPolicy::default()).unwrap();
    assert_eq!(roster.format, "csv (,), Windows-1252");
    assert_eq!(roster.entries.iter().map(|e| e.email.as_str()).collect::<Vec<_>>(), ["jose.lopez@acme.example"]);
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

// The email column when the headers do not settle it (`fixtures/rosters/email-columns/`).
// Acting on the wrong column deactivates the managers instead of the people leaving, so a
// roster whose addresses sit in more than one column must name the person's column (by
// header, or by the policy's `roster.email_column`) or be refused.

/// A refusal of `name` as ambiguous: the message names the file, each candidate column by
/// header and position, and both ways to fix it.
fn ambiguous(name: &str, candidates: &[&str]) -> String {
    let message = refused(name, "ambiguous_email_column").to_string();
    for candidate in candidates {
        assert!(message.contains(candidate), "{name}: the message does not name {candidate}: {message}");
    }
    assert!(message.contains("`Email`") && message.contains("roster.email_column"), "{name}: no fix: {message}");
    message
}

#[test]
fn an_employee_email_column_is_read_and_never_the_managers_before_it() {
    let roster = parse("email-columns/manager-email-employee-email.csv");
    assert_eq!(
        entries(&roster),
        [(2, "ana.lopez@acme.example"), (3, "bo.chen@acme.example"), (4, "cy.diaz@acme.example")]
    );
    assert_eq!(rejected(&roster), []);
    assert_eq!(roster.email_column, "Employee Email");
    assert!(roster.email_column_by_name);
}

#[test]
fn an_email_column_wins_over_a_manager_email_column() {
    let roster = parse("email-columns/manager-email-and-email.csv");
    assert_eq!(entries(&roster), [(2, "ana.lopez@acme.example"), (3, "bo.chen@acme.example")]);
    assert_eq!(roster.email_column, "Email");
}

#[test]
fn a_supervisor_and_a_departing_employee_column_without_an_email_header_is_refused() {
    let message = ambiguous(
        "email-columns/supervisor-departing-employee.csv",
        &["`Supervisor` (column 1", "`Departing employee` (column 2"],
    );
    assert!(!message.contains("Last day` (column"), "a column without addresses is no candidate: {message}");
}

#[test]
fn column_one_is_never_read_when_its_header_names_a_manager() {
    // `Manager,Name`: only column 1 holds addresses, and they are the managers'.
    ambiguous("email-columns/manager-name.csv", &["`Manager` (column 1"]);
}

#[test]
fn a_bracketed_note_naming_a_manager_makes_an_email_header_someone_elses() {
    // `Email (manager)` reads as `Email` once the note is dropped, but it is the manager's.
    ambiguous("email-columns/bracketed-manager-note.csv", &["`Email (manager)` (column 1", "`Leaver` (column 2"]);
}

#[test]
fn two_email_columns_with_different_addresses_are_refused() {
    let message = ambiguous("email-columns/email-work-email.csv", &["`Email` (column 1", "`Work Email` (column 2"]);
    assert!(message.contains("line 3"), "the message names the line where they differ: {message}");
}

#[test]
fn two_email_columns_that_agree_read_as_one() {
    // Row 3 leaves `Work Email` blank, row 4 leaves `Email` blank: each names one person.
    let roster = parse("email-columns/email-work-email-agree.csv");
    assert_eq!(
        entries(&roster),
        [(2, "ana.lopez@acme.example"), (3, "bo.chen@acme.example"), (4, "cy.diaz@acme.example")]
    );
    assert_eq!(rejected(&roster), []);
    assert!(roster.email_column_by_name);
}

#[test]
fn reports_to_and_transfer_to_columns_make_a_person_column_ambiguous() {
    ambiguous(
        "email-columns/departing-reports-to.csv",
        &["`Departing employee` (column 1", "`Reports to` (column 2", "`Transfer recordings to` (column 3"],
    );
}

#[test]
fn a_bare_list_with_two_columns_of_addresses_is_refused() {
    ambiguous("email-columns/no-header-two-columns.csv", &["column 1", "column 2"]);
}

fn with_column(column: &str) -> RosterPolicy {
    RosterPolicy { email_column: Some(column.to_string()), ..RosterPolicy::default() }
}

#[test]
fn the_policy_names_the_column_when_the_headers_do_not() {
    let name = "email-columns/supervisor-departing-employee.csv";
    // Matched like any header: case, spaces, `-` and `_` do not matter.
    let roster = parse_roster_with(&key(name), &fixture(name), &with_column("departing_EMPLOYEE")).unwrap();
    assert_eq!(entries(&roster), [(2, "ana.lopez@acme.example"), (3, "bo.chen@acme.example")]);
    assert_eq!(roster.email_column, "Departing employee");
    assert!(roster.email_column_by_name);

    // The policy's column is read even where a header would have chosen another.
    let name = "email-columns/manager-email-and-email.csv";
    let roster = parse_roster_with(&key(name), &fixture(name), &with_column("Manager Email")).unwrap();
    assert_eq!(entries(&roster), [(2, "boss.one@acme.example"), (3, "boss.two@acme.example")]);
}

#[test]
fn a_policy_column_the_file_does_not_have_is_refused_naming_the_headers() {
    let name = "email-columns/supervisor-departing-employee.csv";
    let err = parse_roster_with(&key(name), &fixture(name), &with_column("Leaver")).unwrap_err();
    assert_eq!(err.kind(), "unknown_email_column");
    let message = err.to_string();
    assert!(message.starts_with(&format!("{}: ", key(name))), "{message}");
    assert!(message.contains("`Leaver`") && message.contains("Supervisor, Departing employee, Last day"), "{message}");
    // A bare list has no headers to name.
    let err = parse_roster_with(&key("no-header.csv"), &fixture("no-header.csv"), &with_column("Email")).unwrap_err();
    assert_eq!(err.kind(), "unknown_email_column");
}

#[test]
fn a_blank_policy_column_is_no_column() {
    let roster = parse_roster_with(&key("2017-layout.csv"), &fixture("2017-layout.csv"), &with_column("  ")).unwrap();
    assert_eq!(roster.entries.len(), 4);
}

/// The hostile workbooks of `fixtures/workbooks/` (see `make_hostile.py`), which the
/// end-to-end tests upload too: each is refused, naming the file and the limit or the cell.
#[test]
fn hostile_workbooks_are_refused_naming_the_limit() {
    for (name, kind, limit) in [
        ("wide.xlsx", "too_wide", "1024 columns"),
        ("shared-strings-bomb.xlsx", "workbook_too_large", "4194304"),
        // Found by the `workbook` fuzz target: calamine's column arithmetic overflows on
        // the reference `Areadsheetml/2006/main` (a panic with overflow checks on).
        ("fuzz-crash-cell-reference.xlsx", "bad_workbook", "`Areadsheetml/2006/main`"),
    ] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workbooks").join(name);
        let bytes = std::fs::read(&path).unwrap();
        let err = parse_roster(&key(name), &bytes).unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        let message = err.to_string();
        assert!(message.starts_with(&format!("inbox/{name}: ")) && message.contains(limit), "{message}");
    }
}
