//! `offboard backup --out DIR`: every user of every status, as the pipeline backs them
//! up (CSV that opens safely in Excel, JSON Lines), plus `account.json` with the role
//! names and Zoom Rooms, which is what `zoom-sim --from-backup` and `offboard rehearse`
//! rebuild the account's shape from.

use std::collections::BTreeMap;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;
use offboard_core::backup::BackupManifest;
use offboard_core::{backup_csv, backup_jsonl, Account};
use offboard_zoom::{UserStatus, ZoomClient};
use serde::Serialize;

use crate::args::ZoomArgs;
use crate::exit::{write_file, Exit, COULD_NOT_RUN};

/// `DIR/account.json`.
#[derive(Debug, Serialize)]
pub struct AccountFile<'a> {
    pub taken_at: String,
    pub users: usize,
    pub by_status: BTreeMap<String, usize>,
    pub by_type: BTreeMap<String, usize>,
    pub role_names: &'a BTreeMap<String, String>,
    pub room_emails: Vec<&'a String>,
}

/// Reads the whole account with a progress bar (pages of each status as they arrive).
pub async fn read_account(zoom: &ZoomClient, what: &str) -> Result<Account, Exit> {
    let statuses = [UserStatus::Active, UserStatus::Inactive, UserStatus::Pending];
    let mut total = 0;
    for status in statuses {
        total += zoom.total_records(status).await?;
    }
    let bar = ProgressBar::new(total).with_message(what.to_string());
    bar.set_style(
        ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} users, {per_sec}, ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut users = Vec::with_capacity(total as usize);
    for status in statuses {
        zoom.for_each_page(status, |page| {
            bar.inc(page.len() as u64);
            users.extend(page.into_iter().map(offboard_pipeline::account::account_user));
        })
        .await?;
    }
    bar.finish_and_clear();
    let (roles, rooms) = tokio::try_join!(zoom.list_roles(), zoom.zoom_room_emails())?;
    Ok(offboard_pipeline::account::account_of(users, roles, &rooms))
}

/// Writes `users.csv`, `users.jsonl` and `account.json` into `dir`.
pub fn write_backup(dir: &Path, account: &Account, taken_at: Timestamp) -> Result<(), Exit> {
    std::fs::create_dir_all(dir).map_err(|e| Exit::failure(COULD_NOT_RUN, format!("{}: {e}", dir.display())))?;
    write_file(&dir.join("users.csv"), &backup_csv(&account.users))?;
    write_file(&dir.join("users.jsonl"), &backup_jsonl(&account.users))?;
    let (by_status, by_type) = BackupManifest::count(&account.users);
    let mut role_names: BTreeMap<String, String> = BTreeMap::new();
    role_names.extend(account.role_names.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut room_emails: Vec<&String> = account.room_emails.iter().collect();
    room_emails.sort();
    let file = AccountFile {
        taken_at: taken_at.to_string(),
        users: account.users.len(),
        by_status,
        by_type,
        role_names: &role_names,
        room_emails,
    };
    let json = serde_json::to_vec_pretty(&file).map_err(|e| Exit::failure(COULD_NOT_RUN, e.to_string()))?;
    write_file(&dir.join("account.json"), &json)
}

pub async fn backup_command(args: &ZoomArgs, out: &Path) -> Result<Exit, Exit> {
    let zoom = args.zoom().await?;
    let taken_at = Timestamp::now();
    let account = read_account(&zoom, "backing up").await?;
    write_backup(out, &account, taken_at)?;
    let (by_status, _) = BackupManifest::count(&account.users);
    let statuses: Vec<String> = by_status.iter().map(|(k, v)| format!("{k} {v}")).collect();
    say!("Backed up {} users ({}) to {}", account.users.len(), statuses.join(", "), out.display());
    let files: Vec<String> =
        ["users.csv", "users.jsonl", "account.json"].iter().map(|f| out.join(f).display().to_string()).collect();
    for file in &files {
        say!("  {file}");
    }
    crate::output::print_json(&serde_json::json!({
        "dir": out.display().to_string(),
        "users": account.users.len(),
        "by_status": by_status,
        "taken_at": taken_at.to_string(),
        "files": files,
    }))?;
    Ok(Exit::ok())
}
