//! The OpenID Provider metadata. Standard keys only: authlib turns every top-level key
//! into a client setting (rp-requirements §0).

use serde_json::{Value, json};

pub const AUTHORIZE_PATH: &str = "/oauth2/authorize";
pub const TOKEN_PATH: &str = "/oauth2/token";
pub const USERINFO_PATH: &str = "/oauth2/userinfo";
pub const REVOKE_PATH: &str = "/oauth2/revoke";
pub const INTROSPECT_PATH: &str = "/oauth2/introspect";
pub const END_SESSION_PATH: &str = "/oauth2/logout";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

pub fn document(issuer: &str) -> Value {
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "userinfo_endpoint": format!("{issuer}{USERINFO_PATH}"),
        "jwks_uri": format!("{issuer}{JWKS_PATH}"),
        "end_session_endpoint": format!("{issuer}{END_SESSION_PATH}"),
        "revocation_endpoint": format!("{issuer}{REVOKE_PATH}"),
        "introspection_endpoint": format!("{issuer}{INTROSPECT_PATH}"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": super::scope::SUPPORTED,
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "email", "email_verified",
                             "name", "given_name", "family_name", "preferred_username", "picture", "profile", "updated_at"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    })
}
