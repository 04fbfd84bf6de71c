//! The identification exchange (RFC 4253 §4.2), bounded: a peer that never sends a
//! line end, or sends lines forever, ends in an error, never in a hang or unbounded
//! memory.

use std::io::{self, BufRead};

use crate::ssh::SshError;

/// RFC 4253 §4.2: the identification line is at most 255 bytes, CR LF included. Lines
/// before it are held to the same limit.
pub(crate) const MAX_LINE: usize = 255;
/// At most this many lines before the identification line.
pub(crate) const MAX_PRE_LINES: usize = 20;
/// At most this many bytes before the identification line.
pub(crate) const MAX_PRE_BYTES: usize = 8 * 1024;

/// The server's identification line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Identification {
    /// The line without CR LF, byte for byte (`V_S` of the exchange hash).
    pub(crate) raw: Vec<u8>,
    /// `protoversion`, e.g. `2.0`.
    pub(crate) proto: String,
    /// `softwareversion`, e.g. `OpenSSH_9.2p1`.
    pub(crate) software: String,
    /// The comments after the first space, if any.
    pub(crate) comments: Option<String>,
}

impl Identification {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }
}

/// Parses `SSH-protoversion-softwareversion SP comments` (CR LF already removed).
pub(crate) fn parse_identification(raw: &[u8]) -> Result<Identification, SshError> {
    let text = String::from_utf8_lossy(raw);
    let rest = text
        .strip_prefix("SSH-")
        .ok_or_else(|| SshError::NotSsh(format!("not an SSH identification line: {text:?}")))?;
    let (version_part, comments) = match rest.split_once(' ') {
        Some((v, c)) => (v, Some(c.to_owned())),
        None => (rest, None),
    };
    let (proto, software) = version_part.split_once('-').ok_or_else(|| {
        SshError::Protocol(format!(
            "identification {text:?} has no softwareversion (RFC 4253 §4.2)"
        ))
    })?;
    // RFC 4253 §5.1: "1.99" announces a server that also speaks 2.0.
    if proto != "2.0" && proto != "1.99" {
        return Err(SshError::Protocol(format!(
            "server speaks SSH protocol version {proto}, not 2.0 (identification {text:?})"
        )));
    }
    if software.is_empty() {
        return Err(SshError::Protocol(format!(
            "identification {text:?} has an empty softwareversion (RFC 4253 §4.2)"
        )));
    }
    Ok(Identification {
        raw: raw.to_vec(),
        proto: proto.to_owned(),
        software: software.to_owned(),
        comments,
    })
}

/// One line, read byte by byte from the buffer so that nothing after it is consumed.
enum Line {
    /// The line without its LF (and without a CR before it).
    Complete(Vec<u8>),
    /// More than `max` bytes without a line end; `Vec` holds the first bytes.
    TooLong(Vec<u8>),
    /// End of stream; `Vec` holds what came before it.
    Eof(Vec<u8>),
}

fn read_line(r: &mut impl BufRead, max: usize) -> io::Result<Line> {
    let mut line = Vec::new();
    loop {
        let available = r.fill_buf()?;
        if available.is_empty() {
            return Ok(Line::Eof(line));
        }
        let (used, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        let take = used.min(max + 1 - line.len());
        line.extend_from_slice(&available[..take]);
        r.consume(take);
        if done && take == used {
            line.pop(); // LF
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Line::Complete(line));
        }
        if line.len() > max {
            return Ok(Line::TooLong(line));
        }
    }
}

fn io_error(e: io::Error, timeout_text: &str) -> SshError {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            SshError::Timeout(format!("no SSH identification line within {timeout_text}"))
        }
        _ => SshError::NotSsh(format!("reading the identification line: {e}")),
    }
}

fn preview(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(60)];
    format!("{:?}", String::from_utf8_lossy(shown))
}

/// Reads lines until one starts with `SSH-` (RFC 4253 §4.2: the server MAY send other
/// lines first), within [`MAX_PRE_LINES`] lines, [`MAX_PRE_BYTES`] bytes, and
/// [`MAX_LINE`] bytes per line.
pub(crate) fn read_identification(
    r: &mut impl BufRead,
    timeout_text: &str,
) -> Result<Identification, SshError> {
    let mut pre_lines = 0usize;
    let mut pre_bytes = 0usize;
    let mut first: Option<Vec<u8>> = None;
    loop {
        // MAX_LINE counts CR LF; `read_line` limits the bytes before LF.
        let line = read_line(r, MAX_LINE - 1).map_err(|e| io_error(e, timeout_text))?;
        match line {
            Line::Complete(l) if l.starts_with(b"SSH-") => {
                return parse_identification(&l);
            }
            Line::Complete(l) => {
                pre_lines += 1;
                pre_bytes += l.len() + 1;
                if first.is_none() {
                    first = Some(l);
                }
                if pre_lines > MAX_PRE_LINES || pre_bytes > MAX_PRE_BYTES {
                    return Err(SshError::NotSsh(format!(
                        "no SSH identification in the first {MAX_PRE_LINES} lines; the first \
                         was {}",
                        preview(first.as_deref().unwrap_or_default())
                    )));
                }
            }
            Line::TooLong(l) if l.starts_with(b"SSH-") => {
                return Err(SshError::Protocol(format!(
                    "identification line longer than {MAX_LINE} bytes (RFC 4253 §4.2): {}",
                    preview(&l)
                )));
            }
            Line::TooLong(l) => {
                return Err(SshError::NotSsh(format!(
                    "a line longer than {MAX_LINE} bytes and no SSH identification: {}",
                    preview(&l)
                )));
            }
            Line::Eof(l) => {
                let seen = first.as_deref().unwrap_or(&l);
                return Err(if seen.is_empty() && pre_lines == 0 {
                    SshError::NotSsh(
                        "the server closed the connection without an SSH identification".to_owned(),
                    )
                } else {
                    SshError::NotSsh(format!(
                        "the server closed the connection without an SSH identification; it \
                         sent {}",
                        preview(seen)
                    ))
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8]) -> Result<Identification, SshError> {
        read_identification(&mut io::BufReader::with_capacity(7, input), "2s")
    }

    #[test]
    fn banners() {
        let id = read(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u7\r\nrest").unwrap();
        assert_eq!(id.text(), "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u7");
        assert_eq!(id.software, "OpenSSH_9.2p1");
        assert_eq!(id.comments.as_deref(), Some("Debian-2+deb12u7"));
        assert_eq!(id.proto, "2.0");

        let id = read(b"hello\r\nworld\nSSH-1.99-Cisco-1.25\n").unwrap();
        assert_eq!(id.software, "Cisco-1.25");
        assert_eq!(id.comments, None);

        let id = read(b"SSH-2.0-russh_0.65.1\r\n").unwrap();
        assert_eq!(id.software, "russh_0.65.1");
    }

    #[test]
    fn bad_banners() {
        assert!(matches!(read(b""), Err(SshError::NotSsh(_))));
        assert!(matches!(
            read(b"HTTP/1.1 400 Bad Request\r\n\r\n"),
            Err(SshError::NotSsh(m)) if m.contains("HTTP/1.1 400")
        ));
        assert!(matches!(read(&[b'A'; 10_000]), Err(SshError::NotSsh(_))));
        let mut long = b"SSH-2.0-".to_vec();
        long.extend_from_slice(&[b'x'; 300]);
        assert!(matches!(read(&long), Err(SshError::Protocol(_))));
        // Exactly 255 bytes with CR LF is fine, 256 is not.
        let mut ok = b"SSH-2.0-".to_vec();
        ok.resize(253, b'x');
        ok.extend_from_slice(b"\r\n");
        assert!(read(&ok).is_ok());
        let mut too_long = b"SSH-2.0-".to_vec();
        too_long.resize(255, b'x');
        too_long.extend_from_slice(b"\n");
        assert!(read(&too_long).is_err());
        let many = b"x\n".repeat(21);
        assert!(matches!(read(&many), Err(SshError::NotSsh(_))));
        assert!(matches!(
            read(b"SSH-1.5-OldServer\r\n"),
            Err(SshError::Protocol(_))
        ));
        assert!(matches!(read(b"SSH-2.0\r\n"), Err(SshError::Protocol(_))));
        assert!(matches!(read(b"SSH-2.0-\r\n"), Err(SshError::Protocol(_))));
    }
}
