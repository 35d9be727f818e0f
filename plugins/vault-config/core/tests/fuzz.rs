//! Fuzz targets (stable Rust, `fuzz-input`) for the policy parsers: the HCL v1 port
//! on raw bytes, and parse + lint + both renderings on text, for Vault and OpenBao,
//! seeded from the policies in `tests/policies`. Each input is read or refused
//! cleanly, never a panic, and what comes out is bounded by what went in.
//! `SKILL_FUZZ_CASES=<n>` changes the number of cases.

use fuzz_input::{Target, Verdict, bounded};
use vault_core::Flavour;
use vault_core::hcl1::parse_config;
use vault_core::lint::{lint_at, render_lint_markdown, render_lint_text};
use vault_core::parse::parse_policy;

/// Words of the policy language and of HCL v1 that mutations insert.
const TOKENS: &[&[u8]] = &[
    b"path \"secret/*\" {\n",
    b"capabilities = [\"read\", \"sudo\", \"deny\"]\n",
    b"policy = \"write\"\n",
    b"min_wrapping_ttl = \"-9223372036s\"\n",
    b"max_wrapping_ttl = 1e308\n",
    b"expiration = \"9999-12-31T23:59:59-23:59\"\n",
    b"allowed_parameters = { \"*\" = [] }\n",
    b"required_parameters = [\"a\"]\n",
    b"{{identity.entity.id}}",
    b"+*",
    b"<<EOF\nx\nEOF\n",
    b"/* ",
    b" */",
    b"# ",
    b"0x7fffffffffffffff",
    b"\"\\u00",
];

fn policies() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/policies");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "hcl" || e == "json"))
        .map(|path| std::fs::read(path).unwrap())
        .collect();
    seeds.sort();
    assert!(seeds.len() > 50, "{} seed policies", seeds.len());
    seeds
}

#[test]
fn fuzz_hcl1_parse_config() {
    Target {
        name: "hcl1",
        seeds: policies(),
        tokens: TOKENS,
        cases: 30000,
        crate_dir: Some(env!("CARGO_MANIFEST_DIR")),
    }
    .run(|bytes| {
        Ok(match parse_config(bytes) {
            Ok(list) => {
                bounded("items", list.items.len(), bytes.len(), 1, 1)?;
                Verdict::Read
            }
            Err(error) => {
                // Errors quote a token at most, and name each level of nesting up to the cap.
                bounded("error", error.to_string().len(), bytes.len(), 1, 8 << 10)?;
                Verdict::Refused
            }
        })
    });
}

#[test]
fn fuzz_policy_parse_and_lint() {
    Target {
        name: "policy-lint",
        seeds: policies(),
        tokens: TOKENS,
        cases: 800,
        crate_dir: Some(env!("CARGO_MANIFEST_DIR")),
    }
    .run(|bytes| {
        let text = String::from_utf8_lossy(bytes);
        let mut verdict = Verdict::Refused;
        for flavour in [Flavour::Vault, Flavour::Openbao] {
            if let Ok(parsed) = parse_policy(&text, flavour) {
                bounded("rules", parsed.rules.len(), text.len(), 1, 1)?;
                verdict = Verdict::Read;
            }
            for now in [None, Some(i64::MIN), Some(i64::MAX)] {
                let report = lint_at(&text, flavour, now);
                if report.valid != report.errors.is_empty() {
                    return Err(format!("valid {} with {:?}", report.valid, report.errors));
                }
                let rendered = render_lint_text(&report) + &render_lint_markdown(&report);
                // Findings quote paths from the text: a few per rule, each bounded.
                bounded("lint rendering", rendered.len(), text.len(), 256, 16 << 10)?;
                if let Some(c) = rendered
                    .chars()
                    .find(|c| *c != '\n' && untrusted_text::is_disguising(*c))
                {
                    return Err(format!("{c:?} from the policy reached the rendering"));
                }
            }
        }
        Ok(verdict)
    });
}
