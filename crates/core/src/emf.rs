//! CloudWatch Embedded Metric Format: a metric is a JSON log line CloudWatch turns into a
//! data point, with no API call and no agent. The executor prints one per batch.
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>

use serde_json::{json, Map, Value};

pub const NAMESPACE: &str = "Offboard";

/// One metric value with its CloudWatch unit (`Count`, `Count/Second`, ...).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric {
    pub name: &'static str,
    pub unit: &'static str,
    pub value: f64,
}

/// The EMF line for `metrics`, dimensioned by `dimensions`, at `timestamp_ms`. Extra
/// `properties` (a run id, say) are searchable in the log but are not dimensions, so they
/// cost no metric cardinality.
pub fn emf_line(
    dimensions: &[(&str, &str)],
    metrics: &[Metric],
    properties: &[(&str, &str)],
    timestamp_ms: i64,
) -> String {
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(name, _)| *name).collect::<Vec<_>>()],
                "Metrics": metrics.iter().map(|m| json!({ "Name": m.name, "Unit": m.unit })).collect::<Vec<_>>(),
            }],
        }),
    );
    for (name, value) in dimensions.iter().chain(properties) {
        root.insert((*name).to_string(), Value::String((*value).to_string()));
    }
    for metric in metrics {
        root.insert(metric.name.to_string(), json!(metric.value));
    }
    Value::Object(root).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_follow_the_specification() {
        let line = emf_line(
            &[("Function", "executor")],
            &[Metric { name: "Done", unit: "Count", value: 3.0 }],
            &[("run_id", "r1")],
            1_800_000_000_000,
        );
        let value: Value = serde_json::from_str(&line).unwrap();
        let directive = &value["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(value["_aws"]["Timestamp"], 1_800_000_000_000_i64);
        assert_eq!(directive["Namespace"], "Offboard");
        assert_eq!(directive["Dimensions"], json!([["Function"]]));
        assert_eq!(directive["Metrics"], json!([{ "Name": "Done", "Unit": "Count" }]));
        // Every dimension and metric named in the directive is a root member.
        assert_eq!((value["Function"].as_str(), value["Done"].as_f64()), (Some("executor"), Some(3.0)));
        assert_eq!(value["run_id"], "r1");
    }
}
