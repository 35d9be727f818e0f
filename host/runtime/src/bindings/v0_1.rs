//! Contract `skill:plugin@0.1.x` (`plugins/kit/wit/v0.1/`).

wasmtime::component::bindgen!({
    path: "../../plugins/kit/wit/v0.1",
    world: "plugin",
    imports: { default: trappable },
    with: { "skill:plugin/host.input-file": crate::input::GrantedInput },
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

pub use self::skill::plugin::types;
