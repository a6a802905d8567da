//! What a restore checks before it calls itself done: the migrations are the backup's
//! and known to this binary, every company's audit chain verifies, and the newest
//! screenshot of each company opens from the configured object store.
//!
//! These queries read across companies: a restore is the whole database's business,
//! not a tenant's.

use std::collections::BTreeSet;

use anyhow::{Context, bail};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use pulse_shared::ids::CompanyId;

use crate::db::{self, schema};

/// What the checks found.
#[derive(Debug)]
pub struct Checked {
    pub migrations: usize,
    /// Migrations this binary has that the backup's database had not applied yet;
    /// `pulse migrate` (or `pulse serve`) applies them.
    pub pending_migrations: usize,
    pub companies: usize,
    pub people: i64,
    /// Audit events re-walked, every company's chain intact.
    pub audit_events: i64,
    pub screenshots: i64,
}

/// The versions of the migrations compiled into this binary.
pub fn known_migrations() -> anyhow::Result<BTreeSet<String>> {
    let migrations =
        diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&db::MIGRATIONS)
            .map_err(|error| anyhow::anyhow!("reading the embedded migrations: {error}"))?;
    Ok(migrations
        .iter()
        .map(|migration| migration.name().version().to_string())
        .collect())
}

/// Checks the restored database against the migrations the backup recorded, and the
/// objects its screenshots name against `store`.
pub async fn restored(
    conn: &mut AsyncPgConnection,
    store: &dyn ObjectStore,
    recorded: &[String],
) -> anyhow::Result<Checked> {
    let applied: BTreeSet<String> = db::applied_migrations(conn)
        .await?
        .into_iter()
        .map(|migration| migration.version)
        .collect();
    let recorded: BTreeSet<String> = recorded.iter().cloned().collect();
    if applied != recorded {
        bail!(
            "the restored database has {} migrations applied where the backup recorded {}",
            applied.len(),
            recorded.len()
        );
    }
    let pending_migrations = known_migrations()?.difference(&applied).count();

    let companies: Vec<CompanyId> = schema::companies::table
        .select(schema::companies::id)
        .order(schema::companies::id)
        .load(conn)
        .await?;
    let mut audit_events = 0;
    for &company in &companies {
        let verification = db::audit::verify(conn, company)
            .await
            .with_context(|| format!("verifying the audit chain of company {company}"))?;
        if let Some((seq, _)) = verification.first_broken {
            bail!("the audit chain of company {company} breaks at event {seq}");
        }
        audit_events += verification.checked;
    }

    use schema::screenshots::dsl as shots;
    let newest: Vec<(CompanyId, String, String)> = shots::screenshots
        .order((shots::company_id, shots::uploaded_at.desc()))
        .distinct_on(shots::company_id)
        .select((shots::company_id, shots::original_key, shots::thumbnail_key))
        .load(conn)
        .await?;
    for (company, original, thumbnail) in &newest {
        for key in [original, thumbnail] {
            match store.head(&Path::from(key.as_str())).await {
                Ok(_) => {}
                Err(object_store::Error::NotFound { .. }) => bail!(
                    "the newest screenshot of company {company} does not open: {key} is not in the object store (PULSE_OBJECT_STORE)"
                ),
                Err(error) => {
                    bail!("cannot read {key} from the object store (PULSE_OBJECT_STORE): {error}")
                }
            }
        }
    }

    Ok(Checked {
        migrations: applied.len(),
        pending_migrations,
        companies: companies.len(),
        people: schema::users::table.count().get_result(conn).await?,
        audit_events,
        screenshots: shots::screenshots.count().get_result(conn).await?,
    })
}
