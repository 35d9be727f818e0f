//! The `rotation-planner` plugin: [`rotation_core`] exported through the skill contract.
//!
//! This layer only reads the granted inventory and maps input errors to
//! pointers; every planning decision lives in `rotation-core`.

use rotation_core::{Entry, Plan, PlanOptions};
use skill_pdk::prelude::*;

/// Most an inventory file may hold; an inventory is a list of names, not a log.
const MAX_INVENTORY_BYTES: usize = 64 << 20;

/// Plan when each secret is due for rotation.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PlanInput {
    /// Inventory file: a JSON array of secrets (or `{"secrets": [...]}`), or CSV
    /// with a header row. Fields per secret: `name`, `type`, `store`, `owner`,
    /// `environment`, `last_rotated` (YYYY-MM-DD), `interval_days`, `not_after`
    /// (TLS certificates, YYYY-MM-DD).
    #[schemars(example = "examples/inventory.json")]
    inventory: Option<InputPath>,
    /// Secrets given inline instead of a file, with the same fields as an inventory entry.
    secrets: Option<Vec<serde_json::Value>>,
    /// Rotation policy: the longest interval allowed, as `<days>d` (e.g. 30d, 60d, 90d).
    #[serde(default = "default_policy")]
    #[schemars(example = "30d")]
    #[schemars(regex(pattern = r"^[1-9][0-9]{0,3}d$"))]
    policy: String,
    /// The day to plan from, YYYY-MM-DD (UTC). Defaults to today.
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    #[schemars(extend("x-skill-default" = "today"))]
    #[schemars(example = "2026-06-01")]
    as_of: Option<String>,
}

fn default_policy() -> String {
    "90d".to_owned()
}

fn plan(input: PlanInput) -> Result<Plan, ToolError> {
    let policy_days = rotation_core::parse_policy(&input.policy)
        .map_err(|message| ToolError::invalid_input("/policy", message))?;
    let as_of = input
        .as_of
        .as_deref()
        .ok_or_else(|| ToolError::invalid_input("/as_of", "the as-of date is missing (YYYY-MM-DD)"))
        .and_then(|text| {
            rotation_core::parse_date(text)
                .map_err(|message| ToolError::invalid_input("/as_of", message))
        })?;
    let options = PlanOptions { as_of, policy_days };

    match (input.inventory, input.secrets) {
        (Some(path), None) => {
            let bytes = host::open_input(&path)?.read_to_end_limited(MAX_INVENTORY_BYTES)?;
            let inventory = rotation_core::parse_inventory(&bytes, path.as_str())
                .map_err(|error| ToolError::invalid_input("/inventory", error.to_string()))?;
            Ok(rotation_core::plan(
                &inventory.entries,
                path.as_str(),
                &inventory.pointer_prefix,
                &options,
            ))
        }
        (None, Some(secrets)) => {
            let entries: Vec<Entry> = secrets.iter().map(Entry::from).collect();
            Ok(rotation_core::plan(&entries, "input", "/secrets", &options))
        }
        (Some(_), Some(_)) => Err(ToolError::invalid_input(
            "/secrets",
            "give either `inventory` (a file) or `secrets` (inline), not both",
        )),
        (None, None) => Err(ToolError::invalid_input(
            "",
            "nothing to plan: give `inventory` (a JSON or CSV file) or `secrets` (inline)",
        )),
    }
}

/// The plugin and its tools (also called natively by the host's build script,
/// which embeds the manifest).
pub fn plugin() -> Plugin {
    Plugin::new("rotation-planner", env!("CARGO_PKG_VERSION"))
        .description("Plans secret rotation: due dates, urgency, methods and the standards behind them.")
        .tool(
            Tool::new(
                "rotation-planner",
                "Plan when each secret is due for rotation, how, and under which standard.",
                plan,
            )
            .description(
                "Reads an inventory of secrets (JSON or CSV, or inline) and returns, for each, the \
                 rotation interval (the smaller of the policy and the type's default, or a per-secret \
                 override), the due date counted in whole UTC days from `as_of`, the urgency \
                 (critical: overdue or due today; high: within 7 days; medium: within 14; low), the \
                 rotation method and the standard behind the interval. TLS certificates are planned \
                 from `not_after` against the CA/B Forum maximum validity in force. Problems in \
                 entries are reported with their JSON Pointer, never dropped.",
            )
            .render("text", rotation_core::render_text)
            .render("markdown", rotation_core::render_markdown)
            .render("csv", rotation_core::render_csv)
            .render("ics", rotation_core::render_ics),
        )
}

skill_pdk::export_plugin!(plugin);
