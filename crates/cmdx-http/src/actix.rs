//! actix-web's `Responder` and `ResponseError` for the answers (feature
//! `actix-web`). actix-web 4 uses the `http` 0.2 types: statuses cross by
//! number.

use crate::{Problem, Rendered, Reply, StatusMap};
use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, RETRY_AFTER};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, Responder, ResponseError};
use serde::Serialize;

fn status(rendered: &Rendered) -> StatusCode {
    StatusCode::from_u16(rendered.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl Rendered {
    /// This answer as an actix-web response.
    pub fn into_actix(self) -> HttpResponse {
        let mut response = HttpResponse::build(status(&self));
        if let Some(content_type) = self.content_type() {
            response.insert_header((CONTENT_TYPE, content_type));
        }
        if let Some(seconds) = self.retry_after() {
            response.insert_header((RETRY_AFTER, seconds));
        }
        response.body(self.into_body())
    }
}

impl Responder for Rendered {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        self.into_actix()
    }
}

impl Responder for Problem {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        self.render().into_actix()
    }
}

/// A `Problem` as the error of an extractor or a handler (`Result<_, Problem>`).
impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        self.render().into_actix()
    }
}

/// Without a map of its own, the one the chain middleware put in the
/// request's extensions (else the ambient one, else the default).
impl<T: Serialize> Responder for Reply<T> {
    type Body = BoxBody;

    fn respond_to(self, request: &HttpRequest) -> HttpResponse {
        let statuses = request.extensions().get::<StatusMap>().cloned();
        let reply = match statuses {
            Some(statuses) => self.statuses_or(&statuses),
            None => self,
        };
        reply.render().into_actix()
    }
}
