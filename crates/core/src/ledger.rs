//! The ledger's rules: who may act on an action now.
//!
//! Each action gets numbered, write-once claims (`claims/<action>/<attempt>.json`) and
//! one write-once result. Taking claim 1 is the normal case. A claim that exists and has
//! not expired means another invocation is acting: wait. A claim past its expiry was left
//! by an invocation that died (a crash, a timeout): whoever writes the next number first
//! takes over, and the executor's calls are idempotent, so the retry is safe. Time is an
//! input: these are pure functions of the claims seen and `now`.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// One claim on one action, as written to the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub run_id: String,
    pub action_id: String,
    /// 1 for the first claim; each takeover adds one.
    pub attempt: u32,
    /// The invocation that holds it (Lambda's request id).
    pub owner: String,
    pub claimed_at: Timestamp,
    pub expires_at: Timestamp,
}

impl Claim {
    pub fn new(run_id: &str, action_id: &str, attempt: u32, owner: &str, now: Timestamp, ttl: SignedDuration) -> Self {
        Claim {
            run_id: run_id.to_string(),
            action_id: action_id.to_string(),
            attempt,
            owner: owner.to_string(),
            claimed_at: now,
            expires_at: now.checked_add(ttl).unwrap_or(Timestamp::MAX),
        }
    }

    /// The claim that releases this one at `now`: the next claim number, already expired,
    /// so the next delivery takes over at once instead of waiting for this one to expire.
    pub fn released(&self, now: Timestamp) -> Claim {
        Claim {
            attempt: self.attempt + 1,
            owner: format!("{} (released)", self.owner),
            claimed_at: now,
            expires_at: now,
            ..self.clone()
        }
    }
}

/// What to do about an action whose first claim is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextClaim {
    /// The latest claim expired: try to write this attempt number.
    TakeOver { attempt: u32 },
    /// Another invocation holds a live claim: come back after this long.
    Wait { for_: SignedDuration },
}

/// Given the latest claim seen, whether to take over or wait.
pub fn next_claim(latest: &Claim, now: Timestamp) -> NextClaim {
    if now >= latest.expires_at {
        NextClaim::TakeOver { attempt: latest.attempt + 1 }
    } else {
        NextClaim::Wait { for_: latest.expires_at.duration_since(now) }
    }
}

/// The attempt number in a claim's key (`.../claims/0001/3.json` → 3).
pub fn attempt_of_key(key: &str) -> Option<u32> {
    key.rsplit('/').next()?.strip_suffix(".json")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    #[test]
    fn a_released_claim_is_the_next_one_already_expired_so_the_next_delivery_takes_over_at_once() {
        let claim = Claim::new("r", "0001", 3, "req-1", at(0), SignedDuration::from_secs(900));
        let released = claim.released(at(5));
        assert_eq!((released.run_id.as_str(), released.action_id.as_str(), released.attempt), ("r", "0001", 4));
        assert_eq!(released.owner, "req-1 (released)");
        assert_eq!(next_claim(&released, at(5)), NextClaim::TakeOver { attempt: 5 });
    }

    #[test]
    fn a_live_claim_is_waited_for_and_an_expired_one_taken_over() {
        let claim = Claim::new("r", "0001", 1, "req-1", at(0), SignedDuration::from_secs(30));
        assert_eq!(next_claim(&claim, at(10)), NextClaim::Wait { for_: SignedDuration::from_secs(20) });
        assert_eq!(next_claim(&claim, at(30)), NextClaim::TakeOver { attempt: 2 });
        let second = Claim::new("r", "0001", 2, "req-2", at(31), SignedDuration::from_secs(30));
        assert_eq!(next_claim(&second, at(100)), NextClaim::TakeOver { attempt: 3 });
    }

    #[test]
    fn attempts_are_read_from_keys() {
        assert_eq!(attempt_of_key("runs/r/claims/0001/12.json"), Some(12));
        assert_eq!(attempt_of_key("runs/r/claims/0001/x.json"), None);
        assert_eq!(attempt_of_key("runs/r/claims/0001/3"), None);
    }
}
