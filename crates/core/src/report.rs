//! What people read of a plan: `plan.csv` (one row per decision, opens in Excel) and a
//! short text with the account's figures before and after (users by status and licence).

use crate::action::ActionKind;
use crate::backup::excel_safe;
use crate::plan::{Plan, DEACTIVATED_INSTEAD};
use crate::request::SkipReason;

pub const PLAN_CSV_HEADER: [&str; 8] =
    ["line", "email_or_id", "decision", "reason_code", "reason", "user_id", "action_id", "before"];

/// One row per action and per skipped or refused row, in line order.
pub fn plan_csv(plan: &Plan) -> Vec<u8> {
    let mut rows: Vec<(u64, [String; 8])> = Vec::with_capacity(plan.body.actions.len() + plan.body.skipped.len());
    for action in &plan.body.actions {
        rows.push((
            action.line,
            [
                action.line.to_string(),
                action.email.to_string(),
                action.kind().as_str().to_string(),
                String::new(),
                action.why().into_owned(),
                action.user_id.to_string(),
                action.action_id.to_string(),
                format!("{} type {}", action.before.status.as_str(), action.before.user_type),
            ],
        ));
    }
    for row in &plan.body.skipped {
        let decision = if row.reason.is_refusal() { "refused" } else { "skipped" };
        rows.push((
            row.line,
            [
                row.line.to_string(),
                row.value.to_string(),
                decision.to_string(),
                row.reason.code().to_string(),
                row.reason.to_string(),
                String::new(),
                String::new(),
                String::new(),
            ],
        ));
    }
    rows.sort_by_key(|(line, _)| *line);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(PLAN_CSV_HEADER);
    for (_, cells) in &rows {
        let _ = writer.write_record(cells.iter().map(|c| excel_safe(c).into_owned()));
    }
    writer.into_inner().unwrap_or_default()
}

/// The account's figures before and after, for a person.
pub fn plan_summary(plan: &Plan) -> String {
    let c = &plan.body.counts;
    let mut text = format!(
        "Run {run}\nSource: {source}\nBackup: {backup}\n\n\
         Users in the account: {users} (active {active}, inactive {inactive}, pending {pending})\n\
         Licensed: {licensed}   Basic: {basic}\n\
         Rows read: {rows}   matched: {matched}   to act on: {actions}   refused: {refused}   skipped: {skipped}   \
         scheduled: {scheduled}\n\
         Estimated after: active {active_after}, licensed {licensed_after}, basic {basic_after}\n\
         Estimated duration: {duration} s ({calls} Zoom calls at the configured rate)\n",
        run = plan.run_id,
        source = plan.source,
        backup = plan.backup_key,
        users = c.users_in_account,
        active = c.active,
        inactive = c.inactive,
        pending = c.pending,
        licensed = c.licensed,
        basic = c.basic,
        rows = c.roster_rows,
        matched = c.matched,
        actions = c.actions,
        refused = c.refused,
        skipped = c.skipped,
        scheduled = c.scheduled,
        active_after = c.estimated_active_after,
        licensed_after = c.estimated_licensed_after,
        basic_after = c.estimated_basic_after,
        duration = c.estimated_duration_seconds,
        calls = c.estimated_calls,
    );
    if let Some(hold) = &plan.body.hold {
        text.push_str(&format!("\nHELD for approval: {}\n", hold.reason));
    }
    let instead: Vec<String> = plan
        .body
        .actions
        .iter()
        .filter(|a| {
            a.kind() == ActionKind::Deactivate && a.reason.as_deref().is_some_and(|r| r.ends_with(DEACTIVATED_INSTEAD))
        })
        .map(|a| format!("  line {}: {}: {}", a.line, a.email, a.why()))
        .collect();
    if !instead.is_empty() {
        text.push_str("\nDeletes planned as deactivations (no one to transfer their things to):\n");
        text.push_str(&instead.join("\n"));
        text.push('\n');
    }
    let refused: Vec<String> = plan
        .body
        .skipped
        .iter()
        .filter(|s| s.reason.is_refusal())
        .map(|s| format!("  line {}: {}: {}", s.line, s.value, s.reason))
        .collect();
    if !refused.is_empty() {
        text.push_str("\nRefused by guardrails:\n");
        text.push_str(&refused.join("\n"));
        text.push('\n');
    }
    text
}

/// Whether a reason names a row the file reader refused (not a decision about a user).
pub fn is_input_problem(reason: &SkipReason) -> bool {
    matches!(
        reason,
        SkipReason::InvalidEmail { .. }
            | SkipReason::NoPerson
            | SkipReason::InvalidDate { .. }
            | SkipReason::InvalidManager { .. }
            | SkipReason::InvalidAction { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{decide, Decision, PlanBody, PlanSource};
    use crate::policy::Policy;
    use crate::request::Request;
    use crate::snapshot::UserType;
    use crate::snapshot::{Account, AccountUser, UserStatus};

    fn plan_of(body: PlanBody) -> Plan {
        Plan {
            schema_version: 1,
            run_id: "r".into(),
            kind: PlanSource::Hr,
            source: "s3://b/hr/x.csv".into(),
            created_at: String::new(),
            backup_key: "backups/r/".into(),
            uploaded_by: None,
            licence_monthly_price: None,
            rechecked: Vec::new(),
            input_format: "csv (,)".into(),
            email_column: "email".into(),
            body,
        }
    }

    #[test]
    fn the_summary_lists_deletes_planned_as_deactivations() {
        let user = AccountUser {
            id: Some("u1".into()),
            email: "ana@acme.example".into(),
            first_name: Default::default(),
            last_name: Default::default(),
            user_type: UserType::Licensed,
            status: UserStatus::Active,
            role_id: Some("m".into()),
            last_login_time: None,
            user_created_at: None,
            employee_id: None,
        };
        let account = Account {
            users: vec![user],
            role_names: [("m".to_string(), "Member".to_string())].into_iter().collect(),
            ..Account::default()
        };
        let request = Request {
            line: 2,
            email: Some("ana@acme.example".into()),
            employee_id: None,
            kind: ActionKind::Delete,
            transfer_email: None,
            reason: None,
            expect: None,
        };
        let body = decide(Decision {
            requests: &[request],
            rejected: Vec::new(),
            scheduled: Vec::new(),
            account: &account,
            policy: &Policy::default(),
            calls_per_second: 1.0,
        });
        let summary = plan_summary(&plan_of(body));
        assert!(summary.contains("Deletes planned as deactivations"), "{summary}");
        assert!(summary.contains("  line 2: ana@acme.example: listed on line 2; delete asked for"), "{summary}");
    }
}
