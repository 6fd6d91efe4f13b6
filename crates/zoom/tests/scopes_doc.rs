//! The scopes table says what Zoom's documents say, and `infra/README.md` shows it as
//! generated: an admin reading the README grants exactly what the client needs.

use std::path::PathBuf;

use offboard_zoom::scopes::markdown_table;
use offboard_zoom::ZoomCall;
use serde_json::Value;

const BEGIN: &str = "<!-- scopes:begin -->\n";
const END: &str = "<!-- scopes:end -->";

#[test]
fn the_infra_readme_table_is_the_generated_one() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infra/README.md");
    let readme = std::fs::read_to_string(&path).expect("infra/README.md is readable");
    let start = readme.find(BEGIN).map(|i| i + BEGIN.len()).expect("infra/README.md has <!-- scopes:begin -->");
    let end = readme[start..].find(END).map(|i| start + i).expect("infra/README.md has <!-- scopes:end -->");
    let expected = markdown_table();
    assert!(
        readme[start..end] == expected,
        "the scopes table of {} is not the generated one; put this between the markers:\n\n{expected}",
        path.display()
    );
}

fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/zoom/users-openapi.json")
}

/// Zoom's Users OpenAPI document, read where it lies (never copied into the project);
/// `None`, said loudly, when it is not there.
fn load_spec() -> Option<Value> {
    let path = spec_path();
    match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).expect("the OpenAPI document is JSON")),
        Err(error) => {
            eprintln!("\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
            eprintln!("!!! SKIPPED: scopes NOT checked against Zoom's OpenAPI: {} ({error})", path.display());
            eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n");
            None
        }
    }
}

fn strings(value: &Value) -> Vec<&str> {
    value.as_array().into_iter().flatten().filter_map(Value::as_str).collect()
}

#[test]
fn every_users_api_scope_is_one_zoom_documents_for_that_operation() {
    let Some(spec) = load_spec() else { return };
    let mut checked = Vec::new();
    for call in ZoomCall::ALL {
        let operation = &spec["paths"][call.path()][call.method().to_lowercase()];
        if operation.is_null() {
            continue;
        }
        let extensions = &operation["x-extensions"];
        let granular = strings(&extensions["x-granular-scopes"]);
        assert!(granular.contains(&call.scope()), "{call}: {} is not among {granular:?}", call.scope());
        let classic = strings(&extensions["x-macro-scopes"]);
        for scope in call.classic_scopes() {
            assert!(classic.contains(scope), "{call}: classic {scope} is not among {classic:?}");
        }
        checked.push(call);
    }
    // The Users API document holds every users call; meetings, recordings, roles and the
    // Dashboards are documented elsewhere (their scopes are held to zoom-sim's instead).
    assert_eq!(
        checked,
        [
            ZoomCall::ListUsers,
            ZoomCall::GetUser,
            ZoomCall::UsersSummary,
            ZoomCall::UpdateStatus,
            ZoomCall::DeleteUser,
            ZoomCall::UpdateUser,
            ZoomCall::RevokeSsoToken,
        ]
    );
}
