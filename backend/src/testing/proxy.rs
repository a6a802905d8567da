//! A TCP proxy that can play dead, for fault tests: put it between a client and a
//! server (agents and the app, the app and Postgres), then [`TcpProxy::set_down`] makes
//! it refuse new connections and cut the open ones, as a lost network does, until it
//! is set up again. Over several servers ([`TcpProxy::balance`]) it is a load balancer:
//! connections go round the servers, passing over one that refuses them.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    upstreams: Arc<Upstreams>,
    task: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    /// Listens on a free port and forwards to `upstream` (`host:port`); with `record`,
    /// keeps every byte clients send.
    pub async fn start(upstream: &str, record: bool) -> anyhow::Result<Self> {
        Self::balance(&[upstream.to_owned()], record).await
    }

    /// Listens on a free port and sends each connection to the next of `upstreams`
    /// that accepts it, round the list.
    pub async fn balance(upstreams: &[String], record: bool) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !upstreams.is_empty(),
            "a proxy needs a server to forward to"
        );
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        let down = Arc::new(AtomicBool::new(false));
        let (cut, _) = watch::channel(0u64);
        let recorded = record.then(|| Arc::new(Mutex::new(Vec::new())));
        let upstreams = Arc::new(Upstreams {
            addrs: upstreams.to_vec(),
            next: AtomicUsize::new(0),
            connected: upstreams.iter().map(|_| AtomicUsize::new(0)).collect(),
        });
        let task = tokio::spawn(accept(
            listener,
            Arc::clone(&upstreams),
            Arc::clone(&down),
            cut.clone(),
            recorded.clone(),
        ));
        Ok(Self {
            addr,
            down,
            cut,
            recorded,
            upstreams,
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

    /// How many connections each server (in the order given) has taken.
    pub fn connections(&self) -> Vec<usize> {
        self.upstreams
            .connected
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect()
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

/// The servers behind the proxy, taken in turn.
struct Upstreams {
    addrs: Vec<String>,
    next: AtomicUsize,
    /// Connections each has taken.
    connected: Vec<AtomicUsize>,
}

impl Upstreams {
    /// A connection to the next server that accepts one, trying each once.
    async fn connect(&self) -> Option<TcpStream> {
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.addrs.len() {
            let at = (first + i) % self.addrs.len();
            if let Ok(stream) = TcpStream::connect(&self.addrs[at]).await {
                self.connected[at].fetch_add(1, Ordering::Relaxed);
                return Some(stream);
            }
        }
        None
    }
}

async fn accept(
    listener: TcpListener,
    upstreams: Arc<Upstreams>,
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
            Arc::clone(&upstreams),
            cut.subscribe(),
            recorded.clone(),
        ));
    }
}

/// Copies both ways until either side ends or the proxy goes down.
async fn forward(
    mut client: TcpStream,
    upstreams: Arc<Upstreams>,
    mut cut: watch::Receiver<u64>,
    recorded: Option<Arc<Mutex<Vec<u8>>>>,
) {
    let Some(mut server) = upstreams.connect().await else {
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
