//! The account as the planner saw it: every user of every status, taken once per run.

use serde::{Deserialize, Serialize};

/// A Zoom user's status, as `GET /users?status=` names it.
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

/// One user of the account, with what the plan and the backup need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUser {
    /// Absent for pending users: Zoom lists them without an id.
    pub id: Option<String>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// 1 Basic, 2 Licensed, 4 Unassigned without Meetings Basic.
    pub user_type: u8,
    pub status: UserStatus,
    pub role_id: Option<String>,
    pub last_login_time: Option<String>,
    pub user_created_at: Option<String>,
}

impl AccountUser {
    pub fn is_licensed(&self) -> bool {
        self.user_type == 2
    }
}
