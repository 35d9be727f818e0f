//! Host-side bindings of each contract version this host runs, one module per
//! version, generated from the WIT folder that version was released in
//! (`plugins/kit/wit/vX.Y/`). A released folder never changes: a new version
//! gets a folder and a module of its own beside the old ones, so plugins built
//! for the old one keep loading.

pub mod v0_1;
