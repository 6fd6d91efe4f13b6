//! A run's report as one HTML page: what an operator opens to see how a run went.
//!
//! `summary.json` and `report.csv` are for machines and spreadsheets; this page is for a
//! person. It is one self-contained file (inline CSS and an inline SVG chart; no script,
//! no font, no image and no link to load) so that it can be attached to a ticket, mailed
//! or opened from a bucket without any network, and it stays pure like the rest of this
//! crate: values in (the summary, the results, the plan and the time of writing), text
//! out. Every string that comes from a file, a user or Zoom is HTML-escaped.
//!
//! The counts are also in the DOM for machines: each outcome card carries
//! `data-outcome="<label>"` and `data-count="<n>"` (every outcome [`OUTCOMES`] names, with
//! 0 when none ended so, and any other label the summary holds), and the total card
//! `data-planned="<n>"` and `data-terminal="<n>"`.

use std::fmt::Write as _;

use jiff::Timestamp;

use crate::outcome::{ActionResult, Outcome};
use crate::plan::Plan;
use crate::request::SkippedRow;
use crate::summary::RunSummary;

use self::text::{duration, elapsed, escape, group, nice_ceiling, rate, utc};

/// Every outcome label, in the order the cards show them.
pub const OUTCOMES: [&str; 6] = ["done", "already_done", "skipped", "not_allowed", "failed", "gave_up"];

/// Rows of the refused, failed and skipped table at most; the rest are counted.
pub const MAX_ROWS: usize = 1000;

/// Buckets of the throughput chart at most.
pub const MAX_BUCKETS: usize = 60;

/// What a run's report is made from.
#[derive(Debug, Clone, Copy)]
pub struct RunReportInput<'a> {
    pub summary: &'a RunSummary,
    pub results: &'a [ActionResult],
    /// The run's plan, when at hand: its source, backup key and the rows the planner
    /// refused.
    pub plan: Option<&'a Plan>,
    /// Where the plan lies (`runs/<run>/plan.json`).
    pub plan_key: Option<&'a str>,
    /// Where the backup lies; the plan's `backup_key` when `None`.
    pub backup_key: Option<&'a str>,
    /// When the report is written (RFC 3339): an input, so that rendering stays pure.
    pub generated_at: &'a str,
}

/// Results counted by when they were recorded (`finished_at`), in equal buckets.
#[derive(Debug, Clone, PartialEq)]
pub struct Throughput {
    /// The earliest `finished_at`: the start of the first bucket.
    pub start: Timestamp,
    /// The width of a bucket, in milliseconds.
    pub bucket_ms: i64,
    /// Results per bucket: between 1 and [`MAX_BUCKETS`] buckets.
    pub counts: Vec<usize>,
    /// Results whose `finished_at` is not a time, which no bucket holds.
    pub undated: usize,
}

impl Throughput {
    /// Actions per second in each bucket.
    pub fn rates(&self) -> Vec<f64> {
        let seconds = self.bucket_ms as f64 / 1000.0;
        self.counts.iter().map(|&n| n as f64 / seconds).collect()
    }
}

/// Bucket widths the chart uses, smallest first: round figures for the time axis.
const BUCKET_WIDTHS_MS: [i64; 22] = [
    100, 200, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
    1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/// `results` bucketed by `finished_at` into at most [`MAX_BUCKETS`] buckets of a round
/// width; `None` when no result has a time.
pub fn throughput(results: &[ActionResult]) -> Option<Throughput> {
    let times: Vec<i64> =
        results.iter().filter_map(|r| r.finished_at.parse::<Timestamp>().ok()).map(|t| t.as_millisecond()).collect();
    let undated = results.len() - times.len();
    let first = *times.iter().min()?;
    let last = *times.iter().max()?;
    let span = last - first;
    let fits = |width: i64| span / width < MAX_BUCKETS as i64;
    let bucket_ms = if span == 0 {
        1_000
    } else {
        BUCKET_WIDTHS_MS.into_iter().find(|&w| fits(w)).unwrap_or(span / (MAX_BUCKETS as i64 - 1) + 1)
    };
    let buckets = (span / bucket_ms + 1) as usize;
    let mut counts = vec![0; buckets];
    for time in times {
        counts[(((time - first) / bucket_ms) as usize).min(buckets - 1)] += 1;
    }
    let start = Timestamp::from_millisecond(first).ok()?;
    Some(Throughput { start, bucket_ms, counts, undated })
}

/// The report of one run, as a complete HTML5 document.
pub fn render_run_report(input: &RunReportInput<'_>) -> String {
    let summary = input.summary;
    let mut page = String::with_capacity(32 * 1024 + input.results.len().min(MAX_ROWS) * 400);
    let title = format!("Offboard run {}", summary.run_id);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main class=\"page\">\n",
        escape(&title)
    );
    header(&mut page, input);
    cards(&mut page, summary);
    details(&mut page, input);
    chart(&mut page, input);
    reasons(&mut page, summary);
    rows(&mut page, input);
    keys(&mut page, input);
    let _ = write!(
        page,
        "<footer class=\"foot\">Generated {} by Offboard from <code>summary.json</code> and the run's results. \
         This page is self-contained: it loads nothing.</footer>\n</main>\n</body>\n</html>\n",
        escape(input.generated_at)
    );
    page
}

fn header(page: &mut String, input: &RunReportInput<'_>) {
    let summary = input.summary;
    let (status, class) = status(input);
    let _ = write!(
        page,
        "<header class=\"head\">\n<div class=\"eyebrow\">Offboard &middot; run report</div>\n\
         <h1><span class=\"mono\">{}</span> <span class=\"pill {class}\" data-status=\"{class}\">{}</span></h1>\n\
         <div class=\"meta\">",
        escape(&summary.run_id),
        escape(&status),
    );
    match input.plan {
        Some(plan) => {
            let _ = write!(
                page,
                "<span><b>Source</b> <code>{}</code></span><span><b>Kind</b> {}</span>",
                escape(&plan.source),
                source_kind(plan)
            );
        }
        None => page.push_str("<span><b>Source</b> <span class=\"muted\">plan not available</span></span>"),
    }
    if let Some(start) = summary.started_at {
        let _ = write!(page, "<span><b>Started</b> {}</span>", utc(start));
    }
    let _ = write!(page, "<span><b>Completed</b> {}</span></div>\n</header>\n", utc(summary.completed_at));
}

/// The run's state in a few words, and the pill's class.
fn status(input: &RunReportInput<'_>) -> (String, &'static str) {
    let summary = input.summary;
    let (failed, gave_up) = (summary.count("failed"), summary.count("gave_up"));
    if summary.planned == 0 && summary.terminal == 0 {
        ("Nothing to do".to_string(), "neutral")
    } else if summary.terminal < summary.planned {
        (format!("In progress: {} of {}", group(summary.terminal), group(summary.planned)), "warn")
    } else if failed + gave_up > 0 {
        let mut problems = Vec::new();
        if failed > 0 {
            problems.push(format!("{} failed", group(failed)));
        }
        if gave_up > 0 {
            problems.push(format!("{} gave up", group(gave_up)));
        }
        (format!("Complete: {}", problems.join(", ")), "bad")
    } else {
        ("Complete".to_string(), "good")
    }
}

fn source_kind(plan: &Plan) -> &'static str {
    match plan.kind {
        crate::plan::PlanSource::Inbox => "roster (inbox)",
        crate::plan::PlanSource::Hr => "HR terminations",
        crate::plan::PlanSource::Sweep => "inactivity sweep",
        crate::plan::PlanSource::Undo => "undo",
    }
}

fn cards(page: &mut String, summary: &RunSummary) {
    let share = |n: usize, of: usize| if of == 0 { 0.0 } else { n as f64 * 100.0 / of as f64 };
    let progress = share(summary.terminal, summary.planned).min(100.0);
    let _ = write!(
        page,
        "<section class=\"cards\">\n<div class=\"card total\" data-planned=\"{planned}\" data-terminal=\"{terminal}\">\
         <div class=\"label\">Planned</div><div class=\"num\">{}</div>\
         <div class=\"sub\">{} recorded ({:.0}%)</div><div class=\"bar\"><i style=\"width:{progress:.1}%\"></i></div></div>\n",
        group(summary.planned),
        group(summary.terminal),
        progress,
        planned = summary.planned,
        terminal = summary.terminal,
    );
    let extra = summary.by_outcome.keys().map(String::as_str).filter(|label| !OUTCOMES.contains(label));
    for label in OUTCOMES.into_iter().chain(extra) {
        let count = summary.count(label);
        let pct = share(count, summary.terminal);
        let _ = writeln!(
            page,
            "<div class=\"card o-{class}{zero}\" data-outcome=\"{name}\" data-count=\"{count}\">\
             <div class=\"label\">{title}</div><div class=\"num\">{}</div>\
             <div class=\"sub\">{pct:.1}% of recorded</div><div class=\"bar\"><i style=\"width:{pct:.1}%\"></i></div></div>",
            group(count),
            class = outcome_class(label),
            zero = if count == 0 { " zero" } else { "" },
            name = escape(label),
            title = escape(&label.replace('_', " ")),
        );
    }
    page.push_str("</section>\n");
}

/// The CSS class of an outcome's colour; `other` for a label this page does not know.
fn outcome_class(label: &str) -> &'static str {
    match label {
        "done" => "done",
        "already_done" => "already",
        "skipped" => "skipped",
        "not_allowed" => "notallowed",
        "failed" => "failed",
        "gave_up" => "gaveup",
        "refused" => "refused",
        _ => "other",
    }
}

fn details(page: &mut String, input: &RunReportInput<'_>) {
    let summary = input.summary;
    page.push_str("<section class=\"two\">\n<div class=\"panel\"><h2>Timing</h2><dl class=\"facts\">");
    let time = |t: Option<Timestamp>| t.map(utc).unwrap_or_else(|| "&mdash;".to_string());
    let _ = write!(
        page,
        "<dt>First claim</dt><dd>{}</dd><dt>Last result</dt><dd>{}</dd><dt>Duration</dt><dd>{}</dd>\
         <dt>Achieved rate</dt><dd>{}</dd><dt>Retried</dt><dd>{}</dd>",
        time(summary.started_at),
        time(summary.finished_at),
        duration(summary.duration_seconds),
        if summary.achieved_rate_per_second > 0.0 {
            format!("{} actions/s", rate(summary.achieved_rate_per_second))
        } else {
            "&mdash;".to_string()
        },
        group(summary.retried),
    );
    let saving = summary.monthly_saving.map(|s| format!(" &middot; saving {s:.2} a month")).unwrap_or_default();
    let _ = write!(
        page,
        "<dt>Licences freed</dt><dd data-licences-freed=\"{n}\">{}{saving}</dd>",
        group(summary.licences_freed),
        n = summary.licences_freed,
    );
    page.push_str("</dl></div>\n<div class=\"panel\"><h2>Plan</h2>");
    match input.plan {
        Some(plan) => {
            let c = &plan.body.counts;
            let _ = write!(
                page,
                "<dl class=\"facts\"><dt>Input</dt><dd>{} rows &middot; {} &middot; column {}</dd>\
                 <dt>Matched</dt><dd>{} of {} users in the account</dd><dt>Actions</dt><dd>{}</dd>\
                 <dt>Refused</dt><dd>{}</dd><dt>No action needed</dt><dd>{}</dd>",
                group(c.roster_rows),
                escape(&plan.input_format),
                escape(&plan.email_column),
                group(c.matched),
                group(c.users_in_account),
                group(c.actions),
                group(c.refused),
                group(c.skipped.saturating_sub(c.refused)),
            );
            if let Some(hold) = &plan.body.hold {
                let _ = write!(page, "<dt>Held</dt><dd>{}</dd>", escape(&hold.reason));
            }
            page.push_str("</dl>");
        }
        None => page.push_str("<p class=\"muted\">The plan was not given to this report.</p>"),
    }
    page.push_str("</div>\n</section>\n");
}

// The chart's geometry, in the SVG's user units.
const CHART_W: f64 = 1100.0;
const CHART_H: f64 = 280.0;
const PAD_LEFT: f64 = 64.0;
const PAD_RIGHT: f64 = 20.0;
const PAD_TOP: f64 = 16.0;
const PAD_BOTTOM: f64 = 44.0;

fn chart(page: &mut String, input: &RunReportInput<'_>) {
    page.push_str("<section class=\"panel\">\n<h2>Throughput</h2>\n");
    let Some(series) = throughput(input.results) else {
        page.push_str("<p class=\"empty\">No result has been recorded yet: nothing to chart.</p>\n</section>\n");
        return;
    };
    let rates = series.rates();
    let n = rates.len();
    let peak = rates.iter().copied().fold(0.0, f64::max);
    let top = nice_ceiling(peak);
    let plot_w = CHART_W - PAD_LEFT - PAD_RIGHT;
    let plot_h = CHART_H - PAD_TOP - PAD_BOTTOM;
    let base = PAD_TOP + plot_h;
    let x = |i: usize| PAD_LEFT + (i as f64 + 0.5) * plot_w / n as f64;
    let y = |v: f64| base - v / top * plot_h;

    let _ = writeln!(
        page,
        "<svg class=\"chart\" viewBox=\"0 0 {CHART_W} {CHART_H}\" role=\"img\" aria-label=\"Actions per second over time\">"
    );
    // Horizontal grid and the y axis' labels.
    for step in 0..=4 {
        let value = top * step as f64 / 4.0;
        let gy = y(value);
        let _ = writeln!(
            page,
            "<line class=\"grid\" x1=\"{PAD_LEFT}\" y1=\"{gy:.1}\" x2=\"{:.1}\" y2=\"{gy:.1}\"/>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            PAD_LEFT + plot_w,
            PAD_LEFT - 8.0,
            gy + 4.0,
            rate(value)
        );
    }
    // The x axis: ticks on bucket boundaries, about seven of them.
    let span_ms = series.bucket_ms * n as i64;
    let every = n.div_ceil(7).max(1);
    let mut boundary = 0;
    while boundary <= n {
        let tx = PAD_LEFT + boundary as f64 * plot_w / n as f64;
        let _ = writeln!(
            page,
            "<line class=\"axis\" x1=\"{tx:.1}\" y1=\"{base:.1}\" x2=\"{tx:.1}\" y2=\"{:.1}\"/>\
             <text class=\"tick\" x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            base + 5.0,
            base + 19.0,
            elapsed(series.bucket_ms * boundary as i64)
        );
        boundary += every;
    }
    let _ = write!(
        page,
        "<line class=\"axis\" x1=\"{PAD_LEFT}\" y1=\"{base:.1}\" x2=\"{:.1}\" y2=\"{base:.1}\"/>\
         <line class=\"axis\" x1=\"{PAD_LEFT}\" y1=\"{PAD_TOP}\" x2=\"{PAD_LEFT}\" y2=\"{base:.1}\"/>\n\
         <text class=\"title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">time since the first result (bucket {})</text>\n\
         <text class=\"title\" x=\"16\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {:.1})\">actions / s</text>\n",
        PAD_LEFT + plot_w,
        PAD_LEFT + plot_w / 2.0,
        CHART_H - 6.0,
        elapsed(series.bucket_ms),
        PAD_TOP + plot_h / 2.0,
        PAD_TOP + plot_h / 2.0,
    );
    // The run's average, for reference.
    let average = input.summary.achieved_rate_per_second;
    if average > 0.0 && average <= top {
        let ay = y(average);
        let _ = writeln!(
            page,
            "<line class=\"avg\" x1=\"{PAD_LEFT}\" y1=\"{ay:.1}\" x2=\"{:.1}\" y2=\"{ay:.1}\"/>\
             <text class=\"avglabel\" x=\"{:.1}\" y=\"{:.1}\">run average {}/s</text>",
            PAD_LEFT + plot_w,
            PAD_LEFT + 8.0,
            ay - 5.0,
            rate(average)
        );
    }
    let points: Vec<String> = rates.iter().enumerate().map(|(i, &v)| format!("{:.1},{:.1}", x(i), y(v))).collect();
    let _ = write!(
        page,
        "<polygon class=\"area\" points=\"{:.1},{base:.1} {} {:.1},{base:.1}\"/>\n\
         <polyline class=\"line\" data-buckets=\"{n}\" points=\"{}\"/>\n",
        x(0),
        points.join(" "),
        x(n - 1),
        points.join(" ")
    );
    if n <= 30 {
        for (i, &v) in rates.iter().enumerate() {
            let _ = write!(page, "<circle class=\"dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\"/>", x(i), y(v));
        }
        page.push('\n');
    }
    page.push_str("</svg>\n");
    let peak_at = rates.iter().position(|&v| v == peak).unwrap_or(0);
    let _ = write!(
        page,
        "<p class=\"caption\">{} results recorded from {} over {}, in {} bucket{} of {}; peak {}/s at +{}.",
        group(input.results.len() - series.undated),
        utc(series.start),
        elapsed(span_ms),
        n,
        if n == 1 { "" } else { "s" },
        elapsed(series.bucket_ms),
        rate(peak),
        elapsed(series.bucket_ms * peak_at as i64),
    );
    if series.undated > 0 {
        let _ = write!(page, " {} results without a valid time are not charted.", group(series.undated));
    }
    page.push_str("</p>\n</section>\n");
}

fn reasons(page: &mut String, summary: &RunSummary) {
    page.push_str("<section class=\"panel\">\n<h2>By reason</h2>\n");
    if summary.by_reason.is_empty() {
        page.push_str("<p class=\"empty\">No result has been recorded yet.</p>\n</section>\n");
        return;
    }
    let mut reasons: Vec<(&String, &usize)> = summary.by_reason.iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let total: usize = summary.by_reason.values().sum();
    page.push_str(
        "<table class=\"t\"><thead><tr><th>Outcome</th><th>Reason</th><th class=\"r\">Count</th>\
         <th class=\"share\">Share</th></tr></thead><tbody>\n",
    );
    for (key, &count) in reasons {
        let (label, reason) = key.split_once(": ").unwrap_or((key.as_str(), ""));
        let pct = count as f64 * 100.0 / total.max(1) as f64;
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td class=\"wrap\">{}</td><td class=\"r num\">{}</td>\
             <td class=\"share\"><div class=\"bar o-{}\"><i style=\"width:{pct:.1}%\"></i></div>\
             <span class=\"pct\">{pct:.1}%</span></td></tr>",
            chip(label),
            escape(reason),
            group(count),
            outcome_class(label),
        );
    }
    page.push_str("</tbody></table>\n</section>\n");
}

/// One line of the refused, failed and skipped table.
struct Row<'a> {
    /// Most urgent first.
    rank: u8,
    order: &'a str,
    line: u64,
    email: &'a str,
    action: String,
    label: &'static str,
    code: String,
    reason: String,
    zoom: Option<&'a str>,
}

fn rows(page: &mut String, input: &RunReportInput<'_>) {
    let mut rows: Vec<Row<'_>> = input.results.iter().filter_map(result_row).collect();
    if let Some(plan) = input.plan {
        rows.extend(plan.body.skipped.iter().filter(|s| s.reason.is_refusal()).map(refusal_row));
    }
    rows.sort_by(|a, b| (a.rank, a.order, a.line).cmp(&(b.rank, b.order, b.line)));
    let _ = write!(
        page,
        "<section class=\"panel\">\n<h2>Refused, failed and skipped <span class=\"count\">{}</span></h2>\n",
        group(rows.len())
    );
    if rows.is_empty() {
        let _ = write!(
            page,
            "<p class=\"empty\">Every recorded action was done or already done{}.</p>\n</section>\n",
            if input.plan.is_some() { ", and the plan refused nobody" } else { "" }
        );
        return;
    }
    page.push_str(
        "<table class=\"t rows\"><thead><tr><th>Email</th><th>Action</th><th>Outcome</th><th>Code</th>\
         <th>Reason</th></tr></thead><tbody>\n",
    );
    for row in rows.iter().take(MAX_ROWS) {
        let _ = write!(
            page,
            "<tr><td class=\"wrap mono\">{}</td><td>{}</td><td>{}</td><td class=\"mono small\">{}</td><td class=\"wrap\">{}",
            escape(row.email),
            escape(&row.action),
            chip(row.label),
            escape(&row.code),
            escape(&row.reason),
        );
        if let Some(zoom) = row.zoom {
            let _ = write!(page, "<div class=\"muted small\">Zoom: {}</div>", escape(zoom));
        }
        page.push_str("</td></tr>\n");
    }
    page.push_str("</tbody></table>\n");
    if rows.len() > MAX_ROWS {
        let _ = writeln!(
            page,
            "<p class=\"more\">&hellip; and {} more, not shown: every result is in <code>report.csv</code>, \
             every refusal in <code>plan.csv</code>.</p>",
            group(rows.len() - MAX_ROWS)
        );
    }
    page.push_str("</section>\n");
}

fn result_row(result: &ActionResult) -> Option<Row<'_>> {
    let (rank, code, reason) = match &result.outcome {
        Outcome::Done | Outcome::AlreadyDone { .. } => return None,
        Outcome::GaveUp { attempts, reason } => {
            (0, "retries_exhausted".to_string(), format!("{reason} (gave up after {attempts} attempts)"))
        }
        Outcome::Failed { http_status, code, reason } => {
            let code = match code {
                Some(code) => format!("http {http_status} · zoom {code}"),
                None => format!("http {http_status}"),
            };
            (1, code, reason.clone())
        }
        Outcome::NotAllowed { http_status, code, reason } => {
            (2, format!("http {http_status} · zoom {code}"), reason.clone())
        }
        Outcome::Skipped { code, reason } => (4, code.clone(), reason.clone()),
    };
    let action = match result.performed {
        Some(performed) if performed != result.kind => {
            format!("{} → {}", result.kind.as_str(), performed.as_str())
        }
        _ => result.kind.as_str().to_string(),
    };
    Some(Row {
        rank,
        order: &result.action_id,
        line: 0,
        email: &result.email,
        action,
        label: result.outcome.label(),
        code,
        reason,
        zoom: result.zoom_message.as_deref().filter(|m| !m.is_empty()),
    })
}

fn refusal_row(row: &SkippedRow) -> Row<'_> {
    Row {
        rank: 3,
        order: "",
        line: row.line,
        email: &row.value,
        action: if row.line > 0 { format!("none (line {})", row.line) } else { "none".to_string() },
        label: "refused",
        code: row.reason.code().to_string(),
        reason: row.reason.to_string(),
        zoom: None,
    }
}

fn keys(page: &mut String, input: &RunReportInput<'_>) {
    let backup = input.backup_key.or(input.plan.map(|p| p.backup_key.as_str()));
    let key = |k: Option<&str>| match k {
        Some(k) if !k.is_empty() => format!("<code>{}</code>", escape(k)),
        _ => "<span class=\"muted\">&mdash;</span>".to_string(),
    };
    let _ = write!(
        page,
        "<section class=\"panel\">\n<h2>Objects</h2>\n<dl class=\"facts keys\">\
         <dt>Backup</dt><dd data-key=\"backup\">{}</dd><dt>Plan</dt><dd data-key=\"plan\">{}</dd>\
         <dt>Report</dt><dd data-key=\"report\">{}</dd></dl>\n</section>\n",
        key(backup),
        key(input.plan_key),
        key(Some(&input.summary.report_key)),
    );
}

fn chip(label: &str) -> String {
    format!("<span class=\"chip o-{}\">{}</span>", outcome_class(label), escape(&label.replace('_', " ")))
}

/// The page's style, inlined: a report is one file that opens anywhere.
const STYLE: &str = include_str!("html_report.css");

mod text;

#[cfg(test)]
mod tests;
