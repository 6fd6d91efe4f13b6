//! Object keys: decoding the keys S3 events carry, and naming what a run writes.

use percent_encoding::percent_decode_str;

/// Decodes an S3 event key: form-style URL encoding, where `+` is a space and a real
/// `+` arrives as `%2B` (`inbox/Q4+leavers%2Bcontractors.csv` → `inbox/Q4 leavers+contractors.csv`).
pub fn decode_event_key(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

pub fn plan_key(run_id: &str) -> String {
    format!("runs/{run_id}/plan.json")
}

pub fn error_key(run_id: &str) -> String {
    format!("runs/{run_id}/error.json")
}

pub fn backup_key(run_id: &str) -> String {
    format!("backups/{run_id}/users.csv")
}

pub fn result_key(run_id: &str, action_id: &str) -> String {
    format!("runs/{run_id}/results/{action_id}.json")
}

pub fn results_prefix(run_id: &str) -> String {
    format!("runs/{run_id}/results/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_keys_as_s3_events_encode_them() {
        assert_eq!(decode_event_key("inbox%2FQ4+leavers%2Bcontractors.csv"), "inbox/Q4 leavers+contractors.csv");
        assert_eq!(decode_event_key("inbox/Q4+leavers%2Bcontractors.csv"), "inbox/Q4 leavers+contractors.csv");
        assert_eq!(decode_event_key("inbox/caf%C3%A9.csv"), "inbox/café.csv");
        assert_eq!(decode_event_key("inbox/plain.csv"), "inbox/plain.csv");
    }
}
