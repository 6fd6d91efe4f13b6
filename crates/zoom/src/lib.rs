//! A client for the parts of Zoom's Users API that Offboard uses.
//!
//! It does Server-to-Server OAuth (a cached token, refreshed before it expires and once
//! more when Zoom rejects it), lists every user of every status across pages, and
//! changes a user's status. It knows nothing of AWS or of plans: callers give it
//! credentials and URLs, and get back users and typed errors whose `code` decides.

mod auth;
mod client;
mod error;
mod model;

pub use auth::Credentials;
pub use client::{Endpoints, ZoomClient, DEFAULT_PAGE_SIZE};
pub use error::ZoomError;
pub use model::{User, UserStatus};
