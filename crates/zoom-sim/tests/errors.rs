//! Each error case Offboard must handle, produced against the simulator and checked by
//! HTTP status and Zoom error `code` (never by message), and the OAuth endpoint's own
//! error shape.

mod common;

use std::time::Duration;

use common::{answer, config, start, Api};
use reqwest::Method;
use serde_json::{json, Value};
use zoom_sim::SimConfig;

fn email(user: &Value) -> &str {
    user["email"].as_str().unwrap()
}

fn id(user: &Value) -> &str {
    user["id"].as_str().unwrap()
}

#[tokio::test]
async fn user_errors_come_with_zooms_status_and_code() {
    let sim = start(config(1000, 5)).await;
    let api = Api::connect(&sim).await;
    let status_of = |a: &common::Answer| (a.status, a.code());

    // 1001: unknown user, by id or email, on read and on change.
    assert_eq!(status_of(&api.get("/v2/users/nobody@acme.example").await), (404, Some(1001)));
    assert_eq!(status_of(&api.delete("/v2/users/NoSuchId000000000000").await), (404, Some(1001)));

    // 1117: an admin cannot be disassociated; 200: nor can an admin's status change.
    let admin = api.find_user(|u| u["role_name"] == "Admin").await;
    assert_eq!(status_of(&api.delete(&format!("/v2/users/{}", id(&admin))).await), (400, Some(1117)));
    let deactivate = json!({"action": "deactivate"});
    let path = format!("/v2/users/{}/status", id(&admin));
    assert_eq!(status_of(&api.call(Method::PUT, &path, Some(deactivate.clone())).await), (400, Some(200)));

    // 200: a Zoom Rooms user cannot be deleted, nor made Basic.
    let room = api.find_user(|u| u["zoom_room"] == true).await;
    let path = format!("/v2/users/{}?action=delete", id(&room));
    assert_eq!(status_of(&api.delete(&path).await), (400, Some(200)));
    let path = format!("/v2/users/{}", id(&room));
    assert_eq!(status_of(&api.call(Method::PATCH, &path, Some(json!({"type": 1}))).await), (400, Some(200)));

    // 200: a deactivated user cannot be deleted.
    let inactive = api.find_user(|u| u["status"] == "inactive" && u["plain_member"] == true).await;
    let path = format!("/v2/users/{}?action=delete", id(&inactive));
    assert_eq!(status_of(&api.delete(&path).await), (400, Some(200)));

    // 1107: a managed-domain user cannot be disassociated, but can be deleted.
    let managed = api.find_user(|u| u["managed_domain"] == true && u["status"] == "active").await;
    let path = format!("/v2/users/{}?action=disassociate", id(&managed));
    assert_eq!(status_of(&api.delete(&path).await), (400, Some(1107)));
    let path = format!("/v2/users/{}?action=delete", id(&managed));
    assert_eq!(status_of(&api.delete(&path).await), (204, None));

    // 1120: an expired invitation, addressed by email.
    let expired = api.find_user(|u| u["invitation_expired"] == true).await;
    assert_eq!(status_of(&api.get(&format!("/v2/users/{}", email(&expired))).await), (400, Some(1120)));
    assert_eq!(status_of(&api.delete(&format!("/v2/users/{}", email(&expired))).await), (400, Some(1120)));

    // 300: a Zoom Events owner cannot be deactivated, nor removed without transfer_email;
    // with one, meetings and recordings move to the target.
    let owner = api.find_user(|u| u["events_owner"] == true).await;
    let path = format!("/v2/users/{}/status", id(&owner));
    assert_eq!(status_of(&api.call(Method::PUT, &path, Some(deactivate.clone())).await), (400, Some(300)));
    assert_eq!(status_of(&api.delete(&format!("/v2/users/{}", id(&owner))).await), (400, Some(300)));
    let target = api
        .find_user(|u| u["plain_member"] == true && u["status"] == "active" && u["type"] == 2 && u["id"] != owner["id"])
        .await;
    let self_transfer = format!("/v2/users/{}?transfer_email={}", id(&owner), email(&owner));
    assert_eq!(status_of(&api.delete(&self_transfer).await), (400, Some(300)));
    let before = api.get(&format!("/v2/users/{}/meetings?type=upcoming", id(&target))).await.body["total_records"]
        .as_u64()
        .unwrap();
    let moved = owner["upcoming_meetings"].as_u64().unwrap();
    let path = format!(
        "/v2/users/{}?action=delete&transfer_email={}&transfer_meeting=true&transfer_recording=true",
        id(&owner),
        email(&target)
    );
    assert_eq!(status_of(&api.delete(&path).await), (204, None));
    let after = api.get(&format!("/v2/users/{}/meetings?type=upcoming", id(&target))).await;
    assert_eq!(after.body["total_records"].as_u64().unwrap(), before + moved);

    // 400/300: a page size above 2000; a page token for another query.
    assert_eq!(status_of(&api.get("/v2/users?page_size=2001").await), (400, Some(300)));
    let page = api.get("/v2/users?status=active&page_size=10").await;
    let token = page.body["next_page_token"].as_str().unwrap();
    let other_query = format!("/v2/users?status=inactive&page_size=10&next_page_token={token}");
    assert_eq!(status_of(&api.get(&other_query).await), (400, Some(300)));

    // 2300: not an endpoint.
    assert_eq!(status_of(&api.get("/v2/users/x/not-a-thing").await), (400, Some(2300)));

    // A successful downgrade, an SSO token revoke, and the role list Offboard identifies admins by.
    let member = api.find_user(|u| u["plain_member"] == true && u["status"] == "active" && u["type"] == 2).await;
    let path = format!("/v2/users/{}", id(&member));
    assert_eq!(api.call(Method::PATCH, &path, Some(json!({"type": 1}))).await.status, 204);
    assert_eq!(api.get(&path).await.body["type"], 1);
    assert_eq!(api.delete(&format!("/v2/users/{}/token", id(&member))).await.status, 204);
    let roles = api.get("/v2/roles").await;
    let names: Vec<&str> =
        roles.body["roles"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Owner", "Admin", "Member", "Help Desk"]);
    assert_eq!(api.get(&format!("/v2/users/{}", id(&admin))).await.body["role_name"], "Admin");

    // The operation log has every state-changing call above, refused ones included.
    let log = api.admin(Method::GET, "/_sim/operations", None).await.body["operations"].as_array().cloned().unwrap();
    let refused = log.iter().filter(|op| op["applied"] == false).count();
    let applied: Vec<&str> =
        log.iter().filter(|op| op["applied"] == true).map(|op| op["op"].as_str().unwrap()).collect();
    assert_eq!(applied, ["delete", "delete", "set_type:1", "revoke_token"]);
    assert_eq!(refused, 11, "{log:#?}");
    assert!(log.iter().all(|op| op["at"].as_str().is_some_and(|t| t.ends_with('Z'))));
}

#[tokio::test]
async fn tokens_missing_expired_invalidated_or_short_of_scopes() {
    let sim = start(config(50, 9)).await;
    let api = Api::connect(&sim).await;
    let http = reqwest::Client::new();

    let anonymous = answer(http.get(format!("{}/v2/users", sim.base_url())).send().await.unwrap()).await;
    assert_eq!((anonymous.status, anonymous.code()), (401, Some(124)));
    let bogus =
        answer(http.get(format!("{}/v2/users", sim.base_url())).bearer_auth("nope").send().await.unwrap()).await;
    assert_eq!((bogus.status, bogus.code()), (401, Some(124)));

    // Several tokens are valid at once.
    let second = common::fetch_token(&http, &sim).await;
    assert_ne!(second, api.token);
    assert_eq!(api.get("/v2/users").await.status, 200);
    let with_second =
        answer(http.get(format!("{}/v2/users", sim.base_url())).bearer_auth(&second).send().await.unwrap()).await;
    assert_eq!(with_second.status, 200);

    // A page token expires after 15 minutes; an access token after expires_in.
    let page = api.get("/v2/users?page_size=5").await;
    let token = page.body["next_page_token"].as_str().unwrap().to_string();
    sim.with_state(|s| s.advance_clock(Duration::from_secs(16 * 60)));
    let stale = api.get(&format!("/v2/users?page_size=5&next_page_token={token}")).await;
    assert_eq!((stale.status, stale.code()), (400, Some(300)));
    sim.with_state(|s| s.advance_clock(Duration::from_secs(3600)));
    let expired = api.get("/v2/users").await;
    assert_eq!((expired.status, expired.code()), (401, Some(124)));
    assert_eq!(expired.body["message"], "Access token is expired.");

    // Every live token invalidated at once.
    let fresh = Api::connect(&sim).await;
    assert_eq!(fresh.get("/v2/users").await.status, 200);
    fresh.admin(Method::POST, "/_sim/faults", Some(json!({"invalidate_tokens": true}))).await;
    assert_eq!(fresh.get("/v2/users").await.code(), Some(124));

    // 4711: a token without the scope a call needs.
    let scopes = vec!["user:read:list_users:admin", "user:read:user:admin"];
    fresh.admin(Method::POST, "/_sim/faults", Some(json!({"scopes": scopes}))).await;
    let narrow = Api::connect(&sim).await;
    assert_eq!(narrow.get("/v2/users").await.status, 200);
    let user = narrow.find_user(|u| u["plain_member"] == true && u["status"] == "active").await;
    let refused = narrow.delete(&format!("/v2/users/{}", id(&user))).await;
    assert_eq!((refused.status, refused.code()), (400, Some(4711)));
}

#[tokio::test]
async fn the_token_endpoint_answers_in_the_oauth_shape() {
    let sim = start(config(10, 1)).await;
    let http = reqwest::Client::new();
    let app = SimConfig::default().app;
    let url = sim.oauth_url();
    let post = |query: String, secret: &str| {
        http.post(format!("{url}{query}")).basic_auth(&app.client_id, Some(secret.to_string()))
    };

    // Parameters in the query string, as Zoom's own example sends them.
    let ok = answer(
        post(format!("?grant_type=account_credentials&account_id={}", app.account_id), &app.client_secret)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ok.status, 200);
    for field in ["access_token", "token_type", "expires_in", "scope", "api_url"] {
        assert!(!ok.body[field].is_null(), "{field} in {}", ok.body);
    }
    assert_eq!((ok.body["token_type"].as_str(), ok.body["expires_in"].as_u64()), (Some("bearer"), Some(3600)));

    let form =
        |grant: &str, account: &str| vec![("grant_type", grant.to_string()), ("account_id", account.to_string())];
    let cases = [
        (form("account_credentials", &app.account_id), "wrong", "invalid_client"),
        (form("account_credentials", "not-the-account"), app.client_secret.as_str(), "invalid_request"),
        (form("client_credentials", &app.account_id), app.client_secret.as_str(), "unsupported_grant_type"),
    ];
    for (params, secret, error) in cases {
        let refused = answer(post(String::new(), secret).form(&params).send().await.unwrap()).await;
        assert_eq!((refused.status, refused.body["error"].as_str()), (400, Some(error)));
        assert!(refused.body["reason"].is_string());
        assert!(refused.body.get("code").is_none(), "OAuth errors are not in Zoom's {{code, message}} shape");
    }
}

#[tokio::test]
async fn messages_follow_the_account_language_and_codes_do_not() {
    let sim = start(config(50, 2)).await;
    let api = Api::connect(&sim).await;
    let english = api.get("/v2/users/nobody@acme.example").await;
    api.admin(Method::POST, "/_sim/faults", Some(json!({"language": "ja-JP"}))).await;
    let japanese = api.get("/v2/users/nobody@acme.example").await;
    assert_eq!((japanese.status, japanese.code()), (english.status, english.code()));
    assert_ne!(japanese.body["message"], english.body["message"]);
    assert!(japanese.body["message"].as_str().unwrap().contains("ユーザー"));
    api.admin(Method::POST, "/_sim/faults", Some(json!({"language": "fr-FR"}))).await;
    let french = api.get("/v2/users/nobody@acme.example").await;
    assert_eq!(french.code(), Some(1001));
    assert!(french.body["message"].as_str().unwrap().starts_with("L'utilisateur"));
}

#[tokio::test]
async fn a_second_disassociate_of_the_same_user_in_flight_gets_the_concurrent_429() {
    let mut config = config(50, 3);
    config.faults.latency_ms = 300;
    let sim = start(config).await;
    let api = Api::connect(&sim).await;
    let user = api.find_user(|u| u["plain_member"] == true && u["status"] == "active").await;
    let path = format!("/v2/users/{}", id(&user));
    // Both sent at once: whichever Zoom takes first holds the user for its 300 ms of
    // work, and the other is told a disassociation is already under way.
    let (first, second) = tokio::join!(api.delete(&path), api.delete(&path));
    let mut outcomes = [(first.status, first.code()), (second.status, second.code())];
    outcomes.sort();
    assert_eq!(outcomes, [(204, None), (429, Some(429))]);
    let log = api.admin(Method::GET, "/_sim/operations", None).await.body["operations"].as_array().cloned().unwrap();
    let applied = log.iter().filter(|op| op["applied"] == true).count();
    assert_eq!(applied, 1, "the user was removed once: {log:#?}");
}
