//! What can go wrong talking to Zoom. Messages never carry credentials or tokens.

/// An error from a Zoom call.
#[derive(Debug, thiserror::Error)]
pub enum ZoomError {
    /// Zoom answered with an error body; `code` is what callers decide on.
    #[error("Zoom API error: HTTP {http_status}, code {}", code.map_or("none".to_string(), |c| c.to_string()))]
    Api { http_status: u16, code: Option<i64>, message: String },
    /// The token endpoint refused the app's credentials or request.
    #[error("Zoom refused the token request: HTTP {http_status}, {error}")]
    Token { http_status: u16, error: String, reason: String },
    /// The request did not complete: connection refused or dropped, timeout.
    #[error("request to Zoom failed: {0}")]
    Transport(String),
    /// Zoom answered with something this client cannot read.
    #[error("unexpected response from Zoom: {0}")]
    Decode(String),
}

impl ZoomError {
    /// The HTTP status and Zoom error code, when Zoom answered with an error.
    pub fn status_and_code(&self) -> Option<(u16, Option<i64>)> {
        match self {
            ZoomError::Api { http_status, code, .. } => Some((*http_status, *code)),
            _ => None,
        }
    }

    pub(crate) fn transport(error: reqwest::Error) -> Self {
        // `without_url` keeps query strings out of messages and logs.
        ZoomError::Transport(error.without_url().to_string())
    }
}
