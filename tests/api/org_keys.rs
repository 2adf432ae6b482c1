//! Issue 11 item 13: an org API key bound to an org and a user is invalid once the user left.

use crate::backend_api::Api;
use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

both_backends! {
    async fn org_keys_of_users_who_left_grant_nothing(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        let user = api.create_user("k@example.com", "kay").await;
        let (_, org) = api.call("POST", "/org/", Some(json!({"name": "Keys Inc"}))).await;
        let org_id = org["org_id"].as_str().expect("org id").to_string();
        let (status, _) = api.call("POST", "/org/add_user", Some(json!({"org_id": org_id, "user_id": user, "role": "Member"}))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, key) = api.call("POST", "/end_user_api_keys", Some(json!({"org_id": org_id, "user_id": user}))).await;
        assert_eq!(status, StatusCode::OK, "{key}");
        let token = key["api_key_token"].as_str().expect("token").to_string();
        let (status, v) = api.call("POST", "/end_user_api_keys/validate", Some(json!({"api_key_token": token}))).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["user_in_org"]["org_id"], org_id.as_str());
        let (status, _) = api.call("POST", "/org/remove_user", Some(json!({"org_id": org_id, "user_id": user}))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, v) = api.call("POST", "/end_user_api_keys/validate", Some(json!({"api_key_token": token}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "the user left the org: {v}");
    }
}
