//! The export archive: one person's data as a ZIP written straight into the object
//! store, a page of rows at a time.
//!
//! The archive holds `index.html` (what is inside, in plain words, with links), and per
//! kind a JSON file (an array of the API's own types) and a CSV file (one row each,
//! formulas defused): `profile`, `activity`, `sessions`, `screenshots` (with the images
//! under `screenshots/`), `screenshot_views` (who opened their screenshots) and
//! `audit_events` (changes by them or about them). Each kind is read twice (once per
//! format) in pages of [`PAGE`] rows, so memory holds a page and one image, whatever
//! the person has. The ZIP is written as a stream (sizes after each entry), and its
//! bytes leave in parts of [`PART_BYTES`] through a multipart upload.

use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use object_store::path::Path;
use object_store::{ObjectStoreExt, WriteMultipart};
use pulse_shared::activity::{ActivityRecord, WorkSession};
use pulse_shared::audit::AuditEvent;
use pulse_shared::ids::{CompanyId, DataExportId, UserId};
use pulse_shared::people::Person;
use pulse_shared::screenshots::{Screenshot, ScreenshotView};
use serde::Serialize;
use zip::ZipWriter;
use zip::write::{SimpleFileOptions, StreamWriter};

use crate::db::activity::{self, EventCursor};
use crate::db::people::UserRow;
use crate::db::{self, audit, erasure, exports, screenshots};
use crate::storage::{self, Store};

/// Every time a row can have: 1970 to the end of 9999.
fn all_time() -> (DateTime<Utc>, DateTime<Utc>) {
    let end = DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
    (DateTime::UNIX_EPOCH, end)
}

/// Rows read per query.
const PAGE: i64 = 1000;
/// Bytes sent to the store per part (S3's smallest part is 5 MiB).
const PART_BYTES: usize = 5 * 1024 * 1024;
/// Parts in flight at once.
const PARTS_IN_FLIGHT: usize = 2;
/// Images listed one by one in `index.html`; past this the CSV names them.
const IMAGES_LISTED: usize = 2000;

/// The key of an export's archive.
pub fn object_key(company: CompanyId, user: UserId, id: DataExportId) -> String {
    format!("exports/{company}/{user}/{id}.zip")
}

/// What is being exported.
pub struct Job<'a> {
    pub company: CompanyId,
    pub id: DataExportId,
    pub person: &'a UserRow,
    pub now: DateTime<Utc>,
    /// Each progress report extends the build's claim to this.
    pub lease_until: DateTime<Utc>,
}

impl Job<'_> {
    /// Records that the build is `percent` done.
    async fn progress(&self, conn: &mut AsyncPgConnection, percent: i16) -> anyhow::Result<()> {
        exports::set_progress(conn, self.company, self.id, percent, self.lease_until).await?;
        Ok(())
    }
}

/// Builds the archive of `job` into `store` at `key`, reading with `conn`; answers its
/// size in bytes. On failure the partial upload is aborted.
pub async fn build(
    conn: &mut AsyncPgConnection,
    store: &Store,
    key: &str,
    job: Job<'_>,
) -> anyhow::Result<i64> {
    let upload = store.put_multipart(&Path::from(key)).await?;
    let sink = Sink::default();
    let mut archive = Archive {
        zip: ZipWriter::new_stream(sink.clone()),
        sink,
        upload: WriteMultipart::new_with_chunk_size(upload, PART_BYTES),
        written: 0,
    };
    match fill(conn, store, &mut archive, job).await {
        Ok(()) => archive.finish().await,
        Err(error) => {
            if let Err(abort) = archive.upload.abort().await {
                tracing::warn!(%abort, "an export's partial upload could not be aborted");
            }
            Err(error)
        }
    }
}

/// How many of each kind went in, for the index.
#[derive(Default)]
struct Counts {
    activity: usize,
    sessions: usize,
    screenshots: usize,
    views: usize,
    audit: usize,
}

async fn fill(
    conn: &mut AsyncPgConnection,
    store: &Store,
    archive: &mut Archive,
    job: Job<'_>,
) -> anyhow::Result<()> {
    let (company, person) = (job.company, job.person);
    let user = person.id;
    let mut counts = Counts::default();

    let profile = Person::from(person.clone());
    archive.file("profile.json")?;
    archive.write(&serde_json::to_vec_pretty(&profile)?)?;
    archive.file("profile.csv")?;
    let mut csv = String::new();
    crate::api::csv::push_line(&mut csv, &strings(PROFILE_HEADER));
    crate::api::csv::push_line(
        &mut csv,
        &[
            profile.id.to_string(),
            profile.name.clone(),
            profile.email.clone(),
            profile.role.as_str().to_owned(),
            profile.status.as_str().to_owned(),
            profile
                .team_id
                .map(|team| team.to_string())
                .unwrap_or_default(),
            profile.created_at.to_rfc3339(),
        ],
    );
    archive.write(csv.as_bytes())?;
    archive.drain().await?;
    job.progress(conn, 5).await?;

    // Activity: what the computers reported, event by event.
    for format in Format::BOTH {
        archive.file(&format!("activity.{}", format.extension()))?;
        let mut writer = Records::new(format, ACTIVITY_HEADER);
        let mut cursor = None;
        loop {
            let rows = activity::events(conn, company, user, all_time(), cursor, PAGE).await?;
            cursor = rows.last().map(|row| EventCursor {
                started_at: row.started_at,
                id: row.id,
            });
            for row in &rows {
                let record = ActivityRecord::from(row.clone());
                writer.push(archive, &record, || activity_row(&record))?;
            }
            archive.drain().await?;
            if i64::try_from(rows.len()).unwrap_or(0) < PAGE {
                break;
            }
        }
        counts.activity = writer.finish(archive)?;
    }
    archive.drain().await?;
    job.progress(conn, 35).await?;

    for format in Format::BOTH {
        archive.file(&format!("sessions.{}", format.extension()))?;
        let mut writer = Records::new(format, SESSION_HEADER);
        let mut after = None;
        loop {
            let rows = exports::sessions_after(conn, company, user, after, PAGE).await?;
            after = rows.last().map(|row| (row.started_at, row.id.0));
            for row in &rows {
                let session = WorkSession::from(row.clone());
                writer.push(archive, &session, || session_row(&session))?;
            }
            archive.drain().await?;
            if i64::try_from(rows.len()).unwrap_or(0) < PAGE {
                break;
            }
        }
        counts.sessions = writer.finish(archive)?;
    }
    job.progress(conn, 45).await?;

    for format in Format::BOTH {
        archive.file(&format!("screenshots.{}", format.extension()))?;
        let mut writer = Records::new(format, SCREENSHOT_HEADER);
        let mut after = None;
        loop {
            let rows = exports::screenshots_after(conn, company, user, after, PAGE).await?;
            after = rows.last().map(|row| (row.captured_at, row.id.0));
            for row in rows.iter().cloned() {
                let file = image_file(&row);
                let shot = row.view(false);
                writer.push(
                    archive,
                    &ExportedScreenshot {
                        screenshot: &shot,
                        image_file: &file,
                    },
                    || screenshot_row(&shot, &file),
                )?;
            }
            archive.drain().await?;
            if i64::try_from(rows.len()).unwrap_or(0) < PAGE {
                break;
            }
        }
        counts.screenshots = writer.finish(archive)?;
    }
    job.progress(conn, 50).await?;

    // The images themselves, as stored, one in memory at a time.
    let mut images = Vec::new();
    let mut after = None;
    let mut done = 0usize;
    loop {
        let rows = exports::screenshots_after(conn, company, user, after, PAGE).await?;
        after = rows.last().map(|row| (row.captured_at, row.id.0));
        for row in &rows {
            let bytes = match storage::get(store.as_ref(), &row.original_key).await {
                Ok(bytes) => bytes,
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(error) => return Err(error.into()),
            };
            let file = image_file(row);
            archive.stored_file(&file)?;
            archive.write(&bytes)?;
            archive.drain().await?;
            if images.len() < IMAGES_LISTED {
                images.push(file);
            }
            done += 1;
            if counts.screenshots > 0 && done.is_multiple_of(50) {
                let share = done * 35 / counts.screenshots;
                job.progress(conn, 50 + i16::try_from(share.min(35)).unwrap_or(35))
                    .await?;
            }
        }
        if i64::try_from(rows.len()).unwrap_or(0) < PAGE {
            break;
        }
    }
    job.progress(conn, 85).await?;

    for format in Format::BOTH {
        archive.file(&format!("screenshot_views.{}", format.extension()))?;
        let mut writer = Records::new(format, VIEW_HEADER);
        let mut before = None;
        loop {
            let rows = screenshots::views_of_subject(conn, company, user, before, PAGE).await?;
            before = rows.last().map(|row| row.id);
            let full = i64::try_from(rows.len()).unwrap_or(0) == PAGE;
            for row in rows {
                let view = ScreenshotView::from(row);
                writer.push(archive, &view, || view_row(&view))?;
            }
            archive.drain().await?;
            if !full {
                break;
            }
        }
        counts.views = writer.finish(archive)?;
    }
    job.progress(conn, 90).await?;

    let mut ids = erasure::aliases(conn, company, person).await?;
    ids.push(user.0);
    for format in Format::BOTH {
        archive.file(&format!("audit_events.{}", format.extension()))?;
        let mut writer = Records::new(format, AUDIT_HEADER);
        let mut after = 0;
        loop {
            let rows = audit::about(conn, company, &ids, after, PAGE).await?;
            after = rows.last().map_or(after, |row| row.seq);
            let full = i64::try_from(rows.len()).unwrap_or(0) == PAGE;
            for row in rows {
                let event = AuditEvent::from(row);
                writer.push(archive, &event, || audit_row(&event))?;
            }
            archive.drain().await?;
            if !full {
                break;
            }
        }
        counts.audit = writer.finish(archive)?;
    }
    job.progress(conn, 95).await?;

    archive.file("index.html")?;
    archive.write(index_html(&profile, job.now, &counts, &images).as_bytes())?;
    archive.drain().await?;
    Ok(())
}

/// A screenshot's entry in the export: its metadata and the file of its image.
#[derive(Serialize)]
struct ExportedScreenshot<'a> {
    #[serde(flatten)]
    screenshot: &'a Screenshot,
    /// The image's path inside the archive.
    image_file: &'a str,
}

fn image_file(row: &screenshots::ScreenshotRow) -> String {
    let extension = row
        .original_key
        .rsplit_once('.')
        .map_or("img", |(_, extension)| extension);
    format!(
        "screenshots/{}_{}.{extension}",
        row.captured_at.format("%Y-%m-%dT%H-%M-%SZ"),
        row.id
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

impl Format {
    const BOTH: [Format; 2] = [Format::Json, Format::Csv];

    fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }
}

/// Writes one kind's records into the current entry: a JSON array, or CSV lines under
/// a header.
struct Records {
    format: Format,
    written: usize,
    header: &'static [&'static str],
}

impl Records {
    fn new(format: Format, header: &'static [&'static str]) -> Self {
        Self {
            format,
            written: 0,
            header,
        }
    }

    fn push<T: Serialize>(
        &mut self,
        archive: &mut Archive,
        record: &T,
        row: impl FnOnce() -> Vec<String>,
    ) -> anyhow::Result<()> {
        match self.format {
            Format::Json => {
                archive.write(if self.written == 0 { b"[\n" } else { b",\n" })?;
                archive.write(&serde_json::to_vec(record)?)?;
            }
            Format::Csv => {
                let mut line = String::new();
                if self.written == 0 {
                    crate::api::csv::push_line(&mut line, &strings(self.header));
                }
                crate::api::csv::push_line(&mut line, &row());
                archive.write(line.as_bytes())?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Closes the entry's content; answers how many records it holds.
    fn finish(self, archive: &mut Archive) -> anyhow::Result<usize> {
        match (self.format, self.written) {
            (Format::Json, 0) => archive.write(b"[]\n")?,
            (Format::Json, _) => archive.write(b"\n]\n")?,
            (Format::Csv, 0) => {
                let mut line = String::new();
                crate::api::csv::push_line(&mut line, &strings(self.header));
                archive.write(line.as_bytes())?;
            }
            (Format::Csv, _) => {}
        }
        Ok(self.written)
    }
}

fn strings(header: &[&str]) -> Vec<String> {
    header.iter().map(|name| (*name).to_owned()).collect()
}

const PROFILE_HEADER: &[&str] = &[
    "id",
    "name",
    "email",
    "role",
    "status",
    "team_id",
    "created_at",
];
const ACTIVITY_HEADER: &[&str] = &[
    "id",
    "agent_id",
    "app",
    "title",
    "url",
    "started_at",
    "duration_secs",
    "keystrokes",
    "mouse_events",
    "active_secs",
    "idle",
];
const SESSION_HEADER: &[&str] = &[
    "id",
    "started_at",
    "ended_at",
    "active_secs",
    "idle_secs",
    "keystrokes",
    "mouse_events",
    "top_apps",
];
const SCREENSHOT_HEADER: &[&str] = &[
    "id",
    "agent_id",
    "captured_at",
    "monitor",
    "format",
    "width",
    "height",
    "bytes",
    "blurred",
    "uploaded_at",
    "image_file",
];
const VIEW_HEADER: &[&str] = &[
    "screenshot_id",
    "viewer_id",
    "viewer_name",
    "viewer_role",
    "viewed_at",
];
const AUDIT_HEADER: &[&str] = &[
    "seq",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "action",
    "target_kind",
    "target_id",
    "summary",
    "ip",
    "user_agent",
];

fn activity_row(record: &ActivityRecord) -> Vec<String> {
    vec![
        record.id.to_string(),
        record.agent_id.to_string(),
        record.app.clone(),
        record.title.clone().unwrap_or_default(),
        record.url.clone().unwrap_or_default(),
        record.started_at.to_rfc3339(),
        record.duration_secs.to_string(),
        record.keystrokes.to_string(),
        record.mouse_events.to_string(),
        record.active_secs.to_string(),
        record.idle.to_string(),
    ]
}

fn session_row(session: &WorkSession) -> Vec<String> {
    let apps = session
        .top_apps
        .iter()
        .map(|usage| format!("{} ({} s)", usage.app, usage.secs))
        .collect::<Vec<_>>()
        .join("; ");
    vec![
        session.id.to_string(),
        session.started_at.to_rfc3339(),
        session.ended_at.to_rfc3339(),
        session.active_secs.to_string(),
        session.idle_secs.to_string(),
        session.keystrokes.to_string(),
        session.mouse_events.to_string(),
        apps,
    ]
}

fn screenshot_row(shot: &Screenshot, file: &str) -> Vec<String> {
    vec![
        shot.id.to_string(),
        shot.agent_id.to_string(),
        shot.captured_at.to_rfc3339(),
        shot.monitor.to_string(),
        format!("{:?}", shot.format).to_lowercase(),
        shot.width.to_string(),
        shot.height.to_string(),
        shot.bytes.to_string(),
        shot.blurred.to_string(),
        shot.uploaded_at.to_rfc3339(),
        file.to_owned(),
    ]
}

fn view_row(view: &ScreenshotView) -> Vec<String> {
    vec![
        view.screenshot_id.to_string(),
        view.viewer_id.to_string(),
        view.viewer_name.clone(),
        view.viewer_role.as_str().to_owned(),
        view.viewed_at.to_rfc3339(),
    ]
}

fn audit_row(event: &AuditEvent) -> Vec<String> {
    vec![
        event.seq.to_string(),
        event.occurred_at.to_rfc3339(),
        event.actor_kind.as_str().to_owned(),
        event.actor_id.map(|id| id.to_string()).unwrap_or_default(),
        event.action.clone(),
        event.target_kind.clone(),
        event.target_id.map(|id| id.to_string()).unwrap_or_default(),
        event.summary.to_string(),
        event.ip.clone().unwrap_or_default(),
        event.user_agent.clone().unwrap_or_default(),
    ]
}

/// The page a person opens first: whose data, when, what each file holds and how many
/// records, with links.
fn index_html(profile: &Person, at: DateTime<Utc>, counts: &Counts, images: &[String]) -> String {
    let kinds = [
        (
            "profile",
            "Your profile: name, e-mail address, role, team",
            1,
        ),
        (
            "activity",
            "Activity: each application, window title and site your computers reported, with time and input counts",
            counts.activity,
        ),
        (
            "sessions",
            "Work sessions: the stretches of work made from that activity",
            counts.sessions,
        ),
        (
            "screenshots",
            "Screenshots: when each was taken (the images are in the screenshots folder)",
            counts.screenshots,
        ),
        (
            "screenshot_views",
            "Who opened your screenshots, and when",
            counts.views,
        ),
        (
            "audit_events",
            "Audit events: changes you made and changes made about you",
            counts.audit,
        ),
    ];
    let mut rows = String::new();
    for (name, what, count) in kinds {
        rows.push_str(&format!(
            "<tr><td>{}</td><td class=\"count\" data-kind=\"{name}\">{count}</td><td><a href=\"{name}.json\">{name}.json</a></td><td><a href=\"{name}.csv\">{name}.csv</a></td></tr>\n",
            escape(what)
        ));
    }
    let mut pictures = String::new();
    for file in images {
        pictures.push_str(&format!("<li><a href=\"{0}\">{0}</a></li>\n", escape(file)));
    }
    let more = if counts.screenshots > images.len() {
        format!(
            "<p>{} more are in the folder; screenshots.csv names every one.</p>",
            counts.screenshots - images.len()
        )
    } else {
        String::new()
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Your data in Pulse</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}\
table{{border-collapse:collapse;width:100%;table-layout:fixed}}\
td,th{{border-bottom:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}}\
th:first-child{{width:45%}}\
.count{{text-align:right}}</style></head>\n<body>\n\
<h1>Your data in Pulse</h1>\n\
<p id=\"whose\">Everything Pulse holds about <strong>{name}</strong> ({email}), exported on {date} UTC.</p>\n\
<p>Each kind of record comes twice: as JSON (for programs) and as CSV (for spreadsheets).</p>\n\
<table><thead><tr><th>What</th><th>Records</th><th>JSON</th><th>CSV</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\n\
<h2>Screenshot images</h2>\n<ul id=\"images\">\n{pictures}</ul>\n{more}\n</body></html>\n",
        name = escape(&profile.name),
        email = escape(&profile.email),
        date = at.format("%Y-%m-%d %H:%M"),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Where the ZIP writer's bytes wait until the next [`Archive::drain`] sends them on.
#[derive(Default, Clone)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("export buffer poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn take(&self) -> std::io::Result<Vec<u8>> {
        Ok(std::mem::take(&mut *self.0.lock().map_err(|_| {
            std::io::Error::other("export buffer poisoned")
        })?))
    }
}

/// The ZIP being written and the upload it goes to.
struct Archive {
    zip: ZipWriter<StreamWriter<Sink>>,
    /// The same buffer the ZIP writer writes to.
    sink: Sink,
    upload: WriteMultipart,
    written: i64,
}

impl Archive {
    /// Starts a compressed entry.
    fn file(&mut self, name: &str) -> anyhow::Result<()> {
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        self.zip.start_file(name, options)?;
        Ok(())
    }

    /// Starts an entry kept as it is (images are compressed already).
    fn stored_file(&mut self, name: &str) -> anyhow::Result<()> {
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        self.zip.start_file(name, options)?;
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.zip.write_all(bytes)?;
        Ok(())
    }

    /// Hands what the ZIP writer produced so far to the upload, waiting while too many
    /// parts are in flight.
    async fn drain(&mut self) -> anyhow::Result<()> {
        let bytes = self.sink.take()?;
        self.written += i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        self.upload.write(&bytes);
        self.upload.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        Ok(())
    }

    /// Writes the central directory and completes the upload; answers the size.
    async fn finish(mut self) -> anyhow::Result<i64> {
        self.zip.finish()?;
        let bytes = self.sink.take()?;
        self.written += i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        self.upload.write(&bytes);
        self.upload.finish().await?;
        Ok(self.written)
    }
}

/// `company`'s person `user`, for a build that may find them gone (erased meanwhile).
pub async fn person(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
) -> Result<Option<UserRow>, db::DbError> {
    use diesel::OptionalExtension;
    Ok(db::people::user(conn, company, user).await.optional()?)
}
