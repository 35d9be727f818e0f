#[test]
fn print() {
    let bytes = include_bytes!("../../../examples/inventory.json");
    let inv = rotation_core::parse_inventory(bytes, "inventory.json").unwrap();
    let opts = rotation_core::PlanOptions {
        as_of: time::macros::date!(2026 - 06 - 01),
        policy_days: 30,
    };
    let plan = rotation_core::plan(&inv.entries, "inventory.json", &inv.pointer_prefix, &opts);
    println!("{}", rotation_core::render_text(&plan));
    println!("=====MD\n{}", rotation_core::render_markdown(&plan));
    println!("=====CSV\n{}", rotation_core::render_csv(&plan));
    println!(
        "=====ICS\n{}",
        rotation_core::render_ics(&plan)
            .split("BEGIN:VEVENT")
            .take(3)
            .collect::<Vec<_>>()
            .join("BEGIN:VEVENT")
    );
    println!(
        "=====JSON\n{}",
        serde_json::to_string_pretty(&plan.schedule[..2]).unwrap()
    );
    println!("{}", serde_json::to_string_pretty(&plan.problems).unwrap());
}
