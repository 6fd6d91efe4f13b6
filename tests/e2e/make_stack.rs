//! `make stack` driven as a person drives it: started with make, used from "another
//! terminal" with the real AWS CLI (awscli from PyPI, unmodified: only `--endpoint-url`
//! and the credentials the stack printed) and `offboard`, then stopped with Ctrl-C, after
//! which nothing it started may be left running and its logs are gone.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use offboard_e2e::{bin_dir, repo_root, BUCKET};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

/// The stack's stdout, a line at a time, as a person watches it.
struct Watching {
    lines: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
}

impl Watching {
    /// Lines up to and including the first that `wanted` accepts.
    async fn until(&mut self, what: &str, within: Duration, wanted: impl Fn(&str) -> bool) -> Vec<String> {
        let mut read = Vec::new();
        let waited = tokio::time::timeout(within, async {
            while let Some(line) = self.lines.recv().await {
                self.seen.push(line.clone());
                read.push(line.clone());
                if wanted(&line) {
                    return true;
                }
            }
            false
        })
        .await;
        assert!(waited == Ok(true), "no {what} within {within:?}; the stack printed:\n{}", self.seen.join("\n"));
        read
    }
}

/// Every process descended from `root` now, from /proc.
fn descendants(root: u32) -> HashSet<u32> {
    let mut parent_of = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // `pid (comm) state ppid ...`; comm may hold spaces, so read after its `)`.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) {
            parent_of.insert(pid, ppid);
        }
    }
    let mut found: HashSet<u32> = HashSet::new();
    let mut grew = true;
    while grew {
        grew = false;
        for (pid, ppid) in &parent_of {
            if (*ppid == root || found.contains(ppid)) && found.insert(*pid) {
                grew = true;
            }
        }
    }
    found
}

/// The live processes under `root` running the release binary `function`.
fn runtimes_of(root: u32, function: &str) -> Vec<u32> {
    let binary = bin_dir().join(function);
    descendants(root)
        .into_iter()
        .filter(|pid| alive(*pid) && std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == binary))
        .collect()
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
}

async fn run(mut command: Command) -> std::process::Output {
    command.stdin(Stdio::null()).kill_on_drop(true);
    command.output().await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn make_stack_serves_the_real_aws_cli_and_offboard_until_ctrl_c_then_leaves_nothing() {
    let root = repo_root();
    // `-o`: the test binary was built by the same `make test`, so make runs only the recipe.
    let mut make = Command::new("make");
    make.current_dir(&root)
        .args(["-s", "-o", "setup", "-o", "build", "-o", "synth", "stack"])
        .arg("STACK_ARGS=--watch-every-seconds 1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = make.spawn().unwrap();
    let group = child.id().unwrap();
    let (send, lines) = mpsc::unbounded_channel();
    let stdout = child.stdout.take().unwrap();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            let _ = send.send(line);
        }
    });
    let mut stack = Watching { lines, seen: Vec::new() };
    let session = stack.until("session", Duration::from_secs(300), |l| l.contains("Ctrl-C stops everything")).await;

    // The credentials and endpoint, as a person copies them from the printed export.
    let exported: Vec<(String, String)> = session
        .iter()
        .skip_while(|l| !l.trim_start().starts_with("export "))
        .take_while(|l| l.trim_start().starts_with("export ") || l.trim_end().ends_with('\\') || l.contains('='))
        .flat_map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter_map(|word| word.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
    let value = |name: &str| exported.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap();
    let endpoint = value("AWS_ENDPOINT_URL");
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    assert!(session.iter().any(|l| l.contains(&format!("bucket    {BUCKET}"))), "{session:?}");
    let home = std::env::temp_dir().join(format!("make-stack-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let with_session = |program: &Path| {
        let mut command = Command::new(program);
        command.env_clear().env("HOME", &home).env("PATH", "/usr/bin:/bin").env("USER", "tester");
        command.envs(exported.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        command
    };
    let aws = root.join(".venv-awscli").join("bin").join("aws");

    // A stack left running outlives its runtimes: the emulator ends an idle runtime's long
    // poll at its timeout (two minutes for the executor) and the runtime exits. Ended here
    // at once, the planner's and the executor's must be started again for the next event.
    for function in ["planner", "executor"] {
        let runtimes = runtimes_of(group, function);
        assert!(!runtimes.is_empty(), "no {function} process under the stack");
        for pid in runtimes {
            // SAFETY: kill(2) on a process of the stack this test started.
            #[allow(unsafe_code)]
            let killed = unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            assert_eq!(killed, 0, "killing {function} {pid}");
        }
    }

    // A roster whose name has a space and a `+`, uploaded with `aws s3 cp`.
    let roster = home.join("leavers May+June.csv");
    std::fs::copy(root.join("examples").join("roster.csv"), &roster).unwrap();
    let key = "inbox/leavers May+June.csv";
    let mut copy = with_session(&aws);
    copy.args(["--endpoint-url", &endpoint, "s3", "cp"]).arg(&roster).arg(format!("s3://{BUCKET}/{key}"));
    let copied = run(copy).await;
    assert!(copied.status.success(), "aws s3 cp: {}{}", text(&copied.stdout), text(&copied.stderr));

    // The plan appears (150 of 2,000 is over the guardrail: held), named by its run.
    let planned = stack.until("the plan", Duration::from_secs(120), |l| l.starts_with("[planner] held run ")).await;
    let run_id = planned.last().unwrap().split_whitespace().nth(3).unwrap().to_string();
    let offboard = bin_dir().join("offboard");
    let mut approve = with_session(&offboard);
    approve.args(["approve", &run_id, "--yes", "--format", "json"]);
    let approved = run(approve).await;
    assert!(approved.status.success(), "offboard approve: {}", text(&approved.stderr));
    let approved: Value = serde_json::from_slice(&approved.stdout).unwrap();
    assert_eq!(approved["result"], "approved", "{approved}");

    // The run finishes, and its completion notification is printed, naming it.
    let notified = stack
        .until("the completion notification", Duration::from_secs(300), |l| {
            l.starts_with("[notification] run_completed")
        })
        .await;
    if !notified.last().is_some_and(|subject| subject.contains(&run_id)) {
        stack.until("the notification naming the run", Duration::from_secs(10), |l| l.contains(&run_id)).await;
    }
    let mut status = with_session(&offboard);
    status.args(["status", &run_id, "--format", "json"]);
    let status: Value = serde_json::from_slice(&run(status).await.stdout).unwrap();
    assert_eq!(status["state"], "finished", "{status}");
    let planned = status["planned"].as_u64().unwrap();
    assert_eq!(status["with_result"], planned, "{status}");

    let mut list = with_session(&aws);
    list.args(["--endpoint-url", &endpoint, "s3", "ls", &format!("s3://{BUCKET}/runs/{run_id}/results/")]);
    let listed = run(list).await;
    assert!(listed.status.success(), "aws s3 ls: {}", text(&listed.stderr));
    assert_eq!(text(&listed.stdout).lines().filter(|l| l.ends_with(".json")).count() as u64, planned);

    // Ctrl-C, as a terminal sends it: to the whole foreground group.
    let started = descendants(group);
    assert!(started.len() >= 4, "moto and the functions run under the stack: {started:?}");
    // SAFETY: kill(2) with the negated id of the process group this test created.
    #[allow(unsafe_code)]
    let sent = unsafe { libc::kill(-(group as i32), libc::SIGINT) };
    assert_eq!(sent, 0);
    let stopped = stack.until("the stop", Duration::from_secs(60), |l| l == "Stopped.").await;
    // make itself took the SIGINT too, and ends as interrupted once the stack has stopped.
    tokio::time::timeout(Duration::from_secs(30), child.wait()).await.expect("make ends after the stack").unwrap();
    let left: Vec<u32> = started.into_iter().filter(|pid| alive(*pid)).collect();
    assert!(left.is_empty(), "still running after Ctrl-C: {left:?}");
    let logs = stopped.iter().find_map(|l| l.split_once("removing ").map(|(_, dir)| dir.to_string())).unwrap();
    assert!(!Path::new(&logs).exists(), "{logs} left behind");
    let _ = std::fs::remove_dir_all(&home);
}
