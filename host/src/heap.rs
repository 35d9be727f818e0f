//! How the host takes memory from the C allocator (glibc's malloc), tuned for a
//! process that does one call on two or three threads and exits.
//!
//! A thread other than the main one allocates from an arena of its own, and glibc
//! grows such an arena by exactly what each allocation lacks: one `mprotect` per
//! page or so. Each of those takes the process's address-space lock for writing,
//! the lock that the page faults of the plugin running on the main thread need
//! too. Compiling a tool's output schema beside the call made about 70 of them,
//! and the call slowed by as much as the second core saved.
//!
//! [`configure`] lets arenas hold blocks of up to [`MMAP_THRESHOLD`], and
//! [`reserve_for_thread`] grows the calling thread's arena in one step before
//! it allocates much. Elsewhere than glibc on Linux both do nothing.

/// Blocks at least this large get a mapping of their own, freed whole; smaller
/// ones come from an arena and are reused. glibc raises its 128 KiB default
/// itself after a large block is freed (up to 32 MiB); fixing it from the start
/// lets one reservation cover a thread's allocations.
pub const MMAP_THRESHOLD: usize = 4 << 20;

/// What [`reserve_for_thread`] grows an arena by: more than compiling a large
/// output schema allocates (about 2.3 MiB for the rotation planner's), and less
/// than [`MMAP_THRESHOLD`], so that it comes from the arena.
const THREAD_RESERVE: usize = 3 << 20;

/// Sets the allocator's thresholds; call once, first thing in `main`.
pub fn configure() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // The top of an arena is given back once this much of it is free: glibc
        // pairs it with the mapping threshold the same way when it raises that.
        let trim_threshold = 2 * MMAP_THRESHOLD;
        // SAFETY: `mallopt` only sets allocator parameters, under the
        // allocator's own lock.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
            libc::mallopt(libc::M_TRIM_THRESHOLD, trim_threshold as libc::c_int);
        }
    }
}

/// Grows the calling thread's arena once, by [`THREAD_RESERVE`], so that what the
/// thread allocates next is carved out of it without a system call. The pages
/// are not touched: they cost nothing until used.
///
/// For a helper thread that allocates a lot while the plugin runs.
pub fn reserve_for_thread() {
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        // Freed at once: the arena keeps the room (see `configure` for when it
        // gives it back), which is the point.
        drop(std::hint::black_box(Vec::<u8>::with_capacity(
            THREAD_RESERVE,
        )));
    }
}
