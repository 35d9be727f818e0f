//! The plugin development kit for `skill`.
//!
//! A tool is an input type, an output type and one function. The kit derives
//! both JSON Schemas, parses the input, maps errors to the contract's typed
//! errors, and hides the WIT bindings. A complete plugin, in 30 lines (it is
//! `tests/plugins/hello`, which the test suite builds, installs and runs):
//!
#![doc = concat!("```no_run\n", include_str!("../../../tests/plugins/hello/src/lib.rs"), "```")]
//!
//! The plugin's `Cargo.toml` needs `[lib] crate-type = ["cdylib"]` and the
//! dependencies `skill-pdk`, `serde` (with `derive`) and `schemars` (the derive
//! macros name those crates). Build it with
//! `cargo build --release --target wasm32-wasip2`;
//! the `.wasm` file is the component `skill plugin install` takes.
//!
//! Host services live in [`host`]: [`host::open_input`] streams a file the user
//! granted for this call, [`host::log`] and [`host::progress`] report back.
//!
//! A rendering ([`Tool::render`]) that quotes its input (names, log values)
//! should show each value through [`untrusted`], so that none can forge a line
//! of the report or disguise itself with Unicode bidirectional controls:
//!
//! ```
//! use skill_pdk::untrusted::{markdown_inline, one_line};
//!
//! let name = "db\n- [ok] all clear";
//! assert_eq!(format!("- {}", one_line(name)), r"- db\n- [ok] all clear");
//! assert_eq!(format!("| {} |", markdown_inline(name)), r"| db<br>- \[ok\] all clear |");
//! ```

// The generated bindings name this crate by its absolute path so that the
// export macro works from plugin crates too.
extern crate self as skill_pdk;

pub mod host;
mod plugin;
mod schema;
mod tool;

pub use plugin::Plugin;
pub use schema::{InputPath, OutputFile, OutputFiles};
pub use tool::{Tool, ToolError, ToolErrorCode};
/// Showing untrusted text in renderings (the first-party plugins use the same).
pub use untrusted_text as untrusted;

/// The contract version this kit builds plugins for.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// Everything a plugin usually needs, in one import.
pub mod prelude {
    pub use crate::host::{self, InputFile};
    pub use crate::{InputPath, OutputFile, OutputFiles, Plugin, Tool, ToolError, ToolErrorCode};
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
}

#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;

    wit_bindgen::generate!({
        path: "wit/v0.1",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_bindings",
        default_bindings_module: "::skill_pdk::__private",
        runtime_path: "::skill_pdk::__private::wit_bindgen::rt",
        additional_derives: [serde::Serialize],
    });

    pub use exports::skill::plugin::tools::Guest;
    pub use skill::plugin::types;
}

/// Exports a plugin built by `$build`, a function returning [`Plugin`].
///
/// The function runs once per call into the plugin, so keep it cheap: it
/// should only assemble tools.
#[macro_export]
macro_rules! export_plugin {
    ($build:path) => {
        // Built natively (tests, the host's build script reading the manifest),
        // a plugin exports nothing: several linked into one binary must not clash.
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() -> $crate::Plugin = $build;

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct __SkillPluginExport;

            impl $crate::__private::Guest for __SkillPluginExport {
                fn describe() -> $crate::__private::types::Manifest {
                    $build().manifest()
                }

                fn invoke(
                    call: $crate::__private::types::Invocation,
                ) -> ::core::result::Result<
                    $crate::__private::types::ToolOutput,
                    $crate::__private::types::ToolError,
                > {
                    $build().invoke(call)
                }
            }

            $crate::__private::__export_bindings!(__SkillPluginExport with_types_in $crate::__private);
        };
    };
}
