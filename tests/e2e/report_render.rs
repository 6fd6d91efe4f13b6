//! The run report as Chromium shows it: `offboard_core::html_report` renders a run made
//! by hand, headless Chromium opens the file, and the test checks that the page is not
//! blank and that the counts in its DOM are the summary's. No stack is needed; Chromium
//! is (`make chromium`).

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use jiff::Timestamp;
use offboard_core::html_report::{render_run_report, RunReportInput, OUTCOMES};
use offboard_core::summary::{summarize, RunSummary};
use offboard_core::{
    decide, Account, AccountUser, ActionKind, ActionResult, Decision, Findings, Outcome, Plan, PlanSource, Policy,
    Request, UserStatus,
};
use offboard_e2e::browser::{self, outcome_counts, planned_count};

fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report_render").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn member(id: &str, email: &str, role: &str) -> AccountUser {
    AccountUser {
        id: Some(id.into()),
        email: email.into(),
        first_name: "F".into(),
        last_name: "L".into(),
        user_type: offboard_core::UserType::Licensed,
        status: UserStatus::Active,
        role_id: Some(format!("role-{role}").into()),
        last_login_time: None,
        user_created_at: None,
        employee_id: None,
    }
}

/// A plan that acts on one member and refuses the owner, an admin and a Zoom Room.
fn plan() -> Plan {
    let account = Account {
        users: vec![
            member("o", "owner@acme.example", "Owner"),
            member("a", "it-admin@acme.example", "Admin"),
            member("r", "boardroom@acme.example", "Member"),
            member("m", "leaver@acme.example", "Member"),
        ],
        role_names: ["Owner", "Admin", "Member"].iter().map(|n| (format!("role-{n}"), n.to_string())).collect(),
        room_emails: HashSet::from(["boardroom@acme.example".to_string()]),
    };
    let requests: Vec<Request> =
        ["owner@acme.example", "it-admin@acme.example", "boardroom@acme.example", "leaver@acme.example"]
            .iter()
            .enumerate()
            .map(|(i, email)| Request {
                line: i as u64 + 2,
                email: Some((*email).into()),
                employee_id: None,
                kind: ActionKind::Deactivate,
                transfer_email: None,
                reason: None,
                expect: None,
            })
            .collect();
    let body = decide(Decision {
        requests: &requests,
        rejected: Vec::new(),
        scheduled: Vec::new(),
        account: &account,
        policy: &Policy::default(),
        calls_per_second: 20.0,
    });
    assert_eq!(body.counts.refused, 3);
    Plan {
        schema_version: 1,
        run_id: "inbox-2026-11-23-roster-3f9c2a".into(),
        kind: PlanSource::Inbox,
        source: "s3://offboard-acme/inbox/leavers-november.csv".into(),
        created_at: "2026-11-23T09:59:58Z".into(),
        backup_key: "backups/inbox-2026-11-23-roster-3f9c2a/users.jsonl.gz".into(),
        uploaded_by: None,
        licence_monthly_price: None,
        rechecked: Vec::new(),
        input_format: "csv (,)".into(),
        email_column: "email".into(),
        body,
    }
}

/// About 600 results over 80 seconds: a ramp, a plateau, a throttled dip, a recovery;
/// mostly `done`, with some of every other outcome and one hostile email.
fn results(run_id: &str) -> Vec<ActionResult> {
    let start = Timestamp::from_second(1_795_428_000).unwrap().as_millisecond();
    let rate = |seconds: f64| match seconds {
        s if s < 8.0 => 1.0 + s * 1.2,
        s if s < 38.0 => 10.5,
        s if s < 48.0 => 2.5,
        _ => 9.0,
    };
    let mut seed: u64 = 42;
    let mut jitter = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as f64 / (1u64 << 31) as f64
    };
    let mut at = 0.0;
    let mut out = Vec::new();
    while at < 80.0 {
        let i = out.len();
        let outcome = match i {
            _ if i == 77 => Outcome::Failed {
                http_status: 400,
                code: Some(300),
                reason: "Zoom refused the change: <b>\"invalid\"</b> & more".into(),
            },
            _ if i == 301 => Outcome::Failed { http_status: 500, code: None, reason: "internal error".into() },
            _ if i == 450 => Outcome::GaveUp { attempts: 5, reason: "429 daily limit until tomorrow".into() },
            _ if i % 97 == 13 => {
                Outcome::NotAllowed { http_status: 400, code: 200, reason: "a Zoom Room or an admin".into() }
            }
            _ if i % 53 == 7 => {
                Outcome::Skipped { code: "hosts_upcoming_meetings".into(), reason: "hosts 3 upcoming meetings".into() }
            }
            _ if i % 71 == 9 => Outcome::Skipped {
                code: "owns_cloud_recordings".into(),
                reason: "owns 12 cloud recordings from the last month".into(),
            },
            _ if i % 37 == 5 => Outcome::AlreadyDone { http_status: 404, code: 1001 },
            _ => Outcome::Done,
        };
        let email = if i == 77 {
            "<script>alert(\"x\")</script>@acme.example".to_string()
        } else {
            format!("person.{i:04}@acme.example")
        };
        let finished = start + (at * 1000.0) as i64;
        let started = finished - 250 - (jitter() * 400.0) as i64;
        let time = |ms: i64| Timestamp::from_millisecond(ms).unwrap().to_string();
        out.push(ActionResult {
            run_id: run_id.to_string(),
            action_id: format!("{:04}", i + 1),
            kind: ActionKind::Deactivate,
            user_id: format!("u{i}"),
            email,
            zoom_message: matches!(outcome, Outcome::NotAllowed { .. })
                .then(|| "Usuario no permitido: sala de Zoom".to_string()),
            outcome,
            performed: None,
            findings: Findings::default(),
            prior: None,
            attempt: if i % 50 == 3 { 2 } else { 1 },
            started_at: time(started),
            finished_at: time(finished),
        });
        at += (0.4 + jitter() * 1.2) / rate(at);
    }
    out
}

/// The DOM's cards against the summary: every outcome has a card, and each card's count
/// is the summary's (an outcome the summary does not name counts 0).
fn assert_counts_match(dom: &str, summary: &RunSummary) {
    let shown = outcome_counts(dom);
    for label in OUTCOMES {
        assert!(shown.contains_key(label), "no card for {label} in {shown:?}");
    }
    let labels: Vec<&String> = shown.keys().chain(summary.by_outcome.keys()).collect();
    for label in labels {
        let expected = summary.by_outcome.get(label).copied().unwrap_or(0) as u64;
        assert_eq!(shown.get(label).copied().unwrap_or(0), expected, "{label}: {shown:?} vs {:?}", summary.by_outcome);
    }
    assert_eq!(planned_count(dom), Some(summary.planned as u64));
}

#[test]
fn chromium_shows_a_run_with_the_summary_s_counts() {
    let plan = plan();
    let results = results(&plan.run_id);
    let now: Timestamp = "2026-11-23T10:01:40Z".parse().unwrap();
    let report_key = format!("runs/{}/report.csv", plan.run_id);
    let summary = summarize(&plan.run_id, results.len(), &results, &report_key, now);
    assert!(summary.count("done") > 400 && summary.count("gave_up") == 1, "{:?}", summary.by_outcome);
    let plan_key = format!("runs/{}/plan.json", plan.run_id);
    let html = render_run_report(&RunReportInput {
        summary: &summary,
        results: &results,
        plan: Some(&plan),
        plan_key: Some(&plan_key),
        backup_key: None,
        generated_at: "2026-11-23T10:02:00Z",
    });
    let dir = out_dir("run");
    let file = dir.join("report.html");
    std::fs::write(&file, &html).unwrap();

    let rendered = browser::render(&file, &dir).unwrap();
    assert!(!browser::is_blank(&rendered.screenshot_png).unwrap(), "{} is blank", rendered.screenshot_png.display());
    assert_counts_match(&rendered.dom, &summary);
    // The hostile email is text in the browser too, not an element.
    assert!(rendered.dom.contains("&lt;script&gt;alert(\"x\")&lt;/script&gt;@acme.example"));
    assert!(!rendered.dom.contains("<script"));
    // The refusals at plan time are listed with the results that were not done.
    for email in ["owner@acme.example", "it-admin@acme.example", "boardroom@acme.example"] {
        assert!(rendered.dom.contains(email), "{email}");
    }
    assert!(rendered.dom.contains(&plan.backup_key) && rendered.dom.contains(&plan_key));
}

#[test]
fn chromium_shows_a_run_with_no_result() {
    let now: Timestamp = "2026-11-23T10:01:40Z".parse().unwrap();
    let summary = summarize("sweep-2026-11-23", 0, &[], "runs/sweep-2026-11-23/report.csv", now);
    let html = render_run_report(&RunReportInput {
        summary: &summary,
        results: &[],
        plan: None,
        plan_key: None,
        backup_key: None,
        generated_at: "2026-11-23T10:02:00Z",
    });
    let dir = out_dir("empty");
    let file = dir.join("empty.html");
    std::fs::write(&file, &html).unwrap();
    let rendered = browser::render(&file, &dir).unwrap();
    assert!(!browser::is_blank(&rendered.screenshot_png).unwrap());
    assert_counts_match(&rendered.dom, &summary);
    assert!(outcome_counts(&rendered.dom).values().all(|&n| n == 0));
}

#[test]
fn outcome_counts_reads_attributes_of_tags_only() {
    let dom = r#"<!DOCTYPE html><html><head><style>.a > .b { content: "<div data-outcome='x' data-count='9'>"; }</style></head>
<body><!-- <div data-outcome="done" data-count="100"> -->
<div class="card" title="a > b" data-outcome="done" data-count="3">done</div>
<DIV data-count='2' DATA-OUTCOME=failed>failed</DIV>
<p>data-outcome="done" data-count="50" is text</p>
<div data-outcome="gave&#39;up" data-count="1"></div>
<div data-outcome="skipped" data-count="many"></div>
<div class="card total" data-planned="7" data-terminal="6"></div>
</body></html>"#;
    let expected: BTreeMap<String, u64> =
        [("done", 3), ("failed", 2), ("gave'up", 1)].iter().map(|(k, v)| (k.to_string(), *v)).collect();
    assert_eq!(outcome_counts(dom), expected);
    assert_eq!(planned_count(dom), Some(7));
    assert_eq!(planned_count("<p>no report</p>"), None);
}

#[test]
fn is_blank_tells_a_uniform_image_from_a_drawn_one() {
    let dir = out_dir("blank");
    let write = |name: &str, pixels: &[u8]| {
        let path = dir.join(name);
        let file = std::fs::File::create(&path).unwrap();
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), 100, 100);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header().unwrap().write_image_data(pixels).unwrap();
        path
    };
    let white = vec![255u8; 100 * 100 * 3];
    assert!(browser::is_blank(&write("white.png", &white)).unwrap());
    // 10 of 10,000 pixels differ: 99.9% one colour is still blank.
    let mut speck = white.clone();
    speck[..30].fill(0);
    assert!(browser::is_blank(&write("speck.png", &speck)).unwrap());
    // A line of text's worth: 2% differ.
    let mut drawn = white;
    drawn[..600].fill(0);
    assert!(!browser::is_blank(&write("drawn.png", &drawn)).unwrap());
}
