//! `offboard rehearse --backup DIR --roster FILE`: the plan applied to a copy of the
//! account's shape before it touches production. zoom-sim starts in this process, loaded
//! from the backup (users, statuses, types, roles, Zoom Rooms) and limited at the real
//! plan's rate limits; the roster is planned and applied there exactly as `apply` would,
//! and what Zoom refused, and how long it took, is the prediction.
//!
//! What a backup does not hold (meetings, recordings, other apps' traffic) the rehearsal
//! cannot predict: its users host no meetings and own no recordings.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;
use offboard_core::ActionResult;
use offboard_zoom::{Credentials, Endpoints, ZoomClient};
use zoom_sim::{SimConfig, ZoomSim};

use crate::apply::{run_actions, summarize_run};
use crate::args::{RatePlan, ZoomArgs};
use crate::exit::{self, Exit, COULD_NOT_RUN};
use crate::local::LocalRun;
use crate::output;
use crate::planning::{plan_for, read_input, PlanInput};

pub async fn rehearse_command(args: &ZoomArgs, backup_dir: &Path, roster: &Path, hr: bool) -> Result<Exit, Exit> {
    let now = Timestamp::now();
    let mut policy = args.policy()?;
    let file = read_input(&PlanInput::Roster { path: roster, hr }, &mut policy, now)?;
    let mut config = SimConfig::from_backup(backup_dir).map_err(|e| Exit::input(e.to_string()))?;
    config.rate_plan = match args.rate_plan {
        RatePlan::Free => zoom_sim::RatePlan::Free,
        RatePlan::Pro => zoom_sim::RatePlan::Pro,
        RatePlan::Business => zoom_sim::RatePlan::Business,
    };
    let app = config.app.clone();
    let sim = ZoomSim::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| Exit::failure(COULD_NOT_RUN, format!("starting zoom-sim: {e}")))?;
    // The simulator stops however the rehearsal ends.
    let outcome: Result<Exit, Exit> = async {
        let credentials =
            Credentials { account_id: app.account_id, client_id: app.client_id, client_secret: app.client_secret };
        let endpoints = Endpoints { api_base: sim.api_url(), oauth_url: sim.oauth_url() };
        let zoom = Arc::new(ZoomClient::new(endpoints, credentials)?.with_pacing(args.pacing()?));
        let account = offboard_pipeline::account::snapshot(&zoom).await?;
        let run_id = format!("rehearsal-{}-{}", now.strftime("%Y%m%dT%H%M%SZ"), file.digest);
        let run = LocalRun::create(&args.state_dir, &run_id)?;
        let plan = plan_for(file, &account, &policy, &zoom, &run_id, &backup_dir.display().to_string(), now);
        run.write_json("plan.json", &plan)?;

        say!(
            "Rehearsal of {} on zoom-sim loaded from {} ({} users), at the {:?} plan's rate limits (budget share {}).",
            roster.display(),
            backup_dir.display(),
            account.users.len(),
            args.rate_plan,
            args.budget_share
        );
        let c = &plan.body.counts;
        say!(
            "Plan: {} to act on, {} refused by guardrails, {} skipped; estimated {} s.",
            c.actions,
            c.refused,
            c.skipped,
            c.estimated_duration_seconds
        );
        if let Some(hold) = &plan.body.hold {
            say!("In production this plan is HELD for approval: {}", hold.reason);
        }
        let actions: Vec<_> = plan.body.actions.iter().collect();
        let started = std::time::Instant::now();
        if run_actions(&zoom, &run, &run_id, &actions, 8, 0, actions.len()).await? {
            return Err(Exit::failure(exit::INTERRUPTED, "rehearsal interrupted; nothing touched production"));
        }
        let took = started.elapsed().as_secs_f64();
        let (summary, results) = summarize_run(&run, &plan)?;
        say!("\nPredicted outcomes: {}", output::counts_line(&output::outcome_counts(&results)));
        for (reason, count) in &summary.by_reason {
            say!("  {count:>6}  {reason}");
        }
        let refused: Vec<&ActionResult> =
            results.iter().filter(|r| matches!(r.outcome.label(), "not_allowed" | "failed" | "gave_up")).collect();
        if !refused.is_empty() {
            say!("\nZoom will refuse {} actions:", refused.len());
            let rows: Vec<Vec<String>> = refused
                .iter()
                .map(|r| vec![r.email.clone(), r.kind.as_str().to_string(), r.outcome.reason_code()])
                .collect();
            let table = output::table(&["user", "action", "why"], &rows);
            if output::for_programs() {
                eprint!("{table}");
            } else {
                print!("{table}");
            }
        }
        say!(
            "\nPredicted duration: {took:.1} s for {} actions ({:.1}/s) at these rate limits.",
            results.len(),
            if took > 0.0 { results.len() as f64 / took } else { 0.0 }
        );
        say!("Nothing touched production. Rehearsal run: {} (offboard report {run_id} --html FILE)", run.dir.display());
        output::print_json(&serde_json::json!({
            "run_id": run_id,
            "run_dir": run.dir.display().to_string(),
            "users": account.users.len(),
            "planned": c.actions,
            "refused_by_guardrails": c.refused,
            "skipped": c.skipped,
            "held_in_production": plan.body.hold.as_ref().map(|h| h.reason.as_str()),
            "predicted_outcomes": output::outcome_counts(&results),
            "by_reason": summary.by_reason,
            "zoom_refuses": refused.iter().map(|r| serde_json::json!({
                "email": r.email,
                "action": r.kind.as_str(),
                "why": r.outcome.reason_code(),
            })).collect::<Vec<_>>(),
            "predicted_seconds": took,
        }))?;
        Ok(if refused.is_empty() { Exit::ok() } else { Exit::with_code(exit::SOME_FAILED) })
    }
    .await;
    sim.stop().await;
    outcome
}
