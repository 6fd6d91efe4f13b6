//! The backup: every user of the account, written before any change is sent, so an
//! operator can see (and restore) exactly what the account held.
//!
//! Two forms of the same users: a CSV that opens safely in Excel (a cell that would start
//! a formula is neutralised) and JSON Lines for machines, plus a manifest that says what
//! was backed up, when, and for which input.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::snapshot::AccountUser;

pub const BACKUP_HEADER: [&str; 10] = [
    "id",
    "email",
    "first_name",
    "last_name",
    "type",
    "status",
    "role_id",
    "last_login_time",
    "user_created_at",
    "employee_id",
];

/// A cell Excel would read as a formula (`=`, `+`, `-`, `@`, or a leading tab or CR) gets
/// a leading `'`, which Excel shows as text: OWASP's advice against CSV injection.
pub fn excel_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Renders the users as CSV with a header row.
pub fn backup_csv(users: &[AccountUser]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail, so the results are unit.
    let _ = writer.write_record(BACKUP_HEADER);
    for user in users {
        let user_type = user.user_type.to_string();
        let cells = [
            user.id.as_deref().unwrap_or(""),
            &user.email,
            &user.first_name,
            &user.last_name,
            &user_type,
            user.status.as_str(),
            user.role_id.as_deref().unwrap_or(""),
            user.last_login_time.as_deref().unwrap_or(""),
            user.user_created_at.as_deref().unwrap_or(""),
            user.employee_id.as_deref().unwrap_or(""),
        ];
        let _ = writer.write_record(cells.iter().map(|c| excel_safe(c)).collect::<Vec<_>>().iter().map(|c| c.as_ref()));
    }
    writer.into_inner().unwrap_or_default()
}

/// Renders the users as JSON Lines, one user per line, fields as the plan knows them.
pub fn backup_jsonl(users: &[AccountUser]) -> Vec<u8> {
    let mut out = Vec::with_capacity(users.len() * 256);
    // Writing to a Vec cannot fail.
    let _ = write_backup_jsonl(users, &mut out);
    out
}

/// [`backup_jsonl`] into a writer, a line at a time: the planner writes a million users
/// straight into the gzip encoder, never holding the uncompressed lines.
pub fn write_backup_jsonl<W: std::io::Write>(users: &[AccountUser], mut out: W) -> std::io::Result<W> {
    for user in users {
        serde_json::to_writer(&mut out, user)?;
        out.write_all(b"\n")?;
    }
    Ok(out)
}

/// What a backup holds: `backups/<run>/manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupManifest {
    pub run_id: String,
    pub taken_at: String,
    pub users: usize,
    pub by_status: BTreeMap<String, usize>,
    /// By Zoom user type: `1` Basic, `2` Licensed, ...
    pub by_type: BTreeMap<String, usize>,
    /// The object that started the run, when a file did.
    pub source_key: Option<String>,
    pub source_etag: Option<String>,
    pub source_version: Option<String>,
    pub csv_key: String,
    pub jsonl_gz_key: String,
}

impl BackupManifest {
    /// Counts the users; the caller fills in where the input and files are.
    pub fn count(users: &[AccountUser]) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
        let mut by_status = BTreeMap::new();
        let mut by_type = BTreeMap::new();
        for user in users {
            *by_status.entry(user.status.as_str().to_string()).or_insert(0) += 1;
            *by_type.entry(user.user_type.to_string()).or_insert(0) += 1;
        }
        (by_status, by_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{UserStatus, UserType};

    fn users() -> Vec<AccountUser> {
        vec![
            AccountUser {
                id: Some("u1".into()),
                email: "ana@acme.example".into(),
                first_name: "Ana".into(),
                last_name: "Lopez, Jr.".into(),
                user_type: UserType::Licensed,
                status: UserStatus::Active,
                role_id: Some("2".into()),
                last_login_time: Some("2026-10-01T10:00:00Z".into()),
                user_created_at: None,
                employee_id: Some("E1".into()),
            },
            AccountUser {
                id: None,
                email: "bo@acme.example".into(),
                first_name: "=HYPERLINK(\"http://evil.example\")".into(),
                last_name: "-Kim".into(),
                user_type: UserType::Basic,
                status: UserStatus::Pending,
                role_id: None,
                last_login_time: None,
                user_created_at: None,
                employee_id: None,
            },
        ]
    }

    #[test]
    fn writes_every_user_including_pending_ones_without_id() {
        let text = String::from_utf8(backup_csv(&users())).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines[0], BACKUP_HEADER.join(","));
        assert_eq!(lines[1], "u1,ana@acme.example,Ana,\"Lopez, Jr.\",2,active,2,2026-10-01T10:00:00Z,,E1");
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn neutralises_cells_excel_would_run_as_formulas() {
        let text = String::from_utf8(backup_csv(&users())).unwrap();
        let pending = text.lines().nth(2).unwrap();
        assert_eq!(pending, ",bo@acme.example,\"'=HYPERLINK(\"\"http://evil.example\"\")\",'-Kim,1,pending,,,,");
        for cell in ["+1", "@SUM(A1)", "\tx", "-2"] {
            assert!(excel_safe(cell).starts_with('\''), "{cell:?}");
        }
        assert_eq!(excel_safe("ana@acme.example"), "ana@acme.example");
    }

    #[test]
    fn json_lines_round_trip_and_the_manifest_counts() {
        let users = users();
        let jsonl = backup_jsonl(&users);
        let back: Vec<AccountUser> = jsonl
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(back, users);
        let (by_status, by_type) = BackupManifest::count(&users);
        assert_eq!(by_status.get("active"), Some(&1));
        assert_eq!(by_status.get("pending"), Some(&1));
        assert_eq!(by_type.get("2"), Some(&1));
    }
}
