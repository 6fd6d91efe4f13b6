//! The simulated account: users and their indexes, issued tokens, page cursors, a
//! movable clock, the rate limiter, faults and the log of every state-changing call,
//! behind one lock. `routes` translates HTTP into calls on [`SimState`].
//!
//! This module holds what the state is made of and how it starts, resets and tells the
//! time. What it does lives in its submodules, one concern each: `tokens` (OAuth),
//! `faults`, `rate_limits`, `reads` (what the API lists and finds) and `changes` (what
//! the API changes, and the log of it). They add methods to [`SimState`] and nothing
//! here uses them, so imports run one way: from the submodules up to this one.

mod changes;
mod faults;
mod rate_limits;
mod reads;
mod tokens;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::limits::{RateLimiter, RatePlan};
use crate::messages::{text, Language, Msg};
use crate::model::{SimRole, SimRoom, SimUser, Status};
use crate::population::{self, Population};
use crate::rng::SplitMix64;

/// Other crates' tests name the role kind `zoom_sim::state::Role`, from before the
/// account's types had a module of their own.
pub use crate::model::Role;

/// How long an access token lives, as Zoom's `expires_in`.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// How long a `next_page_token` stays valid.
pub const PAGE_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
pub const MAX_PAGE_SIZE: usize = 2000;
pub const DEFAULT_PAGE_SIZE: usize = 30;

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

    /// Zoom's answer to a request whose query or body it cannot read.
    pub fn invalid_field(field: &str) -> Self {
        ApiError::new(400, 300, format!("Invalid field: {field}."))
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
    started_utc: Timestamp,
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

/// The state as every connection and handler holds it.
pub(crate) type Shared = Arc<Mutex<SimState>>;

pub(crate) fn lock(state: &Shared) -> MutexGuard<'_, SimState> {
    // A panic while holding the lock is a simulator bug; keep serving what state there is.
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SimState {
    pub fn new(
        app: AppCredentials,
        spec: AccountSpec,
        rate_plan: RatePlan,
        rate_scale: f64,
        language: Language,
    ) -> Self {
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
            started_utc: Timestamp::now(),
            clock_offset: Duration::ZERO,
            competitor_until: None,
            rng: SplitMix64::new(0),
            limiter: RateLimiter::new(rate_plan, rate_scale),
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
        self.limiter.reconfigure(self.limiter.rate_plan(), self.limiter.scale());
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

    pub fn utc_now(&self) -> Timestamp {
        self.started_utc + self.now().saturating_duration_since(self.started)
    }

    pub fn advance_clock(&mut self, by: Duration) {
        self.clock_offset += by;
    }

    /// When the simulator started: upcoming meetings are scheduled relative to it.
    pub fn started_utc(&self) -> Timestamp {
        self.started_utc
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
}
