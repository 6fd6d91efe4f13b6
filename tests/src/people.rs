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

/// A roster CSV with an `email` header and one row per address.
pub fn roster(rows: &[String]) -> Vec<u8> {
    let mut csv = String::from("email\n");
    for email in rows {
        csv.push_str(email);
        csv.push('\n');
    }
    csv.into_bytes()
}

/// The run id of the one run the planner's responses report as `result`
/// (`planned`, `held`, ...).
pub fn run_with_result(responses: &[Value], result: &str) -> String {
    let runs: Vec<&Value> =
        responses.iter().flat_map(|r| r.as_array().into_iter().flatten()).filter(|r| r["result"] == result).collect();
    assert_eq!(runs.len(), 1, "one {result} run in {responses:?}");
    runs[0]["run_id"].as_str().unwrap_or_default().to_string()
}

/// The run id of the one run the planner's responses planned.
pub fn planned_run(responses: &[Value]) -> String {
    run_with_result(responses, "planned")
}
