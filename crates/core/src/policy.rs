//! Policy: what an organisation wants done, read from `config/policy.json` in the bucket
//! (and defaults that are safe without one).
//!
//! It says which action each source asks for, how a delete transfers the user's things,
//! which checks the executor makes just before it acts, who is never touched, and how
//! big a plan may be before a person has to approve it.

use serde::{Deserialize, Serialize};

use crate::action::{ActionKind, DeleteMode, MeetingsRule, RecordingsRule};
use crate::approval::ApprovalPolicy;

/// The whole policy. Every field has a default, so `{}` is a valid policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// What a roster under `inbox/` asks for.
    pub inbox_action: ActionKind,
    /// What an HR termination row asks for when it names no action.
    pub hr_action: ActionKind,
    /// `disassociate` (the user keeps a free account of their own) or `delete` (gone for good).
    pub delete_mode: DeleteMode,
    pub transfer: TransferPolicy,
    /// How rosters are read.
    pub roster: RosterPolicy,
    /// Revoke the user's SSO token before acting, so a live session cannot outlast the change.
    pub revoke_sso_first: bool,
    /// Stage an HR delete: deactivate now, delete this many days later, and then only if
    /// the user is still as the deactivation left them (the grace window for a rescinded
    /// termination). `None`: an HR delete deletes at once.
    pub delete_after_days: Option<u32>,
    /// What to do when the user still hosts upcoming meetings (checked just before acting).
    pub upcoming_meetings: MeetingsRule,
    /// What to do with a user who still owns cloud recordings (checked before a delete).
    pub cloud_recordings: RecordingsRule,
    pub guardrails: Guardrails,
    /// Who may approve a held plan, and until when.
    pub approval: ApprovalPolicy,
    pub sweep: SweepPolicy,
    /// How HR dates are read.
    pub dates: DatePolicy,
    /// Files larger than this are refused unread.
    pub max_file_bytes: u64,
    /// What one paid licence costs a month, in the account's currency: a run's summary,
    /// notification and report then say what the licences it freed save.
    pub licence_monthly_price: Option<f64>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            inbox_action: ActionKind::Deactivate,
            hr_action: ActionKind::Delete,
            delete_mode: DeleteMode::Delete,
            transfer: TransferPolicy::default(),
            roster: RosterPolicy::default(),
            revoke_sso_first: true,
            delete_after_days: None,
            upcoming_meetings: MeetingsRule::Skip,
            cloud_recordings: RecordingsRule::KeepAsBasic,
            guardrails: Guardrails::default(),
            approval: ApprovalPolicy::default(),
            sweep: SweepPolicy::default(),
            dates: DatePolicy::default(),
            max_file_bytes: 50 * 1024 * 1024,
            licence_monthly_price: None,
        }
    }
}

/// What a delete hands on, and to whom: the manager named by an HR row, else the
/// archive account. A delete with neither never destroys the user's things unless
/// `accept_data_loss` says so: the user is deactivated and kept as Basic instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransferPolicy {
    pub meetings: bool,
    pub webinars: bool,
    pub recordings: bool,
    pub whiteboards: bool,
    /// Who receives a deleted user's things when no manager is named (or the one named
    /// cannot receive them): an active, licensed member of the account.
    pub archive_email: Option<String>,
    /// Delete without a transfer target, losing the user's meetings, recordings and
    /// whiteboards. Off by default: such a delete becomes a deactivation.
    pub accept_data_loss: bool,
}

impl Default for TransferPolicy {
    fn default() -> Self {
        TransferPolicy {
            meetings: true,
            webinars: true,
            recordings: true,
            whiteboards: true,
            archive_email: None,
            accept_data_loss: false,
        }
    }
}

/// How a roster's email column is chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RosterPolicy {
    /// The header of the column that holds the departing person's email, for exports
    /// whose headers do not say so unambiguously (`Employee`, `Departing employee`).
    pub email_column: Option<String>,
    /// The sheet of a workbook that holds the people (rosters and HR files alike), for
    /// workbooks where more than one sheet names an email column.
    pub sheet: Option<String>,
}

/// Who is never acted on, and when a plan must wait for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Guardrails {
    /// Emails never acted on.
    pub protected_emails: Vec<String>,
    /// Domains whose users are never acted on.
    pub protected_domains: Vec<String>,
    /// If not empty, only emails in these domains are acted on.
    pub allowed_domains: Vec<String>,
    /// Role names Offboard may act on; every other role (owner, admins, custom admin
    /// roles) is refused. Roles are known by name, never by an assumed id.
    pub actionable_roles: Vec<String>,
    /// A plan with more actions than this is held for approval...
    pub hold_above_count: usize,
    /// ...as is one acting on more than this share of the account, whichever is smaller.
    pub hold_above_share: f64,
}

impl Default for Guardrails {
    fn default() -> Self {
        Guardrails {
            protected_emails: Vec::new(),
            protected_domains: Vec::new(),
            allowed_domains: Vec::new(),
            actionable_roles: vec!["Member".to_string()],
            hold_above_count: 50,
            hold_above_share: 0.05,
        }
    }
}

impl Guardrails {
    /// The most actions a plan may carry without approval, for an account of `users`.
    pub fn hold_threshold(&self, users: usize) -> usize {
        let by_share = (self.hold_above_share.max(0.0) * users as f64).floor() as usize;
        self.hold_above_count.min(by_share)
    }
}

/// The scheduled inactive-user sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SweepPolicy {
    /// Whether the sweep acts on inactive users at all (it always acts on due HR rows).
    pub enabled: bool,
    /// A licensed user with no sign-in for this many days is inactive.
    pub inactive_days: u32,
    /// `downgrade` (keep the user, free the license) or `deactivate`.
    pub action: ActionKind,
    /// A user an action skipped for hosting upcoming meetings is rechecked by the sweep
    /// after their last meeting, and at the latest this many days after the skip.
    pub recheck_deferred_days: u32,
}

impl Default for SweepPolicy {
    fn default() -> Self {
        SweepPolicy { enabled: true, inactive_days: 90, action: ActionKind::Downgrade, recheck_deferred_days: 7 }
    }
}

/// How the dates of HR files are read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatePolicy {
    /// The IANA time zone a date without one is in (`Europe/Berlin`); a termination
    /// takes effect at the start of its day there.
    pub timezone: String,
    /// How `01/02/2026` reads: `month_first` (US) or `day_first` (European).
    pub slash_order: SlashOrder,
}

impl Default for DatePolicy {
    fn default() -> Self {
        DatePolicy { timezone: "UTC".to_string(), slash_order: SlashOrder::MonthFirst }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SlashOrder {
    #[default]
    MonthFirst,
    DayFirst,
}

/// Why a policy object was refused.
#[derive(Debug, thiserror::Error)]
#[error("{file}: not a valid policy: {detail}")]
pub struct PolicyError {
    pub file: String,
    pub detail: String,
}

/// Reads a policy object on top of the defaults.
pub fn parse_policy(file: &str, bytes: &[u8]) -> Result<Policy, PolicyError> {
    parse_policy_over(&Policy::default(), file, bytes)
}

/// Reads a policy object on top of `base` (the deployment's settings): a field the object
/// sets replaces the base's, nested objects merge, everything else stays.
pub fn parse_policy_over(base: &Policy, file: &str, bytes: &[u8]) -> Result<Policy, PolicyError> {
    let invalid = |detail: String| PolicyError { file: file.to_string(), detail };
    let overlay: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    if !overlay.is_object() {
        return Err(invalid("expected a JSON object".to_string()));
    }
    let mut merged = serde_json::to_value(base).map_err(|e| invalid(e.to_string()))?;
    merge(&mut merged, overlay);
    let policy: Policy = serde_json::from_value(merged).map_err(|e| invalid(e.to_string()))?;
    if jiff::tz::TimeZone::get(&policy.dates.timezone).is_err() {
        return Err(PolicyError {
            file: file.to_string(),
            detail: format!("dates.timezone: unknown time zone {:?}", policy.dates.timezone),
        });
    }
    if !(0.0..=1.0).contains(&policy.guardrails.hold_above_share) {
        return Err(PolicyError {
            file: file.to_string(),
            detail: "guardrails.hold_above_share must be between 0 and 1".to_string(),
        });
    }
    // A restore is an undo's, back to a state the run recorded; a file cannot ask for one.
    let asked =
        [("inbox_action", policy.inbox_action), ("hr_action", policy.hr_action), ("sweep.action", policy.sweep.action)];
    if let Some((field, kind)) = asked.iter().find(|(_, kind)| !kind.askable()) {
        return Err(PolicyError {
            file: file.to_string(),
            detail: format!("{field}: {kind} is what an undo does; expected {}", ActionKind::askable_names()),
        });
    }
    Ok(policy)
}

fn merge(base: &mut serde_json::Value, overlay: serde_json::Value) {
    match (base, overlay) {
        (serde_json::Value::Object(base), serde_json::Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) if existing.is_object() && value.is_object() => merge(existing, value),
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_overrides_only_what_it_names() {
        let mut base = Policy::default();
        base.guardrails.allowed_domains = vec!["acme.example".into()];
        let policy =
            parse_policy_over(&base, "p.json", br#"{"guardrails":{"protected_emails":["ceo@acme.example"]}}"#).unwrap();
        assert_eq!(policy.guardrails.allowed_domains, ["acme.example"]);
        assert_eq!(policy.guardrails.protected_emails, ["ceo@acme.example"]);
        assert_eq!(policy.guardrails.hold_above_count, 50);
    }

    #[test]
    fn an_empty_object_is_the_safe_default() {
        let policy = parse_policy("config/policy.json", b"{}").unwrap();
        assert_eq!(policy, Policy::default());
        assert_eq!(policy.inbox_action, ActionKind::Deactivate);
        assert_eq!(policy.hr_action, ActionKind::Delete);
    }

    #[test]
    fn the_hold_threshold_is_the_smaller_of_count_and_share() {
        let guardrails = Guardrails::default();
        assert_eq!(guardrails.hold_threshold(2000), 50);
        assert_eq!(guardrails.hold_threshold(400), 20);
        assert_eq!(guardrails.hold_threshold(0), 0);
    }

    #[test]
    fn refuses_unknown_fields_and_time_zones_naming_the_file() {
        let err = parse_policy("config/policy.json", br#"{"inbox_acton":"delete"}"#).unwrap_err();
        assert!(err.to_string().starts_with("config/policy.json: not a valid policy: unknown field `inbox_acton`"));
        let err = parse_policy("p.json", br#"{"dates":{"timezone":"Mars/Olympus"}}"#).unwrap_err();
        assert!(err.to_string().contains("Mars/Olympus"), "{err}");
    }

    #[test]
    fn refuses_a_restore_as_what_a_file_asks_for() {
        for (overlay, field) in [
            (r#"{"inbox_action":"restore"}"#, "inbox_action"),
            (r#"{"hr_action":"restore"}"#, "hr_action"),
            (r#"{"sweep":{"action":"restore"}}"#, "sweep.action"),
        ] {
            let err = parse_policy("p.json", overlay.as_bytes()).unwrap_err();
            assert!(err.to_string().starts_with(&format!("p.json: not a valid policy: {field}: restore")), "{err}");
        }
    }
}
