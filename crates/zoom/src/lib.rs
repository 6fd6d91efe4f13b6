//! A client for the parts of Zoom's Users API that Offboard uses, built to run at the
//! account's rate limit without a 429 storm.
//!
//! - `auth`: Server-to-Server OAuth; one cached token, refreshed 60 s before expiry,
//!   single-flight, and once more when Zoom rejects it.
//! - `pacer`: per-label token buckets sized from the rate plan, Offboard's share of the
//!   budget and the number of executors; AIMD on 429s; daily blocks. Pure: time is an input.
//! - `client`: the calls (list every status concurrently, get, deactivate, activate,
//!   delete or disassociate with transfers, downgrade, revoke SSO, meetings, recordings,
//!   summary), with retries on 5xx and dropped connections under a per-call deadline.
//! - `error`: what an answer means, by status, `code` and headers, never by message text.
//! - `scopes`: the one table of the calls and the scope each needs, which the client,
//!   the token check and `infra/README.md` all read.
//!
//! It knows nothing of AWS or of plans.

mod auth;
mod client;
mod error;
mod model;
pub mod pacer;
pub mod scopes;

pub use auth::Credentials;
pub use client::{Endpoints, RateLimitHeaders, Upcoming, ZoomClient, DEFAULT_CALL_DEADLINE, DEFAULT_PAGE_SIZE};
pub use error::{ErrorKind, ZoomError};
pub use model::{DeleteAction, DeleteOptions, Role, Summary, User, UserDetail, UserStatus};
pub use pacer::{Label, Pacer, PacerConfig, RatePlan};
pub use scopes::{missing_scopes, ZoomCall};
