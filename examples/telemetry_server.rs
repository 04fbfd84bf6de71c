//! Telemetry for a rustls server (feature `telemetry`): which clients can do
//! post-quantum, through the `metrics` facade, in both ways a rustls server reads a
//! ClientHello.
//!
//! * **Blocking**, `rustls::server::Acceptor`: the socket is wrapped in
//!   [`Recording`], which keeps a copy of the ClientHello's bytes, and
//!   [`PqServerConfigs::accept_recorded`] records the ClientHello and the choice.
//! * **tokio-rustls**, `LazyConfigAcceptor`: the socket is wrapped in [`Tee`] (below),
//!   an `AsyncRead` that feeds a [`HelloCapture`]; [`Recorder::client_hello`] records
//!   the ClientHello and [`PqServerConfigs::config_for`] picks the configuration.
//!
//! Each server meets three real rustls clients over loopback TCP: one that sends an
//! X25519MLKEM768 key share, one with classical groups only, one with TLS 1.2 only.
//! The metrics go to a Prometheus recorder (`metrics-exporter-prometheus`, without its
//! HTTP listener), whose text output is printed at the end.
//!
//! Run: `cargo run --example telemetry_server --features telemetry`

use std::io;
use std::net::{TcpListener, TcpStream};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use metrics_exporter_prometheus::PrometheusBuilder;
use pqhkex::telemetry::{HelloCapture, Recorder, Recording};
use pqhkex::{Policy, PqServerConfigs};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_rustls::LazyConfigAcceptor;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An async socket that keeps a copy of the ClientHello's bytes as they are read.
struct Tee<S> {
    inner: S,
    capture: HelloCapture,
}

impl<S> Tee<S> {
    fn new(inner: S) -> Self {
        Tee {
            inner,
            capture: HelloCapture::new(),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tee<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.capture.record(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tee<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The three clients: a post-quantum one, a classical one, a TLS 1.2-only one.
fn client_configs(cert: &CertificateDer<'static>) -> Result<Vec<rustls::ClientConfig>, BoxError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone())?;
    let ring = rustls::crypto::ring::default_provider;
    let pq = pqhkex::client_config_builder(ring(), Policy::PreferPostQuantum)?
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
    let classical = pqhkex::client_config_builder(ring(), Policy::Classical)?
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
    let tls12 = rustls::ClientConfig::builder_with_provider(Arc::new(pqhkex::with_policy(
        ring(),
        Policy::Classical,
    )))
    .with_protocol_versions(&[&rustls::version::TLS12])?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(vec![pq, classical, tls12])
}

/// One blocking client handshake (then a clean close).
fn connect(addr: std::net::SocketAddr, config: rustls::ClientConfig) -> Result<(), BoxError> {
    let mut conn = rustls::ClientConnection::new(Arc::new(config), "localhost".try_into()?)?;
    let mut sock = TcpStream::connect(addr)?;
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut sock)?;
    }
    conn.send_close_notify();
    conn.complete_io(&mut sock)?;
    Ok(())
}

/// The blocking server: `count` connections through `Acceptor`.
fn blocking_server(
    listener: TcpListener,
    configs: &PqServerConfigs,
    recorder: &Recorder,
    count: usize,
) -> Result<(), BoxError> {
    for _ in 0..count {
        let (sock, _) = listener.accept()?;
        sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
        let mut sock = Recording::new(sock);
        let mut acceptor = rustls::server::Acceptor::default();
        let accepted = loop {
            acceptor.read_tls(&mut sock)?;
            if let Some(accepted) = acceptor.accept().map_err(|(e, _)| e)? {
                break accepted;
            }
        };
        let raw = sock.captured().to_vec();
        let mut sock = sock.into_inner();
        let (mut conn, handshake) = match configs.accept_recorded(accepted, &raw, recorder) {
            Ok(ok) => ok,
            Err((err, mut alert)) => {
                let _ = alert.write_all(&mut sock);
                println!("blocking server: refused: {err}");
                continue;
            }
        };
        let outcome = loop {
            if !conn.is_handshaking() {
                break Ok(());
            }
            if let Err(e) = conn.complete_io(&mut sock) {
                break Err(e);
            }
        };
        match outcome {
            Ok(()) => println!("blocking server: {}", handshake.done(&conn)),
            Err(e) => {
                println!("blocking server: handshake failed: {e}");
                handshake.failed_io(&e);
            }
        }
        // Read to the client's close_notify.
        let _ = conn.complete_io(&mut sock);
    }
    Ok(())
}

/// The tokio-rustls server: `count` connections through `LazyConfigAcceptor`.
async fn async_server(
    listener: tokio::net::TcpListener,
    configs: Arc<PqServerConfigs>,
    recorder: Recorder,
    count: usize,
) -> Result<(), BoxError> {
    for _ in 0..count {
        let (tcp, _) = listener.accept().await?;
        let acceptor = rustls::server::Acceptor::default();
        let start = LazyConfigAcceptor::new(acceptor, Tee::new(tcp)).await?;
        let handshake = recorder.client_hello(&start.client_hello(), start.io.capture.bytes());
        let (config, _refused) = configs.config_for(&start.client_hello());
        match start.into_stream(config).await {
            Ok(mut tls) => {
                println!("async server: {}", handshake.done(tls.get_ref().1));
                let mut rest = Vec::new();
                let _ = tls.read_to_end(&mut rest).await;
                let _ = tls.shutdown().await;
            }
            Err(e) => {
                println!("async server: handshake failed: {e}");
                handshake.failed_io(&e);
            }
        }
    }
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let prometheus = PrometheusBuilder::new().build_recorder();
    let handle = prometheus.handle();
    metrics::set_global_recorder(prometheus)?;
    let recorder = Recorder::new();

    let key = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
    let cert = key.cert.der().clone();
    let der = PrivateKeyDer::try_from(key.signing_key.serialize_der())?;
    let configs = Arc::new(PqServerConfigs::new(
        rustls::crypto::ring::default_provider(),
        Policy::PreferPostQuantum,
        |b| {
            b.with_no_client_auth()
                .with_single_cert(vec![cert.clone()], der.clone_key())
        },
    )?);
    // Fresh client configurations per flow, so that nothing is resumed: a resumed
    // TLS 1.2 session has no key exchange (its group label is "none").
    let clients = client_configs(&cert)?;

    // Blocking: Acceptor + PqServerConfigs::accept_recorded.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = {
        let (configs, recorder, n) = (configs.clone(), recorder.clone(), clients.len());
        std::thread::spawn(move || blocking_server(listener, &configs, &recorder, n))
    };
    for config in clients {
        connect(addr, config)?;
    }
    server.join().map_err(|_| "blocking server panicked")??;

    // tokio-rustls: LazyConfigAcceptor + Recorder::client_hello.
    let clients = client_configs(&cert)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async_server(
            listener,
            configs.clone(),
            recorder.clone(),
            clients.len(),
        ));
        for config in clients {
            tokio::task::spawn_blocking(move || connect(addr, config))
                .await
                .map_err(|e| e.to_string())??;
        }
        server.await.map_err(|e| e.to_string())?
    })?;

    let text = handle.render();
    println!("{text}");
    // Each flow saw one client of each class, and each handshake succeeded.
    for (readiness, group) in [
        ("pq_key_share", "X25519MLKEM768"),
        ("classical", "x25519"),
        ("tls12_only", "x25519"),
    ] {
        let hellos = format!("pqhkex_client_hellos_total{{readiness=\"{readiness}\"}} 2");
        let done = format!(
            "pqhkex_handshakes_total{{group=\"{group}\",readiness=\"{readiness}\",hrr=\"false\"}} 2"
        );
        for line in [hellos, done] {
            if !text.lines().any(|l| l == line) {
                return Err(format!("missing `{line}` in the metrics").into());
            }
        }
    }
    if text.contains("pqhkex_handshake_failures_total{") {
        return Err("a handshake failed".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn example_runs() {
        super::main().unwrap();
    }
}
