//! `parse_roster` on any bytes: it may refuse them, it must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = offboard_core::parse_roster("inbox/fuzz.csv", data);
});
