//! The account's users by normalized email, in about five bytes a user.
//!
//! A map from each email to its user would hold a key (16 to 24 bytes) and an index per
//! user, over 60 MB at a million users, beside a snapshot that already holds every email.
//! This table holds only the user's position and finds the email through it: the
//! snapshot's emails are compared where they are. The rare email Zoom lists unnormalized
//! (upper case, spaces) is normalized once into a small side map.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::email;
use crate::snapshot::AccountUser;

pub(crate) struct EmailIndex<'a> {
    users: &'a [AccountUser],
    /// Positions of the users whose email is already normalized, hashed by it.
    normalized: HashTable<u32>,
    /// The others, by their normalized email.
    unnormalized: FxHashMap<String, u32>,
}

impl<'a> EmailIndex<'a> {
    /// Indexes `users`; of two users with the same normalized email, the later is found.
    pub(crate) fn of(users: &'a [AccountUser]) -> Self {
        let mut normalized = HashTable::with_capacity(users.len());
        let mut unnormalized = FxHashMap::default();
        for (position, user) in users.iter().enumerate() {
            let position = u32::try_from(position).expect("an account of more than 4 billion users");
            match email::normalized(&user.email) {
                std::borrow::Cow::Borrowed(address) => {
                    let hash = FxBuildHasher.hash_one(address);
                    let same = |&other: &u32| users[other as usize].email == address;
                    let rehash = |&other: &u32| FxBuildHasher.hash_one(users[other as usize].email.as_str());
                    match normalized.entry(hash, same, rehash) {
                        hashbrown::hash_table::Entry::Occupied(mut found) => *found.get_mut() = position,
                        hashbrown::hash_table::Entry::Vacant(free) => {
                            free.insert(position);
                        }
                    }
                }
                std::borrow::Cow::Owned(address) => {
                    unnormalized.insert(address, position);
                }
            }
        }
        EmailIndex { users, normalized, unnormalized }
    }

    /// The position of the user whose normalized email is `normalized`.
    pub(crate) fn get(&self, normalized: &str) -> Option<usize> {
        let hash = FxBuildHasher.hash_one(normalized);
        let found = self.normalized.find(hash, |&other| self.users[other as usize].email == normalized);
        // The later of two users wins, as when the index was built; positions order them.
        let other = self.unnormalized.get(normalized);
        match (found, other) {
            (Some(&a), Some(&b)) => Some(a.max(b) as usize),
            (a, b) => a.or(b).map(|&position| position as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EmailIndex;
    use crate::snapshot::{AccountUser, UserStatus, UserType};

    fn user(email: &str) -> AccountUser {
        AccountUser {
            id: None,
            email: email.into(),
            first_name: Default::default(),
            last_name: Default::default(),
            user_type: UserType::Basic,
            status: UserStatus::Active,
            role_id: None,
            last_login_time: None,
            user_created_at: None,
            employee_id: None,
        }
    }

    #[test]
    fn finds_users_by_normalized_email_whether_or_not_zoom_listed_it_normalized() {
        let users = [user("ana@acme.example"), user(" Bo@Acme.Example"), user("cy@acme.example")];
        let index = EmailIndex::of(&users);
        assert_eq!(index.get("ana@acme.example"), Some(0));
        assert_eq!(index.get("bo@acme.example"), Some(1));
        assert_eq!(index.get("cy@acme.example"), Some(2));
        assert_eq!(index.get("Ana@acme.example"), None, "the index is asked with normalized emails");
        assert_eq!(index.get("dee@acme.example"), None);
    }

    #[test]
    fn of_two_users_with_one_normalized_email_the_later_is_found() {
        let users = [user("ana@acme.example"), user("ANA@acme.example"), user("ana@acme.example")];
        assert_eq!(EmailIndex::of(&users).get("ana@acme.example"), Some(2));
        assert_eq!(EmailIndex::of(&users[..2]).get("ana@acme.example"), Some(1));
    }
}
