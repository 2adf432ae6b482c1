//! Parsing urlencoded parameters into an ordered list, keeping repeats visible so the
//! protocol layer can refuse them (RFC 6749 §3.1).

use actix_web::HttpRequest;
use actix_web::http::header;

pub type Params = Vec<(String, String)>;

pub fn parse(bytes: &[u8]) -> Option<Params> {
    serde_urlencoded::from_bytes::<Params>(bytes).ok()
}

pub fn query(req: &HttpRequest) -> Option<Params> {
    parse(req.query_string().as_bytes())
}

pub fn get<'a>(params: &'a Params, key: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

pub fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
}

/// `Authorization: Basic` credentials, each part form-decoded (RFC 6749 §2.3.1).
pub fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, ()> {
    use base64::Engine;
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?;
    let Some((scheme, rest)) = value.split_once(' ') else {
        return Err(());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).map_err(|_| ())?;
    let text = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = text.split_once(':').ok_or(())?;
    let decode = |s: &str| -> Result<String, ()> {
        let pairs: Params = serde_urlencoded::from_str(&format!("v={}", s.replace('&', "%26").replace('=', "%3D"))).map_err(|_| ())?;
        Ok(pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default())
    };
    Ok(Some((decode(id)?, decode(secret)?)))
}

/// `Authorization: Bearer <token>`.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_string())
}
