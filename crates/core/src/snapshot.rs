//! The account as the planner saw it: every user of every status, the role names, and
//! the Zoom Rooms, taken once per run.

use std::collections::{HashMap, HashSet};

use compact_str::CompactString;
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

/// A Zoom user's `type`: the plan the user is on (`GET /users` `type`, `PATCH {"type":N}`).
/// Written as Zoom's number, in JSON and in the backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "u8", into = "u8")]
pub enum UserType {
    /// 1: no paid license.
    Basic,
    /// 2: holds a paid license.
    Licensed,
    /// 4: Unassigned without Meetings Basic.
    Unassigned,
    /// 99: None (set only by `ssoCreate`, and deprecated).
    None,
    /// A code Zoom does not document: kept as it came, so a backup and an undo lose nothing.
    Other(u8),
}

impl UserType {
    /// Zoom's number for the type.
    pub fn code(self) -> u8 {
        match self {
            UserType::Basic => 1,
            UserType::Licensed => 2,
            UserType::Unassigned => 4,
            UserType::None => 99,
            UserType::Other(code) => code,
        }
    }
}

impl From<u8> for UserType {
    fn from(code: u8) -> Self {
        match code {
            1 => UserType::Basic,
            2 => UserType::Licensed,
            4 => UserType::Unassigned,
            99 => UserType::None,
            other => UserType::Other(other),
        }
    }
}

impl From<UserType> for u8 {
    fn from(user_type: UserType) -> u8 {
        user_type.code()
    }
}

/// Zoom's number: how people and the backup have always seen the type.
impl std::fmt::Display for UserType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// One user of the account, with what the plan and the backup need.
///
/// Its strings are [`CompactString`]s: a million of these are held at once, and Zoom's ids,
/// timestamps and most names fit in one inline (24 bytes), with no allocation of their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUser {
    /// Absent for pending users: Zoom lists them without an id.
    pub id: Option<CompactString>,
    pub email: CompactString,
    pub first_name: CompactString,
    pub last_name: CompactString,
    pub user_type: UserType,
    pub status: UserStatus,
    pub role_id: Option<CompactString>,
    pub last_login_time: Option<CompactString>,
    pub user_created_at: Option<CompactString>,
    /// Zoom's `employee_unique_id` (SSO users), what HR files may match on.
    #[serde(default)]
    pub employee_id: Option<CompactString>,
}

impl AccountUser {
    pub fn is_licensed(&self) -> bool {
        self.user_type == UserType::Licensed
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
        user.role_id.as_deref().and_then(|id| self.role_names.get(id)).map(String::as_str)
    }

    pub fn is_room(&self, user: &AccountUser) -> bool {
        !self.room_emails.is_empty() && self.room_emails.contains(email::normalized(&user.email).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::UserType;

    #[test]
    fn a_user_type_reads_and_writes_as_zooms_number_and_keeps_an_undocumented_one() {
        for code in [1u8, 2, 4, 99, 3, 0] {
            let user_type: UserType = serde_json::from_str(&code.to_string()).unwrap();
            assert_eq!(serde_json::to_string(&user_type).unwrap(), code.to_string());
            assert_eq!((user_type.code(), user_type.to_string()), (code, code.to_string()));
        }
        assert_eq!(UserType::from(2), UserType::Licensed);
        assert_eq!(UserType::from(3), UserType::Other(3));
    }
}
