//! The simulated account: users and their indexes, issued tokens, page cursors, a
//! movable clock, the rate limiter, faults and the log of every state-changing call,
//! behind one lock. `routes` translates HTTP into calls on [`SimState`].

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::limits::{Admission, Label, Plan, RateLimiter};
use crate::messages::{text, Language, Msg};
use crate::population::{self, Population, SplitMix64};

/// How long an access token lives, as Zoom's `expires_in`.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// How long a `next_page_token` stays valid.
pub const PAGE_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
pub const MAX_PAGE_SIZE: usize = 2000;
pub const DEFAULT_PAGE_SIZE: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Inactive,
    Pending,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Active, Status::Inactive, Status::Pending];

    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "active" => Some(Status::Active),
            "inactive" => Some(Status::Inactive),
            "pending" => Some(Status::Pending),
            _ => None,
        }
    }
}

/// What a role lets its members do in the simulator: the owner and admins are refused
/// status changes and removals, as in Zoom. The seeded account has one role of each kind
/// with the ids and names below; an account loaded from a backup keeps its own ids and
/// names (see [`SimRole`]), and [`SimUser::role_id`] is what the API shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Owner,
    Admin,
    Member,
    /// A custom role an admin made ("Help Desk").
    Custom,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Custom];

    /// Opaque ids on purpose: clients must identify roles by name or by `GET /roles`,
    /// never by assuming ids (FACTS.md §6).
    pub fn id(self) -> &'static str {
        match self {
            Role::Owner => "oWnR7sKq2TaCbD1eF3gH4w",
            Role::Admin => "aDmN5pLm8XyZ0qRsT6uV2w",
            Role::Member => "mEmB3rJk9NhGfE4dC7bA1w",
            Role::Custom => "cUsT0mHd6QwEr2TyU8iO5w",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
            Role::Custom => "Help Desk",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Role::Owner => "Account owner: full privileges.",
            Role::Admin => "Account administrator.",
            Role::Member => "Account member.",
            Role::Custom => "Custom role: resets passwords and views users.",
        }
    }

    /// Owners and admins are the "Admin users" Zoom's errors speak of.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// The kind of a role called `name`: Zoom's built-in roles are `Owner`, `Admin` and
    /// `Member`; any other name is a custom role.
    pub fn from_name(name: &str) -> Role {
        let name = name.trim();
        [Role::Owner, Role::Admin, Role::Member]
            .into_iter()
            .find(|role| role.name().eq_ignore_ascii_case(name))
            .unwrap_or(Role::Custom)
    }
}

/// A role of the account, as `GET /roles` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRole {
    pub id: String,
    pub name: String,
    pub description: String,
    pub kind: Role,
}

impl SimRole {
    /// The seeded account's role of this kind.
    pub fn seeded(kind: Role) -> SimRole {
        SimRole {
            id: kind.id().to_string(),
            name: kind.name().to_string(),
            description: kind.description().to_string(),
            kind,
        }
    }
}

/// A Zoom Room that is not one of the account's users (a backup can name rooms whose
/// email the user list does not hold); rooms that are users are [`SimUser::is_room`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRoom {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// One Zoom Room as `GET /metrics/zoomrooms` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
}

/// An upcoming meeting a user hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub id: u64,
    pub uuid: String,
    pub topic: String,
    /// Hours after the simulator starts.
    pub starts_in_hours: u32,
    pub duration: u32,
}

impl Meeting {
    pub(crate) fn generate(rng: &mut SplitMix64, n: u64) -> Meeting {
        Meeting {
            id: 80_000_000_000 + rng.below(9_999_999_999),
            uuid: format!("{}==", &rng.opaque_id()[..22]),
            topic: format!("Weekly sync #{}", n + 1),
            starts_in_hours: 1 + rng.below(24 * 30) as u32,
            duration: 30 * (1 + rng.below(4) as u32),
        }
    }
}

/// A cloud recording a user owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub meeting_id: u64,
    pub uuid: String,
    pub topic: String,
    pub start_time: OffsetDateTime,
    pub duration: u32,
    pub total_size: u64,
}

impl Recording {
    pub(crate) fn generate(rng: &mut SplitMix64) -> Recording {
        Recording {
            meeting_id: 80_000_000_000 + rng.below(9_999_999_999),
            uuid: format!("{}==", &rng.opaque_id()[..22]),
            topic: "Recorded meeting".to_string(),
            start_time: population::epoch() - time::Duration::hours(1 + rng.below(24 * 365) as i64),
            duration: 15 + rng.below(90) as u32,
            total_size: 1_000_000 + rng.below(500_000_000),
        }
    }
}

/// One user of the simulated account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimUser {
    /// The user's id; not shown while the user is pending, as in Zoom.
    pub key: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub user_type: u8,
    pub status: Status,
    /// What the user's role lets them do.
    pub role: Role,
    /// The `role_id` the API shows (absent when the account did not say).
    pub role_id: Option<String>,
    pub is_room: bool,
    pub managed_domain: bool,
    pub events_owner: bool,
    pub invitation_expired: bool,
    pub employee_id: String,
    /// Signs in with SSO (login type 101): the API shows `employee_unique_id` only then.
    pub sso: bool,
    pub pmi: u64,
    pub timezone: String,
    pub dept: String,
    pub user_created_at: OffsetDateTime,
    pub last_login_time: Option<OffsetDateTime>,
    /// The two dates above as Zoom writes them, formatted once: serving a user is the
    /// simulator's hottest path. An empty `created_text` is a creation date the account
    /// did not give (a backup without one): the API then leaves it out.
    pub created_text: String,
    pub last_login_text: Option<String>,
    pub display_name: String,
    pub verified: bool,
    pub meetings: Vec<Meeting>,
    pub recordings: Vec<Recording>,
}

impl SimUser {
    pub fn public_id(&self) -> Option<&str> {
        (self.status != Status::Pending).then_some(self.key.as_str())
    }

    /// A member with no trait that makes Zoom refuse a deactivation or a delete.
    pub fn is_plain_member(&self) -> bool {
        self.role == Role::Member && !self.is_room && !self.managed_domain && !self.events_owner
    }
}

/// A Zoom API error: HTTP status, error code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub http_status: u16,
    pub code: i64,
    pub message: String,
    /// Extra headers (rate-limit responses), named lower-case as HTTP/1 sends them.
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(http_status: u16, code: i64, message: impl Into<String>) -> Self {
        ApiError { http_status, code, message: message.into(), headers: Vec::new() }
    }
}

/// One state-changing call: the ground truth for "applied twice" and "lost".
#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    pub seq: u64,
    pub at: String,
    pub op: String,
    pub user_id: String,
    pub email: String,
    /// `204`, or `HTTP/code` of the refusal.
    pub outcome: String,
    /// Whether the call changed the account.
    pub applied: bool,
}

/// Faults to inject, set at start or through `/_sim/faults`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every API and OAuth response.
    pub latency_ms: u64,
    /// A random extra of up to this much.
    pub latency_spread_ms: u64,
    /// Share (0..1) of API requests answered 500, 502 or 503 without effect.
    pub error_rate: f64,
    /// Share (0..1) of API requests whose connection is dropped, half before and half
    /// after the call takes effect.
    pub drop_rate: f64,
    /// Share (0..1) of every rate budget a competing app is using...
    pub competitor_share: f64,
    /// ...for this many more seconds of simulated time (set as a duration; reported as remaining).
    pub competitor_seconds: f64,
}

struct TokenInfo {
    expires: Instant,
    scopes: Vec<String>,
}

struct PageCursor {
    status: Status,
    page_size: usize,
    after: usize,
    issued: Instant,
}

/// The credentials of the one Server-to-Server app the account has.
#[derive(Clone)]
pub struct AppCredentials {
    pub account_id: String,
    pub client_id: String,
    pub client_secret: String,
}

/// Everything needed to (re)build the account.
#[derive(Clone)]
pub struct AccountSpec {
    pub users: usize,
    pub seed: u64,
    pub domain: String,
    /// An account to serve instead of the seeded one (e.g. [`Population::from_backup`]);
    /// `users` and `domain` are then unused and `seed` only seeds the simulator's tokens.
    pub population: Option<Arc<Population>>,
    /// The scopes the app is granted (tokens carry them); `None` grants [`ALL_SCOPES`].
    pub scopes: Option<Vec<String>>,
}

/// Every granular scope the simulator knows; the app gets all of them unless told otherwise.
pub const ALL_SCOPES: &[&str] = &[
    "user:read:list_users:admin",
    "user:read:user:admin",
    "user:read:summary:admin",
    "user:read:email:admin",
    "user:update:status:admin",
    "user:update:user:admin",
    "user:delete:user:admin",
    "user:delete:token:admin",
    "meeting:read:list_meetings:admin",
    "cloud_recording:read:list_user_recordings:admin",
    "role:read:list_roles:admin",
    "dashboard:read:list_zoom_rooms:admin",
];

pub struct SimState {
    pub app: AppCredentials,
    pub language: Language,
    pub faults: Faults,
    spec: AccountSpec,
    users: Vec<Option<SimUser>>,
    roles: Vec<SimRole>,
    /// Zoom Rooms that are not users.
    rooms: Vec<SimRoom>,
    by_id: HashMap<String, usize>,
    by_email: HashMap<String, usize>,
    by_status: HashMap<Status, BTreeSet<usize>>,
    tokens: HashMap<String, TokenInfo>,
    /// Every token ever issued, for tests that check none leaks into logs or objects.
    issued_tokens: Vec<String>,
    granted_scopes: Vec<String>,
    page_cursors: HashMap<String, PageCursor>,
    started: Instant,
    started_utc: OffsetDateTime,
    clock_offset: Duration,
    competitor_until: Option<Instant>,
    rng: SplitMix64,
    limiter: RateLimiter,
    in_flight_removals: HashSet<usize>,
    operations: Vec<Operation>,
}

/// A page of `GET /users`.
pub struct UserPage<'a> {
    pub users: Vec<&'a SimUser>,
    pub total_records: usize,
    pub page_size: usize,
    pub next_page_token: String,
}

/// What `DELETE /users/{id}` asks for besides the action.
#[derive(Debug, Clone, Default)]
pub struct Transfer {
    pub email: Option<String>,
    pub meetings: bool,
    pub recordings: bool,
}

impl SimState {
    pub fn new(app: AppCredentials, spec: AccountSpec, plan: Plan, rate_scale: f64, language: Language) -> Self {
        let mut state = SimState {
            app,
            language,
            faults: Faults::default(),
            spec,
            users: Vec::new(),
            roles: Vec::new(),
            rooms: Vec::new(),
            by_id: HashMap::new(),
            by_email: HashMap::new(),
            by_status: HashMap::new(),
            tokens: HashMap::new(),
            issued_tokens: Vec::new(),
            // Set by `reset`, from the spec.
            granted_scopes: Vec::new(),
            page_cursors: HashMap::new(),
            started: Instant::now(),
            started_utc: OffsetDateTime::now_utc(),
            clock_offset: Duration::ZERO,
            competitor_until: None,
            rng: SplitMix64::new(0),
            limiter: RateLimiter::new(plan, rate_scale),
            in_flight_removals: HashSet::new(),
            operations: Vec::new(),
        };
        state.reset();
        state
    }

    /// Back to the account it started with (seeded, or loaded): users regenerated or
    /// reloaded; tokens, cursors, counters, operations and faults cleared; the clock back
    /// to real time.
    pub fn reset(&mut self) {
        let Population { users, roles, rooms, .. } = match &self.spec.population {
            Some(population) => Population::clone(population),
            None => population::seeded(self.spec.users, self.spec.seed, &self.spec.domain),
        };
        self.roles = roles;
        self.rooms = rooms;
        self.by_id = users.iter().enumerate().map(|(i, u)| (u.key.clone(), i)).collect();
        self.by_email = users.iter().enumerate().map(|(i, u)| (u.email.to_lowercase(), i)).collect();
        self.by_status = Status::ALL.iter().map(|&s| (s, BTreeSet::new())).collect();
        for (i, user) in users.iter().enumerate() {
            self.by_status.entry(user.status).or_default().insert(i);
        }
        self.users = users.into_iter().map(Some).collect();
        self.tokens.clear();
        self.page_cursors.clear();
        self.clock_offset = Duration::ZERO;
        self.competitor_until = None;
        self.faults = Faults::default();
        self.granted_scopes = match &self.spec.scopes {
            Some(scopes) => scopes.clone(),
            None => ALL_SCOPES.iter().map(|s| s.to_string()).collect(),
        };
        self.rng = SplitMix64::new(self.spec.seed ^ 0x5EED_70C3);
        self.limiter.reconfigure(self.limiter.plan(), self.limiter.scale());
        self.in_flight_removals.clear();
        self.operations.clear();
    }

    fn err(&self, http_status: u16, code: i64, msg: Msg<'_>) -> ApiError {
        ApiError::new(http_status, code, text(self.language, &msg))
    }

    /// The simulator's "now": real time plus however far tests moved the clock.
    pub fn now(&self) -> Instant {
        Instant::now() + self.clock_offset
    }

    pub fn utc_now(&self) -> OffsetDateTime {
        self.started_utc + self.now().saturating_duration_since(self.started)
    }

    pub fn advance_clock(&mut self, by: Duration) {
        self.clock_offset += by;
    }

    // ---- faults and limits -------------------------------------------------------

    /// Applies a fault setting; a competitor's duration counts from now.
    pub fn set_faults(&mut self, faults: Faults) {
        self.competitor_until = (faults.competitor_share > 0.0 && faults.competitor_seconds > 0.0)
            .then(|| self.now() + Duration::from_secs_f64(faults.competitor_seconds));
        self.faults = faults;
    }

    /// The faults in force, the competitor's remaining time included.
    pub fn current_faults(&self) -> Faults {
        let mut faults = self.faults.clone();
        let remaining =
            self.competitor_until.map_or(0.0, |until| until.saturating_duration_since(self.now()).as_secs_f64());
        faults.competitor_seconds = remaining;
        if remaining == 0.0 {
            faults.competitor_share = 0.0;
        }
        faults
    }

    /// How many access tokens the simulator has issued that are still valid.
    pub fn live_tokens(&self) -> usize {
        let now = self.now();
        self.tokens.values().filter(|t| t.expires > now).count()
    }

    /// Every access token issued since the start, expired and invalidated ones included.
    pub fn issued_tokens(&self) -> &[String] {
        &self.issued_tokens
    }

    /// Every live token stops working at once.
    pub fn invalidate_tokens(&mut self) {
        self.tokens.clear();
    }

    pub fn set_rate_limits(&mut self, plan: Plan, scale: f64) {
        self.limiter.reconfigure(plan, scale);
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    /// Scopes granted to tokens issued from now on.
    pub fn set_granted_scopes(&mut self, scopes: Vec<String>) {
        self.granted_scopes = scopes;
    }

    /// A random draw in 0..1, from the simulator's seeded stream.
    pub fn roll(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn random_below(&mut self, bound: u64) -> u64 {
        self.rng.below(bound.max(1))
    }

    /// Counts a request against its label's limits, with a competing app's share taken out.
    pub fn admit(&mut self, label: Label) -> Result<Admission, ApiError> {
        let now = self.now();
        let taken = match self.competitor_until {
            Some(until) if until > now => self.faults.competitor_share,
            _ => 0.0,
        };
        let utc = self.utc_now();
        match self.limiter.admit(label, now, utc, taken) {
            allowed @ Admission::Allowed { .. } => Ok(allowed),
            Admission::PerSecond { limit } => Err(self.throttled(Msg::PerSecondLimit, label, "QPS", limit, None)),
            Admission::Daily { limit, retry_after } => {
                let retry_after = retry_after.format(&Rfc3339).unwrap_or_default();
                Err(self.throttled(Msg::DailyLimit, label, "Daily-limit", limit, Some(retry_after)))
            }
        }
    }

    /// A rate-limit 429 with Zoom's headers (`retry-after` on daily limits only).
    fn throttled(&self, msg: Msg<'_>, label: Label, kind: &str, limit: u32, retry_after: Option<String>) -> ApiError {
        let mut error = self.err(429, 429, msg);
        error.headers = vec![
            ("x-ratelimit-category", label.as_str().to_string()),
            ("x-ratelimit-type", kind.to_string()),
            ("x-ratelimit-limit", limit.to_string()),
            ("x-ratelimit-remaining", "0".to_string()),
        ];
        error.headers.extend(retry_after.map(|at| ("retry-after", at)));
        error
    }

    // ---- OAuth ---------------------------------------------------------------------

    pub fn issue_token(&mut self) -> (String, String) {
        let token = format!("eyJzaW0iOnRydWV9.{}{}", self.rng.opaque_id(), self.rng.opaque_id());
        let expires = self.now() + TOKEN_LIFETIME;
        let scopes = self.granted_scopes.clone();
        let scope = scopes.join(" ");
        self.tokens.insert(token.clone(), TokenInfo { expires, scopes });
        self.issued_tokens.push(token.clone());
        (token, scope)
    }

    /// Checks a bearer token as Zoom does: 401/124 when missing, unknown or expired;
    /// 400/4711 when it lacks every scope that would allow the call.
    pub fn authorize(&self, bearer: Option<&str>, any_of_scopes: &[&str]) -> Result<(), ApiError> {
        let Some(info) = bearer.and_then(|token| self.tokens.get(token)) else {
            return Err(self.err(401, 124, Msg::InvalidToken));
        };
        if info.expires <= self.now() {
            return Err(self.err(401, 124, Msg::ExpiredToken));
        }
        if !any_of_scopes.is_empty() && !any_of_scopes.iter().any(|s| info.scopes.iter().any(|g| g == s)) {
            let wanted = any_of_scopes.last().copied().unwrap_or_default();
            return Err(self.err(400, 4711, Msg::MissingScopes(wanted)));
        }
        Ok(())
    }

    // ---- reading -------------------------------------------------------------------

    /// Every user, in creation order.
    pub fn users(&self) -> impl Iterator<Item = &SimUser> {
        self.users.iter().flatten()
    }

    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// Every role of the account, as `GET /roles` lists them.
    pub fn roles(&self) -> &[SimRole] {
        &self.roles
    }

    /// The name of a user's role (that of its kind when the roles do not know its id).
    pub fn role_name<'a>(&'a self, user: &'a SimUser) -> &'a str {
        user.role_id
            .as_deref()
            .and_then(|id| self.roles.iter().find(|r| r.id == id))
            .map_or(user.role.name(), |r| r.name.as_str())
    }

    /// Every Zoom Room: the users that are rooms, then the rooms that are not users.
    pub fn zoom_rooms(&self) -> impl Iterator<Item = RoomView<'_>> {
        let users =
            self.users().filter(|u| u.is_room).map(|u| RoomView { id: &u.key, name: &u.display_name, email: &u.email });
        let others = self.rooms.iter().map(|r| RoomView { id: &r.id, name: &r.name, email: &r.email });
        users.chain(others)
    }

    pub fn list_users(
        &mut self,
        status: Status,
        page_size: usize,
        page_token: Option<&str>,
    ) -> Result<UserPage<'_>, ApiError> {
        if page_size > MAX_PAGE_SIZE {
            return Err(self.err(400, 300, Msg::PageSizeTooLarge(MAX_PAGE_SIZE)));
        }
        let page_size = page_size.max(1);
        let now = self.now();
        let after = match page_token.filter(|t| !t.is_empty()) {
            None => None,
            Some(token) => {
                let cursor = self.page_cursors.get(token);
                let valid = cursor.is_some_and(|c| {
                    c.status == status
                        && c.page_size == page_size
                        && now.saturating_duration_since(c.issued) <= PAGE_TOKEN_LIFETIME
                });
                if !valid {
                    return Err(self.err(400, 300, Msg::InvalidPageToken));
                }
                cursor.map(|c| c.after)
            }
        };
        let set = &self.by_status[&status];
        let total_records = set.len();
        let range = match after {
            None => set.range(..),
            Some(after) => set.range(after + 1..),
        };
        let indexes: Vec<usize> = range.take(page_size + 1).copied().collect();
        let has_more = indexes.len() > page_size;
        let indexes = &indexes[..indexes.len().min(page_size)];
        let next_page_token = match (has_more, indexes.last()) {
            (true, Some(&last)) => {
                let token = format!("{}{}", self.rng.opaque_id(), &self.rng.opaque_id()[..13]);
                self.page_cursors.insert(token.clone(), PageCursor { status, page_size, after: last, issued: now });
                token
            }
            _ => String::new(),
        };
        let users = indexes.iter().filter_map(|&i| self.users[i].as_ref()).collect();
        Ok(UserPage { users, total_records, page_size, next_page_token })
    }

    fn position(&self, user_id: &str) -> Result<usize, ApiError> {
        let found = if user_id.contains('@') {
            self.by_email.get(&user_id.to_lowercase()).copied()
        } else {
            self.by_id
                .get(user_id)
                .copied()
                .filter(|&i| self.users[i].as_ref().is_some_and(|u| u.public_id().is_some()))
        };
        found.filter(|&i| self.users[i].is_some()).ok_or_else(|| self.err(404, 1001, Msg::UserNotFound(user_id)))
    }

    fn user(&self, index: usize) -> &SimUser {
        self.users[index].as_ref().expect("indexes point at live users")
    }

    fn user_mut(&mut self, index: usize) -> &mut SimUser {
        self.users[index].as_mut().expect("indexes point at live users")
    }

    /// Finds a user by id or email, as `GET /users/{userId}` does (an expired invitation: 400/1120).
    pub fn find(&self, user_id: &str) -> Result<&SimUser, ApiError> {
        let user = self.user(self.position(user_id)?);
        if user.invitation_expired {
            return Err(self.err(400, 1120, Msg::InvitationExpired));
        }
        Ok(user)
    }

    /// Changes a user as an admin would in Zoom's web portal (a role, a Zoom Rooms
    /// account): what happens to an account between a plan and its approval. `false`
    /// when no user has that email. The id, email and status stay as they are, so the
    /// indexes hold.
    pub fn edit_user(&mut self, email: &str, edit: impl FnOnce(&mut SimUser)) -> bool {
        let Some(&index) = self.by_email.get(&email.to_lowercase()) else {
            return false;
        };
        let user = self.user_mut(index);
        let (key, email, status) = (user.key.clone(), user.email.clone(), user.status);
        edit(user);
        (user.key, user.email, user.status) = (key, email, status);
        true
    }

    pub fn email_exists(&self, email: &str) -> bool {
        self.by_email.contains_key(&email.to_lowercase())
    }

    /// `GET /users/summary`.
    pub fn summary(&self) -> serde_json::Value {
        let live = || self.users().filter(|u| u.status != Status::Pending);
        let licensed = live().filter(|u| !u.is_room && u.user_type == 2).count();
        let basic = live().filter(|u| !u.is_room && u.user_type != 2).count();
        let rooms = live().filter(|u| u.is_room).count();
        let pending = self.by_status[&Status::Pending].len();
        serde_json::json!({
            "licensed_users_count": licensed,
            "basic_users_count": basic,
            "on_prem_users_count": 0,
            "room_users_count": rooms,
            "pending_users_count": pending,
            "join_only_users_count": 0,
            "total_users_count": licensed + basic + rooms,
        })
    }

    // ---- changes -------------------------------------------------------------------

    fn push_operation(&mut self, op: &str, user_id: String, email: String, result: &Result<(), ApiError>) {
        let at = population::rfc3339(self.utc_now());
        let (outcome, applied) = match result {
            Ok(()) => ("204".to_string(), true),
            Err(e) => (format!("{}/{}", e.http_status, e.code), false),
        };
        let seq = self.operations.len() as u64 + 1;
        self.operations.push(Operation { seq, at, op: op.to_string(), user_id, email, outcome, applied });
    }

    /// Runs a state change on the user named by `user_id` and logs the call: always when
    /// it fails, and when it succeeds unless `log_success` is false (a removal logs its
    /// success when it completes). `change` says whether anything changed: a repeated
    /// deactivation answers 204 but is logged as not applied.
    fn logged(
        &mut self,
        op: &str,
        user_id: &str,
        log_success: bool,
        change: impl FnOnce(&mut SimState, usize) -> Result<bool, ApiError>,
    ) -> Result<(), ApiError> {
        let index = self.position(user_id);
        let (key, email) = match &index {
            Ok(i) => (self.user(*i).key.clone(), self.user(*i).email.clone()),
            Err(_) => (user_id.to_string(), String::new()),
        };
        let result = index.and_then(|i| {
            if self.user(i).invitation_expired {
                Err(self.err(400, 1120, Msg::InvitationExpired))
            } else {
                change(self, i)
            }
        });
        match result {
            Ok(true) if log_success => self.push_operation(op, key, email, &Ok(())),
            Ok(false) => {
                self.push_operation(op, key, email, &Ok(()));
                if let Some(last) = self.operations.last_mut() {
                    last.applied = false;
                    last.outcome = "204 (no change)".to_string();
                }
            }
            Ok(true) => {}
            Err(ref error) => self.push_operation(op, key, email, &Err(error.clone())),
        }
        result.map(drop)
    }

    /// `PUT /users/{userId}/status`.
    pub fn set_status(&mut self, user_id: &str, action: &str) -> Result<(), ApiError> {
        let target = match action {
            "activate" => Status::Active,
            "deactivate" => Status::Inactive,
            _ => return Err(self.err(400, 300, Msg::Validation)),
        };
        self.logged(action, user_id, true, |sim, index| {
            let user = sim.user(index);
            if user.role.is_admin() || user.is_room {
                return Err(sim.err(400, 200, Msg::RoomOrAdminStatus));
            }
            if user.status == Status::Pending {
                return Err(sim.err(404, 1001, Msg::UserNotFound(user_id)));
            }
            if user.events_owner && target == Status::Inactive {
                return Err(sim.err(400, 300, Msg::UpcomingEvents));
            }
            let from = user.status;
            if from == target {
                return Ok(false);
            }
            sim.by_status.entry(from).or_default().remove(&index);
            sim.by_status.entry(target).or_default().insert(index);
            let user = sim.user_mut(index);
            if target == Status::Inactive {
                user.user_type = 1; // deactivation removes the user's licenses
            }
            user.status = target;
            Ok(true)
        })
    }

    /// `PATCH /users/{userId}` with a `type`.
    pub fn set_type(&mut self, user_id: &str, user_type: u8) -> Result<(), ApiError> {
        if ![1, 2, 4].contains(&user_type) {
            return Err(self.err(400, 300, Msg::Validation));
        }
        self.logged(&format!("set_type:{user_type}"), user_id, true, |sim, index| {
            let user = sim.user(index);
            if user.is_room && user_type != 2 {
                let key = user.key.clone();
                return Err(sim.err(400, 200, Msg::RoomCannotBeBasic(&key)));
            }
            if user.events_owner && user_type == 1 {
                return Err(sim.err(400, 300, Msg::UpcomingEvents));
            }
            let changed = sim.user(index).user_type != user_type;
            sim.user_mut(index).user_type = user_type;
            Ok(changed)
        })
    }

    /// `DELETE /users/{userId}/token`.
    pub fn revoke_token(&mut self, user_id: &str) -> Result<(), ApiError> {
        self.logged("revoke_token", user_id, true, |sim, index| {
            if sim.user(index).status == Status::Pending {
                return Err(sim.err(400, 1000, Msg::PendingSettings));
            }
            Ok(true)
        })
    }

    /// The first half of `DELETE /users/{userId}`: checks, and marks the user as being
    /// removed. A second removal of the same user before [`SimState::finish_removal`]
    /// gets Zoom's concurrent-request 429.
    pub fn begin_removal(&mut self, user_id: &str, action: &str, transfer: &Transfer) -> Result<usize, ApiError> {
        if action != "disassociate" && action != "delete" {
            return Err(self.err(400, 300, Msg::Validation));
        }
        let mut claimed = None;
        self.logged(action, user_id, false, |sim, index| {
            let user = sim.user(index);
            if sim.in_flight_removals.contains(&index) {
                return Err(sim.err(429, 429, Msg::ConcurrentDisassociate));
            }
            if user.is_room {
                return Err(sim.err(400, 200, Msg::CannotDeleteRoom));
            }
            if user.role.is_admin() {
                return Err(sim.err(400, 1117, Msg::AdminCannotBeDisassociated));
            }
            if action == "disassociate" && user.managed_domain {
                return Err(sim.err(400, 1107, Msg::ManagedDomain));
            }
            if action == "delete" && user.status == Status::Inactive {
                return Err(sim.err(400, 200, Msg::DeactivatedCannotBeDeleted));
            }
            if let Some(target) = &transfer.email {
                if target.eq_ignore_ascii_case(&user.email) {
                    return Err(sim.err(400, 300, Msg::TransferToSelf));
                }
                let Some(&target_index) = sim.by_email.get(&target.to_lowercase()) else {
                    return Err(sim.err(404, 1001, Msg::UserNotFound(target)));
                };
                if transfer.recordings && !user.recordings.is_empty() && sim.user(target_index).user_type != 2 {
                    return Err(sim.err(400, 300, Msg::TransferTargetUnlicensed));
                }
            } else if user.events_owner {
                return Err(sim.err(400, 300, Msg::PublishedEvents));
            }
            sim.in_flight_removals.insert(index);
            claimed = Some(index);
            Ok(true)
        })?;
        claimed.ok_or_else(|| self.err(400, 300, Msg::Validation))
    }

    /// The second half of `DELETE /users/{userId}`: the user leaves the account, their
    /// meetings and recordings go to the transfer target if asked.
    pub fn finish_removal(&mut self, index: usize, action: &str, transfer: &Transfer) {
        self.in_flight_removals.remove(&index);
        let Some(user) = self.users[index].take() else { return };
        self.by_id.remove(&user.key);
        self.by_email.remove(&user.email.to_lowercase());
        self.by_status.entry(user.status).or_default().remove(&index);
        if let Some(&target) = transfer.email.as_ref().and_then(|t| self.by_email.get(&t.to_lowercase())) {
            let target = self.user_mut(target);
            if transfer.meetings {
                target.meetings.extend(user.meetings.iter().cloned());
            }
            if transfer.recordings {
                target.recordings.extend(user.recordings.iter().cloned());
            }
        }
        self.push_operation(action, user.key, user.email, &Ok(()));
    }

    /// When the simulator started: upcoming meetings are scheduled relative to it.
    pub fn started_utc(&self) -> OffsetDateTime {
        self.started_utc
    }
}
