//! `/category-rules…`: the rules that classify applications and sites, a preview of one,
//! and the applications and sites recorded with how they are classified now.

use gloo_net::http::Method;
use pulse_shared::ids::{CategoryRuleId, TeamId, UserId};
use pulse_shared::reports::{CategoryRule, NewCategoryRule, RulePreview, Subject};
use serde::Serialize;

use super::ApiError;
use super::client::{call, call_empty, json, with_query};
use crate::session::Session;

/// `GET /api/v1/category-rules`: every rule of the company.
pub async fn category_rules(session: Session) -> Result<Vec<CategoryRule>, ApiError> {
    call(session, Method::GET, "/api/v1/category-rules", None).await
}

/// `POST /api/v1/category-rules`.
pub async fn create_category_rule(
    session: Session,
    rule: &NewCategoryRule,
) -> Result<CategoryRule, ApiError> {
    call(session, Method::POST, "/api/v1/category-rules", json(rule)?).await
}

/// `PUT /api/v1/category-rules/{id}`: replaces the rule.
pub async fn update_category_rule(
    session: Session,
    id: CategoryRuleId,
    rule: &NewCategoryRule,
) -> Result<CategoryRule, ApiError> {
    let path = format!("/api/v1/category-rules/{id}");
    call(session, Method::PUT, &path, json(rule)?).await
}

/// `DELETE /api/v1/category-rules/{id}`.
pub async fn delete_category_rule(session: Session, id: CategoryRuleId) -> Result<(), ApiError> {
    let path = format!("/api/v1/category-rules/{id}");
    call_empty(session, Method::DELETE, &path, None).await
}

/// `POST /api/v1/category-rules/preview`: what the rule would match, classified as now.
pub async fn preview_category_rule(
    session: Session,
    rule: &NewCategoryRule,
) -> Result<RulePreview, ApiError> {
    let path = "/api/v1/category-rules/preview";
    call(session, Method::POST, path, json(rule)?).await
}

/// Whose classification the subjects are read for: a team's, a person's, else the
/// company's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SubjectQuery {
    pub team_id: Option<TeamId>,
    pub user_id: Option<UserId>,
}

/// `GET /api/v1/category-rules/subjects?team_id&user_id`: the applications and sites
/// recorded, most used first, with how each is classified now.
pub async fn category_subjects(
    session: Session,
    query: SubjectQuery,
) -> Result<Vec<Subject>, ApiError> {
    let url = with_query("/api/v1/category-rules/subjects", &query)?;
    call(session, Method::GET, &url, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_travel_flat_with_their_match_named_match() {
        let json = r#"{
            "id": "0193a1b2-0000-7000-8000-000000000009",
            "field": "domain",
            "match": "wildcard",
            "pattern": "*.github.com",
            "productivity": "productive",
            "category": "Development",
            "team_id": null,
            "user_id": null,
            "created_at": "2026-03-01T10:00:00Z",
            "updated_at": "2026-03-02T10:00:00Z"
        }"#;
        let rule = serde_json::from_str::<CategoryRule>(json).map(|rule| rule.written());
        assert_eq!(
            rule.as_ref()
                .ok()
                .map(|rule| (rule.matches, rule.pattern.as_str())),
            Some((pulse_shared::reports::RuleMatch::Wildcard, "*.github.com")),
            "{rule:?}"
        );
        let sent = rule.ok().and_then(|rule| json_body(&rule));
        assert!(sent.is_some_and(|body| body.contains(r#""match":"wildcard""#)));
        assert_eq!(
            with_query("/s", &SubjectQuery::default()).ok().as_deref(),
            Some("/s")
        );
    }

    fn json_body(rule: &NewCategoryRule) -> Option<String> {
        json(rule).ok().flatten()
    }
}
