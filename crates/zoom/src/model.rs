//! Zoom's user objects, as the Users API sends them.

use serde::{Deserialize, Serialize};

/// A user's status, the `status` filter of `GET /users`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Active,
    Inactive,
    Pending,
}

impl UserStatus {
    pub const ALL: [UserStatus; 3] = [UserStatus::Active, UserStatus::Inactive, UserStatus::Pending];

    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Inactive => "inactive",
            UserStatus::Pending => "pending",
        }
    }
}

/// A user as `GET /users` lists it. Only `email` is required: Zoom omits `id` for
/// pending users and leaves out fields it has no value for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    #[serde(default)]
    pub id: Option<String>,
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(rename = "type", default)]
    pub user_type: u8,
    #[serde(default)]
    pub role_id: Option<String>,
    #[serde(default)]
    pub last_login_time: Option<String>,
    #[serde(default)]
    pub user_created_at: Option<String>,
    #[serde(default)]
    pub dept: Option<String>,
    /// Set for SSO users: the id HR systems know them by.
    #[serde(default)]
    pub employee_unique_id: Option<String>,
    /// The status the user was listed under (filled in by the client, which asked).
    #[serde(default = "unknown_status")]
    pub status: UserStatus,
}

fn unknown_status() -> UserStatus {
    UserStatus::Active
}

#[derive(Debug, Deserialize)]
pub(crate) struct UserPage {
    #[serde(default)]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub users: Vec<User>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    pub code: Option<i64>,
    #[serde(default)]
    pub message: String,
}

/// A user as `GET /users/{userId}` shows it: what Offboard checks before it acts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    #[serde(default)]
    pub id: Option<String>,
    pub email: String,
    #[serde(rename = "type", default)]
    pub user_type: u8,
    #[serde(default)]
    pub status: Option<UserStatus>,
    #[serde(default)]
    pub role_id: Option<String>,
    /// `Owner`, `Admin`, `Member` or a custom role's name: how owners and admins are known.
    #[serde(default)]
    pub role_name: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
}

/// `GET /users/summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Summary {
    pub licensed_users_count: u64,
    pub basic_users_count: u64,
    pub on_prem_users_count: u64,
    pub room_users_count: u64,
    pub pending_users_count: u64,
    pub join_only_users_count: u64,
    pub total_users_count: u64,
}

/// `action` of `DELETE /users/{userId}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DeleteAction {
    /// Unlink: the user keeps a free Basic account of their own. Zoom's default.
    #[default]
    Disassociate,
    /// Remove the user and their data for good.
    Delete,
}

/// What `DELETE /users/{userId}` does with the user's things.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DeleteOptions {
    pub action: DeleteAction,
    /// Who receives the user's meetings, webinars, recordings and whiteboards.
    pub transfer_email: Option<String>,
    pub transfer_meeting: bool,
    pub transfer_webinar: bool,
    pub transfer_recording: bool,
    pub transfer_whiteboard: bool,
}

/// A role of the account, as `GET /roles` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RolePage {
    #[serde(default)]
    pub roles: Vec<Role>,
}

/// One Zoom Room of the Dashboards list; only what Offboard needs.
#[derive(Debug, Deserialize)]
pub(crate) struct ZoomRoom {
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RoomPage {
    #[serde(default)]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub zoom_rooms: Vec<ZoomRoom>,
}
