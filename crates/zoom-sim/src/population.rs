//! The simulated account's users, generated from a seed so that every run of the
//! simulator with the same `--users` and `--seed` holds exactly the same people.
//!
//! Every draw comes from [`SplitMix64`], whose stream never changes between versions.

use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};

use crate::model::{rfc3339, Meeting, Recording, Role, SimRole, SimRoom, SimUser, Status};
use crate::rng::SplitMix64;

/// Everything an account holds that the simulator serves: its users, its roles, and the
/// Zoom Rooms that are not users. Generated from a seed ([`seeded`]) or loaded from an
/// account backup ([`Population::from_backup`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Population {
    /// In the order `GET /users` lists them.
    pub users: Vec<SimUser>,
    pub roles: Vec<SimRole>,
    pub rooms: Vec<SimRoom>,
    /// The file the users were read from, for a loaded account.
    pub source: Option<PathBuf>,
}

/// The seeded account: [`generate`]'s users and the four roles they have.
pub fn seeded(count: usize, seed: u64, domain: &str) -> Population {
    Population {
        users: generate(count, seed, domain),
        roles: Role::ALL.iter().map(|&kind| SimRole::seeded(kind)).collect(),
        rooms: Vec::new(),
        source: None,
    }
}

const FIRST_NAMES: &[&str] = &[
    "ana", "bo", "chen", "dara", "emil", "farah", "gus", "hana", "ivan", "jia", "kofi", "lena", "mateo", "nia", "omar",
    "priya", "quinn", "rosa", "sven", "tara", "umar", "vera", "wen", "ximena", "yusuf", "zoe", "aiko", "bruno",
    "carmen", "dmitri", "elif", "felix",
];
const LAST_NAMES: &[&str] = &[
    "lopez", "smith", "tanaka", "okafor", "novak", "haddad", "kim", "muller", "rossi", "silva", "nguyen", "cohen",
    "larsen", "petrov", "garcia", "ahmed", "dubois", "kowalski", "singh", "moreau", "sato", "fischer", "jensen",
    "costa", "ivanova", "brown", "park", "ali",
];
const DEPARTMENTS: &[&str] = &["Sales", "Engineering", "Support", "Finance", "Marketing", "People", "Legal"];
const TIMEZONES: &[&str] = &["America/New_York", "Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles", "Europe/London"];

/// The instant the generated account's dates are relative to, fixed so output is stable.
pub fn epoch() -> Timestamp {
    Timestamp::constant(1_793_491_200, 0) // 2026-11-01T00:00:00Z
}

/// Generates `count` users: the owner first, then a few admins, then members, with
/// about 88% active, 7% inactive and 5% pending, and 70% of active members licensed.
///
/// Names, emails, statuses and types come from the first random stream, whose sequence
/// of draws must never change (the example roster names users of seed 42). Everything
/// added since comes from a second stream per user, so it can grow freely.
pub fn generate(count: usize, seed: u64, domain: &str) -> Vec<SimUser> {
    let mut rng = SplitMix64::new(seed);
    let admins = (count / 200).clamp(1, 10);
    // How many users already have each first and last name: the next one's address is
    // `first.last{n+1}`. Names have no digits, so no two names' addresses can meet, and a
    // count per name is what probing `first.last2`, `first.last3`, ... found, without
    // the probing (quadratic in a name's users: minutes at a million).
    let mut namesakes: std::collections::HashMap<(&str, &str), u64> = std::collections::HashMap::new();
    (0..count)
        .map(|index| {
            let first = rng.pick(FIRST_NAMES);
            let last = rng.pick(LAST_NAMES);
            let earlier = namesakes.entry((first, last)).or_insert(0);
            *earlier += 1;
            let email = match *earlier {
                1 => format!("{first}.{last}@{domain}"),
                n => format!("{first}.{last}{n}@{domain}"),
            };
            let role = match index {
                0 => Role::Owner,
                i if i <= admins => Role::Admin,
                _ => Role::Member,
            };
            let roll = rng.below(100);
            let status = match (role, roll) {
                (Role::Owner | Role::Admin, _) => Status::Active,
                (_, 0..=87) => Status::Active,
                (_, 88..=94) => Status::Inactive,
                _ => Status::Pending,
            };
            let user_type = match status {
                Status::Active if role != Role::Member || rng.below(10) < 7 => 2,
                Status::Pending if rng.below(2) == 0 => 2,
                _ => 1,
            };
            let created = epoch() - SignedDuration::from_hours(24 * (30 + rng.below(1500) as i64));
            // Sign-ins spread over two years.
            let last_login = match status {
                Status::Pending => None,
                _ => Some(epoch() - SignedDuration::from_mins(rng.below(730 * 24 * 60) as i64)),
            };
            let key = rng.opaque_id();
            let pmi = 1_000_000_000 + rng.below(8_999_999_999);
            let timezone = rng.pick(TIMEZONES).to_string();
            let dept = rng.pick(DEPARTMENTS).to_string();

            let mut traits = SplitMix64::new(seed ^ (index as u64).wrapping_mul(0xA24B_AED4_963E_E407) ^ 0x007E_A175);
            let member = role == Role::Member;
            let live = status != Status::Pending;
            let is_room = member && live && traits.below(100) < 1;
            let role = if member && !is_room && traits.below(100) < 2 { Role::Custom } else { role };
            let managed_domain = member && !is_room && traits.below(100) < 5;
            let events_owner = member && live && !is_room && traits.below(100) < 2;
            let invitation_expired = status == Status::Pending && traits.below(100) < 30;
            let meetings = if live && status == Status::Active && traits.below(100) < 15 {
                (0..1 + traits.below(4)).map(|m| Meeting::generate(&mut traits, m)).collect()
            } else {
                Vec::new()
            };
            let recordings = if live && user_type == 2 && traits.below(100) < 20 {
                (0..1 + traits.below(6)).map(|_| Recording::generate(&mut traits)).collect()
            } else {
                Vec::new()
            };
            SimUser {
                key,
                email,
                first_name: capitalize(first),
                last_name: capitalize(last),
                user_type: if is_room { 1 } else { user_type },
                status,
                role,
                role_id: Some(role.id().to_string()),
                is_room,
                managed_domain,
                events_owner,
                invitation_expired,
                employee_id: format!("E{:06}", 100_000 + index),
                sso: managed_domain,
                pmi,
                timezone,
                dept,
                user_created_at: created,
                last_login_time: last_login,
                created_text: rfc3339(created),
                last_login_text: last_login.map(rfc3339),
                display_name: format!("{} {}", capitalize(first), capitalize(last)),
                verified: status != Status::Pending,
                meetings,
                recordings,
            }
        })
        .collect()
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

impl Recording {
    pub(crate) fn generate(rng: &mut SplitMix64) -> Recording {
        Recording {
            meeting_id: 80_000_000_000 + rng.below(9_999_999_999),
            uuid: format!("{}==", &rng.opaque_id()[..22]),
            topic: "Recorded meeting".to_string(),
            start_time: epoch() - SignedDuration::from_hours(1 + rng.below(24 * 365) as i64),
            duration: 15 + rng.below(90) as u32,
            total_size: 1_000_000 + rng.below(500_000_000),
        }
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_people() {
        let a = generate(500, 7, "acme.example");
        let b = generate(500, 7, "acme.example");
        assert_eq!(a, b);
        assert_ne!(a, generate(500, 8, "acme.example"));
    }

    #[test]
    fn namesakes_get_the_addresses_probing_for_a_free_one_gave() {
        // 10,000 users over 896 names: about eleven of each.
        let users = generate(10_000, 42, "acme.example");
        let mut taken = std::collections::HashSet::new();
        for user in &users {
            let (first, last) = (user.first_name.to_lowercase(), user.last_name.to_lowercase());
            let mut probed = format!("{first}.{last}@acme.example");
            let mut n = 2;
            while !taken.insert(probed.clone()) {
                probed = format!("{first}.{last}{n}@acme.example");
                n += 1;
            }
            assert_eq!(user.email, probed);
        }
        assert!(users.iter().any(|u| u.email.contains("11@")), "some name has eleven users");
    }

    #[test]
    fn an_account_has_one_owner_some_admins_and_every_status() {
        let users = generate(2000, 42, "acme.example");
        let emails: std::collections::HashSet<_> = users.iter().map(|u| &u.email).collect();
        assert_eq!(emails.len(), 2000, "emails are unique");
        assert_eq!(users.iter().filter(|u| u.role == Role::Owner).count(), 1);
        assert_eq!(users.iter().filter(|u| u.role == Role::Admin).count(), 10);
        for status in [Status::Active, Status::Inactive, Status::Pending] {
            assert!(users.iter().filter(|u| u.status == status).count() > 50, "{status:?}");
        }
        let some = |f: &dyn Fn(&SimUser) -> bool| users.iter().filter(|u| f(u)).count() > 5;
        assert!(some(&|u| u.is_room), "Zoom Rooms users");
        assert!(some(&|u| u.managed_domain), "managed-domain users");
        assert!(some(&|u| u.events_owner), "Zoom Events owners");
        assert!(some(&|u| u.invitation_expired), "expired invitations");
        assert!(some(&|u| !u.meetings.is_empty()), "users with upcoming meetings");
        assert!(some(&|u| !u.recordings.is_empty()), "users with recordings");
        assert!(some(&|u| u.role == Role::Custom), "a custom role");
        let oldest = users.iter().filter_map(|u| u.last_login_time).min().unwrap();
        assert!(
            epoch().duration_since(oldest) > SignedDuration::from_hours(24 * 600),
            "sign-ins spread over two years"
        );
    }
}
