//! Valgrind client requests from stable Rust.
//!
//! `valgrind.h` (amd64) defines a client request as: put the address of a 6-word
//! argument block `[request, a1, a2, a3, a4, a5]` in `rax` and the default result
//! in `rdx`, then execute the "special instruction preamble" (four rotations of
//! `rdi` by 3, 13, 61 and 51 bits: 128 in total, so `rdi` is unchanged) followed by
//! `xchg rbx, rbx`. Natively this sequence does nothing and `rdx` keeps the
//! default; under valgrind the core recognises it and puts the result in `rdx`.
//!
//! The taint / declassify helpers take `&mut [u8]`: with a shared reference LLVM may
//! keep using a copy of the bytes it already loaded into a register, which then
//! carries the wrong definedness and produces false reports.

/// `VG_USERREQ__RUNNING_ON_VALGRIND` (valgrind.h).
const RUNNING_ON_VALGRIND: u64 = 0x1001;
/// `VG_USERREQ__COUNT_ERRORS` (valgrind.h).
const COUNT_ERRORS: u64 = 0x1201;
/// `VG_USERREQ_TOOL_BASE('M','C')`: the first memcheck request (memcheck.h).
const MC_BASE: u64 = ((b'M' as u64) << 24) | ((b'C' as u64) << 16);
/// `VG_USERREQ__MAKE_MEM_UNDEFINED` (memcheck.h): base + 1.
const MAKE_MEM_UNDEFINED: u64 = MC_BASE + 1;
/// `VG_USERREQ__MAKE_MEM_DEFINED` (memcheck.h): base + 2.
const MAKE_MEM_DEFINED: u64 = MC_BASE + 2;

#[cfg(target_arch = "x86_64")]
#[inline(never)]
fn client_request(default: u64, request: u64, a1: u64, a2: u64) -> u64 {
    let args: [u64; 6] = [request, a1, a2, 0, 0, 0];
    let result: u64;
    // SAFETY: the sequence only rotates rdi by a total of 128 bits (a no-op) and
    // exchanges rbx with itself; valgrind, when present, reads the argument block
    // through rax and writes the result to rdx. The block lives until after the asm.
    // Memory is not declared untouched: a request changes what memcheck believes
    // about memory, so the compiler must not move loads or stores across it.
    unsafe {
        core::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") args.as_ptr(),
            inout("rdx") default => result,
            options(nostack),
        );
    }
    result
}

#[cfg(not(target_arch = "x86_64"))]
compile_error!("the valgrind client requests are implemented for x86_64 only");

/// Whether the program runs under valgrind (0 natively).
pub fn running_on_valgrind() -> bool {
    client_request(0, RUNNING_ON_VALGRIND, 0, 0) != 0
}

/// How many errors the valgrind tool has reported so far (0 natively).
pub fn error_count() -> u64 {
    client_request(0, COUNT_ERRORS, 0, 0)
}

/// Marks `buf` as secret: memcheck's "undefined". Any branch, memory address or
/// system-call argument that depends on it is then reported.
pub fn taint(buf: &mut [u8]) {
    client_request(
        0,
        MAKE_MEM_UNDEFINED,
        buf.as_mut_ptr() as u64,
        buf.len() as u64,
    );
}

/// Declassifies `buf`: marks it defined again. Only for values that are public by
/// design (a public key, a ciphertext, a result the protocol reveals anyway).
pub fn declassify(buf: &mut [u8]) {
    client_request(
        0,
        MAKE_MEM_DEFINED,
        buf.as_mut_ptr() as u64,
        buf.len() as u64,
    );
}

/// Copies `bytes` and declassifies the copy (for public outputs only reachable by
/// shared reference, e.g. `ActiveKeyExchange::pub_key`).
pub fn public_copy(bytes: &[u8]) -> Vec<u8> {
    let mut v = bytes.to_vec();
    declassify(&mut v);
    v
}
