//! Zoom's rate limits: per account, shared by every app and token, by each endpoint's
//! label and the account's rate plan (its Zoom pricing plan), per second and per day (FACTS.md §2).
//!
//! The limiter is a sliding window of admitted requests per label, so no one-second
//! window anywhere in time ever holds more than the limit, which is what a client that
//! paces itself must respect. Time is an argument: tests move it, nothing sleeps.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RatePlan {
    Free,
    Pro,
    /// Business, Education, Enterprise and Partners share one table.
    #[serde(alias = "business+")]
    Business,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Label {
    Light,
    Medium,
    Heavy,
    #[serde(rename = "Resource-intensive")]
    ResourceIntensive,
}

impl Label {
    pub const ALL: [Label; 4] = [Label::Light, Label::Medium, Label::Heavy, Label::ResourceIntensive];

    /// As Zoom writes it in `X-RateLimit-Category`.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Light => "Light",
            Label::Medium => "Medium",
            Label::Heavy => "Heavy",
            Label::ResourceIntensive => "Resource-intensive",
        }
    }
}

/// Which daily counter a label draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DailyPool {
    Own(Label),
    /// Pro and Business+: Heavy and Resource-intensive share one daily cap.
    HeavyShared,
}

/// One label's limits on one rate plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelLimit {
    pub per_window: u32,
    pub window: Duration,
    pub daily: Option<u32>,
}

/// The rate-plan table of FACTS.md §2 (main REST API).
pub fn limit_for(rate_plan: RatePlan, label: Label) -> LabelLimit {
    let second = Duration::from_secs(1);
    let minute = Duration::from_secs(60);
    let (per_window, window, daily) = match (rate_plan, label) {
        (RatePlan::Free, Label::Light) => (4, second, Some(6_000)),
        (RatePlan::Free, Label::Medium) => (2, second, Some(2_000)),
        (RatePlan::Free, Label::Heavy) => (1, second, Some(1_000)),
        (RatePlan::Free, Label::ResourceIntensive) => (10, minute, Some(30_000)),
        (RatePlan::Pro, Label::Light) => (30, second, None),
        (RatePlan::Pro, Label::Medium) => (20, second, None),
        (RatePlan::Pro, Label::Heavy) => (10, second, Some(30_000)),
        (RatePlan::Pro, Label::ResourceIntensive) => (10, minute, Some(30_000)),
        (RatePlan::Business, Label::Light) => (80, second, None),
        (RatePlan::Business, Label::Medium) => (60, second, None),
        (RatePlan::Business, Label::Heavy) => (40, second, Some(60_000)),
        (RatePlan::Business, Label::ResourceIntensive) => (20, minute, Some(60_000)),
    };
    LabelLimit { per_window, window, daily }
}

fn daily_pool(rate_plan: RatePlan, label: Label) -> DailyPool {
    match (rate_plan, label) {
        (RatePlan::Pro | RatePlan::Business, Label::Heavy | Label::ResourceIntensive) => DailyPool::HeavyShared,
        _ => DailyPool::Own(label),
    }
}

/// The limiter's answer for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead. `remaining` is what is left of the daily cap, or of the window.
    Allowed { limit: u32, remaining: u32 },
    /// Per-second (or per-minute) limit reached: `X-RateLimit-Type: QPS`.
    PerSecond { limit: u32 },
    /// Daily cap reached until `retry_after` (the next UTC midnight).
    Daily { limit: u32, retry_after: Timestamp },
}

/// Requests and refusals per label, and the busiest one-second window seen.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LabelMetrics {
    pub requests: u64,
    pub allowed: u64,
    pub throttled_per_second: u64,
    pub throttled_daily: u64,
    /// The most requests admitted in any sliding window of the label's length.
    pub peak_window: u32,
}

pub struct RateLimiter {
    rate_plan: RatePlan,
    /// Multiplies every limit; 0 switches limits off.
    scale: f64,
    windows: HashMap<Label, VecDeque<Instant>>,
    daily: HashMap<DailyPool, (Date, u32)>,
    metrics: HashMap<Label, LabelMetrics>,
}

impl RateLimiter {
    pub fn new(rate_plan: RatePlan, scale: f64) -> Self {
        RateLimiter { rate_plan, scale, windows: HashMap::new(), daily: HashMap::new(), metrics: HashMap::new() }
    }

    pub fn rate_plan(&self) -> RatePlan {
        self.rate_plan
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Changes the table; counters start afresh.
    pub fn reconfigure(&mut self, rate_plan: RatePlan, scale: f64) {
        *self = RateLimiter::new(rate_plan, scale);
    }

    pub fn metrics(&self) -> HashMap<&'static str, LabelMetrics> {
        self.metrics.iter().map(|(label, m)| (label.as_str(), m.clone())).collect()
    }

    /// The limit in force for `label`, with `taken` (0..1) of the budget used by other
    /// apps on the account.
    pub fn effective_limit(&self, label: Label, taken: f64) -> Option<LabelLimit> {
        if self.scale <= 0.0 {
            return None;
        }
        let base = limit_for(self.rate_plan, label);
        let share = (1.0 - taken.clamp(0.0, 1.0)) * self.scale;
        let scaled = |n: u32| ((f64::from(n) * share).floor() as u32).max(1);
        Some(LabelLimit {
            per_window: scaled(base.per_window),
            window: base.window,
            daily: base.daily.map(|d| ((f64::from(d) * self.scale).floor() as u32).max(1)),
        })
    }

    /// Decides one request of `label` at `now` (`utc_now` for the daily cap).
    pub fn admit(&mut self, label: Label, now: Instant, utc_now: Timestamp, taken: f64) -> Admission {
        let metrics = self.metrics.entry(label).or_default();
        metrics.requests += 1;
        let Some(limit) = self.effective_limit(label, taken) else {
            self.metrics.entry(label).or_default().allowed += 1;
            return Admission::Allowed { limit: 0, remaining: u32::MAX };
        };
        let pool = daily_pool(self.rate_plan, label);
        let today = TimeZone::UTC.to_datetime(utc_now).date();
        if let Some(cap) = limit.daily {
            let used = match self.daily.get(&pool) {
                Some(&(day, used)) if day == today => used,
                _ => 0,
            };
            if used >= cap {
                let metrics = self.metrics.entry(label).or_default();
                metrics.throttled_daily += 1;
                let tomorrow = today.tomorrow().unwrap_or(today);
                let next_midnight = TimeZone::UTC.to_timestamp(tomorrow.to_datetime(jiff::civil::Time::midnight()));
                let next_midnight = next_midnight.unwrap_or(utc_now);
                return Admission::Daily { limit: cap, retry_after: next_midnight };
            }
        }
        let window = self.windows.entry(label).or_default();
        while window.front().is_some_and(|&at| now.saturating_duration_since(at) >= limit.window) {
            window.pop_front();
        }
        if window.len() as u32 >= limit.per_window {
            self.metrics.entry(label).or_default().throttled_per_second += 1;
            return Admission::PerSecond { limit: limit.per_window };
        }
        window.push_back(now);
        let in_window = window.len() as u32;
        let metrics = self.metrics.entry(label).or_default();
        metrics.allowed += 1;
        metrics.peak_window = metrics.peak_window.max(in_window);
        match limit.daily {
            Some(cap) => {
                let entry = self.daily.entry(pool).or_insert((today, 0));
                if entry.0 != today {
                    *entry = (today, 0);
                }
                entry.1 += 1;
                Admission::Allowed { limit: cap, remaining: cap - entry.1 }
            }
            None => Admission::Allowed { limit: limit.per_window, remaining: limit.per_window - in_window },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> Timestamp {
        "2026-11-22T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn admits_the_plan_limit_in_any_one_second_window() {
        let mut limiter = RateLimiter::new(RatePlan::Business, 1.0);
        let t0 = Instant::now();
        let admitted = (0..200)
            .filter(|i| {
                let at = t0 + Duration::from_millis(i * 5); // 200 requests in 1 s
                matches!(limiter.admit(Label::Light, at, utc(), 0.0), Admission::Allowed { .. })
            })
            .count();
        assert_eq!(admitted, 80);
        // A second later the window has room again.
        let later = t0 + Duration::from_millis(2000);
        assert!(matches!(limiter.admit(Label::Light, later, utc(), 0.0), Admission::Allowed { .. }));
        assert_eq!(limiter.metrics()["Light"].peak_window, 80);
        assert_eq!(limiter.metrics()["Light"].throttled_per_second, 120);
    }

    #[test]
    fn a_competing_app_takes_its_share_and_scale_multiplies() {
        let limiter = RateLimiter::new(RatePlan::Pro, 1.0);
        assert_eq!(limiter.effective_limit(Label::Medium, 0.5).unwrap().per_window, 10);
        let limiter = RateLimiter::new(RatePlan::Business, 10.0);
        assert_eq!(limiter.effective_limit(Label::Light, 0.0).unwrap().per_window, 800);
        assert!(RateLimiter::new(RatePlan::Business, 0.0).effective_limit(Label::Light, 0.0).is_none());
    }

    #[test]
    fn the_daily_cap_stops_until_utc_midnight() {
        let mut limiter = RateLimiter::new(RatePlan::Free, 1.0);
        let t0 = Instant::now();
        for i in 0..2000u64 {
            let at = t0 + Duration::from_secs(i);
            assert!(matches!(limiter.admit(Label::Medium, at, utc(), 0.0), Admission::Allowed { .. }), "{i}");
        }
        let refused = limiter.admit(Label::Medium, t0 + Duration::from_secs(5000), utc(), 0.0);
        assert_eq!(refused, Admission::Daily { limit: 2000, retry_after: "2026-11-23T00:00:00Z".parse().unwrap() });
        let tomorrow = utc() + jiff::SignedDuration::from_hours(24);
        assert!(matches!(
            limiter.admit(Label::Medium, t0 + Duration::from_secs(90_000), tomorrow, 0.0),
            Admission::Allowed { .. }
        ));
    }

    #[test]
    fn heavy_and_resource_intensive_share_a_daily_cap_on_paid_plans() {
        let mut limiter = RateLimiter::new(RatePlan::Pro, 0.001); // caps: 30 per day shared, 1/s
        let t0 = Instant::now();
        for i in 0..30u64 {
            let label = if i % 2 == 0 { Label::Heavy } else { Label::ResourceIntensive };
            let at = t0 + Duration::from_secs(i * 61);
            assert!(matches!(limiter.admit(label, at, utc(), 0.0), Admission::Allowed { .. }), "{i}");
        }
        let at = t0 + Duration::from_secs(10_000);
        assert!(matches!(limiter.admit(Label::Heavy, at, utc(), 0.0), Admission::Daily { .. }));
    }
}
