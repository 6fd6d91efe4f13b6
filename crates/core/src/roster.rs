//! Rosters: the files people upload to `inbox/` to say who is leaving.
//!
//! The 2017 layout (a header row, emails in column 1) must keep working, and so must any
//! export whose header names an email column, in any of the formats [`crate::table`]
//! reads. A row that cannot be used is never dropped silently: it comes back as a
//! [`SkippedRow`] with its line number and reason. A file that cannot be used at all is an
//! [`InputError`] naming the file, and no one is acted on.
//!
//! Which column holds the people leaving is never guessed among several: a column whose
//! header names someone else (a manager, a transfer target, an approver, ...) is never
//! theirs, even when its header says `email`; when more than one column holds addresses
//! and no header names the person's email, the file is refused
//! ([`InputError::AmbiguousEmailColumn`]) unless the policy's `roster.email_column` names
//! the column.

use std::borrow::Cow;

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::action::ActionKind;
use crate::email;
use crate::policy::RosterPolicy;
use crate::request::{Request, SkipReason, SkippedRow};
use crate::table::{header_key, read_table_probing, InputError, SheetChoice};

/// Header names (compared by [`crate::table::header_key`]) that mark the email column.
pub const EMAIL_HEADERS: &[&str] = &[
    "email",
    "emails",
    "emailaddress",
    "mail",
    "workemail",
    "useremail",
    "primaryemail",
    "zoomemail",
    "userprincipalname",
    "upn",
];

/// Parts of a header (lower-cased, letters and digits only, bracketed notes included) that
/// make its column someone else's address, or not the account to act on: `Manager Email`,
/// `Email (supervisor)`, `Transfer recordings to`, `Reports to`, `HR contact`, `Personal
/// email`. Generous on purpose: such a column is never read as the people leaving, and a
/// file whose only addresses are in one is refused.
const OTHER_PEOPLE: &[&str] = &[
    "manager",
    "mgr",
    "supervis",
    "superior",
    "boss",
    "lead",
    "director",
    "executive",
    "approv",
    "request",
    "submit",
    "sponsor",
    "owner",
    "transfer",
    "reportsto",
    "reportingto",
    "delegat",
    "successor",
    "replacement",
    "backup",
    "handover",
    "handoff",
    "notif",
    "contact",
    "recipient",
    "assign",
    "forward",
    "buddy",
    "mentor",
    "coach",
    "review",
    "coordinator",
    "partner",
    "admin",
    "creat",
    "modifiedby",
    "updatedby",
    "author",
    "personal",
    "private",
    "alternat",
    "secondary",
    "recovery",
];

/// Whole words of a header with the same effect, too short to look for inside words.
const OTHER_PEOPLE_WORDS: &[&str] =
    &["hr", "hrbp", "cc", "bcc", "vp", "ceo", "cfo", "cto", "coo", "head", "home", "alt", "target"];

/// A roster that parsed: the people it lists and the rows it could not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    /// The header of the column the emails were read from (the first, when several named
    /// like the person's email agree: `userPrincipalName` and `mail`).
    pub email_column: String,
    /// Whether that column was found by its header name or the policy (else it is column 1).
    pub email_column_by_name: bool,
    /// How the file was read (`csv (;)`, `xlsx`, ...).
    pub format: String,
    /// One entry per distinct valid email, in file order.
    pub entries: Vec<RosterEntry>,
    /// Rows that name no one Offboard can act on, with the reason.
    pub rejected: Vec<SkippedRow>,
}

impl Roster {
    /// One request per listed person, all of `kind`; the entries move into the requests.
    pub fn take_requests(&mut self, kind: ActionKind) -> Vec<Request> {
        std::mem::take(&mut self.entries)
            .into_iter()
            .map(|entry| Request {
                line: entry.line,
                email: Some(entry.email),
                employee_id: None,
                kind,
                transfer_email: None,
                reason: None,
                expect: None,
            })
            .collect()
    }
}

/// One person listed in a roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// 1-based line of the file the row starts on (the row number in a workbook).
    pub line: u64,
    /// The email as compared: see [`email::normalize`].
    pub email: CompactString,
}

/// Parses a roster under the default policy: [`parse_roster_with`].
pub fn parse_roster(file: &str, bytes: &[u8]) -> Result<Roster, InputError> {
    parse_roster_with(file, bytes, &RosterPolicy::default())
}

/// Parses a roster. `file` is used only to name the file in errors.
///
/// The email column is, in this order: the column the policy's `roster.email_column`
/// names (by [`header_key`]); else the columns whose header names the person's email (one
/// of [`EMAIL_HEADERS`], or any header with `mail` in it that names no one else) and that
/// hold addresses, which must then agree row by row; else such a column holding none (its
/// rows are rejected); else column 1, when it is the only column holding addresses and
/// its header names no one else (the 2017 layout, or a bare list with no header). Anything
/// else is refused.
pub fn parse_roster_with(file: &str, bytes: &[u8], policy: &RosterPolicy) -> Result<Roster, InputError> {
    let wanted = policy.email_column.as_deref().map(str::trim).filter(|column| !column.is_empty());
    // Of each row only the columns that may be chosen are kept (the one the policy names,
    // or those named like the person's email, and column 1); of every column, whether it
    // holds an address somewhere.
    let mut kept: Vec<usize> = Vec::new();
    // A workbook's people are on the sheet the policy names, else on the one sheet whose
    // header names an email column (or that starts with an address: no header at all).
    let holds_people = |headers: &[String]| {
        let columns = Columns::of(headers);
        columns.headerless
            || match wanted {
                Some(wanted) => !columns.named(wanted).is_empty(),
                None => !columns.persons.is_empty(),
            }
    };
    let sheet = match policy.sheet.as_deref().map(str::trim).filter(|sheet| !sheet.is_empty()) {
        Some(name) => SheetChoice::Named(name),
        None => SheetChoice::Holding(&holds_people),
    };
    let (table, first_address) = read_table_probing(
        file,
        bytes,
        sheet,
        |headers| {
            kept = Columns::of(headers).choosable(wanted);
            Some(kept.clone())
        },
        |cell| cell.contains('@') && is_address(cell),
    )?;
    let columns = Columns::of(&table.headers);
    let holds = |column: usize| {
        first_address.get(column).copied().flatten().is_some()
            || (columns.headerless && table.headers.get(column).is_some_and(|h| is_address(h)))
    };
    let (chosen, by_name) = match wanted {
        Some(wanted) => {
            let matching = columns.named(wanted);
            if matching.is_empty() {
                return Err(InputError::UnknownEmailColumn {
                    file: file.to_string(),
                    column: wanted.to_string(),
                    headers: table.headers.join(", "),
                });
            }
            (matching, true)
        }
        None => {
            let holding: Vec<usize> = columns.persons.iter().copied().filter(|&c| holds(c)).collect();
            if !holding.is_empty() {
                (holding, true)
            } else if let Some(&exact) = columns.exact.first() {
                (vec![exact], true)
            } else {
                let width = table.headers.len().max(first_address.len());
                let holding: Vec<usize> = (0..width).filter(|&c| holds(c)).collect();
                match holding[..] {
                    [] => {
                        return Err(InputError::NoEmailColumn {
                            file: file.to_string(),
                            headers: table.headers.join(", "),
                        })
                    }
                    [0] if !columns.others.first().copied().unwrap_or(false) => (vec![0], false),
                    [only] => {
                        let why = if only == 0 {
                            "someone else's addresses are never acted on"
                        } else {
                            "it is not column 1 and no header names it the person's email"
                        };
                        let detail =
                            format!("the only column that holds addresses is {}, and {why}", columns.describe(only));
                        return Err(InputError::AmbiguousEmailColumn { file: file.to_string(), detail });
                    }
                    _ => {
                        let why = if columns.headerless {
                            "the file has no header row to say which is the person's"
                        } else {
                            "no header names the person's email"
                        };
                        let detail =
                            format!("{} hold addresses, and {why}", list(holding.iter().map(|&c| columns.describe(c))));
                        return Err(InputError::AmbiguousEmailColumn { file: file.to_string(), detail });
                    }
                }
            }
        }
    };
    // Each chosen column with its place among the kept cells.
    let places: Vec<(usize, usize)> =
        chosen.iter().filter_map(|&c| kept.iter().position(|&k| k == c).map(|place| (c, place))).collect();

    // A bare list of addresses has no header row: its first line is a person, not a name
    // for the column, and must not be dropped.
    let first_row = table.headers.first().filter(|_| columns.headerless).map(|h| (table.header_line, h.clone()));
    let capacity = table.rows.len() + 1;
    let rows = table.rows.into_iter().map(|row| match places[..] {
        [(_, place)] => Ok((row.line, row.cells.into_iter().nth(place).unwrap_or_default())),
        _ => agreed(file, &columns, &places, row.line, row.cells).map(|cell| (row.line, cell)),
    });

    // Normalize every row, then find repeats by borrowing the normalized addresses: a
    // million-row roster is not copied a second time into the set of addresses seen. The
    // text as written is kept only where it differs, to show in the plan.
    let mut checked: Vec<Checked> = Vec::with_capacity(capacity);
    for row in first_row.into_iter().map(Ok).chain(rows) {
        let (line, raw) = row?;
        let (email, written) = if matches!(email::normalized(&raw), Cow::Borrowed(_)) {
            (CompactString::from(raw), None)
        } else {
            (email::normalize(&raw).into(), Some(raw))
        };
        let invalid = email::invalid_reason(&email).map(|why| SkipReason::InvalidEmail { detail: why.to_string() });
        checked.push(Checked { line, email, written, invalid });
    }
    let mut first_line_of: Vec<Option<u64>> = vec![None; checked.len()];
    {
        let mut first_seen: FxHashMap<&str, u64> = FxHashMap::default();
        first_seen.reserve(checked.len());
        for (index, row) in checked.iter().enumerate().filter(|(_, row)| row.invalid.is_none()) {
            if let Some(&first) = first_seen.get(row.email.as_str()) {
                first_line_of[index] = Some(first);
            } else {
                first_seen.insert(&row.email, row.line);
            }
        }
    }
    let mut entries = Vec::with_capacity(checked.len());
    let mut rejected = Vec::new();
    for (row, duplicate_of) in checked.into_iter().zip(first_line_of) {
        let reason = match (row.invalid, duplicate_of) {
            (None, None) => {
                entries.push(RosterEntry { line: row.line, email: row.email });
                continue;
            }
            (Some(invalid), _) => invalid,
            (None, Some(first_line)) => SkipReason::Duplicate { first_line },
        };
        let value = row.written.as_deref().unwrap_or(&row.email).trim().into();
        rejected.push(SkippedRow { line: row.line, value, reason });
    }
    let email_column = if columns.headerless {
        "(no header row)".to_string()
    } else {
        chosen.first().and_then(|&c| table.headers.get(c)).cloned().unwrap_or_default()
    };
    Ok(Roster { email_column, email_column_by_name: by_name, format: table.format, entries, rejected })
}

/// One row on its way through [`parse_roster_with`].
struct Checked {
    line: u64,
    /// Normalized.
    email: CompactString,
    /// The cell as written, when normalizing changed it.
    written: Option<String>,
    invalid: Option<SkipReason>,
}

/// Whether a cell is an address Offboard could act on.
fn is_address(cell: &str) -> bool {
    email::invalid_reason(&email::normalize(cell)).is_none()
}

/// What the headers say about each column.
struct Columns<'h> {
    headers: &'h [String],
    /// The file has no header row: its first line is already an address.
    headerless: bool,
    /// For each column, whether its header names someone else.
    others: Vec<bool>,
    /// Columns whose header is one of [`EMAIL_HEADERS`] and names no one else.
    exact: Vec<usize>,
    /// Those and the other columns whose header has `mail` in it and names no one else.
    persons: Vec<usize>,
}

impl<'h> Columns<'h> {
    fn of(headers: &'h [String]) -> Self {
        let headerless = headers.first().is_some_and(|h| is_address(h));
        let others: Vec<bool> = headers.iter().map(|h| !headerless && names_someone_else(h)).collect();
        let mut exact = Vec::new();
        let mut persons = Vec::new();
        if !headerless {
            for (column, header) in headers.iter().enumerate().filter(|(c, h)| !others[*c] && !is_address(h)) {
                let key = header_key(header);
                if EMAIL_HEADERS.contains(&key.as_str()) {
                    exact.push(column);
                    persons.push(column);
                } else if key.contains("mail") {
                    persons.push(column);
                }
            }
        }
        Columns { headers, headerless, others, exact, persons }
    }

    /// The columns whose header the policy's `roster.email_column` names.
    fn named(&self, wanted: &str) -> Vec<usize> {
        let key = header_key(wanted);
        if self.headerless {
            return Vec::new();
        }
        (0..self.headers.len()).filter(|&c| header_key(&self.headers[c]) == key).collect()
    }

    /// Every column [`parse_roster_with`] may read, in order.
    fn choosable(&self, wanted: Option<&str>) -> Vec<usize> {
        let mut columns = match wanted {
            Some(wanted) => self.named(wanted),
            None => self.persons.clone(),
        };
        // Column 1 is read only when no header is one of `EMAIL_HEADERS`.
        if wanted.is_none() && self.exact.is_empty() && !columns.contains(&0) {
            columns.insert(0, 0);
        }
        columns
    }

    /// A column for a message: `` `Supervisor` (column 1, names someone else) ``.
    fn describe(&self, column: usize) -> String {
        let position = column + 1;
        if self.headerless {
            return format!("column {position}");
        }
        match self.headers.get(column).filter(|h| !h.is_empty()) {
            None => format!("column {position} (no header)"),
            Some(header) if self.others.get(column).copied().unwrap_or(false) => {
                format!("`{header}` (column {position}, names someone else)")
            }
            Some(header) => format!("`{header}` (column {position})"),
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Whether a header names someone other than the person leaving (see [`OTHER_PEOPLE`]).
fn names_someone_else(header: &str) -> bool {
    let squashed: String = header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    OTHER_PEOPLE.iter().any(|part| squashed.contains(part))
        || words(header).iter().any(|word| OTHER_PEOPLE_WORDS.contains(&word.as_str()))
}

/// A header's words, lower-cased: split at anything but letters and digits, and where
/// camel case starts a word (`hrEmail`, `HRContact`).
fn words(header: &str) -> Vec<String> {
    let chars: Vec<char> = header.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let starts_word = c.is_uppercase()
            && previous
                .is_some_and(|p| p.is_lowercase() || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase())));
        if starts_word && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The address of a row read from several columns named like the person's email (each a
/// column and its place among the kept cells): the first that is filled, so long as every
/// filled one says the same.
fn agreed(
    file: &str,
    columns: &Columns,
    chosen: &[(usize, usize)],
    line: u64,
    mut cells: Vec<String>,
) -> Result<String, InputError> {
    let mut first: Option<(usize, usize, String)> = None;
    for &(column, slot) in chosen {
        let cell = cells.get(slot).map_or("", String::as_str);
        if cell.trim().is_empty() {
            continue;
        }
        let normalized = email::normalize(cell);
        match &first {
            None => first = Some((column, slot, normalized)),
            Some((seen_column, seen_slot, seen)) if *seen != normalized => {
                let seen_cell = cells.get(*seen_slot).map_or("", String::as_str);
                let detail = format!(
                    "{} and {} are both named like the person's email but differ on line {line} ({} and {})",
                    columns.describe(*seen_column),
                    columns.describe(column),
                    seen_cell.trim(),
                    cell.trim()
                );
                return Err(InputError::AmbiguousEmailColumn { file: file.to_string(), detail });
            }
            Some(_) => {}
        }
    }
    Ok(first.and_then(|(_, slot, _)| cells.get_mut(slot).map(std::mem::take)).unwrap_or_default())
}

#[cfg(test)]
mod tests;
