//! `/admin/look-and-feel`: product name, logo, colour, support email, sidebar and redirects,
//! with a live preview of the login and account pages (framed previews rendered from the
//! form's unsaved values in the query string; `static/js/admin-look.js` refreshes them).

use super::super::gate::{Admin, CsrfForm};
use super::super::pages::hosted::Look;
use super::settings::{Field, field};
use super::view::{self, Chrome, Flash};
use crate::admin_settings::{self, SaveError};
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use std::collections::HashMap;

/// (key, label, control, hint)
const FIELDS: &[(&str, &str, &str, &str)] = &[
    ("product_name", "Product name", "text", "Shown on every page and email (up to 80 characters)."),
    ("logo_url", "Logo URL", "text", "An https:// image URL or a path on this server such as /static/img/logo.svg. Empty: no logo."),
    ("primary_color", "Primary colour", "color", "Buttons and links."),
    ("support_email", "Support email", "email", "Shown on pages and in emails. Empty: none."),
    ("show_sidebar", "Show the account sidebar", "checkbox", "The navigation (with its Log out button) beside the account pages."),
    (
        "redirect_after_login",
        "After sign-in, go to",
        "text",
        "A path here or an http(s) URL, used when no app asked for the sign-in. Empty: /account.",
    ),
    ("redirect_after_logout", "After sign-out, go to", "text", "A path here or an http(s) URL. Empty: the signed-out page."),
];

/// The preview's query keys: what changes how the login and account pages look.
const PREVIEW_KEYS: &[&str] = &["product_name", "logo_url", "primary_color", "support_email", "show_sidebar"];

#[derive(Template)]
#[template(path = "admin/look_and_feel.html")]
struct LookPage {
    chrome: Chrome,
    fields: Vec<Field>,
    policy_options: &'static [(&'static str, &'static str)],
    preview_query: String,
}

fn render(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    values: &HashMap<String, String>,
    errors: &[(String, String)],
    flash: Option<Flash>,
) -> HttpResponse {
    let fields = FIELDS
        .iter()
        .map(|(key, label, input, hint)| {
            let error = errors.iter().find(|(k, _)| k == key).map(|(_, p)| p.clone());
            let mut f = field(key, label, input, hint.to_string(), values.get(*key).map(String::as_str).unwrap_or(""), error);
            f.id = format!("look-{}", key.replace('_', "-"));
            f
        })
        .collect();
    let preview: Vec<(&str, &str)> = PREVIEW_KEYS.iter().map(|k| (*k, values.get(*k).map(String::as_str).unwrap_or(""))).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let p = LookPage {
        chrome: Chrome::new(req, state, admin, "look-and-feel").with_flash(flash),
        fields,
        policy_options: &[],
        preview_query: serde_urlencoded::to_string(preview).unwrap_or_default(),
    };
    p.chrome.render(status, &p)
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>, admin: Admin, q: web::Query<view::DoneQuery>) -> HttpResponse {
    let values = match admin_settings::values(&state.store).await {
        Ok(v) => v,
        Err(e) => return view::failed(&e),
    };
    let flash = match q.done.as_deref() {
        Some("saved") => Some(Flash::ok("Look & Feel saved. Every page uses it from now on.")),
        Some("unchanged") => Some(Flash::ok("Nothing changed.")),
        _ => None,
    };
    render(&req, &state, &admin, &values, &[], flash)
}

pub async fn save(req: HttpRequest, state: web::Data<AppState>, admin: Admin, form: CsrfForm<HashMap<String, String>>) -> HttpResponse {
    let values = admin_settings::form_values(admin_settings::LOOK_KEYS, &form.0);
    match crate::admin::settings::save_look(&state, admin.event("look_and_feel.updated", ""), &values).await {
        Ok(changed) => view::done("/admin/look-and-feel", if changed.is_empty() { "unchanged" } else { "saved" }),
        Err(SaveError::Fields(errors)) => {
            let shown: HashMap<String, String> = values.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            render(&req, &state, &admin, &shown, &errors, Some(Flash::error("Nothing was saved: correct the fields marked below.")))
        }
        Err(e @ SaveError::Store(_)) => view::failed(&e),
    }
}

/// The saved Look & Feel with the query's valid values on top (invalid ones are ignored).
fn previewed(admin: &Admin, q: &HashMap<String, String>) -> (Look, String) {
    let mut look = admin.look();
    let mut color = admin.settings.primary_color.clone();
    let ok = |k: &str| q.get(k).and_then(|v| admin_settings::validate(k, v).ok());
    if let Some(v) = ok("product_name") {
        look.product_name = v;
    }
    if let Some(v) = ok("logo_url") {
        look.logo_url = Some(v).filter(|v| !v.is_empty());
    }
    if let Some(v) = ok("support_email") {
        look.support_email = Some(v).filter(|v| !v.is_empty());
    }
    if let Some(v) = ok("show_sidebar") {
        look.show_sidebar = v == "true";
    }
    if let Some(v) = ok("primary_color") {
        color = v;
    }
    let theme =
        format!("/admin/look-and-feel/preview/theme.css?{}", serde_urlencoded::to_string([("primary_color", &color)]).unwrap_or_default());
    (look, theme)
}

/// A preview may be framed by the dashboard itself (and nobody else).
fn frameable(mut res: HttpResponse) -> HttpResponse {
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(super::super::security_headers::CSP_FRAMED_BY_SELF));
    headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("SAMEORIGIN"));
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    res
}

#[derive(Template)]
#[template(path = "admin/preview_login.html")]
struct PreviewLogin<'a> {
    look: &'a Look,
    theme_href: &'a str,
    csrf_token: &'a str,
    request_id: Option<&'a str>,
    return_to: Option<&'a str>,
    client_name: Option<&'a str>,
    email: &'a str,
    error: Option<&'a str>,
    notice: Option<&'a str>,
    signup_open: bool,
}

pub async fn preview_login(admin: Admin, q: web::Query<HashMap<String, String>>) -> HttpResponse {
    let (look, theme) = previewed(&admin, &q);
    let p = PreviewLogin {
        look: &look,
        theme_href: &theme,
        csrf_token: "",
        request_id: None,
        return_to: None,
        client_name: Some("Your app"),
        email: "",
        error: None,
        notice: None,
        signup_open: admin.settings.signup_policy != admin_settings::SignupPolicy::InviteOnly,
    };
    frameable(super::super::render::page(StatusCode::OK, &p, Vec::new()))
}

#[derive(Template)]
#[template(path = "admin/preview_account.html")]
struct PreviewAccount<'a> {
    look: &'a Look,
    theme_href: &'a str,
    csrf_token: &'a str,
    section: &'a str,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
}

pub async fn preview_account(admin: Admin, q: web::Query<HashMap<String, String>>) -> HttpResponse {
    let (look, theme) = previewed(&admin, &q);
    let u = &admin.who.user;
    let p = PreviewAccount {
        look: &look,
        theme_href: &theme,
        csrf_token: "",
        section: "profile",
        email: &u.email,
        first_name: u.first_name.as_deref().unwrap_or(""),
        last_name: u.last_name.as_deref().unwrap_or(""),
    };
    frameable(super::super::render::page(StatusCode::OK, &p, Vec::new()))
}

/// The preview's colour as a stylesheet (the CSP allows no inline styles).
pub async fn preview_theme(admin: Admin, q: web::Query<HashMap<String, String>>) -> HttpResponse {
    let color = q
        .get("primary_color")
        .and_then(|c| admin_settings::validate("primary_color", c).ok())
        .unwrap_or_else(|| admin.settings.primary_color.clone());
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!(":root {{ --primary: {color}; }}\n"))
}
