//! Host-side bindings of the plugin contract (`plugins/wit`).

wasmtime::component::bindgen!({
    path: "../plugins/wit",
    world: "plugin",
    imports: { default: trappable },
    with: { "skill:plugin/host.input-file": super::input::GrantedInput },
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

pub use self::skill::plugin::types;
