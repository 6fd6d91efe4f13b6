//! The wall clock, read at the edge: records are stamped here, decisions never read it.

use time::OffsetDateTime;

/// Now, as the records write it: `2026-11-22T10:15:00Z`.
pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// Now, to the millisecond, for the ledger (claims, results), whose rates need it.
pub fn now() -> jiff::Timestamp {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
}
