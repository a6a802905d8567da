//! A TCP proxy that can play dead, for fault tests: put it between a client and a
//! server (agents and the app, the app and Postgres), then [`TcpProxy::set_down`] makes
//! it refuse new connections and cut the open ones, as a lost network does, until it
//! is set up again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// See the module's doc. Stops accepting when dropped.
pub struct TcpProxy {
    /// `127.0.0.1:<port>`, where clients connect.
    pub addr: String,
    down: Arc<AtomicBool>,
    /// Tells every open connection to end when the proxy goes down.
    cut: watch::Sender<u64>,
    recorded: Option<Arc<Mutex<Vec<u8>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    /// Listens on a free port and forwards to `upstream` (`host:port`); with `record`,
    /// keeps every byte clients send.
    pub async fn start(upstream: &str, record: bool) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        let down = Arc::new(AtomicBool::new(false));
        let (cut, _) = watch::channel(0u64);
        let recorded = record.then(|| Arc::new(Mutex::new(Vec::new())));
        let task = tokio::spawn(accept(
            listener,
            upstream.to_owned(),
            Arc::clone(&down),
            cut.clone(),
            recorded.clone(),
        ));
        Ok(Self {
            addr,
            down,
            cut,
            recorded,
            task,
        })
    }

    /// Down: new connections are refused and open ones cut. Up: forwarding again.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if down {
            self.cut.send_modify(|generation| *generation += 1);
        }
    }

    /// Every byte clients sent (empty unless started with `record`).
    pub fn sent(&self) -> Vec<u8> {
        self.recorded.as_ref().map_or_else(Vec::new, |recorded| {
            recorded
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()
        })
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut.send_modify(|generation| *generation += 1);
    }
}

async fn accept(
    listener: TcpListener,
    upstream: String,
    down: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
    recorded: Option<Arc<Mutex<Vec<u8>>>>,
) {
    while let Ok((client, _)) = listener.accept().await {
        if down.load(Ordering::SeqCst) {
            drop(client);
            continue;
        }
        tokio::spawn(forward(
            client,
            upstream.clone(),
            cut.subscribe(),
            recorded.clone(),
        ));
    }
}

/// Copies both ways until either side ends or the proxy goes down.
async fn forward(
    mut client: TcpStream,
    upstream: String,
    mut cut: watch::Receiver<u64>,
    recorded: Option<Arc<Mutex<Vec<u8>>>>,
) {
    let Ok(mut server) = TcpStream::connect(&upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let up = async {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some(recorded) = &recorded {
                recorded
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(&buffer[..n]);
            }
            if server_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let back = async {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    // The first to end ends the connection; a cut one is cut both ways.
    tokio::select! {
        () = up => {}
        () = back => {}
        _ = cut.changed() => {}
    }
}
