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
use crate::plan::{Plan, SkippedRow};
use crate::summary::RunSummary;

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

/// `text` safe in HTML text and in a quoted attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// 12345 → `12,345`.
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A rate with as many decimals as it deserves.
fn rate(value: f64) -> String {
    let text = if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// The smallest of 1, 1.2, 1.6, 2, 2.4, 3.2, 4, 6, 8 × 10ⁿ at or above `value` (1 for
/// nothing): a top whose quarters are round figures.
fn nice_ceiling(value: f64) -> f64 {
    if !value.is_finite() || value <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 1.2, 1.6, 2.0, 2.4, 3.2, 4.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(|f| f * magnitude)
        .find(|&v| v >= value)
        .unwrap_or(10.0 * magnitude)
}

/// A time offset: `0s`, `0.5s`, `45s`, `2m`, `2m30s`, `1h05m`.
fn elapsed(ms: i64) -> String {
    if ms % 1000 != 0 && ms < 60_000 {
        return rate(ms as f64 / 1000.0) + "s";
    }
    let s = ms / 1000;
    match s {
        _ if s < 60 => format!("{s}s"),
        _ if s < 3600 && s % 60 == 0 => format!("{}m", s / 60),
        _ if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

/// A duration in seconds, for people.
fn duration(seconds: f64) -> String {
    if seconds <= 0.0 {
        "&mdash;".to_string()
    } else if seconds < 1.0 {
        format!("{:.0} ms", seconds * 1000.0)
    } else if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        elapsed((seconds * 1000.0).round() as i64 / 1000 * 1000)
    }
}

fn utc(time: Timestamp) -> String {
    time.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

const STYLE: &str = r#"
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--panel:#fff;--accent:#0969da;
--done:#1a7f37;--already:#0969da;--skipped:#9a6700;--notallowed:#8250df;--failed:#cf222e;--gaveup:#bc4c00;--refused:#6e7781;--other:#57606a}
*{box-sizing:border-box}
html{background:var(--soft)}
body{margin:0;color:var(--fg);font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,"Liberation Sans",sans-serif}
.page{max-width:1200px;margin:0 auto;padding:28px 32px 40px}
code,.mono{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace}
code{font-size:12.5px;background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:1px 6px;word-break:break-all}
.head{margin-bottom:20px}
.eyebrow{color:var(--muted);font-size:12px;font-weight:600;letter-spacing:.06em;text-transform:uppercase}
h1{margin:4px 0 8px;font-size:24px;font-weight:600;display:flex;align-items:center;gap:12px;flex-wrap:wrap}
h1 .mono{font-size:22px;word-break:break-all}
.meta{display:flex;flex-wrap:wrap;gap:6px 22px;color:var(--muted)}
.meta b{color:var(--fg);font-weight:600;margin-right:4px}
.pill{font-size:12px;font-weight:600;border-radius:999px;padding:3px 10px;border:1px solid;white-space:nowrap}
.pill.good{color:var(--done);background:#dafbe1;border-color:#aceebb}
.pill.bad{color:var(--failed);background:#ffebe9;border-color:#ffcecb}
.pill.warn{color:var(--skipped);background:#fff8c5;border-color:#f2dd8c}
.pill.neutral{color:var(--muted);background:var(--soft);border-color:var(--line)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px;margin-bottom:16px}
.card{background:var(--panel);border:1px solid var(--line);border-top:3px solid var(--c,var(--accent));border-radius:8px;padding:12px 14px}
.card .label{color:var(--muted);font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.card .num{font-size:28px;font-weight:600;line-height:1.2;margin:4px 0 2px;color:var(--c,var(--fg));font-variant-numeric:tabular-nums}
.card.total{--c:var(--fg);border-top-color:var(--fg)}
.card .sub{color:var(--muted);font-size:12px}
.card.zero .num{color:#afb8c1}
.bar{height:6px;background:#eaeef2;border-radius:3px;overflow:hidden;margin-top:8px}
.bar i{display:block;height:100%;background:var(--c,var(--accent));border-radius:3px}
.o-done{--c:var(--done)}.o-already{--c:var(--already)}.o-skipped{--c:var(--skipped)}.o-notallowed{--c:var(--notallowed)}
.o-failed{--c:var(--failed)}.o-gaveup{--c:var(--gaveup)}.o-refused{--c:var(--refused)}.o-other{--c:var(--other)}
.two{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin-bottom:16px}
h2{font-size:16px;font-weight:600;margin:0 0 12px;display:flex;align-items:center;gap:8px}
h2 .count{font-size:12px;font-weight:600;background:#eaeef2;border-radius:999px;padding:1px 8px;color:var(--muted)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:6px 18px;margin:0}
.facts dt{color:var(--muted)}.facts dd{margin:0;font-variant-numeric:tabular-nums}
.chart{width:100%;height:auto;display:block}
.chart .grid{stroke:#eaeef2;stroke-width:1}
.chart .axis{stroke:#8c959f;stroke-width:1}
.chart .tick{fill:var(--muted);font-size:12px}
.chart .title{fill:var(--muted);font-size:12px;font-weight:600}
.chart .line{fill:none;stroke:var(--accent);stroke-width:2.25;stroke-linejoin:round;stroke-linecap:round}
.chart .area{fill:var(--accent);fill-opacity:.1;stroke:none}
.chart .dot{fill:#fff;stroke:var(--accent);stroke-width:2}
.chart .avg{stroke:var(--done);stroke-width:1.25;stroke-dasharray:5 4}
.chart .avglabel{fill:var(--done);font-size:12px;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
.caption{color:var(--muted);font-size:12.5px;margin:8px 0 0}
.t{width:100%;border-collapse:collapse;font-size:13px}
.t th{text-align:left;color:var(--muted);font-weight:600;font-size:12px;border-bottom:1px solid var(--line);padding:6px 10px;background:var(--soft)}
.t td{border-bottom:1px solid #eaeef2;padding:7px 10px;vertical-align:top}
.t tbody tr:hover td{background:#f6f8fa}
.t .r{text-align:right}.t .num{font-variant-numeric:tabular-nums;font-weight:600}
.t .share{width:200px}.t .share .bar{display:inline-block;width:130px;margin:0 8px 0 0;vertical-align:middle}
.pct{color:var(--muted);font-size:12px;font-variant-numeric:tabular-nums}
.wrap{word-break:break-word;overflow-wrap:anywhere}
.small{font-size:12px}.muted{color:var(--muted)}
.chip{display:inline-block;font-size:12px;font-weight:600;border-radius:999px;padding:0 8px;white-space:nowrap;color:var(--c);background:#fff;border:1px solid var(--c)}
.empty{color:var(--muted);margin:4px 0}
.more{color:var(--muted);margin:10px 0 0}
.keys dd code{font-size:12.5px}
.foot{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
@media (max-width:760px){.two{grid-template-columns:1fr}.page{padding:16px}}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Findings;
    use crate::plan::ActionKind;
    use crate::summary::summarize;

    fn result(id: usize, email: &str, outcome: Outcome, finished: &str) -> ActionResult {
        ActionResult {
            run_id: "run-1".into(),
            action_id: format!("{id:04}"),
            kind: ActionKind::Deactivate,
            user_id: format!("u{id}"),
            email: email.into(),
            outcome,
            performed: None,
            findings: Findings::default(),
            zoom_message: None,
            prior: None,
            attempt: 1,
            started_at: finished.into(),
            finished_at: finished.into(),
        }
    }

    fn sample() -> Vec<ActionResult> {
        let mut results: Vec<ActionResult> = (0..40)
            .map(|i| {
                result(i, &format!("p{i}@acme.example"), Outcome::Done, &format!("2026-11-23T10:00:{:02}Z", i % 20))
            })
            .collect();
        results.push(result(
            40,
            "<script>alert(1)</script>@acme.example",
            Outcome::Failed { http_status: 500, code: None, reason: "Zoom said \"no\" & <b>bye</b>".into() },
            "2026-11-23T10:00:21Z",
        ));
        results.push(result(
            41,
            "sk@acme.example",
            Outcome::Skipped { code: "hosts_upcoming_meetings".into(), reason: "hosts 2 upcoming meetings".into() },
            "2026-11-23T10:00:22Z",
        ));
        results
    }

    fn render(results: &[ActionResult], planned: usize) -> (RunSummary, String) {
        let now: Timestamp = "2026-11-23T10:05:00Z".parse().unwrap();
        let summary = summarize("run-1", planned, results, "runs/run-1/report.csv", now);
        let html = render_run_report(&RunReportInput {
            summary: &summary,
            results,
            plan: None,
            plan_key: Some("runs/run-1/plan.json"),
            backup_key: Some("backups/run-1/users.csv"),
            generated_at: "2026-11-23T10:06:00Z",
        });
        (summary, html)
    }

    #[test]
    fn escapes_every_user_string() {
        let (_, html) = render(&sample(), 42);
        assert!(!html.contains("<script"), "a user's <script> must come out escaped");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;@acme.example"));
        assert!(html.contains("Zoom said &quot;no&quot; &amp; &lt;b&gt;bye&lt;/b&gt;"));
        assert_eq!(escape("a'b"), "a&#39;b");
    }

    #[test]
    fn loads_nothing_from_anywhere() {
        let (_, html) = render(&sample(), 42);
        for needle in ["http://", "https://", "src=", "href=", "url(", "@import", "<link", "<script", "<img"] {
            assert!(!html.contains(needle), "the page must be self-contained, found {needle:?}");
        }
        // A URL a user wrote is shown, escaped, and only as text.
        let mut results = sample();
        results[40].email = "https://evil.example/?a=<x>".into();
        let (_, html) = render(&results, 42);
        let escaped = "https://evil.example/?a=&lt;x&gt;";
        assert!(html.contains(escaped));
        assert_eq!(html.matches("https://").count(), html.matches(escaped).count());
    }

    #[test]
    fn counts_are_in_data_attributes() {
        let (summary, html) = render(&sample(), 42);
        assert!(html.contains("data-planned=\"42\""));
        assert!(html.contains("data-terminal=\"42\""));
        for label in OUTCOMES {
            let expected = format!("data-outcome=\"{label}\" data-count=\"{}\"", summary.count(label));
            assert!(html.contains(&expected), "{expected}");
        }
        assert!(html.contains("data-outcome=\"done\" data-count=\"40\""));
        assert!(html.contains("data-outcome=\"failed\" data-count=\"1\""));
        assert!(html.contains("hosts_upcoming_meetings"));
        assert!(html.contains("backups/run-1/users.csv") && html.contains("runs/run-1/plan.json"));
    }

    #[test]
    fn zero_and_one_results_render() {
        let (_, html) = render(&[], 0);
        assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
        assert!(html.contains("data-planned=\"0\"") && html.contains("data-outcome=\"done\" data-count=\"0\""));
        assert!(!html.contains("<polyline") && !html.contains("NaN") && !html.contains("inf\""));

        let one = [result(0, "a@acme.example", Outcome::Done, "2026-11-23T10:00:00Z")];
        let (_, html) = render(&one, 1);
        assert_eq!(polyline_points(&html), 1);
        assert!(!html.contains("NaN") && !html.contains("inf\""));
        assert_eq!(throughput(&one).unwrap().counts, [1]);
    }

    #[test]
    fn the_chart_has_one_point_per_bucket() {
        let results = sample();
        let series = throughput(&results).unwrap();
        // 22 s in the smallest round buckets that make at most 60 of them: 45 of 0.5 s.
        assert_eq!((series.bucket_ms, series.counts.len(), series.counts.iter().sum::<usize>()), (500, 45, 42));
        assert_eq!((series.counts[0], series.counts[1], series.counts[44]), (2, 0, 1));
        let (_, html) = render(&results, 42);
        assert_eq!(polyline_points(&html), series.counts.len());

        // A long run is cut into at most MAX_BUCKETS round buckets.
        let long: Vec<ActionResult> = (0..500)
            .map(|i| {
                let t = Timestamp::from_second(1_800_000_000 + i * 37).unwrap();
                result(i as usize, "x@acme.example", Outcome::Done, &t.to_string())
            })
            .collect();
        let series = throughput(&long).unwrap();
        assert!(series.counts.len() <= MAX_BUCKETS && series.counts.len() > 30, "{}", series.counts.len());
        assert_eq!(series.bucket_ms, 600_000);
        let (_, html) = render(&long, 500);
        assert_eq!(polyline_points(&html), series.counts.len());
    }

    #[test]
    fn every_outcome_has_a_card() {
        // Fails to compile when an outcome is added, until it is given a place here.
        let label = |o: &Outcome| match o {
            Outcome::Done
            | Outcome::AlreadyDone { .. }
            | Outcome::NotAllowed { .. }
            | Outcome::Failed { .. }
            | Outcome::Skipped { .. }
            | Outcome::GaveUp { .. } => o.label(),
        };
        let all = [
            Outcome::Done,
            Outcome::AlreadyDone { http_status: 404, code: 1001 },
            Outcome::NotAllowed { http_status: 400, code: 200, reason: String::new() },
            Outcome::Failed { http_status: 500, code: None, reason: String::new() },
            Outcome::Skipped { code: String::new(), reason: String::new() },
            Outcome::GaveUp { attempts: 3, reason: String::new() },
        ];
        for outcome in &all {
            assert!(OUTCOMES.contains(&label(outcome)), "{}", label(outcome));
            assert_ne!(outcome_class(outcome.label()), "other");
        }
    }

    #[test]
    fn caps_the_rows() {
        let results: Vec<ActionResult> = (0..MAX_ROWS + 7)
            .map(|i| {
                result(
                    i,
                    "s@acme.example",
                    Outcome::Skipped { code: "owns_cloud_recordings".into(), reason: "r".into() },
                    "2026-11-23T10:00:00Z",
                )
            })
            .collect();
        let (_, html) = render(&results, results.len());
        assert!(html.contains("and 7 more"));
        assert_eq!(html.matches("<td class=\"wrap mono\">s@acme.example</td>").count(), MAX_ROWS);
    }

    #[test]
    fn formats_figures() {
        assert_eq!(
            (group(0), group(999), group(1000), group(1234567)),
            ("0".into(), "999".into(), "1,000".into(), "1,234,567".into())
        );
        assert_eq!(
            (rate(0.0), rate(2.5), rate(12.34), rate(250.4)),
            ("0".into(), "2.5".into(), "12.3".into(), "250".into())
        );
        let nice = |v: f64| (nice_ceiling(v) * 1000.0).round() as i64;
        assert_eq!((nice(0.0), nice(3.0), nice(40.0), nice(0.3), nice(7.0)), (1000, 3200, 40_000, 320, 8000));
        assert_eq!(
            (elapsed(0), elapsed(500), elapsed(90_000), elapsed(3_900_000)),
            ("0s".into(), "0.5s".into(), "1m30s".into(), "1h05m".into())
        );
    }

    fn polyline_points(html: &str) -> usize {
        let start = html.find("<polyline").expect("a polyline");
        let rest = &html[start..];
        let points = rest.split("points=\"").nth(1).unwrap();
        points[..points.find('"').unwrap()].split_whitespace().count()
    }
}
