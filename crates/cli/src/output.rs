//! What the operator reads: the plan as a table (or JSON, or CSV), the seeds' figures,
//! and a run's status. Tables go to stdout, progress and messages to stderr.
//!
//! `--format json` (every command) makes stdout one JSON object for a script to parse:
//! then what a person would read goes to stderr ([`say!`]) and the command ends with
//! [`print_json`]. The field names are the README's, and stay.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use offboard_core::report::{plan_csv, plan_summary};
use offboard_core::summary::RunSummary;
use offboard_core::{ActionResult, Plan};

use crate::args::Format;
use crate::exit::{self, Exit};

static FORMAT: OnceLock<Format> = OnceLock::new();

/// Set once, from the command line, before any command runs.
pub fn set_format(format: Format) {
    let _ = FORMAT.set(format);
}

/// The `--format` the command was given.
pub fn format() -> Format {
    FORMAT.get().copied().unwrap_or_default()
}

/// Whether stdout is for a program (`--format json` or `csv`): people's lines go to stderr.
pub fn for_programs() -> bool {
    !matches!(format(), Format::Table)
}

/// `println!` for what a person reads: on stdout, or on stderr when stdout is a
/// program's (`--format json`/`csv`).
macro_rules! say {
    ($($arg:tt)*) => {
        if $crate::output::for_programs() { eprintln!($($arg)*) } else { println!($($arg)*) }
    };
}

/// `value` on stdout, pretty-printed, when the format is JSON; nothing otherwise.
pub fn print_json(value: &serde_json::Value) -> Result<(), Exit> {
    if matches!(format(), Format::Json) {
        let text =
            serde_json::to_string_pretty(value).map_err(|e| Exit::failure(exit::COULD_NOT_RUN, e.to_string()))?;
        println!("{text}");
    }
    Ok(())
}

/// Rows as CSV (RFC 4180 quoting), header first.
pub fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(header);
    for row in rows {
        let _ = writer.write_record(row);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Columns padded to their widest cell; the last column is not padded.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(i) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            if i == last {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        text.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    out.push_str(&line(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().iter().map(String::as_str).collect()));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// The plan in the format asked for, on stdout.
pub fn print_plan(plan: &Plan, format: Format) -> Result<(), Exit> {
    match format {
        Format::Json => {
            let text =
                serde_json::to_string_pretty(plan).map_err(|e| Exit::failure(exit::COULD_NOT_RUN, e.to_string()))?;
            println!("{text}");
        }
        Format::Csv => print!("{}", String::from_utf8_lossy(&plan_csv(plan))),
        Format::Table => {
            let mut rows: Vec<(u64, Vec<String>)> = plan
                .body
                .actions
                .iter()
                .map(|a| {
                    let before = format!("{} type {}", a.before.status.as_str(), a.before.user_type);
                    (
                        a.line,
                        vec![
                            a.line.to_string(),
                            a.email.to_string(),
                            a.kind().as_str().to_string(),
                            before,
                            // The line column already says which line asked for it.
                            a.reason.clone().unwrap_or_else(|| "listed".to_string()),
                        ],
                    )
                })
                .collect();
            rows.extend(plan.body.skipped.iter().map(|s| {
                let decision = if s.reason.is_refusal() { "refused" } else { "skipped" };
                (
                    s.line,
                    vec![
                        s.line.to_string(),
                        s.value.to_string(),
                        decision.to_string(),
                        String::new(),
                        s.reason.to_string(),
                    ],
                )
            }));
            rows.sort_by_key(|(line, _)| *line);
            let rows: Vec<Vec<String>> = rows.into_iter().map(|(_, row)| row).collect();
            print!("{}", table(&["line", "user", "decision", "now", "why"], &rows));
            println!();
            print!("{}", plan_summary(plan));
        }
    }
    Ok(())
}

/// Counts by outcome, in a fixed order people learn.
pub fn outcome_counts(results: &[ActionResult]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for result in results {
        *counts.entry(result.outcome.label()).or_insert(0) += 1;
    }
    counts
}

pub fn counts_line(counts: &BTreeMap<&str, usize>) -> String {
    if counts.is_empty() {
        return "none yet".to_string();
    }
    counts.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
}

/// Whether any action ended without the change: Zoom refused it, or it failed.
pub fn any_failed(results: &[ActionResult]) -> bool {
    results.iter().any(|r| matches!(r.outcome.label(), "failed" | "gave_up" | "not_allowed"))
}

pub struct RunStatus<'a> {
    pub run_id: &'a str,
    /// One word a script can branch on: `finished`, `held`, `sending`, `running`,
    /// `stopped` (a local run to resume).
    pub phase: &'static str,
    /// The state as a person reads it.
    pub state: &'a str,
    pub source: &'a str,
    pub planned: usize,
    pub results: &'a [ActionResult],
    pub summary: Option<&'a RunSummary>,
    pub held: bool,
    pub resume_hint: bool,
}

/// Prints where a run stands; the exit code says it too (3 held, 4 failures).
pub fn print_status(status: &RunStatus<'_>) -> Result<Exit, Exit> {
    let exit = if status.held {
        Exit::with_code(exit::HELD)
    } else if any_failed(status.results) {
        Exit::with_code(exit::SOME_FAILED)
    } else {
        Exit::ok()
    };
    if matches!(format(), Format::Json) {
        print_json(&status_json(status))?;
        return Ok(exit);
    }
    println!("Run:      {}", status.run_id);
    println!("Source:   {}", status.source);
    println!("State:    {}", status.state);
    println!("Actions:  {} planned, {} with a result", status.planned, status.results.len());
    println!("Outcomes: {}", counts_line(&outcome_counts(status.results)));
    if let Some(summary) = status.summary {
        println!(
            "Finished: {} ({:.1} s, {:.1} actions/s)",
            summary.finished_at.map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
            summary.duration_seconds,
            summary.achieved_rate_per_second
        );
        for (reason, count) in &summary.by_reason {
            println!("  {count:>6}  {reason}");
        }
    }
    if status.resume_hint {
        println!("Resume:   offboard apply --resume {}", status.run_id);
    }
    Ok(exit)
}

/// `offboard status --format json`: the README lists these fields.
fn status_json(status: &RunStatus<'_>) -> serde_json::Value {
    let summary = status.summary;
    serde_json::json!({
        "run_id": status.run_id,
        "state": status.phase,
        "detail": status.state,
        "source": status.source,
        "planned": status.planned,
        "with_result": status.results.len(),
        "outcomes": outcome_counts(status.results),
        "held": status.held,
        "finished_at": summary.and_then(|s| s.finished_at).map(|t| t.to_string()),
        "duration_seconds": summary.map(|s| s.duration_seconds),
        "achieved_rate_per_second": summary.map(|s| s.achieved_rate_per_second),
        "by_reason": summary.map(|s| s.by_reason.clone()).unwrap_or_default(),
        "resume": status.resume_hint.then(|| format!("offboard apply --resume {}", status.run_id)),
    })
}

/// The seeds asked twice; Offboard makes the operator type the count: `prompt` ends with
/// what to type, and anything but `count` stops with nothing done.
pub fn confirm_count(prompt: &str, count: usize) -> Result<(), Exit> {
    eprint!("{prompt} Type {count} to go ahead, anything else to stop: ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(|e| Exit::input(format!("reading the confirmation: {e}")))?;
    if answer.trim() != count.to_string() {
        return Err(Exit::input(format!(
            "not confirmed (typed {:?}, expected {count}); nothing was changed",
            answer.trim()
        )));
    }
    Ok(())
}
