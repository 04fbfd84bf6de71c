//! `SSH_MSG_KEXINIT` (RFC 4253 §7.1) and what its key-exchange names mean.

use crate::ssh::wire::{Reader, Writer};
use crate::ssh::{Classification, KexKind, KexMethod};

/// `SSH_MSG_KEXINIT` (RFC 4253 §12).
pub(crate) const MSG_KEXINIT: u8 = 20;

/// The method we run: `mlkem768x25519-sha256` (RFC 10042).
pub(crate) const MLKEM768X25519: &str = pqhkex::ssh::MlKem768X25519Sha256::NAME;

/// OpenSSH 10.0's default client `KexAlgorithms` (myproposal.h `KEX_CLIENT_KEX` at tag
/// V_10_0_P1, unchanged through 10.x), in order.
pub(crate) const OPENSSH10_CLIENT_KEX: &[&str] = &[
    "mlkem768x25519-sha256",
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
];

/// ML-KEM hybrids of RFC 10042 (draft-ietf-sshm-mlkem-hybrid-kex: ML-KEM-768 with X25519
/// or P-256, ML-KEM-1024 with P-384) and the NIST category of their ML-KEM (FIPS 203 §8).
const MLKEM_HYBRIDS: &[(&str, u8)] = &[
    ("mlkem768x25519-sha256", 3),
    ("mlkem768nistp256-sha256", 3),
    ("mlkem1024nistp384-sha384", 5),
];

/// Other post-quantum hybrids: Streamlined NTRU Prime sntrup761 + X25519 (RFC 9941 and
/// its pre-standard OpenSSH name). sntrup761 is not a NIST-standardized parameter set,
/// so no NIST category is claimed.
const OTHER_PQ_HYBRIDS: &[&str] = &[
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
];

/// Classical method families, by name prefix (RFC 4253, 4419, 5656, 8268, 8731).
const CLASSICAL_PREFIXES: &[&str] = &[
    "curve25519-sha256",
    "curve448-sha512",
    "ecdh-sha2-",
    "diffie-hellman-",
];

/// The classical methods the probe can run to see a server's host key when it does not
/// offer `mlkem768x25519-sha256`, in its order of preference: X25519 (RFC 8731), then
/// ECDH on P-256 and P-384 (RFC 5656 §4).
pub(crate) const CLASSICAL_FOR_HOST_KEY: &[&str] = &[
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
];

/// The first of [`CLASSICAL_FOR_HOST_KEY`] the server offers.
pub(crate) fn classical_for_host_key(server_kex: &[String]) -> Option<&'static str> {
    CLASSICAL_FOR_HOST_KEY
        .iter()
        .copied()
        .find(|n| server_kex.iter().any(|s| s == n))
}

/// Pseudo-methods that signal extensions, not key exchanges: RFC 8308 `ext-info-c/s`
/// and OpenSSH's strict-KEX markers (`kex-strict-c/s-v00@openssh.com`).
pub(crate) fn is_pseudo(name: &str) -> bool {
    name.starts_with("ext-info-") || name.starts_with("kex-strict-")
}

/// What a key-exchange name is.
pub(crate) fn describe(name: &str) -> KexMethod {
    let (kind, post_quantum, nist_category) =
        if let Some((_, cat)) = MLKEM_HYBRIDS.iter().find(|(n, _)| *n == name) {
            (KexKind::MlkemHybrid, true, Some(*cat))
        } else if OTHER_PQ_HYBRIDS.contains(&name) {
            (KexKind::PqHybrid, true, None)
        } else if CLASSICAL_PREFIXES.iter().any(|p| name.starts_with(p)) {
            (KexKind::Classical, false, None)
        } else {
            // Pseudo-methods, and names we do not know.
            (KexKind::Other, false, None)
        };
    KexMethod {
        name: name.to_owned(),
        kind,
        post_quantum,
        nist_category,
    }
}

/// The server's offer in post-quantum terms; pseudo-methods and unknown names are
/// ignored.
pub(crate) fn classify(methods: &[KexMethod]) -> Classification {
    let pq = methods.iter().any(|m| m.post_quantum);
    let classical = methods.iter().any(|m| m.kind == KexKind::Classical);
    match (pq, classical) {
        (true, false) => Classification::PqOnly,
        (true, true) => Classification::PqAndClassical,
        (false, true) => Classification::ClassicalOnly,
        (false, false) => Classification::NoCommonMethod,
    }
}

/// What an OpenSSH 10 client with default settings would negotiate: the first of its
/// list the server offers (RFC 4253 §7.1: the client's preference decides).
pub(crate) fn openssh10_choice(server_kex: &[String]) -> Option<String> {
    OPENSSH10_CLIENT_KEX
        .iter()
        .find(|n| server_kex.iter().any(|s| s == *n))
        .map(|n| (*n).to_owned())
}

/// A parsed `SSH_MSG_KEXINIT`.
#[derive(Clone, Debug)]
pub(crate) struct KexInit {
    /// The whole payload, message number included (`I_C` / `I_S` of the exchange hash).
    pub(crate) payload: Vec<u8>,
    pub(crate) kex_algorithms: Vec<String>,
    pub(crate) server_host_key_algorithms: Vec<String>,
    pub(crate) encryption_c2s: Vec<String>,
    pub(crate) encryption_s2c: Vec<String>,
    pub(crate) mac_c2s: Vec<String>,
    pub(crate) mac_s2c: Vec<String>,
    pub(crate) compression_c2s: Vec<String>,
    pub(crate) compression_s2c: Vec<String>,
    pub(crate) first_kex_packet_follows: bool,
}

impl KexInit {
    /// Parses RFC 4253 §7.1: byte 20, 16-byte cookie, ten name-lists, boolean, uint32.
    pub(crate) fn parse(payload: &[u8]) -> Result<Self, String> {
        let mut r = Reader::new(payload, "SSH_MSG_KEXINIT");
        let msg = r.u8("message number")?;
        if msg != MSG_KEXINIT {
            return Err(format!("expected SSH_MSG_KEXINIT (20), got message {msg}"));
        }
        r.bytes(16, "cookie")?;
        let kex = Self {
            payload: payload.to_vec(),
            kex_algorithms: r.name_list("kex_algorithms")?,
            server_host_key_algorithms: r.name_list("server_host_key_algorithms")?,
            encryption_c2s: r.name_list("encryption_algorithms_client_to_server")?,
            encryption_s2c: r.name_list("encryption_algorithms_server_to_client")?,
            mac_c2s: r.name_list("mac_algorithms_client_to_server")?,
            mac_s2c: r.name_list("mac_algorithms_server_to_client")?,
            compression_c2s: r.name_list("compression_algorithms_client_to_server")?,
            compression_s2c: r.name_list("compression_algorithms_server_to_client")?,
            first_kex_packet_follows: {
                // Languages: checked like every name-list, not reported.
                r.name_list("languages_client_to_server")?;
                r.name_list("languages_server_to_client")?;
                r.boolean("first_kex_packet_follows")?
            },
        };
        // uint32 0 (reserved for future extension). Its value is not checked, and bytes
        // after it are ignored, as RFC 4253 §7.1 defines nothing there.
        r.u32("reserved")?;
        Ok(kex)
    }

    /// Our `SSH_MSG_KEXINIT` in reply to the server's: only the key exchange `kex` (one
    /// the server offers), the given host-key algorithms, and the server's own cipher,
    /// MAC and compression lists (we never get as far as encrypting, so echoing them
    /// guarantees that negotiation succeeds).
    pub(crate) fn client_reply(
        server: &KexInit,
        kex: &str,
        host_key_algorithms: &[&str],
    ) -> Vec<u8> {
        let mut cookie = [0u8; 16];
        // RFC 4253 §7.1: a random cookie. Not a secret; zeros are a fine fallback.
        let _ = getrandom::fill(&mut cookie);
        let mut w = Writer::default();
        w.u8(MSG_KEXINIT)
            .raw(&cookie)
            .name_list(&[kex])
            .name_list(host_key_algorithms)
            .name_list(&server.encryption_c2s)
            .name_list(&server.encryption_s2c)
            .name_list(&server.mac_c2s)
            .name_list(&server.mac_s2c)
            .name_list(&server.compression_c2s)
            .name_list(&server.compression_s2c)
            .name_list::<&str>(&[])
            .name_list::<&str>(&[])
            .u8(0) // first_kex_packet_follows: false
            .u32(0);
        w.into_vec()
    }

    /// RFC 4253 §7: the server's guessed first KEX packet (if it sent one) is wrong, and
    /// MUST be ignored, unless its first kex and host-key algorithms are the ones
    /// negotiated (`kex`, `host_key_algorithm`).
    pub(crate) fn server_guess_is_wrong(&self, kex: &str, host_key_algorithm: &str) -> bool {
        self.first_kex_packet_follows
            && (self.kex_algorithms.first().map(String::as_str) != Some(kex)
                || self.server_host_key_algorithms.first().map(String::as_str)
                    != Some(host_key_algorithm))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn methods(names: &[&str]) -> Vec<KexMethod> {
        names.iter().map(|n| describe(n)).collect()
    }

    #[test]
    fn kinds() {
        let m = describe("mlkem768x25519-sha256");
        assert_eq!(
            (m.kind, m.post_quantum, m.nist_category),
            (KexKind::MlkemHybrid, true, Some(3))
        );
        assert_eq!(describe("mlkem1024nistp384-sha384").nist_category, Some(5));
        let s = describe("sntrup761x25519-sha512@openssh.com");
        assert_eq!((s.kind, s.post_quantum), (KexKind::PqHybrid, true));
        for c in [
            "curve25519-sha256",
            "curve25519-sha256@libssh.org",
            "ecdh-sha2-nistp521",
            "diffie-hellman-group14-sha1",
            "diffie-hellman-group-exchange-sha256",
        ] {
            assert_eq!(describe(c).kind, KexKind::Classical, "{c}");
        }
        for o in [
            "ext-info-s",
            "kex-strict-s-v00@openssh.com",
            "foo@example.com",
        ] {
            let d = describe(o);
            assert_eq!((d.kind, d.post_quantum), (KexKind::Other, false), "{o}");
        }
        assert!(is_pseudo("ext-info-s") && is_pseudo("kex-strict-s-v00@openssh.com"));
        assert!(!is_pseudo("curve25519-sha256"));
    }

    #[test]
    fn newer_names() {
        // (name, kind, NIST category): RFC 9941's sntrup761 names (the standard one and
        // OpenSSH's older one: the same method), and the three ML-KEM hybrids.
        for (name, kind, category) in [
            ("sntrup761x25519-sha512", KexKind::PqHybrid, None),
            (
                "sntrup761x25519-sha512@openssh.com",
                KexKind::PqHybrid,
                None,
            ),
            ("mlkem768x25519-sha256", KexKind::MlkemHybrid, Some(3)),
            ("mlkem768nistp256-sha256", KexKind::MlkemHybrid, Some(3)),
            ("mlkem1024nistp384-sha384", KexKind::MlkemHybrid, Some(5)),
        ] {
            let m = describe(name);
            assert_eq!(
                (m.kind, m.post_quantum, m.nist_category),
                (kind, true, category),
                "{name}"
            );
            assert_eq!(
                classify(&methods(&[name])),
                Classification::PqOnly,
                "{name}"
            );
            assert_eq!(
                classify(&methods(&[name, "ecdh-sha2-nistp384"])),
                Classification::PqAndClassical,
                "{name}"
            );
        }
        // Near misses are not post-quantum.
        for name in [
            "mlkem768x25519-sha512",
            "sntrup761x25519",
            "mlkem768",
            "x25519-mlkem768",
        ] {
            assert!(!describe(name).post_quantum, "{name}");
        }
        // An OpenSSH 10 client prefers the standard sntrup761 name to the older one.
        let s = |n: &[&str]| n.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            openssh10_choice(&s(&[
                "sntrup761x25519-sha512@openssh.com",
                "sntrup761x25519-sha512"
            ]))
            .as_deref(),
            Some("sntrup761x25519-sha512")
        );
        // The P-256 and P-384 ML-KEM hybrids are not in OpenSSH 10's default list.
        assert_eq!(
            openssh10_choice(&s(&["mlkem1024nistp384-sha384", "mlkem768nistp256-sha256"])),
            None
        );
    }

    #[test]
    fn classical_exchange_for_the_host_key() {
        let s = |n: &[&str]| n.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            classical_for_host_key(&s(&[
                "sntrup761x25519-sha512",
                "ecdh-sha2-nistp256",
                "curve25519-sha256"
            ])),
            Some("curve25519-sha256")
        );
        assert_eq!(
            classical_for_host_key(&s(&["ecdh-sha2-nistp384", "diffie-hellman-group14-sha256"])),
            Some("ecdh-sha2-nistp384")
        );
        assert_eq!(
            classical_for_host_key(&s(&[
                "sntrup761x25519-sha512",
                "diffie-hellman-group14-sha256"
            ])),
            None
        );
        for n in CLASSICAL_FOR_HOST_KEY {
            assert_eq!(describe(n).kind, KexKind::Classical, "{n}");
        }
    }

    #[test]
    fn classification() {
        let c = |n: &[&str]| classify(&methods(n));
        assert_eq!(
            c(&["mlkem768x25519-sha256", "kex-strict-s-v00@openssh.com"]),
            Classification::PqOnly
        );
        assert_eq!(
            c(&[
                "sntrup761x25519-sha512@openssh.com",
                "curve25519-sha256",
                "ext-info-s"
            ]),
            Classification::PqAndClassical
        );
        assert_eq!(
            c(&["curve25519-sha256", "ext-info-s"]),
            Classification::ClassicalOnly
        );
        assert_eq!(
            c(&["ext-info-s", "kex-strict-s-v00@openssh.com"]),
            Classification::NoCommonMethod
        );
        assert_eq!(c(&[]), Classification::NoCommonMethod);
    }

    #[test]
    fn openssh10_pick() {
        let s = |n: &[&str]| n.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            openssh10_choice(&s(&[
                "curve25519-sha256",
                "sntrup761x25519-sha512@openssh.com"
            ]))
            .as_deref(),
            Some("sntrup761x25519-sha512@openssh.com")
        );
        assert_eq!(
            openssh10_choice(&s(&["diffie-hellman-group1-sha1", "ext-info-s"])),
            None
        );
        assert_eq!(OPENSSH10_CLIENT_KEX.len(), 12);
    }

    #[test]
    fn kexinit_round_trip_and_truncations() {
        let mut w = Writer::default();
        w.u8(20).raw(&[7; 16]);
        let lists: [&[&str]; 10] = [
            &["mlkem768x25519-sha256", "curve25519-sha256"],
            &["ssh-ed25519"],
            &["aes128-ctr"],
            &["aes128-ctr"],
            &["hmac-sha2-256"],
            &["hmac-sha2-256"],
            &["none"],
            &["none"],
            &[],
            &[],
        ];
        for l in lists {
            w.name_list(l);
        }
        w.u8(1).u32(0);
        let payload = w.into_vec();
        let k = KexInit::parse(&payload).unwrap();
        assert_eq!(k.kex_algorithms.len(), 2);
        assert!(k.first_kex_packet_follows);
        assert!(!k.server_guess_is_wrong(MLKEM768X25519, "ssh-ed25519"));
        assert!(k.server_guess_is_wrong(MLKEM768X25519, "ecdsa-sha2-nistp256"));
        assert!(k.server_guess_is_wrong("curve25519-sha256", "ssh-ed25519"));
        let reply = KexInit::client_reply(&k, MLKEM768X25519, &["ssh-ed25519"]);
        let ours = KexInit::parse(&reply).unwrap();
        assert_eq!(ours.kex_algorithms, vec!["mlkem768x25519-sha256"]);
        let classical = KexInit::client_reply(&k, "curve25519-sha256", &["ssh-ed25519"]);
        let ours = KexInit::parse(&classical).unwrap();
        assert_eq!(ours.kex_algorithms, vec!["curve25519-sha256"]);
        assert_eq!(ours.encryption_c2s, vec!["aes128-ctr"]);
        assert!(!ours.first_kex_packet_follows);
        // Every truncation is an error, never a panic.
        for n in 0..payload.len() {
            assert!(KexInit::parse(&payload[..n]).is_err(), "{n}");
        }
    }
}
