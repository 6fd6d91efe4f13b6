//! The checklist `offboard doctor` prints: its lines, their stable names, the table and
//! the JSON. It is what every probe shares, so it depends on none of them; and its names
//! and fields are what a script reading `--format json` relies on, kept in one place so
//! that they stay stable.

use serde::Serialize;

// The `check` names of the JSON output: stable, documented in `offboard doctor --help`.
pub const ZOOM_CREDENTIALS: &str = "zoom_credentials";
pub const SSM_PARAMETERS: &str = "ssm_parameters";
pub const ZOOM_SCOPES: &str = "zoom_scopes";
pub const RATE_PLAN: &str = "rate_plan";
pub const BUCKET_LIST_RUNS: &str = "bucket_list_runs";
pub const BUCKET_READ_RUNS: &str = "bucket_read_runs";
pub const BUCKET_WRITE_APPROVALS: &str = "bucket_write_approvals";
pub const BUCKET_WRITE_UNDO: &str = "bucket_write_undo";
pub const BUCKET_WRITE_INBOX: &str = "bucket_write_inbox";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
    /// Does not fail the run: something Offboard cannot verify, or could do better.
    Warning,
}

/// One line of the checklist; the JSON output's field names are these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub status: Status,
    pub detail: String,
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(check: &'static str, detail: impl Into<String>) -> Check {
        Check { check, status: Status::Ok, detail: detail.into(), fix: None }
    }

    pub fn failed(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { check, status: Status::Failed, detail: detail.into(), fix: Some(fix.into()) }
    }

    pub fn warning(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { check, status: Status::Warning, detail: detail.into(), fix: Some(fix.into()) }
    }

    /// A check an earlier failure kept from being made: it does not hold either.
    pub fn not_checked(check: &'static str, because: &str, fix: &str) -> Check {
        Check::failed(check, format!("not checked: {because}"), fix)
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub ok: bool,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn new(checks: Vec<Check>) -> Report {
        Report { ok: !checks.iter().any(|c| c.status == Status::Failed), checks }
    }

    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

/// Whatever a message quoted from elsewhere holds, the app's secret and id and the token
/// are not printed.
pub fn redact(report: &mut Report, secrets: &[String]) {
    // A very short value would blank out ordinary words.
    let secrets: Vec<&String> = secrets.iter().filter(|s| s.len() >= 6).collect();
    for check in &mut report.checks {
        for text in std::iter::once(&mut check.detail).chain(check.fix.as_mut()) {
            for secret in &secrets {
                if text.contains(secret.as_str()) {
                    *text = text.replace(secret.as_str(), "<redacted>");
                }
            }
        }
    }
}

/// The checklist: one line per check, its fix on the next, and a last line with the counts.
pub fn render_table(report: &Report) -> String {
    let mark = |status: Status| match status {
        Status::Ok => "[ok]",
        Status::Failed => "[FAILED]",
        Status::Warning => "[warning]",
    };
    let name_width = report.checks.iter().map(|c| c.check.len()).max().unwrap_or(0);
    let mark_width = "[warning]".len();
    let mut out = String::new();
    for check in &report.checks {
        out.push_str(&format!("{:<mark_width$}  {:<name_width$}  {}\n", mark(check.status), check.check, check.detail));
        if let Some(fix) = &check.fix {
            out.push_str(&format!("{:<mark_width$}  {:<name_width$}  fix: {fix}\n", "", ""));
        }
    }
    let (failed, warnings) = (report.count(Status::Failed), report.count(Status::Warning));
    out.push_str(&format!(
        "\n{} checks: {} ok, {failed} failed, {warnings} warning{}. {}\n",
        report.checks.len(),
        report.count(Status::Ok),
        if warnings == 1 { "" } else { "s" },
        if failed == 0 { "Ready for a first run." } else { "Fix what failed, then run `offboard doctor` again." }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_marks_each_line_and_puts_the_fix_under_it() {
        let report = Report::new(vec![
            Check::ok(ZOOM_CREDENTIALS, "a token"),
            Check::failed(ZOOM_SCOPES, "x is not granted", "add x"),
            Check::warning(RATE_PLAN, "not revealed by Zoom", "look it up"),
        ]);
        assert!(!report.ok);
        let table = render_table(&report);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("[ok]       zoom_credentials  a token"), "{table}");
        assert!(lines[1].starts_with("[FAILED]   zoom_scopes       x is not granted"), "{table}");
        assert_eq!(lines[2].trim(), "fix: add x");
        assert!(lines[3].starts_with("[warning]  rate_plan"), "{table}");
        assert!(table
            .ends_with("3 checks: 1 ok, 1 failed, 1 warning. Fix what failed, then run `offboard doctor` again.\n"));
    }

    #[test]
    fn the_json_has_the_documented_fields() {
        let report = Report::new(vec![
            Check::ok(ZOOM_CREDENTIALS, "a token"),
            Check::warning(RATE_PLAN, "not revealed by Zoom", "look it up"),
        ]);
        assert!(report.ok, "warnings do not fail the run");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"ok": true, "checks": [
                {"check": "zoom_credentials", "status": "ok", "detail": "a token", "fix": null},
                {"check": "rate_plan", "status": "warning", "detail": "not revealed by Zoom", "fix": "look it up"},
            ]})
        );
    }

    #[test]
    fn secrets_quoted_in_a_message_are_redacted() {
        let mut report = Report::new(vec![Check::failed(ZOOM_CREDENTIALS, "refused s3cr3t-value", "not s3cr3t-value")]);
        redact(&mut report, &["s3cr3t-value".to_string(), "ab".to_string()]);
        assert_eq!(report.checks[0].detail, "refused <redacted>");
        assert_eq!(report.checks[0].fix.as_deref(), Some("not <redacted>"));
    }
}
