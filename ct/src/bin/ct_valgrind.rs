//! Valgrind secret-tainting harness (the BoringSSL / aws-lc CONSTANT_TIME_VALIDATION
//! method). Run under memcheck by `scripts/ct`:
//!
//! ```text
//! valgrind --error-exitcode=42 --expensive-definedness-checks=yes --track-origins=yes \
//!     --suppressions=ct/valgrind.supp target/ct/release/ct_valgrind checks
//! ```
//!
//! Secret inputs (seeds, scalars, `m`, the secret parts of decapsulation keys, and
//! all operating-system randomness through the custom getrandom backend) are marked
//! undefined; memcheck then reports every branch and memory address that depends
//! on them. Outputs that are public by design (public keys, ciphertexts, key
//! shares) are declassified before they are used as public inputs again.
//!
//! Each scenario is one check: it passes when memcheck's error counter did not move
//! while it ran (`checks` mode), or when it did (`controls` mode, the planted
//! leaks). Functional results (both sides derive the same secret, implicit
//! rejection gives a different one) are checked too, on declassified copies.
//!
//! Backends: pqhkex picks a component backend per algorithm at run time; `scripts/ct`
//! runs this binary once per backend, forcing it with `PQHKEX_BACKEND` (`pure-rust`,
//! `graviola`). Each run checks only the scenarios whose algorithms run on that backend,
//! and FAILS if the backend it was asked for is not the one that ran (under valgrind
//! graviola's CPU check fails unless it was built with `VALGRIND_BUG_494162`, and a
//! silent fallback to pure Rust must never pass as coverage of graviola).
//!
//! Output: one `ok <name>` or `FAIL <name>: <why>` line per check, then
//! `valgrind <mode>: N passed, N failed`. Exit status 1 if anything failed.

use pqhkex::groups::{self, Group};
use pqhkex::{hazmat, Algorithm, Backend};
use pqhkex_ct::controls;
use pqhkex_ct::vg::{self, declassify, public_copy, taint};
use rustls::crypto::SupportedKxGroup;

/// Counts checks and prints one line per check.
struct Harness {
    label: String,
    /// The backend this run checks (forced with `PQHKEX_BACKEND`).
    backend: Backend,
    passed: u32,
    failed: u32,
}

impl Harness {
    /// Whether `alg` runs on the backend under check in this process.
    fn runs(&self, alg: Algorithm) -> bool {
        Backend::for_algorithm(alg) == self.backend
    }

    /// Whether any component of `group` runs on the backend under check.
    fn runs_any(&self, group: &Group) -> bool {
        group.components.iter().any(|a| self.runs(*a))
    }

    /// Fails unless every component key of `client` was made by the backend that
    /// `Backend::for_algorithm` names for it.
    fn assert_backends(group: &Group, client: &hazmat::ClientKeyShare) -> Result<(), String> {
        for (i, alg) in group.components.iter().enumerate() {
            let want = Backend::for_algorithm(*alg);
            if client.backend(i) != Some(want) {
                return Err(format!(
                    "{alg} key made by {:?}, not by {want}",
                    client.backend(i)
                ));
            }
        }
        Ok(())
    }

    /// Runs `f` and checks memcheck's error counter: it must stay put
    /// (`expect_reports == false`) or increase (`true`, the controls).
    fn check(&mut self, name: &str, expect_reports: bool, f: impl FnOnce() -> Result<(), String>) {
        let before = vg::error_count();
        let result = f();
        let reports = vg::error_count() - before;
        let verdict = match result {
            Err(e) => Err(format!("functional failure: {e}")),
            Ok(()) if expect_reports && reports == 0 => {
                Err("planted leak NOT reported by memcheck: the harness is blind".into())
            }
            Ok(()) if !expect_reports && reports != 0 => Err(format!(
                "{reports} memcheck report(s): secret-dependent branch or address"
            )),
            Ok(()) => Ok(()),
        };
        match verdict {
            Ok(()) => {
                self.passed += 1;
                if expect_reports {
                    println!("ok {}/{name} (caught: {reports} report(s))", self.label);
                } else {
                    println!("ok {}/{name}", self.label);
                }
            }
            Err(why) => {
                self.failed += 1;
                println!("FAIL {}/{name}: {why}", self.label);
            }
        }
    }
}

/// Deterministic, varied filler bytes (not secret by themselves; tainted by the caller).
fn bytes(len: usize, tag: u8) -> Vec<u8> {
    let mut x = 0x243f_6a88_85a3_08d3u64 ^ u64::from(tag).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A secret seed: `bytes(len, tag)`, marked undefined.
fn secret(len: usize, tag: u8) -> Vec<u8> {
    let mut v = bytes(len, tag);
    taint(&mut v);
    v
}

/// An ECDH scalar that is a valid private key (below the group order for the NIST curves).
fn scalar(alg: Algorithm, tag: u8) -> Vec<u8> {
    let mut v = bytes(alg.keygen_seed_len(), tag);
    v[0] &= 0x7f;
    v[0] |= 0x01;
    v
}

/// Declassified copy of a secret, for the functional comparison after the check.
fn reveal(s: &[u8]) -> Vec<u8> {
    public_copy(s)
}

fn same(what: &str, a: &[u8], b: &[u8]) -> Result<(), String> {
    if reveal(a) == reveal(b) {
        Ok(())
    } else {
        Err(format!("{what}: the two sides disagree"))
    }
}

fn err<E: core::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

fn mlkem_rank(alg: Algorithm) -> usize {
    match alg {
        Algorithm::MlKem512 => 2,
        Algorithm::MlKem768 => 3,
        _ => 4,
    }
}

/// Taints the secret parts of a serialized ML-KEM decapsulation key
/// `dk = dk_PKE ‖ ek ‖ H(ek) ‖ z` (FIPS 203 Algorithm 16): `dk_PKE` (the first
/// 384·k bytes) and `z` (the last 32). `ek` and its hash are public.
fn taint_dk(dk: &mut [u8], rank: usize) {
    let n = dk.len();
    taint(&mut dk[..384 * rank]);
    taint(&mut dk[n - 32..]);
}

/// ML-KEM through pqhkex's own component code (`hazmat` = the code rustls runs).
fn mlkem_via_pqhkex(h: &mut Harness, alg: Algorithm) {
    let rank = mlkem_rank(alg);
    h.check(&format!("pqhkex/{alg}/keygen[d,z secret]"), false, || {
        let seed = secret(64, 1);
        let (_dk, mut ek) = hazmat::keygen(alg, &seed).map_err(err)?;
        declassify(&mut ek);
        Ok(())
    });
    // A key pair made from public seeds, whose secret parts are then tainted.
    let (dk, ek) = hazmat::keygen(alg, &bytes(64, 2)).expect("keygen");
    let dk = dk.to_vec();
    let mut ct = Vec::new();
    let mut ss_enc = Vec::new();
    h.check(
        &format!("pqhkex/{alg}/encapsulate[m secret]"),
        false,
        || {
            let m = secret(32, 3);
            let (mut c, ss) = hazmat::encapsulate(alg, &ek, &m).map_err(err)?;
            declassify(&mut c);
            ct = c;
            ss_enc = ss.to_vec();
            Ok(())
        },
    );
    if h.backend != Backend::PureRust {
        // A serialized dk is always decapsulated by libcrux (`hazmat::decapsulate`);
        // this backend's decapsulation is checked by `mlkem_group_decaps`.
        return;
    }
    h.check(
        &format!("pqhkex/{alg}/decapsulate-valid[dk_PKE,z secret]"),
        false,
        || {
            let mut sk = dk.clone();
            taint_dk(&mut sk, rank);
            let ss = hazmat::decapsulate(alg, &sk, &ct).map_err(err)?;
            same("valid ciphertext", &ss, &ss_enc)
        },
    );
    h.check(
        &format!("pqhkex/{alg}/decapsulate-invalid[dk_PKE,z secret]"),
        false,
        || {
            let mut sk = dk.clone();
            taint_dk(&mut sk, rank);
            let mut bad = ct.clone();
            bad[7] ^= 0x10;
            let ss = hazmat::decapsulate(alg, &sk, &bad).map_err(err)?;
            if reveal(&ss) == reveal(&ss_enc) {
                return Err("implicit rejection returned the real shared secret".into());
            }
            Ok(())
        },
    );
}

/// ML-KEM decapsulation on the selected backend: a key generated from a secret `d ‖ z`
/// through the stand-alone group (so it is the backend's own key object), completed with
/// a valid and a tampered ciphertext (implicit rejection).
fn mlkem_group_decaps(h: &mut Harness, alg: Algorithm) {
    let group = groups::ALL
        .iter()
        .copied()
        .find(|g| g.components == [alg])
        .expect("stand-alone ML-KEM group");
    let Ok(client) = hazmat::client_start(group, &[&secret(64, 5)]) else {
        h.failed += 1;
        println!("FAIL {}/pqhkex/{alg}/group-keygen: failed", h.label);
        return;
    };
    let ek = public_copy(client.share());
    let (ct, ss_enc) = match hazmat::encapsulate(alg, &ek, &bytes(32, 6)) {
        Ok((c, ss)) => (c, ss.to_vec()),
        Err(e) => {
            h.failed += 1;
            println!("FAIL {}/pqhkex/{alg}/group-encapsulate: {e:?}", h.label);
            return;
        }
    };
    for (name, flip) in [("decapsulate-valid", false), ("decapsulate-invalid", true)] {
        h.check(
            &format!("pqhkex/{alg}/{name}[key from secret d,z]"),
            false,
            || {
                Harness::assert_backends(group, &client)?;
                let mut c = ct.clone();
                if flip {
                    c[9] ^= 0x04;
                }
                let ss = client.complete(&c).map_err(err)?;
                match (flip, reveal(&ss) == reveal(&ss_enc)) {
                    (false, false) => Err("valid ciphertext: the two sides disagree".into()),
                    (true, true) => {
                        Err("implicit rejection returned the real shared secret".into())
                    }
                    _ => Ok(()),
                }
            },
        );
    }
}

/// ML-KEM through libcrux's portable and AVX2 backends, called explicitly.
macro_rules! mlkem_backend {
    ($h:expr, $label:literal, $rank:literal, $module:path, $dk:literal) => {{
        use $module as b;
        let h: &mut Harness = $h;
        let name = |op: &str| format!("libcrux/{}/{}", $label, op);
        h.check(&name("keygen[d,z secret]"), false, || {
            let mut seed = [0u8; 64];
            seed.copy_from_slice(&bytes(64, 11));
            taint(&mut seed);
            let pair = b::generate_key_pair(seed);
            let mut pk = pair.public_key().as_slice().to_vec();
            declassify(&mut pk);
            Ok(())
        });
        let mut seed = [0u8; 64];
        seed.copy_from_slice(&bytes(64, 12));
        let pair = b::generate_key_pair(seed);
        let mut ct_bytes = Vec::new();
        let mut ss_enc = Vec::new();
        h.check(&name("encapsulate[m secret]"), false, || {
            let mut m = [0u8; 32];
            m.copy_from_slice(&bytes(32, 13));
            taint(&mut m);
            let (ct, ss) = b::encapsulate(pair.public_key(), m);
            ct_bytes = public_copy(ct.as_slice());
            ss_enc = ss.to_vec();
            Ok(())
        });
        let secret_key = |dk_bytes: &[u8]| {
            let mut raw = [0u8; $dk];
            raw.copy_from_slice(dk_bytes);
            taint_dk(&mut raw, $rank);
            libcrux_ml_kem::MlKemPrivateKey::from(raw)
        };
        h.check(&name("decapsulate-valid[dk_PKE,z secret]"), false, || {
            let sk = secret_key(pair.private_key().as_slice());
            let ct = libcrux_ml_kem::MlKemCiphertext::try_from(&ct_bytes[..]).map_err(err)?;
            let ss = b::decapsulate(&sk, &ct);
            same("valid ciphertext", &ss, &ss_enc)
        });
        h.check(&name("decapsulate-invalid[dk_PKE,z secret]"), false, || {
            let sk = secret_key(pair.private_key().as_slice());
            let mut bad = ct_bytes.clone();
            bad[3] ^= 0x01;
            let ct = libcrux_ml_kem::MlKemCiphertext::try_from(&bad[..]).map_err(err)?;
            let ss = b::decapsulate(&sk, &ct);
            if reveal(&ss) == reveal(&ss_enc) {
                return Err("implicit rejection returned the real shared secret".into());
            }
            Ok(())
        });
    }};
}

fn mlkem_backends(h: &mut Harness) {
    mlkem_backend!(
        h,
        "ML-KEM-512/portable",
        2,
        libcrux_ml_kem::mlkem512::portable,
        1632
    );
    mlkem_backend!(
        h,
        "ML-KEM-768/portable",
        3,
        libcrux_ml_kem::mlkem768::portable,
        2400
    );
    mlkem_backend!(
        h,
        "ML-KEM-1024/portable",
        4,
        libcrux_ml_kem::mlkem1024::portable,
        3168
    );
    if !std::arch::is_x86_feature_detected!("avx2") {
        h.failed += 1;
        println!("FAIL {}/libcrux/avx2: this CPU (as valgrind presents it) has no AVX2; the AVX2 backend was not checked", h.label);
        return;
    }
    mlkem_backend!(
        h,
        "ML-KEM-512/avx2",
        2,
        libcrux_ml_kem::mlkem512::avx2,
        1632
    );
    mlkem_backend!(
        h,
        "ML-KEM-768/avx2",
        3,
        libcrux_ml_kem::mlkem768::avx2,
        2400
    );
    mlkem_backend!(
        h,
        "ML-KEM-1024/avx2",
        4,
        libcrux_ml_kem::mlkem1024::avx2,
        3168
    );
}

/// X25519, P-256, P-384 through pqhkex's components.
fn ecdh(h: &mut Harness, alg: Algorithm) {
    h.check(
        &format!("pqhkex/{alg}/keygen[scalar secret]"),
        false,
        || {
            let mut k = scalar(alg, 21);
            taint(&mut k);
            let (_sk, mut pk) = hazmat::keygen(alg, &k).map_err(err)?;
            declassify(&mut pk);
            Ok(())
        },
    );
    let peer_scalar = scalar(alg, 22);
    let (_, peer_pk) = hazmat::keygen(alg, &peer_scalar).expect("keygen");
    let mut reply = Vec::new();
    let mut ss_server = Vec::new();
    h.check(
        &format!("pqhkex/{alg}/dh-server[ephemeral scalar secret]"),
        false,
        || {
            let mut k = scalar(alg, 23);
            taint(&mut k);
            let (mut r, ss) = hazmat::encapsulate(alg, &peer_pk, &k).map_err(err)?;
            declassify(&mut r);
            reply = r;
            ss_server = ss.to_vec();
            Ok(())
        },
    );
    h.check(
        &format!("pqhkex/{alg}/dh-client[scalar secret]"),
        false,
        || {
            let mut k = peer_scalar.clone();
            taint(&mut k);
            let ss = hazmat::decapsulate(alg, &k, &reply).map_err(err)?;
            same("ECDH", &ss, &ss_server)
        },
    );
}

fn seeds(lens: impl Iterator<Item = usize>, tag: u8, alg_of: &[Algorithm]) -> Vec<Vec<u8>> {
    lens.zip(alg_of)
        .enumerate()
        .map(|(i, (len, alg))| {
            let mut v = if alg.is_post_quantum() {
                bytes(len, tag + i as u8)
            } else {
                scalar(*alg, tag + i as u8)
            };
            taint(&mut v);
            v
        })
        .collect()
}

/// The combiner: every component's seed secret, so both component secrets (and
/// the concatenated TLS secret) are secret.
fn hybrid(h: &mut Harness, group: &'static Group) {
    let comps = group.components;
    let mut client = None;
    let mut share = Vec::new();
    h.check(
        &format!("combiner/{}/client_start[all seeds secret]", group.name),
        false,
        || {
            let s = seeds(comps.iter().map(|a| a.keygen_seed_len()), 31, comps);
            let refs: Vec<&[u8]> = s.iter().map(|v| &v[..]).collect();
            let c = hazmat::client_start(group, &refs).map_err(err)?;
            Harness::assert_backends(group, &c)?;
            share = public_copy(c.share());
            client = Some(c);
            Ok(())
        },
    );
    let Some(client) = client else { return };
    let mut server_share = Vec::new();
    let mut server_secret = Vec::new();
    h.check(
        &format!(
            "combiner/{}/server_encapsulate[all seeds secret]",
            group.name
        ),
        false,
        || {
            let s = seeds(comps.iter().map(|a| a.encaps_seed_len()), 41, comps);
            let refs: Vec<&[u8]> = s.iter().map(|v| &v[..]).collect();
            let (mut ss, secret) = hazmat::server_encapsulate(group, &share, &refs).map_err(err)?;
            declassify(&mut ss);
            server_share = ss;
            server_secret = secret.to_vec();
            Ok(())
        },
    );
    h.check(
        &format!("combiner/{}/complete[all keys secret]", group.name),
        false,
        || {
            let secret = client.complete(&server_share).map_err(err)?;
            if secret.len() != group.secret_len() {
                return Err("wrong combined secret length".into());
            }
            same("combined secret", &secret, &server_secret)
        },
    );
}

/// The rustls-facing API, with every random byte secret (custom getrandom backend).
fn rustls_group(h: &mut Harness, kx: &'static dyn SupportedKxGroup) {
    let code = u16::from(kx.name());
    let name = groups::by_code(code).map_or("?", |g| g.name);
    let mut active = None;
    let mut client_share = Vec::new();
    h.check(
        &format!("rustls/{name}/start[OS randomness secret]"),
        false,
        || {
            let a = kx.start().map_err(err)?;
            client_share = public_copy(a.pub_key());
            active = Some(a);
            Ok(())
        },
    );
    let Some(active) = active else { return };
    let mut server_share = Vec::new();
    let mut server_secret = Vec::new();
    h.check(
        &format!("rustls/{name}/start_and_complete[OS randomness secret]"),
        false,
        || {
            let done = kx.start_and_complete(&client_share).map_err(err)?;
            server_share = public_copy(&done.pub_key);
            server_secret = done.secret.secret_bytes().to_vec();
            Ok(())
        },
    );
    h.check(
        &format!("rustls/{name}/complete[client keys secret]"),
        false,
        || {
            let secret = active.complete(&server_share).map_err(err)?;
            same("TLS shared secret", secret.secret_bytes(), &server_secret)
        },
    );
    // Hybrid groups: the classical share reused as a stand-alone group
    // (draft-ietf-tls-hybrid-design §3.2), completed through complete_hybrid_component.
    let Some(group) = groups::by_code(code) else {
        return;
    };
    let Some((_, classical)) = group.classical_component() else {
        return;
    };
    let standalone = groups::ALL
        .iter()
        .copied()
        .find(|g| g.components == [classical])
        .expect("stand-alone classical group");
    let standalone_kx = pqhkex::rustls::kx_group(standalone);
    h.check(
        &format!("rustls/{name}/complete_hybrid_component[client key secret]"),
        false,
        || {
            let a = kx.start().map_err(err)?;
            let (_, part) = a.hybrid_component().ok_or("no hybrid component")?;
            let part = public_copy(part);
            let done = standalone_kx.start_and_complete(&part).map_err(err)?;
            let reply = public_copy(&done.pub_key);
            let secret = a.complete_hybrid_component(&reply).map_err(err)?;
            same(
                "classical component secret",
                secret.secret_bytes(),
                done.secret.secret_bytes(),
            )
        },
    );
}

/// X-Wing (draft-connolly-cfrg-xwing-kem) through pqhkex's KEM API: ML-KEM-768 and
/// X25519 under the SHA3-256 combiner. Its decapsulation key is the 32-byte seed `sk`,
/// expanded with SHAKE-256 on use, so the whole key is secret.
fn xwing(h: &mut Harness) {
    use pqhkex::kem_api::{Ciphertext, DecapsulationKey, XWing};
    h.check("pqhkex/X-Wing/keygen[sk secret]", false, || {
        let sk = secret(32, 61);
        let dk = hazmat::kem_keygen::<XWing>(&sk).map_err(err)?;
        let _ek = public_copy(dk.encapsulation_key().as_bytes());
        Ok(())
    });
    let sk = bytes(32, 62);
    let dk = hazmat::kem_keygen::<XWing>(&sk).expect("X-Wing keygen");
    let mut ct = Vec::new();
    let mut ss_enc = Vec::new();
    h.check("pqhkex/X-Wing/encapsulate[eseed secret]", false, || {
        let eseed = secret(64, 63);
        let (c, ss) = hazmat::kem_encapsulate(dk.encapsulation_key(), &eseed).map_err(err)?;
        ct = public_copy(c.as_bytes());
        ss_enc = ss.as_bytes().to_vec();
        Ok(())
    });
    for (name, flip) in [("decapsulate-valid", false), ("decapsulate-invalid", true)] {
        h.check(&format!("pqhkex/X-Wing/{name}[sk secret]"), false, || {
            let mut key = sk.clone();
            taint(&mut key);
            let dk = DecapsulationKey::<XWing>::from_bytes(&key).map_err(err)?;
            let mut c = ct.clone();
            if flip {
                c[5] ^= 0x20; // inside the ML-KEM ciphertext
            }
            let c = Ciphertext::<XWing>::from_bytes(&c).map_err(err)?;
            let ss = dk.decapsulate(&c).map_err(err)?;
            let equal = reveal(ss.as_bytes()) == reveal(&ss_enc);
            match (flip, equal) {
                (false, false) => Err("X-Wing: the two sides disagree".into()),
                (true, true) => Err("X-Wing: a tampered ciphertext gave the real secret".into()),
                _ => Ok(()),
            }
        });
    }
}

/// SSH `mlkem768x25519-sha256` (`pqhkex::ssh`, RFC 10042): the X25519MLKEM768
/// components under SSH framing, plus `K = SHA-256(K_PQ ‖ K_CL)`. Seeded through
/// `hazmat` with every seed secret, then once more through the public API with OS
/// randomness (secret through the custom getrandom backend).
fn ssh(h: &mut Harness) {
    use pqhkex::ssh::{ClientKeyShare, MlKem768X25519Sha256 as M};
    let mut client = None;
    let mut c_init = Vec::new();
    h.check(
        "ssh/mlkem768x25519-sha256/client_start[d,z,scalar secret]",
        false,
        || {
            let (d_z, x) = (secret(64, 61), secret(32, 62));
            let c = hazmat::ssh_client_start(&d_z, &x).map_err(err)?;
            c_init = public_copy(c.init_bytes());
            client = Some(c);
            Ok(())
        },
    );
    let Some(client) = client else { return };
    let mut s_reply = Vec::new();
    let mut k_server = Vec::new();
    h.check(
        "ssh/mlkem768x25519-sha256/server_respond[m,scalar secret]",
        false,
        || {
            let (m, x) = (secret(32, 63), secret(32, 64));
            let (mut reply, k) = hazmat::ssh_server_respond(&c_init, &m, &x).map_err(err)?;
            declassify(&mut reply);
            s_reply = reply;
            k_server = k.as_bytes().to_vec();
            Ok(())
        },
    );
    h.check(
        "ssh/mlkem768x25519-sha256/finish[client keys secret]",
        false,
        || {
            let k = client.finish(&s_reply).map_err(err)?;
            same("K", k.as_bytes(), &k_server)
        },
    );
    h.check(
        "ssh/mlkem768x25519-sha256/round-trip[OS randomness secret]",
        false,
        || {
            let c = ClientKeyShare::generate().map_err(err)?;
            let c_init = public_copy(c.init_bytes());
            let (mut reply, k_s) = M::server_respond(&c_init).map_err(err)?;
            declassify(&mut reply);
            let k_c = c.finish(&reply).map_err(err)?;
            same("K", k_c.as_bytes(), k_s.as_bytes())
        },
    );
}

fn checks(h: &mut Harness) {
    for alg in [
        Algorithm::MlKem512,
        Algorithm::MlKem768,
        Algorithm::MlKem1024,
    ] {
        if h.runs(alg) {
            mlkem_via_pqhkex(h, alg);
            mlkem_group_decaps(h, alg);
        }
    }
    for alg in [Algorithm::X25519, Algorithm::P256, Algorithm::P384] {
        if h.runs(alg) {
            ecdh(h, alg);
        }
    }
    for group in groups::ALL {
        if h.runs_any(group) {
            hybrid(h, group);
        }
    }
    if h.runs_any(&groups::X25519MLKEM768) {
        ssh(h);
    }
    for kx in pqhkex::rustls::ALL_KX_GROUPS {
        let group = groups::by_code(u16::from(kx.name())).expect("table group");
        if h.runs_any(group) {
            rustls_group(h, *kx);
        }
    }
    // Code that runs on pure Rust whatever the backend: libcrux called directly, and
    // X-Wing (the KEM API).
    if h.backend == Backend::PureRust {
        mlkem_backends(h);
        xwing(h);
    }
}

fn control_checks(h: &mut Harness) {
    h.check("control/secret-branch", true, || {
        let s = secret(1, 51);
        std::hint::black_box(controls::planted_secret_branch(&s));
        Ok(())
    });
    h.check("control/secret-table-index", true, || {
        let s = secret(1, 52);
        std::hint::black_box(controls::planted_secret_index(&s));
        Ok(())
    });
    h.check("control/early-exit-compare", true, || {
        let a = secret(32, 53);
        let b = bytes(32, 54);
        std::hint::black_box(controls::planted_early_exit_compare(&a, &b));
        Ok(())
    });
    // Not a memcheck check: memcheck does not report a secret division (KyberSlash).
    // Calling the control here keeps it linked into this binary, where the division
    // scan (ct_divscan) must find it.
    let s = secret(1, 55);
    let q = controls::planted_secret_division(&s);
    std::hint::black_box(q);
    println!(
        "note: the planted secret division ran; memcheck does not flag divisions, the division scan does"
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let label = args.next().unwrap_or_else(|| "vg".into());
    let backend = std::env::var("PQHKEX_BACKEND")
        .ok()
        .and_then(|b| Backend::from_name(&b))
        .unwrap_or(Backend::PureRust);
    let mut h = Harness {
        label: format!("{label}/{backend}"),
        backend,
        passed: 0,
        failed: 0,
    };
    let covered: Vec<Algorithm> = Algorithm::ALL
        .iter()
        .copied()
        .filter(|a| backend.covers(*a))
        .collect();
    let wrong = covered
        .iter()
        .find(|a| Backend::for_algorithm(**a) != backend);
    if let (Some(a), "checks") = (wrong, mode.as_str()) {
        println!(
            "FAIL {}/setup: {a} runs on {}, not on {backend} (for graviola under valgrind, build with VALGRIND_BUG_494162 set)",
            h.label,
            Backend::for_algorithm(*a)
        );
        h.failed += 1;
    } else if !vg::running_on_valgrind() {
        println!(
            "FAIL {}/setup: not running under valgrind; the checks would see nothing",
            h.label
        );
        h.failed += 1;
    } else {
        match mode.as_str() {
            "checks" => checks(&mut h),
            "controls" => control_checks(&mut h),
            _ => {
                eprintln!("usage: ct_valgrind (checks|controls) [label]");
                std::process::exit(2);
            }
        }
    }
    println!("valgrind {mode}: {} passed, {} failed", h.passed, h.failed);
    std::process::exit(i32::from(h.failed != 0));
}
