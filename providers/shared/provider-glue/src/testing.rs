//! What the providers' property tests share (feature `testing`): hostile
//! names, a runner that throws generated requests at a property and counts
//! the accepted ones, and generated commands, CI scripts and YAML read back.

use std::cell::Cell;

use proptest::prelude::{BoxedStrategy, any, prop, prop_assert, prop_assert_eq};
use proptest::strategy::{Strategy, Union};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::InputError;

/// Payloads every provider's names are tried with: a wildcard, a field
/// separator, a YAML document injection, Terraform interpolation, shell
/// command substitution, NUL, non-ASCII.
pub const INJECTIONS: [&str; 7] = [
    "*",
    "a:b",
    "x\n---\nkind: ClusterRole",
    "${path.module}",
    "$(touch /tmp/pwned)",
    "a\u{0}b",
    "é",
];

/// Names: mostly plausible DNS labels (`plausible` in `plausible + 4`),
/// else hostile fragments (quotes, shell and glob characters, separators,
/// line ends), any string at all, or one of [`INJECTIONS`] and the
/// provider's own `payloads`.
pub fn name(plausible: u32, payloads: &[&str]) -> BoxedStrategy<String> {
    let payloads: Vec<String> = INJECTIONS
        .iter()
        .chain(payloads)
        .map(|p| (*p).to_owned())
        .collect();
    Union::new_weighted(vec![
        (plausible, "[a-z][a-z0-9-]{0,10}[a-z0-9]".boxed()),
        (
            2,
            r#"[A-Za-z0-9._*?:/{}"'\\\n\r\t $`;|&<>()#=\[\]%@+,-]{0,20}"#.boxed(),
        ),
        (1, any::<String>().boxed()),
        (1, prop::sample::select(payloads).boxed()),
    ])
    .boxed()
}

/// What a provider made of a generated request: `Some` of it, or `None` for a
/// refusal, which must name its field by a JSON Pointer.
pub fn accepted<T>(result: Result<T, crate::InputError>) -> Result<Option<T>, TestCaseError> {
    match result {
        Ok(made) => Ok(Some(made)),
        Err(error) if error.field.starts_with('/') => Ok(None),
        Err(error) => Err(TestCaseError::fail(format!(
            "a refusal names no field: {error}"
        ))),
    }
}

/// Git refs: mostly plausible branches and tags, else a branch named by `name`.
pub fn git_ref(name: BoxedStrategy<String>) -> BoxedStrategy<String> {
    Union::new_weighted(vec![
        (
            4,
            "refs/(heads|tags)/[a-z0-9][a-z0-9./_-]{0,12}[a-z0-9]".boxed(),
        ),
        (1, name.prop_map(|n| format!("refs/heads/{n}")).boxed()),
    ])
    .boxed()
}

/// The commands a GitLab job's `script` runs in `VAR="$(…)"` lines, split
/// back into words, for those whose program and first argument are `command`.
pub fn captured_commands(job: &Value, command: [&str; 2]) -> Vec<Vec<String>> {
    job["script"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|line| shlex::split(crate::shell::captured(line.as_str()?)?.1))
        .filter(|argv| argv.len() > 1 && argv[0] == command[0] && argv[1] == command[1])
        .collect()
}

/// Runs `property` on `cases` generated inputs; the property returns whether
/// the input was accepted (refused inputs are checked too). Panics with the
/// shrunk failing case; returns how many were accepted.
pub fn run_property<S: Strategy>(
    cases: u32,
    strategy: S,
    property: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) -> u32 {
    let accepted = Cell::new(0);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let result = TestRunner::new(config).run(&strategy, |value| {
        if property(value)? {
            accepted.set(accepted.get() + 1);
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    accepted.get()
}

/// `generate` on the request `input`: `None` when it is refused (naming a
/// field by its JSON Pointer, which this checks), else the configuration
/// and its JSON form.
pub fn generated<R: DeserializeOwned, C: Serialize>(
    input: Value,
    generate: impl Fn(&R) -> Result<C, InputError>,
) -> Result<Option<(C, Value)>, TestCaseError> {
    let request: R = serde_json::from_value(input).expect("the input has the request's shape");
    match generate(&request) {
        Ok(config) => {
            let output = serde_json::to_value(&config).expect("the output serializes");
            Ok(Some((config, output)))
        }
        Err(error) => {
            prop_assert!(error.field.starts_with('/'), "{error}");
            Ok(None)
        }
    }
}

/// Each command of a provider's output (`{"argv": […], "shell": "…"}`)
/// splits back, as a POSIX shell would, into exactly its argument list.
pub fn split_back(commands: &Value) -> Result<(), TestCaseError> {
    for command in commands.as_array().expect("a list of commands") {
        let words = shlex::split(command["shell"].as_str().expect("shell text"));
        prop_assert_eq!(
            words.map(|w| serde_json::json!(w)),
            Some(command["argv"].clone())
        );
    }
    Ok(())
}

/// The YAML documents of `text`, as JSON values; panics when one does not parse.
pub fn yaml_documents(text: &str) -> Vec<Value> {
    crate::yaml::parse_documents(text).expect("the YAML parses back")
}

/// The string values of `attribute` in the `kind` resources of a parsed `main.tf`.
pub fn terraform_strings(body: &hcl::Body, kind: &str, attribute: &str) -> Vec<String> {
    body.blocks()
        .filter(|b| b.identifier() == "resource" && b.labels()[0].as_str() == kind)
        .filter_map(|b| {
            b.body()
                .attributes()
                .find(|a| a.key() == attribute)
                .and_then(|a| match a.expr() {
                    hcl::Expression::String(text) => Some(text.clone()),
                    _ => None,
                })
        })
        .collect()
}

/// The job ids of a generated workflow, in order.
pub fn workflow_jobs(text: &str) -> Vec<String> {
    yaml_documents(text)[0]["jobs"]
        .as_object()
        .expect("a workflow has jobs")
        .keys()
        .cloned()
        .collect()
}
