//! Picking users of the simulated account (`GET /_sim/users` rows) for a test to act on.

use serde_json::Value;

pub fn email(user: &Value) -> String {
    user["email"].as_str().unwrap_or_default().to_string()
}

/// Active plain members without upcoming meetings: users every policy may act on.
pub fn quiet_members(users: &[Value]) -> Vec<&Value> {
    users
        .iter()
        .filter(|u| u["status"] == "active" && u["plain_member"] == true && u["upcoming_meetings"] == 0)
        .collect()
}

/// An active plain member who hosts upcoming meetings: the default policy skips them.
pub fn meeting_host(users: &[Value]) -> Option<&Value> {
    users.iter().find(|u| u["status"] == "active" && u["plain_member"] == true && u["upcoming_meetings"] != 0)
}
