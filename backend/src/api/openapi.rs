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

/// States in the document what every route's errors look like, once: a response whose
/// body is a `Problem` is `application/problem+json` (which is what is sent), and every
/// operation that takes a body may answer 413 (too large) and 415 (wrong media type or
/// encoding). Runs on the finished document, after the routes are collected.
pub fn describe_problems(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::Ref;
    use utoipa::openapi::{Content, RefOr, ResponseBuilder};
    let problem = || {
        Content::new(Some(RefOr::<utoipa::openapi::schema::Schema>::Ref(
            Ref::from_schema_name("Problem"),
        )))
    };
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            for response in operation.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                let is_problem = response
                    .content
                    .get("application/json")
                    .is_some_and(|content| {
                        matches!(&content.schema, Some(RefOr::Ref(reference))
                        if reference.ref_location.ends_with("/Problem"))
                    });
                if is_problem {
                    response.content.shift_remove("application/json");
                    response
                        .content
                        .insert(pulse_shared::problem::PROBLEM_JSON.to_owned(), problem());
                }
            }
            if operation.request_body.is_some() {
                for (status, description) in [
                    ("413", "The body is larger than this route takes"),
                    (
                        "415",
                        "The body is not JSON (or not the image type this route takes), or comes with a Content-Encoding this route does not take",
                    ),
                ] {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(description)
                                .content(pulse_shared::problem::PROBLEM_JSON, problem())
                                .into()
                        });
                }
            }
        }
    }
}
