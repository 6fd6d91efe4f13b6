//! `parse_hr_file` on any bytes, under both slash orders and a zone with DST: it may
//! refuse them, it must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offboard_core::policy::{DatePolicy, SlashOrder};

fuzz_target!(|data: &[u8]| {
    let us = DatePolicy::default();
    let _ = offboard_core::parse_hr_file("hr/fuzz.csv", data, &us);
    let eu = DatePolicy { timezone: "Europe/Berlin".to_string(), slash_order: SlashOrder::DayFirst };
    let _ = offboard_core::parse_hr_file("hr/fuzz.csv", data, &eu);
});
