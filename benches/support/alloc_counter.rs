//! A counting global allocator for the benchmark binaries: the number of heap
//! allocations and the bytes they requested, so the suite can report heap use per
//! handshake. It forwards to the system allocator and adds two relaxed atomic
//! increments per allocation; every row pays the same.
//!
//! Only Rust allocations are seen: memory that C code (aws-lc, *ring*'s C parts) gets
//! from `malloc` directly does not pass through here, and the report says so.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The allocator; install with `#[global_allocator]`.
pub struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// the `GlobalAlloc` contract holds exactly as it does for `System`; the counters are
// plain atomics and never touch the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: forwarded unchanged (see above).
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: forwarded unchanged (see above).
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        // SAFETY: forwarded unchanged (see above).
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged (see above).
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Heap use of one piece of work: allocations (a `realloc` counts as one) and bytes
/// requested.
#[derive(Clone, Copy, Debug, Default)]
pub struct Heap {
    pub allocations: u64,
    pub bytes: u64,
}

/// Runs `f` and reports the heap it used. The process must be single-threaded while it
/// runs (the counters are global).
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Heap) {
    let (a0, b0) = (ALLOCATIONS.load(Relaxed), BYTES.load(Relaxed));
    let out = std::hint::black_box(f());
    let (a1, b1) = (ALLOCATIONS.load(Relaxed), BYTES.load(Relaxed));
    (
        out,
        Heap {
            allocations: a1 - a0,
            bytes: b1 - b0,
        },
    )
}
