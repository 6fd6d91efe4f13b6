//! Loading the simulated account from an account backup, so that an operator can rehearse
//! a plan against a copy of the real account's shape instead of a seeded one.
//!
//! A backup is a folder, as `offboard backup --out DIR` writes it:
//! - `users.jsonl`: one [`offboard_core::AccountUser`] per line, as
//!   [`offboard_core::backup_jsonl`] writes them; or, when that file is absent,
//!   `users.csv` as [`offboard_core::backup_csv`] writes it (a cell that would start an
//!   Excel formula carries a leading `'`, which is taken off again here);
//! - `account.json`, optional: `role_names` (role id to name) and `room_emails`; any other
//!   field is ignored. Without it (or without one of the two fields) role names come from
//!   the ids the users have: Zoom's built-in `0` Owner, `1` Admin, `2` Member and the seeded
//!   account's own ids; any other id is a custom role named by its id. And no Zoom Rooms.
//!
//! What the backup holds is served as it is: ids, emails, names, statuses, types, role
//! ids, sign-in and creation times (the text as written), employee ids. What it cannot hold
//! is decided the same way on every load, never at random:
//! - no user has upcoming meetings or cloud recordings: a backup holds neither, and
//!   inventing some would make a rehearsal keep users the real account would not (tests
//!   that want some add them through `ZoomSim::with_state`);
//! - nobody is a managed-domain user, a Zoom Events owner or has an expired invitation, so
//!   Zoom's refusals for those never happen;
//! - a user with an employee id signs in with SSO, since Zoom shows that id only for them;
//! - a Zoom Room is a user whose email is one of `room_emails` (compared as the planner
//!   compares emails); a room email no user has is served as a room that is not a user;
//! - the owner is whoever has the role named `Owner`, the admins those with the role named
//!   `Admin`: both are refused status changes and removals, as in Zoom. Custom roles act
//!   as members;
//! - a pending user (listed without an id, as in Zoom) gets a hidden id derived from their
//!   email, every user a personal meeting id derived from it; time zone and department
//!   are empty.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use offboard_core::table::{self, InputError};
use offboard_core::{email, AccountUser, UserStatus, UserType};
use serde::Deserialize;

use crate::model::{Role, SimRole, SimRoom, SimUser, Status};
use crate::population::{self, Population};
use crate::rng::SplitMix64;

pub const USERS_JSONL: &str = "users.jsonl";
pub const USERS_CSV: &str = "users.csv";
pub const ACCOUNT_JSON: &str = "account.json";

/// Why a backup could not be loaded. Every variant names the folder or file, and a bad
/// line its line number: `DIR/users.jsonl line 17: missing field `email``.
#[derive(Debug, thiserror::Error)]
pub enum FromBackupError {
    #[error("{}: not a folder", dir.display())]
    NotAFolder { dir: PathBuf },
    #[error("{}: no {USERS_JSONL} or {USERS_CSV} in this folder", dir.display())]
    NoUsersFile { dir: PathBuf },
    #[error("{}: {error}", path.display())]
    Read { path: PathBuf, error: std::io::Error },
    /// The file as a whole: empty, not text, no users, a missing column.
    #[error("{}: {reason}", path.display())]
    File { path: PathBuf, reason: String },
    #[error("{} line {line}: {reason}", path.display())]
    Line { path: PathBuf, line: u64, reason: String },
}

/// `account.json`: only the two fields the simulator serves.
#[derive(Debug, Default, Deserialize)]
struct AccountFile {
    #[serde(default)]
    role_names: Option<BTreeMap<String, String>>,
    #[serde(default)]
    room_emails: Option<Vec<String>>,
}

impl Population {
    /// Reads the account backed up in `dir` (see the module's documentation for the
    /// folder's format and what a backup cannot say).
    pub fn from_backup(dir: &Path) -> Result<Population, FromBackupError> {
        if !dir.is_dir() {
            return Err(FromBackupError::NotAFolder { dir: dir.to_path_buf() });
        }
        let account_path = dir.join(ACCOUNT_JSON);
        let account = match read_if_present(&account_path)? {
            None => AccountFile::default(),
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| FromBackupError::Line {
                path: account_path.clone(),
                line: e.line() as u64,
                reason: json_reason(&e),
            })?,
        };
        let jsonl_path = dir.join(USERS_JSONL);
        let csv_path = dir.join(USERS_CSV);
        let (path, users) = match read_if_present(&jsonl_path)? {
            Some(bytes) => {
                let users = read_jsonl(&jsonl_path, &bytes)?;
                (jsonl_path, users)
            }
            None => match read_if_present(&csv_path)? {
                Some(bytes) => {
                    let users = read_csv(&csv_path, &bytes)?;
                    (csv_path, users)
                }
                None => return Err(FromBackupError::NoUsersFile { dir: dir.to_path_buf() }),
            },
        };
        build(&path, users, account)
    }
}

fn read_if_present(path: &Path) -> Result<Option<Vec<u8>>, FromBackupError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(FromBackupError::Read { path: path.to_path_buf(), error }),
    }
}

/// A serde_json error without its "at line L column C" (one JSON Lines line is line 1 to
/// serde): the line is the caller's to say; the column is kept for syntax errors.
fn json_reason(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let located = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&located) {
        Some(reason) if error.is_data() => reason.to_string(),
        Some(reason) => format!("{reason} (column {})", error.column()),
        None => text,
    }
}

fn read_jsonl(path: &Path, bytes: &[u8]) -> Result<Vec<(u64, AccountUser)>, FromBackupError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut users = Vec::new();
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let number = index as u64 + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let user = serde_json::from_slice(line).map_err(|e| FromBackupError::Line {
            path: path.to_path_buf(),
            line: number,
            reason: json_reason(&e),
        })?;
        users.push((number, user));
    }
    Ok(users)
}

/// Takes off the `'` that [`offboard_core::backup::excel_safe`] puts before a cell Excel
/// would read as a formula.
fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

fn parse_status(text: &str) -> Option<UserStatus> {
    UserStatus::ALL.into_iter().find(|s| s.as_str() == text)
}

fn read_csv(path: &Path, bytes: &[u8]) -> Result<Vec<(u64, AccountUser)>, FromBackupError> {
    let file_error = |reason: String| FromBackupError::File { path: path.to_path_buf(), reason };
    let line_error = |line: u64, reason: String| FromBackupError::Line { path: path.to_path_buf(), line, reason };
    let table = table::read_table(&path.display().to_string(), bytes).map_err(|error| match error {
        InputError::Malformed { line, detail, .. } => line_error(line, detail),
        InputError::NotText { detail, .. } => file_error(format!("not a text file ({detail})")),
        InputError::Empty { .. } => file_error("the file is empty".to_string()),
        _ => file_error("not a CSV file".to_string()),
    })?;
    let column = |name: &str| table.headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let required = |name: &str| {
        column(name).ok_or_else(|| {
            let reason = format!("no {name} column (header: {})", table.headers.join(","));
            line_error(table.header_line, reason)
        })
    };
    let (id, email, user_type, status) = (required("id")?, required("email")?, required("type")?, required("status")?);
    let [first_name, last_name, role_id, last_login_time, user_created_at, employee_id] =
        ["first_name", "last_name", "role_id", "last_login_time", "user_created_at", "employee_id"].map(column);

    let mut users = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let text = |column: Option<usize>| column.map_or("", |c| unescape(row.get(c)));
        let optional = |column: Option<usize>| Some(text(column)).filter(|t| !t.is_empty()).map(str::to_string);
        let type_text = text(Some(user_type)).trim();
        let parsed_type = type_text
            .parse::<u8>()
            .map(UserType::from)
            .map_err(|_| line_error(row.line, format!("type {type_text:?} is not a Zoom user type")))?;
        let status_text = text(Some(status)).trim();
        let parsed_status = parse_status(status_text).ok_or_else(|| {
            line_error(row.line, format!("status {status_text:?} is not active, inactive or pending"))
        })?;
        let user = AccountUser {
            id: optional(Some(id)).map(Into::into),
            email: text(Some(email)).into(),
            first_name: text(first_name).into(),
            last_name: text(last_name).into(),
            user_type: parsed_type,
            status: parsed_status,
            role_id: optional(role_id).map(Into::into),
            last_login_time: optional(last_login_time).map(Into::into),
            user_created_at: optional(user_created_at).map(Into::into),
            employee_id: optional(employee_id).map(Into::into),
        };
        users.push((row.line, user));
    }
    Ok(users)
}

/// FNV-1a: a stable hash to derive what a backup does not hold from what it does.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xCBF2_9CE4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01B3))
}

/// The name of a role id the backup does not name: Zoom's built-in ids, then the seeded
/// account's.
fn default_role_name(id: &str) -> Option<&'static str> {
    match id {
        "0" => Some(Role::Owner.name()),
        "1" => Some(Role::Admin.name()),
        "2" => Some(Role::Member.name()),
        _ => Role::ALL.iter().find(|role| role.id() == id).map(|role| role.name()),
    }
}

fn rank(kind: Role) -> u8 {
    match kind {
        Role::Owner => 0,
        Role::Admin => 1,
        Role::Member => 2,
        Role::Custom => 3,
    }
}

fn roles(named: &BTreeMap<String, String>, users: &[(u64, AccountUser)]) -> Vec<SimRole> {
    let mut ids: Vec<&str> = named.keys().map(String::as_str).collect();
    ids.extend(users.iter().filter_map(|(_, u)| u.role_id.as_deref()).filter(|id| !id.is_empty()));
    let ids: HashSet<&str> = ids.into_iter().collect();
    let mut roles: Vec<SimRole> = ids
        .into_iter()
        .map(|id| {
            let name = named.get(id).cloned().or_else(|| default_role_name(id).map(str::to_string));
            let name = name.unwrap_or_else(|| id.to_string());
            let kind = Role::from_name(&name);
            let description =
                if kind == Role::Custom { "Custom role.".to_string() } else { kind.description().to_string() };
            SimRole { id: id.to_string(), name, description, kind }
        })
        .collect();
    roles.sort_by(|a, b| (rank(a.kind), &a.id).cmp(&(rank(b.kind), &b.id)));
    roles
}

fn parse_time(text: Option<&str>) -> Result<Option<Timestamp>, String> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t.parse::<Timestamp>().map(Some).map_err(|_| format!("{t:?} is not an RFC 3339 time")),
    }
}

/// Whether Zoom could have issued this id: no `@` (the API would take it for an email),
/// no `/`, no whitespace.
fn plausible_id(id: &str) -> bool {
    !id.is_empty() && !id.contains(['@', '/']) && !id.chars().any(char::is_whitespace)
}

fn build(path: &Path, users: Vec<(u64, AccountUser)>, account: AccountFile) -> Result<Population, FromBackupError> {
    let line_error = |line: u64, reason: String| FromBackupError::Line { path: path.to_path_buf(), line, reason };
    if users.is_empty() {
        return Err(FromBackupError::File { path: path.to_path_buf(), reason: "holds no users".to_string() });
    }
    let roles = roles(&account.role_names.unwrap_or_default(), &users);
    let kinds: HashMap<&str, Role> = roles.iter().map(|r| (r.id.as_str(), r.kind)).collect();
    let room_emails: Vec<(String, String)> = account
        .room_emails
        .unwrap_or_default()
        .into_iter()
        .map(|e| (email::normalize(&e), e.trim().to_string()))
        .filter(|(normalized, _)| !normalized.is_empty())
        .collect();
    let room_set: HashSet<&str> = room_emails.iter().map(|(n, _)| n.as_str()).collect();

    // Check every line first, so ids are known before pending users get theirs.
    let mut emails: HashMap<String, u64> = HashMap::new();
    let mut ids: HashMap<String, u64> = HashMap::new();
    for (line, user) in &users {
        let normalized = email::normalize(&user.email);
        if let Some(reason) = email::invalid_reason(&normalized) {
            return Err(line_error(*line, format!("{reason}: {:?}", user.email)));
        }
        if let Some(first) = emails.insert(normalized, *line) {
            return Err(line_error(*line, format!("email {} is also on line {first}", user.email)));
        }
        match user.id.as_deref().filter(|id| !id.is_empty()) {
            None if user.status != UserStatus::Pending => {
                return Err(line_error(*line, format!("an {} user has no id", user.status.as_str())));
            }
            None => {}
            Some(id) if !plausible_id(id) => return Err(line_error(*line, format!("id {id:?} is not a Zoom user id"))),
            Some(id) => {
                if let Some(first) = ids.insert(id.to_string(), *line) {
                    return Err(line_error(*line, format!("id {id} is also on line {first}")));
                }
            }
        }
    }

    let mut sim_users = Vec::with_capacity(users.len());
    for (line, user) in users {
        let normalized = email::normalize(&user.email);
        let mut rng = SplitMix64::new(stable_hash(&normalized));
        let key = match user.id.filter(|id| !id.is_empty()) {
            Some(id) => id.into_string(),
            None => loop {
                let id = rng.opaque_id();
                if !ids.contains_key(&id) {
                    ids.insert(id.clone(), line);
                    break id;
                }
            },
        };
        let last_login = parse_time(user.last_login_time.as_deref())
            .map_err(|e| line_error(line, format!("last_login_time {e}")))?;
        let created = parse_time(user.user_created_at.as_deref())
            .map_err(|e| line_error(line, format!("user_created_at {e}")))?;
        let role_id = user.role_id.filter(|id| !id.is_empty()).map(|id| id.into_string());
        let role = role_id.as_deref().and_then(|id| kinds.get(id).copied()).unwrap_or(Role::Member);
        let status = match user.status {
            UserStatus::Active => Status::Active,
            UserStatus::Inactive => Status::Inactive,
            UserStatus::Pending => Status::Pending,
        };
        let display_name = format!("{} {}", user.first_name, user.last_name).trim().to_string();
        sim_users.push(SimUser {
            key,
            is_room: room_set.contains(normalized.as_str()),
            first_name: user.first_name.into_string(),
            last_name: user.last_name.into_string(),
            user_type: user.user_type.code(),
            status,
            role,
            role_id,
            managed_domain: false,
            events_owner: false,
            invitation_expired: false,
            sso: user.employee_id.is_some(),
            employee_id: user.employee_id.unwrap_or_default().into_string(),
            pmi: 1_000_000_000 + rng.below(8_999_999_999),
            timezone: String::new(),
            dept: String::new(),
            user_created_at: created.unwrap_or_else(population::epoch),
            last_login_time: last_login,
            created_text: user.user_created_at.unwrap_or_default().into_string(),
            last_login_text: user.last_login_time.filter(|t| !t.is_empty()).map(|t| t.into_string()),
            display_name,
            verified: status != Status::Pending,
            meetings: Vec::new(),
            recordings: Vec::new(),
            email: user.email.into_string(),
        });
    }

    let mut seen_rooms = HashSet::new();
    let rooms = room_emails
        .iter()
        .filter(|(normalized, _)| !emails.contains_key(normalized) && seen_rooms.insert(normalized.clone()))
        .map(|(normalized, email)| SimRoom {
            id: SplitMix64::new(stable_hash(&format!("room:{normalized}"))).opaque_id(),
            name: email.split('@').next().unwrap_or(email).to_string(),
            email: email.clone(),
        })
        .collect();
    Ok(Population { users: sim_users, roles, rooms, source: Some(path.to_path_buf()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_off_only_the_quote_excel_safe_adds() {
        for cell in ["=SUM(A1)", "+1", "-Kim", "@home", "\tx", "plain", "'quoted", ""] {
            assert_eq!(unescape(&offboard_core::backup::excel_safe(cell)), cell);
        }
    }

    #[test]
    fn a_json_error_keeps_its_reason_and_drops_serdes_location() {
        let missing = serde_json::from_str::<AccountUser>("{}").unwrap_err();
        assert_eq!(json_reason(&missing), "missing field `email`");
        let syntax = serde_json::from_str::<AccountUser>("{\"email\" 1}").unwrap_err();
        assert_eq!(json_reason(&syntax), "expected `:` (column 10)");
    }

    #[test]
    fn role_names_come_from_the_backup_then_from_known_ids() {
        let named = BTreeMap::from([("7".to_string(), "Help Desk".to_string())]);
        let user = |role: &str| {
            let mut user: AccountUser = serde_json::from_str(
                r#"{"id":"u","email":"a@b.example","first_name":"","last_name":"","user_type":1,
                    "status":"active","role_id":null,"last_login_time":null,"user_created_at":null}"#,
            )
            .unwrap();
            user.role_id = Some(role.into());
            (1, user)
        };
        let roles = roles(&named, &[user("2"), user("0"), user("x9"), user(Role::Admin.id())]);
        let names: Vec<(&str, &str, Role)> = roles.iter().map(|r| (r.id.as_str(), r.name.as_str(), r.kind)).collect();
        assert_eq!(
            names,
            [
                ("0", "Owner", Role::Owner),
                (Role::Admin.id(), "Admin", Role::Admin),
                ("2", "Member", Role::Member),
                ("7", "Help Desk", Role::Custom),
                ("x9", "x9", Role::Custom),
            ]
        );
    }
}
