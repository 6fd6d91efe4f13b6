//! The chaos run: a big roster through the whole local stack while Zoom misbehaves and
//! the executor is killed mid-batch, then an audit of what happened, from the
//! simulator's operation log and the ledger rather than from the pipeline's own word.
//!
//! Faults: 5% of API calls answered 5xx, 1% of connections dropped (half of them after
//! the change took effect), latency spikes, a competing app taking half of every rate
//! budget for 10 s, every token invalidated once half-way, and poisoned messages on the
//! queue. The audit counts:
//! - `terminal`: planned actions with a recorded result (must equal `planned`);
//! - `applied_twice`: users the simulator saw change twice by the same operation
//!   (`revoke_token` is left out: revoking sessions again changes nothing);
//! - `lost`: planned actions without a result;
//! - `dlq`: messages in the dead-letter queue (must equal the poisoned ones).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures::StreamExt;
use serde_json::{json, Value};
use zoom_sim::Faults;

use crate::stack::{Kills, LocalStack, StackOptions};

#[derive(Debug, Clone)]
pub struct ChaosOptions {
    pub actions: usize,
    /// Kills of the executor process, mid-batch.
    pub kills: usize,
    pub seed: u64,
    pub within: Duration,
}

/// What the audit found.
#[derive(Debug, Clone, Default)]
pub struct ChaosReport {
    pub planned: usize,
    pub terminal: usize,
    pub applied_twice: usize,
    pub lost: usize,
    pub dlq: usize,
    pub poisoned: usize,
    /// DLQ messages without the executor's reason attribute.
    pub dlq_without_reason: usize,
    pub kills: usize,
    pub invocations: usize,
    pub outcomes: BTreeMap<String, usize>,
    /// Results recorded on a later claim than the first (retries, takeovers).
    pub retried: usize,
    pub summaries: usize,
    pub notifications: usize,
    pub seconds: f64,
}

impl ChaosReport {
    /// The line `make chaos` ends with.
    pub fn line(&self) -> String {
        format!(
            "planned={} terminal={} applied_twice={} lost={} dlq={}",
            self.planned, self.terminal, self.applied_twice, self.lost, self.dlq
        )
    }

    /// Every way the run can fail, in words; empty when it passed.
    pub fn failures(&self, options: &ChaosOptions) -> Vec<String> {
        let mut failures = Vec::new();
        let mut check = |ok: bool, what: String| {
            if !ok {
                failures.push(what);
            }
        };
        check(self.planned == options.actions, format!("planned {} of {} actions", self.planned, options.actions));
        check(self.terminal == self.planned, format!("terminal {} != planned {}", self.terminal, self.planned));
        check(self.applied_twice == 0, format!("{} changes applied twice", self.applied_twice));
        check(self.lost == 0, format!("{} actions lost", self.lost));
        check(self.dlq == self.poisoned, format!("dlq {} != poisoned {}", self.dlq, self.poisoned));
        check(self.dlq_without_reason == 0, format!("{} DLQ messages carry no reason", self.dlq_without_reason));
        check(
            self.kills >= options.kills,
            format!("the executor was killed {} times, not {}", self.kills, options.kills),
        );
        check(self.summaries == 1, format!("{} summaries", self.summaries));
        check(self.notifications == 1, format!("{} completion notifications", self.notifications));
        failures
    }
}

/// Messages no executor can act on, each for another reason.
const POISON: [&str; 3] = [
    "this is not JSON",
    "{\"schema_version\": 2}",
    "{\"schema_version\": 99, \"run_id\": \"r\", \"idempotency_key\": \"r/1\", \"action\": {}}",
];

/// Operations that change a user; `revoke_token` is not one.
fn is_change(op: &str) -> bool {
    matches!(op, "deactivate" | "activate" | "delete" | "disassociate") || op.starts_with("set_type:")
}

pub async fn run(options: &ChaosOptions) -> anyhow::Result<ChaosReport> {
    let started = Instant::now();
    let users = options.actions * 3 / 2 + 200;
    let stack = LocalStack::start(StackOptions { users, seed: options.seed, ..StackOptions::default() }).await?;

    // Act on `actions` active members: no hold, the default checks (meetings: skip).
    let policy = json!({ "guardrails": { "hold_above_count": 10_000_000, "hold_above_share": 1.0 } });
    stack.upload("config/policy.json", serde_json::to_vec(&policy)?).await?;
    let everyone = stack.sim_users().await?;
    let members: Vec<&str> = everyone
        .iter()
        .filter(|u| u["status"] == "active" && u["plain_member"] == true)
        .filter_map(|u| u["email"].as_str())
        .take(options.actions)
        .collect();
    if members.len() < options.actions {
        bail!("the simulated account has only {} active members", members.len());
    }
    let mut roster = String::from("email\n");
    for email in &members {
        roster.push_str(email);
        roster.push('\n');
    }
    stack.upload("inbox/chaos.csv", roster.into_bytes()).await?;
    let responses = stack.deliver_s3_events().await?;
    let planned: Vec<&Value> = responses
        .iter()
        .flat_map(|r| r.as_array().into_iter().flatten())
        .filter(|r| r["result"] == "planned")
        .collect();
    let [planned] = planned.as_slice() else { bail!("expected one planned run: {responses:?}") };
    let run_id = planned["run_id"].as_str().context("no run id")?.to_string();

    for body in POISON {
        stack.send_raw_action(body).await?;
    }
    stack.sim.with_state(|s| {
        s.set_faults(Faults {
            latency_ms: 1,
            latency_spread_ms: 60,
            error_rate: 0.05,
            drop_rate: 0.01,
            competitor_share: 0.5,
            competitor_seconds: 10.0,
        })
    });
    // Every token invalidated once, when half the changes are made.
    let half = options.actions / 2;
    let invalidated = async {
        let mut poll = tokio::time::interval(Duration::from_millis(20));
        loop {
            poll.tick().await;
            if stack.sim.with_state(|s| s.operations().iter().filter(|o| is_change(&o.op)).count()) >= half {
                stack.sim.with_state(|s| s.invalidate_tokens());
                return;
            }
        }
    };
    let batches = options.actions.div_ceil(10);
    let kills = Kills { during_invocations: (1..=options.kills).map(|k| k * batches / (options.kills + 2)).collect() };
    let drained = async {
        let stats = stack.drain_actions_with_kills(options.within, &kills).await;
        stats
    };
    tokio::pin!(drained);
    tokio::pin!(invalidated);
    let stats = tokio::select! {
        stats = &mut drained => stats?,
        () = &mut invalidated => drained.await?,
    };

    // The audit.
    let header = stack.get_json(&format!("runs/{run_id}/run.json")).await?;
    let planned_ids: HashSet<String> = {
        let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await?;
        plan["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["action_id"].as_str())
            .map(str::to_string)
            .collect()
    };
    let result_keys = stack.list_keys(&format!("runs/{run_id}/results/")).await?;
    let results: Vec<Value> = futures::stream::iter(&result_keys)
        .map(|key| stack.get_json(key))
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    let mut outcomes = BTreeMap::new();
    let mut terminal = 0;
    let mut retried = 0;
    for result in &results {
        if planned_ids.contains(result["action_id"].as_str().unwrap_or_default()) {
            terminal += 1;
        }
        *outcomes.entry(result["outcome"].as_str().unwrap_or("?").to_string()).or_insert(0) += 1;
        retried += usize::from(result["attempt"].as_u64().unwrap_or(1) > 1);
    }
    let mut changes: HashMap<(String, String), usize> = HashMap::new();
    for op in stack.sim_operations().await? {
        let name = op["op"].as_str().unwrap_or_default();
        if op["applied"] == true && is_change(name) {
            *changes.entry((op["user_id"].as_str().unwrap_or_default().to_string(), name.to_string())).or_insert(0) +=
                1;
        }
    }
    let letters = stack.dead_letters().await?;
    let summaries = usize::from(stack.list_keys(&format!("runs/{run_id}/summary.json")).await?.len() == 1);
    let notifications = stack
        .topic_notifications()
        .await?
        .iter()
        .filter(|n| n["MessageAttributes"]["run_id"]["Value"] == run_id.as_str())
        .count();
    Ok(ChaosReport {
        planned: header["actions"].as_u64().unwrap_or(0) as usize,
        terminal,
        applied_twice: changes.values().filter(|&&n| n > 1).count(),
        lost: planned_ids.len().saturating_sub(terminal),
        dlq: letters.len(),
        poisoned: POISON.len(),
        dlq_without_reason: letters
            .iter()
            .filter(|(_, a)| a.get("offboard_reason").is_none_or(String::is_empty))
            .count(),
        kills: stats.kills,
        invocations: stats.invocations,
        outcomes,
        retried,
        summaries,
        notifications,
        seconds: started.elapsed().as_secs_f64(),
    })
}
