//! `/reports…`: time and attendance over a range, as JSON, CSV and a spreadsheet; and
//! `/me/report-subscription`, the scheduled summary by e-mail.

use gloo_net::http::Method;
use pulse_shared::reports::{
    AttendanceQuery, AttendanceReport, ReportQuery, ReportSubscription, TimeReport,
};

use super::ApiError;
use super::client::{call, get_blob, get_text, json, with_query};
use crate::session::Session;

/// `GET /api/v1/reports/time`: the rows of one grouping and their total.
pub async fn time_report(session: Session, query: &ReportQuery) -> Result<TimeReport, ApiError> {
    let url = with_query("/api/v1/reports/time", query)?;
    call(session, Method::GET, &url, None).await
}

/// `GET /api/v1/reports/time.csv` with the same query: the CSV text.
pub async fn time_report_csv(session: Session, query: &ReportQuery) -> Result<String, ApiError> {
    get_text(session, &with_query("/api/v1/reports/time.csv", query)?).await
}

/// `GET /api/v1/reports/time.xlsx` with the same query: the spreadsheet.
pub async fn time_report_xlsx(
    session: Session,
    query: &ReportQuery,
) -> Result<web_sys::Blob, ApiError> {
    get_blob(session, &with_query("/api/v1/reports/time.xlsx", query)?).await
}

/// `GET /api/v1/reports/attendance`: each person's days against their working hours.
pub async fn attendance_report(
    session: Session,
    query: &AttendanceQuery,
) -> Result<AttendanceReport, ApiError> {
    let url = with_query("/api/v1/reports/attendance", query)?;
    call(session, Method::GET, &url, None).await
}

/// `GET /api/v1/reports/attendance.csv` with the same query: the CSV text.
pub async fn attendance_csv(session: Session, query: &AttendanceQuery) -> Result<String, ApiError> {
    get_text(
        session,
        &with_query("/api/v1/reports/attendance.csv", query)?,
    )
    .await
}

/// `GET /api/v1/me/report-subscription`: how often the caller's summary arrives.
pub async fn report_subscription(session: Session) -> Result<ReportSubscription, ApiError> {
    call(session, Method::GET, "/api/v1/me/report-subscription", None).await
}

/// `PUT /api/v1/me/report-subscription`: daily, weekly, or (`None`) no summary.
pub async fn set_report_subscription(
    session: Session,
    subscription: &ReportSubscription,
) -> Result<ReportSubscription, ApiError> {
    call(
        session,
        Method::PUT,
        "/api/v1/me/report-subscription",
        json(subscription)?,
    )
    .await
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use pulse_shared::reports::Grouping;

    use super::*;

    #[test]
    fn report_queries_name_days_and_groupings_as_the_server_reads_them() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default();
        let query = ReportQuery {
            from: day(1),
            to: day(31),
            group: Grouping::WeekdayHour,
            team_id: None,
            user_id: None,
            time_zone: Some("Europe/Berlin".to_owned()),
        };
        assert_eq!(
            with_query("/r", &query).ok().as_deref(),
            Some("/r?from=2026-03-01&to=2026-03-31&group=weekday_hour&time_zone=Europe%2FBerlin")
        );
        let attendance = AttendanceQuery {
            from: day(1),
            to: day(2),
            team_id: None,
            user_id: None,
            grace_mins: Some(15),
        };
        assert_eq!(
            with_query("/a", &attendance).ok().as_deref(),
            Some("/a?from=2026-03-01&to=2026-03-02&grace_mins=15")
        );
    }
}
