//! What the API changes in the account (status, type, SSO token, removal) with Zoom's
//! refusals, and the log of every such call, the ground truth tests check a run against:
//! nothing applied twice, nothing lost.

use super::{ApiError, Operation, SimState, Transfer};
use crate::messages::Msg;
use crate::model::{rfc3339, SimUser, Status};

impl SimState {
    pub fn operations(&self) -> &[Operation] {
        &self.operations
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

    fn push_operation(&mut self, op: &str, user_id: String, email: String, result: &Result<(), ApiError>) {
        let at = rfc3339(self.utc_now());
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
}
