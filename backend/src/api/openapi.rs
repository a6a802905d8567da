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

/// The operations that answer without the database: the liveness probe and this
/// document.
const WITHOUT_DATABASE: [&str; 2] = ["/healthz", "/api/v1/openapi.json"];

/// States in the document what every route's errors look like, once: a response whose
/// body is a `Problem` is `application/problem+json` (which is what is sent), and every
/// operation that takes a body may answer 413 (too large) and 415 (wrong media type or
/// encoding), every operation that requires a credential answers 401 without a valid
/// one (the `Principal` and `Device` extractors), every operation that parses a JSON
/// body answers 400 when it is not JSON and 422 when a field does not fit
/// (`api::extract::Json`), every operation with query parameters answers 422 when one
/// does not parse (`errors::query_error`), and every operation
/// that reads the database (all but [`WITHOUT_DATABASE`]) may answer 503 when it is
/// unreachable or stops the request at a statement or lock timeout. Runs on the
/// finished document, after the routes are collected.
pub fn describe_problems(openapi: &mut utoipa::openapi::OpenApi) {
    const DATABASE_503: &str = "The database is not reachable (`/problems/unavailable`) or stopped the request at its statement or lock timeout (`/problems/timeout`); try again after `Retry-After`";
    use utoipa::openapi::schema::Ref;
    use utoipa::openapi::{Content, RefOr, ResponseBuilder};
    let problem = || {
        Content::new(Some(RefOr::<utoipa::openapi::schema::Schema>::Ref(
            Ref::from_schema_name("Problem"),
        )))
    };
    for (path, item) in &mut openapi.paths.paths {
        let reads_database = !WITHOUT_DATABASE.contains(&path.as_str());
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
            if reads_database {
                match operation.responses.responses.get_mut("503") {
                    Some(RefOr::T(response)) if !response.description.contains("database") => {
                        response.description.push_str(
                            "; or, as on every route, the database could not serve the \
                             request (`/problems/unavailable`, `/problems/timeout`)",
                        );
                    }
                    Some(_) => {}
                    None => {
                        let response = ResponseBuilder::new()
                            .description(DATABASE_503)
                            .content(pulse_shared::problem::PROBLEM_JSON, problem())
                            .into();
                        operation
                            .responses
                            .responses
                            .insert("503".to_owned(), response);
                    }
                }
            }
            let has_query = operation.parameters.iter().flatten().any(|parameter| {
                parameter.parameter_in == utoipa::openapi::path::ParameterIn::Query
            });
            let parses_json = !READS_BODY_ITSELF.contains(&path.as_str())
                && operation
                    .request_body
                    .as_ref()
                    .is_some_and(|body| body.content.contains_key("application/json"));
            let invalid = match (parses_json, has_query) {
                (true, true) => Some(INVALID_BODY_OR_QUERY),
                (true, false) => Some(INVALID_BODY),
                (false, true) => Some(INVALID_QUERY),
                (false, false) => None,
            };
            let mut refusals = Vec::new();
            if let Some(description) = credential_refused(operation) {
                refusals.push(("401", description));
            }
            if parses_json {
                refusals.push(("400", MALFORMED_JSON));
            }
            if let Some(description) = invalid {
                refusals.push(("422", description));
            }
            if operation.request_body.is_some() {
                refusals.push(("413", "The body is larger than this route takes"));
                refusals.push((
                    "415",
                    "The body is not JSON (or not the image type this route takes), or comes with a Content-Encoding this route does not take",
                ));
            }
            // Each documented unless the route documents that status in its own words.
            for (status, description) in refusals {
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

/// Operations whose JSON body is read as bytes and checked before it is parsed (Stripe's
/// signed events), not by `api::extract::Json`.
const READS_BODY_ITSELF: [&str; 1] = ["/api/v1/stripe/webhook"];

/// What `api::extract::Json` and the query extractor answer, in the document's words.
const MALFORMED_JSON: &str = "The body is not JSON (`/problems/bad-request`)";
const INVALID_BODY: &str = "A field of the body is missing, unknown or not valid (`/problems/validation`, naming it as a JSON pointer)";
const INVALID_QUERY: &str =
    "A query parameter is malformed or out of range (`/problems/validation`, naming it)";
const INVALID_BODY_OR_QUERY: &str = "A field of the body (named as a JSON pointer) or a query parameter is missing, unknown or not valid (`/problems/validation`)";

/// The 401 of an operation that cannot be called without a credential: which one is
/// missing or refused. `None` when the operation may also be called without one.
fn credential_refused(operation: &utoipa::openapi::path::Operation) -> Option<&'static str> {
    let requirements = operation.security.as_ref()?;
    // A requirement is `{}` (none needed) or names its schemes; the names are private
    // fields, so read them as the document will.
    let schemes: Vec<serde_json::Value> = requirements
        .iter()
        .filter_map(|requirement| serde_json::to_value(requirement).ok())
        .collect();
    let names = |scheme: &serde_json::Value| {
        scheme
            .as_object()
            .map(|names| names.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    if schemes.is_empty() || schemes.iter().any(|scheme| names(scheme).is_empty()) {
        return None;
    }
    if schemes
        .iter()
        .all(|scheme| names(scheme) == ["device".to_owned()])
    {
        Some(
            "No valid device credential (unknown, or the agent was revoked or its employee deactivated): enroll again",
        )
    } else {
        Some("No valid access token or API key")
    }
}
