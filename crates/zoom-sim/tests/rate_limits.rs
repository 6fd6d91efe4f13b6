//! Rate limits and faults, seen from outside: the per-second limits measured over ten
//! seconds match the rate-plan table, 429s carry Zoom's bodies and headers, the daily cap
//! sends clients away until UTC midnight, and the injected faults do what they say.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{config, start, Api};
use reqwest::Method;
use serde_json::json;
use zoom_sim::RatePlan;

/// Offers `offered_per_second` requests to `path` for `span`, and counts the 200s.
async fn measure(api: Arc<Api>, path: String, offered_per_second: u64, span: Duration) -> u64 {
    let ok = Arc::new(AtomicU64::new(0));
    let mut ticks = tokio::time::interval(Duration::from_micros(1_000_000 / offered_per_second));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let deadline = Instant::now() + span;
    let mut inflight = tokio::task::JoinSet::new();
    while Instant::now() < deadline {
        ticks.tick().await;
        let (api, path, ok) = (api.clone(), path.clone(), ok.clone());
        inflight.spawn(async move {
            if api.get(&path).await.status == 200 {
                ok.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while inflight.join_next().await.is_some() {}
    ok.load(Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_second_limits_measured_over_ten_seconds_match_the_plan_table() {
    let sim = start(config(200, 4)).await; // Business+: Light 80/s, Medium 60/s
    let api = Arc::new(Api::connect(&sim).await);
    let user = api.find_user(|u| u["status"] == "active").await;
    let light = format!("/v2/users/{}", user["id"].as_str().unwrap());
    let span = Duration::from_secs(10);
    let (light_ok, medium_ok) = tokio::join!(
        measure(api.clone(), light, 200, span),
        measure(api.clone(), "/v2/users?page_size=1".to_string(), 150, span),
    );
    let light_rate = light_ok as f64 / 10.0;
    let medium_rate = medium_ok as f64 / 10.0;
    assert!((light_rate - 80.0).abs() <= 4.0, "Light measured {light_rate}/s, the table says 80/s");
    assert!((medium_rate - 60.0).abs() <= 3.0, "Medium measured {medium_rate}/s, the table says 60/s");

    let metrics = api.admin(Method::GET, "/_sim/metrics", None).await.body;
    assert_eq!(metrics["labels"]["Light"]["peak_window"].as_u64().unwrap(), 80);
    assert_eq!(metrics["labels"]["Medium"]["peak_window"].as_u64().unwrap(), 60);
    assert!(metrics["labels"]["Light"]["throttled_per_second"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn a_per_second_429_carries_zooms_body_and_headers() {
    let mut config = config(20, 4);
    config.rate_plan = RatePlan::Free; // Light: 4/s
    let sim = start(config).await;
    let api = Api::connect(&sim).await;
    let mut statuses = Vec::new();
    let mut throttled = None;
    for _ in 0..6 {
        let answer = api.get("/v2/users/email?email=a@b.example").await;
        statuses.push(answer.status);
        if answer.status == 429 {
            throttled = Some(answer);
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    let answer = throttled.unwrap();
    assert_eq!(answer.code(), Some(429));
    assert_eq!(
        answer.body["message"],
        "You have reached the maximum per-second rate limit for this API. Try again later."
    );
    assert_eq!(answer.header("x-ratelimit-category"), Some("Light"));
    assert_eq!(answer.header("x-ratelimit-type"), Some("QPS"));
    assert_eq!(answer.header("x-ratelimit-limit"), Some("4"));
    assert!(answer.header("x-zm-trackingid").is_some());
}

#[tokio::test]
async fn the_daily_cap_holds_until_utc_midnight_with_an_iso_retry_after() {
    let mut config = config(20, 4);
    config.rate_plan = RatePlan::Free;
    config.rate_scale = 0.005; // Medium: 1/s and 10 a day
    let sim = start(config).await;
    let api = Api::connect(&sim).await;
    for i in 0..10 {
        let answer = api.get("/v2/users").await;
        assert_eq!(answer.status, 200, "request {i}");
        sim.with_state(|s| s.advance_clock(Duration::from_secs(1)));
    }
    let refused = api.get("/v2/users").await;
    assert_eq!((refused.status, refused.code()), (429, Some(429)));
    assert_eq!(refused.header("x-ratelimit-type"), Some("Daily-limit"));
    assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));
    let retry_after = refused.header("retry-after").unwrap();
    let at: jiff::Timestamp = retry_after.parse().unwrap();
    let today = sim.with_state(|s| jiff::tz::TimeZone::UTC.to_datetime(s.utc_now()).date());
    assert_eq!(at, today.tomorrow().unwrap().to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp());
    // Light calls have their own cap and still go through.
    assert_eq!(api.get("/v2/users/email?email=a@b.example").await.status, 200);
}

#[tokio::test]
async fn a_competing_app_takes_its_share_of_the_budget_for_a_while() {
    let mut config = config(20, 4);
    config.rate_plan = RatePlan::Pro; // Light: 30/s
    let sim = start(config).await;
    let api = Api::connect(&sim).await;
    api.admin(Method::POST, "/_sim/faults", Some(json!({"competitor_share": 0.5, "competitor_seconds": 10}))).await;
    let mut allowed = 0;
    for _ in 0..40 {
        allowed += u32::from(api.get("/v2/users/email?email=a@b.example").await.status == 200);
    }
    assert_eq!(allowed, 15, "half of 30/s is left while the competitor runs");
    sim.with_state(|s| s.advance_clock(Duration::from_secs(11)));
    let mut allowed = 0;
    for _ in 0..40 {
        allowed += u32::from(api.get("/v2/users/email?email=a@b.example").await.status == 200);
    }
    assert_eq!(allowed, 30, "the whole budget is back after it stops");
}

#[tokio::test]
async fn injected_errors_and_dropped_connections() {
    let mut config = config(20, 4);
    config.rate_scale = 0.0;
    let sim = start(config).await;
    let api = Api::connect(&sim).await;

    api.admin(Method::POST, "/_sim/faults", Some(json!({"error_rate": 1.0}))).await;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..30 {
        seen.insert(api.get("/v2/users").await.status);
    }
    assert_eq!(seen, [500, 502, 503].into_iter().collect());

    api.admin(Method::POST, "/_sim/faults", Some(json!({"drop_rate": 1.0}))).await;
    let dropped = api.http.get(format!("{}/v2/users", api.base)).bearer_auth(&api.token).send().await;
    let error = dropped.expect_err("the connection is closed without an answer");
    assert!(error.is_request() || error.is_connect() || error.is_body(), "{error:?}");

    // Half the drops come after the change took effect: the client saw nothing, Zoom did it.
    api.admin(Method::POST, "/_sim/faults", Some(json!({"drop_rate": 1.0}))).await;
    let members: Vec<String> = api
        .sim_users()
        .await
        .into_iter()
        .filter(|u| u["plain_member"] == true && u["status"] == "active")
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    for id in &members {
        let path = format!("{}/v2/users/{id}/status", api.base);
        let sent = api.http.put(path).bearer_auth(&api.token).json(&json!({"action": "deactivate"})).send().await;
        assert!(sent.is_err());
    }
    let applied = api.admin(Method::GET, "/_sim/operations", None).await.body["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|op| op["applied"] == true)
        .count();
    assert!(
        applied > 0 && applied < members.len(),
        "{applied} of {} applied behind dropped connections",
        members.len()
    );

    // Reset: the seeded account again, no faults.
    api.admin(Method::POST, "/_sim/reset", None).await;
    let fresh = Api::connect(&sim).await;
    assert_eq!(fresh.get("/v2/users").await.status, 200);
    assert!(fresh.admin(Method::GET, "/_sim/operations", None).await.body["operations"].as_array().unwrap().is_empty());
}
