//! The binary's own usage contract. (Being an integration test of this
//! package, it also makes `cargo test` build the `skill` binary that the
//! end-to-end suite in `tests/` drives.)

use std::process::Command;

fn skill(args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_skill"))
        .args(args)
        .env("SKILL_HOME", home.path())
        .output()
        .unwrap()
}

#[test]
fn version_and_help_exit_0() {
    let version = skill(&["--version"]);
    assert!(version.status.success());
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("skill "));
    let help = skill(&["--help"]);
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    for command in ["list", "schema", "run", "plugin"] {
        assert!(help.contains(command), "{help}");
    }
}

#[test]
fn usage_errors_exit_2_on_stderr() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["--timeout", "-1", "list"],
        &["--max-memory", "1", "list"],
    ] {
        let output = skill(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}
