//! Contract `skill:plugin@0.1.x` (`plugins/kit/wit/v0.1/`).

wasmtime::component::bindgen!({
    path: "../../plugins/kit/wit/v0.1",
    world: "plugin",
    // Async, so that a call can be stopped at its deadline or cancelled even
    // while the plugin waits in a host call (a WASI sleep, say).
    imports: { default: async | trappable },
    exports: { default: async },
    with: { "skill:plugin/host.input-file": crate::input::GrantedInput },
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

pub use self::skill::plugin::types;
