//! The on-disk spool (SQLite, WAL): every event and screenshot is written here before
//! it is sent, and deleted only after the server's 2xx, so a stopped server, a lost
//! network or a killed agent loses nothing. What the server refuses for good (4xx other
//! than 429) moves to a dead-letter table with the reason. The spool has a size cap:
//! past it the oldest items are dropped, logged and counted.

use std::path::Path;

use anyhow::Context as _;
use pulse_shared::activity::ActivityEvent;
use rusqlite::{Connection, OptionalExtension as _, params};

/// The default cap on what the spool holds (events and screenshots), in bytes.
pub const DEFAULT_CAP_BYTES: u64 = 256 * 1024 * 1024;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS screenshots (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    captured_at TEXT NOT NULL,
    monitor INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    image BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

/// A spooled event, with its place in the spool.
#[derive(Debug, Clone)]
pub struct Spooled<T> {
    pub seq: i64,
    pub item: T,
}

/// A spooled screenshot.
#[derive(Debug, Clone)]
pub struct Shot {
    pub id: uuid::Uuid,
    pub captured_at: chrono::DateTime<chrono::Utc>,
    pub monitor: u32,
    pub content_type: String,
    pub image: Vec<u8>,
}

/// What the spool holds, for `status` and the logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub events: u64,
    pub screenshots: u64,
    pub dead_letters: u64,
    /// Items dropped because the spool was full, ever.
    pub dropped: u64,
}

pub struct Spool {
    conn: Connection,
    cap_bytes: u64,
}

impl Spool {
    /// Opens (creating) the spool at `path`.
    pub fn open(path: &Path, cap_bytes: u64) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // With WAL, NORMAL survives a killed process (only a power loss may lose the
        // last commits).
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        Ok(Self { conn, cap_bytes })
    }

    /// Spools events in one transaction (an event already spooled is ignored).
    pub fn push_events(&mut self, events: &[ActivityEvent]) -> anyhow::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        {
            let mut insert =
                tx.prepare_cached("INSERT OR IGNORE INTO events (id, body) VALUES (?1, ?2)")?;
            for event in events {
                insert.execute(params![event.id.to_string(), serde_json::to_string(event)?])?;
            }
        }
        tx.commit()?;
        self.enforce_cap()
    }

    pub fn push_screenshot(&mut self, shot: &Shot) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO screenshots (id, captured_at, monitor, content_type, image) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                shot.id.to_string(),
                shot.captured_at.to_rfc3339(),
                shot.monitor,
                shot.content_type,
                shot.image
            ],
        )?;
        self.enforce_cap()
    }

    /// The oldest `limit` events, oldest first.
    pub fn oldest_events(&self, limit: usize) -> anyhow::Result<Vec<Spooled<ActivityEvent>>> {
        let mut query = self
            .conn
            .prepare_cached("SELECT seq, body FROM events ORDER BY seq LIMIT ?1")?;
        let rows = query.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut events = Vec::new();
        for row in rows {
            let (seq, body) = row?;
            events.push(Spooled {
                seq,
                item: serde_json::from_str(&body).context("a spooled event does not parse")?,
            });
        }
        Ok(events)
    }

    pub fn oldest_screenshot(&self) -> anyhow::Result<Option<Spooled<Shot>>> {
        self.conn
            .query_row(
                "SELECT seq, id, captured_at, monitor, content_type, image FROM screenshots ORDER BY seq LIMIT 1",
                [],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, u32>(3)?,
                        row.get::<_, String>(4)?,
                        row.get::<_, Vec<u8>>(5)?,
                    ))
                },
            )
            .optional()?
            .map(|(seq, id, captured_at, monitor, content_type, image)| {
                Ok(Spooled {
                    seq,
                    item: Shot {
                        id: id.parse()?,
                        captured_at: chrono::DateTime::parse_from_rfc3339(&captured_at)?.to_utc(),
                        monitor,
                        content_type,
                        image,
                    },
                })
            })
            .transpose()
    }

    /// Deletes events the server took (2xx).
    pub fn delete_events(&mut self, seqs: &[i64]) -> anyhow::Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut delete = tx.prepare_cached("DELETE FROM events WHERE seq = ?1")?;
            for seq in seqs {
                delete.execute([seq])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn delete_screenshot(&mut self, seq: i64) -> anyhow::Result<()> {
        self.conn
            .execute("DELETE FROM screenshots WHERE seq = ?1", [seq])?;
        Ok(())
    }

    /// Moves events the server refused for good to the dead letters, with its answer.
    pub fn dead_events(&mut self, seqs: &[i64], status: u16, reason: &str) -> anyhow::Result<()> {
        let tx = self.conn.transaction()?;
        for seq in seqs {
            tx.execute(
                "INSERT INTO dead_letters (kind, body, status, reason, failed_at)
                 SELECT 'event', body, ?2, ?3, ?4 FROM events WHERE seq = ?1",
                params![seq, status, reason, chrono::Utc::now().to_rfc3339()],
            )?;
            tx.execute("DELETE FROM events WHERE seq = ?1", [seq])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn dead_screenshot(&mut self, seq: i64, status: u16, reason: &str) -> anyhow::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO dead_letters (kind, body, status, reason, failed_at)
             SELECT 'screenshot', id, ?2, ?3, ?4 FROM screenshots WHERE seq = ?1",
            params![seq, status, reason, chrono::Utc::now().to_rfc3339()],
        )?;
        tx.execute("DELETE FROM screenshots WHERE seq = ?1", [seq])?;
        tx.commit()?;
        Ok(())
    }

    pub fn counts(&self) -> anyhow::Result<Counts> {
        let count = |table: &str| -> anyhow::Result<u64> {
            let n: i64 =
                self.conn
                    .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                        row.get(0)
                    })?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        Ok(Counts {
            events: count("events")?,
            screenshots: count("screenshots")?,
            dead_letters: count("dead_letters")?,
            dropped: self
                .get("dropped")?
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
        })
    }

    /// A remembered value (the policy, the last sync, counters).
    pub fn get(&self, key: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM state WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()?)
    }

    pub fn set(&self, key: &str, value: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn remove(&self, key: &str) -> anyhow::Result<()> {
        self.conn
            .execute("DELETE FROM state WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Drops the oldest items (screenshots first: they are the large ones) while the
    /// spool holds more than its cap.
    fn enforce_cap(&mut self) -> anyhow::Result<()> {
        let bytes = |conn: &Connection| -> anyhow::Result<u64> {
            let n: i64 = conn.query_row(
                "SELECT (SELECT coalesce(sum(length(body)), 0) FROM events)
                      + (SELECT coalesce(sum(length(image)), 0) FROM screenshots)",
                [],
                |row| row.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        let mut dropped = 0u64;
        while bytes(&self.conn)? > self.cap_bytes {
            let mut gone = self.conn.execute(
                "DELETE FROM screenshots WHERE seq = (SELECT min(seq) FROM screenshots)",
                [],
            )?;
            if gone == 0 {
                gone = self.conn.execute(
                    "DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq LIMIT 100)",
                    [],
                )?;
            }
            if gone == 0 {
                break;
            }
            dropped += gone as u64;
        }
        if dropped > 0 {
            let total = self.counts()?.dropped + dropped;
            self.set("dropped", &total.to_string())?;
            eprintln!(
                "pulse-agent: the spool is over its cap of {} bytes: dropped the {dropped} oldest items ({total} so far)",
                self.cap_bytes
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u32) -> ActivityEvent {
        ActivityEvent {
            id: uuid::Uuid::now_v7(),
            app: format!("app{n}"),
            title: Some("x".repeat(200)),
            url: None,
            started_at: chrono::Utc::now(),
            duration_secs: 1,
            keystrokes: n,
            mouse_events: 0,
            active_secs: 1,
            idle: false,
        }
    }

    fn path(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("pulse-spool-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("spool.sqlite3")
    }

    #[test]
    fn events_stay_until_deleted_and_survive_a_reopen() -> anyhow::Result<()> {
        let path = path("reopen");
        let mut spool = Spool::open(&path, DEFAULT_CAP_BYTES)?;
        let events: Vec<_> = (0..5).map(event).collect();
        spool.push_events(&events)?;
        spool.push_events(&events[..2])?; // already spooled: ignored
        let oldest = spool.oldest_events(3)?;
        assert_eq!(
            oldest.iter().map(|e| e.item.keystrokes).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        spool.delete_events(&[oldest[0].seq, oldest[1].seq])?;
        spool.dead_events(&[oldest[2].seq], 422, "bad")?;
        drop(spool);
        let spool = Spool::open(&path, DEFAULT_CAP_BYTES)?;
        let left: Vec<_> = spool
            .oldest_events(10)?
            .into_iter()
            .map(|e| e.item)
            .collect();
        assert_eq!(left, events[3..]);
        assert_eq!(spool.counts()?.dead_letters, 1);
        Ok(())
    }

    #[test]
    fn past_the_cap_the_oldest_are_dropped_and_counted() -> anyhow::Result<()> {
        let mut spool = Spool::open(&path("cap"), 20_000)?;
        for n in 0..300 {
            spool.push_events(&[event(n)])?;
        }
        let counts = spool.counts()?;
        assert!(counts.dropped >= 100, "{counts:?}");
        assert_eq!(counts.events + counts.dropped, 300);
        let oldest = spool.oldest_events(1)?;
        assert!(oldest[0].item.keystrokes >= 100, "the oldest went first");
        Ok(())
    }
}
