//! The wall clock, read at the edge: records are stamped here, decisions never read it.

/// Now, as the records write it, to the second: `2026-11-22T10:15:00Z`.
pub fn now_rfc3339() -> String {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_second(now.as_second()).unwrap_or(now).to_string()
}

/// Now, to the millisecond, for the ledger (claims, results), whose rates need it.
pub fn now() -> jiff::Timestamp {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
}
