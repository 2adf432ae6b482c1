//! askama templates → HttpResponse (askama has no actix integration since 0.13).

use crate::state::AppState;
use crate::web::pages::hosted::Look;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::Cookie;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web;
use actix_web::{HttpResponse, HttpResponseBuilder};
use askama::Template;

pub fn page(status: StatusCode, template: &impl Template, cookies: Vec<Cookie<'static>>) -> HttpResponse {
    match template.render() {
        Ok(html) => {
            let mut builder = HttpResponseBuilder::new(status);
            builder.insert_header((header::CACHE_CONTROL, "no-store")).content_type("text/html; charset=utf-8");
            for c in cookies {
                builder.cookie(c);
            }
            builder.body(html)
        }
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            HttpResponse::InternalServerError().content_type("text/plain; charset=utf-8").body("Something went wrong. Please try again.")
        }
    }
}

pub fn redirect(location: &str, status: StatusCode, cookies: Vec<Cookie<'static>>) -> HttpResponse {
    let mut builder = HttpResponseBuilder::new(status);
    builder.insert_header((header::LOCATION, location)).insert_header((header::CACHE_CONTROL, "no-store"));
    for c in cookies {
        builder.cookie(c);
    }
    builder.finish()
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub look: &'a Look,
    pub title: &'a str,
    pub message: &'a str,
    pub code: Option<&'a str>,
    pub link: Option<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub look: &'a Look,
    pub title: &'a str,
    pub message: &'a str,
    pub link: Option<(&'a str, &'a str)>,
}

/// An error or message page built where no Look & Feel is at hand (sync helpers, 404s). It
/// travels on the response, and `brand_pages` renders it again with the product name.
#[derive(Clone, Debug)]
pub struct PlainPage {
    pub error: bool,
    pub title: String,
    pub message: String,
    pub code: Option<String>,
    pub link: Option<(String, String)>,
}

impl PlainPage {
    fn render(&self, look: &Look) -> askama::Result<String> {
        let link = self.link.as_ref().map(|(href, text)| (href.as_str(), text.as_str()));
        if self.error {
            ErrorPage { look, title: &self.title, message: &self.message, code: self.code.as_deref(), link }.render()
        } else {
            MessagePage { look, title: &self.title, message: &self.message, link }.render()
        }
    }

    fn respond(self, status: StatusCode, cookies: Vec<Cookie<'static>>) -> HttpResponse {
        let fallback = Look::fallback();
        let mut res = match self.render(&fallback) {
            Ok(html) => {
                let mut builder = HttpResponseBuilder::new(status);
                builder.insert_header((header::CACHE_CONTROL, "no-store")).content_type("text/html; charset=utf-8");
                for c in cookies {
                    builder.cookie(c);
                }
                builder.body(html)
            }
            Err(e) => {
                tracing::error!(error = %e, "template rendering failed");
                return HttpResponse::InternalServerError()
                    .content_type("text/plain; charset=utf-8")
                    .body("Something went wrong. Please try again.");
            }
        };
        res.extensions_mut().insert(self);
        res
    }
}

pub fn error_page(status: StatusCode, title: &str, message: &str, code: Option<&str>) -> HttpResponse {
    error_page_with_link(status, title, message, code, None)
}

/// An error page with the next step as a link (no dead ends).
pub fn error_page_with_link(
    status: StatusCode,
    title: &str,
    message: &str,
    code: Option<&str>,
    link: Option<(&str, &str)>,
) -> HttpResponse {
    let page = PlainPage {
        error: true,
        title: title.into(),
        message: message.into(),
        code: code.map(Into::into),
        link: link.map(|(h, t)| (h.into(), t.into())),
    };
    page.respond(status, Vec::new())
}

pub fn message_page(
    status: StatusCode,
    title: &str,
    message: &str,
    link: Option<(&str, &str)>,
    cookies: Vec<Cookie<'static>>,
) -> HttpResponse {
    let page =
        PlainPage { error: false, title: title.into(), message: message.into(), code: None, link: link.map(|(h, t)| (h.into(), t.into())) };
    page.respond(status, cookies)
}

/// Middleware: renders the pages built by `error_page` / `message_page` again with the Look &
/// Feel (product name, logo), so 404s, "Not allowed" and "Signed out" carry the product's name.
pub async fn brand_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    let plain = res.response().extensions().get::<PlainPage>().cloned();
    let (Some(plain), Some(state)) = (plain, state) else { return Ok(res.map_into_boxed_body()) };
    let look = Look::from(&crate::web::pages::hosted::admin(&state).await);
    match plain.render(&look) {
        Ok(html) => Ok(res.map_body(|_, _| BoxBody::new(html))),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            Ok(res.map_into_boxed_body())
        }
    }
}
