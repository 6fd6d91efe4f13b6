//! Server-to-Server OAuth: the app's credentials and the cached access token.

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

/// An access token and when to stop using it.
pub(crate) struct CachedToken {
    pub value: String,
    pub refresh_at: Instant,
}

impl CachedToken {
    pub fn new(value: String, expires_in: Duration, received_at: Instant) -> Self {
        let refresh_at = received_at + expires_in.saturating_sub(REFRESH_MARGIN);
        CachedToken { value, refresh_at }
    }

    pub fn is_fresh(&self, now: Instant) -> bool {
        now < self.refresh_at
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    pub expires_in: u64,
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

    #[test]
    fn a_token_is_replaced_a_minute_before_it_expires() {
        let t0 = Instant::now();
        let token = CachedToken::new("t".into(), Duration::from_secs(3600), t0);
        assert!(token.is_fresh(t0 + Duration::from_secs(3539)));
        assert!(!token.is_fresh(t0 + Duration::from_secs(3540)));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let creds =
            Credentials { account_id: "acct".into(), client_id: "cid-123".into(), client_secret: "very-secret".into() };
        let shown = format!("{creds:?}");
        assert!(!shown.contains("very-secret") && !shown.contains("cid-123"), "{shown}");
    }
}
