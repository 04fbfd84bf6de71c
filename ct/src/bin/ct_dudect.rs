//! Statistical timing tests (dudect, Reparaz–Balasch–Verbauwhede 2017) through
//! pqhkex's own API. Each bench times one operation on two classes of inputs
//! (Left / Right); dudect-bencher prints Welch's t statistic (`max t`) over several
//! cropped percentiles. `scripts/ct` runs this binary twice and fails a bench when
//! |max t| > 10 in both runs with the same sign (see CONSTANT_TIME.md).
//!
//! Inputs are prepared before timing; per sample, the key or share is copied into
//! one scratch buffer (outside the timed closure), so both classes read the same
//! memory and differ only in the bytes. The copies come from two equally large pools
//! allocated in interleaved, coin-flipped order (`pools`): a fixed class that copied from
//! one hot buffer while the random class copied from hundreds of kilobytes would leave
//! different cache contents behind, and pools allocated one after the other sit at
//! different addresses; either shows up as a consistent t of 10-20 that is the
//! harness's, not the code's (seen in CI before the pools were made alike).
//!
//! `CT_DUDECT_SCALE` (default 1) multiplies the number of samples. `scripts/ct` runs the
//! binary once per component backend (`PQHKEX_BACKEND`), so the benches that go through
//! the backend (the group keys, X25519) time graviola's code as well as the pure-Rust
//! code; the serialized-`dk` ML-KEM bench always times libcrux.

use dudect_bencher::rand::{Rng, RngExt};
use dudect_bencher::{ctbench_main, BenchRng, Class, CtRunner};
use pqhkex::{groups, hazmat, Algorithm};
use pqhkex_ct::controls;

fn scale() -> usize {
    std::env::var("CT_DUDECT_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

fn random_bytes(rng: &mut BenchRng, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rng.fill_bytes(&mut v);
    v
}

/// Two pools of `n` entries each, `left(i)` and `right(i)`, allocated alternately (which
/// of each pair comes first is a coin flip), so both classes' data is spread over the
/// same address range and has the same total size.
fn pools<T>(
    rng: &mut BenchRng,
    n: usize,
    mut left: impl FnMut(&mut BenchRng) -> T,
    mut right: impl FnMut(&mut BenchRng) -> T,
) -> (Vec<T>, Vec<T>) {
    let (mut l, mut r) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        if rng.random::<bool>() {
            l.push(left(rng));
            r.push(right(rng));
        } else {
            r.push(right(rng));
            l.push(left(rng));
        }
    }
    (l, r)
}

fn class(rng: &mut BenchRng) -> Class {
    if rng.random::<bool>() {
        Class::Left
    } else {
        Class::Right
    }
}

/// X25519MLKEM768 client `complete` (ML-KEM-768 decapsulation + X25519 + combiner):
/// Left = a valid server share, Right = the same share with one ciphertext byte
/// flipped (implicit rejection, FIPS 203 Algorithm 18 steps 9-10).
fn hybrid_decaps_valid_vs_invalid(runner: &mut CtRunner, rng: &mut BenchRng) {
    let g = &groups::X25519MLKEM768;
    let mut d = random_bytes(rng, 64);
    let mut x = random_bytes(rng, 32);
    x[0] |= 1;
    let client = hazmat::client_start(g, &[&d, &x]).expect("client_start");
    d.fill(0);
    // A pool of distinct encapsulations (each with its own X25519 ephemeral).
    let pool: Vec<(Vec<u8>, Vec<u8>)> = (0..128)
        .map(|_| {
            let m = random_bytes(rng, 32);
            let mut e = random_bytes(rng, 32);
            e[0] |= 1;
            let (share, _) =
                hazmat::server_encapsulate(g, client.share(), &[&m, &e]).expect("encaps");
            let mut bad = share.clone();
            let i = rng.random_range(0..1088); // inside the ML-KEM ciphertext (first 1088 bytes)
            bad[i] ^= 1 << rng.random_range(0..8);
            (share, bad)
        })
        .collect();
    let n = 100_000 * scale();
    let mut scratch = vec![0u8; g.server_share_len()];
    for _ in 0..n {
        let c = class(rng);
        let (good, bad) = &pool[rng.random_range(0..pool.len())];
        scratch.copy_from_slice(match c {
            Class::Left => good,
            Class::Right => bad,
        });
        runner.run_one(c, || client.complete(&scratch).map(|s| s[0]));
    }
}

/// ML-KEM-768 decapsulation (pqhkex hazmat path: FIPS 203 §7.3 hash check, then
/// Decaps_internal): Left = one fixed secret key, Right = random secret keys.
/// Only the secret parts `dk_PKE` and `z` vary; the embedded public key `ek` and
/// `H(ek)` are held fixed (a different rho would change the matrix-sampling time
/// and fake a leak). The ciphertext is fixed and random (rejected for every key).
fn mlkem768_decaps_fixed_vs_random_key(runner: &mut CtRunner, rng: &mut BenchRng) {
    let alg = Algorithm::MlKem768;
    let (dk0, _ek0) = hazmat::keygen(alg, &random_bytes(rng, 64)).expect("keygen");
    let dk0 = dk0.to_vec();
    let pke = 384 * 3;
    let n_dk = dk0.len();
    // Left: 256 copies of the one key; Right: 256 random `dk_PKE`/`z` (see `pools`).
    let (left, right) = pools(
        rng,
        256,
        |_| dk0.clone(),
        |rng| {
            let (dk, _) = hazmat::keygen(alg, &random_bytes(rng, 64)).expect("keygen");
            let mut k = dk0.clone();
            k[..pke].copy_from_slice(&dk[..pke]); // dk_PKE of a random key pair
            k[n_dk - 32..].copy_from_slice(&dk[n_dk - 32..]); // its z
            k
        },
    );
    let ct = random_bytes(rng, 1088);
    let n = 100_000 * scale();
    let mut scratch = vec![0u8; n_dk];
    for _ in 0..n {
        let c = class(rng);
        let pool = match c {
            Class::Left => &left,
            Class::Right => &right,
        };
        scratch.copy_from_slice(&pool[rng.random_range(0..pool.len())]);
        runner.run_one(c, || hazmat::decapsulate(alg, &scratch, &ct).map(|s| s[0]));
    }
}

/// ML-KEM-768 decapsulation with the backend's own key objects (the path graviola runs:
/// it cannot import a serialized `dk`). Per sample, outside the timed closure, a key
/// object is made through the stand-alone MLKEM768 group from a seed (Left = one fixed
/// seed, Right = a seed from a pool of 256 random seeds, both pools alike, see `pools`)
/// and the previous one dropped, so both classes' keys were just written to the same
/// freed memory and differ only in their values. (Two pools of 64 long-lived objects,
/// the first design, put each class at its own addresses; CI once saw t = -15 / -19
/// from that layout alone.) A fixed random ciphertext (rejected by every key) is copied
/// into the scratch buffer each time.
fn mlkem768_group_decaps_fixed_vs_random_key(runner: &mut CtRunner, rng: &mut BenchRng) {
    let g = &groups::MLKEM768;
    let fixed = random_bytes(rng, 64);
    let (left, right) = pools(rng, 256, |_| fixed.clone(), |rng| random_bytes(rng, 64));
    let ct = random_bytes(rng, 1088);
    let n = 100_000 * scale();
    let mut scratch = vec![0u8; ct.len()];
    for _ in 0..n {
        let c = class(rng);
        let pool = match c {
            Class::Left => &left,
            Class::Right => &right,
        };
        let seed = &pool[rng.random_range(0..pool.len())];
        let client = hazmat::client_start(g, &[seed]).expect("client_start");
        scratch.copy_from_slice(&ct);
        runner.run_one(c, || client.complete(&scratch).map(|s| s[0]));
    }
}

/// X25519 through pqhkex (key generation from the scalar, then DH with a fixed
/// peer): Left = one fixed scalar, Right = random scalars.
fn x25519_fixed_vs_random_scalar(runner: &mut CtRunner, rng: &mut BenchRng) {
    let alg = Algorithm::X25519;
    let (_, peer) = hazmat::keygen(alg, &random_bytes(rng, 32)).expect("keygen");
    let fixed = random_bytes(rng, 32);
    let (left, right) = pools(rng, 256, |_| fixed.clone(), |rng| random_bytes(rng, 32));
    let n = 50_000 * scale();
    let mut scratch = vec![0u8; 32];
    for _ in 0..n {
        let c = class(rng);
        let pool = match c {
            Class::Left => &left,
            Class::Right => &right,
        };
        scratch.copy_from_slice(&pool[rng.random_range(0..pool.len())]);
        runner.run_one(c, || {
            hazmat::decapsulate(alg, &scratch, &peer).map(|s| s[0])
        });
    }
}

/// Control: a ~125 ns function that runs about 4-6 ns longer for Left inputs
/// (ct/src/controls.rs `planted_timing_leak`, 3 extra dependent multiply steps;
/// `CT_DUDECT_LEAK_ROUNDS` overrides, 0 makes it a no-leak control). The gate requires this to be caught
/// (|max t| > 10 in both runs), or the measurement is too blunt to mean anything.
fn control_planted_5ns_leak(runner: &mut CtRunner, rng: &mut BenchRng) {
    let rounds: u32 = std::env::var("CT_DUDECT_LEAK_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let inputs: Vec<[u8; 64]> = (0..256)
        .map(|_| {
            let mut a = [0u8; 64];
            rng.fill_bytes(&mut a);
            a
        })
        .collect();
    let n = 100_000 * scale();
    let mut scratch = [0u8; 64];
    for _ in 0..n {
        let c = class(rng);
        scratch.copy_from_slice(&inputs[rng.random_range(0..inputs.len())]);
        let leak = matches!(c, Class::Left);
        runner.run_one(c, || controls::planted_timing_leak(&scratch, leak, rounds));
    }
}

ctbench_main!(
    control_planted_5ns_leak,
    hybrid_decaps_valid_vs_invalid,
    mlkem768_decaps_fixed_vs_random_key,
    mlkem768_group_decaps_fixed_vs_random_key,
    x25519_fixed_vs_random_scalar
);
