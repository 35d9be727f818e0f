//! The plugin development kit for `skill`.
//!
//! A tool is an input type, an output type and one function. The kit derives
//! both JSON Schemas, parses the input, maps errors to the contract's typed
//! errors, and hides the WIT bindings. A complete plugin with its test (it is
//! `examples/hello.rs` of this crate, which the `skill` test suite also builds,
//! installs and runs):
//!
#![doc = concat!("```no_run\n", include_str!("../examples/hello.rs"), "```")]
//!
//! The plugin's `Cargo.toml` needs `[lib] crate-type = ["cdylib"]` and the
//! dependencies `skill-pdk`, `serde` (with `derive`) and `schemars` (the derive
//! macros name those crates); its tests use `serde_json`. Build it with
//! `cargo build --release --target wasm32-wasip2`;
//! the `.wasm` file is the component `skill plugin install` takes.
//! `skill plugin new NAME` writes such a crate, with a size profile.
//!
//! # Defaults
//!
//! What a tool is unless its builder says otherwise:
//!
//! - read-only: it only reads its inputs and changes nothing anywhere; call
//!   [`Tool::writes`] when it does (see below);
//! - no description beyond its one-line summary ([`Tool::description`] adds a paragraph);
//! - JSON output only: each [`Tool::render`] offers one more rendering
//!   (`"text"`, `"markdown"`, ...), which the caller picks with `--format`;
//! - its input schema refuses unknown properties (`additionalProperties: false`)
//!   unless the input type says otherwise, so a misspelt argument is an error;
//!   a field is optional when serde can do without it (`Option`, `#[serde(default)]`);
//! - every subschema is inlined (no `$ref`: many agent clients mishandle it) and
//!   only the `format`s JSON Schema 2020-12 defines remain.
//!
//! ```
//! use serde_json::json;
//! use skill_pdk::prelude::*;
//! use skill_pdk::testing;
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct Input {
//!     name: String,
//!     #[serde(default)]
//!     shout: bool,
//! }
//!
//! #[derive(Serialize, JsonSchema)]
//! struct Output {
//!     greeting: String,
//! }
//!
//! let greet = |input: Input| {
//!     let greeting = format!("Hello, {}!", input.name);
//!     Ok(Output { greeting: if input.shout { greeting.to_uppercase() } else { greeting } })
//! };
//! let plugin = Plugin::new("hello", "0.1.0").tool(Tool::new("greet", "Greets.", greet));
//!
//! let info = testing::describe(&plugin, "greet").unwrap();
//! assert!(info.read_only);
//! assert!(info.formats.is_empty());
//! assert_eq!(info.input_schema["additionalProperties"], false);
//! assert_eq!(info.input_schema["required"], json!(["name"]));
//! assert_eq!(
//!     testing::check(&plugin, "greet", json!({"name": "Ada"})).unwrap(),
//!     json!({"greeting": "Hello, Ada!"})
//! );
//! let misspelt = testing::check(&plugin, "greet", json!({"name": "Ada", "shuot": true}));
//! assert!(misspelt.unwrap_err().contains("shuot"));
//! ```
//!
//! # Files in, files out
//!
//! A plugin sees no filesystem. A file a tool reads is an input field of type
//! [`InputPath`]: the schema marks it (`"x-skill-input-file": true`), the host
//! checks that the user granted it, opens it read-only for this one call, and
//! [`host::open_input`] streams it. Files a tool produces are an output field of
//! type [`OutputFiles`] (marked `"x-skill-output-files": true`): the plugin
//! returns their paths and text, and the host writes them inside the directory
//! the user names (`skill run TOOL --out DIR`), all or nothing. A tool that
//! changes something outside its own output says so with [`Tool::writes`]: the
//! install preview shows it as `(writes)`, and MCP clients no longer see it
//! annotated read-only.
//!
//! ```
//! use std::io::Read;
//!
//! use serde_json::json;
//! use skill_pdk::prelude::*;
//! use skill_pdk::testing;
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct Input {
//!     /// The inventory to read.
//!     inventory: InputPath,
//! }
//!
//! #[derive(Serialize, JsonSchema)]
//! struct Output {
//!     /// One policy file a secret.
//!     files: OutputFiles,
//! }
//!
//! fn policies(input: Input) -> Result<Output, ToolError> {
//!     let mut text = String::new();
//!     host::open_input(&input.inventory)?
//!         .read_to_string(&mut text)
//!         .map_err(|error| ToolError::failed(error.to_string()))?;
//!     let files = text
//!         .lines()
//!         .map(|name| OutputFile {
//!             path: format!("{name}.hcl"),
//!             content: format!("path \"secret/data/{name}\" {{ capabilities = [\"read\"] }}\n"),
//!         })
//!         .collect();
//!     Ok(Output { files: OutputFiles(files) })
//! }
//!
//! let tool = Tool::new("policies", "Writes one policy a secret.", policies).writes();
//! let plugin = Plugin::new("policies", "0.1.0").tool(tool);
//!
//! let info = testing::describe(&plugin, "policies").unwrap();
//! assert!(!info.read_only);
//! assert_eq!(info.input_schema["properties"]["inventory"]["x-skill-input-file"], true);
//! assert_eq!(info.output_schema["properties"]["files"]["x-skill-output-files"], true);
//! // Natively no host grants files: the call fails, saying why.
//! let error = testing::check(&plugin, "policies", json!({"inventory": "names.txt"})).unwrap_err();
//! assert!(error.contains("granted by the skill host"), "{error}");
//! ```
//!
//! Host services live in [`host`]: [`host::open_input`] streams a file the user
//! granted for this call, [`host::log`] and [`host::progress`] report back.
//! [`testing`] runs tools natively in a plugin's own `cargo test`, checking
//! inputs and outputs against the declared schemas as the host does.
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
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
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

/// Ships guidance for agents with the plugin: Markdown on when and how to use
/// its tools. `skill install --agent claude-code|codex` writes it where the
/// agent reads skills, as a skill of its own named after the plugin, whose
/// description is the plugin's [`Plugin::description`].
///
/// ```ignore
/// skill_pdk::agent_guidance!(include_str!("../GUIDANCE.md"));
/// ```
///
/// The text goes into a custom section (`skill-guidance`) of the component,
/// not into the manifest: contract 0.1 stays as it is, the host reads it
/// without running the plugin, and the install's SHA-256 covers it. At most
/// 64 KiB of UTF-8, without control characters other than tab and line ends.
#[macro_export]
macro_rules! agent_guidance {
    ($text:expr) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            const TEXT: &str = $text;
            // A byte array the linker keeps as it is, in the section the host reads.
            #[used]
            #[unsafe(link_section = "skill-guidance")]
            static GUIDANCE: [u8; TEXT.len()] = {
                let bytes = TEXT.as_bytes();
                let mut out = [0u8; TEXT.len()];
                let mut i = 0;
                while i < bytes.len() {
                    out[i] = bytes[i];
                    i += 1;
                }
                out
            };
        };
    };
}
