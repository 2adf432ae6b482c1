//! OAuth client registration, redirect URI rules (contract §8) and client authentication.

use super::error::OAuthError;
use super::registration;
use crate::clock::Clock;
use crate::crypto;
use crate::store::{ClientRow, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct NewClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub public: bool,
    pub require_consent: bool,
    /// Development clients may use plain http:// on any host.
    pub dev: bool,
    /// Scopes the client may ask for with the client_credentials grant (none by default).
    pub client_credentials_scopes: Vec<String>,
}

pub struct CreatedClient {
    pub client_id: String,
    /// Shown once; `None` for public clients.
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for CreatedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedClient").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// Checks one URI a client wants to register. A trailing `?*` means "any query".
pub fn validate_registered_uri(uri: &str, dev: bool) -> Result<(), String> {
    let base = uri.strip_suffix("?*").unwrap_or(uri);
    if base.contains('*') {
        return Err(format!("`{uri}`: the only wildcard allowed is a trailing `?*`"));
    }
    let parsed = url::Url::parse(base).map_err(|e| format!("`{uri}` is not an absolute URL: {e}"))?;
    if parsed.fragment().is_some() || base.contains('#') {
        return Err(format!("`{uri}` must not contain a fragment"));
    }
    if uri.ends_with("?*") && parsed.query().is_some() {
        return Err(format!("`{uri}`: a `?*` pattern must not also have a query"));
    }
    if let Some(param) = injected_response_param(base) {
        return Err(format!("`{uri}`: the query must not contain `{param}`, which the server adds to the redirect"));
    }
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let host = parsed.host_str().unwrap_or_default();
            if !dev && !is_loopback(host) {
                return Err(format!(
                    "`{uri}`: http:// is only allowed for localhost, 127.0.0.1 and [::1]; use https, or register the client with --dev"
                ));
            }
        }
        "javascript" | "data" | "file" | "vbscript" => return Err(format!("`{uri}`: scheme not allowed")),
        // RFC 8252 §7.1: a native app's private-use scheme is a reverse domain name
        // (`com.example.app:/cb`). Anything else (`localhost:8501/cb` parses with the scheme
        // `localhost`) is a web URI missing its `http://`, and could never be redirected to.
        scheme if !scheme.contains('.') => {
            return Err(format!(
                "`{uri}` has no http:// or https:// scheme (`{scheme}:` is not one; did you mean `http://{uri}`?). \
                 Web apps need an http(s) URI; a native app may use a private-use scheme in reverse-domain form \
                 such as `com.example.app:/callback` (RFC 8252)"
            ));
        }
        _ => {} // private-use schemes for native apps
    }
    Ok(())
}

/// Parameters the authorization server itself puts on the redirect (RFC 6749 §4.1.2, RFC 9207,
/// OIDC Core §3.2.2.5): a redirect URI that already carries one would let the requester plant
/// its own values ahead of the real ones.
pub const RESPONSE_PARAMS: [&str; 8] = ["code", "state", "iss", "error", "error_description", "error_uri", "id_token", "access_token"];

/// The first response parameter (decoded name) found in the URI's query, if any.
pub fn injected_response_param(uri: &str) -> Option<String> {
    let query = uri.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    url::form_urlencoded::parse(query.as_bytes()).map(|(k, _)| k.into_owned()).find(|k| RESPONSE_PARAMS.contains(&k.as_str()))
}

/// Exact string match, or a registered `…?*` pattern matching that path with any query that
/// carries none of the [`RESPONSE_PARAMS`].
pub fn redirect_uri_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    match registered.strip_suffix("?*") {
        Some(base) => match requested.strip_prefix(base) {
            Some("") => true,
            Some(rest) => rest.starts_with('?') && !rest.contains('#') && injected_response_param(rest).is_none(),
            None => false,
        },
        None => false,
    }
}

/// Registers a client with the default grant types and the instance's token lifetimes (the
/// admin service, `crate::admin::clients`, takes every setting and audits).
pub async fn create(store: &Store, clock: &Clock, input: NewClient) -> Result<CreatedClient, ClientError> {
    let input = registration::ClientInput {
        grant_types: registration::default_grant_types(input.public),
        name: input.name,
        redirect_uris: input.redirect_uris,
        post_logout_redirect_uris: input.post_logout_redirect_uris,
        public: input.public,
        dev: input.dev,
        require_consent: input.require_consent,
        client_credentials_scopes: input.client_credentials_scopes,
        ..Default::default()
    };
    let unbounded = registration::Lifetimes { access_default: 0, access_max: i64::MAX, refresh_default: 0 };
    let valid = registration::validate(&input, unbounded).map_err(|e| ClientError::Invalid(e.to_string()))?;
    let (row, secret) = registration::new_row(&valid, clock.now());
    store.insert_client(&row).await?;
    Ok(CreatedClient { client_id: row.id, client_secret: secret })
}

impl ClientRow {
    pub fn redirect_uri_list(&self) -> Vec<String> {
        serde_json::from_str(&self.redirect_uris).unwrap_or_default()
    }

    pub fn post_logout_uri_list(&self) -> Vec<String> {
        serde_json::from_str(&self.post_logout_redirect_uris).unwrap_or_default()
    }

    /// Whether the client_credentials grant may carry `scope`.
    pub fn allows_client_scope(&self, scope: &str) -> bool {
        super::scope::has(&self.client_credentials_scopes, scope)
    }

    pub fn grant_type_list(&self) -> Vec<String> {
        serde_json::from_str(&self.grant_types).unwrap_or_default()
    }

    /// Whether the admin allowed this client `grant_type`.
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_type_list().iter().any(|g| g == grant_type)
    }

    /// This client's access-token lifetime, never beyond the instance's longest JWT
    /// lifetime (how long a retired signing key stays published).
    pub fn access_ttl(&self, l: &crate::lifetimes::Lifetimes) -> i64 {
        self.access_token_ttl.map_or(l.access_token, |t| t.min(l.max_jwt()))
    }

    pub fn refresh_ttl(&self, l: &crate::lifetimes::Lifetimes) -> i64 {
        self.refresh_token_ttl.unwrap_or(l.refresh_token)
    }

    /// The current secret, or the previous one while its grace period lasts.
    fn secret_matches(&self, secret: &str, now: i64) -> bool {
        let presented = crypto::sha256_hex(secret);
        let current = self.secret_hash.as_deref().is_some_and(|h| crypto::constant_time_eq(presented.as_bytes(), h.as_bytes()));
        let previous = match (&self.previous_secret_hash, self.previous_secret_expires_at) {
            (Some(h), Some(until)) if until > now => crypto::constant_time_eq(presented.as_bytes(), h.as_bytes()),
            _ => false,
        };
        current | previous
    }

    pub fn accepts_redirect_uri(&self, requested: &str) -> bool {
        self.redirect_uri_list().iter().any(|r| redirect_uri_matches(r, requested))
    }

    /// Registered post-logout URIs plus the client's redirect URIs (Streamlit sends its
    /// callback URI), all by exact match: RP-Initiated Logout §3 allows no patterns, so a
    /// `?*` redirect pattern never admits a post-logout URI.
    pub fn accepts_post_logout_uri(&self, requested: &str) -> bool {
        let redirects = self.redirect_uri_list();
        let exact_redirects = redirects.iter().filter(|r| !r.ends_with("?*"));
        self.post_logout_uri_list().iter().chain(exact_redirects).any(|r| r == requested)
    }
}

/// Credentials a client presented at the token, revocation or introspection endpoint.
#[derive(Default)]
pub struct PresentedCredentials {
    /// From `Authorization: Basic`, already split and form-decoded.
    pub basic: Option<(String, String)>,
    pub body_client_id: Option<String>,
    pub body_client_secret: Option<String>,
}

impl std::fmt::Debug for PresentedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresentedCredentials").field("client_id", &self.body_client_id).finish_non_exhaustive()
    }
}

/// The outcome of client authentication; `used_basic` drives the 401 + WWW-Authenticate.
pub struct AuthenticatedClient {
    pub client: ClientRow,
    pub method: &'static str,
}

#[derive(Debug)]
pub struct ClientAuthError {
    pub error: OAuthError,
    pub used_basic: bool,
}

/// client_secret_basic, client_secret_post or none (public clients only). After a rotation
/// the previous secret is accepted until its grace period ends; a disabled client is refused.
pub async fn authenticate(store: &Store, clock: &Clock, creds: &PresentedCredentials) -> Result<AuthenticatedClient, ClientAuthError> {
    let used_basic = creds.basic.is_some();
    let fail = |msg: &str| ClientAuthError { error: OAuthError::invalid_client(msg), used_basic };
    if creds.basic.is_some() && creds.body_client_secret.is_some() {
        return Err(ClientAuthError {
            error: OAuthError::invalid_request("use one client authentication method, not several"),
            used_basic,
        });
    }
    let (client_id, secret, method) = match (&creds.basic, &creds.body_client_id, &creds.body_client_secret) {
        (Some((id, secret)), body_id, _) => {
            if body_id.as_ref().is_some_and(|b| b != id) {
                return Err(fail("client_id in the body differs from the authenticated client"));
            }
            (id.clone(), Some(secret.clone()), "client_secret_basic")
        }
        (None, Some(id), Some(secret)) => (id.clone(), Some(secret.clone()), "client_secret_post"),
        (None, Some(id), None) => (id.clone(), None, "none"),
        (None, None, _) => return Err(fail("client authentication is required")),
    };
    let client = match store.client_for_request(&client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return Err(fail("unknown client or bad credentials")),
        Err(e) => return Err(ClientAuthError { error: OAuthError::server(&e), used_basic }),
    };
    let authenticated = match (&client.secret_hash, secret) {
        (Some(_), Some(secret)) => {
            if client.secret_matches(&secret, clock.now()) {
                Ok(AuthenticatedClient { client, method })
            } else {
                Err(fail("unknown client or bad credentials"))
            }
        }
        (Some(_), None) => Err(fail("this client must authenticate with its secret")),
        (None, None) => Ok(AuthenticatedClient { client, method: "none" }),
        (None, Some(_)) => Err(fail("this is a public client; it has no secret")),
    }?;
    if !authenticated.client.enabled {
        return Err(fail("this client is disabled"));
    }
    Ok(authenticated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules() {
        assert!(validate_registered_uri("https://app.example.com/cb", false).is_ok());
        assert!(validate_registered_uri("http://localhost:8501/oauth2callback", false).is_ok());
        assert!(validate_registered_uri("http://127.0.0.1/cb", false).is_ok());
        assert!(validate_registered_uri("http://[::1]:3000/cb", false).is_ok());
        assert!(validate_registered_uri("http://app.example.com/cb", false).is_err());
        assert!(validate_registered_uri("http://app.example.com/cb", true).is_ok());
        assert!(validate_registered_uri("https://app.example.com/cb#x", false).is_err());
        assert!(validate_registered_uri("https://*.example.com/cb", false).is_err());
        assert!(validate_registered_uri("https://app.example.com/login/callback?*", false).is_ok());
        assert!(validate_registered_uri("javascript:alert(1)", true).is_err());
        assert!(validate_registered_uri("/relative", false).is_err());
        let typo = validate_registered_uri("localhost:8501/cb", false).expect_err("no scheme");
        assert!(typo.contains("http://localhost:8501/cb") && typo.contains("RFC 8252"), "{typo}");
        assert!(validate_registered_uri("myapp:/cb", false).is_err());
        assert!(validate_registered_uri("com.example.app:/callback", false).is_ok());
    }

    #[test]
    fn matching_is_exact_except_for_query_patterns() {
        assert!(redirect_uri_matches("https://a.com/cb", "https://a.com/cb"));
        assert!(!redirect_uri_matches("https://a.com/cb", "https://a.com/cb/"));
        assert!(!redirect_uri_matches("https://a.com/cb", "https://a.com/cb?x=1"));
        assert!(!redirect_uri_matches("https://a.com/cb", "HTTPS://a.com/cb"));
        let pattern = "https://a.com/login/callback?*";
        assert!(redirect_uri_matches(pattern, "https://a.com/login/callback"));
        assert!(redirect_uri_matches(pattern, "https://a.com/login/callback?_target_url=%2F%3Fx%3D1"));
        assert!(!redirect_uri_matches(pattern, "https://a.com/login/callbackevil"));
        assert!(!redirect_uri_matches(pattern, "https://a.com/login/callback/x?y"));
        assert!(!redirect_uri_matches(pattern, "https://a.com/login/callback?x#frag"));
    }

    #[test]
    fn query_patterns_refuse_response_parameters() {
        let pattern = "https://a.com/g?*";
        for name in RESPONSE_PARAMS {
            assert!(!redirect_uri_matches(pattern, &format!("https://a.com/g?{name}=ATTACKER")), "{name}");
            assert!(!redirect_uri_matches(pattern, &format!("https://a.com/g?x=1&{name}")), "{name}");
        }
        assert!(!redirect_uri_matches(pattern, "https://a.com/g?c%6Fde=ATTACKER"), "percent-encoded names are decoded");
        assert!(redirect_uri_matches(pattern, "https://a.com/g?codes=1&x_state=2"), "only exact names");
        assert!(validate_registered_uri("https://a.com/cb?state=1", false).is_err());
    }
}
