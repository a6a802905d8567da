//! The object store screenshots live in (a local directory by default, S3 when
//! configured), the layout of its keys, and the deletion queue that keeps it in step
//! with the database.
//!
//! Keys are namespaced by company and person: `screenshots/{company}/{user}/{id}.{ext}`
//! and `screenshots/{company}/{user}/{id}.thumb.jpg`. Objects are deleted only through
//! `object_deletions`: rows are queued in the transaction that removes their
//! screenshot (or before an upload writes them), and deleted here, after the commit,
//! by whoever gets to them first.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use pulse_shared::ids::{CompanyId, ScreenshotId, UserId};
use pulse_shared::screenshots::ImageFormat;

use crate::config::ObjectStoreConfig;
use crate::db::{self, Db, screenshots};

/// The store, shared by all workers.
pub type Store = Arc<dyn ObjectStore>;

/// Opens the configured store; a local directory is created when missing.
pub fn open(config: &ObjectStoreConfig) -> anyhow::Result<Store> {
    Ok(match config {
        ObjectStoreConfig::Local(dir) => {
            std::fs::create_dir_all(dir).map_err(|error| {
                anyhow::anyhow!(
                    "cannot create the object directory {}: {error}",
                    dir.display()
                )
            })?;
            Arc::new(LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true))
        }
        ObjectStoreConfig::S3 { bucket, prefix } => {
            let s3 = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()?;
            if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(PrefixStore::new(s3, prefix.as_str()))
            }
        }
    })
}

/// The key of a screenshot's stored original.
pub fn original_key(
    company: CompanyId,
    user: UserId,
    id: ScreenshotId,
    format: ImageFormat,
) -> String {
    let extension = match format {
        ImageFormat::Png => "png",
        ImageFormat::Jpeg => "jpg",
        ImageFormat::Webp => "webp",
    };
    format!("screenshots/{company}/{user}/{id}.{extension}")
}

/// The key of a screenshot's thumbnail (always JPEG).
pub fn thumbnail_key(company: CompanyId, user: UserId, id: ScreenshotId) -> String {
    format!("screenshots/{company}/{user}/{id}.thumb.jpg")
}

pub async fn put(store: &dyn ObjectStore, key: &str, bytes: Vec<u8>) -> object_store::Result<()> {
    store
        .put(&Path::from(key), PutPayload::from(bytes))
        .await
        .map(drop)
}

pub async fn get(
    store: &dyn ObjectStore,
    key: &str,
) -> object_store::Result<actix_web::web::Bytes> {
    store.get(&Path::from(key)).await?.bytes().await
}

/// Deletes objects; one already gone counts as deleted.
pub async fn delete(store: &dyn ObjectStore, keys: &[String]) -> object_store::Result<()> {
    for key in keys {
        match store.delete(&Path::from(key.as_str())).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Deletes the queued objects `keys` of `company` now and takes them off the queue. A
/// failure is logged and left to [`drain`], which retries due rows.
pub async fn forget(db: &Db, store: &dyn ObjectStore, company: CompanyId, keys: &[String]) {
    if let Err(error) = delete(store, keys).await {
        tracing::warn!(%error, "objects stay queued for deletion");
        return;
    }
    let unqueued = async {
        let mut conn = db.tenant(company).await?;
        screenshots::unqueue_deletions(&mut conn, company, keys).await?;
        Ok::<_, db::DbError>(())
    };
    if let Err(error) = unqueued.await {
        tracing::warn!(%error, "deleted objects stay queued; a later round forgets them");
    }
}

/// Deletes up to `limit` objects whose deletion is due at `now`; answers how many.
/// Replicas share the work: each takes rows the others have not locked.
pub async fn drain(
    db: &Db,
    store: &dyn ObjectStore,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<usize, anyhow::Error> {
    let mut conn = db.system().await?;
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        let due = screenshots::due_deletions(conn, now, limit).await?;
        for (company, key) in &due {
            delete(store, std::slice::from_ref(key)).await?;
            screenshots::unqueue_deletions(conn, CompanyId(*company), std::slice::from_ref(key))
                .await?;
        }
        Ok(due.len())
    })
    .await
}
