use super::*;
use crate::action::ActionKind;
use crate::plan::{decide, Decision, PlanSource};
use crate::policy::Policy;
use crate::request::Request;
use crate::snapshot::{Account, AccountUser, UserStatus, UserType};

const FILES: RunFiles<'static> = RunFiles {
    bucket: "acme-offboard",
    plan_key: "runs/r-1/plan.json",
    plan_summary_key: "runs/r-1/plan-summary.txt",
    plan_csv_key: "runs/r-1/plan.csv",
};

fn member(i: usize, status: UserStatus) -> AccountUser {
    AccountUser {
        id: Some(format!("id{i}").into()),
        email: format!("u{i}@acme.example").into(),
        first_name: Default::default(),
        last_name: Default::default(),
        user_type: UserType::Licensed,
        status,
        role_id: Some("m".into()),
        last_login_time: None,
        user_created_at: None,
        employee_id: None,
    }
}

/// Ten users; the file asks to deactivate six of them (one already inactive) and two
/// strangers: six actions would be a small plan, so the policy holds above four.
fn held_plan() -> Plan {
    let users: Vec<AccountUser> =
        (0..10).map(|i| member(i, if i == 5 { UserStatus::Inactive } else { UserStatus::Active })).collect();
    let account = Account {
        users,
        role_names: [("m".to_string(), "Member".to_string())].into_iter().collect(),
        ..Account::default()
    };
    let emails: Vec<String> = (0..6)
        .map(|i| format!("u{i}@acme.example"))
        .chain(["x@else.example".into(), "y@else.example".into()])
        .collect();
    let requests: Vec<Request> = emails
        .iter()
        .enumerate()
        .map(|(line, email)| Request {
            line: line as u64 + 2,
            email: Some(email.as_str().into()),
            employee_id: None,
            kind: ActionKind::Deactivate,
            transfer_email: None,
            reason: None,
            expect: None,
        })
        .collect();
    let mut policy = Policy::default();
    policy.guardrails.hold_above_count = 4;
    policy.guardrails.hold_above_share = 1.0;
    let body = decide(Decision {
        requests: &requests,
        rejected: Vec::new(),
        scheduled: Vec::new(),
        account: &account,
        policy: &policy,
        calls_per_second: 1.0,
    });
    Plan {
        schema_version: 2,
        run_id: "r-1".into(),
        kind: PlanSource::Inbox,
        source: "s3://acme-offboard/inbox/leavers.csv".into(),
        created_at: "2026-12-04T10:00:00Z".into(),
        backup_key: "backups/r-1/".into(),
        uploaded_by: None,
        licence_monthly_price: None,
        rechecked: Vec::new(),
        input_format: "csv (,)".into(),
        email_column: "email".into(),
        body,
    }
}

#[test]
fn a_held_plan_tells_the_approver_what_waits_why_who_uploaded_it_and_the_command_that_sends_it() {
    let mut plan = held_plan();
    plan.uploaded_by = Some("AWS:AIDAEXAMPLE:hr-drop".into());
    let notice = plan_held(&plan, FILES).unwrap();
    assert_eq!(notice.event.as_str(), "plan_held");
    assert_eq!(notice.subject, "Offboard run r-1 held for approval: 5 actions");
    for expected in [
        "Nothing has been sent to Zoom",
        "Uploaded by: AWS:AIDAEXAMPLE:hr-drop",
        "To act on: 5 (5 deactivate)",
        "Not acted on: 3 rows (most often: not_in_account 2, already_inactive 1)",
        "s3://acme-offboard/runs/r-1/plan-summary.txt",
        "s3://acme-offboard/runs/r-1/plan.csv",
        "\n  offboard approve r-1 --bucket acme-offboard\n",
        "someone other than whoever uploaded the input",
    ] {
        assert!(notice.text.contains(expected), "{expected:?} not in:\n{}", notice.text);
    }
    assert_eq!(notice.json["event"], "plan_held");
    assert_eq!((notice.json["actions"].as_u64(), notice.json["threshold"].as_u64()), (Some(5), Some(4)));
    assert_eq!(notice.json["by_kind"], json!({"deactivate": 5}));
    assert_eq!(notice.json["top_reasons"][0], json!({"code": "not_in_account", "rows": 2}));
    assert_eq!(notice.json["approve_command"], "offboard approve r-1 --bucket acme-offboard");
    assert_eq!(notice.json["uploaded_by"], "AWS:AIDAEXAMPLE:hr-drop");
}

#[test]
fn a_plan_that_is_not_held_has_no_held_notice_and_an_unknown_uploader_is_said_to_be_unknown() {
    let mut plan = held_plan();
    let notice = plan_held(&plan, FILES).unwrap();
    assert!(notice.text.contains("Uploaded by: not known"), "{}", notice.text);
    assert_eq!(notice.json["uploaded_by"], Value::Null);
    plan.body.hold = None;
    assert_eq!(plan_held(&plan, FILES), None);
}

#[test]
fn a_refused_file_names_the_file_the_reason_and_where_the_refusal_is() {
    let notice = file_rejected(
        "r-2",
        "s3://acme-offboard/inbox/two addresses.csv",
        "ambiguous_email_column",
        "inbox/two addresses.csv: columns 1 and 3 hold addresses",
        "s3://acme-offboard/runs/r-2/error.json",
    );
    assert_eq!(notice.event.as_str(), "file_rejected");
    assert_eq!(notice.subject, "Offboard refused two addresses.csv: ambiguous_email_column");
    assert!(notice.text.contains("Nothing was planned or sent"), "{}", notice.text);
    assert!(notice.text.contains("columns 1 and 3 hold addresses"), "{}", notice.text);
    assert_eq!(notice.json["kind"], "ambiguous_email_column");
    assert_eq!(notice.json["error_object"], "s3://acme-offboard/runs/r-2/error.json");
}

#[test]
fn a_refused_approval_lists_the_first_changes_and_counts_the_rest() {
    let changes: Vec<String> = (0..25).map(|i| format!("u{i}@acme.example: active -> inactive")).collect();
    let notice = approval_refused(
        "r-3",
        "the account changed since the backup",
        &changes,
        "s3://b/runs/r-3/approval-refused.json",
    );
    assert_eq!(notice.event.as_str(), "approval_refused");
    assert!(notice.text.contains("  u19@acme.example: active -> inactive\n  and 5 more\n"), "{}", notice.text);
    assert!(!notice.text.contains("u20@"), "{}", notice.text);
    assert_eq!(notice.json["changes"].as_array().unwrap().len(), 20);
    assert_eq!(notice.json["changes_total"], 25);
}

#[test]
fn subjects_stay_within_snss_hundred_characters_and_every_event_has_its_own_name() {
    let long = "r".repeat(150);
    assert_eq!(approval_refused(&long, "x", &[], "s3://b/k").subject.chars().count(), 100);
    let long_file = format!("s3://b/inbox/{long}.csv");
    assert_eq!(file_rejected("r", &long_file, "k", "e", "s3://b/k").subject.chars().count(), 100);
    let names: std::collections::BTreeSet<&str> = NoticeEvent::ALL.iter().map(|e| e.as_str()).collect();
    assert_eq!(names.len(), NoticeEvent::ALL.len());
    for event in NoticeEvent::ALL {
        assert_eq!(serde_json::to_value(event).unwrap(), event.as_str());
    }
}

#[test]
fn a_completed_run_says_who_was_deferred_for_hosting_meetings_and_until_when() {
    use crate::outcome::{ActionResult, Findings, Outcome};
    let result = |id: &str, email: &str, outcome: Outcome, last: Option<&str>| ActionResult {
        run_id: "r-1".into(),
        action_id: id.into(),
        kind: ActionKind::Deactivate,
        user_id: id.into(),
        email: email.into(),
        outcome,
        performed: None,
        findings: Findings { last_meeting_ends: last.map(|t| t.parse().unwrap()), ..Findings::default() },
        zoom_message: None,
        prior: None,
        attempt: 1,
        started_at: "2026-12-04T09:00:00Z".into(),
        finished_at: "2026-12-04T09:00:01Z".into(),
    };
    let host = Outcome::Skipped { code: "hosts_upcoming_meetings".into(), reason: "hosts 3 upcoming meetings".into() };
    let results = [
        result("0001", "ana@acme.example", Outcome::Done, None),
        result("0002", "bo@acme.example", host, Some("2026-12-20T10:30:00Z")),
    ];
    let summary =
        crate::summary::summarize("r-1", 2, &results, "runs/r-1/report.csv", "2026-12-04T09:01:00Z".parse().unwrap());
    assert_eq!(summary.deferred.len(), 1);
    let notice = run_completed(&summary);
    assert!(notice.text.contains("Deferred, still hosting meetings (1)"), "{}", notice.text);
    assert!(
        notice.text.contains("bo@acme.example (deactivate), last meeting ends 2026-12-20T10:30:00Z"),
        "{}",
        notice.text
    );
    assert_eq!(notice.json["deferred"][0]["email"], "bo@acme.example");
}
