//! The simulated account: users, issued tokens, page cursors, a movable clock and a log
//! of every change, behind one lock. Handlers in `routes` translate HTTP to these calls.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;
use time::OffsetDateTime;

use crate::population::SplitMix64;

/// How long an access token lives, as Zoom's `expires_in`.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// How long a `next_page_token` stays valid.
pub const PAGE_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
pub const MAX_PAGE_SIZE: usize = 2000;
pub const DEFAULT_PAGE_SIZE: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Inactive,
    Pending,
}

impl Status {
    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "active" => Some(Status::Active),
            "inactive" => Some(Status::Inactive),
            "pending" => Some(Status::Pending),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    /// The built-in roles' ids; clients must not rely on them (FACTS.md §6).
    pub fn id(self) -> &'static str {
        match self {
            Role::Owner => "0",
            Role::Admin => "1",
            Role::Member => "2",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
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
    pub role: Role,
    pub pmi: u64,
    pub timezone: String,
    pub dept: String,
    pub user_created_at: OffsetDateTime,
    pub last_login_time: Option<OffsetDateTime>,
    pub verified: bool,
}

impl SimUser {
    pub fn public_id(&self) -> Option<&str> {
        (self.status != Status::Pending).then_some(self.key.as_str())
    }
}

/// A Zoom API error: HTTP status, error code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub http_status: u16,
    pub code: i64,
    pub message: String,
}

impl ApiError {
    pub fn new(http_status: u16, code: i64, message: impl Into<String>) -> Self {
        ApiError { http_status, code, message: message.into() }
    }

    fn no_such_user(user_id: &str) -> Self {
        ApiError::new(404, 1001, format!("User does not exist: {user_id}."))
    }

    fn invalid_page_token() -> Self {
        ApiError::new(400, 300, "The next page token is invalid or expired.")
    }
}

/// A change the simulator applied: the ground truth tests count "applied twice" from.
#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    pub seq: u64,
    pub op: &'static str,
    pub user_id: String,
    pub email: String,
}

struct PageCursor {
    status: Status,
    page_size: usize,
    offset: usize,
    issued: Instant,
}

/// The credentials of the one Server-to-Server app the account has.
#[derive(Clone)]
pub struct AppCredentials {
    pub account_id: String,
    pub client_id: String,
    pub client_secret: String,
}

pub struct SimState {
    pub app: AppCredentials,
    users: Vec<SimUser>,
    tokens: HashMap<String, Instant>,
    page_cursors: HashMap<String, PageCursor>,
    clock_offset: Duration,
    rng: SplitMix64,
    operations: Vec<Operation>,
}

/// A page of `GET /users`.
pub struct UserPage<'a> {
    pub users: Vec<&'a SimUser>,
    pub total_records: usize,
    pub page_size: usize,
    pub next_page_token: String,
}

impl SimState {
    pub fn new(app: AppCredentials, users: Vec<SimUser>, seed: u64) -> Self {
        SimState {
            app,
            users,
            tokens: HashMap::new(),
            page_cursors: HashMap::new(),
            clock_offset: Duration::ZERO,
            rng: SplitMix64::new(seed ^ 0x5EED_70C3),
            operations: Vec::new(),
        }
    }

    /// The simulator's "now": real time plus however far tests moved the clock.
    pub fn now(&self) -> Instant {
        Instant::now() + self.clock_offset
    }

    pub fn advance_clock(&mut self, by: Duration) {
        self.clock_offset += by;
    }

    pub fn issue_token(&mut self) -> String {
        let token = format!("eyJzaW0iOnRydWV9.{}{}", self.rng.opaque_id(), self.rng.opaque_id());
        let expires = self.now() + TOKEN_LIFETIME;
        self.tokens.insert(token.clone(), expires);
        token
    }

    /// Checks a bearer token as Zoom does: 401 with code 124 when missing, unknown or expired.
    pub fn authorize(&self, bearer: Option<&str>) -> Result<(), ApiError> {
        let expired = || ApiError::new(401, 124, "Access token is expired.");
        let invalid = || ApiError::new(401, 124, "Invalid access token.");
        let token = bearer.ok_or_else(invalid)?;
        match self.tokens.get(token) {
            Some(&expires) if expires > self.now() => Ok(()),
            Some(_) => Err(expired()),
            None => Err(invalid()),
        }
    }

    pub fn users(&self) -> &[SimUser] {
        &self.users
    }

    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    pub fn list_users(
        &mut self,
        status: Status,
        page_size: usize,
        page_token: Option<&str>,
    ) -> Result<UserPage<'_>, ApiError> {
        if page_size == 0 || page_size > MAX_PAGE_SIZE {
            return Err(ApiError::new(400, 300, format!("page_size must be between 1 and {MAX_PAGE_SIZE}.")));
        }
        let now = self.now();
        let offset = match page_token.filter(|t| !t.is_empty()) {
            None => 0,
            Some(token) => {
                let cursor = self.page_cursors.remove(token).ok_or_else(ApiError::invalid_page_token)?;
                let bound_to_query = cursor.status == status && cursor.page_size == page_size;
                if !bound_to_query || now.duration_since(cursor.issued) > PAGE_TOKEN_LIFETIME {
                    return Err(ApiError::invalid_page_token());
                }
                cursor.offset
            }
        };
        let total_records = self.users.iter().filter(|u| u.status == status).count();
        let next_offset = offset + page_size;
        let next_page_token = if next_offset < total_records {
            let token = self.rng.opaque_id();
            self.page_cursors.insert(token.clone(), PageCursor { status, page_size, offset: next_offset, issued: now });
            token
        } else {
            String::new()
        };
        let users = self.users.iter().filter(|u| u.status == status).skip(offset).take(page_size).collect();
        Ok(UserPage { users, total_records, page_size, next_page_token })
    }

    /// Finds a user by id or email, as `GET /users/{userId}` does.
    pub fn find(&self, user_id: &str) -> Result<&SimUser, ApiError> {
        self.position(user_id).map(|i| &self.users[i])
    }

    fn position(&self, user_id: &str) -> Result<usize, ApiError> {
        let by_email = user_id.contains('@');
        self.users
            .iter()
            .position(|u| if by_email { u.email.eq_ignore_ascii_case(user_id) } else { u.public_id() == Some(user_id) })
            .ok_or_else(|| ApiError::no_such_user(user_id))
    }

    /// `PUT /users/{userId}/status`.
    pub fn set_status(&mut self, user_id: &str, action: &str) -> Result<(), ApiError> {
        let index = self.position(user_id)?;
        let user = &self.users[index];
        let target = match action {
            "activate" => Status::Active,
            "deactivate" => Status::Inactive,
            _ => return Err(ApiError::new(400, 300, "Validation Failed.")),
        };
        if user.role != Role::Member {
            return Err(ApiError::new(
                400,
                200,
                "Zoom Room and Admin users' status cannot be activated or deactivated.",
            ));
        }
        if user.status == Status::Pending {
            return Err(ApiError::no_such_user(user_id));
        }
        let user = &mut self.users[index];
        let op = if target == Status::Inactive {
            // Deactivation removes the user's licenses.
            user.user_type = 1;
            "deactivate"
        } else {
            "activate"
        };
        user.status = target;
        let (key, email) = (user.key.clone(), user.email.clone());
        self.record(op, key, email);
        Ok(())
    }

    /// `DELETE /users/{userId}?action=disassociate|delete`.
    pub fn remove(&mut self, user_id: &str, action: &str) -> Result<(), ApiError> {
        let index = self.position(user_id)?;
        let user = &self.users[index];
        let op = match action {
            "disassociate" => "disassociate",
            "delete" => "delete",
            _ => return Err(ApiError::new(400, 300, "Validation Failed.")),
        };
        if user.role != Role::Member {
            return Err(ApiError::new(400, 1117, "You can not disassociate an Admin user."));
        }
        let user = self.users.remove(index);
        self.record(op, user.key, user.email);
        Ok(())
    }

    fn record(&mut self, op: &'static str, user_id: String, email: String) {
        let seq = self.operations.len() as u64 + 1;
        self.operations.push(Operation { seq, op, user_id, email });
    }
}
