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
