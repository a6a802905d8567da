//! `/people…`: the people of the company, filtered and paged; changing, deleting and
//! restoring one.

use gloo_net::http::Method;
use pulse_shared::Page;
use pulse_shared::ids::UserId;
use pulse_shared::people::{PeopleQuery, Person, UpdatePersonRequest};

use super::ApiError;
use super::client::{all_pages, call, call_empty, json, not_blank, with_query};
use crate::session::Session;

/// `GET /api/v1/people` with filters and a cursor.
pub async fn people(session: Session, filter: &PeopleQuery) -> Result<Page<Person>, ApiError> {
    let filter = PeopleQuery {
        q: not_blank(&filter.q),
        ..filter.clone()
    };
    let url = with_query("/api/v1/people", &filter)?;
    call(session, Method::GET, &url, None).await
}

/// Every person the signed-in person may see, active or not (every page).
pub async fn everyone(session: Session) -> Result<Vec<Person>, ApiError> {
    all_pages(session, "/api/v1/people").await
}

/// `PATCH /api/v1/people/{id}`.
pub async fn update_person(
    session: Session,
    id: UserId,
    request: &UpdatePersonRequest,
) -> Result<Person, ApiError> {
    let path = format!("/api/v1/people/{id}");
    call(session, Method::PATCH, &path, json(request)?).await
}

/// `DELETE /api/v1/people/{id}`.
pub async fn delete_person(session: Session, id: UserId) -> Result<(), ApiError> {
    let path = format!("/api/v1/people/{id}");
    call_empty(session, Method::DELETE, &path, None).await
}

/// `POST /api/v1/people/{id}/restore`: brings back a person deleted within the grace
/// period (owners).
pub async fn restore_person(session: Session, id: UserId) -> Result<Person, ApiError> {
    let path = format!("/api/v1/people/{id}/restore");
    call(session, Method::POST, &path, None).await
}
