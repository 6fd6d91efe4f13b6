//! The inactive-user sweep: licensed users who have not signed in for a while, found in
//! the backup with no per-user call, and turned into requests that go through the same
//! guardrails as any file.

use compact_str::CompactString;
use jiff::{SignedDuration, Timestamp};

use crate::email;
use crate::policy::SweepPolicy;
use crate::request::Request;
use crate::snapshot::{Account, UserStatus};

/// A request per active licensed user with no sign-in for `inactive_days` (or never
/// signed in and created more than `inactive_days` ago), as of `now`.
pub fn inactive_users(account: &Account, sweep: &SweepPolicy, now: Timestamp) -> Vec<Request> {
    if !sweep.enabled {
        return Vec::new();
    }
    let cutoff = now - SignedDuration::from_hours(24 * i64::from(sweep.inactive_days));
    let parse = |text: &Option<CompactString>| text.as_deref().and_then(|t| t.parse::<Timestamp>().ok());
    account
        .users
        .iter()
        .filter(|u| u.status == UserStatus::Active && u.is_licensed() && u.id.is_some())
        .filter_map(|user| {
            let reason = match (parse(&user.last_login_time), parse(&user.user_created_at)) {
                (Some(login), _) if login < cutoff => {
                    format!("no sign-in since {login} (more than {} days)", sweep.inactive_days)
                }
                (None, Some(created)) if created < cutoff => {
                    format!("never signed in; created {created} (more than {} days ago)", sweep.inactive_days)
                }
                _ => return None,
            };
            Some(Request {
                line: 0,
                email: Some(email::normalize(&user.email).into()),
                employee_id: None,
                kind: sweep.action,
                transfer_email: None,
                reason: Some(reason),
                expect: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::ActionKind;
    use crate::snapshot::AccountUser;

    fn user(email: &str, user_type: u8, status: UserStatus, login: Option<&str>, created: &str) -> AccountUser {
        AccountUser {
            id: Some(email.into()),
            email: email.into(),
            first_name: Default::default(),
            last_name: Default::default(),
            user_type: user_type.into(),
            status,
            role_id: None,
            last_login_time: login.map(Into::into),
            user_created_at: Some(created.into()),
            employee_id: None,
        }
    }

    #[test]
    fn finds_licensed_users_idle_past_the_cutoff_and_never_signed_in_old_ones() {
        let account = Account {
            users: vec![
                user("idle@x.example", 2, UserStatus::Active, Some("2026-07-01T00:00:00Z"), "2020-01-01T00:00:00Z"),
                user("recent@x.example", 2, UserStatus::Active, Some("2026-11-01T00:00:00Z"), "2020-01-01T00:00:00Z"),
                user("basic@x.example", 1, UserStatus::Active, Some("2025-01-01T00:00:00Z"), "2020-01-01T00:00:00Z"),
                user("gone@x.example", 2, UserStatus::Inactive, Some("2025-01-01T00:00:00Z"), "2020-01-01T00:00:00Z"),
                user("never@x.example", 2, UserStatus::Active, None, "2026-01-01T00:00:00Z"),
                user("new@x.example", 2, UserStatus::Active, None, "2026-11-20T00:00:00Z"),
            ],
            ..Account::default()
        };
        let now: Timestamp = "2026-11-23T00:00:00Z".parse().unwrap();
        let found = inactive_users(&account, &SweepPolicy::default(), now);
        let emails: Vec<_> = found.iter().map(|r| r.email.as_deref().unwrap()).collect();
        assert_eq!(emails, ["idle@x.example", "never@x.example"]);
        assert!(found.iter().all(|r| r.kind == ActionKind::Downgrade));
        let reason = found[0].reason.as_deref().unwrap();
        assert!(reason.contains("more than 90 days"), "{reason}");
        let disabled = SweepPolicy { enabled: false, ..SweepPolicy::default() };
        assert!(inactive_users(&account, &disabled, now).is_empty());
    }
}
