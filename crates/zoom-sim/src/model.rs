//! What a simulated account is made of: users, roles, Zoom Rooms, meetings and
//! recordings, and how Zoom writes their dates. These types have a module of their own
//! so that the account's generator (`population`), its loader (`backup`) and the
//! server's state (`state`) build on them without depending on one another.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

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

/// A cloud recording a user owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub meeting_id: u64,
    pub uuid: String,
    pub topic: String,
    pub start_time: Timestamp,
    pub duration: u32,
    pub total_size: u64,
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
    pub user_created_at: Timestamp,
    pub last_login_time: Option<Timestamp>,
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

/// A date as Zoom writes it: `2019-08-28T21:01:17Z`.
pub(crate) fn rfc3339(at: Timestamp) -> String {
    Timestamp::from_second(at.as_second()).unwrap_or(at).to_string()
}

/// The UTC day of an instant: Zoom's dates (recordings' `from`/`to`, the daily caps) are UTC.
pub(crate) fn utc_date(at: Timestamp) -> jiff::civil::Date {
    TimeZone::UTC.to_datetime(at).date()
}
