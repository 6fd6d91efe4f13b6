//! Zoom's rate limits applied to the account: every API call is counted by
//! [`RateLimiter`] against its endpoint's label, less what a competing app is using, and
//! refused with Zoom's 429 and headers when over.

use super::{ApiError, SimState};
use crate::limits::{Admission, Label, RateLimiter, RatePlan};
use crate::messages::Msg;

impl SimState {
    pub fn set_rate_limits(&mut self, rate_plan: RatePlan, scale: f64) {
        self.limiter.reconfigure(rate_plan, scale);
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    /// Counts a request against its label's limits, with a competing app's share taken out.
    pub fn admit(&mut self, label: Label) -> Result<Admission, ApiError> {
        let now = self.now();
        let taken = match self.competitor_until {
            Some(until) if until > now => self.faults.competitor_share,
            _ => 0.0,
        };
        let utc = self.utc_now();
        match self.limiter.admit(label, now, utc, taken) {
            allowed @ Admission::Allowed { .. } => Ok(allowed),
            Admission::PerSecond { limit } => Err(self.throttled(Msg::PerSecondLimit, label, "QPS", limit, None)),
            Admission::Daily { limit, retry_after } => {
                let retry_after = retry_after.to_string();
                Err(self.throttled(Msg::DailyLimit, label, "Daily-limit", limit, Some(retry_after)))
            }
        }
    }

    /// A rate-limit 429 with Zoom's headers (`retry-after` on daily limits only).
    fn throttled(&self, msg: Msg<'_>, label: Label, kind: &str, limit: u32, retry_after: Option<String>) -> ApiError {
        let mut error = self.err(429, 429, msg);
        error.headers = vec![
            ("x-ratelimit-category", label.as_str().to_string()),
            ("x-ratelimit-type", kind.to_string()),
            ("x-ratelimit-limit", limit.to_string()),
            ("x-ratelimit-remaining", "0".to_string()),
        ];
        error.headers.extend(retry_after.map(|at| ("retry-after", at)));
        error
    }
}
