//! The sweep's event, as EventBridge Scheduler sends it (the stack's `input`):
//! `{"source":"offboard.scheduler","detail-type":"Offboard Sweep","time":"<scheduled time>",
//! "detail":{"kind":"sweep","inactive_days":90,"action":"downgrade"}}`.

use jiff::Timestamp;
use offboard_core::ActionKind;
use offboard_pipeline::SweepRequest;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct SweepEvent {
    #[serde(rename = "detail-type", default)]
    pub detail_type: Option<String>,
    /// The scheduled time; the sweep's "now" and its run id, so a retried event lands in
    /// the same run.
    #[serde(default)]
    pub time: Option<String>,
    #[serde(default)]
    pub detail: Option<SweepDetail>,
}

#[derive(Debug, Deserialize)]
pub struct SweepDetail {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub inactive_days: Option<u32>,
    #[serde(default)]
    pub action: Option<ActionKind>,
}

impl SweepEvent {
    pub fn is_sweep(&self) -> bool {
        self.detail_type.as_deref() == Some("Offboard Sweep")
            || self.detail.as_ref().and_then(|d| d.kind.as_deref()) == Some("sweep")
    }

    /// The request, with `fallback_now` when the event carries no readable time.
    pub fn request(&self, fallback_now: Timestamp) -> SweepRequest {
        let now = self.time.as_deref().and_then(|t| t.parse::<Timestamp>().ok()).unwrap_or(fallback_now);
        SweepRequest {
            now,
            inactive_days: self.detail.as_ref().and_then(|d| d.inactive_days),
            action: self.detail.as_ref().and_then(|d| d.action),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_schedulers_event() {
        let event: SweepEvent = serde_json::from_str(
            r#"{"source":"offboard.scheduler","detail-type":"Offboard Sweep","time":"2026-12-02T06:00:00Z",
                "detail":{"kind":"sweep","inactive_days":30,"action":"deactivate"}}"#,
        )
        .unwrap();
        assert!(event.is_sweep());
        let request = event.request(Timestamp::UNIX_EPOCH);
        assert_eq!(request.now, "2026-12-02T06:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!((request.inactive_days, request.action), (Some(30), Some(ActionKind::Deactivate)));
        let s3: SweepEvent = serde_json::from_str(r#"{"Records":[]}"#).unwrap();
        assert!(!s3.is_sweep());
    }
}
