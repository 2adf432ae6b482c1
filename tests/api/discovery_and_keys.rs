//! Discovery, JWKS and signing-key rotation.

use crate::both_backends;
use crate::helpers::*;
use serde_json::Value;

both_backends! {
    async fn discovery_advertises_every_endpoint_and_only_standard_keys(backend: Backend) {
        let app = spawn_app(backend).await;
        let res = app.get("/.well-known/openid-configuration").await;
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        let doc: Value = res.json().await.expect("json");
        assert_eq!(doc["issuer"], app.issuer);
        for (key, path) in [("authorization_endpoint", "/oauth2/authorize"), ("token_endpoint", "/oauth2/token"), ("userinfo_endpoint", "/oauth2/userinfo"),
                            ("jwks_uri", "/.well-known/jwks.json"), ("end_session_endpoint", "/oauth2/logout"), ("revocation_endpoint", "/oauth2/revoke"),
                            ("introspection_endpoint", "/oauth2/introspect")] {
            assert_eq!(doc[key], format!("{}{path}", app.issuer), "{key}");
            // Each advertised endpoint exists (anything but 404).
            let res = app.get(doc[key].as_str().expect("url")).await;
            assert_ne!(res.status(), reqwest::StatusCode::NOT_FOUND, "{key}");
        }
        assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
        assert_eq!(doc["id_token_signing_alg_values_supported"], serde_json::json!(["RS256"]));
        assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        // authlib copies singular keys into every client: none may appear.
        for key in doc.as_object().expect("object").keys() {
            assert!(key.ends_with("_supported") || key.ends_with("_endpoint") || key.ends_with("_uri") || key == "issuer", "non-standard key {key}");
        }
    }

    async fn a_new_installation_answers_while_its_first_key_is_made(backend: Backend) {
        let dir = temp_dir();
        let url = fresh_database(backend, &dir).await;
        let master = gatehouse::crypto::MasterKey::generate().encode();
        // Returns as soon as the server listens: the first key is still being generated.
        let app = spawn_on_as_started(&url, &dir, &master, &[]).await;
        let (discovery, jwks) = tokio::join!(app.get("/.well-known/openid-configuration"), app.get("/.well-known/jwks.json"));
        assert_eq!(discovery.status(), reqwest::StatusCode::OK);
        // The JWKS waits for the key rather than publish an empty set.
        let jwks: Value = jwks.json().await.expect("json");
        let keys = jwks["keys"].as_array().expect("keys");
        assert_eq!(keys.len(), 1, "{jwks}");
        assert_eq!(keys[0]["kid"].as_str(), app.state.keys.current_kid().as_deref());
        // The key was stored: a restart (or a second replica) uses it instead of making another.
        let again = spawn_on(&url, &dir, &master, &[]).await;
        let jwks_again: Value = again.get("/.well-known/jwks.json").await.json().await.expect("json");
        assert_eq!(jwks_again, jwks);
    }

    async fn jwks_publishes_the_signing_key(backend: Backend) {
        let app = spawn_app(backend).await;
        let jwks: Value = app.get("/.well-known/jwks.json").await.json().await.expect("json");
        let keys = jwks["keys"].as_array().expect("keys");
        assert_eq!(keys.len(), 1);
        let k = &keys[0];
        assert_eq!(k["kty"], "RSA");
        assert_eq!(k["alg"], "RS256");
        assert_eq!(k["use"], "sig");
        assert_eq!(k["kid"].as_str(), app.state.keys.current_kid().as_deref());
        assert!(k.get("d").is_none() && k.get("p").is_none(), "no private parts");
        assert!(k["n"].as_str().expect("n").len() >= 342, "RSA-2048 or larger");
    }

    async fn rotation_keeps_the_old_key_until_its_tokens_expire(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let old_kid = app.state.keys.current_kid().expect("kid");
        let before = app.tokens_for(&client, "openid", "alice@example.com").await;
        let new_kid = app.state.keys.rotate().await.expect("rotate");
        assert_ne!(old_kid, new_kid);
        let jwks: Value = app.get("/.well-known/jwks.json").await.json().await.expect("json");
        let kids: Vec<&str> = jwks["keys"].as_array().expect("keys").iter().filter_map(|k| k["kid"].as_str()).collect();
        assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()), "{kids:?}");
        // Old tokens still verify; new tokens use the new key.
        app.verify_jwt(before["id_token"].as_str().expect("id")).await;
        let after = app.tokens_for(&client, "openid", "alice@example.com").await;
        let header = josekit::jwt::decode_header(after["id_token"].as_str().expect("id")).expect("header");
        assert_eq!(header.claim("kid").and_then(Value::as_str), Some(new_kid.as_str()));
        // Once every token signed by the old key has expired, it is no longer published.
        app.clock.advance(3600 + 301);
        app.state.keys.reload().await.expect("reload");
        let jwks: Value = app.get("/.well-known/jwks.json").await.json().await.expect("json");
        let kids: Vec<&str> = jwks["keys"].as_array().expect("keys").iter().filter_map(|k| k["kid"].as_str()).collect();
        assert_eq!(kids, vec![new_kid.as_str()]);
    }

    async fn a_rotated_key_signs_only_after_the_publish_delay(backend: Backend) {
        let app = spawn_app_with(backend, &[("GATEHOUSE_KEY_PUBLISH_DELAY", "60")]).await;
        let old_kid = app.state.keys.current_kid().expect("kid");
        let new_kid = app.state.keys.rotate().await.expect("rotate");
        let jwks: Value = app.get("/.well-known/jwks.json").await.json().await.expect("json");
        assert!(jwks.to_string().contains(&new_kid), "published before it signs");
        assert_eq!(app.state.keys.current_kid().as_deref(), Some(old_kid.as_str()));
        app.clock.advance(61);
        app.state.keys.reload().await.expect("reload");
        assert_eq!(app.state.keys.current_kid().as_deref(), Some(new_kid.as_str()));
    }
}
