//! Unit tests of [`super::decide`]: matching, guardrails, holds and estimates.

use super::*;
use crate::action::MeetingsRule;
use crate::roster::parse_roster;
use crate::snapshot::UserType;

use super::fixtures::{account, user};

fn small_account() -> Account {
    account(vec![
        user(Some("u1"), "Ana@acme.example", UserStatus::Active, 2, "Member"),
        user(Some("u2"), "bo@acme.example", UserStatus::Active, 1, "Member"),
        user(Some("u3"), "cy@acme.example", UserStatus::Inactive, 1, "Member"),
        user(None, "di@acme.example", UserStatus::Pending, 1, "Member"),
        user(Some("u5"), "ed@acme.example", UserStatus::Active, 2, "Member"),
    ])
}

fn plan(requests: &[Request], account: &Account, policy: &Policy) -> PlanBody {
    decide(Decision { requests, rejected: Vec::new(), scheduled: Vec::new(), account, policy, calls_per_second: 2.0 })
}

fn request(email: &str, kind: ActionKind) -> Request {
    Request {
        line: 2,
        email: Some(email::normalize(email).into()),
        employee_id: None,
        kind,
        transfer_email: None,
        reason: None,
        expect: None,
    }
}

#[test]
fn deactivates_matched_active_users_and_explains_every_other_row() {
    let csv = "email\nana@ACME.example\nbo@acme.example\ncy@acme.example\ndi@acme.example\nzed@acme.example\nbogus\n";
    let roster = parse_roster("r.csv", csv.as_bytes()).unwrap();
    let account = small_account();
    let policy = Policy::default();
    let plan = decide(Decision {
        requests: &roster.clone().take_requests(ActionKind::Deactivate),
        rejected: roster.rejected.clone(),
        scheduled: Vec::new(),
        account: &account,
        policy: &policy,
        calls_per_second: 2.0,
    });

    let acted: Vec<_> = plan.actions.iter().map(|a| (a.action_id.as_str(), a.user_id.as_str())).collect();
    assert_eq!(acted, [("0001", "u1"), ("0002", "u2")]);
    assert!(plan.actions.iter().all(|a| a.kind() == ActionKind::Deactivate && a.revoke_sso_first));
    assert_eq!(plan.actions[0].checks.upcoming_meetings, MeetingsRule::Skip);

    let skipped: Vec<_> = plan.skipped.iter().map(|s| (s.line, s.reason.clone())).collect();
    assert_eq!(
        skipped,
        [
            (4, SkipReason::AlreadyInactive),
            (5, SkipReason::PendingInvitation),
            (6, SkipReason::NotInAccount),
            (7, SkipReason::InvalidEmail { detail: "not an email address (no '@')".into() }),
        ]
    );
    let c = plan.counts;
    assert_eq!((c.users_in_account, c.active, c.inactive, c.pending, c.licensed, c.basic), (5, 3, 1, 1, 2, 1));
    assert_eq!((c.roster_rows, c.matched, c.actions, c.skipped, c.refused), (6, 4, 2, 4, 0));
    assert_eq!((c.estimated_active_after, c.estimated_licensed_after, c.estimated_basic_after), (1, 1, 0));
    // Each action: revoke, meetings check, deactivate = 3 calls; 6 calls at 2/s.
    assert_eq!((c.estimated_calls, c.estimated_duration_seconds), (6, 3));
    // 5% of 5 users is 0: in an account this small, any action needs approval.
    assert_eq!(plan.hold.map(|h| h.threshold), Some(0));
}

#[test]
fn refuses_the_owner_admins_rooms_and_protected_people() {
    let account = account(vec![
        user(Some("o"), "owner@acme.example", UserStatus::Active, 2, "Owner"),
        user(Some("a"), "admin@acme.example", UserStatus::Active, 2, "Admin"),
        user(Some("h"), "help@acme.example", UserStatus::Active, 2, "Help Desk"),
        user(Some("r"), "room@acme.example", UserStatus::Active, 1, "Member"),
        user(Some("v"), "vip@acme.example", UserStatus::Active, 2, "Member"),
        user(Some("l"), "legal@law.acme.example", UserStatus::Active, 2, "Member"),
        user(Some("x"), "x@other.example", UserStatus::Active, 2, "Member"),
        user(Some("m"), "member@acme.example", UserStatus::Active, 2, "Member"),
        {
            let mut odd = user(Some("q"), "odd@acme.example", UserStatus::Active, 2, "Member");
            odd.role_id = Some("opaque-new-role".into());
            odd
        },
    ]);
    let mut policy = Policy::default();
    policy.guardrails.protected_emails = vec!["VIP@acme.example".into()];
    policy.guardrails.protected_domains = vec!["@acme.example".replace("acme", "law.acme")];
    policy.guardrails.allowed_domains = vec!["acme.example".into()];
    let emails = ["owner", "admin", "help", "room", "vip", "legal", "x", "member", "odd"];
    let requests: Vec<Request> = emails
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let domain = match *name {
                "legal" => "law.acme.example",
                "x" => "other.example",
                _ => "acme.example",
            };
            Request { line: i as u64 + 2, ..request(&format!("{name}@{domain}"), ActionKind::Delete) }
        })
        .collect();
    let plan = plan(&requests, &account, &policy);
    assert_eq!(plan.actions.iter().map(|a| a.user_id.as_str()).collect::<Vec<_>>(), ["m"]);
    let reasons: Vec<_> = plan.skipped.iter().map(|s| s.reason.to_string()).collect();
    assert_eq!(
        reasons,
        [
            "refused: the user's role is Owner",
            "refused: the user's role is Admin",
            "refused: the user's role is Help Desk",
            "refused: a Zoom Rooms user",
            "refused: on the protected list",
            "refused: law.acme.example is a protected domain",
            "refused: other.example is not one of the allowed domains",
            "refused: role unknown: role id opaque-new-role is not in the account's roles list",
        ]
    );
    assert_eq!(plan.counts.refused, 8);
}

#[test]
fn holds_a_plan_bigger_than_the_threshold() {
    let users: Vec<AccountUser> = (0..100)
        .map(|i| user(Some(&format!("u{i}")), &format!("p{i}@acme.example"), UserStatus::Active, 2, "Member"))
        .collect();
    let account = account(users);
    let requests: Vec<Request> =
        (0..6).map(|i| request(&format!("p{i}@acme.example"), ActionKind::Deactivate)).collect();
    let held = plan(&requests, &account, &Policy::default());
    let hold = held.hold.expect("6 of 100 users is over 5%");
    assert_eq!((hold.actions, hold.threshold), (6, 5));
    assert!(hold.reason.contains("approve"), "{}", hold.reason);
    assert!(plan(&requests[..5], &account, &Policy::default()).hold.is_none());
}

#[test]
fn matches_by_employee_id_and_builds_a_delete_with_transfers_and_checks() {
    let mut account = small_account();
    account.users.push(user(Some("b"), "Boss@acme.example", UserStatus::Active, 2, "Member"));
    let by_id = Request {
        line: 9,
        email: None,
        employee_id: Some("E-u1".into()),
        kind: ActionKind::Delete,
        transfer_email: Some("boss@acme.example".into()),
        reason: Some("terminated".into()),
        expect: None,
    };
    let unknown = Request { employee_id: Some("E-none".into()), line: 10, ..by_id.clone() };
    let plan = plan(&[by_id, unknown], &account, &Policy::default());
    let action = &plan.actions[0];
    assert_eq!((action.user_id.as_str(), action.kind()), ("u1", ActionKind::Delete));
    let delete = action.change.delete_spec().unwrap();
    assert_eq!(delete.transfer_email.as_deref(), Some("Boss@acme.example"), "as the account spells it");
    assert!(delete.transfer_meetings && delete.transfer_recordings);
    assert_eq!(action.checks.cloud_recordings, RecordingsRule::Ignore, "recordings are transferred");
    assert_eq!(
        action.before,
        UserState { status: UserStatus::Active, user_type: UserType::Licensed, role_id: Some("role-Member".into()) }
    );
    assert_eq!(plan.skipped[0].reason, SkipReason::UnknownEmployeeId);

    // Without a manager, only a policy that accepts the loss deletes without transfers,
    // and then the executor still checks for recordings first.
    let no_manager = Request { transfer_email: None, ..request("ana@acme.example", ActionKind::Delete) };
    let mut lossy = Policy::default();
    lossy.transfer.accept_data_loss = true;
    let plan = super::tests::plan(&[no_manager], &account, &lossy);
    assert_eq!(plan.actions[0].checks.cloud_recordings, RecordingsRule::KeepAsBasic);
    assert!(!plan.actions[0].change.delete_spec().unwrap().transfer_meetings);
}

#[test]
fn downgrades_only_licensed_users_and_deletes_pending_invitations_by_email() {
    let account = small_account();
    let requests = [
        request("ana@acme.example", ActionKind::Downgrade),
        Request { line: 3, ..request("bo@acme.example", ActionKind::Downgrade) },
        Request { line: 4, ..request("di@acme.example", ActionKind::Delete) },
    ];
    let plan = plan(&requests, &account, &Policy::default());
    let acted: Vec<_> = plan.actions.iter().map(|a| (a.kind(), a.user_id.as_str(), a.revoke_sso_first)).collect();
    assert_eq!(acted, [(ActionKind::Downgrade, "u1", false), (ActionKind::Delete, "di@acme.example", false)]);
    assert_eq!(plan.skipped[0].reason, SkipReason::AlreadyBasic);
    assert_eq!(plan.counts.estimated_licensed_after, 1);
}

#[test]
fn one_user_named_twice_gets_one_action() {
    let account = small_account();
    let by_email = request("ana@acme.example", ActionKind::Deactivate);
    let by_id = Request { line: 5, email: None, employee_id: Some("E-u1".into()), ..by_email.clone() };
    let plan = plan(&[by_email, by_id], &account, &Policy::default());
    assert_eq!(plan.actions.len(), 1);
    assert_eq!(plan.skipped[0].reason, SkipReason::Duplicate { first_line: 2 });
}
