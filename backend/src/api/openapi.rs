//! `/api/v1/openapi.json`: the API's own description, built from the registered handlers.

use actix_web::{HttpResponse, get, web};

/// The serialised document, made once when the app is built.
#[derive(Debug, Clone)]
pub struct OpenApiJson(pub String);

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(tag = "system", responses((status = OK, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
#[get("/openapi.json")]
pub async fn document(json: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json.0.clone())
}
