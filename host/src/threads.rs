//! The helper thread, which starts on another core at once.
//!
//! Linux places a new thread on its parent's core, and moves it to an idle one
//! only when the parent blocks or the load balancer next looks. On the 2-core
//! virtual machines we measure on, a thread started by a busy main thread began
//! running after a median 1.0 ms; the work it was started for, to overlap the
//! main thread's, then ran after it instead. Started with its affinity set to
//! every other core the process may use, it began after 0.07 ms (a C test on the
//! same machine). Once running it takes back the process's whole affinity, so
//! that the scheduler may move it as usual afterwards.
//!
//! Work handed off goes to one long-lived helper ([`helper`]) started that way,
//! which is awake or asleep on the other core when the next piece arrives: a
//! thread started for each piece would run only once the caller waited.

use std::io;
use std::sync::OnceLock;
use std::thread::JoinHandle;

use rayon_core::{ThreadPool, ThreadPoolBuilder};

/// Starts `work` on a new thread, on a core other than this one when there is one.
fn spawn_beside<T, F>(name: &str, work: F) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let away = Away::from_here();
    let restore = away.restorer();
    let handle = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            restore.apply();
            work()
        })?;
    away.apply_to(&handle);
    Ok(handle)
}

/// The process's helper: one thread beside the caller's, started on first use,
/// that runs `spawn`ed work while the caller goes on, and the other half of an
/// `in_place_scope`. `None` when it cannot be started; the caller then does the
/// work itself.
///
/// One thread, because the work handed to it is split in two (the machines we
/// measure on have two cores); it sleeps when there is none.
pub fn helper() -> Option<&'static ThreadPool> {
    static HELPER: OnceLock<Option<ThreadPool>> = OnceLock::new();
    HELPER
        .get_or_init(|| {
            ThreadPoolBuilder::new()
                .num_threads(1)
                .thread_name(|_| "skill-helper".to_owned())
                // Work `spawn`ed on the helper fills a cell its caller reads
                // later: if it panics, the caller finds the cell empty and does
                // the work itself (and reports the panic, if it recurs).
                .panic_handler(|_| tracing::debug!("work on the helper thread panicked"))
                .spawn_handler(|thread| {
                    let name = thread.name().unwrap_or("skill-helper").to_owned();
                    spawn_beside(&name, move || {
                        crate::heap::reserve_for_thread();
                        thread.run();
                    })
                    .map(drop)
                })
                .build()
                .inspect_err(|error| tracing::debug!("no helper thread: {error}"))
                .ok()
        })
        .as_ref()
}

/// Runs `work` where rayon's parallel iterators reach every core: on the helper
/// they would run in the helper's pool, on its one thread, so there `work` runs
/// on a thread of its own. Wasmtime compiles a component's functions with them:
/// a cold `skill run`, which compiles on the helper, took 396 ms instead of 215.
pub fn beyond_helper<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    if rayon_core::current_thread_index().is_none() {
        return work();
    }
    std::thread::scope(|scope| {
        scope
            .spawn(work)
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod affinity {
    use std::mem::size_of;
    use std::os::unix::thread::JoinHandleExt;

    use libc::{CPU_CLR, CPU_COUNT, cpu_set_t};

    /// The cores a new thread may start on, the process's less the current one,
    /// and the process's, which it takes back once running. `None` when only
    /// this core is allowed, or the affinity cannot be read.
    pub(super) struct Away(Option<(cpu_set_t, cpu_set_t)>);

    /// Gives a running thread the process's affinity back.
    pub(super) struct Restore(Option<cpu_set_t>);

    /// The calling thread's affinity.
    pub(super) fn current() -> Option<cpu_set_t> {
        // SAFETY: a zeroed `cpu_set_t` is a valid, empty set, filled in by the
        // kernel for this thread (pid 0).
        let mut set: cpu_set_t = unsafe { std::mem::zeroed() };
        let read = unsafe { libc::sched_getaffinity(0, size_of::<cpu_set_t>(), &mut set) };
        (read == 0).then_some(set)
    }

    impl Away {
        pub(super) fn from_here() -> Self {
            Self(current().and_then(|all| {
                let mut others = all;
                // SAFETY: `sched_getcpu` has no preconditions; a negative answer
                // is an error.
                let here = unsafe { libc::sched_getcpu() };
                if let Ok(here) = usize::try_from(here) {
                    // SAFETY: `CPU_CLR` ignores a core number beyond the set's size.
                    unsafe { CPU_CLR(here, &mut others) };
                }
                // SAFETY: `others` is a valid set.
                (unsafe { CPU_COUNT(&others) } > 0).then_some((all, others))
            }))
        }

        pub(super) fn restorer(&self) -> Restore {
            Restore(self.0.map(|(all, _)| all))
        }

        pub(super) fn apply_to<H: JoinHandleExt>(&self, handle: &H) {
            if let Some((_, others)) = &self.0 {
                // SAFETY: the handle names a live thread (it is not joined yet), and
                // `others` is a valid set. Only advice: on failure the thread starts
                // where the kernel puts it.
                unsafe {
                    libc::pthread_setaffinity_np(
                        handle.as_pthread_t(),
                        size_of::<cpu_set_t>(),
                        others,
                    );
                }
            }
        }
    }

    impl Restore {
        pub(super) fn apply(&self) {
            if let Some(all) = &self.0 {
                // SAFETY: `all` is a valid set; pid 0 is the calling thread.
                unsafe { libc::sched_setaffinity(0, size_of::<cpu_set_t>(), all) };
            }
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
use affinity::Away;

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
use portable::Away;

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod portable {
    /// Where threads start is left to the system.
    pub(super) struct Away;
    pub(super) struct Restore;

    impl Away {
        pub(super) fn from_here() -> Self {
            Self
        }
        pub(super) fn restorer(&self) -> Restore {
            Restore
        }
        pub(super) fn apply_to<H>(&self, _handle: &H) {}
    }

    impl Restore {
        pub(super) fn apply(&self) {}
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI32, Ordering};
    use std::time::{Duration, Instant};

    use libc::CPU_COUNT;

    use super::affinity::current;
    use super::*;

    /// How many cores the calling thread may run on.
    fn cores() -> i32 {
        let set = current().expect("the affinity can be read");
        // SAFETY: `set` is a valid set.
        unsafe { CPU_COUNT(&set) }
    }

    /// While this thread keeps its core busy, the helper runs on another one
    /// from its first instruction, and then may go anywhere the process may.
    #[test]
    fn a_helper_starts_on_another_core_then_is_free_to_move() {
        let allowed = cores();
        if allowed < 2 {
            eprintln!("one core allowed: nothing to check");
            return;
        }
        let first_core = Arc::new(AtomicI32::new(-1));
        let seen = Arc::clone(&first_core);
        // Read just before the spawn, which keeps the helper off the core this
        // thread is on then.
        let here = unsafe { libc::sched_getcpu() };
        let helper = spawn_beside("test-helper", move || {
            seen.store(unsafe { libc::sched_getcpu() }, Ordering::SeqCst);
            cores()
        })
        .unwrap();
        // Busy, as the main thread of a command is: it does not wait.
        let started = Instant::now();
        while first_core.load(Ordering::SeqCst) < 0 && started.elapsed() < Duration::from_secs(5) {
            std::hint::spin_loop();
        }
        let later_affinity = helper.join().unwrap();
        assert_ne!(first_core.load(Ordering::SeqCst), here);
        assert_eq!(later_affinity, allowed);
    }

    /// The helper is one thread that lives on between pieces of work, and runs
    /// its half of a scope while the caller is still busy with its own.
    #[test]
    fn the_helper_lives_on_and_works_beside_a_busy_caller() {
        let helper = helper().expect("a helper thread starts");
        let mut helpers = Vec::new();
        for _ in 0..2 {
            let ran = std::sync::atomic::AtomicBool::new(false);
            let mut seen = None;
            let overlapped = helper.in_place_scope(|scope| {
                scope.spawn(|_| {
                    seen = Some((
                        std::thread::current().id(),
                        std::thread::current().name().map(str::to_owned),
                    ));
                    ran.store(true, Ordering::SeqCst);
                });
                // Busy until the helper's half has run: it must not wait for this
                // thread to block.
                let started = Instant::now();
                while !ran.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(5) {
                    std::hint::spin_loop();
                }
                ran.load(Ordering::SeqCst)
            });
            assert!(
                overlapped,
                "the helper's half ran only once the caller waited"
            );
            helpers.push(seen.expect("the helper's half ran"));
        }
        assert_ne!(helpers[0].0, std::thread::current().id());
        assert_eq!(
            helpers[0], helpers[1],
            "one helper thread serves both scopes"
        );
        assert_eq!(helpers[0].1.as_deref(), Some("skill-helper"));
    }

    /// Parallel iterators in work handed to the helper reach every core when the
    /// work goes through `beyond_helper`, and only the helper's thread otherwise.
    #[test]
    fn work_beyond_the_helper_has_every_core_for_parallel_iterators() {
        let helper = helper().expect("a helper thread starts");
        let everywhere = rayon_core::current_num_threads();
        assert_eq!(helper.install(rayon_core::current_num_threads), 1);
        assert_eq!(
            helper.install(|| beyond_helper(rayon_core::current_num_threads)),
            everywhere
        );
        assert_eq!(beyond_helper(|| 7), 7);
    }
}
