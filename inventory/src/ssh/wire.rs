//! SSH wire encoding (RFC 4251 §5) and the unencrypted binary packet protocol
//! (RFC 4253 §6), as far as a key exchange needs them. Every length read from the peer
//! is checked against what is left before it is used: no panic, no allocation driven by
//! a peer's length beyond [`MAX_PACKET_LEN`].

use std::io::Read;

/// RFC 4253 §6.1: implementations MUST handle packets of up to 35000 bytes; a longer
/// `packet_length` from a peer that has not negotiated anything is refused.
pub(crate) const MAX_PACKET_LEN: u32 = 35_000;

/// RFC 4253 §6: at least four bytes of padding.
const MIN_PADDING: u8 = 4;

/// A cursor over a message, failing with a description instead of panicking.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, what }
    }

    pub(crate) fn bytes(&mut self, n: usize, field: &str) -> Result<&'a [u8], String> {
        if n > self.buf.len() {
            return Err(format!(
                "{}: {field} needs {n} bytes, only {} left in the message",
                self.what,
                self.buf.len()
            ));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub(crate) fn u8(&mut self, field: &str) -> Result<u8, String> {
        Ok(self.bytes(1, field)?[0])
    }

    pub(crate) fn u32(&mut self, field: &str) -> Result<u32, String> {
        let b = self.bytes(4, field)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// RFC 4251 §5 `boolean`: zero is false, any other value true.
    pub(crate) fn boolean(&mut self, field: &str) -> Result<bool, String> {
        Ok(self.u8(field)? != 0)
    }

    /// RFC 4251 §5 `string`: uint32 length, then that many bytes.
    pub(crate) fn string(&mut self, field: &str) -> Result<&'a [u8], String> {
        let len = self.u32(field)?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > self.buf.len() {
            return Err(format!(
                "{}: {field} has length {len}, past the end of the message ({} bytes left)",
                self.what,
                self.buf.len()
            ));
        }
        self.bytes(len, field)
    }

    /// RFC 4251 §5 `name-list`.
    pub(crate) fn name_list(&mut self, field: &str) -> Result<Vec<String>, String> {
        let raw = self.string(field)?;
        parse_name_list(raw).map_err(|e| format!("{}: {field}: {e}", self.what))
    }

    /// Fails unless every byte was read.
    pub(crate) fn finish(&self) -> Result<(), String> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{}: {} unexpected trailing bytes",
                self.what,
                self.buf.len()
            ))
        }
    }
}

/// The contents of a `name-list` (RFC 4251 §5): comma-separated names, US-ASCII, none
/// empty, no commas inside a name. An empty string is the empty list.
pub(crate) fn parse_name_list(raw: &[u8]) -> Result<Vec<String>, String> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(b) = raw.iter().find(|b| !b.is_ascii_graphic()) {
        return Err(format!(
            "name-list has a byte 0x{b:02x} that is not printable US-ASCII (RFC 4251 §5)"
        ));
    }
    // Checked ASCII above: the conversion cannot fail.
    let text = String::from_utf8_lossy(raw);
    let names: Vec<String> = text.split(',').map(str::to_owned).collect();
    if names.iter().any(String::is_empty) {
        return Err("name-list has an empty name (RFC 4251 §5: MUST NOT)".to_owned());
    }
    Ok(names)
}

/// Builds a message.
#[derive(Default)]
pub(crate) struct Writer(Vec<u8>);

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }

    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.0.extend_from_slice(v);
        self
    }

    /// RFC 4251 §5 `string`. Every string we write is far below 4 GiB.
    pub(crate) fn string(&mut self, v: &[u8]) -> &mut Self {
        let len = u32::try_from(v.len()).unwrap_or(u32::MAX);
        self.u32(len).raw(v)
    }

    /// RFC 4251 §5 `mpint` of the non-negative integer whose big-endian bytes are `v`:
    /// leading zero bytes dropped, a zero byte prepended where the top bit is set, zero
    /// as the empty string (the encoding of K for (EC)DH exchanges, RFC 5656 §4).
    pub(crate) fn mpint(&mut self, v: &[u8]) -> &mut Self {
        let start = v.iter().position(|&b| b != 0).unwrap_or(v.len());
        let magnitude = &v[start..];
        match magnitude.first() {
            Some(&top) if top & 0x80 != 0 => {
                let len = u32::try_from(magnitude.len() + 1).unwrap_or(u32::MAX);
                self.u32(len).u8(0).raw(magnitude)
            }
            _ => self.string(magnitude),
        }
    }

    pub(crate) fn name_list<S: AsRef<str>>(&mut self, names: &[S]) -> &mut Self {
        let joined = names
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<&str>>()
            .join(",");
        self.string(joined.as_bytes())
    }

    pub(crate) fn into_vec(self) -> Vec<u8> {
        self.0
    }
}

/// Frames `payload` as an unencrypted binary packet (RFC 4253 §6): the whole packet a
/// multiple of 8 bytes, 4 to 11 bytes of random padding.
pub(crate) fn frame(payload: &[u8]) -> Vec<u8> {
    let unpadded = 4 + 1 + payload.len();
    let mut padding = 8 - (unpadded & 7);
    if padding < usize::from(MIN_PADDING) {
        padding += 8;
    }
    let mut pad = vec![0u8; padding];
    // Padding is not secret before NEWKEYS; zeros are a fine fallback.
    let _ = getrandom::fill(&mut pad);
    let packet_length = 1 + payload.len() + padding;
    let mut w = Writer::default();
    w.u32(u32::try_from(packet_length).unwrap_or(u32::MAX))
        .u8(padding as u8)
        .raw(payload)
        .raw(&pad);
    w.into_vec()
}

/// Why reading a packet failed.
#[derive(Debug)]
pub(crate) enum PacketError {
    Io(std::io::Error),
    Invalid(String),
}

/// Reads one unencrypted binary packet (RFC 4253 §6) and returns its payload.
pub(crate) fn read_packet(r: &mut impl Read) -> Result<Vec<u8>, PacketError> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).map_err(PacketError::Io)?;
    let packet_length = u32::from_be_bytes(len);
    if packet_length > MAX_PACKET_LEN {
        return Err(PacketError::Invalid(format!(
            "packet_length {packet_length} exceeds {MAX_PACKET_LEN} (RFC 4253 §6.1)"
        )));
    }
    // padding_length (1) + at least 4 bytes of padding; a payload of at least one byte.
    if packet_length < 1 + u32::from(MIN_PADDING) + 1 {
        return Err(PacketError::Invalid(format!(
            "packet_length {packet_length} is too short for a message (RFC 4253 §6)"
        )));
    }
    let mut body = vec![0u8; packet_length as usize];
    r.read_exact(&mut body).map_err(PacketError::Io)?;
    let padding = body[0];
    if padding < MIN_PADDING || usize::from(padding) + 2 > body.len() {
        return Err(PacketError::Invalid(format!(
            "padding_length {padding} does not fit packet_length {packet_length} (RFC 4253 §6: \
             at least 4, and a payload of at least one byte)"
        )));
    }
    let end = body.len() - usize::from(padding);
    body.truncate(end);
    body.remove(0);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_lists() {
        assert_eq!(parse_name_list(b"").unwrap(), Vec::<String>::new());
        assert_eq!(parse_name_list(b"a").unwrap(), vec!["a"]);
        assert_eq!(
            parse_name_list(b"mlkem768x25519-sha256,curve25519-sha256@libssh.org").unwrap(),
            vec!["mlkem768x25519-sha256", "curve25519-sha256@libssh.org"]
        );
        assert!(parse_name_list(b"a,,b").is_err());
        assert!(parse_name_list(b"a,").is_err());
        assert!(parse_name_list(b",a").is_err());
        assert!(parse_name_list(b"a b").is_err());
        assert!(parse_name_list(b"a\0").is_err());
        assert!(parse_name_list("é".as_bytes()).is_err());
    }

    #[test]
    fn name_list_length_past_the_payload() {
        let mut w = Writer::default();
        w.u32(100).raw(b"abc");
        let msg = w.into_vec();
        let err = Reader::new(&msg, "KEXINIT")
            .name_list("kex_algorithms")
            .unwrap_err();
        assert!(err.contains("past the end"), "{err}");
        let err = Reader::new(&[0, 0], "KEXINIT")
            .name_list("kex_algorithms")
            .unwrap_err();
        assert!(err.contains("needs 4 bytes"), "{err}");
        let err = Reader::new(&[0xff; 8], "KEXINIT").string("x").unwrap_err();
        assert!(err.contains("4294967295"), "{err}");
    }

    #[test]
    fn mpints_are_minimal_and_positive() {
        let enc = |v: &[u8]| {
            let mut w = Writer::default();
            w.mpint(v);
            w.into_vec()
        };
        // RFC 4251 §5 examples: 0, 0x80 (needs a zero byte), and leading zeros dropped.
        assert_eq!(enc(&[]), [0, 0, 0, 0]);
        assert_eq!(enc(&[0, 0]), [0, 0, 0, 0]);
        assert_eq!(enc(&[0x80]), [0, 0, 0, 2, 0, 0x80]);
        assert_eq!(
            enc(&[0, 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7]),
            [0, 0, 0, 8, 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7]
        );
        assert_eq!(enc(&[0, 0, 0x7f, 1]), [0, 0, 0, 2, 0x7f, 1]);
    }

    #[test]
    fn frames_round_trip() {
        for n in 0..40 {
            let payload: Vec<u8> = (0..=n).map(|i| i as u8).collect();
            let packet = frame(&payload);
            assert_eq!(packet.len() % 8, 0);
            assert!(packet[4] >= 4);
            assert_eq!(read_packet(&mut &packet[..]).unwrap(), payload);
        }
    }

    #[test]
    fn bad_packets() {
        let cases: &[&[u8]] = &[
            &[0xff, 0xff, 0xff, 0xff],
            &[0, 0, 0x88, 0xb9], // 35001
            &[0, 0, 0, 5, 4, 20, 0, 0, 0],
            &[0, 0, 0, 12, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            &[0, 0, 0, 12, 11, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ];
        for c in cases {
            match read_packet(&mut &c[..]) {
                Err(PacketError::Invalid(_)) => {}
                other => panic!("{c:?}: {other:?}"),
            }
        }
        // Truncated: an I/O error (EOF), not a panic.
        assert!(matches!(
            read_packet(&mut &[0u8, 0, 0, 12, 4][..]),
            Err(PacketError::Io(_))
        ));
    }
}
