//! Plugin linear memories that the kernel may back with transparent huge pages.
//!
//! Every call gets a fresh memory, so every page a plugin touches is a first
//! touch: a page fault that maps and clears 4 KiB. On the virtual machines we
//! measure on a fault costs 1.5 to 2 µs, and a 1,000-secret plan touches about
//! 370 pages. Advised with `MADV_HUGEPAGE`, the kernel backs each fully
//! accessible, aligned 2 MiB of a memory with one page instead: one fault, and
//! one clear of 2 MiB, which costs about as much as 200 small faults. Huge pages
//! pay off only where a plugin touches more than about two fifths of each 2 MiB,
//! so a call gets them only when its input is large
//! ([`worth_huge_pages`]); small calls keep 4 KiB pages. Where transparent huge
//! pages are off, the advice changes nothing.
//!
//! The layout is wasmtime's own: a guard region, the memory's reservation
//! (inaccessible beyond the memory's size, so compiled code that leaves bounds
//! checks to the guard pages still traps past the end), and a guard region after.
//! The one difference is that the memory starts on a huge-page boundary.

use std::cell::Cell;

/// Input (JSON text plus granted bytes) from which a call's memory is advised
/// onto huge pages. Measured with the rotation planner (interleaved medians,
/// whole `skill run`): 100 secrets, 15 KB, were 0.05 ms slower with huge pages;
/// 300 secrets, 45 KB, 0.14 ms faster; 1,000 secrets, 150 KB, 0.53 ms faster.
const HUGE_PAGE_INPUT_BYTES: u64 = 32 * 1024;

thread_local! {
    /// Whether memories created on this thread now are advised onto huge pages.
    /// Wasmtime creates an instance's memories on the thread that instantiates it,
    /// and the choice belongs to that one call.
    static ADVISE_HUGE_PAGES: Cell<bool> = const { Cell::new(false) };
}

/// Whether a call with `input_bytes` of input is likely to touch enough of its
/// memory for huge pages to be cheaper.
pub(super) fn worth_huge_pages(input_bytes: u64) -> bool {
    input_bytes >= HUGE_PAGE_INPUT_BYTES
}

/// Runs `instantiate`, with the memories it creates advised onto huge pages if
/// `advise` is set.
pub(super) fn with_huge_pages<R>(advise: bool, instantiate: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            ADVISE_HUGE_PAGES.set(self.0);
        }
    }
    let _restore = Restore(ADVISE_HUGE_PAGES.replace(advise));
    instantiate()
}

#[cfg(target_os = "linux")]
pub(super) use linux::HugePageMemories;

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::c_void;
    use std::ptr::NonNull;

    use rustix::mm::{self, Advice, MapFlags, MprotectFlags, ProtFlags};
    use wasmtime::{LinearMemory, MemoryCreator, MemoryType};

    use super::ADVISE_HUGE_PAGES;

    /// The huge-page size a memory's start is aligned to (x86-64, and aarch64
    /// with 4 KiB pages; elsewhere the alignment is merely harmless).
    const HUGE_PAGE: usize = 2 << 20;

    /// Creates every linear memory of the engine it is configured on.
    pub(in crate::sandbox) struct HugePageMemories;

    // SAFETY: each memory is its own mapping, zero-filled by the kernel,
    // accessible exactly up to its size, followed by `guard` inaccessible bytes
    // after its reservation, and never moved (growth past the reservation fails).
    unsafe impl MemoryCreator for HugePageMemories {
        fn new_memory(
            &self,
            _ty: MemoryType,
            minimum: usize,
            _maximum: Option<usize>,
            reserved: Option<usize>,
            guard: usize,
        ) -> Result<Box<dyn LinearMemory>, String> {
            let reservation = reserved.unwrap_or(minimum).max(minimum);
            let cannot = |error: &dyn std::fmt::Display| {
                format!("cannot map a linear memory of {minimum} bytes: {error}")
            };
            let mut memory = Reservation::new(reservation, guard, ADVISE_HUGE_PAGES.get())
                .map_err(|error| cannot(&error))?;
            memory.grow_to(minimum).map_err(|error| cannot(&error))?;
            Ok(Box::new(memory))
        }
    }

    /// One mapping: guard, memory reservation, guard.
    pub(super) struct Reservation {
        /// The whole mapping, guards included, as `mmap` returned it.
        mapping: NonNull<c_void>,
        mapping_len: usize,
        /// Where the memory starts: on a huge-page boundary inside the mapping.
        base: NonNull<u8>,
        /// The memory's size in bytes (wasm's view).
        size: usize,
        /// Bytes from `base` that are readable and writable (`size`, page-rounded).
        accessible: usize,
        /// How far the memory can grow without moving.
        reservation: usize,
    }

    // SAFETY: the mapping is owned by this value alone, and wasmtime serialises
    // access to a memory.
    unsafe impl Send for Reservation {}
    // SAFETY: as above; a shared reference gives out only the base and sizes.
    unsafe impl Sync for Reservation {}

    impl Reservation {
        pub(super) fn new(
            reservation: usize,
            guard: usize,
            huge_pages: bool,
        ) -> std::io::Result<Self> {
            let too_large = || std::io::Error::other("it does not fit the address space");
            let mapping_len = guard
                .checked_add(HUGE_PAGE)
                .and_then(|len| len.checked_add(reservation))
                .and_then(|len| len.checked_add(guard))
                .ok_or_else(too_large)?;
            // SAFETY: a fresh anonymous mapping aliases nothing.
            let mapping = unsafe {
                mm::mmap_anonymous(
                    std::ptr::null_mut(),
                    mapping_len,
                    ProtFlags::empty(),
                    MapFlags::PRIVATE | MapFlags::NORESERVE,
                )?
            };
            let mapping = NonNull::new(mapping).ok_or_else(too_large)?;
            let after_guard = mapping.as_ptr() as usize + guard;
            let offset = guard + (after_guard.next_multiple_of(HUGE_PAGE) - after_guard);
            // SAFETY: `offset` is under `guard + HUGE_PAGE`, inside the mapping.
            let base = unsafe { mapping.cast::<u8>().add(offset) };
            let memory = Reservation {
                mapping,
                mapping_len,
                base,
                size: 0,
                accessible: 0,
                reservation,
            };
            if huge_pages && reservation > 0 {
                // SAFETY: the range lies inside the mapping this value owns.
                let advised = unsafe {
                    mm::madvise(base.as_ptr().cast(), reservation, Advice::LinuxHugepage)
                };
                // Only advice: a kernel built without transparent huge pages
                // refuses it, and the memory works the same.
                if let Err(error) = advised {
                    tracing::debug!(%error, "plugin memory stays on small pages");
                }
            }
            Ok(memory)
        }
    }

    // SAFETY: `as_ptr` stays the same for the memory's life, `byte_size` bytes
    // from it are readable and writable, and growth never moves it.
    unsafe impl LinearMemory for Reservation {
        fn byte_size(&self) -> usize {
            self.size
        }

        fn byte_capacity(&self) -> usize {
            self.reservation
        }

        fn grow_to(&mut self, new_size: usize) -> wasmtime::Result<()> {
            if new_size > self.reservation {
                wasmtime::bail!(
                    "a linear memory cannot grow past its reservation of {} bytes",
                    self.reservation
                );
            }
            let accessible = new_size.next_multiple_of(rustix::param::page_size());
            if accessible > self.accessible {
                // SAFETY: the range lies inside the reservation, which this value
                // owns and nothing else maps.
                unsafe {
                    mm::mprotect(
                        self.base.as_ptr().add(self.accessible).cast(),
                        accessible - self.accessible,
                        MprotectFlags::READ | MprotectFlags::WRITE,
                    )?;
                }
                self.accessible = accessible;
            }
            self.size = new_size;
            Ok(())
        }

        fn as_ptr(&self) -> *mut u8 {
            self.base.as_ptr()
        }
    }

    impl Drop for Reservation {
        fn drop(&mut self) {
            // SAFETY: the mapping is this value's, and wasmtime drops a memory
            // only once no instance uses it.
            if let Err(error) = unsafe { mm::munmap(self.mapping.as_ptr(), self.mapping_len) } {
                tracing::warn!(%error, "cannot unmap a plugin's linear memory");
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use wasm_encoder::{
        CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction, MemArg,
        MemorySection, MemoryType, Module, TypeSection, ValType,
    };
    use wasmtime::{Config, Engine, Instance, LinearMemory, Store};

    use super::linux::Reservation;
    use super::*;

    const WASM_PAGE: i32 = 64 * 1024;

    /// A module with one page of memory and three exports: `load(addr) -> i32`,
    /// `store(addr, value)` and `grow(pages) -> old size or -1`.
    fn memory_module() -> Vec<u8> {
        let mut types = TypeSection::new();
        types.ty().function([ValType::I32], [ValType::I32]);
        types.ty().function([ValType::I32, ValType::I32], []);
        let mut functions = FunctionSection::new();
        functions.function(0).function(1).function(0);
        let mut memories = MemorySection::new();
        memories.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        let mut exports = ExportSection::new();
        exports
            .export("load", ExportKind::Func, 0)
            .export("store", ExportKind::Func, 1)
            .export("grow", ExportKind::Func, 2);
        let word = MemArg {
            offset: 0,
            align: 2,
            memory_index: 0,
        };
        let mut code = CodeSection::new();
        let mut load = Function::new([]);
        load.instructions().local_get(0).i32_load(word).end();
        let mut store = Function::new([]);
        store
            .instructions()
            .local_get(0)
            .local_get(1)
            .i32_store(word)
            .end();
        let mut grow = Function::new([]);
        grow.instruction(&Instruction::LocalGet(0))
            .instruction(&Instruction::MemoryGrow(0))
            .instruction(&Instruction::End);
        code.function(&load).function(&store).function(&grow);
        let mut module = Module::new();
        module
            .section(&types)
            .section(&functions)
            .section(&memories)
            .section(&exports)
            .section(&code);
        module.finish()
    }

    fn instance(huge_pages: bool) -> (Store<()>, Instance) {
        let mut config = Config::new();
        config.memory_init_cow(false);
        config.with_host_memory(std::sync::Arc::new(HugePageMemories));
        let engine = Engine::new(&config).unwrap();
        let module = wasmtime::Module::new(&engine, memory_module()).unwrap();
        let mut store = Store::new(&engine, ());
        let instance =
            with_huge_pages(huge_pages, || Instance::new(&mut store, &module, &[])).unwrap();
        (store, instance)
    }

    #[test]
    fn a_memory_traps_past_its_size_and_grows_zeroed() {
        for huge_pages in [false, true] {
            let (mut store, instance) = instance(huge_pages);
            let load = instance
                .get_typed_func::<i32, i32>(&mut store, "load")
                .unwrap();
            let save = instance
                .get_typed_func::<(i32, i32), ()>(&mut store, "store")
                .unwrap();
            let grow = instance
                .get_typed_func::<i32, i32>(&mut store, "grow")
                .unwrap();

            save.call(&mut store, (WASM_PAGE - 4, 7)).unwrap();
            assert_eq!(load.call(&mut store, WASM_PAGE - 4).unwrap(), 7);
            let trap = load.call(&mut store, WASM_PAGE).unwrap_err();
            assert_eq!(
                trap.downcast_ref::<wasmtime::Trap>(),
                Some(&wasmtime::Trap::MemoryOutOfBounds),
                "{trap:#}"
            );
            assert!(save.call(&mut store, (WASM_PAGE, 1)).is_err());

            assert_eq!(
                grow.call(&mut store, 1).unwrap(),
                1,
                "the old size, in pages"
            );
            assert_eq!(load.call(&mut store, WASM_PAGE).unwrap(), 0);
            save.call(&mut store, (2 * WASM_PAGE - 4, 9)).unwrap();
            assert_eq!(load.call(&mut store, 2 * WASM_PAGE - 4).unwrap(), 9);
            assert!(load.call(&mut store, 2 * WASM_PAGE).is_err());
            // Past 4 GiB a 32-bit memory cannot grow; it says so, and stays whole.
            assert_eq!(grow.call(&mut store, 65_536).unwrap(), -1);
            assert_eq!(load.call(&mut store, WASM_PAGE - 4).unwrap(), 7);
        }
    }

    #[test]
    fn a_memory_never_grows_past_its_reservation() {
        let mut memory = Reservation::new(1 << 20, 64 << 10, false).unwrap();
        memory.grow_to(1 << 20).unwrap();
        let error = memory.grow_to((1 << 20) + 1).unwrap_err();
        assert!(
            format!("{error}").contains("past its reservation"),
            "{error}"
        );
        assert_eq!(memory.byte_size(), 1 << 20);
    }

    /// The `VmFlags` of the mapping that holds `address`, from /proc/self/smaps.
    fn vm_flags(address: usize) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((start, end)) = range.split_once('-')
                && let (Ok(start), Ok(end)) = (
                    usize::from_str_radix(start, 16),
                    usize::from_str_radix(end, 16),
                )
            {
                inside = (start..end).contains(&address);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return flags.trim().to_owned();
            }
        }
        panic!("no mapping holds {address:#x}");
    }

    #[test]
    fn only_memories_advised_for_huge_pages_ask_for_them() {
        for huge_pages in [false, true] {
            let mut memory = Reservation::new(8 << 20, 64 << 10, huge_pages).unwrap();
            memory.grow_to(4 << 20).unwrap();
            let base = memory.as_ptr() as usize;
            assert_eq!(
                base % (2 << 20),
                0,
                "a memory starts on a huge-page boundary"
            );
            // `hg` is VM_HUGEPAGE: what MADV_HUGEPAGE sets, whether or not the
            // kernel then finds huge pages to give.
            let flags = vm_flags(base);
            assert_eq!(
                flags.split(' ').any(|flag| flag == "hg"),
                huge_pages,
                "huge pages {huge_pages}: {flags}"
            );
        }
    }

    #[test]
    fn the_choice_holds_for_one_instantiation_only() {
        assert!(!ADVISE_HUGE_PAGES.get());
        assert!(with_huge_pages(true, || ADVISE_HUGE_PAGES.get()));
        assert!(!ADVISE_HUGE_PAGES.get());
        assert!(!worth_huge_pages(HUGE_PAGE_INPUT_BYTES - 1));
        assert!(worth_huge_pages(HUGE_PAGE_INPUT_BYTES));
    }
}
