//! How a call that outlives its time limit is stopped.
//!
//! wasmtime can interrupt running wasm only if the compiled code polls for it:
//! with epoch interruption every loop and call loads a counter and compares it
//! with the store's deadline. That costs about a quarter of a plugin's speed
//! (measured with `bench-runtime`), and it is the only way to stop a call while
//! the process goes on, which a server (MCP) needs.
//!
//! A one-shot command does not need to go on: when its one call runs out of
//! time, the answer is the limit error and the process ends. For those, plugins
//! are compiled without the checks and a watchdog thread ends the process
//! instead ([`OnTimeout::EndProcess`]).

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::Error;
use crate::error::LimitKind;

/// What happens to a call that runs past its time limit.
#[derive(Debug, Clone, Copy)]
pub enum OnTimeout {
    /// The call traps and returns the limit error; the process goes on. Compiled
    /// code polls an epoch counter for it.
    Trap,
    /// The given function receives the limit error and ends the process. Compiled
    /// code carries no checks and runs faster. For one-shot commands only: nothing
    /// of the process survives a call that ran out of time.
    EndProcess(fn(Error) -> !),
}

impl OnTimeout {
    /// Whether compiled code must poll for interruption.
    pub(crate) fn needs_epochs(self) -> bool {
        matches!(self, OnTimeout::Trap)
    }
}

/// The calls under way, for the watchdog thread to check.
#[derive(Default)]
pub(crate) struct Watchdog {
    calls: Mutex<Vec<Watched>>,
}

struct Watched {
    id: u64,
    deadline: Instant,
    plugin: String,
    tool: String,
    timeout: Duration,
}

/// Keeps a call under watch until dropped (it lives in the call's store).
pub(crate) struct Watch {
    id: u64,
    watchdog: Weak<Watchdog>,
}

/// How late past its deadline the watchdog ends a call. Host calls honour the
/// deadline themselves and return their own, more precise error; this leaves
/// them the time to do so.
const GRACE: Duration = Duration::from_millis(100);

impl Watchdog {
    /// Starts the thread that checks the calls every `tick` for as long as the
    /// returned watchdog lives.
    pub(crate) fn start(tick: Duration, end_process: fn(Error) -> !) -> std::io::Result<Arc<Self>> {
        let watchdog = Arc::new(Self::default());
        let weak = Arc::downgrade(&watchdog);
        std::thread::Builder::new()
            .name("skill-watchdog".to_owned())
            .spawn(move || {
                while let Some(watchdog) = weak.upgrade() {
                    if let Some(error) = watchdog.expired(Instant::now()) {
                        end_process(error);
                    }
                    drop(watchdog);
                    std::thread::sleep(tick);
                }
            })?;
        Ok(watchdog)
    }

    /// Watches a call to `plugin`'s `tool` that must end by `started + timeout`.
    pub(crate) fn watch(
        self: &Arc<Self>,
        plugin: &str,
        tool: &str,
        started: Instant,
        timeout: Duration,
    ) -> Watch {
        let mut calls = self.lock();
        let id = calls.last().map_or(0, |call| call.id + 1);
        calls.push(Watched {
            id,
            deadline: started + timeout,
            plugin: plugin.to_owned(),
            tool: tool.to_owned(),
            timeout,
        });
        Watch {
            id,
            watchdog: Arc::downgrade(self),
        }
    }

    /// The limit error of the first call still running past its deadline.
    fn expired(&self, now: Instant) -> Option<Error> {
        let calls = self.lock();
        let late = calls.iter().find(|call| now > call.deadline + GRACE)?;
        Some(Error::LimitExceeded {
            plugin: late.plugin.clone(),
            tool: late.tool.clone(),
            kind: LimitKind::Time,
            detail: time_limit_detail(late.timeout),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Watched>> {
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(watchdog) = self.watchdog.upgrade() {
            watchdog.lock().retain(|call| call.id != self.id);
        }
    }
}

/// What the time-limit error says, whichever way the call was stopped.
pub(crate) fn time_limit_detail(timeout: Duration) -> String {
    format!(
        "it ran longer than the time limit of {} s (raise it with --timeout)",
        timeout.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never_ends(_: Error) -> ! {
        unreachable!("these tests never let a call run late")
    }

    #[test]
    fn a_late_call_is_reported_with_its_plugin_tool_and_limit() {
        let watchdog = Watchdog::start(Duration::from_secs(3600), never_ends).unwrap();
        let started = Instant::now();
        let _fast = watchdog.watch("p", "fast", started, Duration::from_secs(60));
        let _slow = watchdog.watch("p", "slow", started, Duration::from_millis(10));
        assert!(watchdog.expired(started).is_none());
        let error = watchdog
            .expired(started + Duration::from_secs(1))
            .expect("the slow call is late");
        let Error::LimitExceeded {
            plugin,
            tool,
            kind,
            detail,
        } = error
        else {
            panic!("{error:?}");
        };
        assert_eq!((plugin.as_str(), tool.as_str()), ("p", "slow"));
        assert_eq!(kind, LimitKind::Time);
        assert!(detail.contains("time limit of 0.01 s"), "{detail}");
    }

    #[test]
    fn a_finished_call_is_no_longer_watched() {
        let watchdog = Watchdog::start(Duration::from_secs(3600), never_ends).unwrap();
        let started = Instant::now();
        let first = watchdog.watch("p", "first", started, Duration::ZERO);
        let second = watchdog.watch("p", "second", started, Duration::ZERO);
        drop(first);
        let later = started + Duration::from_secs(1);
        let Some(Error::LimitExceeded { tool, .. }) = watchdog.expired(later) else {
            panic!("the second call is still late");
        };
        assert_eq!(tool, "second");
        drop(second);
        assert!(watchdog.expired(later).is_none());
        // Ids stay unique when calls end out of order.
        let third = watchdog.watch("p", "third", started, Duration::from_secs(60));
        let fourth = watchdog.watch("p", "fourth", started, Duration::ZERO);
        drop(third);
        assert!(watchdog.expired(later).is_some());
        drop(fourth);
        assert!(watchdog.expired(later).is_none());
    }
}
