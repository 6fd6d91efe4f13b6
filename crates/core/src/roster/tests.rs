//! Unit tests of choosing a roster's email column.

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
            SkippedRow { line: 5, value: "ANA@acme.example".into(), reason: SkipReason::Duplicate { first_line: 2 } },
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

#[test]
fn headers_that_name_someone_else() {
    for header in [
        "Manager Email",
        "managerEmail",
        "Email (manager)",
        "Supervisor",
        "Team lead",
        "Reports to",
        "Transfer recordings to",
        "HR contact",
        "hrEmail",
        "HRContact",
        "Approved by",
        "Requester",
        "Personal email",
        "CC",
    ] {
        assert!(names_someone_else(header), "{header:?}");
    }
    for header in [
        "Email",
        "Employee Email",
        "Departing employee",
        "Users to remove",
        "Account email",
        "Email Address [Required]",
        "userPrincipalName",
        "Leaver",
        "Primary email",
        "Headcount id",
    ] {
        assert!(!names_someone_else(header), "{header:?}");
    }
}

#[test]
fn a_mailing_address_column_does_not_hide_the_2017_layout() {
    // `mail` in a header makes it a candidate only if it holds addresses.
    let csv = "Users to remove,Mailing address\nana@acme.example,1 Main St\n";
    let roster = parse_roster("r.csv", csv.as_bytes()).unwrap();
    assert_eq!(emails(&roster), ["ana@acme.example"]);
    assert_eq!(roster.email_column, "Users to remove");
}

#[test]
fn a_bare_list_whose_first_address_reads_like_a_header_keeps_it() {
    // `manager@...` and `mail` in the first line are a person, not a header.
    let roster = parse_roster("r.csv", b"manager.mail@acme.example\nbo@acme.example\n").unwrap();
    assert_eq!(emails(&roster), ["manager.mail@acme.example", "bo@acme.example"]);
}

#[test]
fn the_ambiguity_message_says_what_and_how_to_fix_it() {
    let err = parse_roster("inbox/x.csv", b"Supervisor,Departing employee\nboss@acme.example,ana@acme.example\n")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "inbox/x.csv: cannot tell which column holds the emails of the people leaving: `Supervisor` (column 1, \
         names someone else) and `Departing employee` (column 2) hold addresses, and no header names the \
         person's email; head the people's column `Email` (and no other), or set the policy's \
         `roster.email_column` to its header"
    );
}
