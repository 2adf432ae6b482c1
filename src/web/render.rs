//! askama templates → HttpResponse (askama has no actix integration since 0.13).

use actix_web::cookie::Cookie;
use actix_web::http::{StatusCode, header};
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
    pub title: &'a str,
    pub message: &'a str,
    pub code: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub link: Option<(&'a str, &'a str)>,
}

pub fn error_page(status: StatusCode, title: &str, message: &str, code: Option<&str>) -> HttpResponse {
    page(status, &ErrorPage { title, message, code }, Vec::new())
}
