//! Copy-paste set-up snippets for one OAuth client, filled with its own values (issuer,
//! client id, first redirect URI, and the secret when it was just created or rotated).
//! Built here, not in a template, so the exact text is unit-tested.

use crate::store::ClientRow;

/// One snippet: a stable id (for the page's copy button), a title, a short note and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub id: &'static str,
    pub title: &'static str,
    pub note: String,
    pub text: String,
}

/// Shown in place of the secret when it is not on screen (it is stored only as a hash).
pub const SECRET_PLACEHOLDER: &str = "<client secret: shown once at creation; rotate it to get a new one>";
const API_KEY_PLACEHOLDER: &str = "<integration API key from Admin > API keys>";
const COOKIE_SECRET_PLACEHOLDER: &str = "<paste the output of: openssl rand -hex 32>";

/// The values a snippet needs.
pub struct SnippetInput<'a> {
    pub issuer: &'a str,
    pub client: &'a ClientRow,
    /// The plain secret, only right after it was created or rotated.
    pub secret: Option<&'a str>,
}

/// A double-quoted string that is valid TOML, Python and JSON alike.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The first registered redirect URI, without a trailing `?*` pattern.
pub fn first_redirect_uri(client: &ClientRow) -> String {
    let uris = client.redirect_uri_list();
    let first = uris.first().map(String::as_str).unwrap_or("https://app.example.com/oauth2callback");
    first.strip_suffix("?*").unwrap_or(first).to_string()
}

pub fn metadata_url(issuer: &str) -> String {
    format!("{issuer}/.well-known/openid-configuration")
}

pub fn build(input: &SnippetInput<'_>) -> Vec<Snippet> {
    vec![streamlit(input), authlib(input), generic(input), backend_api(input)]
}

fn streamlit(input: &SnippetInput<'_>) -> Snippet {
    let c = input.client;
    let redirect = quoted(&first_redirect_uri(c));
    let metadata = quoted(&metadata_url(input.issuer));
    let id = quoted(&c.id);
    let cookie = quoted(COOKIE_SECRET_PLACEHOLDER);
    let (text, note) = if c.is_public {
        (
            format!(
                "[auth]\nredirect_uri = {redirect}\ncookie_secret = {cookie}\n\n[auth.gatehouse]\nclient_id = {id}\nclient_secret = \"\"\nserver_metadata_url = {metadata}\n"
            ),
            "Save as .streamlit/secrets.toml. A public client has no secret, so it is a named provider: log in with st.login(\"gatehouse\"). Make the cookie secret with openssl rand -hex 32.".to_string(),
        )
    } else {
        let secret = quoted(input.secret.unwrap_or(SECRET_PLACEHOLDER));
        (
            format!(
                "[auth]\nredirect_uri = {redirect}\ncookie_secret = {cookie}\nclient_id = {id}\nclient_secret = {secret}\nserver_metadata_url = {metadata}\n"
            ),
            "Save as .streamlit/secrets.toml and log in with st.login(). Make the cookie secret with openssl rand -hex 32.".to_string(),
        )
    };
    Snippet { id: "snippet-streamlit", title: "Streamlit", note, text }
}

fn authlib(input: &SnippetInput<'_>) -> Snippet {
    let c = input.client;
    let mut text = String::from(
        "from authlib.integrations.starlette_client import OAuth\n\noauth = OAuth()\noauth.register(\n    name=\"gatehouse\",\n",
    );
    text.push_str(&format!("    server_metadata_url={},\n", quoted(&metadata_url(input.issuer))));
    text.push_str(&format!("    client_id={},\n", quoted(&c.id)));
    if c.is_public {
        text.push_str(
            "    client_kwargs={\n        \"scope\": \"openid email profile\",\n        \"code_challenge_method\": \"S256\",\n        \"token_endpoint_auth_method\": \"none\",\n    },\n)\n",
        );
    } else {
        text.push_str(&format!("    client_secret={},\n", quoted(input.secret.unwrap_or(SECRET_PLACEHOLDER))));
        text.push_str("    client_kwargs={\"scope\": \"openid email profile\"},\n)\n");
    }
    let note = format!(
        "Gradio or FastAPI with authlib (pip install authlib httpx itsdangerous) and Starlette's SessionMiddleware; the callback route must be served at {}.",
        first_redirect_uri(c)
    );
    Snippet { id: "snippet-authlib", title: "Gradio / FastAPI (authlib)", note, text }
}

fn generic(input: &SnippetInput<'_>) -> Snippet {
    let c = input.client;
    let mut text = format!("Issuer:        {}\nMetadata URL:  {}\nClient ID:     {}\n", input.issuer, metadata_url(input.issuer), c.id);
    if c.is_public {
        text.push_str("Client secret: none (public client; PKCE with S256 is required)\n");
    } else {
        text.push_str(&format!("Client secret: {}\n", input.secret.unwrap_or(SECRET_PLACEHOLDER)));
    }
    text.push_str(&format!("Redirect URI:  {}\nScopes:        openid email profile\n", first_redirect_uri(c)));
    Snippet {
        id: "snippet-oidc",
        title: "Any OpenID Connect client",
        note: "Most libraries need only the metadata URL, the client id and secret, and the redirect URI.".into(),
        text,
    }
}

fn backend_api(input: &SnippetInput<'_>) -> Snippet {
    let text = format!(
        "from propelauth_py import init_base_auth\n\nauth = init_base_auth({}, {})\n",
        quoted(input.issuer),
        quoted(API_KEY_PLACEHOLDER)
    );
    Snippet {
        id: "snippet-backend",
        title: "Backend API (propelauth_py)",
        note: "For your app's server: validate access tokens and call the backend API. It takes an integration API key (Admin > API keys), not this client's secret.".into(),
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(public: bool) -> ClientRow {
        ClientRow {
            id: "abc123".into(),
            name: "Demo".into(),
            secret_hash: (!public).then(|| "hash".into()),
            is_public: public,
            require_consent: false,
            allow_dev_http: false,
            redirect_uris: r#"["https://app.example.com/cb?*","http://localhost:8501/oauth2callback"]"#.into(),
            post_logout_redirect_uris: "[]".into(),
            created_at: 0,
            enabled: true,
            grant_types: "[]".into(),
            access_token_ttl: None,
            refresh_token_ttl: None,
            previous_secret_hash: None,
            previous_secret_expires_at: None,
            updated_at: None,
            client_credentials_scopes: String::new(),
        }
    }

    #[test]
    fn streamlit_secrets_with_the_secret_just_created() {
        let c = client(false);
        let s = build(&SnippetInput { issuer: "https://id.example.com", client: &c, secret: Some("s3cr\"t") });
        assert_eq!(s.iter().map(|s| s.id).collect::<Vec<_>>(), ["snippet-streamlit", "snippet-authlib", "snippet-oidc", "snippet-backend"]);
        assert_eq!(
            s[0].text,
            "[auth]\nredirect_uri = \"https://app.example.com/cb\"\ncookie_secret = \"<paste the output of: openssl rand -hex 32>\"\n\
             client_id = \"abc123\"\nclient_secret = \"s3cr\\\"t\"\n\
             server_metadata_url = \"https://id.example.com/.well-known/openid-configuration\"\n"
        );
    }

    #[test]
    fn authlib_generic_and_backend_snippets() {
        let c = client(false);
        let s = build(&SnippetInput { issuer: "https://id.example.com", client: &c, secret: None });
        assert!(s[0].text.contains(&format!("client_secret = \"{SECRET_PLACEHOLDER}\"")));
        assert_eq!(
            s[1].text,
            "from authlib.integrations.starlette_client import OAuth\n\noauth = OAuth()\noauth.register(\n    name=\"gatehouse\",\n    \
             server_metadata_url=\"https://id.example.com/.well-known/openid-configuration\",\n    client_id=\"abc123\",\n    \
             client_secret=\"<client secret: shown once at creation; rotate it to get a new one>\",\n    \
             client_kwargs={\"scope\": \"openid email profile\"},\n)\n"
        );
        assert!(s[2].text.starts_with("Issuer:        https://id.example.com\nMetadata URL:  https://id.example.com/.well-known/openid-configuration\nClient ID:     abc123\n"));
        assert!(s[2].text.contains("Redirect URI:  https://app.example.com/cb\n"));
        assert_eq!(
            s[3].text,
            "from propelauth_py import init_base_auth\n\nauth = init_base_auth(\"https://id.example.com\", \"<integration API key from Admin > API keys>\")\n"
        );
    }

    #[test]
    fn public_clients_get_pkce_and_no_secret() {
        let c = client(true);
        let s = build(&SnippetInput { issuer: "https://id.example.com", client: &c, secret: None });
        assert!(s[0].text.contains("[auth.gatehouse]\nclient_id = \"abc123\"\nclient_secret = \"\"\n"));
        assert!(s[0].note.contains("st.login(\"gatehouse\")"));
        assert!(s[1].text.contains("\"code_challenge_method\": \"S256\"") && !s[1].text.contains("client_secret"));
        assert!(s[2].text.contains("PKCE") && !s[2].text.contains(SECRET_PLACEHOLDER));
    }
}
