//! Every response body the simulator returns for the Users endpoints validates against
//! that endpoint's response schema in Zoom's own OpenAPI document, made strict: an
//! object may carry no property the schema does not name.

mod common;

use std::path::PathBuf;

use common::{config, start, Api};
use serde_json::Value;

fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/zoom/users-openapi.json")
}

fn load_spec() -> Option<Value> {
    let path = spec_path();
    match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).expect("the OpenAPI document is JSON")),
        Err(error) => {
            eprintln!("\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
            eprintln!("!!! SKIPPED: OpenAPI conformance NOT checked: {} ({error})", path.display());
            eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n");
            None
        }
    }
}

/// No property outside the schema's: OpenAPI objects allow extras unless told otherwise.
/// An `allOf` of object schemas is merged first, so "outside" means outside all of them.
fn strict(schema: &mut Value) {
    merge_all_of(schema);
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for value in map.values_mut() {
                strict(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strict),
        _ => {}
    }
}

fn merge_all_of(schema: &mut Value) {
    let Some(parts) = schema.get("allOf").and_then(Value::as_array) else { return };
    if !parts.iter().all(|p| p.get("properties").is_some()) {
        return;
    }
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for part in parts {
        for (name, property) in part["properties"].as_object().into_iter().flatten() {
            properties.entry(name.clone()).or_insert_with(|| property.clone());
        }
        required.extend(part["required"].as_array().into_iter().flatten().cloned());
    }
    *schema = serde_json::json!({"type": "object", "properties": properties, "required": required});
}

fn response_schema(spec: &Value, path: &str, method: &str, status: &str) -> Value {
    let mut schema = spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"].clone();
    assert!(schema.is_object(), "no schema for {method} {path} {status}");
    strict(&mut schema);
    schema
}

fn assert_valid(spec: &Value, path: &str, method: &str, body: &Value) {
    let schema = response_schema(spec, path, method, "200");
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{method} {path}: {errors:#?}\nbody: {body}");
}

#[tokio::test]
async fn every_users_response_validates_against_zooms_openapi_document() {
    let Some(spec) = load_spec() else { return };
    let sim = start(config(600, 21)).await;
    let api = Api::connect(&sim).await;

    let mut listed = 0;
    for status in ["active", "inactive", "pending"] {
        let mut token = String::new();
        loop {
            let answer = api.get(&format!("/v2/users?status={status}&page_size=150&next_page_token={token}")).await;
            assert_eq!(answer.status, 200);
            assert_valid(&spec, "/users", "get", &answer.body);
            listed += answer.body["users"].as_array().unwrap().len();
            token = answer.body["next_page_token"].as_str().unwrap().to_string();
            if token.is_empty() {
                break;
            }
        }
    }
    assert_eq!(listed, 600);

    let users = api.sim_users().await;
    type Kind = (&'static str, fn(&Value) -> bool);
    let kinds: [Kind; 8] = [
        ("owner", |u| u["role_name"] == "Owner"),
        ("admin", |u| u["role_name"] == "Admin"),
        ("custom role", |u| u["role_name"] == "Help Desk"),
        ("zoom room", |u| u["zoom_room"] == true),
        ("managed domain", |u| u["managed_domain"] == true),
        ("inactive", |u| u["status"] == "inactive"),
        ("pending", |u| u["status"] == "pending" && u["invitation_expired"] == false),
        ("plain member", |u| u["plain_member"] == true && u["status"] == "active"),
    ];
    for (kind, matches) in kinds {
        let user = users.iter().find(|u| matches(u)).unwrap_or_else(|| panic!("no {kind} in the account"));
        let by_email = api.get(&format!("/v2/users/{}", user["email"].as_str().unwrap())).await;
        assert_eq!(by_email.status, 200, "{kind}");
        assert_valid(&spec, "/users/{userId}", "get", &by_email.body);
        if user["status"] != "pending" {
            let by_id = api.get(&format!("/v2/users/{}", user["id"].as_str().unwrap())).await;
            assert_eq!(by_id.body, by_email.body, "{kind}: by id and by email agree");
        }
    }

    let summary = api.get("/v2/users/summary").await;
    assert_valid(&spec, "/users/summary", "get", &summary.body);
    for email in [users[3]["email"].as_str().unwrap(), "nobody@elsewhere.example"] {
        let exists = api.get(&format!("/v2/users/email?email={email}")).await;
        assert_valid(&spec, "/users/email", "get", &exists.body);
    }
}
