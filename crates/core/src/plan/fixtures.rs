//! The account the plan's unit tests decide against: users of a role, status and type,
//! in an account that names its roles and one Zoom Room.

use crate::snapshot::{Account, AccountUser, UserStatus};

pub(crate) fn user(id: Option<&str>, email: &str, status: UserStatus, user_type: u8, role: &str) -> AccountUser {
    AccountUser {
        id: id.map(Into::into),
        email: email.into(),
        first_name: "F".into(),
        last_name: "L".into(),
        user_type: user_type.into(),
        status,
        role_id: Some(format!("role-{role}").into()),
        last_login_time: None,
        user_created_at: None,
        employee_id: id.map(|i| format!("E-{i}").into()),
    }
}

pub(crate) fn account(users: Vec<AccountUser>) -> Account {
    Account {
        users,
        role_names: ["Owner", "Admin", "Member", "Help Desk"]
            .iter()
            .map(|name| (format!("role-{name}"), name.to_string()))
            .collect(),
        room_emails: ["room@acme.example".to_string()].into_iter().collect(),
    }
}
