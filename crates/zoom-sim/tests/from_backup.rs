//! The simulator loaded from an account backup (`zoom-sim --from-backup DIR`), checked
//! through HTTP with Offboard's own Zoom client: the account it serves is the one the
//! backup holds, with Zoom's refusals for its owner, and a bad backup is refused with the
//! file and line at fault. The backups are written with `offboard_core`'s own writers.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};

use offboard_core::{backup_csv, backup_jsonl, AccountUser, UserStatus as CoreStatus};
use offboard_zoom::{Credentials, DeleteOptions, Endpoints, User, UserStatus, ZoomClient};
use serde_json::json;
use zoom_sim::{FromBackupError, Population, SimConfig, ZoomSim};

fn user(id: Option<&str>, email: &str, user_type: u8, status: CoreStatus, role_id: &str) -> AccountUser {
    let local = email.split('@').next().unwrap();
    let (first, last) = local.split_once('.').unwrap_or((local, ""));
    AccountUser {
        id: id.map(Into::into),
        email: email.into(),
        first_name: first.into(),
        last_name: last.into(),
        user_type: user_type.into(),
        status,
        role_id: Some(role_id.into()),
        last_login_time: (status != CoreStatus::Pending).then(|| "2026-09-30T08:15:00Z".into()),
        user_created_at: Some("2021-03-04T05:06:07Z".into()),
        employee_id: None,
    }
}

/// A small account as a real one looks: Zoom's role ids `0` `1` `2`, a custom role, a
/// Zoom Room among the users, every status, an SSO user with an employee id.
fn account_users() -> Vec<AccountUser> {
    let mut users = vec![
        user(Some("KdYKjnimT4KPd8FFgQt9FQ"), "olga.owner@corp.example", 2, CoreStatus::Active, "0"),
        user(Some("z8yCxjabR7ekCDsRTKLmdQ"), "adam.admin@corp.example", 2, CoreStatus::Active, "1"),
        user(Some("3hT5pQ9sRkq0vWmNxYzA1b"), "mia.member@corp.example", 2, CoreStatus::Active, "2"),
        user(Some("Lq2wE4rT6yU8iO0pAsDfGh"), "ivo.idle@corp.example", 1, CoreStatus::Inactive, "2"),
        user(
            Some("Hd7Kx9Vb3Nm5Qw1Er8Ty2u"),
            "hal.helpdesk@corp.example",
            2,
            CoreStatus::Active,
            "Rk3jD9aQQhC0vX1m2Y7z0w",
        ),
        user(Some("Rm0oMzA9qP8sL7kJ6hG5fE"), "boardroom@corp.example", 2, CoreStatus::Active, "2"),
        user(None, "pia.pending@corp.example", 1, CoreStatus::Pending, "2"),
    ];
    users[2].employee_id = Some("E-1001".into());
    users[2].last_name = "-Member".into(); // Excel would read it as a formula
    users
}

fn account_json() -> serde_json::Value {
    json!({
        "role_names": {"0": "Owner", "1": "Admin", "2": "Member", "Rk3jD9aQQhC0vX1m2Y7z0w": "Help Desk", "9": "Auditor"},
        "room_emails": ["Boardroom@corp.example", "lobby-display@corp.example"],
        "taken_at": "2026-10-01T00:00:00Z",
        "account_id": "ignored",
    })
}

fn write_backup(dir: &Path, users_file: (&str, Vec<u8>), account: Option<serde_json::Value>) {
    std::fs::write(dir.join(users_file.0), users_file.1).unwrap();
    if let Some(account) = account {
        std::fs::write(dir.join("account.json"), serde_json::to_vec_pretty(&account).unwrap()).unwrap();
    }
}

async fn start_from(dir: &Path) -> ZoomSim {
    let config = SimConfig::from_backup(dir).unwrap();
    ZoomSim::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap()
}

fn client_for(sim: &ZoomSim) -> ZoomClient {
    let app = SimConfig::default().app;
    ZoomClient::new(
        Endpoints { api_base: sim.api_url(), oauth_url: sim.oauth_url() },
        Credentials { account_id: app.account_id, client_id: app.client_id, client_secret: app.client_secret },
    )
    .unwrap()
}

/// What of a user the backup and the listing share: id, type, status, role id, last sign-in.
type Shared = (Option<String>, u8, String, Option<String>, Option<String>);

/// Each user's [`Shared`] fields, by email, from either side: `fields` picks them.
fn by_email<T>(users: &[T], fields: impl Fn(&T) -> (String, Shared)) -> BTreeMap<String, Shared> {
    users.iter().map(fields).collect()
}

fn listed(users: &[User]) -> BTreeMap<String, Shared> {
    by_email(users, |u| {
        (
            u.email.clone(),
            (u.id.clone(), u.user_type, u.status.as_str().into(), u.role_id.clone(), u.last_login_time.clone()),
        )
    })
}

fn backed_up(users: &[AccountUser]) -> BTreeMap<String, Shared> {
    by_email(users, |u| {
        (
            u.email.to_string(),
            (
                u.id.as_ref().map(ToString::to_string),
                u.user_type.code(),
                u.status.as_str().into(),
                u.role_id.as_ref().map(ToString::to_string),
                u.last_login_time.as_ref().map(ToString::to_string),
            ),
        )
    })
}

#[tokio::test]
async fn a_backup_is_served_as_the_account_it_was_taken_from() {
    let dir = tempfile::tempdir().unwrap();
    let users = account_users();
    write_backup(dir.path(), ("users.jsonl", backup_jsonl(&users)), Some(account_json()));
    let sim = start_from(dir.path()).await;
    // Pages of two: every status takes more than one page.
    let client = client_for(&sim).with_page_size(2);

    let listed_users = client.list_all_users().await.unwrap();
    assert_eq!(listed_users.len(), users.len());
    assert_eq!(listed(&listed_users), backed_up(&users));
    let by_email = |email: &str| listed_users.iter().find(|u| u.email == email).unwrap();
    let mia = by_email("mia.member@corp.example");
    assert_eq!(mia.employee_unique_id.as_deref(), Some("E-1001"), "an SSO user shows the employee id");
    assert_eq!(mia.last_name, "-Member");
    assert_eq!(mia.user_created_at.as_deref(), Some("2021-03-04T05:06:07Z"));

    // A pending user is listed without an id, and found by email.
    let pending = by_email("pia.pending@corp.example");
    assert_eq!((pending.id.as_deref(), pending.status), (None, UserStatus::Pending));
    assert_eq!(client.get_user("pia.pending@corp.example").await.unwrap().id, None);

    // Status filters: exactly the backup's users of each status.
    for status in UserStatus::ALL {
        let mut emails: Vec<String> = client.list_users(status).await.unwrap().into_iter().map(|u| u.email).collect();
        let mut expected: Vec<String> =
            users.iter().filter(|u| u.status.as_str() == status.as_str()).map(|u| u.email.to_string()).collect();
        emails.sort();
        expected.sort();
        assert_eq!(emails, expected, "{status:?}");
        assert_eq!(client.total_records(status).await.unwrap(), expected.len() as u64);
    }

    // Roles by the backup's ids and names, the unused one included; the owner by name.
    let roles: BTreeMap<String, String> =
        client.list_roles().await.unwrap().into_iter().map(|r| (r.id, r.name)).collect();
    let expected: BTreeMap<String, String> = account_json()["role_names"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, name)| (id.clone(), name.as_str().unwrap().to_string()))
        .collect();
    assert_eq!(roles, expected);
    let owner = client.get_user("KdYKjnimT4KPd8FFgQt9FQ").await.unwrap();
    assert_eq!((owner.role_id.as_deref(), owner.role_name.as_deref()), (Some("0"), Some("Owner")));
    let hal = client.get_user("hal.helpdesk@corp.example").await.unwrap();
    assert_eq!(hal.role_name.as_deref(), Some("Help Desk"));

    // Zoom Rooms: the user whose email is a room's, and the room that is not a user.
    let mut rooms = client.zoom_room_emails().await.unwrap();
    rooms.sort();
    assert_eq!(rooms, ["boardroom@corp.example", "lobby-display@corp.example"]);

    let summary = client.summary().await.unwrap();
    assert_eq!(
        (summary.licensed_users_count, summary.basic_users_count, summary.room_users_count),
        (4, 1, 1),
        "licensed: owner, admin, member, help desk; basic: the inactive user; one room user"
    );
    assert_eq!((summary.pending_users_count, summary.total_users_count), (1, 6));

    // No upcoming meetings nor recordings: a backup holds none.
    assert_eq!(client.upcoming_meetings("3hT5pQ9sRkq0vWmNxYzA1b").await.unwrap(), 0);
    assert_eq!(client.cloud_recordings("3hT5pQ9sRkq0vWmNxYzA1b", "2020-01-01", "2030-01-01").await.unwrap(), 0);
}

#[tokio::test]
async fn the_owner_and_admins_are_refused_as_zoom_refuses_them_and_members_change() {
    let dir = tempfile::tempdir().unwrap();
    write_backup(dir.path(), ("users.jsonl", backup_jsonl(&account_users())), Some(account_json()));
    let sim = start_from(dir.path()).await;
    let client = client_for(&sim);

    let owner = "KdYKjnimT4KPd8FFgQt9FQ";
    let refused = client.deactivate(owner).await.unwrap_err();
    assert_eq!(refused.status_and_code(), Some((400, Some(200))));
    let refused = client.delete(owner, &DeleteOptions::default()).await.unwrap_err();
    assert_eq!(refused.status_and_code(), Some((400, Some(1117))));
    let admin = client.deactivate("z8yCxjabR7ekCDsRTKLmdQ").await.unwrap_err();
    assert_eq!(admin.status_and_code(), Some((400, Some(200))));
    let room = client.downgrade_to_basic("Rm0oMzA9qP8sL7kJ6hG5fE").await.unwrap_err();
    assert_eq!(room.status_and_code(), Some((400, Some(200))));

    // A custom role acts as a member: deactivated, then listed among the inactive.
    client.deactivate("Hd7Kx9Vb3Nm5Qw1Er8Ty2u").await.unwrap();
    let inactive = client.list_users(UserStatus::Inactive).await.unwrap();
    assert!(inactive.iter().any(|u| u.email == "hal.helpdesk@corp.example" && u.user_type == 1));
    client.delete("3hT5pQ9sRkq0vWmNxYzA1b", &DeleteOptions::default()).await.unwrap();
    assert_eq!(client.list_all_users().await.unwrap().len(), 6);

    // A reset goes back to the backup, not to a seeded account.
    sim.with_state(|s| s.reset());
    assert_eq!(listed(&client.list_all_users().await.unwrap()), backed_up(&account_users()));
}

#[tokio::test]
async fn the_csv_form_loads_when_there_is_no_json_lines_file() {
    let dir = tempfile::tempdir().unwrap();
    let users = account_users();
    let csv = backup_csv(&users);
    assert!(String::from_utf8_lossy(&csv).contains(",'-Member,"), "the writer neutralised the formula");
    write_backup(dir.path(), ("users.csv", csv), None);
    let population = Population::from_backup(dir.path()).unwrap();
    assert_eq!(population.source.as_deref(), Some(dir.path().join("users.csv").as_path()));
    let sim = start_from(dir.path()).await;
    let client = client_for(&sim).with_page_size(3);

    let listed_users = client.list_all_users().await.unwrap();
    assert_eq!(listed(&listed_users), backed_up(&users));
    let mia = listed_users.iter().find(|u| u.email == "mia.member@corp.example").unwrap();
    assert_eq!((mia.last_name.as_str(), mia.employee_unique_id.as_deref()), ("-Member", Some("E-1001")));

    // Without account.json: Zoom's built-in ids are named, the custom one by its id; no rooms.
    let roles: BTreeMap<String, String> =
        client.list_roles().await.unwrap().into_iter().map(|r| (r.id, r.name)).collect();
    let expected =
        [("0", "Owner"), ("1", "Admin"), ("2", "Member"), ("Rk3jD9aQQhC0vX1m2Y7z0w", "Rk3jD9aQQhC0vX1m2Y7z0w")];
    assert_eq!(roles, BTreeMap::from(expected.map(|(id, name)| (id.to_string(), name.to_string()))));
    assert!(client.zoom_room_emails().await.unwrap().is_empty());
    let refused = client.deactivate("KdYKjnimT4KPd8FFgQt9FQ").await.unwrap_err();
    assert_eq!(refused.status_and_code(), Some((400, Some(200))), "the owner is still known by id 0");
}

fn load_error(users_file: &str, text: &str) -> FromBackupError {
    let dir = tempfile::tempdir().unwrap();
    write_backup(dir.path(), (users_file, text.as_bytes().to_vec()), None);
    let error = Population::from_backup(dir.path()).unwrap_err();
    let path = dir.path().join(users_file).display().to_string();
    assert!(error.to_string().starts_with(&path), "{error} names {path}");
    error
}

#[test]
fn a_bad_line_is_refused_with_its_file_and_line() {
    let lines: Vec<String> =
        String::from_utf8(backup_jsonl(&account_users())).unwrap().lines().map(String::from).collect();
    let mut text = lines[..2].join("\n");
    text.push_str("\n\n{\"id\":\"x\",\"first_name\":\"No\",\"last_name\":\"Email\",\"user_type\":1,\"status\":\"active\",\"role_id\":\"2\",\"last_login_time\":null,\"user_created_at\":null}\n");
    let error = load_error("users.jsonl", &text);
    assert!(matches!(error, FromBackupError::Line { line: 4, .. }), "{error:?}");
    assert!(error.to_string().ends_with("users.jsonl line 4: missing field `email`"), "{error}");

    let error = load_error("users.jsonl", &format!("{}\n{{not json\n", lines[0]));
    assert!(error.to_string().contains("users.jsonl line 2: key must be a string"), "{error}");

    let duplicate = format!("{}\n{}\n", lines[0], lines[0]);
    let error = load_error("users.jsonl", &duplicate);
    assert!(error.to_string().ends_with("line 2: email olga.owner@corp.example is also on line 1"), "{error}");

    let no_id = lines[1].replace("\"id\":\"z8yCxjabR7ekCDsRTKLmdQ\"", "\"id\":null");
    let error = load_error("users.jsonl", &format!("{}\n{no_id}\n", lines[0]));
    assert!(error.to_string().ends_with("line 2: an active user has no id"), "{error}");

    let bad_time = lines[1].replace("2026-09-30T08:15:00Z", "yesterday");
    let error = load_error("users.jsonl", &format!("{}\n{bad_time}\n", lines[0]));
    assert!(error.to_string().ends_with("line 2: last_login_time \"yesterday\" is not an RFC 3339 time"), "{error}");

    let csv = String::from_utf8(backup_csv(&account_users())).unwrap().replacen(",2,active,", ",two,active,", 1);
    let error = load_error("users.csv", &csv);
    assert!(error.to_string().ends_with("users.csv line 2: type \"two\" is not a Zoom user type"), "{error}");

    let error = load_error("users.csv", "email,status\nana@corp.example,active\n");
    assert!(error.to_string().ends_with("users.csv line 1: no id column (header: email,status)"), "{error}");
}

#[test]
fn a_folder_without_users_or_with_a_bad_account_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let error = Population::from_backup(dir.path()).unwrap_err();
    assert!(matches!(error, FromBackupError::NoUsersFile { .. }), "{error:?}");

    std::fs::write(dir.path().join("users.jsonl"), backup_jsonl(&account_users())).unwrap();
    std::fs::write(dir.path().join("account.json"), "{\n  \"role_names\": [\"Owner\"]\n}\n").unwrap();
    let error = Population::from_backup(dir.path()).unwrap_err().to_string();
    assert!(error.contains("account.json line 2: invalid type: sequence"), "{error}");

    let error = Population::from_backup(&dir.path().join("missing")).unwrap_err();
    assert!(matches!(error, FromBackupError::NotAFolder { .. }), "{error:?}");
}

/// The binary: `--from-backup DIR` serves the backup and says what it loaded after the
/// addresses; it conflicts with `--users`.
#[test]
fn the_binary_serves_a_backup_and_says_what_it_loaded() {
    let dir = tempfile::tempdir().unwrap();
    write_backup(dir.path(), ("users.jsonl", backup_jsonl(&account_users())), Some(account_json()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_zoom-sim"))
        .arg("--from-backup")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let printed: Vec<String> = (0..4).map(|_| lines.next().unwrap().unwrap()).collect();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(printed[0].starts_with("http://127.0.0.1:"), "{printed:?}");
    let users_file = dir.path().join("users.jsonl").display().to_string();
    assert_eq!(
        printed[3],
        format!(
            "Users 7 from {users_file} (5 active, 1 inactive, 1 pending), 5 roles, 2 Zoom Rooms, owner olga.owner@corp.example"
        )
    );

    let refused = Command::new(env!("CARGO_BIN_EXE_zoom-sim"))
        .arg("--from-backup")
        .arg(dir.path())
        .args(["--users", "5"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("cannot be used with"));
}
