//! What can go wrong talking to Zoom, and what it means. Messages never carry
//! credentials or tokens; meanings are decided by HTTP status, error `code` and rate-limit
//! headers, never by message text (Zoom localizes it).

use crate::scopes::ZoomCall;

/// An error from a Zoom call.
#[derive(Debug, thiserror::Error)]
pub enum ZoomError {
    /// Zoom answered with an error body; `code` is what callers decide on.
    #[error("Zoom API error: HTTP {http_status}, code {}", code.map_or("none".to_string(), |c| c.to_string()))]
    Api {
        http_status: u16,
        code: Option<i64>,
        message: String,
        /// `X-RateLimit-Type` of a 429 (`QPS`, `Daily-limit`), when Zoom sent one.
        rate_limit_type: Option<String>,
    },
    /// The label's daily cap is spent: no call of it until `retry_after` (Zoom's
    /// `Retry-After`, an ISO-8601 date).
    #[error("Zoom's daily rate limit for {label} calls is reached; calls resume at {retry_after}")]
    DailyLimit { label: &'static str, retry_after: String },
    /// The token endpoint refused the app's credentials or request.
    #[error("Zoom refused the token request: HTTP {http_status}, {error}")]
    Token { http_status: u16, error: String, reason: String },
    /// The request did not complete (connection refused or dropped, timeout) within the
    /// call's deadline.
    #[error("request to Zoom failed: {0}")]
    Transport(String),
    /// Zoom answered with something this client cannot read.
    #[error("unexpected response from Zoom: {0}")]
    Decode(String),
    /// The app's token lacks the scope of each of `calls` (deduplicated, in
    /// [`ZoomCall::ALL`] order): Zoom answered one of them 4711, or a check of the token's
    /// scopes found them missing before any call. The scopes come from our table
    /// ([`ZoomCall::scope`]), never from Zoom's message.
    #[error("{}", describe_missing(calls))]
    MissingScopes {
        calls: Vec<ZoomCall>,
        /// Zoom's message when Zoom answered; empty when a check found the scopes missing.
        message: String,
    },
}

/// `the Zoom app lacks the scope S, which GET /users needs to list users (...)`, or
/// every missing scope and its call when there are several.
fn describe_missing(calls: &[ZoomCall]) -> String {
    let needs = |call: &ZoomCall| format!("{}, which {call} needs to {}", call.scope(), call.purpose());
    let app = "the Server-to-Server OAuth app in the Zoom App Marketplace";
    match calls {
        [] => "the Zoom app lacks a scope (no call named)".to_string(),
        [call] => format!("the Zoom app lacks the scope {}; grant it to {app}", needs(call)),
        many => {
            let each: Vec<String> = many.iter().map(needs).collect();
            format!("the Zoom app lacks {} scopes: {}; grant them to {app}", many.len(), each.join("; "))
        }
    }
}

/// What an error means for the action that got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// 404/1001 on a change: the user is already gone; the change is moot.
    AlreadyGone,
    /// Zoom refuses this change for this user; retrying will not help.
    NotAllowed { code: i64, reason: &'static str },
    /// Another request for the same user is under way (the concurrent-disassociate 429).
    InProgress,
    /// Rate limited, per second or per day: try later.
    Throttled,
    /// A 5xx, a dropped connection, a timeout, a rejected token: try later.
    Transient,
    /// Anything else: a request Zoom will never accept as sent.
    Fatal,
}

impl ZoomError {
    /// The HTTP status and Zoom error code, when Zoom answered with an error (a 4711 is
    /// [`ZoomError::MissingScopes`] instead, which has none).
    pub fn status_and_code(&self) -> Option<(u16, Option<i64>)> {
        match self {
            ZoomError::Api { http_status, code, .. } => Some((*http_status, *code)),
            _ => None,
        }
    }

    /// Zoom's message, for people only.
    pub fn zoom_message(&self) -> Option<&str> {
        match self {
            ZoomError::Api { message, .. } | ZoomError::MissingScopes { message, .. } if !message.is_empty() => {
                Some(message)
            }
            _ => None,
        }
    }

    /// What the error means, by status, code and rate-limit headers.
    pub fn kind(&self) -> ErrorKind {
        let (http_status, code, rate_limit_type) = match self {
            ZoomError::Api { http_status, code, rate_limit_type, .. } => (*http_status, *code, rate_limit_type),
            ZoomError::DailyLimit { .. } => return ErrorKind::Throttled,
            ZoomError::Transport(_) => return ErrorKind::Transient,
            // The token endpoint's own outage passes; refused credentials do not.
            ZoomError::Token { http_status, .. } if *http_status >= 500 => return ErrorKind::Transient,
            // The app's configuration, not the request: no retry helps until an admin grants it.
            ZoomError::Token { .. } | ZoomError::Decode(_) | ZoomError::MissingScopes { .. } => {
                return ErrorKind::Fatal
            }
        };
        let not_allowed = |reason| ErrorKind::NotAllowed { code: code.unwrap_or_default(), reason };
        match (http_status, code) {
            (404, Some(1001)) => ErrorKind::AlreadyGone,
            // A 429 without rate-limit headers is Zoom's "a request to disassociate this
            // user has already been made", not a rate limit.
            (429, _) if rate_limit_type.is_none() => ErrorKind::InProgress,
            (429, _) => ErrorKind::Throttled,
            (500..=599, _) => ErrorKind::Transient,
            (401, _) | (_, Some(124)) => ErrorKind::Transient,
            (_, Some(1117)) => not_allowed("an admin user cannot be disassociated"),
            (_, Some(1107)) => not_allowed("a user of a managed domain cannot be disassociated"),
            (_, Some(200)) => not_allowed(
                "Zoom does not allow this for this user (admin, owner, Zoom Rooms, deactivated or outside the account)",
            ),
            (_, Some(300)) => {
                not_allowed("Zoom rejected the request for this user (Zoom Events, transfer target, or invalid)")
            }
            (_, Some(1120)) => not_allowed("the user's invitation has expired"),
            (_, Some(1000)) => not_allowed(
                "the user is a Zoom Phone call-queue manager or auto-receptionist operator, or still pending",
            ),
            _ => ErrorKind::Fatal,
        }
    }

    /// The scopes this error says the app lacks, from our table, in [`ZoomCall::ALL`] order.
    pub fn missing_scopes(&self) -> Vec<&'static str> {
        match self {
            ZoomError::MissingScopes { calls, .. } => calls.iter().map(|c| c.scope()).collect(),
            _ => Vec::new(),
        }
    }

    /// A 4711 answer to `call` becomes [`ZoomError::MissingScopes`] naming it; any other
    /// error is returned as it is.
    pub(crate) fn for_call(self, call: ZoomCall) -> Self {
        match self {
            ZoomError::Api { code: Some(4711), message, .. } => ZoomError::MissingScopes { calls: vec![call], message },
            other => other,
        }
    }

    pub(crate) fn transport(error: reqwest::Error) -> Self {
        // `without_url` keeps query strings out of messages and logs.
        ZoomError::Transport(error.without_url().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(http_status: u16, code: Option<i64>, rate_limit_type: Option<&str>) -> ZoomError {
        ZoomError::Api {
            http_status,
            code,
            message: "なんでも".into(),
            rate_limit_type: rate_limit_type.map(str::to_string),
        }
    }

    #[test]
    fn meanings_come_from_status_code_and_headers_never_the_message() {
        assert_eq!(api(404, Some(1001), None).kind(), ErrorKind::AlreadyGone);
        for code in [1117, 1107, 200, 300, 1120, 1000] {
            assert!(matches!(api(400, Some(code), None).kind(), ErrorKind::NotAllowed { code: c, .. } if c == code));
        }
        assert_eq!(api(429, Some(429), Some("QPS")).kind(), ErrorKind::Throttled);
        assert_eq!(api(429, Some(429), None).kind(), ErrorKind::InProgress);
        assert_eq!(api(502, None, None).kind(), ErrorKind::Transient);
        assert_eq!(api(401, Some(124), None).kind(), ErrorKind::Transient);
        assert_eq!(api(400, Some(4711), None).kind(), ErrorKind::Fatal);
        assert_eq!(ZoomError::Transport("reset".into()).kind(), ErrorKind::Transient);
    }

    #[test]
    fn a_4711_names_the_scope_from_our_table_and_is_never_retried() {
        // Zoom's message names another scope: ours is the one reported.
        let zoom = ZoomError::Api {
            http_status: 400,
            code: Some(4711),
            message: "Invalid access token, does not contain scopes:[something:else]".into(),
            rate_limit_type: None,
        };
        let error = zoom.for_call(ZoomCall::UpdateStatus);
        assert!(matches!(&error, ZoomError::MissingScopes { calls, .. } if calls == &[ZoomCall::UpdateStatus]));
        assert_eq!(error.kind(), ErrorKind::Fatal);
        assert_eq!(error.missing_scopes(), vec!["user:update:status:admin"]);
        assert_eq!(
            error.to_string(),
            "the Zoom app lacks the scope user:update:status:admin, which PUT /users/{userId}/status needs to \
             deactivate (or reactivate on undo); grant it to the Server-to-Server OAuth app in the Zoom App Marketplace"
        );
        assert_eq!(error.zoom_message(), Some("Invalid access token, does not contain scopes:[something:else]"));
    }

    #[test]
    fn other_errors_of_a_call_stay_as_they_are() {
        let error = api(404, Some(1001), None).for_call(ZoomCall::UpdateStatus);
        assert_eq!(error.status_and_code(), Some((404, Some(1001))));
        assert!(error.missing_scopes().is_empty());
    }

    #[test]
    fn several_missing_scopes_are_all_named() {
        let error = ZoomError::MissingScopes {
            calls: vec![ZoomCall::ListRoles, ZoomCall::ListZoomRooms],
            message: String::new(),
        };
        let shown = error.to_string();
        assert!(
            shown.starts_with("the Zoom app lacks 2 scopes: role:read:list_roles:admin, which GET /roles needs"),
            "{shown}"
        );
        assert!(
            shown.contains("; dashboard:read:list_zoom_rooms:admin, which GET /metrics/zoomrooms needs"),
            "{shown}"
        );
        assert!(
            shown.ends_with("; grant them to the Server-to-Server OAuth app in the Zoom App Marketplace"),
            "{shown}"
        );
        assert_eq!(error.zoom_message(), None);
    }
}
