//! The faults injected into the account's traffic: which are in force (a competing
//! app's share runs out on the simulator's clock) and the seeded draws that decide which
//! request a fault hits, so that a seed replays the same failures.

use std::time::Duration;

use super::{Faults, SimState};

impl SimState {
    /// Applies a fault setting; a competitor's duration counts from now.
    pub fn set_faults(&mut self, faults: Faults) {
        self.competitor_until = (faults.competitor_share > 0.0 && faults.competitor_seconds > 0.0)
            .then(|| self.now() + Duration::from_secs_f64(faults.competitor_seconds));
        self.faults = faults;
    }

    /// The faults in force, the competitor's remaining time included.
    pub fn current_faults(&self) -> Faults {
        let mut faults = self.faults.clone();
        let remaining =
            self.competitor_until.map_or(0.0, |until| until.saturating_duration_since(self.now()).as_secs_f64());
        faults.competitor_seconds = remaining;
        if remaining == 0.0 {
            faults.competitor_share = 0.0;
        }
        faults
    }

    /// A random draw in 0..1, from the simulator's seeded stream.
    pub fn roll(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn random_below(&mut self, bound: u64) -> u64 {
        self.rng.below(bound.max(1))
    }
}
