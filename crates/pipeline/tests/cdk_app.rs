//! What the CDK app (`infra/lib/`) must say the same as the Rust: the prefixes that start
//! a run, defined once in `offboard_pipeline::trigger`, which the bucket's notifications
//! and the planner's version reads copy (`storage.ts`); and the policy defaults the stack
//! hands the planner (`config.ts`), which are `offboard_core::Policy`'s, so a deployment
//! left at its defaults holds, sweeps and acts as the CLI and the docs say.

use offboard_core::{ActionKind, Policy};
use offboard_pipeline::trigger::{FILE_INPUT_PREFIXES, TRIGGER_PREFIXES};

fn cdk_source(file: &str) -> (String, String) {
    let path = format!("{}/../../infra/lib/{file}", env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    (path, source)
}

/// The strings of `export const NAME = ['a', 'b'] as const;` in the CDK app's storage.
fn cdk_list(name: &str) -> Vec<String> {
    let (path, source) = cdk_source("storage.ts");
    let declaration = format!("export const {name} = [");
    let start = source.find(&declaration).unwrap_or_else(|| panic!("{path} declares no {name}")) + declaration.len();
    let list = &source[start..start + source[start..].find(']').expect("the list ends")];
    list.split(',').map(|item| item.trim().trim_matches('\'').to_string()).filter(|item| !item.is_empty()).collect()
}

/// The value of `name: value,` in the CDK app's `DEFAULTS`.
fn cdk_default(name: &str) -> String {
    let (path, source) = cdk_source("config.ts");
    let defaults = &source[source.find("export const DEFAULTS").unwrap_or_else(|| panic!("{path} has no DEFAULTS"))..];
    let entry = format!("\n  {name}: ");
    let start = defaults.find(&entry).unwrap_or_else(|| panic!("{path}'s DEFAULTS has no {name}")) + entry.len();
    let value = &defaults[start..start + defaults[start..].find(",\n").expect("the entry ends")];
    value.trim().trim_matches('\'').to_string()
}

#[test]
fn the_cdk_app_notifies_the_planner_of_exactly_the_prefixes_that_start_a_run() {
    assert_eq!(cdk_list("TRIGGER_PREFIXES"), TRIGGER_PREFIXES);
}

#[test]
fn the_cdk_app_lets_the_planner_read_versions_under_exactly_the_file_input_prefixes() {
    assert_eq!(cdk_list("FILE_INPUT_PREFIXES"), FILE_INPUT_PREFIXES);
}

#[test]
fn the_cdk_apps_policy_defaults_are_the_cores() {
    let policy = Policy::default();
    assert_eq!(cdk_default("maxDestructiveActions"), policy.guardrails.hold_above_count.to_string(), "hold count");
    assert_eq!(cdk_default("maxDestructiveShare"), policy.guardrails.hold_above_share.to_string(), "hold share");
    assert_eq!(cdk_default("sweepEnabled"), policy.sweep.enabled.to_string());
    assert_eq!(cdk_default("sweepInactiveDays"), policy.sweep.inactive_days.to_string());
    assert_eq!(cdk_default("sweepAction").parse::<ActionKind>(), Ok(policy.sweep.action));
}
