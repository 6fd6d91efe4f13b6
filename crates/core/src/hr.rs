//! HR termination files: the feeds an HR system drops under `hr/`.
//!
//! A row names a person (email and/or employee id), the day they leave, and optionally
//! their manager (who receives their meetings and recordings) and an action. Dates come
//! in whatever form the HR system writes; they are read in the policy's time zone, and a
//! termination takes effect at the start of its day there. Rows due now are planned now;
//! later ones are kept as [`Termination`]s for the daily sweep. A row whose action is
//! `cancel` (or `rescind`) asks for the person's waiting termination to be taken off
//! ([`Rescind`]); what waits, and what comes of it, is the `lifecycle` module's.

use std::collections::HashMap;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::action::ActionKind;
use crate::email;
use crate::policy::{DatePolicy, Policy, SlashOrder};
use crate::request::{ExpectedUser, Request, SkipReason, SkippedRow};
use crate::roster::EMAIL_HEADERS;
use crate::table::{find_column, read_table_from, InputError, SheetChoice};

const EMPLOYEE_ID_HEADERS: &[&str] =
    &["employeeid", "employeeuniqueid", "empid", "employeenumber", "workerid", "personnelnumber", "employee"];
const DATE_HEADERS: &[&str] = &[
    "terminationdate",
    "termdate",
    "enddate",
    "lastday",
    "lastdayofwork",
    "separationdate",
    "leavingdate",
    "exitdate",
    "effectivedate",
    "date",
];
const MANAGER_HEADERS: &[&str] = &["manageremail", "manager", "managermail", "supervisoremail", "transferto"];
const ACTION_HEADERS: &[&str] = &["action", "offboardaction"];

/// One person leaving, as an HR file says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Termination {
    /// The HR file and line that said it, for the audit trail.
    pub source: String,
    pub line: u64,
    pub email: Option<String>,
    pub employee_id: Option<String>,
    /// When it takes effect.
    pub effective: Timestamp,
    pub manager_email: Option<String>,
    /// The row's own action, else the policy's `hr_action`.
    pub action: Option<ActionKind>,
    /// Set for a staged delete: the deactivated user it may delete when `effective`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
}

/// A delete held back by the policy's `delete_after_days`: the user was deactivated at
/// `deactivated_at`, and is deleted when the termination comes due only while they are
/// still as that left them (`expect`). Until then it is the grace window in which a
/// rescinded termination costs nothing: the user is reactivated, or the delete cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub deactivated_at: Timestamp,
    /// Filled in by the plan that deactivates (`decide`), from the account it saw; an
    /// empty `user_id` names nobody, so a stage never pinned deletes no one.
    #[serde(flatten)]
    pub expect: ExpectedUser,
}

impl Termination {
    pub fn is_due(&self, now: Timestamp) -> bool {
        self.effective <= now
    }

    /// The action this termination asks for under `policy`.
    pub fn kind(&self, policy: &Policy) -> ActionKind {
        self.action.unwrap_or(policy.hr_action)
    }

    /// The plan request this termination makes under `policy`.
    pub fn request(&self, policy: &Policy) -> Request {
        let kind = self.kind(policy);
        let (source, line) = (&self.source, self.line);
        let reason = match &self.stage {
            Some(stage) => {
                format!(
                    "staged delete: deactivated {} ({source} line {line}), due {}",
                    stage.deactivated_at, self.effective
                )
            }
            None => format!("terminated {} ({source} line {line})", self.effective),
        };
        Request {
            line: self.line,
            email: self.email.as_deref().map(Into::into),
            employee_id: self.employee_id.clone(),
            kind,
            transfer_email: self.manager_email.clone().filter(|_| kind == ActionKind::Delete),
            reason: Some(reason),
            expect: self.stage.as_ref().map(|stage| Box::new(stage.expect.clone())),
        }
    }
}

/// What a cancel asks to take off the schedule before it runs: everything a run put
/// there (its terminations not yet due and its staged deletes), or whatever waits for one
/// person. In JSON: `{"run_id": "..."}`, `{"email": "..."}` or `{"employee_id": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rescind {
    RunId(String),
    Email(String),
    EmployeeId(String),
}

impl Rescind {
    /// Whether this cancel takes off `termination`, which `run_id` put on the schedule.
    pub fn covers(&self, run_id: &str, termination: &Termination) -> bool {
        match self {
            Rescind::RunId(run) => run == run_id,
            Rescind::Email(address) => termination.email.as_deref() == Some(email::normalize(address).as_str()),
            Rescind::EmployeeId(id) => termination.employee_id.as_deref() == Some(id.trim()),
        }
    }
}

impl std::fmt::Display for Rescind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rescind::RunId(run) => write!(f, "everything run {run} scheduled"),
            Rescind::Email(address) => write!(f, "what waits for {address}"),
            Rescind::EmployeeId(id) => write!(f, "what waits for employee {id}"),
        }
    }
}

/// An HR file that parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HrFile {
    pub format: String,
    pub terminations: Vec<Termination>,
    /// The rows that cancel a person's waiting termination, with their lines.
    pub rescinds: Vec<(u64, Rescind)>,
    pub rejected: Vec<SkippedRow>,
}

/// Parses an HR termination file. `file` names it in errors and in each termination.
pub fn parse_hr_file(file: &str, bytes: &[u8], dates: &DatePolicy) -> Result<HrFile, InputError> {
    parse_hr_sheet(file, bytes, dates, None)
}

/// [`parse_hr_file`], reading a workbook's sheet `sheet` (the policy's `roster.sheet`), or
/// without one the single sheet whose header names an email or employee id column.
pub fn parse_hr_sheet(file: &str, bytes: &[u8], dates: &DatePolicy, sheet: Option<&str>) -> Result<HrFile, InputError> {
    let names_people = |headers: &[String]| {
        find_column(headers, EMAIL_HEADERS).is_some() || find_column(headers, EMPLOYEE_ID_HEADERS).is_some()
    };
    let choice = match sheet.map(str::trim).filter(|sheet| !sheet.is_empty()) {
        Some(name) => SheetChoice::Named(name),
        None => SheetChoice::Holding(&names_people),
    };
    let table = read_table_from(file, bytes, choice)?;
    let headers = table.headers.join(", ");
    let email_column = find_column(&table.headers, EMAIL_HEADERS);
    let id_column = find_column(&table.headers, EMPLOYEE_ID_HEADERS);
    if email_column.is_none() && id_column.is_none() {
        return Err(InputError::NoPersonColumn { file: file.to_string(), headers });
    }
    let date_column = find_column(&table.headers, DATE_HEADERS)
        .ok_or(InputError::NoDateColumn { file: file.to_string(), headers })?;
    let manager_column = find_column(&table.headers, MANAGER_HEADERS);
    let action_column = find_column(&table.headers, ACTION_HEADERS);
    let zone = TimeZone::get(&dates.timezone).unwrap_or(TimeZone::UTC);

    let mut terminations = Vec::new();
    let mut rescinds = Vec::new();
    let mut rejected = Vec::new();
    let mut first_seen: HashMap<String, u64> = HashMap::new();
    for row in &table.rows {
        let cell = |column: Option<usize>| column.map(|c| row.get(c).trim()).filter(|v| !v.is_empty());
        let reject = |value: &str, reason: SkipReason| SkippedRow { line: row.line, value: value.into(), reason };
        let person = cell(email_column).or(cell(id_column)).unwrap_or("");

        let email = match cell(email_column).map(valid_email).transpose() {
            Ok(email) => email,
            Err((raw, detail)) => {
                rejected.push(reject(raw, SkipReason::InvalidEmail { detail }));
                continue;
            }
        };
        let employee_id = cell(id_column).map(str::to_string);
        if email.is_none() && employee_id.is_none() {
            rejected.push(reject("", SkipReason::NoPerson));
            continue;
        }
        // A cancel needs no date: it takes off what waits, whatever its date.
        if cell(action_column).is_some_and(is_cancel) {
            let rescind = match (&email, &employee_id) {
                (Some(address), _) => Rescind::Email(address.clone()),
                (None, id) => Rescind::EmployeeId(id.clone().unwrap_or_default()),
            };
            rescinds.push((row.line, rescind));
            continue;
        }
        let Some(date_text) = cell(Some(date_column)) else {
            rejected.push(reject(person, SkipReason::InvalidDate { detail: "no termination date".to_string() }));
            continue;
        };
        let effective = match parse_date(date_text, &zone, dates.slash_order) {
            Ok(at) => at,
            Err(detail) => {
                rejected.push(reject(date_text, SkipReason::InvalidDate { detail }));
                continue;
            }
        };
        let manager_email = match cell(manager_column).map(valid_email).transpose() {
            Ok(email) => email,
            Err((raw, detail)) => {
                rejected.push(reject(raw, SkipReason::InvalidManager { detail }));
                continue;
            }
        };
        let action = match cell(action_column).map(parse_action) {
            None => None,
            Some(Ok(kind)) => Some(kind),
            Some(Err(value)) => {
                rejected.push(reject(&value, SkipReason::InvalidAction { value: value.clone() }));
                continue;
            }
        };
        let key = email.clone().unwrap_or_else(|| format!("employee:{}", employee_id.as_deref().unwrap_or("")));
        if let Some(&first_line) = first_seen.get(&key) {
            rejected.push(reject(person, SkipReason::Duplicate { first_line }));
            continue;
        }
        first_seen.insert(key, row.line);
        terminations.push(Termination {
            source: file.to_string(),
            line: row.line,
            email,
            employee_id,
            effective,
            manager_email,
            action,
            stage: None,
        });
    }
    Ok(HrFile { format: table.format, terminations, rescinds, rejected })
}

/// Whether an HR row's action cancels (a rescinded termination) rather than asks for one.
fn is_cancel(value: &str) -> bool {
    matches!(crate::table::header_key(value).as_str(), "cancel" | "cancelled" | "rescind" | "rescinded")
}

/// The normalized address, or the cell as written and why it is not one.
fn valid_email(raw: &str) -> Result<String, (&str, String)> {
    let normalized = email::normalize(raw);
    match email::invalid_reason(&normalized) {
        None => Ok(normalized),
        Some(why) => Err((raw, why.to_string())),
    }
}

fn parse_action(value: &str) -> Result<ActionKind, String> {
    match crate::table::header_key(value).as_str() {
        "deactivate" | "suspend" | "disable" => Ok(ActionKind::Deactivate),
        "delete" | "remove" => Ok(ActionKind::Delete),
        "downgrade" | "basic" => Ok(ActionKind::Downgrade),
        // Any other kind an input may ask for, by its own name.
        other => other.parse::<ActionKind>().ok().filter(|kind| kind.askable()).ok_or_else(|| value.to_string()),
    }
}

/// Reads a termination date: ISO 8601 (date, or date and time with or without an offset),
/// `YYYY/MM/DD`, `DD.MM.YYYY`, `DD-MM-YYYY`, and `MM/DD/YYYY` or `DD/MM/YYYY` as the
/// policy says. A date alone means the start of that day in `zone`.
pub fn parse_date(text: &str, zone: &TimeZone, slash_order: SlashOrder) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    if text.len() > 10 {
        if let Ok(local) = text.replace(' ', "T").parse::<DateTime>() {
            return local.to_zoned(zone.clone()).map(|z| z.timestamp()).map_err(|e| e.to_string());
        }
    }
    let date = civil_date(text, slash_order)?;
    date.to_zoned(zone.clone()).map(|z| z.timestamp()).map_err(|e| e.to_string())
}

fn civil_date(text: &str, slash_order: SlashOrder) -> Result<Date, String> {
    let unreadable =
        || format!("unreadable date {text:?}; expected YYYY-MM-DD, MM/DD/YYYY, DD/MM/YYYY (per policy) or DD.MM.YYYY");
    let separator = text.chars().find(|c| matches!(c, '-' | '/' | '.')).ok_or_else(unreadable)?;
    let parts: Vec<&str> = text.split(separator).collect();
    let [a, b, c] = parts.as_slice() else { return Err(unreadable()) };
    let number = |s: &str| -> Result<i16, String> {
        if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(unreadable());
        }
        s.parse::<i16>().map_err(|_| unreadable())
    };
    let (year, month, day) = if a.len() == 4 {
        (number(a)?, number(b)?, number(c)?)
    } else if c.len() == 4 {
        match (separator, slash_order) {
            ('/', SlashOrder::MonthFirst) => (number(c)?, number(a)?, number(b)?),
            _ => (number(c)?, number(b)?, number(a)?),
        }
    } else {
        return Err(unreadable());
    };
    let month = i8::try_from(month).map_err(|_| unreadable())?;
    let day = i8::try_from(day).map_err(|_| unreadable())?;
    Date::new(year, month, day).map_err(|e| format!("invalid date {text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn reads_iso_us_and_european_dates_in_the_configured_zone() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let us = SlashOrder::MonthFirst;
        assert_eq!(parse_date("2026-12-01", &berlin, us).unwrap(), utc("2026-11-30T23:00:00Z"));
        assert_eq!(parse_date("12/01/2026", &berlin, us).unwrap(), utc("2026-11-30T23:00:00Z"));
        assert_eq!(parse_date("01/12/2026", &berlin, SlashOrder::DayFirst).unwrap(), utc("2026-11-30T23:00:00Z"));
        assert_eq!(parse_date("1.12.2026", &berlin, us).unwrap(), utc("2026-11-30T23:00:00Z"));
        assert_eq!(parse_date("2026-12-01T17:30:00+01:00", &berlin, us).unwrap(), utc("2026-12-01T16:30:00Z"));
        assert_eq!(parse_date("2026-12-01 17:30", &berlin, us).unwrap(), utc("2026-12-01T16:30:00Z"));
        assert!(parse_date("31/31/2026", &berlin, us).unwrap_err().contains("31/31/2026"));
        assert!(parse_date("next friday", &berlin, us).is_err());
        assert!(parse_date("2026-02-30", &berlin, us).unwrap_err().contains("invalid date"));
    }

    #[test]
    fn an_hr_row_may_name_what_an_input_may_ask_for_and_never_a_restore() {
        assert_eq!(parse_action("Suspend"), Ok(ActionKind::Deactivate));
        assert_eq!(parse_action("basic"), Ok(ActionKind::Downgrade));
        assert_eq!(parse_action("delete"), Ok(ActionKind::Delete));
        assert_eq!(parse_action("restore"), Err("restore".to_string()));
        assert_eq!(parse_action("archive"), Err("archive".to_string()));
    }

    #[test]
    fn reads_rows_by_email_or_employee_id_and_reports_bad_ones() {
        let csv = "Employee ID,Work Email,Termination Date,Manager Email,Action\n\
                   E100001,ana@acme.example,2026-11-01,boss@acme.example,\n\
                   E100002,,2026-12-24,,deactivate\n\
                   ,,2026-11-01,,\n\
                   E100004,cy@acme.example,someday,,\n\
                   E100005,di@acme.example,2026-11-01,,fire\n\
                   E100006,ANA@acme.example,2026-11-02,,\n";
        let file = parse_hr_file("hr/leavers.csv", csv.as_bytes(), &DatePolicy::default()).unwrap();
        let people: Vec<_> =
            file.terminations.iter().map(|t| (t.line, t.email.as_deref(), t.employee_id.as_deref())).collect();
        assert_eq!(people, [(2, Some("ana@acme.example"), Some("E100001")), (3, None, Some("E100002"))]);
        assert_eq!(file.terminations[0].manager_email.as_deref(), Some("boss@acme.example"));
        assert_eq!(file.terminations[1].action, Some(ActionKind::Deactivate));
        let reasons: Vec<_> = file.rejected.iter().map(|r| (r.line, r.reason.code())).collect();
        assert_eq!(reasons, [(4, "no_person"), (5, "invalid_date"), (6, "invalid_action"), (7, "duplicate")]);
    }

    #[test]
    fn a_manager_becomes_the_transfer_target_of_a_delete_only() {
        let now = utc("2026-11-23T00:00:00Z");
        let termination = Termination {
            source: "hr/x.csv".into(),
            line: 2,
            email: Some("ana@acme.example".into()),
            employee_id: None,
            effective: utc("2026-11-01T00:00:00Z"),
            manager_email: Some("boss@acme.example".into()),
            action: None,
            stage: None,
        };
        assert!(termination.is_due(now));
        let request = termination.request(&Policy::default());
        assert_eq!((request.kind, request.transfer_email.as_deref()), (ActionKind::Delete, Some("boss@acme.example")));
        let deactivate = Termination { action: Some(ActionKind::Deactivate), ..termination };
        assert_eq!(deactivate.request(&Policy::default()).transfer_email, None);
    }

    #[test]
    fn a_cancel_row_asks_for_the_persons_waiting_termination_to_be_taken_off_and_needs_no_date() {
        let csv = "Employee ID,Work Email,Termination Date,Action\n\
                   E1,Ana@Acme.example,,Rescinded\n\
                   E2,,2026-12-24,cancel\n\
                   E3,cy@acme.example,2026-12-24,delete\n";
        let file = parse_hr_file("hr/x.csv", csv.as_bytes(), &DatePolicy::default()).unwrap();
        let expected = [(2, Rescind::Email("ana@acme.example".into())), (3, Rescind::EmployeeId("E2".into()))];
        assert_eq!(file.rescinds, expected);
        assert_eq!(file.terminations.len(), 1);
        assert!(file.rejected.is_empty(), "{:?}", file.rejected);
    }

    #[test]
    fn refuses_a_file_without_people_or_dates() {
        let err = parse_hr_file("hr/x.csv", b"name,date\nAna,2026-01-01\n", &DatePolicy::default()).unwrap_err();
        assert_eq!(err.kind(), "no_person_column");
        let err = parse_hr_file("hr/x.csv", b"email,dept\na@b.example,x\n", &DatePolicy::default()).unwrap_err();
        assert_eq!(err.kind(), "no_date_column");
    }
}
