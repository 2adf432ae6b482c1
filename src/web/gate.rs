//! Typed gates for the hosted pages and the admin dashboard, in the spirit of the backend
//! API's `IntegrationKey`: a handler that takes `SignedIn`, `Recent`, `Admin`, `RecentAdmin`
//! or `CsrfForm<T>` cannot run without the check having passed, so a forgotten check does
//! not compile. Each rejection is the page a person should see: the login page (and back),
//! a "confirm it's you" step, a 403 page, or the "form expired" page.

use super::pages::hosted::{self, Look};
use super::{cookies, csrf, render};
use crate::admin_settings::AdminSettings;
use crate::auth::session::{self, Session};
use crate::state::AppState;
use crate::store::UserRow;
use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::{Method, StatusCode};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// How long a sign-in counts as recent for sensitive actions (secrets, deletes, admins,
/// security settings).
pub const RECENT_AUTH_SECONDS: i64 = 300;

/// Largest form body the gated forms accept.
const FORM_LIMIT: usize = 256 * 1024;

type Gate<T> = Pin<Box<dyn Future<Output = Result<T, actix_web::Error>>>>;

fn reject(res: HttpResponse) -> actix_web::Error {
    InternalError::from_response("page gate", res).into()
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, actix_web::Error> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| reject(super::pages::internal_error(&"no app state")))
}

/// Where to come back to after signing in: the page itself for GET, else nothing (a POST
/// cannot be replayed by a redirect).
fn return_path(req: &HttpRequest) -> Option<String> {
    (req.method() == Method::GET).then(|| match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    })
}

fn to_login(req: &HttpRequest) -> HttpResponse {
    let target = match return_path(req) {
        Some(back) => format!("/login?{}", serde_urlencoded::to_string([("return_to", back)]).unwrap_or_default()),
        None => "/login".to_string(),
    };
    render::redirect(&target, StatusCode::SEE_OTHER, Vec::new())
}

/// A signed-in user whose account is enabled. Signed out (or disabled): the login page,
/// then back to this page.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub session: Session,
    pub user: UserRow,
}

async fn signed_in(req: &HttpRequest, state: &AppState) -> Result<SignedIn, actix_web::Error> {
    let Some(value) = cookies::read(req, &state.settings, cookies::SESSION) else { return Err(reject(to_login(req))) };
    let session = match session::lookup(&state.store, &state.clock, &value).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(reject(to_login(req))),
        Err(e) => return Err(reject(super::pages::internal_error(&e))),
    };
    match state.store.user_by_id(&session.user_id).await {
        Ok(Some(user)) if user.enabled => Ok(SignedIn { session, user }),
        Ok(_) => Err(reject(to_login(req))),
        Err(e) => Err(reject(super::pages::internal_error(&e))),
    }
}

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = Gate<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            signed_in(&req, &state).await
        })
    }
}

impl SignedIn {
    /// True when the session signed in (or confirmed it) within `RECENT_AUTH_SECONDS`.
    pub fn is_recent(&self, now: i64) -> bool {
        now - self.session.auth_time <= RECENT_AUTH_SECONDS
    }
}

/// The "confirm it's you" step for a stale session: a redirect (GET) or a 403 page that
/// links to it (POST; the form is submitted again afterwards).
fn to_reauth(req: &HttpRequest, look: &Look) -> HttpResponse {
    let back = return_path(req).unwrap_or_else(|| {
        // A POST comes back to its page: the path without its last action segment.
        let p = req.path().trim_end_matches('/');
        p.rsplit_once('/').map(|(page, _)| page.to_string()).filter(|s| !s.is_empty()).unwrap_or_else(|| "/account".into())
    });
    let target = format!("/reauth?{}", serde_urlencoded::to_string([("return_to", back)]).unwrap_or_default());
    if req.method() == Method::GET {
        return render::redirect(&target, StatusCode::SEE_OTHER, Vec::new());
    }
    hosted::notice(
        StatusCode::FORBIDDEN,
        look,
        "Confirm it's you",
        "This action needs a recent sign-in. Confirm your password or authenticator code, then do it again.",
        Some((&target, "Confirm it's you")),
    )
}

/// A signed-in user who signed in (or confirmed it) in the last few minutes.
#[derive(Clone, Debug)]
pub struct Recent(pub SignedIn);

impl FromRequest for Recent {
    type Error = actix_web::Error;
    type Future = Gate<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            let who = signed_in(&req, &state).await?;
            if who.is_recent(state.clock.now()) {
                return Ok(Recent(who));
            }
            let look = Look::from(&hosted::admin(&state).await);
            Err(reject(to_reauth(&req, &look)))
        })
    }
}

/// An instance admin (the user's admin flag), with MFA when the admin setting requires it.
/// Signed out: the login page and back; signed in without the flag: 403.
#[derive(Clone, Debug)]
pub struct Admin {
    pub who: SignedIn,
    /// The Look & Feel and admin settings, loaded once for the page.
    pub settings: AdminSettings,
    /// The client's address, for the audit log.
    pub ip: Option<String>,
}

async fn admin(req: &HttpRequest, state: &AppState) -> Result<Admin, actix_web::Error> {
    let who = signed_in(req, state).await?;
    let settings = hosted::admin(state).await;
    let look = Look::from(&settings);
    if !who.user.is_admin {
        return Err(reject(hosted::notice(
            StatusCode::FORBIDDEN,
            &look,
            "Not allowed",
            "The admin dashboard is for instance administrators. Ask one of them if you need access.",
            Some(("/account", "Go to your account")),
        )));
    }
    if settings.require_mfa_for_admins {
        match state.store.user_mfa_enabled(&who.user.id).await {
            Ok(true) => {}
            Ok(false) => {
                return Err(reject(hosted::notice(
                    StatusCode::FORBIDDEN,
                    &look,
                    "Set up two-factor authentication",
                    "Administrators must use two-factor authentication here. Set up an authenticator app, then come back.",
                    Some(("/account/mfa", "Set up two-factor authentication")),
                )));
            }
            Err(e) => return Err(reject(super::pages::internal_error(&e))),
        }
    }
    Ok(Admin { ip: hosted::client_ip(req), who, settings })
}

impl FromRequest for Admin {
    type Error = actix_web::Error;
    type Future = Gate<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            admin(&req, &state).await
        })
    }
}

impl Admin {
    pub fn user_id(&self) -> &str {
        &self.who.user.id
    }

    pub fn look(&self) -> Look {
        Look::from(&self.settings)
    }

    /// An audit event by this admin from this request's address.
    pub fn event<'a>(&'a self, action: &'a str, subject: &'a str) -> crate::auth::audit::Event<'a> {
        crate::auth::audit::Event { actor: &self.who.user.id, action, subject, ip: self.ip.as_deref() }
    }
}

/// An admin whose sign-in is recent: for creating or rotating secrets and keys, deleting,
/// promoting admins and changing security settings.
#[derive(Clone, Debug)]
pub struct RecentAdmin(pub Admin);

impl FromRequest for RecentAdmin {
    type Error = actix_web::Error;
    type Future = Gate<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            let a = admin(&req, &state).await?;
            if a.who.is_recent(state.clock.now()) {
                return Ok(RecentAdmin(a));
            }
            Err(reject(to_reauth(&req, &a.look())))
        })
    }
}

impl std::ops::Deref for RecentAdmin {
    type Target = Admin;
    fn deref(&self) -> &Admin {
        &self.0
    }
}

#[derive(serde::Deserialize)]
struct CsrfField {
    csrf_token: Option<String>,
}

/// A URL-encoded form whose CSRF token matched this browser's cookie. A bad or missing
/// token: the "form expired" page; a body that does not parse: a 400 page.
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = Gate<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let state = app_state(&req)?;
            let bad_request = || {
                reject(render::error_page(
                    StatusCode::BAD_REQUEST,
                    "That did not work",
                    "The form could not be read. Go back, reload the page and try again.",
                    None,
                ))
            };
            let is_form = req
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
            let body = body.await.map_err(|_| bad_request())?;
            if !is_form || body.len() > FORM_LIMIT {
                return Err(bad_request());
            }
            let token: CsrfField = serde_urlencoded::from_bytes(&body).map_err(|_| bad_request())?;
            if !csrf::verify(&req, &state, token.csrf_token.as_deref()) {
                return Err(reject(super::pages::csrf_failure()));
            }
            serde_urlencoded::from_bytes::<T>(&body).map(CsrfForm).map_err(|_| bad_request())
        })
    }
}
