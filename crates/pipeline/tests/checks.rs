//! The executor's checks just before acting, against the simulator: the rules for
//! users who still host meetings or own cloud recordings.

mod common;

use offboard_core::{
    Action, ActionKind, Change, Checks, DeleteMode, DeleteSpec, Findings, MeetingsRule, Outcome, RecordingsRule,
    UserState, UserStatus, UserType,
};
use offboard_pipeline::executor::perform;
use offboard_zoom::ZoomClient;
use zoom_sim::ZoomSim;

/// The account these tests act on.
async fn start() -> (ZoomSim, ZoomClient) {
    common::start(600, 21).await
}

fn delete_action(user_id: &str, checks: Checks) -> Action {
    Action {
        action_id: "0001".into(),
        change: Change::Delete(Box::new(DeleteSpec {
            mode: DeleteMode::Delete,
            transfer_email: None,
            transfer_meetings: false,
            transfer_webinars: false,
            transfer_recordings: false,
            transfer_whiteboards: false,
        })),
        user_id: user_id.into(),
        email: Default::default(),
        line: 2,
        reason: None,
        revoke_sso_first: false,
        checks,
        before: UserState { status: UserStatus::Active, user_type: UserType::Licensed, role_id: None },
    }
}

#[tokio::test]
async fn a_user_with_recordings_is_kept_as_basic_instead_of_deleted() {
    let (sim, zoom) = start().await;
    // A licensed member without meetings whose latest recording is the month's reference.
    let (id, latest) = sim.with_state(|s| {
        let user = s
            .users()
            .find(|u| u.user_type == 2 && u.is_plain_member() && u.meetings.is_empty() && !u.recordings.is_empty())
            .unwrap();
        (user.key.clone(), user.recordings.iter().map(|r| r.start_time).max().unwrap())
    });
    let today = jiff::tz::TimeZone::UTC.to_datetime(latest).date();
    let checks = Checks { upcoming_meetings: MeetingsRule::Skip, cloud_recordings: RecordingsRule::KeepAsBasic };
    let (mut findings, mut performed) = (Findings::default(), None);
    let skipped = perform(&zoom, &delete_action(&id, checks), today, &mut findings, &mut performed).await.unwrap();
    assert_eq!(skipped, None);
    assert_eq!(performed, Some(ActionKind::Downgrade), "kept as Basic, not deleted");
    assert!(findings.cloud_recordings.unwrap() >= 1, "{findings:?}");
    assert_eq!(findings.upcoming_meetings, Some(0));
    let user = sim.with_state(|s| s.find(&id).map(|u| (u.user_type, u.status)).unwrap());
    assert_eq!(user, (1, zoom_sim::Status::Active));

    // With the rule off, the same kind of user is deleted.
    let other = sim.with_state(|s| {
        s.users()
            .find(|u| u.user_type == 2 && u.is_plain_member() && u.meetings.is_empty() && u.key != id)
            .unwrap()
            .key
            .clone()
    });
    let (mut findings, mut performed) = (Findings::default(), None);
    perform(&zoom, &delete_action(&other, Checks::NONE), today, &mut findings, &mut performed).await.unwrap();
    assert_eq!(performed, Some(ActionKind::Delete));
    assert!(findings.is_empty());
    assert!(sim.with_state(|s| s.find(&other).is_err()), "deleted");
}

#[tokio::test]
async fn a_user_hosting_meetings_is_skipped_or_downgraded_as_the_policy_says() {
    let (sim, zoom) = start().await;
    let hosts: Vec<String> = sim.with_state(|s| {
        s.users()
            .filter(|u| u.user_type == 2 && u.is_plain_member() && !u.meetings.is_empty())
            .take(2)
            .map(|u| u.key.clone())
            .collect()
    });
    let today = jiff::civil::date(2026, 11, 23);
    let skip = Checks { upcoming_meetings: MeetingsRule::Skip, cloud_recordings: RecordingsRule::Ignore };
    let (mut findings, mut performed) = (Findings::default(), None);
    let skipped = perform(&zoom, &delete_action(&hosts[0], skip), today, &mut findings, &mut performed).await.unwrap();
    match skipped {
        Some(Outcome::Skipped { code, reason }) => {
            assert_eq!(code, "hosts_upcoming_meetings");
            assert!(reason.starts_with("hosts "), "{reason}");
        }
        other => panic!("expected a skip, got {other:?}"),
    }
    assert_eq!(performed, None);
    assert!(sim.with_state(|s| s.find(&hosts[0]).is_ok()), "left as they were");

    let downgrade = Checks { upcoming_meetings: MeetingsRule::Downgrade, cloud_recordings: RecordingsRule::Ignore };
    let (mut findings, mut performed) = (Findings::default(), None);
    perform(&zoom, &delete_action(&hosts[1], downgrade), today, &mut findings, &mut performed).await.unwrap();
    assert_eq!(performed, Some(ActionKind::Downgrade));
    assert_eq!(sim.with_state(|s| s.find(&hosts[1]).map(|u| u.user_type).unwrap()), 1);
}
