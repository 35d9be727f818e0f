//! For the providers' property tests (feature `testing`): hostile names,
//! running a property over generated requests while counting the accepted
//! ones, and reading generated shell text and YAML back.

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::InputError;

/// Plausible names, hostile fragments, and known payloads: injections into
/// JSON policies, YAML, Terraform templates and the shell, wildcards, field
/// separators, an option-like word, NUL, non-ASCII.
pub fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        24 => "[a-z][a-z0-9-]{0,10}[a-z0-9]",
        2 => r#"[A-Za-z0-9._*?:/{}"'\\\n\r\t $`;|&<>()#=\[\]%@+,-]{0,20}"#,
        1 => any::<String>(),
        1 => prop::sample::select(vec![
            "*".to_owned(),
            "?".to_owned(),
            "a:b".to_owned(),
            "db-AbCdEf".to_owned(),
            "\"}, {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*".to_owned(),
            "x\n---\nkind: ClusterRole".to_owned(),
            "${path.module}".to_owned(),
            "$(touch /tmp/pwned)".to_owned(),
            "-f".to_owned(),
            "a\u{0}b".to_owned(),
            "é".to_owned(),
            "../..".to_owned(),
            "a/secrets/b".to_owned(),
        ]),
    ]
}

/// Branch and tag refs, mostly plausible, some with a hostile name.
pub fn git_ref() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "refs/(heads|tags)/[a-z0-9][a-z0-9./_-]{0,12}[a-z0-9]",
        1 => name().prop_map(|n| format!("refs/heads/{n}")),
    ]
}

/// Runs `property` on `cases` values of `strategy`; returns how many it
/// accepted (`Ok(true)`). Panics with proptest's report on a failure; no
/// failure file is written.
pub fn run_cases<S: Strategy>(
    cases: u32,
    strategy: S,
    property: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) -> u32 {
    let accepted = std::cell::Cell::new(0);
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
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
    eprintln!("{cases} cases: {} accepted", accepted.get());
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
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).expect("the YAML parses back"))
        .collect()
}

/// The job ids of a generated workflow, in order.
pub fn workflow_jobs(text: &str) -> Vec<String> {
    let documents = yaml_documents(text);
    documents[0]["jobs"]
        .as_object()
        .expect("a workflow has jobs")
        .keys()
        .cloned()
        .collect()
}
