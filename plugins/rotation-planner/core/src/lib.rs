//! Secret rotation planning: when each secret is due, how urgent it is, how to rotate
//! it, and which standard the interval rests on.
//!
//! Pure domain logic for the `rotation-planner` tool: no I/O, no clock, no knowledge
//! of the plugin machinery. Feed it entries (inline JSON values as [`Entry`], or from
//! [`parse_inventory`]) and an as-of date; get a [`Plan`], and render it as text,
//! Markdown, CSV or iCalendar.

mod catalog;
mod dates;
mod entry;
mod fields;
mod inventory;
mod model;
mod planner;
mod pointer;
mod render;

pub use dates::parse_date;
pub use entry::PlanOptions;
pub use fields::Entry;
pub use inventory::{Inventory, InventoryError, InventoryFormat, parse_inventory};
pub use model::{
    Actions, Guidance, IntervalSource, LifetimeBasis, Method, MethodKind, Plan, Problem,
    ProblemCode, ScheduleItem, Severity, Standard, Summary, TlsDetails, Urgency, UrgencyCounts,
};
pub use planner::{parse_policy, plan};
pub use render::{render_csv, render_ics, render_markdown, render_text};
