//! Real loopback TCP: the pqhkex (rustls) endpoints, and a recording, optionally
//! corrupting proxy that forwards whole TLS records between the two peers. Shared by
//! the interop suites, each of which uses a subset.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rustls::server::Acceptor;
use rustls::{ClientConfig, HandshakeKind, ServerConfig};

pub const CLIENT_MSG: &[u8] = b"hello from the client";
pub const SERVER_MSG: &[u8] = b"hello from the server";

/// A foreign peer's side of the data exchange over its TLS stream (client: send, then
/// receive; server: the other way round); records the outcome in `ep` and says whether
/// it worked.
pub fn peer_exchange(ep: &mut Endpoint, stream: &mut (impl Read + Write), client: bool) -> bool {
    let result = if client {
        stream
            .write_all(CLIENT_MSG)
            .and_then(|()| read_msg(stream, SERVER_MSG))
    } else {
        read_msg(stream, CLIENT_MSG).and_then(|()| stream.write_all(SERVER_MSG))
    };
    match result {
        Ok(()) => ep.data_ok = true,
        Err(e) => ep.error = Some(format!("application data: {e}")),
    }
    ep.data_ok
}

fn read_msg(stream: &mut impl Read, expected: &[u8]) -> std::io::Result<()> {
    let mut got = vec![0u8; expected.len()];
    stream.read_exact(&mut got)?;
    if got != expected {
        return Err(std::io::Error::other(format!(
            "expected {:?}, got {:?}",
            String::from_utf8_lossy(expected),
            String::from_utf8_lossy(&got)
        )));
    }
    Ok(())
}

/// A bound on every blocking socket call, so that a misbehaving peer fails the test
/// instead of hanging it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

pub fn set_timeouts(sock: &TcpStream) {
    sock.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    sock.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    sock.set_nodelay(true).unwrap();
}

/// Half-closes and drains until the peer closes too, so that nothing we sent (an alert
/// in particular) is lost to a TCP reset caused by unread incoming data.
pub fn close_gracefully(mut sock: TcpStream) {
    let _ = sock.shutdown(Shutdown::Write);
    let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
    let mut sink = [0u8; 4096];
    while matches!(sock.read(&mut sink), Ok(n) if n > 0) {}
}

/// What one side of a connection saw.
#[derive(Debug, Default)]
pub struct Endpoint {
    /// The negotiated group's codepoint, as this side reports it.
    pub group: Option<u16>,
    /// The negotiated group's name in this side's own terms (OpenSSL's name, or pqhkex's).
    pub group_name: Option<String>,
    /// Whether the handshake went through a HelloRetryRequest, for stacks that tell
    /// (rustls, s2n-tls).
    pub hello_retry_request: Option<bool>,
    pub protocol: Option<String>,
    /// Application data went both ways.
    pub data_ok: bool,
    /// The error that ended the connection, as text.
    pub error: Option<String>,
    /// rustls only: the rustls error that ended the connection.
    pub rustls_error: Option<rustls::Error>,
    /// rustls only: the kind of the I/O error that ended the connection (an
    /// `UnexpectedEof` carries no rustls error).
    pub io_kind: Option<io::ErrorKind>,
}

impl Endpoint {
    fn failed(e: io::Error, hrr: Option<bool>) -> Self {
        let rustls_error = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .cloned();
        Endpoint {
            error: Some(e.to_string()),
            rustls_error,
            io_kind: Some(e.kind()),
            hello_retry_request: hrr,
            ..Endpoint::default()
        }
    }
}

fn rustls_error(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Drives a rustls connection over `sock`: handshake, then the application-data
/// exchange of a client (`client = true`) or a server.
fn drive(mut conn: rustls::Connection, mut sock: TcpStream, client: bool) -> Endpoint {
    let raw = sock.try_clone().unwrap();
    let result = (|| -> io::Result<()> {
        while conn.is_handshaking() {
            conn.complete_io(&mut sock)?;
        }
        if client {
            send(&mut conn, &mut sock, CLIENT_MSG)?;
            receive(&mut conn, &mut sock, SERVER_MSG)?;
        } else {
            receive(&mut conn, &mut sock, CLIENT_MSG)?;
            send(&mut conn, &mut sock, SERVER_MSG)?;
        }
        conn.send_close_notify();
        while conn.wants_write() {
            conn.write_tls(&mut sock)?;
        }
        Ok(())
    })();
    let hrr = conn
        .handshake_kind()
        .map(|k| k == HandshakeKind::FullWithHelloRetryRequest);
    let ep = match result {
        Ok(()) => {
            let report = pqhkex::ConnectionReport::from_connection(&conn);
            Endpoint {
                group: report.group_code,
                group_name: Some(report.group_name()),
                hello_retry_request: hrr,
                protocol: conn.protocol_version().map(|v| format!("{v:?}")),
                data_ok: true,
                ..Endpoint::default()
            }
        }
        Err(e) => Endpoint::failed(e, hrr),
    };
    close_gracefully(raw);
    ep
}

fn send(conn: &mut rustls::Connection, sock: &mut TcpStream, msg: &[u8]) -> io::Result<()> {
    conn.writer().write_all(msg)?;
    while conn.wants_write() {
        conn.complete_io(sock)?;
    }
    Ok(())
}

fn receive(conn: &mut rustls::Connection, sock: &mut TcpStream, expected: &[u8]) -> io::Result<()> {
    let mut got = vec![0u8; expected.len()];
    let mut n = 0;
    while n < got.len() {
        match conn.reader().read(&mut got[n..]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if conn.complete_io(sock)? == (0, 0) {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
            }
            Err(e) => return Err(e),
        }
    }
    if got != expected {
        return Err(io::Error::other("application data garbled"));
    }
    Ok(())
}

/// A pqhkex (rustls) client for one connection to `addr`.
pub fn rustls_client(addr: SocketAddr, config: Arc<ClientConfig>) -> Endpoint {
    let sock = TcpStream::connect(addr).unwrap();
    set_timeouts(&sock);
    drive(crate::common::client_conn(config).into(), sock, true)
}

/// A pqhkex (rustls) server on `listener` for one connection.
pub fn rustls_server(listener: TcpListener, config: Arc<ServerConfig>) -> Endpoint {
    let (sock, _) = listener.accept().unwrap();
    set_timeouts(&sock);
    drive(crate::common::server_conn(config).into(), sock, false)
}

/// A pqhkex server that prefers post-quantum itself: it reads the ClientHello with a
/// rustls [`Acceptor`] and lets [`pqhkex::PqServerConfigs`] choose the configuration.
pub fn rustls_pq_server(listener: TcpListener, configs: Arc<pqhkex::PqServerConfigs>) -> Endpoint {
    let (mut sock, _) = listener.accept().unwrap();
    set_timeouts(&sock);
    let mut acceptor = Acceptor::default();
    let accepted = loop {
        match acceptor.read_tls(&mut sock) {
            Ok(0) => {
                return Endpoint::failed(io::ErrorKind::UnexpectedEof.into(), None);
            }
            Ok(_) => {}
            Err(e) => return Endpoint::failed(e, None),
        }
        match acceptor.accept() {
            Ok(Some(accepted)) => break accepted,
            Ok(None) => {}
            Err((e, mut alert)) => {
                let _ = alert.write_all(&mut sock);
                close_gracefully(sock);
                return Endpoint::failed(rustls_error(e), None);
            }
        }
    };
    let config = match configs.choose(&accepted.client_hello()) {
        Ok(c) => c,
        Err(e) => {
            close_gracefully(sock);
            return Endpoint {
                error: Some(e.to_string()),
                ..Endpoint::default()
            };
        }
    };
    match accepted.into_connection(config) {
        Ok(conn) => drive(conn.into(), sock, false),
        Err((e, mut alert)) => {
            let _ = alert.write_all(&mut sock);
            close_gracefully(sock);
            Endpoint::failed(rustls_error(e), None)
        }
    }
}

// ---- The proxy ---------------------------------------------------------------------

/// One TLS record as it crossed the proxy (after any tampering).
#[derive(Clone, Debug)]
pub struct Record {
    pub from_client: bool,
    /// The whole record: 5-byte header and fragment.
    pub bytes: Vec<u8>,
}

impl Record {
    pub fn content_type(&self) -> u8 {
        self.bytes[0]
    }

    /// The first handshake message type, for a plaintext handshake record.
    pub fn handshake_type(&self) -> Option<u8> {
        (self.content_type() == 22 && self.bytes.len() > 5).then(|| self.bytes[5])
    }

    /// (level, description) of a plaintext alert record.
    pub fn alert(&self) -> Option<(u8, u8)> {
        (self.content_type() == 21 && self.bytes.len() == 7).then(|| (self.bytes[5], self.bytes[6]))
    }
}

/// The ServerHello.random that marks a HelloRetryRequest: SHA-256("HelloRetryRequest")
/// (RFC 8446 §4.1.3).
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Changes a record in flight: `(from_client, record)`.
pub type Tamper = Box<dyn FnMut(bool, &mut Vec<u8>) + Send>;

/// Everything that crossed the proxy, in the order each direction saw it.
#[derive(Debug)]
pub struct Wire {
    pub records: Vec<Record>,
}

impl Wire {
    /// The plaintext ClientHellos the client sent.
    pub fn client_hellos(&self) -> Vec<&Record> {
        self.records
            .iter()
            .filter(|r| r.from_client && r.handshake_type() == Some(1))
            .collect()
    }

    /// The ServerHellos that are HelloRetryRequests.
    pub fn hello_retry_requests(&self) -> usize {
        self.server_hellos(true).len()
    }

    /// The server's ServerHello records, HelloRetryRequests (`hrr = true`) or real ones.
    pub fn server_hellos(&self, hrr: bool) -> Vec<&Record> {
        self.records
            .iter()
            .filter(|r| !r.from_client && r.handshake_type() == Some(2))
            .filter(|r| r.bytes.len() >= 5 + 4 + 2 + 32 && (r.bytes[11..43] == HRR_RANDOM) == hrr)
            .collect()
    }

    /// Round trips of the key exchange: one per ClientHello.
    pub fn round_trips(&self) -> usize {
        self.client_hellos().len()
    }

    /// Plaintext alerts sent by the client (`true`) or the server.
    pub fn alerts_from(&self, from_client: bool) -> Vec<(u8, u8)> {
        self.records
            .iter()
            .filter(|r| r.from_client == from_client)
            .filter_map(Record::alert)
            .collect()
    }
}

/// A proxy on 127.0.0.1 for exactly one connection to `target`.
pub struct Proxy {
    pub addr: SocketAddr,
    handle: JoinHandle<Wire>,
}

impl Proxy {
    pub fn start(target: SocketAddr, tamper: Tamper) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = thread::spawn(move || {
            let (client, _) = listener.accept().unwrap();
            let server = TcpStream::connect(target).unwrap();
            set_timeouts(&client);
            set_timeouts(&server);
            let log = Arc::new(Mutex::new(Vec::new()));
            let tamper = Arc::new(Mutex::new(tamper));
            let up = pump(true, &client, &server, &log, &tamper);
            let down = pump(false, &server, &client, &log, &tamper);
            up.join().unwrap();
            down.join().unwrap();
            let records = std::mem::take(&mut *log.lock().unwrap());
            Wire { records }
        });
        Proxy { addr, handle }
    }

    /// Waits for both directions to close and returns what crossed the wire.
    pub fn finish(self) -> Wire {
        self.handle.join().expect("proxy thread panicked")
    }
}

fn pump(
    from_client: bool,
    from: &TcpStream,
    to: &TcpStream,
    log: &Arc<Mutex<Vec<Record>>>,
    tamper: &Arc<Mutex<Tamper>>,
) -> JoinHandle<()> {
    let mut from = from.try_clone().unwrap();
    let mut to = to.try_clone().unwrap();
    let log = log.clone();
    let tamper = tamper.clone();
    thread::spawn(move || {
        loop {
            let mut record = vec![0u8; 5];
            if from.read_exact(&mut record).is_err() {
                break;
            }
            let len = usize::from(u16::from_be_bytes([record[3], record[4]]));
            record.resize(5 + len, 0);
            if from.read_exact(&mut record[5..]).is_err() {
                break;
            }
            (tamper.lock().unwrap())(from_client, &mut record);
            log.lock().unwrap().push(Record {
                from_client,
                bytes: record.clone(),
            });
            if to.write_all(&record).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    })
}

/// Both ends of one connection through the proxy, and the wire between them.
pub struct Run {
    pub client: Endpoint,
    pub server: Endpoint,
    pub wire: Wire,
}

/// Runs `server` on a fresh loopback listener and `client` against it through a proxy
/// that applies `tamper`, each in its own thread.
pub fn run(
    server: impl FnOnce(TcpListener) -> Endpoint + Send + 'static,
    client: impl FnOnce(SocketAddr) -> Endpoint + Send + 'static,
    tamper: Tamper,
) -> Run {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server_addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || server(listener));
    let proxy = Proxy::start(server_addr, tamper);
    let proxy_addr = proxy.addr;
    let client = thread::spawn(move || client(proxy_addr));
    let client = client.join().expect("client thread panicked");
    let server = server.join().expect("server thread panicked");
    let wire = proxy.finish();
    Run {
        client,
        server,
        wire,
    }
}

pub fn untouched() -> Tamper {
    Box::new(|_, _| {})
}
