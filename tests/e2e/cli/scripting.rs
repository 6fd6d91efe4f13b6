//! Every command as a script runs it: `--format json` puts one JSON object on stdout
//! (messages go to stderr) with the field names the README lists; `runs` lists the
//! state directory's runs; completions, the man page and `RUST_LOG` work as in any
//! well-behaved CLI. The bucket commands' JSON is checked where the bucket test runs them.

use serde_json::Value;

use offboard_e2e::people::{email, quiet_members};

use super::{assert_exit, json_of, offboard, operations, run, scratch, sim, sim_env, sim_users, text, write_roster};

/// The keys of a JSON object, sorted, for comparing with the documented field names.
fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    keys.sort();
    keys
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_local_command_prints_one_json_object_with_the_documented_fields() {
    let sim = sim(200, 23).await;
    let state = scratch("scripting");
    let runs = state.join("runs");
    let env = sim_env(&sim, &runs);
    let users = sim_users(&sim).await;
    let listed: Vec<String> = quiet_members(&users).into_iter().take(5).map(email).collect();
    let roster = write_roster(&state, &listed).display().to_string();

    let backup_dir = state.join("backup").display().to_string();
    let backup = json_of(run(offboard(&env, &["backup", "--out", &backup_dir, "--format", "json"])).await, 0);
    assert_eq!(keys(&backup), sorted(&["dir", "users", "by_status", "taken_at", "files"]), "{backup}");
    assert_eq!(backup["users"], users.len(), "{backup}");

    let rehearsal = json_of(
        run(offboard(&env, &["rehearse", "--backup", &backup_dir, "--roster", &roster, "--format", "json"])).await,
        0,
    );
    assert_eq!(rehearsal["predicted_outcomes"]["done"], 5, "{rehearsal}");
    for field in ["run_id", "users", "planned", "held_in_production", "by_reason", "zoom_refuses", "predicted_seconds"]
    {
        assert!(rehearsal.get(field).is_some(), "rehearse: no {field} in {rehearsal}");
    }
    assert!(operations(&sim).is_empty(), "a rehearsal touches nothing");

    let applied = json_of(run(offboard(&env, &["apply", "--roster", &roster, "--yes", "--format", "json"])).await, 0);
    let apply_fields = ["run_id", "state", "planned", "outcomes", "by_reason", "duration_seconds"];
    assert_eq!(
        keys(&applied),
        sorted(&[&apply_fields[..], &["achieved_rate_per_second", "report_csv", "run_dir"]].concat())
    );
    assert_eq!((applied["state"].as_str(), applied["outcomes"]["done"].as_u64()), (Some("finished"), Some(5)));
    let run_id = applied["run_id"].as_str().unwrap().to_string();

    let status = json_of(run(offboard(&env, &["status", &run_id, "--format", "json"])).await, 0);
    let status_fields = [
        "run_id",
        "state",
        "detail",
        "source",
        "planned",
        "with_result",
        "outcomes",
        "held",
        "finished_at",
        "duration_seconds",
        "achieved_rate_per_second",
        "by_reason",
        "resume",
    ];
    assert_eq!(keys(&status), sorted(&status_fields), "{status}");
    assert_eq!((status["state"].as_str(), status["with_result"].as_u64()), (Some("finished"), Some(5)));

    let html = state.join("report.html").display().to_string();
    let report = json_of(run(offboard(&env, &["report", &run_id, "--html", &html, "--format", "json"])).await, 0);
    assert_eq!(keys(&report), sorted(&["run_id", "html", "actions"]), "{report}");

    let undo = json_of(run(offboard(&env, &["undo", &run_id, "--yes", "--format", "json"])).await, 0);
    assert_eq!((undo["state"].as_str(), undo["outcomes"]["done"].as_u64()), (Some("finished"), Some(5)), "{undo}");

    // Both runs, newest first, with their state and counts; as CSV, a header and a row each.
    let listed_runs = json_of(run(offboard(&env, &["runs", "--format", "json"])).await, 0);
    let rows = listed_runs["runs"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "the apply, the rehearsal and the undo: {listed_runs}");
    assert_eq!(keys(&rows[0]), sorted(&["run_id", "started", "state", "planned", "outcomes"]));
    let ids: Vec<&str> = rows.iter().map(|r| r["run_id"].as_str().unwrap()).collect();
    for id in [&run_id, rehearsal["run_id"].as_str().unwrap(), undo["run_id"].as_str().unwrap()] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert!(rows.iter().all(|r| r["state"] == "finished" && r["outcomes"]["done"] == 5), "{listed_runs}");
    let csv = run(offboard(&env, &["runs", "--format", "csv"])).await;
    assert_exit(&csv, 0);
    let csv = text(&csv.stdout);
    assert_eq!(csv.lines().next(), Some("run_id,started,state,planned,outcomes"), "{csv}");
    assert_eq!(csv.lines().count(), 4, "{csv}");

    // CSV only where there are rows: refused before anything is done.
    let no_csv = run(offboard(&env, &["status", &run_id, "--format", "csv"])).await;
    assert_exit(&no_csv, 2);
    assert!(text(&no_csv.stderr).contains("`offboard status` has no rows"), "{}", text(&no_csv.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_the_man_page_and_rust_log_come_from_the_cli_itself() {
    let sim = sim(20, 3).await;
    let state = scratch("completions");
    let env = sim_env(&sim, &state.join("runs"));
    let bash = run(offboard(&env, &["completions", "bash"])).await;
    assert_exit(&bash, 0);
    let script = text(&bash.stdout);
    assert!(script.contains("_offboard()") && script.contains("runs") && script.contains("--format"), "{script}");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = run(offboard(&env, &["completions", shell])).await;
        assert_exit(&out, 0);
        assert!(text(&out.stdout).contains("approve"), "{shell}");
    }
    let man = run(offboard(&env, &["man"])).await;
    assert_exit(&man, 0);
    let page = text(&man.stdout);
    assert!(page.starts_with(".ie") || page.contains(".TH offboard"), "{page}");
    assert!(page.contains("rehearse"), "the man page lists the commands");

    // Logs on stderr follow RUST_LOG; stdout stays the JSON.
    let out = state.join("backup").display().to_string();
    let mut quiet = offboard(&env, &["backup", "--out", &out, "--format", "json"]);
    quiet.env_remove("RUST_LOG").env_remove("OFFBOARD_LOG");
    let quiet = run(quiet).await;
    let mut verbose = offboard(&env, &["backup", "--out", &out, "--format", "json"]);
    verbose.env_remove("OFFBOARD_LOG").env("RUST_LOG", "debug");
    let verbose = run(verbose).await;
    assert!(!text(&quiet.stderr).contains("DEBUG"), "{}", text(&quiet.stderr));
    assert!(text(&verbose.stderr).contains("DEBUG"), "{}", text(&verbose.stderr));
    assert_eq!(json_of(verbose, 0)["users"], 20);
}
