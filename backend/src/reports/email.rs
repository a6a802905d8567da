//! Scheduled report e-mails: who asked for which, queueing what is owed (once per
//! person and period, whichever replica gets there first), and the summary the outbox
//! dispatcher builds and sends.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryResult;
use diesel::sql_types::{Array, BigInt, Date, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{CompanyId, TeamId, UserId};
use pulse_shared::people::Role;
use pulse_shared::reports::{DEFAULT_GRACE_MINS, Grouping, ReportFrequency};

use super::time;
use super::{attendance, zones};
use crate::api::reach::Reachable;
use crate::db::{people, policies};
use crate::domain::access::Action;

/// The local time a summary is due.
const DUE_AT: &str = "07:00";
/// Tries before a summary is given up on.
const MAX_ATTEMPTS: i32 = 5;
/// People listed by name in a summary; the rest are in the totals.
const LISTED_PEOPLE: usize = 50;

/// `user`'s choice, if any.
pub async fn subscription(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
) -> QueryResult<Option<ReportFrequency>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        frequency: ReportFrequency,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT frequency FROM report_subscriptions WHERE company_id = $1 AND user_id = $2",
    )
    .bind::<diesel::sql_types::Uuid, _>(company.0)
    .bind::<diesel::sql_types::Uuid, _>(user.0)
    .load(conn)
    .await?;
    Ok(rows.into_iter().next().map(|row| row.frequency))
}

/// Sets or (with `None`) removes `user`'s choice.
pub async fn subscribe(
    conn: &mut AsyncPgConnection,
    (company, user): (CompanyId, UserId),
    frequency: Option<ReportFrequency>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    match frequency {
        None => diesel::sql_query(
            "DELETE FROM report_subscriptions WHERE company_id = $1 AND user_id = $2",
        )
        .bind::<diesel::sql_types::Uuid, _>(company.0)
        .bind::<diesel::sql_types::Uuid, _>(user.0)
        .execute(conn)
        .await
        .map(drop),
        Some(frequency) => diesel::sql_query(
            "INSERT INTO report_subscriptions (company_id, user_id, frequency, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (company_id, user_id) DO UPDATE
                SET frequency = excluded.frequency, updated_at = excluded.updated_at",
        )
        .bind::<diesel::sql_types::Uuid, _>(company.0)
        .bind::<diesel::sql_types::Uuid, _>(user.0)
        .bind::<Text, _>(frequency)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
        .await
        .map(drop),
    }
}

#[derive(diesel::QueryableByName)]
struct Subscriber {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    company_id: CompanyId,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    user_id: UserId,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    team_id: Option<TeamId>,
    #[diesel(sql_type = Text)]
    frequency: ReportFrequency,
}

/// Queues the summaries owed at `now`: for each active subscriber, once it is 07:00
/// where they are, yesterday's (daily) or last week's (weekly). A summary already
/// queued is not queued again. Answers how many were queued.
pub async fn schedule(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    let subscribers: Vec<Subscriber> = diesel::sql_query(
        "SELECT s.company_id, s.user_id, u.team_id, s.frequency
           FROM report_subscriptions s
           JOIN users u ON u.company_id = s.company_id AND u.id = s.user_id
          WHERE u.deleted_at IS NULL AND u.status = $1",
    )
    .bind::<Text, _>(pulse_shared::people::UserStatus::Active.as_str())
    .load(conn)
    .await?;
    let mut by_company: HashMap<CompanyId, Vec<&Subscriber>> = HashMap::new();
    for subscriber in &subscribers {
        by_company
            .entry(subscriber.company_id)
            .or_default()
            .push(subscriber);
    }
    let (mut companies, mut users, mut frequencies, mut zones_of) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (company, list) in by_company {
        let pairs: Vec<(UserId, Option<TeamId>)> =
            list.iter().map(|s| (s.user_id, s.team_id)).collect();
        let settings = policies::effective_for_all(conn, company, &pairs).await?;
        for subscriber in list {
            let zone = settings
                .get(&subscriber.user_id)
                .map_or("UTC", |s| s.time_zone.as_str());
            companies.push(company);
            users.push(subscriber.user_id);
            frequencies.push(subscriber.frequency.as_str());
            zones_of.push(zones::or_utc(conn, zone).await?.to_owned());
        }
    }
    if users.is_empty() {
        return Ok(0);
    }
    // Daily: yesterday. Weekly: the ISO week before this one.
    diesel::sql_query(
        "INSERT INTO report_emails (company_id, user_id, frequency, period_from, period_to,
                                    time_zone, next_at)
         SELECT company_id, user_id, frequency,
                CASE frequency WHEN $5 THEN local::date - 1
                               ELSE date_trunc('week', local)::date - 7 END,
                CASE frequency WHEN $5 THEN local::date - 1
                               ELSE date_trunc('week', local)::date - 1 END,
                zone, $6
           FROM (SELECT *, $6 AT TIME ZONE zone AS local
                   FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[])
                        AS s(company_id, user_id, frequency, zone)) s
          WHERE local::time >= $7::time
         ON CONFLICT DO NOTHING",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(&companies)
    .bind::<Array<diesel::sql_types::Uuid>, _>(&users)
    .bind::<Array<Text>, _>(&frequencies)
    .bind::<Array<Text>, _>(&zones_of)
    .bind::<Text, _>(ReportFrequency::Daily.as_str())
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(DUE_AT)
    .execute(conn)
    .await
}

/// A summary claimed for sending.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub company_id: CompanyId,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub user_id: UserId,
    #[diesel(sql_type = Text)]
    pub frequency: ReportFrequency,
    #[diesel(sql_type = Date)]
    pub period_from: NaiveDate,
    #[diesel(sql_type = Date)]
    pub period_to: NaiveDate,
    #[diesel(sql_type = Text)]
    pub time_zone: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// Claims up to `limit` summaries due at `now`, each for five minutes (a replica that
/// dies while sending leaves it to another).
pub async fn claim(
    conn: &mut AsyncPgConnection,
    limit: i64,
    now: DateTime<Utc>,
) -> QueryResult<Vec<Claimed>> {
    diesel::sql_query(
        "UPDATE report_emails
            SET next_at = $2 + interval '5 minutes', attempts = attempts + 1
          WHERE (company_id, user_id, frequency, period_from) IN (
                SELECT company_id, user_id, frequency, period_from FROM report_emails
                 WHERE status = 'pending' AND next_at <= $2
                 ORDER BY next_at
                 LIMIT $1
                   FOR UPDATE SKIP LOCKED)
      RETURNING company_id, user_id, frequency, period_from, period_to, time_zone, attempts",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Timestamptz, _>(now)
    .load(conn)
    .await
}

/// Records how sending went: sent, or tried again in a while (given up after five).
pub async fn finish(
    conn: &mut AsyncPgConnection,
    email: &Claimed,
    sent: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let status = match (sent, email.attempts >= MAX_ATTEMPTS) {
        (true, _) => "sent",
        (false, true) => "failed",
        (false, false) => "pending",
    };
    diesel::sql_query(
        "UPDATE report_emails
            SET status = $5, sent_at = CASE WHEN $5 = 'sent' THEN $6 END,
                next_at = $6 + interval '10 minutes' * attempts
          WHERE company_id = $1 AND user_id = $2 AND frequency = $3 AND period_from = $4",
    )
    .bind::<diesel::sql_types::Uuid, _>(email.company_id.0)
    .bind::<diesel::sql_types::Uuid, _>(email.user_id.0)
    .bind::<Text, _>(email.frequency)
    .bind::<Date, _>(email.period_from)
    .bind::<Text, _>(status)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await
    .map(drop)
}

/// A summary ready to send.
#[derive(Debug, Clone)]
pub struct Composed {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The summary `email` owes, built now from the rollups for the people its recipient
/// may see today; `None` when the recipient can no longer receive it (deleted, or their
/// role lost the right).
pub async fn compose(
    conn: &mut AsyncPgConnection,
    email: &Claimed,
    public_url: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<Composed>> {
    let company = email.company_id;
    let Ok(recipient) = people::user(conn, company, email.user_id).await else {
        return Ok(None);
    };
    let role: Role = recipient.role();
    let reach = match pulse_shared::access::access(role, Action::ReceiveReportEmails) {
        pulse_shared::access::Reach::None | pulse_shared::access::Reach::Own => return Ok(None),
        _ => Reachable::of_role(conn, company, recipient.id, role, Action::ReadActivity).await?,
    };
    if recipient.deleted_at.is_some() {
        return Ok(None);
    }
    let people = crate::api::reports::people_in(conn, company, &reach, None).await?;
    let context = time::Company::load(conn, company).await?;
    let request = time::Request {
        company: &context,
        people: &people,
        from: email.period_from,
        to: email.period_to,
        group: Grouping::Person,
        time_zone: &email.time_zone,
        until: None,
        classify: true,
        by_own_days: false,
    };
    let report = time::report(conn, &request).await?;
    let with_settings = attendance::with_policies(conn, company, &people).await?;
    let (_, attendance) = attendance::days(
        conn,
        company,
        &with_settings,
        (email.period_from, email.period_to),
        DEFAULT_GRACE_MINS,
        now,
    )
    .await?;

    let period = if email.period_from == email.period_to {
        email.period_from.format("%A %-d %B %Y").to_string()
    } else {
        format!(
            "{} to {}",
            email.period_from.format("%a %-d %b"),
            email.period_to.format("%a %-d %b %Y")
        )
    };
    let kind = match email.frequency {
        ReportFrequency::Daily => "Daily",
        ReportFrequency::Weekly => "Weekly",
    };
    let total = &report.total;
    let mut body = format!(
        "Hello {},\n\n{kind} summary for {period} ({}), {} people:\n\n\
         Worked: {}\nActive: {} ({} %)\nProductive: {} ({} % of active time)\n\
         Attendance: {} on time, {} late starts, {} early ends, {} absences\n\n",
        recipient.name,
        email.time_zone,
        people.len(),
        duration(total.worked_secs),
        duration(total.active_secs),
        total.activity_percent,
        duration(total.productive_secs),
        total.productive_percent(),
        attendance.on_time,
        attendance.late_start,
        attendance.early_end,
        attendance.absent,
    );
    let mut rows: Vec<_> = report
        .rows
        .iter()
        .filter(|r| r.figures.worked_secs > 0)
        .collect();
    rows.sort_by(|a, b| {
        b.figures
            .worked_secs
            .cmp(&a.figures.worked_secs)
            .then(a.label.cmp(&b.label))
    });
    for row in rows.iter().take(LISTED_PEOPLE) {
        let f = &row.figures;
        let _ = writeln!(
            body,
            "  {}: {} worked, {} % active, {} % productive",
            row.label,
            duration(f.worked_secs),
            f.activity_percent,
            f.productive_percent()
        );
    }
    if rows.len() > LISTED_PEOPLE {
        let _ = writeln!(body, "  … and {} more", rows.len() - LISTED_PEOPLE);
    }
    if rows.is_empty() {
        body.push_str("  Nobody worked in this period.\n");
    }
    let _ = write!(
        body,
        "\nThe full report: {public_url}/reports?from={}&to={}&group=person\n\n\
         Change or stop these e-mails on your account page: {public_url}/account\n",
        email.period_from, email.period_to
    );
    Ok(Some(Composed {
        to: recipient.email,
        subject: format!("[Pulse] {kind} summary: {period}"),
        body,
    }))
}

/// `7 h 05 min`.
pub fn duration(secs: i64) -> String {
    let minutes = secs.max(0) / 60;
    format!("{} h {:02} min", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_hours_and_minutes() {
        assert_eq!(super::duration(60_000), "16 h 40 min");
        assert_eq!(super::duration(59), "0 h 00 min");
    }
}
