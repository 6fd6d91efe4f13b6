//! Pacing: how fast this client may call Zoom, per rate-limit label.
//!
//! Zoom's limits are per account and shared by every app on it (FACTS.md §2). Each label
//! gets a token bucket refilled at `limit × budget share ÷ executors` per second, so
//! calls go out evenly. The bucket holds a quarter second's worth (at least one request):
//! a client that paused for a moment (an executor between two SQS batches) makes that
//! moment up instead of losing it, and no one-second window holds more than 1.25 × its
//! rate, and a client that never pauses, its rate. A per-second 429 halves the rate and pauses the label for a second;
//! the rate then grows back linearly (AIMD). A daily 429 blocks the label until Zoom's
//! `Retry-After`. Time is always an argument: nothing here sleeps or reads a clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The account's Zoom pricing plan (its rate plan), which picks Zoom's rate-limit table;
/// ordered by how much it allows. Not to be confused with the offboarding plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RatePlan {
    Free,
    Pro,
    /// Business, Education, Enterprise, Partners.
    Business,
}

impl std::str::FromStr for RatePlan {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "free" | "basic" => Ok(RatePlan::Free),
            "pro" => Ok(RatePlan::Pro),
            "business" | "business+" | "businessplus" | "enterprise" | "education" => Ok(RatePlan::Business),
            other => Err(format!("unknown Zoom plan {other:?} (expected free, pro or business)")),
        }
    }
}

/// Zoom's rate-limit label of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    Light,
    Medium,
    Heavy,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Light => "Light",
            Label::Medium => "Medium",
            Label::Heavy => "Heavy",
        }
    }
}

/// Requests per second Zoom allows the whole account for a label.
pub fn account_limit(rate_plan: RatePlan, label: Label) -> f64 {
    match (rate_plan, label) {
        (RatePlan::Free, Label::Light) => 4.0,
        (RatePlan::Free, Label::Medium) => 2.0,
        (RatePlan::Free, Label::Heavy) => 1.0,
        (RatePlan::Pro, Label::Light) => 30.0,
        (RatePlan::Pro, Label::Medium) => 20.0,
        (RatePlan::Pro, Label::Heavy) => 10.0,
        (RatePlan::Business, Label::Light) => 80.0,
        (RatePlan::Business, Label::Medium) => 60.0,
        (RatePlan::Business, Label::Heavy) => 40.0,
    }
}

/// Zoom's daily cap of a label for the whole account (FACTS.md §2,
/// developers.zoom.us/docs/api/rate-limits): Free has one per label; Pro and Business+
/// only a Heavy one (shared with Resource-intensive).
pub fn daily_cap(rate_plan: RatePlan, label: Label) -> Option<u64> {
    match (rate_plan, label) {
        (RatePlan::Free, Label::Light) => Some(6_000),
        (RatePlan::Free, Label::Medium) => Some(2_000),
        (RatePlan::Free, Label::Heavy) => Some(1_000),
        (RatePlan::Pro, Label::Heavy) => Some(30_000),
        (RatePlan::Business, Label::Heavy) => Some(60_000),
        _ => None,
    }
}

/// How much of the account's budget this client may use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PacerConfig {
    pub rate_plan: RatePlan,
    /// Share of the account's budget for Offboard as a whole (default 0.8: the rest is
    /// left to the account's other apps).
    pub budget_share: f64,
    /// How many executors share Offboard's budget, each pacing itself.
    pub executors: u32,
}

impl Default for PacerConfig {
    fn default() -> Self {
        PacerConfig { rate_plan: RatePlan::Business, budget_share: 0.8, executors: 1 }
    }
}

impl PacerConfig {
    /// This client's steady rate for a label, in requests per second. Even a client given
    /// the whole budget keeps 5% of it back: Zoom counts in sliding one-second windows, and
    /// network jitter would otherwise bunch requests into a window over the limit.
    pub fn rate(&self, label: Label) -> f64 {
        account_limit(self.rate_plan, label) * self.budget_share.clamp(0.01, MAX_SHARE)
            / f64::from(self.executors.max(1))
    }
}

/// The most of an account's budget a client will use, whatever it is given.
pub const MAX_SHARE: f64 = 0.95;

/// What the caller should do before sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Send now.
    Go,
    /// A slot is reserved; send after waiting this long.
    Wait(Duration),
    /// The label's daily cap is spent: no call until this instant.
    Blocked { until: Instant },
}

/// The lowest a 429 can push the rate, as a share of the configured rate.
const FLOOR_SHARE: f64 = 0.05;
/// How fast the rate grows back after a cut: this share of the configured rate per second.
const RECOVERY_SHARE_PER_SECOND: f64 = 0.1;
/// How much idle time a bucket banks: a quarter second of its rate (at least one request).
/// An executor loses about 0.2 s between two batches of ten (the response, the event
/// source's next receive); banked, that time is made up within the next batch.
const CATCH_UP_SECONDS: f64 = 0.25;
/// How long a per-second 429 pauses its label.
const THROTTLE_PAUSE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
struct Bucket {
    configured: f64,
    rate: f64,
    /// May go negative: each caller reserves the next free slot.
    tokens: f64,
    updated: Instant,
    paused_until: Option<Instant>,
    blocked_until: Option<Instant>,
    /// When the rate was last cut: the 429s of one burst count as one signal.
    last_cut: Option<Instant>,
}

impl Bucket {
    fn new(rate: f64, now: Instant) -> Self {
        Bucket {
            configured: rate,
            rate,
            tokens: 1.0,
            updated: now,
            paused_until: None,
            blocked_until: None,
            last_cut: None,
        }
    }

    fn advance(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        if elapsed <= 0.0 {
            return;
        }
        let recovered = (self.rate + self.configured * RECOVERY_SHARE_PER_SECOND * elapsed).min(self.configured);
        // Tokens accrue at the average of the old and new rate over the interval.
        let capacity = (recovered * CATCH_UP_SECONDS).max(1.0);
        self.tokens = (self.tokens + elapsed * (self.rate + recovered) / 2.0).min(capacity);
        self.rate = recovered;
        self.updated = now;
    }
}

/// Per-label token buckets for one client.
#[derive(Debug, Clone)]
pub struct Pacer {
    config: PacerConfig,
    buckets: HashMap<Label, Bucket>,
}

impl Pacer {
    pub fn new(config: PacerConfig) -> Self {
        Pacer { config, buckets: HashMap::new() }
    }

    pub fn config(&self) -> PacerConfig {
        self.config
    }

    fn bucket(&mut self, label: Label, now: Instant) -> &mut Bucket {
        let rate = self.config.rate(label);
        let bucket = self.buckets.entry(label).or_insert_with(|| Bucket::new(rate, now));
        bucket.advance(now);
        bucket
    }

    /// Reserves the next slot for a call of `label` at `now`.
    pub fn acquire(&mut self, label: Label, now: Instant) -> Pace {
        let bucket = self.bucket(label, now);
        if let Some(until) = bucket.blocked_until {
            if until > now {
                return Pace::Blocked { until };
            }
            bucket.blocked_until = None;
        }
        let pause = bucket.paused_until.filter(|&until| until > now).map_or(Duration::ZERO, |u| u - now);
        bucket.tokens -= 1.0;
        let debt =
            if bucket.tokens >= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(-bucket.tokens / bucket.rate) };
        let wait = pause + debt;
        if wait.is_zero() {
            Pace::Go
        } else {
            Pace::Wait(wait)
        }
    }

    /// A per-second 429: halve the rate (not below the floor) and pause the label. The
    /// 429s that answer requests already in flight within the pause are the same signal
    /// and do not cut again, or one burst would drive the rate to the floor.
    pub fn throttled(&mut self, label: Label, now: Instant) {
        let bucket = self.bucket(label, now);
        if bucket.last_cut.is_some_and(|at| now.saturating_duration_since(at) < THROTTLE_PAUSE) {
            return;
        }
        bucket.last_cut = Some(now);
        bucket.rate = (bucket.rate / 2.0).max(bucket.configured * FLOOR_SHARE);
        bucket.tokens = bucket.tokens.min(0.0);
        bucket.paused_until = Some(now + THROTTLE_PAUSE);
    }

    /// A daily 429: no call of this label until `until`.
    pub fn daily_limit(&mut self, label: Label, now: Instant, until: Instant) {
        self.bucket(label, now).blocked_until = Some(until);
    }

    /// The label's current rate, in requests per second (for reports and tests).
    pub fn current_rate(&mut self, label: Label, now: Instant) -> f64 {
        self.bucket(label, now).rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacer(rate_plan: RatePlan, share: f64, executors: u32) -> Pacer {
        Pacer::new(PacerConfig { rate_plan, budget_share: share, executors })
    }

    /// Sends as fast as the pacer allows for `span`, returns the send instants.
    fn drive(pacer: &mut Pacer, label: Label, start: Instant, span: Duration) -> Vec<Instant> {
        let mut now = start;
        let mut sent = Vec::new();
        while now < start + span {
            match pacer.acquire(label, now) {
                Pace::Go => sent.push(now),
                Pace::Wait(wait) => {
                    now += wait;
                    sent.push(now);
                }
                Pace::Blocked { until } => now = until,
            }
        }
        sent
    }

    fn max_in_any_second(sent: &[Instant]) -> usize {
        (0..sent.len())
            .map(|i| sent[i..].iter().take_while(|&&t| t.duration_since(sent[i]) < Duration::from_secs(1)).count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn paces_at_the_share_of_the_plan_split_across_executors() {
        let t0 = Instant::now();
        let mut one = pacer(RatePlan::Business, 0.8, 1);
        let sent = drive(&mut one, Label::Light, t0, Duration::from_secs(10));
        assert!((sent.len() as f64 / 10.0 - 64.0).abs() < 1.0, "{} in 10 s", sent.len());
        assert!(max_in_any_second(&sent) <= 65);

        let mut quarter = pacer(RatePlan::Business, 0.8, 4);
        let sent = drive(&mut quarter, Label::Light, t0, Duration::from_secs(10));
        assert!((sent.len() as f64 / 10.0 - 16.0).abs() < 0.5, "{} in 10 s", sent.len());
        assert_eq!(pacer(RatePlan::Pro, 0.5, 1).config().rate(Label::Medium), 10.0);
        assert_eq!(pacer(RatePlan::Pro, 1.0, 1).config().rate(Label::Medium), 19.0, "5% kept back");
    }

    #[test]
    fn a_pause_is_made_up_up_to_a_quarter_second_and_no_window_exceeds_one_and_a_quarter_the_rate() {
        let t0 = Instant::now();
        // 80 × 0.5 ÷ 5 = 8/s: a quarter second is two requests.
        let mut p = pacer(RatePlan::Business, 0.5, 5);
        assert_eq!(p.acquire(Label::Light, t0), Pace::Go, "a new bucket holds one request");
        assert!(matches!(p.acquire(Label::Light, t0), Pace::Wait(_)), "and no more");
        let later = t0 + Duration::from_secs(5);
        assert_eq!(p.acquire(Label::Light, later), Pace::Go);
        assert_eq!(p.acquire(Label::Light, later), Pace::Go, "a quarter second banked");
        assert!(matches!(p.acquire(Label::Light, later), Pace::Wait(_)), "but not more");

        // Batches of ten with a 0.2 s pause after each: the pauses are made up, and no
        // one-second window holds more than rate × 1.25 (+ 1 for the window's edges).
        let mut q = pacer(RatePlan::Business, 0.5, 5);
        let (mut now, mut sent) = (t0, Vec::new());
        for _ in 0..40 {
            for _ in 0..10 {
                if let Pace::Wait(wait) = q.acquire(Label::Light, now) {
                    now += wait;
                }
                sent.push(now);
            }
            now += Duration::from_millis(200);
        }
        let rate = sent.len() as f64 / now.duration_since(t0).as_secs_f64();
        assert!(rate > 8.0 * 0.97, "{rate}/s: the pauses were lost");
        assert!(max_in_any_second(&sent) <= 11, "{}", max_in_any_second(&sent));
    }

    #[test]
    fn a_429_halves_the_rate_pauses_and_then_recovers_gradually() {
        let t0 = Instant::now();
        let mut p = pacer(RatePlan::Business, 0.5, 1);
        assert_eq!(p.acquire(Label::Light, t0), Pace::Go);
        p.throttled(Label::Light, t0);
        assert_eq!(p.current_rate(Label::Light, t0), 20.0);
        match p.acquire(Label::Light, t0) {
            Pace::Wait(wait) => assert!(wait >= Duration::from_secs(1), "{wait:?}"),
            other => panic!("expected a wait, got {other:?}"),
        }
        // Recovery: 10% of 40/s per second, back to full after 5 s.
        let rate = p.current_rate(Label::Light, t0 + Duration::from_secs(2));
        assert!((rate - 28.0).abs() < 0.01, "{rate}");
        assert_eq!(p.current_rate(Label::Light, t0 + Duration::from_secs(10)), 40.0);
        // A burst of 429s is one signal; repeated bursts never push it below the floor.
        let burst = t0 + Duration::from_secs(10);
        for i in 0..20 {
            p.throttled(Label::Light, burst + Duration::from_millis(i));
        }
        let rate = p.current_rate(Label::Light, burst + Duration::from_millis(20));
        assert!((rate - 20.0).abs() < 0.5, "{rate}");
        for i in 1..30 {
            p.throttled(Label::Light, burst + Duration::from_secs(i));
        }
        let rate = p.current_rate(Label::Light, burst + Duration::from_secs(29));
        assert!((2.0..=4.5).contains(&rate), "a 429 every second settles low, never below the floor: {rate}");
    }

    #[test]
    fn a_daily_limit_blocks_the_label_until_retry_after_and_only_that_label() {
        let t0 = Instant::now();
        let mut p = pacer(RatePlan::Free, 1.0, 1);
        let until = t0 + Duration::from_secs(3600);
        p.daily_limit(Label::Medium, t0, until);
        assert_eq!(p.acquire(Label::Medium, t0 + Duration::from_secs(10)), Pace::Blocked { until });
        assert_eq!(p.acquire(Label::Light, t0 + Duration::from_secs(10)), Pace::Go);
        assert_eq!(p.acquire(Label::Medium, until), Pace::Go);
    }

    #[test]
    fn plans_parse_from_their_names() {
        assert_eq!("business+".parse::<RatePlan>(), Ok(RatePlan::Business));
        assert_eq!("Pro".parse::<RatePlan>(), Ok(RatePlan::Pro));
        assert!("gold".parse::<RatePlan>().is_err());
    }
}
