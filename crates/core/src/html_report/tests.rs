//! Unit tests of the run report page: its figures, rows, chart and escaping.

use super::text::{escape, group, nice_ceiling, rate};
use super::*;
use crate::action::ActionKind;
use crate::outcome::Findings;
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
        .map(|i| result(i, &format!("p{i}@acme.example"), Outcome::Done, &format!("2026-11-23T10:00:{:02}Z", i % 20)))
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
    assert!(html.contains(&format!("data-licences-freed=\"{}\"", summary.licences_freed)));
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
