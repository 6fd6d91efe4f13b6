//! Server-to-Server OAuth: the app's credentials and the cached access token.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// How long before expiry a token is replaced, as Zoom's own SDK does.
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// A Server-to-Server app's credentials. `Debug` shows only the account id.
#[derive(Clone)]
pub struct Credentials {
    pub account_id: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("account_id", &self.account_id)
            .field("client_id", &"<redacted>")
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// An access token, the scopes it carries and when to stop using it.
pub(crate) struct CachedToken {
    pub value: String,
    /// The token response's `scope`, split on spaces; `None` when Zoom sent none, so
    /// "unknown" is never mistaken for "no scopes".
    pub scopes: Option<BTreeSet<String>>,
    pub refresh_at: Instant,
}

impl CachedToken {
    pub fn new(response: TokenResponse, received_at: Instant) -> Self {
        let refresh_at = received_at + Duration::from_secs(response.expires_in).saturating_sub(REFRESH_MARGIN);
        let scopes = response.scope.map(|scope| scope.split_whitespace().map(str::to_string).collect());
        CachedToken { value: response.access_token, scopes, refresh_at }
    }

    pub fn is_fresh(&self, now: Instant) -> bool {
        now < self.refresh_at
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    pub expires_in: u64,
    /// Space-separated; FACTS.md §1: a client should require only the two above.
    #[serde(default)]
    pub scope: Option<String>,
}

#[derive(serde::Deserialize)]
pub(crate) struct TokenErrorBody {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(json: &str) -> TokenResponse {
        serde_json::from_str(json).expect("a token response")
    }

    #[test]
    fn a_token_is_replaced_a_minute_before_it_expires() {
        let t0 = Instant::now();
        let token = CachedToken::new(response(r#"{"access_token":"t","expires_in":3600}"#), t0);
        assert!(token.is_fresh(t0 + Duration::from_secs(3539)));
        assert!(!token.is_fresh(t0 + Duration::from_secs(3540)));
    }

    #[test]
    fn the_granted_scopes_are_the_space_separated_scope_field() {
        let json = r#"{"access_token":"t","token_type":"bearer","expires_in":3600,
            "scope":"user:read:list_users:admin  role:read:list_roles:admin","api_url":"https://api.zoom.us"}"#;
        let token = CachedToken::new(response(json), Instant::now());
        let expected: BTreeSet<String> =
            ["user:read:list_users:admin", "role:read:list_roles:admin"].map(str::to_string).into();
        assert_eq!(token.scopes, Some(expected));
        let without = CachedToken::new(response(r#"{"access_token":"t","expires_in":3600}"#), Instant::now());
        assert_eq!(without.scopes, None, "no `scope` field is unknown, not empty");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let creds =
            Credentials { account_id: "acct".into(), client_id: "cid-123".into(), client_secret: "very-secret".into() };
        let shown = format!("{creds:?}");
        assert!(!shown.contains("very-secret") && !shown.contains("cid-123"), "{shown}");
    }
}
