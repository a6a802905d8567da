//! Exports of a person's data (`data_exports`): asked for by the API, claimed and built
//! by `worker::exports`, deleted when they expire (their archive through the object
//! deletion queue, by a trigger).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{CompanyId, DataExportId, UserId};
use pulse_shared::privacy::{DataExport, ExportStatus};

use super::schema::data_exports;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = data_exports)]
pub struct ExportRow {
    pub company_id: CompanyId,
    pub id: DataExportId,
    pub user_id: UserId,
    pub requested_by: Option<UserId>,
    pub status: ExportStatus,
    pub progress: i16,
    pub object_key: Option<String>,
    pub size_bytes: Option<i64>,
    pub error: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

impl From<ExportRow> for DataExport {
    fn from(row: ExportRow) -> Self {
        let ready = row.status == ExportStatus::Ready;
        Self {
            id: row.id,
            user_id: row.user_id,
            requested_by: row.requested_by,
            status: row.status,
            progress: row.progress,
            size_bytes: row.size_bytes,
            created_at: row.created_at,
            finished_at: row.finished_at,
            expires_at: row.expires_at,
            download_url: ready.then(|| format!("/api/v1/exports/{}/download", row.id)),
        }
    }
}

/// Queues `row` unless an export of the same person is already queued or running
/// (the partial unique index `data_exports_one_open`); answers whether it did.
pub async fn insert(conn: &mut AsyncPgConnection, row: &ExportRow) -> QueryResult<bool> {
    diesel::insert_into(data_exports::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|inserted| inserted == 1)
}

/// How many exports of `user` were asked for at or after `since`.
pub async fn asked_since(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    since: DateTime<Utc>,
) -> QueryResult<i64> {
    data_exports::table
        .filter(data_exports::company_id.eq(company))
        .filter(data_exports::user_id.eq(user))
        .filter(data_exports::created_at.ge(since))
        .count()
        .get_result(conn)
        .await
}

/// `company`'s export `id`, unless it has expired at `now`.
pub async fn find(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: DataExportId,
    now: DateTime<Utc>,
) -> QueryResult<Option<ExportRow>> {
    data_exports::table
        .find((company, id))
        .filter(data_exports::expires_at.gt(now))
        .select(ExportRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// `user`'s exports not expired at `now`, newest first (a handful: they are limited
/// per day and kept a week).
pub async fn of_person(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    now: DateTime<Utc>,
) -> QueryResult<Vec<ExportRow>> {
    data_exports::table
        .filter(data_exports::company_id.eq(company))
        .filter(data_exports::user_id.eq(user))
        .filter(data_exports::expires_at.gt(now))
        .order((data_exports::created_at.desc(), data_exports::id.desc()))
        .limit(50)
        .select(ExportRow::as_select())
        .load(conn)
        .await
}

/// Claims the oldest export waiting to be built, or one whose builder's lease ran out
/// before `now`, for `lease_until`: across companies, as the worker serves them all.
/// Replicas skip rows another holds.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> QueryResult<Option<ExportRow>> {
    diesel::sql_query(
        "UPDATE data_exports SET status = $1, progress = 0, lease_until = $2
          WHERE (company_id, id) = (
                SELECT company_id, id FROM data_exports
                 WHERE (status = $3 OR (status = $1 AND lease_until < $4)) AND expires_at > $4
                 ORDER BY created_at
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED)
          RETURNING *",
    )
    .bind::<Text, _>(ExportStatus::Running.as_str())
    .bind::<Timestamptz, _>(lease_until)
    .bind::<Text, _>(ExportStatus::Queued.as_str())
    .bind::<Timestamptz, _>(now)
    .get_result(conn)
    .await
    .optional()
}

/// Records how far the build of `id` is, and extends its lease.
pub async fn set_progress(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: DataExportId,
    progress: i16,
    lease_until: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(data_exports::table.find((company, id)))
        .set((
            data_exports::progress.eq(progress),
            data_exports::lease_until.eq(lease_until),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Notes where the archive of `id` is being written, before the first byte is, so
/// that an expiry or a deletion of the person queues it even if the build dies.
pub async fn set_object_key(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: DataExportId,
    key: &str,
) -> QueryResult<()> {
    diesel::update(data_exports::table.find((company, id)))
        .set(data_exports::object_key.eq(key))
        .execute(conn)
        .await
        .map(drop)
}

/// Marks `id` ready: its archive is stored, `size` bytes.
pub async fn finish(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: DataExportId,
    size: i64,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(data_exports::table.find((company, id)))
        .set((
            data_exports::status.eq(ExportStatus::Ready),
            data_exports::progress.eq(100),
            data_exports::size_bytes.eq(size),
            data_exports::finished_at.eq(now),
            data_exports::lease_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Marks `id` failed with a short reason (never shown in full to the person).
pub async fn fail(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: DataExportId,
    error: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(data_exports::table.find((company, id)))
        .set((
            data_exports::status.eq(ExportStatus::Failed),
            data_exports::error.eq(error.chars().take(500).collect::<String>()),
            data_exports::finished_at.eq(now),
            data_exports::lease_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Deletes up to `limit` exports expired at `now`, across companies; their archives are
/// queued for deletion by the trigger. Answers how many.
pub async fn purge_expired(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM data_exports WHERE (company_id, id) IN (
             SELECT company_id, id FROM data_exports WHERE expires_at <= $1 LIMIT $2)",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(limit)
    .execute(conn)
    .await
}

/// `user`'s work sessions after `after` (start, id), oldest first, at most `limit`: an
/// export reads them all, a page at a time.
pub async fn sessions_after(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    after: Option<(DateTime<Utc>, uuid::Uuid)>,
    limit: i64,
) -> QueryResult<Vec<super::activity::SessionRow>> {
    use super::schema::work_sessions;
    let mut query = work_sessions::table
        .filter(work_sessions::company_id.eq(company))
        .filter(work_sessions::user_id.eq(user))
        .order((work_sessions::started_at.asc(), work_sessions::id.asc()))
        .limit(limit)
        .select(super::activity::SessionRow::as_select())
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            work_sessions::started_at
                .gt(at)
                .or(work_sessions::started_at
                    .eq(at)
                    .and(work_sessions::id.gt(id))),
        );
    }
    query.load(conn).await
}

/// `user`'s screenshots after `after` (capture time, id), oldest first, at most `limit`.
pub async fn screenshots_after(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    after: Option<(DateTime<Utc>, uuid::Uuid)>,
    limit: i64,
) -> QueryResult<Vec<super::screenshots::ScreenshotRow>> {
    use super::schema::screenshots;
    let mut query = screenshots::table
        .filter(screenshots::company_id.eq(company))
        .filter(screenshots::user_id.eq(user))
        .order((screenshots::captured_at.asc(), screenshots::id.asc()))
        .limit(limit)
        .select(super::screenshots::ScreenshotRow::as_select())
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            screenshots::captured_at
                .gt(at)
                .or(screenshots::captured_at.eq(at).and(screenshots::id.gt(id))),
        );
    }
    query.load(conn).await
}
