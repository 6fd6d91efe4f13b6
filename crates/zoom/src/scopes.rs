//! Which scope each Zoom call needs, in one table.
//!
//! Zoom refuses a call whose token lacks its scope (HTTP 400, code 4711), and the admin
//! who set up the app has to know which scopes to grant. Both read this table: the client
//! tags every request with its [`ZoomCall`] so a refusal names the scope and the call
//! that needed it, [`ZoomClient::check_scopes`](crate::ZoomClient::check_scopes) can
//! check a token before a run changes anything, and the scopes table of
//! `infra/README.md` is generated from it ([`markdown_table`]). Tests hold the table to
//! Zoom's OpenAPI document and to zoom-sim's gate.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use reqwest::Method;

use crate::pacer::Label;

/// One HTTP call the client makes: an endpoint and a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ZoomCall {
    /// `GET /users`, every page of one status (and its `total_records`).
    ListUsers,
    /// `GET /users/{userId}`.
    GetUser,
    /// `GET /users/summary`.
    UsersSummary,
    /// `PUT /users/{userId}/status`: deactivate and activate.
    UpdateStatus,
    /// `DELETE /users/{userId}`: delete and disassociate.
    DeleteUser,
    /// `PATCH /users/{userId}`: the user's type (Basic, Licensed).
    UpdateUser,
    /// `DELETE /users/{userId}/token`.
    RevokeSsoToken,
    /// `GET /users/{userId}/meetings?type=upcoming`.
    ListUpcomingMeetings,
    /// `GET /users/{userId}/recordings`.
    ListUserRecordings,
    /// `GET /roles`.
    ListRoles,
    /// `GET /metrics/zoomrooms`, the Dashboards list of Zoom Rooms.
    ListZoomRooms,
}

impl ZoomCall {
    /// Every call, in the order of the README's table.
    pub const ALL: [ZoomCall; 11] = [
        ZoomCall::ListUsers,
        ZoomCall::GetUser,
        ZoomCall::UsersSummary,
        ZoomCall::UpdateStatus,
        ZoomCall::DeleteUser,
        ZoomCall::UpdateUser,
        ZoomCall::RevokeSsoToken,
        ZoomCall::ListUpcomingMeetings,
        ZoomCall::ListUserRecordings,
        ZoomCall::ListRoles,
        ZoomCall::ListZoomRooms,
    ];

    /// The HTTP method, upper-case.
    pub const fn method(self) -> &'static str {
        match self {
            ZoomCall::ListUsers
            | ZoomCall::GetUser
            | ZoomCall::UsersSummary
            | ZoomCall::ListUpcomingMeetings
            | ZoomCall::ListUserRecordings
            | ZoomCall::ListRoles
            | ZoomCall::ListZoomRooms => "GET",
            ZoomCall::UpdateStatus => "PUT",
            ZoomCall::DeleteUser | ZoomCall::RevokeSsoToken => "DELETE",
            ZoomCall::UpdateUser => "PATCH",
        }
    }

    /// The path under the API base, as Zoom's documents write it (`{userId}` unfilled).
    pub const fn path(self) -> &'static str {
        match self {
            ZoomCall::ListUsers => "/users",
            ZoomCall::GetUser | ZoomCall::DeleteUser | ZoomCall::UpdateUser => "/users/{userId}",
            ZoomCall::UsersSummary => "/users/summary",
            ZoomCall::UpdateStatus => "/users/{userId}/status",
            ZoomCall::RevokeSsoToken => "/users/{userId}/token",
            ZoomCall::ListUpcomingMeetings => "/users/{userId}/meetings",
            ZoomCall::ListUserRecordings => "/users/{userId}/recordings",
            ZoomCall::ListRoles => "/roles",
            ZoomCall::ListZoomRooms => "/metrics/zoomrooms",
        }
    }

    /// The granular scope that allows the call for any user of the account (the
    /// `:admin` one of the operation's `x-granular-scopes`).
    pub const fn scope(self) -> &'static str {
        match self {
            ZoomCall::ListUsers => "user:read:list_users:admin",
            ZoomCall::GetUser => "user:read:user:admin",
            ZoomCall::UsersSummary => "user:read:summary:admin",
            ZoomCall::UpdateStatus => "user:update:status:admin",
            ZoomCall::DeleteUser => "user:delete:user:admin",
            ZoomCall::UpdateUser => "user:update:user:admin",
            ZoomCall::RevokeSsoToken => "user:delete:token:admin",
            ZoomCall::ListUpcomingMeetings => "meeting:read:list_meetings:admin",
            ZoomCall::ListUserRecordings => "cloud_recording:read:list_user_recordings:admin",
            ZoomCall::ListRoles => "role:read:list_roles:admin",
            ZoomCall::ListZoomRooms => "dashboard:read:list_zoom_rooms:admin",
        }
    }

    /// The classic (pre-granular) admin scopes that allow the call too: apps created
    /// before Zoom's granular scopes still hold these (the OpenAPI's `x-macro-scopes`),
    /// and a check must not refuse them.
    pub const fn classic_scopes(self) -> &'static [&'static str] {
        match self {
            ZoomCall::ListUsers | ZoomCall::GetUser | ZoomCall::UsersSummary => {
                &["user:read:admin", "user:write:admin"]
            }
            ZoomCall::UpdateStatus | ZoomCall::DeleteUser | ZoomCall::UpdateUser | ZoomCall::RevokeSsoToken => {
                &["user:write:admin"]
            }
            ZoomCall::ListUpcomingMeetings => &["meeting:read:admin"],
            ZoomCall::ListUserRecordings => &["recording:read:admin"],
            ZoomCall::ListRoles => &["role:read:admin"],
            ZoomCall::ListZoomRooms => &["dashboard_zr:read:admin"],
        }
    }

    /// What Offboard makes the call for, as a verb phrase ("to ..." reads on).
    pub const fn purpose(self) -> &'static str {
        match self {
            ZoomCall::ListUsers => "list users (backup, diff, sweep)",
            ZoomCall::GetUser => {
                "get a user (whether a change already applied, on resume; whether a user is gone after a delete's 1001)"
            }
            ZoomCall::UsersSummary => "count users by status (no run needs it)",
            ZoomCall::UpdateStatus => "deactivate (or reactivate on undo)",
            ZoomCall::DeleteUser => "delete or disassociate",
            ZoomCall::UpdateUser => "downgrade to Basic, `{\"type\": 1}` (or back to Licensed on undo)",
            ZoomCall::RevokeSsoToken => "revoke the SSO token before a change",
            ZoomCall::ListUpcomingMeetings => "count the user's upcoming meetings (the meetings check)",
            ZoomCall::ListUserRecordings => "count the user's cloud recordings (the recordings check)",
            ZoomCall::ListRoles => "list roles (owners and admins are known by role name)",
            ZoomCall::ListZoomRooms => "list Zoom Rooms with their emails (rooms are never offboarded)",
        }
    }

    /// Zoom's rate-limit label of the endpoint.
    pub const fn label(self) -> Label {
        match self {
            ZoomCall::GetUser
            | ZoomCall::UpdateStatus
            | ZoomCall::DeleteUser
            | ZoomCall::UpdateUser
            | ZoomCall::RevokeSsoToken => Label::Light,
            ZoomCall::ListUsers
            | ZoomCall::UsersSummary
            | ZoomCall::ListUpcomingMeetings
            | ZoomCall::ListUserRecordings
            | ZoomCall::ListRoles => Label::Medium,
            ZoomCall::ListZoomRooms => Label::Heavy,
        }
    }

    /// `GET /users`: the method and the documented path.
    pub fn endpoint(self) -> String {
        format!("{} {}", self.method(), self.path())
    }

    /// Whether a token holding `granted` may make this call.
    pub fn allowed_by(self, granted: &BTreeSet<String>) -> bool {
        granted.contains(self.scope()) || self.classic_scopes().iter().any(|s| granted.contains(*s))
    }

    pub(crate) fn http_method(self) -> Method {
        match self.method() {
            "PUT" => Method::PUT,
            "DELETE" => Method::DELETE,
            "PATCH" => Method::PATCH,
            _ => Method::GET,
        }
    }
}

impl std::fmt::Display for ZoomCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method(), self.path())
    }
}

/// The calls among `calls` that a token holding `granted` may not make, each once, in
/// [`ZoomCall::ALL`] order.
pub fn missing_scopes(granted: &BTreeSet<String>, calls: impl IntoIterator<Item = ZoomCall>) -> Vec<ZoomCall> {
    let wanted: BTreeSet<ZoomCall> = calls.into_iter().collect();
    ZoomCall::ALL.into_iter().filter(|call| wanted.contains(call) && !call.allowed_by(granted)).collect()
}

/// The scopes table of `infra/README.md`: one row per call, in [`ZoomCall::ALL`] order.
pub fn markdown_table() -> String {
    let mut table = String::from("| call | endpoint | granular scope |\n|---|---|---|\n");
    for call in ZoomCall::ALL {
        // Writing to a String cannot fail.
        let _ = writeln!(table, "| {} | `{}` | `{}` |", call.purpose(), call.endpoint(), call.scope());
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(scopes: &[&str]) -> BTreeSet<String> {
        scopes.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn all_holds_every_call_once() {
        let distinct: BTreeSet<ZoomCall> = ZoomCall::ALL.into_iter().collect();
        assert_eq!(distinct.len(), ZoomCall::ALL.len());
        let scopes: BTreeSet<&str> = ZoomCall::ALL.iter().map(|c| c.scope()).collect();
        assert_eq!(scopes.len(), ZoomCall::ALL.len(), "one scope per call, so a missing scope names its call");
        let endpoints: BTreeSet<String> = ZoomCall::ALL.iter().map(|c| c.endpoint()).collect();
        assert_eq!(endpoints.len(), ZoomCall::ALL.len());
    }

    #[test]
    fn the_reqwest_method_is_the_documented_one() {
        for call in ZoomCall::ALL {
            assert_eq!(call.http_method().as_str(), call.method(), "{call:?}");
        }
    }

    #[test]
    fn missing_scopes_are_deduplicated_in_table_order() {
        let calls = [ZoomCall::ListZoomRooms, ZoomCall::DeleteUser, ZoomCall::ListUsers, ZoomCall::DeleteUser];
        let token = granted(&["user:read:list_users:admin"]);
        assert_eq!(missing_scopes(&token, calls), vec![ZoomCall::DeleteUser, ZoomCall::ListZoomRooms]);
        assert_eq!(missing_scopes(&granted(&[]), []), Vec::<ZoomCall>::new());
    }

    #[test]
    fn a_classic_admin_scope_allows_the_call_too() {
        let token = granted(&["user:write:admin"]);
        assert!(ZoomCall::DeleteUser.allowed_by(&token));
        assert!(ZoomCall::ListUsers.allowed_by(&token));
        assert!(!ZoomCall::ListRoles.allowed_by(&token));
        // A user-level scope allows acting on oneself only: not enough for an admin app.
        assert!(!ZoomCall::ListUsers.allowed_by(&granted(&["user:read:list_users"])));
    }

    #[test]
    fn the_table_has_a_header_and_one_row_per_call() {
        let table = markdown_table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 2 + ZoomCall::ALL.len());
        assert_eq!(lines[0], "| call | endpoint | granular scope |");
        assert_eq!(lines[2], "| list users (backup, diff, sweep) | `GET /users` | `user:read:list_users:admin` |");
        for (line, call) in lines[2..].iter().zip(ZoomCall::ALL) {
            // A `|` in a purpose would split its cell.
            assert_eq!(line.matches('|').count(), 4, "{line}");
            assert!(line.contains(call.scope()), "{line}");
        }
    }
}
