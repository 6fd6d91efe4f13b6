//! OAuth as the account sees it: the access tokens it issues, the check every API call
//! goes through (token, expiry, scopes), and the hooks tests use to count or kill tokens.

use super::{ApiError, SimState, TokenInfo, TOKEN_LIFETIME};
use crate::messages::Msg;

impl SimState {
    pub fn issue_token(&mut self) -> (String, String) {
        let token = format!("eyJzaW0iOnRydWV9.{}{}", self.rng.opaque_id(), self.rng.opaque_id());
        let expires = self.now() + TOKEN_LIFETIME;
        let scopes = self.granted_scopes.clone();
        let scope = scopes.join(" ");
        self.tokens.insert(token.clone(), TokenInfo { expires, scopes });
        self.issued_tokens.push(token.clone());
        (token, scope)
    }

    /// Checks a bearer token as Zoom does: 401/124 when missing, unknown or expired;
    /// 400/4711 when it lacks every scope that would allow the call.
    pub fn authorize(&self, bearer: Option<&str>, any_of_scopes: &[&str]) -> Result<(), ApiError> {
        let Some(info) = bearer.and_then(|token| self.tokens.get(token)) else {
            return Err(self.err(401, 124, Msg::InvalidToken));
        };
        if info.expires <= self.now() {
            return Err(self.err(401, 124, Msg::ExpiredToken));
        }
        if !any_of_scopes.is_empty() && !any_of_scopes.iter().any(|s| info.scopes.iter().any(|g| g == s)) {
            let wanted = any_of_scopes.last().copied().unwrap_or_default();
            return Err(self.err(400, 4711, Msg::MissingScopes(wanted)));
        }
        Ok(())
    }

    /// How many access tokens the simulator has issued that are still valid.
    pub fn live_tokens(&self) -> usize {
        let now = self.now();
        self.tokens.values().filter(|t| t.expires > now).count()
    }

    /// Every access token issued since the start, expired and invalidated ones included.
    pub fn issued_tokens(&self) -> &[String] {
        &self.issued_tokens
    }

    /// Every live token stops working at once.
    pub fn invalidate_tokens(&mut self) {
        self.tokens.clear();
    }

    /// Scopes granted to tokens issued from now on.
    pub fn set_granted_scopes(&mut self, scopes: Vec<String>) {
        self.granted_scopes = scopes;
    }
}
