//! Inputs that once crashed a reader, kept as files under `tests/regressions/`. Each must
//! be read without panicking: accepted, or refused with an error naming the file.

use std::path::PathBuf;

use offboard_core::policy::DatePolicy;
use offboard_core::{parse_hr_file, parse_roster};

fn regression(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/regressions").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A date-formatted cell holding day number 1e9 (row 2) and -1e9 (row 3): far outside the
/// dates anything can represent. The roster does not even read that column; the HR file
/// must reject those rows as unreadable dates.
#[test]
fn an_excel_date_out_of_range_does_not_panic() {
    let bytes = regression("date-out-of-range.xlsx");
    let roster = parse_roster("inbox/date-out-of-range.xlsx", &bytes).unwrap();
    let emails: Vec<_> = roster.entries.iter().map(|e| (e.line, e.email.as_str())).collect();
    assert_eq!(emails, [(2, "ana.lopez@acme.example"), (3, "bo.chen@acme.example")]);

    let hr = parse_hr_file("hr/date-out-of-range.xlsx", &bytes, &DatePolicy::default()).unwrap();
    assert_eq!(hr.terminations, []);
    let rejected: Vec<_> = hr.rejected.iter().map(|r| (r.line, r.reason.code())).collect();
    assert_eq!(rejected, [(2, "invalid_date"), (3, "invalid_date")]);
}
