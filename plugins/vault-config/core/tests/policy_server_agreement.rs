//! The server decides what is valid: policy-lint's valid/invalid verdict must
//! equal what a real OpenBao server does with `PUT sys/policies/acl/<name>`
//! (what `bao policy write` sends), for every policy of the corpus in
//! `tests/policies/` (see its README) and for generated ones, 100 %.
//!
//! The generator builds policies from the shapes that matter to the server
//! (brace placement, HCL or JSON, repeated keys, legacy `policy =`, every
//! capability and some that are not, parameter constraints, wrapping TTLs of
//! every literal type, templates, `+*`, unknown keys, OpenBao's own keys),
//! then sometimes damages them with one stray character, so that refusals are
//! checked as much as acceptances.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use common::{BAO_VERSION, Bao};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use vault_core::Flavour;
use vault_core::lint::lint_at;
use vault_core::parse::parse_policy_at;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// One case: the server's verdict (accepted or not), and the disagreement
/// when policy-lint's verdict differs.
fn check(bao: &Bao, label: &str, text: &str) -> (bool, Option<String>) {
    let report = lint_at(text, Flavour::Openbao, Some(now()));
    let response = bao.write_policy("agreement", text);
    if report.valid == response.ok() {
        return (response.ok(), None);
    }
    let mut out = format!(
        "{label}: policy-lint says {}, OpenBao says {} {}\n--- policy ---\n{text}\n",
        if report.valid { "valid" } else { "invalid" },
        response.status,
        response.body.trim()
    );
    for error in &report.errors {
        let _ = writeln!(
            out,
            "lint error: line {} column {}: {}",
            error.line, error.column, error.message
        );
    }
    (response.ok(), Some(out))
}

/// A value in either syntax.
#[derive(Debug, Clone)]
enum V {
    /// Written as is in both syntaxes (numbers, `true`).
    Raw(&'static str),
    Str(&'static str),
    List(Vec<V>),
    Map(Vec<(&'static str, V)>),
}

impl V {
    /// The value in HCL (`json` false) or JSON syntax.
    fn render(&self, json: bool) -> String {
        match self {
            V::Raw(raw) => (*raw).to_owned(),
            V::Str(text) => format!("{text:?}"),
            V::List(items) => {
                let items: Vec<String> = items.iter().map(|v| v.render(json)).collect();
                format!("[{}]", items.join(", "))
            }
            V::Map(entries) => {
                let (assign, open, separator, close) = if json {
                    (": ", "{", ", ", "}")
                } else {
                    (" = ", "{\n    ", "\n    ", "\n  }")
                };
                let entries: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{k:?}{assign}{}", v.render(json)))
                    .collect();
                format!("{open}{}{close}", entries.join(separator))
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Block {
    path: &'static str,
    items: Vec<(&'static str, V)>,
    brace_on_next_line: bool,
}

#[derive(Debug, Clone)]
struct Generated {
    blocks: Vec<Block>,
    json: bool,
    /// A byte position (scaled) and a stray text to insert there.
    damage: Option<(usize, &'static str)>,
}

impl Generated {
    fn render(&self) -> String {
        let mut text = if self.json {
            let paths: Vec<String> = self
                .blocks
                .iter()
                .map(|block| {
                    let items: Vec<String> = block
                        .items
                        .iter()
                        .map(|(k, v)| format!("{k:?}: {}", v.render(true)))
                        .collect();
                    format!("{:?}: {{{}}}", block.path, items.join(", "))
                })
                .collect();
            format!("{{\"path\": {{{}}}}}\n", paths.join(", "))
        } else {
            let mut out = String::new();
            for block in &self.blocks {
                let brace = if block.brace_on_next_line {
                    "\n{"
                } else {
                    " {"
                };
                let _ = writeln!(out, "path {:?}{brace}", block.path);
                for (key, value) in &block.items {
                    let _ = writeln!(out, "  {key} = {}", value.render(false));
                }
                out.push_str("}\n\n");
            }
            out
        };
        if let Some((at, stray)) = self.damage {
            let mut index = at % (text.len() + 1);
            while !text.is_char_boundary(index) {
                index -= 1;
            }
            text.insert_str(index, stray);
        }
        text
    }
}

fn word() -> impl Strategy<Value = V> {
    let valid = prop::sample::select(vec![
        "create", "read", "update", "patch", "delete", "list", "scan", "sudo", "deny",
    ]);
    let invalid = prop::sample::select(vec!["subscribe", "root", "Read", "write", ""]);
    prop_oneof![12 => valid.prop_map(V::Str), 1 => invalid.prop_map(V::Str)]
}

fn duration() -> impl Strategy<Value = V> {
    prop_oneof![
        3 => prop::sample::select(vec!["1s", "90s", "1h", "2d", "1h30m", "", "-5m", "300"]).prop_map(V::Str),
        1 => Just(V::Str("soon")),
        2 => prop::sample::select(vec!["5", "300", "0", "1.5", "true", "-1", "99999999999"]).prop_map(V::Raw),
        1 => Just(V::List(vec![V::Raw("1")])),
    ]
}

fn parameters() -> impl Strategy<Value = V> {
    let value = prop_oneof![
        Just(V::List(vec![])),
        Just(V::List(vec![V::Str("a"), V::Str("b-*")])),
        Just(V::List(vec![V::Raw("false"), V::Str("false")])),
        Just(V::Str("x")),
    ];
    prop::collection::vec(
        (
            prop::sample::select(vec!["password", "*", "ttl", "Name"]),
            value,
        ),
        0..3,
    )
    .prop_map(V::Map)
}

fn item() -> impl Strategy<Value = (&'static str, V)> {
    prop_oneof![
        4 => prop::collection::vec(word(), 0..4).prop_map(|w| ("capabilities", V::List(w))),
        1 => Just(("capabilities", V::Str("read"))),
        2 => prop::sample::select(vec!["deny", "read", "write", "sudo", "admin", ""])
            .prop_map(|w| ("policy", V::Str(w))),
        2 => duration().prop_map(|d| ("min_wrapping_ttl", d)),
        2 => duration().prop_map(|d| ("max_wrapping_ttl", d)),
        1 => parameters().prop_map(|p| ("allowed_parameters", p)),
        1 => parameters().prop_map(|p| ("denied_parameters", p)),
        1 => Just(("required_parameters", V::List(vec![V::Str("name")]))),
        1 => Just(("comment", V::Str("why"))),
        1 => prop::sample::select(vec!["capabilites", "Capabilities", "ttl"]).prop_map(|k| (k, V::List(vec![]))),
        1 => prop::sample::select(vec!["10", "\"0x10\"", "1.5", "\"many\""])
            .prop_map(|v| ("pagination_limit", V::Raw(v))),
        1 => prop::sample::select(vec!["2099-01-01T00:00:00Z", "2001-01-01T00:00:00Z", "never"])
            .prop_map(|v| ("expiration", V::Str(v))),
        1 => prop::sample::select(vec!["{{ .path }}{{ .key }}", "{{ .path }}", "{{ .key"])
            .prop_map(|v| ("list_scan_response_keys_filter_path", V::Str(v))),
    ]
}

fn block() -> impl Strategy<Value = Block> {
    let path = prop::sample::select(vec![
        "secret/data/app/*",
        "secret/+/config",
        "secret/metadata/app/",
        "sys/health",
        "auth/token/create",
        "/secret/leading-slash",
        "secret/+*",
        "secret/data/{{identity.entity.id}}/*",
        "secret/data/{{identity.entity.id/*",
        "secret/}}/x",
        "secret/${env}/x",
        "*",
    ]);
    (path, prop::collection::vec(item(), 0..5), any::<bool>()).prop_map(
        |(path, items, brace_on_next_line)| Block {
            path,
            items,
            brace_on_next_line,
        },
    )
}

fn generated() -> impl Strategy<Value = Generated> {
    let stray = prop::sample::select(vec![
        "{", "}", "[", "]", "\"", "=", ",", "#", "/", "<<", "\n", "$", "x", ":", "0", "-", "089",
        "\\",
    ]);
    (
        prop::collection::vec(block(), 1..4),
        prop::bool::weighted(0.3),
        prop::option::weighted(0.3, (any::<usize>(), stray)),
    )
        .prop_map(|(blocks, json, damage)| Generated {
            blocks,
            json,
            damage,
        })
}

#[test]
fn policy_lint_agrees_with_openbao() {
    let bao = Bao::start();
    let mut disagreements = Vec::new();

    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/policies");
    let mut files: Vec<_> = std::fs::read_dir(&corpus)
        .expect("tests/policies exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    assert!(files.len() >= 50, "the corpus holds {} files", files.len());
    let (mut accepted, mut refused) = (0, 0);
    for file in &files {
        let text = std::fs::read_to_string(file).expect("corpus files are UTF-8");
        let label = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (ok, disagreement) = check(&bao, &label, &text);
        if ok {
            accepted += 1;
        } else {
            refused += 1;
        }
        disagreements.extend(disagreement);
    }

    // More cases for a deeper search: POLICY_AGREEMENT_CASES=20000.
    let cases = std::env::var("POLICY_AGREEMENT_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        // Deterministic by default so that CI is reproducible; a seed from
        // POLICY_AGREEMENT_SEED explores elsewhere.
        match std::env::var("POLICY_AGREEMENT_SEED")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
        {
            Some(seed) => {
                let mut bytes = [0u8; 32];
                bytes[..8].copy_from_slice(&seed.to_le_bytes());
                TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
            }
            None => TestRng::deterministic_rng(RngAlgorithm::ChaCha),
        },
    );
    let generated_cases = std::cell::Cell::new(0usize);
    let generated_accepted = std::cell::Cell::new(0usize);
    let outcome = runner.run(&generated(), |policy| {
        generated_cases.set(generated_cases.get() + 1);
        let text = policy.render();
        let (ok, disagreement) = check(&bao, "generated", &text);
        generated_accepted.set(generated_accepted.get() + usize::from(ok));
        match disagreement {
            Some(message) => Err(TestCaseError::fail(message)),
            None => Ok(()),
        }
    });
    if let Err(error) = outcome {
        disagreements.push(format!("{error}"));
    }

    let generated_cases = generated_cases.get();
    let total = files.len() + generated_cases;
    let generated_accepted = generated_accepted.get();
    println!(
        "policy-lint agreed with OpenBao {BAO_VERSION} on {} of {total} policies ({} corpus files: {accepted} accepted, {refused} refused; {generated_cases} generated: {generated_accepted} accepted, {} refused)",
        total - disagreements.len(),
        files.len(),
        generated_cases - generated_accepted
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// The effective grant is what the server enforces: the last `policy` wins,
/// `capabilities` lists add up, `deny` stands alone. Checked with a token
/// holding only the policy, through `sys/capabilities`.
#[test]
fn effective_grants_are_the_servers() {
    let bao = Bao::start();
    let cases = [
        ("shape-duplicate-policy-sudo.hcl", "secret/data/app/x"),
        ("shape-duplicate-capabilities.hcl", "secret/data/app/config"),
        ("shape-legacy-write.hcl", "secret/app/x"),
        ("shape-json-duplicate-keys.json", "secret/a"),
        ("shape-deny-then-unknown.hcl", "secret/x"),
        ("shape-one-line-bodies.hcl", "secret/b"),
    ];
    for (file, concrete) in cases {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/policies")
            .join(file);
        let text = std::fs::read_to_string(&path).expect("corpus file");
        assert!(
            bao.write_policy("effective", &text).ok(),
            "{file} is accepted"
        );
        let token = bao
            .request(
                "POST",
                "/v1/auth/token/create",
                Some(&serde_json::json!({"policies": ["effective"], "no_default_policy": true})),
            )
            .json()["auth"]["client_token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let answer = bao
            .request(
                "POST",
                "/v1/sys/capabilities",
                Some(&serde_json::json!({"token": token, "paths": [concrete]})),
            )
            .json();
        let mut server: Vec<String> = answer[concrete]
            .as_array()
            .expect("capabilities for the path")
            .iter()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        server.sort();
        let parsed = parse_policy_at(&text, Flavour::Openbao, Some(now())).expect("parses");
        let rule = parsed
            .rules
            .iter()
            .find(|rule| {
                let prefix = rule.path.trim_end_matches('*');
                concrete == rule.path || (rule.path.ends_with('*') && concrete.starts_with(prefix))
            })
            .expect("a rule for the path");
        let mut ours: Vec<String> = rule
            .capabilities
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        ours.sort();
        assert_eq!(ours, server, "{file}: effective capabilities on {concrete}");
    }
}
