//! Per-call resource limits and the memory limiter that enforces the total.

use std::time::Duration;

/// Limits applied to every call into a plugin. All have defaults and flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total bytes of all linear memories of the plugin instance.
    pub memory_bytes: u64,
    /// Wall-clock time for one call, host calls included.
    pub timeout: Duration,
    /// The wasm stack, in bytes.
    pub stack_bytes: usize,
    /// The most bytes of output (JSON plus rendering) a call may return.
    pub output_bytes: usize,
    /// The most bytes a plugin may write to its stdout or stderr (kept for diagnostics).
    pub console_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 512 << 20,
            timeout: Duration::from_secs(30),
            stack_bytes: 1 << 20,
            output_bytes: 64 << 20,
            console_bytes: 1 << 20,
        }
    }
}

/// Caps the sum of all linear memories (wasmtime's `StoreLimits` caps each
/// memory separately, so a plugin with several memories could exceed a
/// per-memory cap many times over).
#[derive(Debug)]
pub struct TotalMemoryLimiter {
    limit: u64,
    used: u64,
    exceeded: bool,
}

/// Tables hold function references; a plugin needs a few thousand at most.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;
const MAX_INSTANCES: usize = 1000;
const MAX_MEMORIES: usize = 100;

impl TotalMemoryLimiter {
    pub fn new(limit: u64) -> Self {
        Self {
            limit,
            used: 0,
            exceeded: false,
        }
    }

    /// Whether a growth was refused during the call.
    pub fn exceeded(&self) -> bool {
        self.exceeded
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }
}

impl wasmtime::ResourceLimiter for TotalMemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let grown = (desired - current) as u64;
        if self.used + grown > self.limit {
            self.exceeded = true;
            // An error traps at once; refusing with Ok(false) would let the
            // guest's allocator abort with an opaque `unreachable`.
            wasmtime::bail!(
                "memory limit of {} MiB reached (the plugin asked for {} MiB more)",
                self.limit >> 20,
                grown.div_ceil(1 << 20)
            );
        }
        self.used += grown;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::ResourceLimiter;

    #[test]
    fn limiter_counts_all_memories_together() {
        let mut limiter = TotalMemoryLimiter::new(100);
        assert!(limiter.memory_growing(0, 60, None).unwrap());
        // A second memory growing to 60 would pass a per-memory cap of 100, not the total.
        assert!(limiter.memory_growing(0, 60, None).is_err());
        assert!(limiter.exceeded());
        // What is left of the total is still there to use, and no more.
        assert!(limiter.memory_growing(0, 40, None).unwrap());
        assert!(limiter.memory_growing(40, 41, None).is_err());
    }
}
