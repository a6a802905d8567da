//! A person's own data: exports of it (GDPR articles 15 and 20), built in the background
//! into one ZIP archive, and the limits on asking for them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{DataExportId, UserId};

/// How long a finished export can be downloaded before it is deleted.
pub const EXPORT_KEPT_DAYS: i64 = 7;
/// Exports one person may ask for in 24 hours (whoever asks).
pub const EXPORTS_PER_DAY: i64 = 3;

/// Where an export stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum ExportStatus {
    /// Waiting for a worker.
    Queued,
    /// Being built; `progress` says how far.
    Running,
    /// Built: `download_url` fetches it until `expires_at`.
    Ready,
    /// Could not be built; ask again.
    Failed,
}

impl ExportStatus {
    pub const ALL: [ExportStatus; 4] = [
        ExportStatus::Queued,
        ExportStatus::Running,
        ExportStatus::Ready,
        ExportStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Queued => "queued",
            ExportStatus::Running => "running",
            ExportStatus::Ready => "ready",
            ExportStatus::Failed => "failed",
        }
    }

    /// The name to show a person.
    pub fn label(self) -> &'static str {
        match self {
            ExportStatus::Queued => "Waiting to start",
            ExportStatus::Running => "Being prepared",
            ExportStatus::Ready => "Ready",
            ExportStatus::Failed => "Failed",
        }
    }

    /// Whether the export is still being made.
    pub fn is_open(self) -> bool {
        matches!(self, ExportStatus::Queued | ExportStatus::Running)
    }
}

impl std::str::FromStr for ExportStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExportStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("unknown export status {s:?}"))
    }
}

#[cfg(feature = "diesel")]
crate::sql::text_column!(ExportStatus);

/// One export of a person's data: their profile, activity, work sessions, screenshots
/// (with the images), who opened those screenshots, and the audit events about them,
/// as JSON and CSV with an `index.html` to start from, in one ZIP archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataExport {
    pub id: DataExportId,
    /// Whose data it holds.
    pub user_id: UserId,
    /// Who asked for it: the person, or an owner or admin of their company.
    pub requested_by: Option<UserId>,
    pub status: ExportStatus,
    /// How far the build is, 0 to 100.
    pub progress: i16,
    /// The archive's size in bytes, once ready.
    pub size_bytes: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// When it became ready or failed.
    pub finished_at: Option<DateTime<Utc>>,
    /// When the archive is deleted (7 days after the request).
    pub expires_at: DateTime<Utc>,
    /// Once ready: where to `GET` the ZIP (with the same credentials).
    pub download_url: Option<String>,
}

/// The answer of `GET /api/v1/me/exports` and `GET /api/v1/people/{id}/exports`: the
/// person's exports not yet expired, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataExportListResponse {
    pub items: Vec<DataExport>,
}
