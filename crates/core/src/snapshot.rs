//! The account as the planner saw it: every user of every status, the role names, and
//! the Zoom Rooms, taken once per run.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::email;

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
    /// Zoom's `employee_unique_id` (SSO users), what HR files may match on.
    #[serde(default)]
    pub employee_id: Option<String>,
}

impl AccountUser {
    pub fn is_licensed(&self) -> bool {
        self.user_type == 2
    }

    /// A pending invitation: no id, nothing hosted or recorded yet.
    pub fn is_invitation(&self) -> bool {
        self.status == UserStatus::Pending || self.id.is_none()
    }
}

/// What the planner knows of the account: its users and the two facts the user list
/// does not carry (what each `role_id` is called, and which users are Zoom Rooms).
#[derive(Debug, Clone, Default)]
pub struct Account {
    pub users: Vec<AccountUser>,
    /// `role_id` to role name, from one `GET /roles` call.
    pub role_names: HashMap<String, String>,
    /// Emails (normalized) of Zoom Rooms, from one Zoom Rooms list.
    pub room_emails: HashSet<String>,
}

impl Account {
    /// The name of a user's role, when the roles list knows its id.
    pub fn role_name(&self, user: &AccountUser) -> Option<&str> {
        user.role_id.as_ref().and_then(|id| self.role_names.get(id)).map(String::as_str)
    }

    pub fn is_room(&self, user: &AccountUser) -> bool {
        !self.room_emails.is_empty() && self.room_emails.contains(email::normalized(&user.email).as_ref())
    }
}
