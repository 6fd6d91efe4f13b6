//! `parse_roster` on any bytes, by header and with the policy naming a column: it may
//! refuse them, it must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offboard_core::policy::RosterPolicy;

fuzz_target!(|data: &[u8]| {
    let _ = offboard_core::parse_roster("inbox/fuzz.csv", data);
    let named = RosterPolicy { email_column: Some("Departing employee".to_string()) };
    let _ = offboard_core::roster::parse_roster_with("inbox/fuzz.csv", data, &named);
});
