//! The prefixes that start a run are defined once, in `offboard_pipeline::trigger`; the CDK
//! app declares the bucket's notifications and the planner's version reads from its own
//! copy (`infra/lib/storage.ts`), which must say the same, in the same order.

use offboard_pipeline::trigger::{FILE_INPUT_PREFIXES, TRIGGER_PREFIXES};

/// The strings of `export const NAME = ['a', 'b'] as const;` in the CDK app's storage.
fn cdk_list(name: &str) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/lib/storage.ts");
    let source = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let declaration = format!("export const {name} = [");
    let start = source.find(&declaration).unwrap_or_else(|| panic!("{path} declares no {name}")) + declaration.len();
    let list = &source[start..start + source[start..].find(']').expect("the list ends")];
    list.split(',').map(|item| item.trim().trim_matches('\'').to_string()).filter(|item| !item.is_empty()).collect()
}

#[test]
fn the_cdk_app_notifies_the_planner_of_exactly_the_prefixes_that_start_a_run() {
    assert_eq!(cdk_list("TRIGGER_PREFIXES"), TRIGGER_PREFIXES);
}

#[test]
fn the_cdk_app_lets_the_planner_read_versions_under_exactly_the_file_input_prefixes() {
    assert_eq!(cdk_list("FILE_INPUT_PREFIXES"), FILE_INPUT_PREFIXES);
}
