//! `/signup` and `/verify-email`.

use super::super::gate::CsrfForm;
use super::super::{csrf, render};
use super::hosted::{self, Look};
use super::{current_session, internal_error};
use crate::admin_settings::SignupPolicy;
use crate::auth::abuse::AbuseError;
use crate::auth::login::{self, Continuation};
use crate::state::AppState;
use crate::users::account::{self, AccountError, Signup};
use crate::users::signup_params::SignupParams;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage<'a> {
    look: &'a Look,
    csrf_token: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    email: &'a str,
    error: Option<&'a str>,
    /// The page's own query string (signup query parameters), kept on the form's action.
    query: &'a str,
}

#[derive(Deserialize, Default)]
pub struct SignupForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn closed(look: &Look) -> HttpResponse {
    hosted::notice(
        StatusCode::FORBIDDEN,
        look,
        "Sign-ups are by invitation",
        "You need an invitation to create an account. Ask your administrator.",
        Some(("/login", "Sign in")),
    )
}

fn render_signup(
    req: &HttpRequest,
    state: &AppState,
    look: &Look,
    status: StatusCode,
    form: &SignupForm,
    error: Option<&str>,
) -> HttpResponse {
    let token = csrf::issue(req, state);
    let query = SignupParams::from_query(req.query_string()).to_query();
    let page = SignupPage {
        look,
        csrf_token: &token.form_value,
        first_name: form.first_name.trim(),
        last_name: form.last_name.trim(),
        email: form.email.trim(),
        error,
        query: &query,
    };
    render::page(status, &page, token.new_cookie.into_iter().collect())
}

pub async fn signup_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let a = hosted::admin(&state).await;
    let look = Look::from(&a);
    if a.signup_policy == SignupPolicy::InviteOnly {
        return closed(&look);
    }
    render_signup(&req, &state, &look, StatusCode::OK, &SignupForm::default(), None)
}

pub async fn signup_submit(req: HttpRequest, state: web::Data<AppState>, CsrfForm(form): CsrfForm<SignupForm>) -> HttpResponse {
    let a = hosted::admin(&state).await;
    let look = Look::from(&a);
    let input = Signup {
        email: form.email.clone(),
        password: form.password.clone(),
        first_name: Some(form.first_name.clone()),
        last_name: Some(form.last_name.clone()),
        signup_params: SignupParams::from_query(req.query_string()),
        browser: crate::web::cookies::read(&req, &state.settings, crate::web::cookies::CSRF),
    };
    let ip = hosted::client_ip(&req);
    match account::signup(&state, &a, input, ip.as_deref()).await {
        Ok(()) => hosted::notice(
            StatusCode::OK,
            &look,
            "Check your email",
            "We sent a confirmation link to the address you gave. Follow it to finish signing up.",
            None,
        ),
        Err(AccountError::SignupClosed) => closed(&look),
        Err(AccountError::DomainNotAllowed) => {
            let msg = format!("Sign-ups are limited to addresses at: {}.", a.signup_allowed_domains.join(", "));
            render_signup(&req, &state, &look, StatusCode::FORBIDDEN, &form, Some(&msg))
        }
        Err(AccountError::Invalid(msg)) => render_signup(&req, &state, &look, StatusCode::BAD_REQUEST, &form, Some(&capitalise(&msg))),
        Err(AccountError::RateLimited(AbuseError::RateLimited { retry_after })) => hosted::rate_limited(&look, retry_after),
        // Same page as success: a taken address must not be revealed here.
        Err(AccountError::EmailUnavailable) => hosted::notice(
            StatusCode::OK,
            &look,
            "Check your email",
            "We sent a confirmation link to the address you gave. Follow it to finish signing up.",
            None,
        ),
        Err(e @ AccountError::UsernameTaken) => {
            render_signup(&req, &state, &look, StatusCode::BAD_REQUEST, &form, Some(&capitalise(&e.to_string())))
        }
        Err(AccountError::User(crate::users::UserError::Password(p))) => super::password_failure(&p),
        Err(
            e @ (AccountError::LinkInvalid
            | AccountError::WrongPassword
            | AccountError::RateLimited(AbuseError::Store(_))
            | AccountError::User(_)
            | AccountError::Email(_)
            | AccountError::Store(_)),
        ) => internal_error(&e),
    }
}

pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    pub token: String,
}

pub fn link_invalid(look: &Look, what: &str, retry: (&str, &str)) -> HttpResponse {
    hosted::notice(
        StatusCode::BAD_REQUEST,
        look,
        "This link cannot be used",
        &format!("This {what} link has expired or was already used."),
        Some(retry),
    )
}

/// Confirms the address and signs the user in with `login_method = email_confirmation_link`.
pub async fn verify_email(req: HttpRequest, state: web::Data<AppState>, query: web::Query<TokenQuery>) -> HttpResponse {
    let a = hosted::admin(&state).await;
    let look = Look::from(&a);
    let browser = crate::web::cookies::read(&req, &state.settings, crate::web::cookies::CSRF);
    let user = match account::verify_email(&state, &query.token, browser.as_deref()).await {
        Ok(u) => u,
        Err(AccountError::LinkInvalid) => return link_invalid(&look, "confirmation", ("/login", "Sign in to get a new link")),
        Err(e) => return internal_error(&e),
    };
    // Signed in as someone else: confirm the address, but do not swap this browser's session
    // for the link's account (a planted link must not log anyone into another account).
    if let Some(s) = current_session(&req, &state).await
        && s.user_id != user.id
    {
        let msg = format!("{} is confirmed. Sign out first to sign in with it.", user.email);
        return hosted::notice(StatusCode::OK, &look, "Email address confirmed", &msg, Some(("/account", "Back to your account")));
    }
    // Say so on the account page, unless the admin sends logins elsewhere.
    let redirect = a.redirect_after_login.is_none().then(|| format!("/account?{}", super::account::EMAIL_CONFIRMED));
    let cont = Continuation { request: None, redirect };
    hosted::continue_login(&req, &state, &a, &user, login::EMAIL_CONFIRMATION_LINK, &cont).await
}
