//! Screenshots' metadata, who viewed them, and the queue of objects to delete from the
//! object store.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{AgentId, CompanyId, ScreenshotId, UserId};
use pulse_shared::people::Role;
use pulse_shared::screenshots::{ImageFormat, Screenshot, ScreenshotView};
use uuid::Uuid;

use super::schema::{object_deletions, screenshot_views, screenshots, users};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = screenshots)]
pub struct ScreenshotRow {
    pub company_id: CompanyId,
    pub id: ScreenshotId,
    pub agent_id: AgentId,
    pub user_id: UserId,
    pub client_id: Uuid,
    pub captured_at: DateTime<Utc>,
    pub monitor: i32,
    pub format: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub blurred: bool,
    pub original_key: String,
    pub thumbnail_key: String,
    pub uploaded_at: DateTime<Utc>,
}

/// How formats are stored.
pub fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Png => "png",
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Webp => "webp",
    }
}

impl ScreenshotRow {
    /// The stored format; the CHECK constraint admits only known names.
    pub fn format(&self) -> ImageFormat {
        match self.format.as_str() {
            "jpeg" => ImageFormat::Jpeg,
            "webp" => ImageFormat::Webp,
            _ => ImageFormat::Png,
        }
    }

    /// The metadata as `deletable` says the caller may treat it.
    pub fn view(self, deletable: bool) -> Screenshot {
        Screenshot {
            id: self.id,
            agent_id: self.agent_id,
            user_id: self.user_id,
            captured_at: self.captured_at,
            monitor: self.monitor,
            format: self.format(),
            width: self.width,
            height: self.height,
            bytes: self.bytes,
            blurred: self.blurred,
            uploaded_at: self.uploaded_at,
            deletable,
        }
    }
}

/// Inserts `row` unless the agent already uploaded its client id; answers whether it did.
pub async fn insert(conn: &mut AsyncPgConnection, row: &ScreenshotRow) -> QueryResult<bool> {
    diesel::insert_into(screenshots::table)
        .values(row)
        .on_conflict((
            screenshots::company_id,
            screenshots::agent_id,
            screenshots::client_id,
        ))
        .do_nothing()
        .execute(conn)
        .await
        .map(|inserted| inserted > 0)
}

/// The screenshot an agent uploaded under its own id `client`, if any.
pub async fn by_client_id(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    agent: AgentId,
    client: Uuid,
) -> QueryResult<Option<ScreenshotRow>> {
    screenshots::table
        .filter(screenshots::company_id.eq(company))
        .filter(screenshots::agent_id.eq(agent))
        .filter(screenshots::client_id.eq(client))
        .select(ScreenshotRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// How many screenshots `agent` stored of `monitor` captured within `window` of `at`
/// (either side).
pub async fn captured_near(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    agent: AgentId,
    monitor: i32,
    at: DateTime<Utc>,
    window: chrono::Duration,
) -> QueryResult<i64> {
    screenshots::table
        .filter(screenshots::company_id.eq(company))
        .filter(screenshots::agent_id.eq(agent))
        .filter(screenshots::monitor.eq(monitor))
        .filter(screenshots::captured_at.gt(at - window))
        .filter(screenshots::captured_at.lt(at + window))
        .count()
        .get_result(conn)
        .await
}

/// The bytes of `company`'s stored screenshots (kept by triggers).
pub async fn stored_bytes(conn: &mut AsyncPgConnection, company: CompanyId) -> QueryResult<i64> {
    super::schema::companies::table
        .find(company.0)
        .select(super::schema::companies::screenshot_bytes)
        .first(conn)
        .await
}

/// A screenshot of `company`; `NotFound` for any other company's.
pub async fn find(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: ScreenshotId,
) -> QueryResult<ScreenshotRow> {
    screenshots::table
        .find((company, id))
        .select(ScreenshotRow::as_select())
        .first(conn)
        .await
}

/// Where a page of screenshots ends: the last one's capture time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListCursor {
    pub captured_at: DateTime<Utc>,
    pub id: Uuid,
}

impl std::fmt::Display for ListCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.captured_at.timestamp_micros(), self.id)
    }
}

impl std::str::FromStr for ListCursor {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        let (micros, id) = value.split_once('_').ok_or(())?;
        Ok(Self {
            captured_at: DateTime::from_timestamp_micros(micros.parse().map_err(drop)?).ok_or(())?,
            id: id.parse().map_err(drop)?,
        })
    }
}

/// `user`'s screenshots captured in `[from, to)`, newest first, after `before`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    before: Option<ListCursor>,
    limit: i64,
) -> QueryResult<Vec<ScreenshotRow>> {
    let mut query = screenshots::table
        .filter(screenshots::company_id.eq(company))
        .filter(screenshots::user_id.eq(user))
        .filter(screenshots::captured_at.ge(from))
        .filter(screenshots::captured_at.lt(to))
        .select(ScreenshotRow::as_select())
        .order((screenshots::captured_at.desc(), screenshots::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(
            screenshots::captured_at
                .lt(before.captured_at)
                .or(screenshots::captured_at
                    .eq(before.captured_at)
                    .and(screenshots::id.lt(before.id))),
        );
    }
    query.load(conn).await
}

/// Deletes a screenshot (its views go with it, its objects are queued by the trigger);
/// answers the row deleted.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: ScreenshotId,
) -> QueryResult<Option<ScreenshotRow>> {
    diesel::delete(screenshots::table.find((company, id)))
        .returning(ScreenshotRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// Records that `viewer` opened `shot`'s full image.
pub async fn record_view(
    conn: &mut AsyncPgConnection,
    shot: &ScreenshotRow,
    viewer: UserId,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(screenshot_views::table)
        .values((
            screenshot_views::company_id.eq(shot.company_id),
            screenshot_views::id.eq(Uuid::now_v7()),
            screenshot_views::screenshot_id.eq(shot.id),
            screenshot_views::subject_id.eq(shot.user_id),
            screenshot_views::viewer_id.eq(viewer),
            screenshot_views::viewed_at.eq(at),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// A view with its viewer's name and role.
#[derive(Debug, Clone, Queryable)]
pub struct ViewRow {
    pub id: Uuid,
    pub screenshot_id: ScreenshotId,
    pub viewer_id: UserId,
    pub viewer_name: String,
    pub viewer_role: String,
    pub viewed_at: DateTime<Utc>,
}

impl From<ViewRow> for ScreenshotView {
    fn from(row: ViewRow) -> Self {
        Self {
            screenshot_id: row.screenshot_id,
            viewer_id: row.viewer_id,
            viewer_name: row.viewer_name,
            viewer_role: row.viewer_role.parse().unwrap_or(Role::Employee),
            viewed_at: row.viewed_at,
        }
    }
}

type ViewColumns = (
    screenshot_views::id,
    screenshot_views::screenshot_id,
    screenshot_views::viewer_id,
    users::name,
    users::role,
    screenshot_views::viewed_at,
);

const VIEW_COLUMNS: ViewColumns = (
    screenshot_views::id,
    screenshot_views::screenshot_id,
    screenshot_views::viewer_id,
    users::name,
    users::role,
    screenshot_views::viewed_at,
);

/// Every view of one screenshot, newest first (a screenshot is opened a bounded number
/// of times: retention ends it).
pub async fn views_of(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    shot: ScreenshotId,
) -> QueryResult<Vec<ViewRow>> {
    screenshot_views::table
        .inner_join(
            users::table.on(users::company_id
                .eq(screenshot_views::company_id)
                .and(users::id.eq(screenshot_views::viewer_id))),
        )
        .filter(screenshot_views::company_id.eq(company))
        .filter(screenshot_views::screenshot_id.eq(shot))
        .order(screenshot_views::id.desc())
        .limit(1000)
        .select(VIEW_COLUMNS)
        .load(conn)
        .await
}

/// The views of `subject`'s screenshots, newest first, after `before`.
pub async fn views_of_subject(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    subject: UserId,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<ViewRow>> {
    let mut query = screenshot_views::table
        .inner_join(
            users::table.on(users::company_id
                .eq(screenshot_views::company_id)
                .and(users::id.eq(screenshot_views::viewer_id))),
        )
        .filter(screenshot_views::company_id.eq(company))
        .filter(screenshot_views::subject_id.eq(subject))
        .order(screenshot_views::id.desc())
        .limit(limit)
        .select(VIEW_COLUMNS)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(screenshot_views::id.lt(before));
    }
    query.load(conn).await
}

/// Deletes up to `limit` screenshots captured longer ago than their person's effective
/// `screenshot_retention_days` (employee override, else team override, else company
/// default, else the built-in default; never less than a running retention hold);
/// answers how many. Their objects are queued by the
/// trigger, their views go with them.
pub async fn expire(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<usize> {
    // Per person, so each deletion walks the (company, user, captured_at) index.
    let retention = super::policies::retention_days_sql("screenshot_retention_days", "$1");
    diesel::sql_query(format!(
        "WITH kept AS ({retention}),
         doomed AS (
             SELECT s.company_id, s.id
               FROM kept k
              CROSS JOIN LATERAL (
                    SELECT s.company_id, s.id
                      FROM screenshots s
                     WHERE s.company_id = k.company_id AND s.user_id = k.user_id
                       AND s.captured_at < $1 - make_interval(days => k.days)
                     ORDER BY s.captured_at
                     LIMIT $2) s
              LIMIT $2)
         DELETE FROM screenshots s
          USING doomed d
          WHERE s.company_id = d.company_id AND s.id = d.id"
    ))
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(limit)
    .execute(conn)
    .await
}

/// Queues `keys` for deletion from the object store at `due_at`.
pub async fn queue_deletions(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    keys: &[String],
    due_at: DateTime<Utc>,
) -> QueryResult<()> {
    let rows: Vec<_> = keys
        .iter()
        .map(|key| {
            (
                object_deletions::company_id.eq(company),
                object_deletions::key.eq(key),
                object_deletions::due_at.eq(due_at),
            )
        })
        .collect();
    diesel::insert_into(object_deletions::table)
        .values(rows)
        .on_conflict((object_deletions::company_id, object_deletions::key))
        .do_update()
        .set(object_deletions::due_at.eq(due_at))
        .execute(conn)
        .await
        .map(drop)
}

/// Takes `keys` off the deletion queue: their objects are in use, or already deleted.
pub async fn unqueue_deletions(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    keys: &[String],
) -> QueryResult<()> {
    diesel::delete(
        object_deletions::table
            .filter(object_deletions::company_id.eq(company))
            .filter(object_deletions::key.eq_any(keys)),
    )
    .execute(conn)
    .await
    .map(drop)
}

/// Up to `limit` queued deletions due at `now`, locked until the transaction ends and
/// skipped by other replicas meanwhile.
pub async fn due_deletions(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<(Uuid, String)>> {
    object_deletions::table
        .filter(object_deletions::due_at.le(now))
        .order(object_deletions::due_at.asc())
        .limit(limit)
        .select((object_deletions::company_id, object_deletions::key))
        .for_update()
        .skip_locked()
        .load(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = ListCursor {
            captured_at: DateTime::from_timestamp_micros(1_790_000_000_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(cursor.to_string().parse::<ListCursor>(), Ok(cursor));
        assert!("nonsense".parse::<ListCursor>().is_err());
        assert!("12_nope".parse::<ListCursor>().is_err());
    }
}
