//! The `rate_plan` check: the rate plan (Zoom pricing tier) Offboard paces for against the one Zoom's
//! `X-RateLimit-Limit` reveals. Kept apart from the other Zoom checks because it is pure
//! (a figure against Zoom's published tables) and is where a new plan or a changed limit
//! would be taught.

use offboard_zoom::pacer::{account_limit, daily_cap};
use offboard_zoom::{Label, RatePlan, ZoomCall};

use super::report::{Check, RATE_PLAN};

/// What the probe call's answer carried.
pub type RateProbe = offboard_zoom::RateLimitHeaders;

const PLANS: [RatePlan; 3] = [RatePlan::Free, RatePlan::Pro, RatePlan::Business];

fn plan_name(plan: RatePlan) -> &'static str {
    match plan {
        RatePlan::Free => "Free",
        RatePlan::Pro => "Pro",
        RatePlan::Business => "Business+",
    }
}

fn plan_flag(plan: RatePlan) -> &'static str {
    match plan {
        RatePlan::Free => "free",
        RatePlan::Pro => "pro",
        RatePlan::Business => "business",
    }
}

fn label_of(category: &str) -> Option<Label> {
    [Label::Light, Label::Medium, Label::Heavy].into_iter().find(|l| l.as_str().eq_ignore_ascii_case(category))
}

/// The plan whose published limit for `label` is `limit`: its per-second limit or its daily
/// cap (`"per-second limit"` or `"daily cap"`). Each figure belongs to one plan only, so a
/// match is unambiguous; anything else (a limit Zoom lowered for the account, say) is `None`.
pub fn plan_of_limit(label: Label, limit: u64) -> Option<(RatePlan, &'static str)> {
    PLANS.into_iter().find_map(|plan| {
        if account_limit(plan, label) == limit as f64 {
            Some((plan, "per-second limit"))
        } else if daily_cap(plan, label) == Some(limit) {
            Some((plan, "daily cap"))
        } else {
            None
        }
    })
}

fn published_limits(label: Label) -> String {
    let each: Vec<String> = PLANS
        .into_iter()
        .map(|plan| match daily_cap(plan, label) {
            Some(daily) => format!("{} {}/s, {daily}/day", plan_name(plan), account_limit(plan, label)),
            None => format!("{} {}/s", plan_name(plan), account_limit(plan, label)),
        })
        .collect();
    each.join("; ")
}

fn plan_fix(actual: RatePlan) -> String {
    format!(
        "pass --zoom-plan {0} (ZOOM_PLAN={0}) to offboard, and deploy the stack with -c zoomPlan={0}",
        plan_flag(actual)
    )
}

pub fn plan_fix_unknown(configured: RatePlan) -> String {
    format!(
        "make sure the account's plan (Zoom web portal → Account Management → Billing) is {}: \
         --zoom-plan (ZOOM_PLAN) and the stack's zoomPlan set the pace",
        plan_name(configured)
    )
}

/// The configured plan against what the probe's answer reveals. Pacing for a bigger plan
/// than the account's fails (429s, and on Free the daily caps); for a smaller one it only
/// warns (slower than it could be); nothing revealed is a warning, never a guess.
pub fn rate_plan_check(configured: RatePlan, probe: &RateProbe) -> Check {
    let call = ZoomCall::ListUsers;
    let (Some(category), Some(limit)) = (probe.category.as_deref(), probe.limit) else {
        return Check::warning(
            RATE_PLAN,
            format!(
                "not revealed by Zoom: its answer to {call} (HTTP {}) carried no X-RateLimit-Limit; \
                 Offboard paces for {} as --zoom-plan says",
                probe.http_status,
                plan_name(configured)
            ),
            plan_fix_unknown(configured),
        );
    };
    let Some(label) = label_of(category) else {
        return Check::warning(
            RATE_PLAN,
            format!("not revealed by Zoom: X-RateLimit-Category {category:?} of {call} is not a label Offboard knows"),
            plan_fix_unknown(configured),
        );
    };
    let Some((actual, figure)) = plan_of_limit(label, limit) else {
        return Check::warning(
            RATE_PLAN,
            format!(
                "not revealed by Zoom: X-RateLimit-Limit {limit} on {call} ({category}) is none of Zoom's \
                 published {category} limits ({}); Offboard paces for {} as --zoom-plan says",
                published_limits(label),
                plan_name(configured)
            ),
            plan_fix_unknown(configured),
        );
    };
    let seen = format!("X-RateLimit-Limit {limit} on {call} ({category}) is the {} {figure}", plan_name(actual));
    let pace = |plan: RatePlan| format!("{}/s", account_limit(plan, label));
    match configured.cmp(&actual) {
        std::cmp::Ordering::Equal => {
            Check::ok(RATE_PLAN, format!("{seen}, the plan Offboard paces for (--zoom-plan {})", plan_flag(configured)))
        }
        std::cmp::Ordering::Greater => Check::failed(
            RATE_PLAN,
            format!(
                "{seen}, but Offboard paces for {} ({category} {} instead of {}): runs would hit Zoom's limits (429s{})",
                plan_name(configured),
                pace(configured),
                pace(actual),
                if actual == RatePlan::Free { ", and the daily caps" } else { "" }
            ),
            plan_fix(actual),
        ),
        std::cmp::Ordering::Less => Check::warning(
            RATE_PLAN,
            format!(
                "{seen}, but Offboard paces for {} ({category} {} where {} is allowed): runs are slower than they could be",
                plan_name(configured),
                pace(configured),
                pace(actual)
            ),
            plan_fix(actual),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::doctor::report::Status;

    fn probe(category: &str, limit: u64) -> RateProbe {
        RateProbe { http_status: 200, category: Some(category.to_string()), limit: Some(limit) }
    }

    #[test]
    fn every_published_figure_names_one_plan() {
        assert_eq!(plan_of_limit(Label::Medium, 60), Some((RatePlan::Business, "per-second limit")));
        assert_eq!(plan_of_limit(Label::Medium, 20), Some((RatePlan::Pro, "per-second limit")));
        assert_eq!(plan_of_limit(Label::Medium, 2_000), Some((RatePlan::Free, "daily cap")));
        assert_eq!(plan_of_limit(Label::Light, 6_000), Some((RatePlan::Free, "daily cap")));
        assert_eq!(plan_of_limit(Label::Heavy, 30_000), Some((RatePlan::Pro, "daily cap")));
        assert_eq!(plan_of_limit(Label::Medium, 48), None);
        // No figure is shared by two plans of one label, so a match never guesses.
        for label in [Label::Light, Label::Medium, Label::Heavy] {
            let mut figures: Vec<u64> = PLANS.iter().map(|&p| account_limit(p, label) as u64).collect();
            figures.extend(PLANS.iter().filter_map(|&p| daily_cap(p, label)));
            let distinct: BTreeSet<u64> = figures.iter().copied().collect();
            assert_eq!(distinct.len(), figures.len(), "{label:?}: {figures:?}");
        }
    }

    #[test]
    fn the_configured_plan_is_held_to_what_zoom_reveals() {
        let same = rate_plan_check(RatePlan::Business, &probe("Medium", 60));
        assert_eq!(same.status, Status::Ok, "{same:?}");
        assert!(same.detail.contains("Business+ per-second limit"), "{}", same.detail);

        let too_fast = rate_plan_check(RatePlan::Business, &probe("Medium", 2_000));
        assert_eq!(too_fast.status, Status::Failed);
        assert!(too_fast.detail.contains("Free daily cap"), "{}", too_fast.detail);
        assert!(too_fast.fix.as_deref().is_some_and(|f| f.contains("--zoom-plan free")), "{:?}", too_fast.fix);

        let too_slow = rate_plan_check(RatePlan::Pro, &probe("Medium", 60));
        assert_eq!(too_slow.status, Status::Warning);
        assert!(too_slow.fix.as_deref().is_some_and(|f| f.contains("zoomPlan=business")), "{:?}", too_slow.fix);
    }

    #[test]
    fn nothing_revealed_is_a_warning_that_guesses_no_number() {
        let silent = RateProbe { http_status: 200, category: None, limit: None };
        for (probe, said) in [
            (silent, "carried no X-RateLimit-Limit"),
            (probe("Medium", 48), "none of Zoom's published Medium limits"),
            (probe("Galactic", 60), "not a label"),
        ] {
            let check = rate_plan_check(RatePlan::Pro, &probe);
            assert_eq!(check.status, Status::Warning, "{check:?}");
            assert!(check.detail.starts_with("not revealed by Zoom"), "{}", check.detail);
            assert!(check.detail.contains(said), "{}", check.detail);
        }
    }
}
