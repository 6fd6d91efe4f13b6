//! `make bench`: the core diff of a large roster against a large snapshot, next to a plain
//! Python `csv` + `dict` implementation of the same diff, timed in the same run.
//!
//! Generates an account (`--users`) and a roster (`--rows`: 90% of its rows name users of
//! the account, in random order and case, the rest unknown or invalid), writes both as CSV
//! for the Python script, then times Offboard's `parse_roster` + `decide` on the roster's
//! bytes against the snapshot in memory, and the script on the same files. Peak memory is
//! the process's high-water mark (`VmHWM`), snapshot included.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Parser;
use offboard_core::{
    backup_csv, decide, parse_roster, Account, AccountUser, ActionKind, Decision, Policy, UserStatus, UserType,
};
use serde_json::json;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 1_000_000)]
    users: usize,
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the figures as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Targets: seconds, megabytes, and the speed-up over Python.
    #[arg(long, default_value_t = 2.0)]
    max_seconds: f64,
    #[arg(long, default_value_t = 500.0)]
    max_mb: f64,
    #[arg(long, default_value_t = 10.0)]
    min_speedup: f64,
}

/// SplitMix64: the same account and roster for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn opaque_id(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        (0..22).map(|_| ALPHABET[self.below(64) as usize] as char).collect()
    }
}

fn account(users: usize, rng: &mut Rng) -> Vec<AccountUser> {
    let roles = ["oWnR7sKq2TaCbD1eF3gH4w", "aDmN5pLm8XyZ0qRsT6uV2w", "mEmB3rJk9NhGfE4dC7bA1w"];
    (0..users)
        .map(|i| {
            let status = match rng.below(100) {
                0..=87 => UserStatus::Active,
                88..=95 => UserStatus::Inactive,
                _ => UserStatus::Pending,
            };
            let pending = status == UserStatus::Pending;
            AccountUser {
                id: (!pending).then(|| rng.opaque_id().into()),
                email: format!("user.{i}@acme.example").into(),
                first_name: format!("First{}", i % 997).into(),
                last_name: format!("Last{}", i % 991).into(),
                user_type: if rng.below(10) < 7 { UserType::Licensed } else { UserType::Basic },
                status,
                role_id: Some(roles[2].into()),
                last_login_time: (!pending).then(|| "2026-10-01T10:00:00Z".into()),
                user_created_at: Some("2023-05-01T09:30:00Z".into()),
                employee_id: None,
            }
        })
        .collect()
}

fn roster(users: usize, rows: usize, rng: &mut Rng) -> Vec<u8> {
    let mut csv = String::with_capacity(rows * 32);
    csv.push_str("email\n");
    for row in 0..rows {
        match rng.below(100) {
            0..=89 => {
                let email = format!("user.{}@acme.example", rng.below(users as u64));
                if rng.below(10) == 0 {
                    csv.push_str(&email.to_uppercase());
                } else {
                    csv.push_str(&email);
                }
            }
            90..=98 => csv.push_str(&format!("stranger.{row}@elsewhere.example")),
            _ => csv.push_str("not an email"),
        }
        csv.push('\n');
    }
    csv.into_bytes()
}

fn peak_mb() -> f64 {
    offboard_e2e::status_mb("self", "VmHWM").unwrap_or(0.0)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("offboard-diff-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut rng = Rng(args.seed);
    let roster_path = dir.join("roster.csv");
    let snapshot_path = dir.join("snapshot.csv");
    // The same inputs as files, for Python: the snapshot as Offboard's backup CSV.
    let users = account(args.users, &mut rng);
    std::fs::write(&snapshot_path, backup_csv(&users))?;
    let roster_bytes = roster(args.users, args.rows, &mut rng);
    std::fs::write(&roster_path, &roster_bytes)?;
    let account = Account {
        users,
        role_names: [
            ("oWnR7sKq2TaCbD1eF3gH4w", "Owner"),
            ("aDmN5pLm8XyZ0qRsT6uV2w", "Admin"),
            ("mEmB3rJk9NhGfE4dC7bA1w", "Member"),
        ]
        .iter()
        .map(|(id, name)| (id.to_string(), name.to_string()))
        .collect(),
        room_emails: Default::default(),
    };
    let mut policy = Policy::default();
    policy.guardrails.hold_above_count = usize::MAX;
    policy.guardrails.hold_above_share = 1.0;
    let before_mb = offboard_e2e::status_mb("self", "VmRSS").unwrap_or(0.0);

    let started = Instant::now();
    let mut parsed = parse_roster("roster.csv", &roster_bytes).context("the generated roster did not parse")?;
    let parse_seconds = started.elapsed().as_secs_f64();
    let requests = parsed.take_requests(ActionKind::Deactivate);
    let requests_seconds = started.elapsed().as_secs_f64() - parse_seconds;
    let plan = decide(Decision {
        requests: &requests,
        rejected: parsed.rejected,
        scheduled: Vec::new(),
        account: &account,
        policy: &policy,
        calls_per_second: 60.8,
    });
    let seconds = started.elapsed().as_secs_f64();
    let peak = peak_mb();
    eprintln!(
        "  phases: parse {parse_seconds:.3} s, requests {requests_seconds:.3} s, decide {:.3} s",
        seconds - parse_seconds - requests_seconds
    );
    let (actions, skipped) = (plan.actions.len(), plan.skipped.len());
    drop(plan);

    let python = Command::new("python3")
        .arg(offboard_e2e::repo_root().join("scripts/diff_baseline.py"))
        .args([&roster_path, &snapshot_path])
        .output()
        .context("running scripts/diff_baseline.py")?;
    if !python.status.success() {
        bail!("the Python baseline failed: {}", String::from_utf8_lossy(&python.stderr));
    }
    let baseline: serde_json::Value = serde_json::from_slice(&python.stdout)?;
    let python_seconds = baseline["seconds"].as_f64().context("baseline printed no seconds")?;
    std::fs::remove_dir_all(&dir).ok();
    if baseline["actions"].as_u64() != Some(actions as u64) {
        bail!("the baseline found {} actions, Offboard {actions}: not the same diff", baseline["actions"]);
    }

    let speedup = python_seconds / seconds;
    println!(
        "diff {} rows x {} users: {seconds:.3} s, peak {peak:.0} MB (snapshot and inputs {before_mb:.0} MB), \
         {actions} actions, {skipped} skipped; Python csv+dict {python_seconds:.3} s = {speedup:.1}x slower",
        args.rows, args.users
    );
    let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
    println!("{} diff time {seconds:.3} s (target <= {} s)", verdict(seconds <= args.max_seconds), args.max_seconds);
    println!("{} diff peak memory {peak:.0} MB (target <= {} MB)", verdict(peak <= args.max_mb), args.max_mb);
    println!("{} diff vs Python {speedup:.1}x (target >= {}x)", verdict(speedup >= args.min_speedup), args.min_speedup);
    if let Some(path) = args.json {
        let figures = json!({
            "rows": args.rows, "users": args.users, "seconds": seconds, "peak_mb": peak,
            "inputs_mb": before_mb, "python_seconds": python_seconds, "speedup": speedup,
            "actions": actions, "skipped": skipped,
        });
        std::fs::write(path, serde_json::to_vec_pretty(&figures)?)?;
    }
    Ok(())
}
