//! Unit tests of the ways a plan could harm the people it protects: deletes that would
//! destroy recordings, transfer targets nobody checked, and approvals held to today's
//! guardrails ([`super::recheck`]).

use super::*;
use crate::action::MeetingsRule;

use super::fixtures::{account, user};

/// The leaver, and everyone a transfer could be aimed at.
fn people() -> Account {
    account(vec![
        user(Some("ana"), "ana@acme.example", UserStatus::Active, 2, "Member"),
        user(Some("boss"), "boss@acme.example", UserStatus::Active, 2, "Member"),
        user(Some("arch"), "archive@acme.example", UserStatus::Active, 2, "Member"),
        user(Some("gone"), "gone@acme.example", UserStatus::Inactive, 1, "Member"),
        user(None, "invited@acme.example", UserStatus::Pending, 2, "Member"),
        user(Some("basic"), "basic@acme.example", UserStatus::Active, 1, "Member"),
        user(Some("vip"), "vip@acme.example", UserStatus::Active, 2, "Member"),
        user(Some("adm"), "admin@acme.example", UserStatus::Active, 2, "Admin"),
        user(Some("room"), "room@acme.example", UserStatus::Active, 2, "Member"),
        user(Some("leaves"), "leaves@acme.example", UserStatus::Active, 2, "Member"),
        user(Some("old"), "old@acme.example", UserStatus::Inactive, 1, "Member"),
    ])
}

fn policy() -> Policy {
    let mut policy = Policy::default();
    policy.guardrails.protected_emails = vec!["vip@acme.example".into()];
    policy
}

fn delete(email: &str, manager: Option<&str>) -> Request {
    Request {
        line: 2,
        email: Some(email.into()),
        employee_id: None,
        kind: ActionKind::Delete,
        transfer_email: manager.map(str::to_string),
        reason: Some("terminated 2026-11-01 (hr/x.csv line 2)".into()),
        expect: None,
    }
}

fn plan(requests: &[Request], account: &Account, policy: &Policy) -> PlanBody {
    decide(Decision { requests, rejected: Vec::new(), scheduled: Vec::new(), account, policy, calls_per_second: 1.0 })
}

const NOBODY: &str = "delete asked for, but no one to transfer meetings, recordings and whiteboards to \
                      (no manager, no transfer.archive_email): deactivated instead, keeping them";

#[test]
fn a_delete_with_no_one_to_transfer_to_deactivates_instead() {
    let account = people();
    let body = plan(&[delete("ana@acme.example", None)], &account, &policy());
    let action = &body.actions[0];
    assert_eq!((action.kind(), action.change.delete_spec().is_none()), (ActionKind::Deactivate, true), "{action:?}");
    assert_eq!(action.why(), format!("terminated 2026-11-01 (hr/x.csv line 2); {NOBODY}"));
    assert_eq!(action.checks, Checks { upcoming_meetings: MeetingsRule::Skip, ..Checks::NONE });
    assert!(action.revoke_sso_first);
    // The figures follow the deactivation: revoke, meetings, deactivate; no recordings check.
    assert_eq!(body.counts.estimated_calls, 3);
    assert_eq!(body.counts.estimated_licensed_after, body.counts.licensed - 1);

    // A roster's delete (no reason of its own) says which line asked.
    let roster = Request { reason: None, ..delete("ana@acme.example", None) };
    let body = plan(&[roster], &account, &policy());
    assert_eq!(body.actions[0].why(), format!("listed on line 2; {NOBODY}"));

    // An archive account receives them instead.
    let mut with_archive = policy();
    with_archive.transfer.archive_email = Some("Archive@acme.example".into());
    let body = plan(&[delete("ana@acme.example", None)], &account, &with_archive);
    let action = &body.actions[0];
    assert_eq!(action.kind(), ActionKind::Delete);
    let spec = action.change.delete_spec().unwrap();
    assert_eq!(spec.transfer_email.as_deref(), Some("archive@acme.example"));
    assert!(spec.transfer_meetings && spec.transfer_webinars && spec.transfer_recordings && spec.transfer_whiteboards);
    assert_eq!(action.checks.cloud_recordings, RecordingsRule::Ignore);
    assert!(action.why().contains("no manager: transferring to transfer.archive_email archive@acme.example"));

    // Only accept_data_loss deletes without a transfer, and then the recordings check stays.
    let mut lossy = policy();
    lossy.transfer.accept_data_loss = true;
    let body = plan(&[delete("ana@acme.example", None)], &account, &lossy);
    let action = &body.actions[0];
    assert_eq!(action.kind(), ActionKind::Delete);
    let spec = action.change.delete_spec().unwrap();
    assert!(spec.transfer_email.is_none() && !spec.transfer_recordings);
    assert_eq!(action.checks.cloud_recordings, RecordingsRule::KeepAsBasic);
    assert!(action.why().contains("deleting without transfers, as transfer.accept_data_loss allows"));
    assert_eq!(body.counts.estimated_calls, 4);

    // Someone already deactivated cannot be deactivated instead: kept as they are.
    let body = plan(&[delete("old@acme.example", None)], &account, &policy());
    assert!(body.actions.is_empty());
    assert_eq!(body.skipped[0].reason.code(), "no_transfer_target");
    assert!(body.skipped[0].reason.is_refusal());
    assert!(body.skipped[0].reason.to_string().contains("no manager, no transfer.archive_email"));

    // An invitation has nothing to transfer: its delete goes ahead.
    let body = plan(&[delete("invited@acme.example", None)], &account, &policy());
    assert_eq!(body.actions[0].kind(), ActionKind::Delete);
    assert!(body.actions[0].change.delete_spec().unwrap().transfer_email.is_none());
}

#[test]
fn a_manager_who_cannot_receive_things_falls_back_to_the_archive_then_to_a_deactivation() {
    let account = people();
    let cases = [
        ("stranger@acme.example", "stranger@acme.example is not a user of the account"),
        ("gone@acme.example", "gone@acme.example is deactivated"),
        ("invited@acme.example", "invited@acme.example has not accepted their invitation"),
        ("basic@acme.example", "basic@acme.example is not licensed (type 1)"),
        ("vip@acme.example", "vip@acme.example may not receive them (refused: on the protected list)"),
        ("admin@acme.example", "admin@acme.example may not receive them (refused: the user's role is Admin)"),
        ("room@acme.example", "room@acme.example may not receive them (refused: a Zoom Rooms user)"),
        ("ana@acme.example", "ana@acme.example is the user themself"),
        ("leaves@acme.example", "leaves@acme.example is leaving in this run too (line 3)"),
    ];
    let also_leaving = Request { line: 3, kind: ActionKind::Downgrade, ..delete("leaves@acme.example", None) };
    let mut with_archive = policy();
    with_archive.transfer.archive_email = Some("archive@acme.example".into());
    let mut bad_archive = policy();
    bad_archive.transfer.archive_email = Some("basic@acme.example".into());
    for (manager, why) in cases {
        let requests = [delete("ana@acme.example", Some(manager)), also_leaving.clone()];

        let body = plan(&requests, &account, &policy());
        let action = &body.actions[0];
        assert_eq!(action.kind(), ActionKind::Deactivate, "{manager}: {action:?}");
        let reason = action.why();
        assert!(reason.contains(&format!("(manager {why}")), "{manager}: {reason}");
        assert!(reason.contains("no transfer.archive_email): deactivated instead, keeping them"), "{reason}");

        let body = plan(&requests, &account, &with_archive);
        let action = &body.actions[0];
        assert_eq!(action.kind(), ActionKind::Delete, "{manager}: {action:?}");
        let spec = action.change.delete_spec().unwrap();
        assert_eq!(spec.transfer_email.as_deref(), Some("archive@acme.example"), "{manager}");
        let reason = action.why();
        assert!(reason.contains(&format!("manager {why}")), "{manager}: {reason}");
        assert!(reason.contains("transferring to transfer.archive_email archive@acme.example"), "{reason}");

        let body = plan(&requests, &account, &bad_archive);
        let action = &body.actions[0];
        assert_eq!(action.kind(), ActionKind::Deactivate, "{manager}: {action:?}");
        let reason = action.why();
        assert!(reason.contains(&format!("manager {why}")), "{manager}: {reason}");
        assert!(reason.contains("transfer.archive_email basic@acme.example is not licensed"), "{reason}");
    }

    // A usable manager receives them, under their address in the account.
    let body = plan(&[delete("ana@acme.example", Some("Boss@acme.example"))], &account, &with_archive);
    let spec = body.actions[0].change.delete_spec().unwrap();
    assert_eq!(spec.transfer_email.as_deref(), Some("boss@acme.example"));
    assert_eq!(body.actions[0].why(), "terminated 2026-11-01 (hr/x.csv line 2)");
}

#[test]
fn a_user_whose_role_cannot_be_known_is_refused_never_assumed_a_member() {
    let mut account = people();
    for user in &mut account.users {
        if user.email == "ana@acme.example" || user.email == "invited@acme.example" {
            user.role_id = None;
        }
    }
    let requests = [
        Request { kind: ActionKind::Deactivate, ..delete("ana@acme.example", None) },
        Request { line: 3, ..delete("invited@acme.example", None) },
    ];
    let body = plan(&requests, &account, &Policy::default());
    assert!(body.actions.is_empty(), "{:?}", body.actions);
    let reasons: Vec<(String, bool, String)> = body
        .skipped
        .iter()
        .map(|s| (s.reason.code().to_string(), s.reason.is_refusal(), s.reason.to_string()))
        .collect();
    let refused = ("unknown_role".to_string(), true, "refused: role unknown: Zoom gave no role_id".to_string());
    assert_eq!(reasons, [refused.clone(), refused]);
    assert_eq!(body.counts.refused, 2);
}

#[test]
fn recheck_refuses_what_changed_since_planning_and_passes_the_rest() {
    let planned_on = people();
    let mut requests: Vec<Request> = ["ana", "leaves", "room2", "vip2", "adm2", "missing", "norole"]
        .iter()
        .enumerate()
        .map(|(i, name)| Request {
            line: i as u64 + 2,
            kind: ActionKind::Deactivate,
            ..delete(&format!("{name}@acme.example"), None)
        })
        .collect();
    requests.push(Request { line: 20, ..delete("basic@acme.example", Some("boss@acme.example")) });
    requests.push(Request { line: 21, ..delete("invited@acme.example", None) });
    let mut account = planned_on.clone();
    for name in ["room2", "vip2", "adm2", "missing", "norole"] {
        account.users.push(user(Some(name), &format!("{name}@acme.example"), UserStatus::Active, 2, "Member"));
    }
    let policy = Policy::default();
    let body = plan(&requests, &account, &policy);
    assert_eq!(body.actions.len(), 9, "{:?}", body.skipped);
    assert!(recheck(&body.actions, &account, &policy).is_empty(), "nothing changed: nothing refused");
    assert_eq!(body.actions[7].change.delete_spec().unwrap().transfer_email.as_deref(), Some("boss@acme.example"));

    // Since then: vip2 protected, adm2 promoted, room2 a Zoom Room, missing gone, norole's
    // role no longer known, and the manager who was to receive basic's things deactivated.
    let mut now = account.clone();
    let mut today = policy.clone();
    today.guardrails.protected_emails.push("VIP2@acme.example".into());
    now.room_emails.insert("room2@acme.example".into());
    now.users.retain(|u| u.email != "missing@acme.example");
    for user in &mut now.users {
        match user.email.as_str() {
            "adm2@acme.example" => user.role_id = Some("role-Admin".into()),
            "norole@acme.example" => user.role_id = None,
            "boss@acme.example" => user.status = UserStatus::Inactive,
            // The invitation was accepted: a user now, with things a delete would lose.
            "invited@acme.example" => {
                user.id = Some("invited".into());
                user.status = UserStatus::Active;
            }
            _ => {}
        }
    }
    let refused: Vec<(usize, String)> =
        recheck(&body.actions, &now, &today).into_iter().map(|(i, r)| (i, r.to_string())).collect();
    assert_eq!(
        refused,
        [
            (2, "refused: a Zoom Rooms user".to_string()),
            (3, "refused: on the protected list".to_string()),
            (4, "refused: the user's role is Admin".to_string()),
            (5, "no user with this email in the account".to_string()),
            (6, "refused: role unknown: Zoom gave no role_id".to_string()),
            (
                7,
                "refused: no one can receive the user's meetings, recordings and whiteboards: \
                 transfer target boss@acme.example is deactivated"
                    .to_string()
            ),
            (
                8,
                "refused: no one can receive the user's meetings, recordings and whiteboards: \
                 no transfer target, and transfer.accept_data_loss is off"
                    .to_string()
            ),
        ]
    );
}
