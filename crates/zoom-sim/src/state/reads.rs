//! What the API reads from the account without changing it: users (one, a page of a
//! status, a summary), roles and Zoom Rooms. Page cursors are issued here because a
//! `next_page_token` is only valid for the listing that issued it.

use super::{ApiError, PageCursor, SimState, UserPage, MAX_PAGE_SIZE, PAGE_TOKEN_LIFETIME};
use crate::messages::Msg;
use crate::model::{RoomView, SimRole, SimUser, Status};

impl SimState {
    /// Every user, in creation order.
    pub fn users(&self) -> impl Iterator<Item = &SimUser> {
        self.users.iter().flatten()
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

    /// Finds a user by id or email, as `GET /users/{userId}` does (an expired invitation: 400/1120).
    pub fn find(&self, user_id: &str) -> Result<&SimUser, ApiError> {
        let user = self.user(self.position(user_id)?);
        if user.invitation_expired {
            return Err(self.err(400, 1120, Msg::InvitationExpired));
        }
        Ok(user)
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
}
