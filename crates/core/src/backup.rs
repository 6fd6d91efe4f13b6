//! The backup: every user of the account as a CSV, written before any change is sent,
//! so an operator can see (and restore) exactly what the account held.

use crate::snapshot::AccountUser;

pub const BACKUP_HEADER: [&str; 9] =
    ["id", "email", "first_name", "last_name", "type", "status", "role_id", "last_login_time", "user_created_at"];

/// Renders the users as CSV with a header row.
pub fn backup_csv(users: &[AccountUser]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail, so the results are unit.
    let _ = writer.write_record(BACKUP_HEADER);
    for user in users {
        let user_type = user.user_type.to_string();
        let _ = writer.write_record([
            user.id.as_deref().unwrap_or(""),
            &user.email,
            &user.first_name,
            &user.last_name,
            &user_type,
            user.status.as_str(),
            user.role_id.as_deref().unwrap_or(""),
            user.last_login_time.as_deref().unwrap_or(""),
            user.user_created_at.as_deref().unwrap_or(""),
        ]);
    }
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::UserStatus;

    #[test]
    fn writes_every_user_including_pending_ones_without_id() {
        let users = vec![
            AccountUser {
                id: Some("u1".into()),
                email: "ana@acme.example".into(),
                first_name: "Ana".into(),
                last_name: "Lopez, Jr.".into(),
                user_type: 2,
                status: UserStatus::Active,
                role_id: Some("2".into()),
                last_login_time: Some("2026-10-01T10:00:00Z".into()),
                user_created_at: None,
            },
            AccountUser {
                id: None,
                email: "bo@acme.example".into(),
                first_name: "Bo".into(),
                last_name: "Kim".into(),
                user_type: 1,
                status: UserStatus::Pending,
                role_id: None,
                last_login_time: None,
                user_created_at: None,
            },
        ];
        let text = String::from_utf8(backup_csv(&users)).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines[0], BACKUP_HEADER.join(","));
        assert_eq!(lines[1], "u1,ana@acme.example,Ana,\"Lopez, Jr.\",2,active,2,2026-10-01T10:00:00Z,");
        assert_eq!(lines[2], ",bo@acme.example,Bo,Kim,1,pending,,,");
        assert_eq!(lines.len(), 3);
    }
}
