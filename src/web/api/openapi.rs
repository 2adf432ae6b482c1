//! OpenAPI 3.1 description of the backend API, served at `/api/backend/v1/openapi.json`.
//! A test checks that its operations and the router's routes are the same set.

use crate::auth::magic_link::MAX_HOURS as MAX_MAGIC_LINK_HOURS;
use crate::auth::password_policy::MAX_PASSWORD_LEN;
use crate::backend_api::MAX_SAFE_INTEGER;
use crate::backend_api::access_tokens::MAX_DURATION_MINUTES;
use actix_web::HttpResponse;
use serde_json::{Map, Value, json};

pub const OPENAPI_PATH: &str = "/api/backend/v1/openapi.json";

/// (method, full path, SDK method, tag, request body schema, 200 response schema).
/// Schema "" = none; "Empty" = `{}`.
type Op = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str);

macro_rules! p {
    ($s:literal) => {
        concat!("/api/backend/v1", $s)
    };
}

const OPS: &[Op] = &[
    ("get", "/api/v1/token_verification_metadata", "token_verification_metadata", "tokens", "", "TokenVerificationMetadata"),
    ("get", OPENAPI_PATH, "openapi", "meta", "", "Any"),
    ("get", p!("/user/email"), "fetch_user_metadata_by_email", "users", "", "UserMetadata"),
    ("get", p!("/user/username"), "fetch_user_metadata_by_username", "users", "", "UserMetadata"),
    ("get", p!("/user/query"), "fetch_users_by_query", "users", "", "UsersPage"),
    ("get", p!("/user/org/{org_id}"), "fetch_users_in_org", "users", "", "UsersPage"),
    ("post", p!("/user/user_ids"), "fetch_batch_user_metadata_by_user_ids", "users", "BatchUserIds", "UserMetadataList"),
    ("post", p!("/user/emails"), "fetch_batch_user_metadata_by_emails", "users", "BatchEmails", "UserMetadataList"),
    ("post", p!("/user/usernames"), "fetch_batch_user_metadata_by_usernames", "users", "BatchUsernames", "UserMetadataList"),
    ("post", p!("/user/"), "create_user", "users", "CreateUser", "CreatedUser"),
    ("get", p!("/user/{user_id}"), "fetch_user_metadata_by_user_id", "users", "", "UserMetadata"),
    ("put", p!("/user/{user_id}"), "update_user_metadata", "users", "UpdateUserMetadata", "Empty"),
    ("delete", p!("/user/{user_id}"), "delete_user", "users", "", "Empty"),
    (
        "get",
        p!("/user/{user_id}/signup_query_parameters"),
        "fetch_user_signup_query_params_by_user_id",
        "users",
        "",
        "SignupQueryParameters",
    ),
    ("get", p!("/user/{user_id}/mfa"), "fetch_user_mfa_methods", "users", "", "MfaMethods"),
    ("get", p!("/user/{user_id}/oauth_token"), "fetch_user_oauth_tokens", "not offered", "", "Any"),
    ("put", p!("/user/{user_id}/email"), "update_user_email", "users", "UpdateUserEmail", "Empty"),
    ("put", p!("/user/{user_id}/password"), "update_user_password", "users", "UpdateUserPassword", "Empty"),
    ("put", p!("/user/{user_id}/clear_password"), "clear_user_password", "users", "", "Empty"),
    ("post", p!("/user/{user_id}/disable"), "disable_user", "users", "", "Empty"),
    ("post", p!("/user/{user_id}/enable"), "enable_user", "users", "", "Empty"),
    ("post", p!("/user/{user_id}/disable_2fa"), "disable_user_2fa", "users", "", "Empty"),
    ("post", p!("/user/{user_id}/logout_all_sessions"), "logout_all_user_sessions", "users", "", "Empty"),
    ("put", p!("/user/{user_id}/can_create_orgs/enable"), "enable_user_can_create_orgs", "users", "", "Empty"),
    ("put", p!("/user/{user_id}/can_create_orgs/disable"), "disable_user_can_create_orgs", "users", "", "Empty"),
    ("get", p!("/user/{user_id}/{provider}/fresh_token"), "fetch_fresh_token_from_provider", "not offered", "", "Any"),
    ("post", p!("/resend_email_confirmation"), "resend_email_confirmation", "users", "UserId", "Empty"),
    ("post", p!("/invite_user"), "invite_user_to_org", "orgs", "InviteUser", "Empty"),
    ("post", p!("/invite_user_by_id"), "invite_user_to_org_by_user_id", "orgs", "InviteUserById", "Empty"),
    ("get", p!("/org/query"), "fetch_org_by_query", "orgs", "", "OrgsPage"),
    ("post", p!("/org/"), "create_org", "orgs", "CreateOrg", "CreatedOrg"),
    ("post", p!("/org/add_user"), "add_user_to_org", "orgs", "OrgMembership", "Empty"),
    ("post", p!("/org/remove_user"), "remove_user_from_org", "orgs", "OrgMembership", "Empty"),
    ("post", p!("/org/change_role"), "change_user_role_in_org", "orgs", "OrgMembership", "Empty"),
    ("get", p!("/org/{org_id}"), "fetch_org", "orgs", "", "Organization"),
    ("put", p!("/org/{org_id}"), "update_org_metadata", "orgs", "UpdateOrg", "Empty"),
    ("delete", p!("/org/{org_id}"), "delete_org", "orgs", "", "Empty"),
    ("post", p!("/org/{org_id}/allow_saml"), "allow_org_to_setup_saml_connection", "orgs", "", "Empty"),
    ("post", p!("/org/{org_id}/disallow_saml"), "disallow_org_to_setup_saml_connection", "orgs", "", "Empty"),
    ("post", p!("/org/{org_id}/create_saml_connection_link"), "create_org_saml_connection_link", "not offered", "Any", "Any"),
    ("get", p!("/custom_role_mappings"), "fetch_custom_role_mappings", "orgs", "", "CustomRoleMappings"),
    ("get", p!("/pending_org_invites"), "fetch_pending_invites", "orgs", "", "InvitesPage"),
    ("delete", p!("/pending_org_invites"), "revoke_pending_org_invite", "orgs", "RevokeInvite", "Empty"),
    ("get", p!("/saml_sp_metadata/{org_id}"), "fetch_saml_sp_metadata", "not offered", "", "Any"),
    ("post", p!("/saml_idp_metadata"), "set_saml_idp_metadata", "not offered", "Any", "Empty"),
    ("post", p!("/saml_idp_metadata/go_live/{org_id}"), "saml_go_live", "not offered", "", "Empty"),
    ("delete", p!("/saml_idp_metadata/{org_id}"), "delete_saml_connection", "not offered", "", "Empty"),
    ("post", p!("/oidc_idp_metadata"), "set_oidc_idp_metadata", "not offered", "Any", "Empty"),
    ("post", p!("/magic_link"), "create_magic_link", "tokens", "CreateMagicLink", "MagicLink"),
    ("post", p!("/access_token"), "create_access_token", "tokens", "CreateAccessToken", "AccessToken"),
    ("post", p!("/migrate_user/"), "migrate_user_from_external_source", "users", "MigrateUser", "CreatedUser"),
    ("post", p!("/migrate_user/password"), "migrate_user_password", "users", "MigratePassword", "Empty"),
    ("get", p!("/employee/{employee_id}"), "fetch_employee_by_id", "not offered", "", "Any"),
    ("get", p!("/scim/{org_id}/groups"), "fetch_org_scim_groups", "not offered", "", "Any"),
    ("get", p!("/scim/{org_id}/groups/{group_id}"), "fetch_scim_group", "not offered", "", "Any"),
    ("get", p!("/end_user_api_keys/archived"), "fetch_archived_api_keys", "api keys", "", "ApiKeysPage"),
    ("get", p!("/end_user_api_keys/usage"), "fetch_api_key_usage", "api keys", "", "ApiKeyUsage"),
    ("post", p!("/end_user_api_keys/validate"), "validate_api_key", "api keys", "ValidateApiKey", "ApiKeyValidation"),
    ("post", p!("/end_user_api_keys/validate_imported"), "validate_imported_api_key", "api keys", "ValidateApiKey", "ApiKeyValidation"),
    ("post", p!("/end_user_api_keys/import"), "import_api_key", "api keys", "ImportApiKey", "ImportedApiKey"),
    ("get", p!("/end_user_api_keys"), "fetch_current_api_keys", "api keys", "", "ApiKeysPage"),
    ("post", p!("/end_user_api_keys"), "create_api_key", "api keys", "CreateApiKey", "ApiKeyNew"),
    ("get", p!("/end_user_api_keys/{api_key_id}"), "fetch_api_key", "api keys", "", "ApiKeyFull"),
    ("patch", p!("/end_user_api_keys/{api_key_id}"), "update_api_key", "api keys", "UpdateApiKey", "Empty"),
    ("delete", p!("/end_user_api_keys/{api_key_id}"), "delete_api_key", "api keys", "", "Empty"),
    ("post", p!("/mfa/step-up/verify-totp"), "verify_step_up_totp_challenge", "not offered", "Any", "Any"),
    ("post", p!("/mfa/step-up/verify-grant"), "verify_step_up_grant", "not offered", "Any", "Any"),
    ("post", p!("/mfa/step-up/phone/send"), "send_sms_mfa_code", "not offered", "Any", "Any"),
    ("post", p!("/mfa/step-up/phone/verify"), "verify_sms_challenge", "not offered", "Any", "Any"),
    ("get", p!("/user_report/{report}"), "fetch_user_report", "not offered", "", "Any"),
    ("get", p!("/org_report/{report}"), "fetch_org_report", "not offered", "", "Any"),
    ("get", p!("/chart_metrics/{metric}"), "fetch_chart_metric_data", "not offered", "", "Any"),
];

fn obj(props: &[(&str, Value)]) -> Value {
    let mut p = Map::new();
    for (k, v) in props {
        p.insert((*k).to_string(), v.clone());
    }
    json!({ "type": "object", "properties": p })
}

/// `schema` with these properties required (as the server requires them).
fn req(mut schema: Value, names: &[&str]) -> Value {
    schema["required"] = json!(names);
    schema
}
/// No text field may hold a NUL character (the server answers 400: `web::nul_guard`).
const NO_NUL: &str = "^[^\\u0000]*$";

/// A string that may not be empty.
fn s1() -> Value {
    json!({ "type": "string", "minLength": 1, "pattern": NO_NUL })
}
fn email() -> Value {
    json!({ "type": "string", "format": "email", "minLength": 3, "maxLength": 254, "pattern": NO_NUL })
}
fn s() -> Value {
    json!({ "type": "string", "pattern": NO_NUL })
}
fn ns() -> Value {
    json!({ "type": ["string", "null"], "pattern": NO_NUL })
}
fn b() -> Value {
    json!({ "type": "boolean" })
}
fn i() -> Value {
    json!({ "type": "integer" })
}
/// A new password: the policy's length bounds (the policy also refuses common, repetitive and
/// personal passwords, which a schema cannot say: those answer 400 with the reason).
fn password() -> Value {
    json!({ "type": "string", "minLength": 8, "maxLength": MAX_PASSWORD_LEN, "pattern": NO_NUL })
}
fn o() -> Value {
    json!({ "type": "object" })
}
fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}
fn arr(v: Value) -> Value {
    json!({ "type": "array", "items": v })
}
/// A whole number from `min` to `max` (bodies accept `5` and `5.0`; see `backend_api::wire::whole`).
fn int(min: i64, max: i64) -> Value {
    json!({ "type": "integer", "minimum": min, "maximum": max })
}
/// Any whole number a body may carry (±(2^53 − 1), I-JSON).
fn whole() -> Value {
    int(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
}

/// A request body: the server reads `null` as "not given" for every optional field except
/// those in `not_null` (plain booleans and lists with a default), so the schema says so.
fn body(mut schema: Value, not_null: &[&str]) -> Value {
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, prop) in props.iter_mut() {
            if required.contains(name) || not_null.contains(&name.as_str()) {
                continue;
            }
            if let Some(t) = prop.get("type").and_then(Value::as_str).map(str::to_string) {
                prop["type"] = json!([t, "null"]);
            }
        }
    }
    schema
}

fn page(key: &str, total: &str, item: &str) -> Value {
    obj(&[(key, arr(r(item))), (total, i()), ("current_page", i()), ("page_size", i()), ("has_more_results", b())])
}

fn schemas() -> Value {
    let user = obj(&[
        ("user_id", s()),
        ("email", s()),
        ("email_confirmed", b()),
        ("has_password", b()),
        ("username", ns()),
        ("first_name", ns()),
        ("last_name", ns()),
        ("picture_url", ns()),
        ("locked", b()),
        ("enabled", b()),
        ("mfa_enabled", b()),
        ("can_create_orgs", b()),
        ("created_at", i()),
        ("last_active_at", i()),
        ("org_id_to_org_info", json!({ "type": ["object", "null"], "additionalProperties": r("OrgMemberInfo") })),
        ("legacy_user_id", ns()),
        ("impersonator_user_id", ns()),
        ("metadata", o()),
        ("properties", o()),
        ("update_password_required", b()),
    ]);
    let member = obj(&[
        ("org_id", s()),
        ("org_name", s()),
        ("url_safe_org_name", s()),
        ("org_metadata", o()),
        ("user_role", s()),
        ("inherited_user_roles_plus_current_role", arr(s())),
        ("user_permissions", arr(s())),
        ("org_role_structure", s()),
        ("additional_roles", arr(s())),
        ("legacy_org_id", ns()),
    ]);
    let key = obj(&[
        ("api_key_id", s()),
        ("created_at", i()),
        ("expires_at_seconds", json!({ "type": ["integer", "null"] })),
        ("metadata", o()),
        ("user_id", ns()),
        ("org_id", ns()),
        ("display_name", ns()),
    ]);
    // A key belongs to a user, an org, or both.
    // A key belongs to a user, an org, or both: at least one of the two is a non-empty string.
    let owner = json!([
        { "required": ["user_id"], "properties": { "user_id": s1() } },
        { "required": ["org_id"], "properties": { "org_id": s1() } },
    ]);
    let mut create_key =
        body(obj(&[("org_id", s()), ("user_id", s()), ("expires_at_seconds", whole()), ("metadata", o()), ("display_name", s())]), &[]);
    create_key["anyOf"] = owner.clone();
    let mut import_key = body(
        req(
            obj(&[
                ("imported_api_key", json!({ "type": "string", "minLength": 16, "maxLength": 512, "pattern": NO_NUL })),
                ("org_id", s()),
                ("user_id", s()),
                ("expires_at_seconds", whole()),
                ("metadata", o()),
                ("display_name", s()),
            ]),
            &["imported_api_key"],
        ),
        &[],
    );
    import_key["anyOf"] = owner;
    let membership = body(
        req(obj(&[("user_id", s1()), ("org_id", s1()), ("role", s1()), ("additional_roles", arr(s()))]), &["user_id", "org_id", "role"]),
        &["additional_roles"],
    );
    let mut all = Map::new();
    if let Value::Object(m) = json!({
        "Any": {},
        "Empty": { "type": "object", "maxProperties": 0 },
        "Error": { "type": "object", "description": "Field errors `{\"<field>\": [\"message\"]}`, or `error_code` + `user_facing_error` (+ `wait_seconds` on 429)",
                   "additionalProperties": true },
        "TokenVerificationMetadata": obj(&[("verifier_key_pem", s()), ("issuer", s())]),
        "UserMetadata": user,
        "UserMetadataList": arr(r("UserMetadata")),
        "OrgMemberInfo": member,
        "UsersPage": page("users", "total_users", "UserMetadata"),
        "BatchUserIds": req(obj(&[("user_ids", arr(s()))]), &["user_ids"]),
        "BatchEmails": req(obj(&[("emails", arr(s()))]), &["emails"]),
        "BatchUsernames": req(obj(&[("usernames", arr(s()))]), &["usernames"]),
    }) {
        all.extend(m);
    }
    if let Value::Object(m) = json!({
        "CreateUser": body(req(obj(&[("email", email()), ("email_confirmed", b()), ("send_email_to_confirm_email_address", b()),
            ("ask_user_to_update_password_on_login", b()), ("password", password()), ("username", s()), ("first_name", s()),
            ("last_name", s()), ("properties", o()), ("ignore_domain_restrictions", b())]), &["email"]),
            &["email_confirmed", "send_email_to_confirm_email_address", "ask_user_to_update_password_on_login", "ignore_domain_restrictions"]),
        "CreatedUser": obj(&[("user_id", s())]),
        "UpdateUserMetadata": body(obj(&[("username", s()), ("first_name", s()), ("last_name", s()), ("metadata", o()),
            ("properties", o()), ("picture_url", s()), ("update_password_required", b()), ("legacy_user_id", s())]), &[]),
        "UpdateUserEmail": body(req(obj(&[("new_email", email()), ("require_email_confirmation", b())]), &["new_email"]), &["require_email_confirmation"]),
        "UpdateUserPassword": body(req(obj(&[("password", password()), ("ask_user_to_update_password_on_login", b())]), &["password"]), &["ask_user_to_update_password_on_login"]),
        "SignupQueryParameters": obj(&[("user_signup_query_parameters", o())]),
        "MfaMethods": obj(&[("mfa_setup", json!({ "type": ["object", "null"] }))]),
        "UserId": req(obj(&[("user_id", s1())]), &["user_id"]),
        "InviteUser": body(req(obj(&[("email", email()), ("org_id", s1()), ("role", s1()), ("additional_roles", arr(s()))]), &["email", "org_id", "role"]), &["additional_roles"]),
    }) {
        all.extend(m);
    }
    if let Value::Object(m) = json!({
        "InviteUserById": membership.clone(),
        "OrgMembership": membership,
        "Organization": obj(&[("org_id", s()), ("name", s()), ("url_safe_org_slug", s()), ("can_setup_saml", b()),
            ("is_saml_configured", b()), ("is_saml_in_test_mode", b()), ("max_users", json!({ "type": ["integer", "null"] })),
            ("metadata", o()), ("domain", ns()), ("extra_domains", arr(s())), ("domain_autojoin", b()), ("domain_restrict", b()),
            ("custom_role_mapping_name", ns()), ("legacy_org_id", ns())]),
        "Org": obj(&[("org_id", s()), ("name", s()), ("max_users", json!({ "type": ["integer", "null"] })), ("is_saml_configured", b()),
            ("legacy_org_id", ns()), ("metadata", o()), ("custom_role_mapping_name", ns()), ("created_at", i())]),
        "OrgsPage": page("orgs", "total_orgs", "Org"),
        "CreateOrg": body(req(obj(&[("name", json!({ "type": "string", "minLength": 1, "maxLength": 100, "pattern": NO_NUL })), ("enable_auto_joining_by_domain", b()), ("members_must_have_matching_domain", b()),
            ("domain", s()), ("max_users", int(1, MAX_SAFE_INTEGER)), ("legacy_org_id", s()), ("custom_role_mapping_name", s())]), &["name"]),
            &["enable_auto_joining_by_domain", "members_must_have_matching_domain"]),
        "CreatedOrg": obj(&[("org_id", s()), ("name", s())]),
    }) {
        all.extend(m);
    }
    if let Value::Object(m) = json!({
        "UpdateOrg": body(obj(&[("name", s()), ("can_setup_saml", b()), ("metadata", o()), ("max_users", int(1, MAX_SAFE_INTEGER)), ("autojoin_by_domain", b()),
            ("restrict_to_domain", b()), ("domain", s()), ("require_2fa_by", s()), ("extra_domains", arr(s())),
            ("custom_role_mapping_name", s())]), &[]),
        "CustomRoleMappings": obj(&[("custom_role_mappings", arr(obj(&[("custom_role_mapping_name", s()), ("num_orgs_subscribed", i())])))]),
        "PendingInvite": obj(&[("invitee_email", s()), ("org_id", s()), ("org_name", s()), ("role_in_org", s()),
            ("additional_roles_in_org", arr(s())), ("created_at", i()), ("expires_at", i()), ("inviter_email", ns()), ("inviter_user_id", ns())]),
        "InvitesPage": page("invites", "total_invites", "PendingInvite"),
        "RevokeInvite": req(obj(&[("org_id", s1()), ("invitee_email", email())]), &["org_id", "invitee_email"]),
        "CreateMagicLink": body(req(obj(&[("email", email()), ("redirect_to_url", s()), ("expires_in_hours", int(1, MAX_MAGIC_LINK_HOURS)),
            ("create_new_user_if_one_doesnt_exist", b()), ("user_signup_query_parameters", o()), ("expire_after_first_use", b()),
            ("requires_interstitial", b())]), &["email"]), &[]),
        "MagicLink": obj(&[("url", s())]),
    }) {
        all.extend(m);
    }
    if let Value::Object(m) = json!({
        "CreateAccessToken": body(req(obj(&[("user_id", s1()), ("duration_in_minutes", int(1, MAX_DURATION_MINUTES)), ("active_org_id", s())]), &["user_id", "duration_in_minutes"]), &[]),
        "AccessToken": obj(&[("access_token", s())]),
        "MigrateUser": body(req(obj(&[("email", email()), ("email_confirmed", b()), ("existing_user_id", s()), ("existing_password_hash", s()),
            ("existing_mfa_base32_encoded_secret", s()), ("update_password_required", b()), ("enabled", b()),
            ("first_name", s()), ("last_name", s()), ("username", s()), ("picture_url", s()), ("properties", o())]), &["email"]),
            &["email_confirmed", "update_password_required"]),
        "MigratePassword": req(obj(&[("user_id", s1()), ("password_hash", json!({ "type": "string", "pattern": "^\\$(2[aby]|argon2(id|i|d))\\$" }))]), &["user_id", "password_hash"]),
        "ApiKeyFull": key,
        "ApiKeysPage": page("api_keys", "total_api_keys", "ApiKeyFull"),
        "ApiKeyUsage": obj(&[("count", i())]),
        "ValidateApiKey": req(obj(&[("api_key_token", s1())]), &["api_key_token"]),
        "ApiKeyValidation": obj(&[("metadata", o()), ("user", json!({ "oneOf": [r("UserMetadata"), { "type": "null" }] })),
            ("org", json!({ "type": ["object", "null"] })), ("user_in_org", json!({ "oneOf": [r("OrgMemberInfo"), { "type": "null" }] }))]),
    }) {
        all.extend(m);
    }
    if let Value::Object(m) = json!({
        "CreateApiKey": create_key,
        "ImportApiKey": import_key,
        "ImportedApiKey": obj(&[("api_key_id", s())]),
        "ApiKeyNew": obj(&[("api_key_id", s()), ("api_key_token", s())]),
        "UpdateApiKey": body(obj(&[("expires_at_seconds", whole()), ("metadata", o()), ("set_to_never_expire", b())]), &[]),
    }) {
        all.extend(m);
    }
    Value::Object(all)
}

fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "pattern": NO_NUL } }))
        .collect()
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": r("Error") } } })
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, op_id, tag, body, ok) in OPS {
        let mut op = json!({
            "operationId": op_id,
            "summary": format!("propelauth-py `{op_id}`"),
            "tags": [tag],
            "parameters": path_params(path),
            "responses": {
                "200": { "description": "Success", "content": { "application/json": { "schema": r(ok) } } },
                "400": error_response("Invalid request (field errors), or a feature Gatehouse does not offer (`error_code: feature_gated`)"),
                "401": error_response("Missing, bad or revoked integration API key (or, with GATEHOUSE_BACKEND_API_CHECK_AUTH_URL, an X-Propelauth-url naming another host)"),
                "404": error_response("Not found"),
                "429": error_response("Rate limited; `wait_seconds` says for how long"),
            },
        });
        if *path != OPENAPI_PATH {
            op["security"] = json!([{ "integrationKey": [] }]);
        }
        if *tag == "not offered" {
            op["description"] = json!("Not offered by Gatehouse: always answers 400 with `error_code: feature_gated`.");
        }
        if *path == p!("/access_token") {
            op["responses"]["403"] = error_response("The user does not exist (`error_code: user_not_found`)");
        }
        if *path == p!("/end_user_api_keys/usage") {
            op["parameters"] = json!([{ "name": "date", "in": "query", "required": true,
                "schema": { "type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9])$" } }]);
        }
        if !body.is_empty() {
            // A body is required when its schema requires a field (the server answers `required`).
            let schema = &schemas()[*body];
            let required = schema.get("required").is_some() || schema.get("anyOf").is_some();
            op["requestBody"] = json!({ "required": required, "content": { "application/json": { "schema": r(body) } } });
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Gatehouse backend API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Wire-compatible with the PropelAuth backend API used by propelauth-py, propelauth-flask and propelauth-fastapi.",
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": { "integrationKey": { "type": "http", "scheme": "bearer", "description": "An integration API key (`gatehouse api-key create`)" } },
        },
    })
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// (method, full path) of every documented operation.
pub fn operations() -> Vec<(String, String)> {
    OPS.iter().map(|(m, p, ..)| (m.to_string(), p.to_string())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_and_every_operation_is_routed() {
        let mut routed: Vec<(String, String)> =
            super::super::routes().into_iter().map(|(m, p)| (m.as_str().to_ascii_lowercase(), p)).collect();
        let mut documented = operations();
        routed.sort();
        documented.sort();
        let missing: Vec<_> = routed.iter().filter(|r| !documented.contains(r)).collect();
        let extra: Vec<_> = documented.iter().filter(|d| !routed.contains(d)).collect();
        assert!(missing.is_empty(), "routes missing from openapi.json: {missing:?}");
        assert!(extra.is_empty(), "openapi.json documents routes the router lacks: {extra:?}");
        assert_eq!(routed.len(), documented.len(), "duplicate entries");
    }

    #[test]
    fn every_schema_reference_resolves() {
        let doc = document();
        let text = doc.to_string();
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(doc["components"]["schemas"].get(&name).is_some(), "unresolved schema {name}");
        }
        assert!(
            doc["paths"]
                .as_object()
                .is_some_and(|p| p.keys().all(|k| k.starts_with(super::super::BACKEND_PREFIX) || k.starts_with("/api/v1/")))
        );
    }
}
