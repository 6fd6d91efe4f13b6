//! The account as one read through the Zoom client: every user of every status, the role
//! names and the Zoom Rooms. What the planner backs up and decides against, and what the
//! operator CLI plans against.

use offboard_core::{Account, AccountUser, UserStatus};
use offboard_zoom::ZoomClient;

use crate::error::PipelineError;

/// Every user, the role names, the Zoom Rooms, read concurrently. Each page becomes
/// [`AccountUser`]s as it arrives: a million-user account is never held twice, once as
/// Zoom listed it and once as the plan knows it.
pub async fn snapshot(zoom: &ZoomClient) -> Result<Account, PipelineError> {
    let (mut users, inactive, pending, roles, rooms) = tokio::try_join!(
        users_of(zoom, offboard_zoom::UserStatus::Active),
        users_of(zoom, offboard_zoom::UserStatus::Inactive),
        users_of(zoom, offboard_zoom::UserStatus::Pending),
        zoom.list_roles(),
        zoom.zoom_room_emails()
    )?;
    users.reserve_exact(inactive.len() + pending.len());
    users.extend(inactive);
    users.extend(pending);
    Ok(account_of(users, roles, &rooms))
}

async fn users_of(
    zoom: &ZoomClient,
    status: offboard_zoom::UserStatus,
) -> Result<Vec<AccountUser>, offboard_zoom::ZoomError> {
    let mut users = Vec::new();
    zoom.for_each_page(status, |page| users.extend(page.into_iter().map(account_user))).await?;
    Ok(users)
}

/// The account from its three reads: users, `GET /roles`, the Zoom Rooms' emails.
pub fn account_of(users: Vec<AccountUser>, roles: Vec<offboard_zoom::Role>, room_emails: &[String]) -> Account {
    Account {
        users,
        role_names: roles.into_iter().map(|r| (r.id, r.name)).collect(),
        room_emails: room_emails.iter().map(|e| offboard_core::email::normalize(e)).collect(),
    }
}

/// A user as the Zoom API lists them, as the plan and the backup know them.
pub fn account_user(user: offboard_zoom::User) -> AccountUser {
    AccountUser {
        id: user.id.map(Into::into),
        email: user.email.into(),
        first_name: user.first_name.into(),
        last_name: user.last_name.into(),
        user_type: user.user_type.into(),
        status: match user.status {
            offboard_zoom::UserStatus::Active => UserStatus::Active,
            offboard_zoom::UserStatus::Inactive => UserStatus::Inactive,
            offboard_zoom::UserStatus::Pending => UserStatus::Pending,
        },
        role_id: user.role_id.map(Into::into),
        last_login_time: user.last_login_time.map(Into::into),
        user_created_at: user.user_created_at.map(Into::into),
        employee_id: user.employee_unique_id.map(Into::into),
    }
}
