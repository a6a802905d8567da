//! Rows streamed into Postgres with `COPY … FROM STDIN` (text format), one connection
//! per table, so a large data set loads as fast as Postgres takes it. The producer
//! writes rows on a thread of its own and hands them over in chunks; each table's rows
//! are committed every so often, so no transaction holds millions of pending checks.

use std::fmt::Write as _;

use anyhow::{Context as _, anyhow};
use bytes::Bytes;
use futures_util::SinkExt as _;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Bytes handed over at once.
const CHUNK_BYTES: usize = 512 * 1024;
/// Chunks waiting per table before the producer waits.
const QUEUED_CHUNKS: usize = 8;

enum Message {
    Rows(Bytes),
    /// End the current `COPY` (committing its rows); the next rows start another.
    Commit,
}

/// Where one table's rows are written. Text format: fields separated by tabs, `\N` for
/// NULL; the fields written here hold no tabs, newlines or backslashes.
pub struct Table {
    name: &'static str,
    buffer: String,
    sender: mpsc::Sender<Message>,
    rows: u64,
}

/// Starts `COPY table (columns) FROM STDIN` on a connection of its own to
/// `database_url`: write rows into the [`Table`] (from a thread that may block), then
/// [`Table::finish`] it and await the task, which answers the rows stored.
pub fn open(
    database_url: &str,
    name: &'static str,
    columns: &'static str,
) -> (Table, JoinHandle<anyhow::Result<u64>>) {
    let (sender, receiver) = mpsc::channel(QUEUED_CHUNKS);
    let url = database_url.to_owned();
    let statement = format!("COPY {name} ({columns}) FROM STDIN");
    let task = tokio::spawn(async move {
        copy(&url, &statement, receiver)
            .await
            .with_context(|| format!("COPY {name}"))
    });
    let table = Table {
        name,
        buffer: String::with_capacity(CHUNK_BYTES + 4096),
        sender,
        rows: 0,
    };
    (table, task)
}

async fn copy(
    url: &str,
    statement: &str,
    mut receiver: mpsc::Receiver<Message>,
) -> anyhow::Result<u64> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    let mut stored = 0;
    let mut sink = None;
    while let Some(message) = receiver.recv().await {
        match message {
            Message::Rows(rows) => {
                if sink.is_none() {
                    sink = Some(Box::pin(client.copy_in::<_, Bytes>(statement).await?));
                }
                if let Some(sink) = sink.as_mut() {
                    sink.send(rows).await?;
                }
            }
            Message::Commit => {
                if let Some(mut done) = sink.take() {
                    stored += done.as_mut().finish().await?;
                }
            }
        }
    }
    if let Some(mut done) = sink.take() {
        stored += done.as_mut().finish().await?;
    }
    drop(client);
    driver.await??;
    Ok(stored)
}

impl Table {
    /// Writes one row: `fields` already formatted and tab-separated.
    pub fn row(&mut self, fields: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
        self.buffer
            .write_fmt(fields)
            .map_err(|_| anyhow!("formatting a row of {}", self.name))?;
        self.buffer.push('\n');
        self.rows += 1;
        if self.buffer.len() >= CHUNK_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, String::with_capacity(CHUNK_BYTES + 4096));
        self.send(Message::Rows(Bytes::from(chunk)))
    }

    fn send(&self, message: Message) -> anyhow::Result<()> {
        self.sender
            .blocking_send(message)
            .map_err(|_| anyhow!("the COPY into {} stopped: see its error", self.name))
    }

    /// Commits what was written so far.
    pub fn commit(&mut self) -> anyhow::Result<()> {
        self.flush()?;
        self.send(Message::Commit)
    }

    /// Sends the last rows; answers how many were written.
    pub fn finish(mut self) -> anyhow::Result<u64> {
        self.flush()?;
        Ok(self.rows)
    }
}
