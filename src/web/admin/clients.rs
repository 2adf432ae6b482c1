//! `/admin/clients`: list, create, edit, rotate the secret, disable/enable and delete OAuth
//! clients, with set-up snippets filled with each client's values. The rules and the audit
//! live in `crate::admin::clients` (shared with the CLI); these handlers parse and render.

use super::super::gate::{Admin, CsrfForm, RecentAdmin};
use super::super::pages::hosted;
use super::view::{self, Chrome, Flash};
use crate::admin::client_snippets::{self, Snippet, SnippetInput};
use crate::admin::clients::{self as service, Actor, AdminClientError, ClientView, Grace};
use crate::oidc::registration::{self, ClientInput, FieldErrors, GRANT_TYPES};
use crate::state::AppState;
use crate::store::ClientRow;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// The create/edit form as posted; every field optional so each can be answered on its own.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClientFields {
    name: String,
    client_type: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    dev: Option<String>,
    require_consent: Option<String>,
    grant_authorization_code: Option<String>,
    grant_refresh_token: Option<String>,
    grant_client_credentials: Option<String>,
    access_token_lifetime: String,
    refresh_token_lifetime: String,
    #[serde(default)]
    client_credentials_scopes: String,
}

impl ClientFields {
    fn input(&self) -> ClientInput {
        let grants = [&self.grant_authorization_code, &self.grant_refresh_token, &self.grant_client_credentials];
        ClientInput {
            name: self.name.clone(),
            redirect_uris: registration::uri_lines(&self.redirect_uris),
            post_logout_redirect_uris: registration::uri_lines(&self.post_logout_redirect_uris),
            public: self.client_type == "public",
            dev: self.dev.is_some(),
            require_consent: self.require_consent.is_some(),
            grant_types: GRANT_TYPES.iter().zip(grants).filter(|(_, on)| on.is_some()).map(|(g, _)| g.to_string()).collect(),
            access_token_lifetime: self.access_token_lifetime.clone(),
            refresh_token_lifetime: self.refresh_token_lifetime.clone(),
            client_credentials_scopes: self.client_credentials_scopes.split_whitespace().map(str::to_string).collect(),
        }
    }
}

/// What the form shows: the values (as typed, or stored) and the message for each field.
pub struct FormView {
    pub input: ClientInput,
    pub redirect_text: String,
    pub post_logout_text: String,
    pub errors: FieldErrors,
    pub access_default: String,
    pub access_max: String,
    pub refresh_default: String,
}

impl FormView {
    fn new(state: &AppState, input: ClientInput, errors: FieldErrors) -> Self {
        let l = service::lifetimes(state);
        Self {
            redirect_text: input.redirect_uris.join("\n"),
            post_logout_text: input.post_logout_redirect_uris.join("\n"),
            input,
            errors,
            access_default: registration::format_duration(l.access_default),
            access_max: registration::format_duration(l.access_max),
            refresh_default: registration::format_duration(l.refresh_default),
        }
    }
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
    pub fn grant(&self, g: &str) -> bool {
        self.input.grant_types.iter().any(|x| x == g)
    }
}

pub struct ListRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub uri_count: usize,
    pub enabled: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/clients.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ListRow>,
}

#[derive(Template)]
#[template(path = "admin/client_new.html")]
struct NewPage {
    chrome: Chrome,
    form: FormView,
}

#[derive(Template)]
#[template(path = "admin/client.html")]
struct ClientPage {
    chrome: Chrome,
    client: ClientView,
    form: FormView,
    snippets: Vec<Snippet>,
    /// The plain secret, right after it was created or rotated (shown once).
    new_secret: Option<String>,
    previous_until: Option<String>,
    graces: [Grace; 4],
    created: String,
}

fn actor(admin: &Admin) -> Actor<'_> {
    Actor { id: admin.user_id(), ip: admin.ip.as_deref() }
}

fn not_found(admin: &Admin) -> HttpResponse {
    hosted::notice(
        StatusCode::NOT_FOUND,
        &admin.look(),
        "No such client",
        "There is no OAuth client with that id. It may have been deleted.",
        Some(("/admin/clients", "Back to the OAuth clients")),
    )
}

/// Every service error as the page an admin should see (`Invalid` is answered by the form).
fn refused(admin: &Admin, e: &AdminClientError) -> HttpResponse {
    match e {
        AdminClientError::NotFound(_) => not_found(admin),
        AdminClientError::Invalid(_) | AdminClientError::Refused(_) => hosted::notice(
            StatusCode::BAD_REQUEST,
            &admin.look(),
            "That did not work",
            &e.to_string(),
            Some(("/admin/clients", "Back to the OAuth clients")),
        ),
        AdminClientError::Store(err) => view::failed(err),
    }
}

struct Extra {
    status: StatusCode,
    flash: Option<Flash>,
    form: Option<(ClientInput, FieldErrors)>,
    secret: Option<String>,
}

impl Extra {
    fn flash(key: Option<&str>) -> Self {
        let text = match key {
            Some("saved") => Some("Changes saved."),
            Some("created") => Some("Client created."),
            Some("disabled") => Some("Client disabled: it can no longer sign users in or get tokens."),
            Some("enabled") => Some("Client enabled."),
            _ => None,
        };
        Self { status: StatusCode::OK, flash: text.map(Flash::ok), form: None, secret: None }
    }
}

fn client_page(req: &HttpRequest, state: &AppState, admin: &Admin, client: &ClientRow, extra: Extra) -> HttpResponse {
    let now = state.clock.now();
    let (input, errors) = extra.form.unwrap_or_else(|| (service::input_of(client), FieldErrors::default()));
    let snippets = client_snippets::build(&SnippetInput { issuer: &state.settings.issuer, client, secret: extra.secret.as_deref() });
    let view = ClientView::of(client, now);
    let p = ClientPage {
        chrome: Chrome::new(req, state, admin, "clients").with_flash(extra.flash),
        previous_until: view.previous_secret_valid_until.map(view::when),
        created: view::when(client.created_at),
        client: view,
        form: FormView::new(state, input, errors),
        snippets,
        new_secret: extra.secret,
        graces: Grace::ALL,
    };
    p.chrome.render(extra.status, &p)
}

pub async fn list(admin: Admin, req: HttpRequest, state: web::Data<AppState>, q: web::Query<view::DoneQuery>) -> HttpResponse {
    let clients = match service::list(&state).await {
        Ok(c) => c,
        Err(e) => return refused(&admin, &e),
    };
    let rows = clients
        .iter()
        .map(|c| ListRow {
            id: c.id.clone(),
            name: c.name.clone(),
            kind: if c.is_public { "Public (PKCE)" } else { "Confidential" },
            uri_count: c.redirect_uri_list().len(),
            enabled: c.enabled,
            created: view::when(c.created_at),
        })
        .collect();
    let flash = (q.done.as_deref() == Some("deleted")).then(|| Flash::ok("Client deleted."));
    let p = ListPage { chrome: Chrome::new(&req, &state, &admin, "clients").with_flash(flash), rows };
    p.chrome.render(StatusCode::OK, &p)
}

pub async fn new_form(admin: RecentAdmin, req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let input = ClientInput { grant_types: registration::default_grant_types(false), ..Default::default() };
    let p = NewPage { chrome: Chrome::new(&req, &state, &admin, "clients"), form: FormView::new(&state, input, FieldErrors::default()) };
    p.chrome.render(StatusCode::OK, &p)
}

pub async fn create(admin: RecentAdmin, req: HttpRequest, state: web::Data<AppState>, form: CsrfForm<ClientFields>) -> HttpResponse {
    let input = form.0.input();
    match service::create(&state, actor(&admin), &input).await {
        Ok(created) if created.secret.is_none() => view::done(&format!("/admin/clients/{}", created.client.id), "created"),
        Ok(created) => {
            let flash = Flash::ok("Client created. Copy the secret now: it is shown only once.");
            let extra = Extra { status: StatusCode::CREATED, flash: Some(flash), form: None, secret: created.secret };
            client_page(&req, &state, &admin, &created.client, extra)
        }
        Err(AdminClientError::Invalid(errors)) => {
            let chrome = Chrome::new(&req, &state, &admin, "clients").with_flash(Some(Flash::error("Check the fields marked below.")));
            let p = NewPage { chrome, form: FormView::new(&state, input, errors) };
            p.chrome.render(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(e) => refused(&admin, &e),
    }
}

pub async fn show(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<view::DoneQuery>,
) -> HttpResponse {
    match service::get(&state, &path).await {
        Ok(client) => client_page(&req, &state, &admin, &client, Extra::flash(q.done.as_deref())),
        Err(e) => refused(&admin, &e),
    }
}

pub async fn update(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: CsrfForm<ClientFields>,
) -> HttpResponse {
    let input = form.0.input();
    match service::update(&state, actor(&admin), &path, &input).await {
        Ok(c) => view::done(&format!("/admin/clients/{}", c.id), "saved"),
        Err(AdminClientError::Invalid(errors)) => match service::get(&state, &path).await {
            Ok(client) => {
                let flash = Some(Flash::error("Nothing was saved. Check the fields marked below."));
                let extra = Extra { status: StatusCode::UNPROCESSABLE_ENTITY, flash, form: Some((input, errors)), secret: None };
                client_page(&req, &state, &admin, &client, extra)
            }
            Err(e) => refused(&admin, &e),
        },
        Err(e) => refused(&admin, &e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RotateFields {
    grace: String,
}

pub async fn rotate(
    admin: RecentAdmin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: CsrfForm<RotateFields>,
) -> HttpResponse {
    let Some(grace) = Grace::parse(&form.0.grace) else {
        return refused(&admin, &AdminClientError::Refused("choose when the old secret stops working"));
    };
    match service::rotate_secret(&state, actor(&admin), &path, grace).await {
        Ok((client, secret)) => {
            let flash = Flash::ok("New secret created. Copy it now: it is shown only once.");
            let extra = Extra { status: StatusCode::OK, flash: Some(flash), form: None, secret: Some(secret) };
            client_page(&req, &state, &admin, &client, extra)
        }
        Err(e) => refused(&admin, &e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}

async fn set_enabled(admin: &Admin, state: &AppState, client_id: &str, enabled: bool) -> HttpResponse {
    match service::set_enabled(state, actor(admin), client_id, enabled).await {
        Ok(_) => view::done(&format!("/admin/clients/{client_id}"), if enabled { "enabled" } else { "disabled" }),
        Err(e) => refused(admin, &e),
    }
}

pub async fn disable(admin: Admin, state: web::Data<AppState>, path: web::Path<String>, _form: CsrfForm<NoFields>) -> HttpResponse {
    set_enabled(&admin, &state, &path, false).await
}

pub async fn enable(admin: Admin, state: web::Data<AppState>, path: web::Path<String>, _form: CsrfForm<NoFields>) -> HttpResponse {
    set_enabled(&admin, &state, &path, true).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteFields {
    confirm: Option<String>,
}

pub async fn delete(admin: RecentAdmin, state: web::Data<AppState>, path: web::Path<String>, form: CsrfForm<DeleteFields>) -> HttpResponse {
    if form.0.confirm.is_none() {
        return refused(&admin, &AdminClientError::Refused("tick the box to confirm the deletion, then press Delete again"));
    }
    match service::delete(&state, actor(&admin), &path).await {
        Ok(_) => view::done("/admin/clients", "deleted"),
        Err(e) => refused(&admin, &e),
    }
}
