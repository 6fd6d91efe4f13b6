//! Properties of the roster and HR readers: they never panic, whatever they are given; a
//! roster in any of the layouts people send reads back to exactly the people in it; and
//! email normalization is idempotent. And of the decisions: whatever the account and the
//! requests, no action touches a user whose role is not known to be actionable, no
//! delete loses a user's things unless the policy accepts it, and an undo restores only
//! users still as the run left them.

use offboard_core::email::normalize;
use offboard_core::policy::DatePolicy;
use offboard_core::undo::plan_undo;
use offboard_core::{
    decide, parse_hr_file, parse_roster, Account, AccountUser, ActionKind, ActionResult, Change, Decision, Findings,
    Outcome, Policy, Request, SkipReason, UserState, UserStatus, UserType,
};
use proptest::prelude::*;

const XLSX: &[u8] = include_bytes!("fixtures/rosters/roster.xlsx");

/// Bytes that look like what arrives in `inbox/`: anything at all, text made of the
/// characters tables are made of, and damaged copies of a real workbook.
fn upload_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        "[a-zA-Z0-9@., ;\t\r\n\"'_-]{0,512}".prop_map(String::into_bytes),
        (proptest::collection::vec(any::<u8>(), 0..512)).prop_map(|tail| [b"PK\x03\x04".as_slice(), &tail].concat()),
        proptest::collection::vec((0..XLSX.len(), any::<u8>()), 1..8).prop_map(|edits| {
            let mut bytes = XLSX.to_vec();
            for (at, byte) in edits {
                bytes[at] = byte;
            }
            bytes
        }),
    ]
}

/// Text shaped like an HR file: a header naming the columns the reader looks for, then
/// rows of date-ish, email-ish and id-ish cells.
fn hr_text() -> impl Strategy<Value = String> {
    let header = prop::sample::select(vec![
        "email,termination_date\n",
        "Employee ID;Work Email;Last Day;Manager Email;Action\n",
        "employee_id\tend_date\tmanager\n",
    ]);
    (header, "[0-9a-zA-Z@./:T+ ,;\t\r\n-]{0,400}").prop_map(|(h, body)| format!("{h}{body}"))
}

proptest! {
    #[test]
    fn parse_roster_never_panics_on_bytes(bytes in upload_bytes()) {
        let _ = parse_roster("inbox/any.csv", &bytes);
    }

    #[test]
    fn parse_roster_never_panics_on_strings(text in any::<String>()) {
        let _ = parse_roster("inbox/any.csv", text.as_bytes());
    }

    #[test]
    fn parse_hr_file_never_panics_on_bytes(bytes in upload_bytes()) {
        let _ = parse_hr_file("hr/any.csv", &bytes, &DatePolicy::default());
    }

    #[test]
    fn parse_hr_file_never_panics_on_strings(text in any::<String>()) {
        let _ = parse_hr_file("hr/any.csv", text.as_bytes(), &DatePolicy::default());
    }

    #[test]
    fn parse_hr_file_never_panics_on_hr_shaped_text(text in hr_text(), day_first in any::<bool>()) {
        let dates = DatePolicy {
            timezone: "Europe/Berlin".to_string(),
            slash_order: if day_first {
                offboard_core::policy::SlashOrder::DayFirst
            } else {
                offboard_core::policy::SlashOrder::MonthFirst
            },
        };
        let _ = parse_hr_file("hr/any.csv", text.as_bytes(), &dates);
    }
}

/// One row of a generated roster: which address, how it is cased and padded, the other
/// column's value, and the blank lines before it.
#[derive(Debug, Clone)]
struct GenRow {
    address: usize,
    upper: Vec<bool>,
    before: String,
    after: String,
    other: String,
    blanks: usize,
}

#[derive(Debug, Clone)]
struct GenRoster {
    addresses: Vec<String>,
    rows: Vec<GenRow>,
    delimiter: char,
    header: &'static str,
    email_first: bool,
    bom: bool,
    crlf: bool,
    blanks_before_header: usize,
    blanks_at_end: usize,
    /// Which kind of blank line: empty, spaces, or only delimiters (Excel's empty row).
    blank_kind: usize,
}

fn padding() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop::sample::select(vec![' ', ' ', '\u{a0}']), 0..3).prop_map(String::from_iter)
}

fn gen_row() -> impl Strategy<Value = GenRow> {
    (
        any::<prop::sample::Index>(),
        proptest::collection::vec(any::<bool>(), 40),
        padding(),
        padding(),
        "[A-Za-z]{0,8}",
        0..3usize,
    )
        .prop_map(|(address, upper, before, after, other, blanks)| GenRow {
            address: address.index(usize::MAX),
            upper,
            before,
            after,
            other,
            blanks,
        })
}

fn gen_roster() -> impl Strategy<Value = GenRoster> {
    (
        proptest::collection::vec("[a-z0-9][a-z0-9._+-]{0,10}@[a-z0-9]{1,8}\\.(example|test|example\\.org)", 1..8),
        proptest::collection::vec(gen_row(), 1..25),
        prop::sample::select(vec![',', ';', '\t']),
        prop::sample::select(vec!["Email", "E-mail", "work_email", "Email Address", "mail", "userPrincipalName"]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0..3usize,
        0..3usize,
        0..3usize,
    )
        .prop_map(
            |(
                addresses,
                rows,
                delimiter,
                header,
                email_first,
                bom,
                crlf,
                blanks_before_header,
                blanks_at_end,
                blank_kind,
            )| {
                GenRoster {
                    addresses,
                    rows,
                    delimiter,
                    header,
                    email_first,
                    bom,
                    crlf,
                    blanks_before_header,
                    blanks_at_end,
                    blank_kind,
                }
            },
        )
}

/// A generated roster as a file, and what it must read back as: the distinct addresses
/// with the line each first appears on, and the repeats with the line of the first.
struct Rendered {
    bytes: Vec<u8>,
    entries: Vec<(u64, String)>,
    duplicates: Vec<(u64, u64)>,
}

fn render(roster: &GenRoster) -> Rendered {
    let newline = if roster.crlf { "\r\n" } else { "\n" };
    let d = roster.delimiter;
    let blank = match roster.blank_kind {
        0 => String::new(),
        1 => "   ".to_string(),
        _ => d.to_string(),
    };
    let mut text = String::new();
    let mut line = 1u64;
    let mut push_line = |text: &mut String, content: &str| {
        text.push_str(content);
        text.push_str(newline);
        line += 1;
        line - 1
    };
    if roster.bom {
        text.push('\u{feff}');
    }
    for _ in 0..roster.blanks_before_header {
        push_line(&mut text, &blank);
    }
    let header =
        if roster.email_first { format!("{}{d}Dept", roster.header) } else { format!("Dept{d}{}", roster.header) };
    push_line(&mut text, &header);
    let mut entries = Vec::new();
    let mut duplicates = Vec::new();
    let mut first_seen = std::collections::HashMap::new();
    for row in &roster.rows {
        for _ in 0..row.blanks {
            push_line(&mut text, &blank);
        }
        let address = &roster.addresses[row.address % roster.addresses.len()];
        let cased: String = address
            .chars()
            .zip(row.upper.iter().cycle())
            .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c })
            .collect();
        let cell = format!("{}{cased}{}", row.before, row.after);
        let content =
            if roster.email_first { format!("{cell}{d}{}", row.other) } else { format!("{}{d}{cell}", row.other) };
        let at = push_line(&mut text, &content);
        match first_seen.get(address) {
            Some(&first) => duplicates.push((at, first)),
            None => {
                first_seen.insert(address.clone(), at);
                entries.push((at, address.clone()));
            }
        }
    }
    for _ in 0..roster.blanks_at_end {
        push_line(&mut text, &blank);
    }
    Rendered { bytes: text.into_bytes(), entries, duplicates }
}

proptest! {
    #[test]
    fn a_generated_roster_reads_back_to_its_distinct_people(roster in gen_roster()) {
        let rendered = render(&roster);
        let parsed = parse_roster("inbox/generated.csv", &rendered.bytes)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{:?}", String::from_utf8_lossy(&rendered.bytes))))?;
        let entries: Vec<(u64, String)> = parsed.entries.iter().map(|e| (e.line, e.email.to_string())).collect();
        prop_assert_eq!(&entries, &rendered.entries, "{:?}", String::from_utf8_lossy(&rendered.bytes));
        let duplicates: Vec<(u64, u64)> = parsed
            .rejected
            .iter()
            .map(|r| match r.reason {
                SkipReason::Duplicate { first_line } => Ok((r.line, first_line)),
                ref other => Err(TestCaseError::fail(format!("line {}: {other:?}", r.line))),
            })
            .collect::<Result<_, _>>()?;
        prop_assert_eq!(&duplicates, &rendered.duplicates, "{:?}", String::from_utf8_lossy(&rendered.bytes));
        prop_assert_eq!(parsed.email_column.as_str(), roster.header);
        prop_assert!(parsed.email_column_by_name);
    }
}

/// Strings made of what makes normalization interesting: case, accents as combining marks
/// of several classes, precomposed letters, invisible and no-break spaces, `İ`, `Σ`, `ß`.
fn tricky_string() -> impl Strategy<Value = String> {
    let chars = prop::sample::select(vec![
        'a', 'A', 'e', 'E', 'i', 'I', 'j', 'J', 'h', 'H', 'z', '@', '.', ' ', '\t', '\u{a0}', '\u{200b}', '\u{feff}',
        '\u{2060}', '\u{0301}', '\u{0300}', '\u{0308}', '\u{0316}', '\u{0323}', '\u{0327}', '\u{030c}', '\u{0331}',
        '\u{00e9}', '\u{00c9}', '\u{0130}', '\u{03a3}', '\u{00df}', '\u{212a}', '\u{212b}', '\u{1e9e}', '\u{01c4}',
    ]);
    proptest::collection::vec(chars, 0..16).prop_map(String::from_iter)
}

proptest! {
    #[test]
    fn normalize_is_idempotent(raw in prop_oneof![any::<String>(), tricky_string()]) {
        let once = normalize(&raw);
        prop_assert_eq!(normalize(&once), once.clone(), "raw {:?}", raw);
    }
}

/// Normalizing must compose after lower-casing too. `İ` lower-cases to `i` + U+0307
/// (class 230), which then sits before U+0316 (class 220), out of canonical order. And a
/// `J` with a combining caron has no precomposed capital, but lower-cases to a `j` and a
/// caron, which compose to `ǰ` (U+01F0): the same address typed two ways must compare as one.
#[test]
fn normalize_composes_what_lower_casing_decomposes() {
    let once = normalize("\u{130}\u{316}@acme.example");
    assert_eq!(normalize(&once), once);
    assert_eq!(normalize("J\u{30c}@acme.example"), normalize("\u{1f0}@acme.example"));
}

/// One generated user: status, type, role (0 member, 1 admin, 2 none, 3 an id the roles
/// list does not name), whether a Zoom Room.
#[derive(Debug, Clone)]
struct GenUser {
    status: UserStatus,
    user_type: u8,
    role: u8,
    room: bool,
}

fn gen_user() -> impl Strategy<Value = GenUser> {
    (
        prop::sample::select(vec![UserStatus::Active, UserStatus::Active, UserStatus::Inactive, UserStatus::Pending]),
        prop::sample::select(vec![1u8, 2, 2]),
        prop::sample::select(vec![0u8, 0, 0, 1, 2, 3]),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(status, user_type, role, room)| GenUser { status, user_type, role, room })
}

fn gen_account(users: &[GenUser]) -> Account {
    let users_of = users
        .iter()
        .enumerate()
        .map(|(i, u)| AccountUser {
            id: (u.status != UserStatus::Pending).then(|| format!("id{i}").into()),
            email: format!("u{i}@acme.example").into(),
            first_name: Default::default(),
            last_name: Default::default(),
            user_type: u.user_type.into(),
            status: u.status,
            role_id: match u.role {
                0 => Some("r-member".into()),
                1 => Some("r-admin".into()),
                2 => None,
                _ => Some("r-unlisted".into()),
            },
            last_login_time: None,
            user_created_at: None,
            employee_id: None,
        })
        .collect();
    Account {
        users: users_of,
        role_names: [("r-member", "Member"), ("r-admin", "Admin")]
            .iter()
            .map(|(id, name)| (id.to_string(), name.to_string()))
            .collect(),
        room_emails: users
            .iter()
            .enumerate()
            .filter(|(_, u)| u.room)
            .map(|(i, _)| format!("u{i}@acme.example"))
            .collect(),
    }
}

/// A request: whom (an index, possibly past the account: a stranger), what, and a manager.
fn gen_requests() -> impl Strategy<Value = Vec<(usize, ActionKind, Option<usize>)>> {
    proptest::collection::vec(
        (
            0..14usize,
            prop::sample::select(vec![
                ActionKind::Delete,
                ActionKind::Delete,
                ActionKind::Deactivate,
                ActionKind::Downgrade,
            ]),
            proptest::option::of(0..14usize),
        ),
        0..12,
    )
}

proptest! {
    #[test]
    fn no_action_touches_an_unknown_role_and_no_delete_loses_data_unless_accepted(
        users in proptest::collection::vec(gen_user(), 1..12),
        requests in gen_requests(),
        archive in proptest::option::of(0..14usize),
        accept_data_loss in any::<bool>(),
    ) {
        let account = gen_account(&users);
        let requests: Vec<Request> = requests
            .iter()
            .enumerate()
            .map(|(line, (who, kind, manager))| Request {
                line: line as u64 + 2,
                email: Some(format!("u{who}@acme.example").into()),
                employee_id: None,
                kind: *kind,
                transfer_email: manager.filter(|_| *kind == ActionKind::Delete).map(|m| format!("u{m}@acme.example")),
                reason: None,
                expect: None,
            })
            .collect();
        let mut policy = Policy::default();
        policy.transfer.archive_email = archive.map(|a| format!("u{a}@acme.example"));
        policy.transfer.accept_data_loss = accept_data_loss;
        let body = decide(Decision {
            requests: &requests,
            rejected: Vec::new(),
            scheduled: Vec::new(),
            account: &account,
            policy: &policy,
            calls_per_second: 1.0,
        });
        prop_assert_eq!(body.actions.len() + body.skipped.len(), requests.len());
        let index_of = |email: &str| account.users.iter().position(|u| u.email == email);
        let acted: Vec<usize> = body.actions.iter().filter_map(|a| index_of(&a.email)).collect();
        for action in &body.actions {
            let at = index_of(&action.email).expect("acts on a user of the account");
            let (user, generated) = (&account.users[at], &users[at]);
            prop_assert!(generated.role == 0 && !generated.room, "{action:?} acts on {generated:?}");
            prop_assert_eq!(&action.before, &UserState::of(user));
            if action.kind() != ActionKind::Delete || user.status == UserStatus::Pending {
                continue;
            }
            let spec = action.change.delete_spec().expect("a delete has its spec");
            match spec.transfer_email.as_deref() {
                None => prop_assert!(accept_data_loss, "a delete without a transfer: {action:?}"),
                Some(target) => {
                    let t = index_of(target).expect("the target is a user of the account");
                    let (target_user, target_gen) = (&account.users[t], &users[t]);
                    prop_assert!(t != at && !acted.contains(&t), "target {target} leaves too: {action:?}");
                    prop_assert_eq!(target_user.status, UserStatus::Active);
                    prop_assert!(target_user.user_type == UserType::Licensed && target_gen.role == 0 && !target_gen.room);
                    prop_assert!(spec.transfer_recordings && spec.transfer_meetings && spec.transfer_whiteboards);
                }
            }
        }
        // A delete that became a deactivation says so.
        for action in body.actions.iter().filter(|a| a.kind() == ActionKind::Deactivate) {
            let asked = &requests.iter().find(|r| r.line == action.line).expect("its request").kind;
            if *asked == ActionKind::Delete {
                prop_assert!(!accept_data_loss);
                prop_assert!(action.why().contains("deactivated instead, keeping them"), "{}", action.why());
            }
        }
    }

    #[test]
    fn an_undo_restores_only_users_still_as_the_run_left_them(
        cases in proptest::collection::vec(
            (
                prop::sample::select(vec![ActionKind::Deactivate, ActionKind::Downgrade, ActionKind::Delete]),
                prop::sample::select(vec![UserStatus::Active, UserStatus::Inactive, UserStatus::Pending]),
                prop::sample::select(vec![1u8, 2]),
                prop::sample::select(vec![UserStatus::Active, UserStatus::Inactive]),
                prop::sample::select(vec![1u8, 2]),
                any::<bool>(),
            ),
            0..10,
        ),
    ) {
        let mut users = Vec::new();
        let mut results = Vec::new();
        for (i, (kind, now_status, now_type, prior_status, prior_type, role_changed)) in cases.iter().enumerate() {
            users.push(AccountUser {
                id: Some(format!("id{i}").into()),
                email: format!("u{i}@acme.example").into(),
                first_name: Default::default(),
                last_name: Default::default(),
                user_type: (*now_type).into(),
                status: *now_status,
                role_id: Some(if *role_changed { "r-admin" } else { "r-member" }.into()),
                last_login_time: None,
                user_created_at: None,
                employee_id: None,
            });
            let prior = UserState { status: *prior_status, user_type: (*prior_type).into(), role_id: Some("r-member".into()) };
            results.push(ActionResult {
                run_id: "r".into(),
                action_id: format!("{i:04}"),
                kind: *kind,
                user_id: format!("id{i}"),
                email: format!("u{i}@acme.example"),
                outcome: Outcome::Done,
                performed: None,
                findings: Findings::default(),
                zoom_message: None,
                prior: Some(prior),
                attempt: 1,
                started_at: String::new(),
                finished_at: String::new(),
            });
        }
        let account = Account { users, ..Account::default() };
        let body = plan_undo(&results, &account, 1.0);
        prop_assert_eq!(body.actions.len() + body.skipped.len(), results.len());
        for action in &body.actions {
            let result = results.iter().find(|r| r.action_id == action.action_id).expect("its result");
            let left = result.kind.leaves(result.prior.as_ref().expect("a prior"));
            prop_assert!(left.is_some_and(|left| left.holds(&action.before)), "{action:?}");
            prop_assert_eq!(Some(action.change.clone()), result.prior.clone().map(|prior| Change::Restore(Box::new(prior))));
        }
        for row in &body.skipped {
            if let SkipReason::ChangedSince { left, now } = &row.reason {
                prop_assert!(!left.holds(now));
                prop_assert!(row.reason.to_string().contains(left.status.as_str()));
            }
        }
    }
}
