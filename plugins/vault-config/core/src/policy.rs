//! The typed policy model and its HCL serializer.
//!
//! A [`PolicyPath`] can only be built from validated segments, so no user text
//! ever reaches the HCL unchecked; the serializer still quotes and escapes every
//! string as HCL requires. The output is byte-for-byte what `vault policy fmt`
//! (HCL v1 canonical printer) produces for it: two-space indentation, one blank
//! line between blocks, capabilities on one line, a final newline.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which server the policy is for; their capability sets differ: `vault` adds
/// `subscribe` (and `recover` in Enterprise), `openbao` adds `scan` (recursive list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    #[default]
    Vault,
    Openbao,
}

impl Flavour {
    /// The server's command-line program.
    pub fn cli(self) -> &'static str {
        match self {
            Flavour::Vault => "vault",
            Flavour::Openbao => "bao",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Flavour::Vault => "vault",
            Flavour::Openbao => "openbao",
        }
    }
}

/// A policy capability, in the order `vault policy fmt` users expect to read them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    Create,
    Read,
    Update,
    Patch,
    Delete,
    List,
    Scan,
    Sudo,
    Deny,
    Subscribe,
    Recover,
}

impl Capability {
    pub const ALL: [Capability; 11] = [
        Capability::Create,
        Capability::Read,
        Capability::Update,
        Capability::Patch,
        Capability::Delete,
        Capability::List,
        Capability::Scan,
        Capability::Sudo,
        Capability::Deny,
        Capability::Subscribe,
        Capability::Recover,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Create => "create",
            Capability::Read => "read",
            Capability::Update => "update",
            Capability::Patch => "patch",
            Capability::Delete => "delete",
            Capability::List => "list",
            Capability::Scan => "scan",
            Capability::Sudo => "sudo",
            Capability::Deny => "deny",
            Capability::Subscribe => "subscribe",
            Capability::Recover => "recover",
        }
    }

    pub fn parse(text: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// Whether the server's policy parser accepts this capability.
    pub fn supported_by(self, flavour: Flavour) -> bool {
        match self {
            Capability::Scan => flavour == Flavour::Openbao,
            // `recover` is Vault Enterprise 1.20+ only; still a valid word there.
            Capability::Subscribe | Capability::Recover => flavour == Flavour::Vault,
            _ => true,
        }
    }

    /// The capabilities a flavour's parser accepts, for messages.
    pub fn names_for(flavour: Flavour) -> Vec<&'static str> {
        Capability::ALL
            .into_iter()
            .filter(|c| c.supported_by(flavour))
            .map(Capability::as_str)
            .collect()
    }
}

/// A policy path made only of validated segments, optionally ending in a
/// `/` (a prefix for `list`) or `/*` (only used for the `sys/*` deny).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyPath(String);

impl PolicyPath {
    /// Joins segments that the caller has validated with [`crate::names`].
    pub(crate) fn literal(segments: &[&str]) -> Self {
        debug_assert!(segments.iter().all(|s| !s.is_empty()));
        PolicyPath(segments.join("/"))
    }

    /// The same path with a trailing `/`: a listing prefix.
    pub(crate) fn as_prefix(&self) -> Self {
        PolicyPath(format!("{}/", self.0))
    }

    /// `sys/*`, the explicit deny every generated policy ends with.
    pub(crate) fn sys_glob() -> Self {
        PolicyPath("sys/*".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One `path "…" { capabilities = […] }` block, with a comment saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRule {
    pub path: PolicyPath,
    /// Sorted and unique.
    pub capabilities: Vec<Capability>,
    /// A one-line reason, made from fixed text and validated names only.
    pub why: String,
}

/// A named ACL policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub name: String,
    pub header: Vec<String>,
    pub rules: Vec<PathRule>,
}

impl Policy {
    /// Adds capabilities on a path, merging with an earlier rule on the same
    /// path: the server unions them anyway, and one block per path reads better.
    pub(crate) fn grant(&mut self, path: PolicyPath, capabilities: &[Capability], why: &str) {
        if let Some(rule) = self.rules.iter_mut().find(|rule| rule.path == path) {
            rule.capabilities.extend_from_slice(capabilities);
            rule.capabilities.sort();
            rule.capabilities.dedup();
            if !rule.why.split("; ").any(|part| part == why) {
                rule.why = format!("{}; {why}", rule.why);
            }
            return;
        }
        let mut capabilities = capabilities.to_vec();
        capabilities.sort();
        capabilities.dedup();
        self.rules.push(PathRule {
            path,
            capabilities,
            why: why.to_owned(),
        });
    }

    /// The policy as HCL, formatted as `vault policy fmt` formats it.
    pub fn to_hcl(&self) -> String {
        let mut out = String::new();
        for line in &self.header {
            let _ = writeln!(out, "# {}", one_line(line));
        }
        for (index, rule) in self.rules.iter().enumerate() {
            if index > 0 || !self.header.is_empty() {
                out.push('\n');
            }
            if !rule.why.is_empty() {
                let _ = writeln!(out, "# {}", one_line(&rule.why));
            }
            let capabilities: Vec<String> = rule
                .capabilities
                .iter()
                .map(|c| quote(c.as_str()))
                .collect();
            let _ = writeln!(out, "path {} {{", quote(rule.path.as_str()));
            let _ = writeln!(out, "  capabilities = [{}]", capabilities.join(", "));
            out.push_str("}\n");
        }
        out
    }
}

/// Comments end at a newline; a newline in one would start policy text.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// An HCL quoted string. `${` and `%{` are escaped too: HCL v1 reads them as
/// interpolation, which would change what the string means.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_like_policy_fmt() {
        let mut policy = Policy {
            name: "p".into(),
            header: vec!["header".into()],
            rules: Vec::new(),
        };
        policy.grant(
            PolicyPath::literal(&["secret", "data", "x"]),
            &[Capability::Read],
            "why",
        );
        policy.grant(PolicyPath::sys_glob(), &[Capability::Deny], "deny");
        assert_eq!(
            policy.to_hcl(),
            "# header\n\n# why\npath \"secret/data/x\" {\n  capabilities = [\"read\"]\n}\n\n\
             # deny\npath \"sys/*\" {\n  capabilities = [\"deny\"]\n}\n"
        );
    }

    #[test]
    fn grants_on_one_path_merge() {
        let mut policy = Policy {
            name: "p".into(),
            header: Vec::new(),
            rules: Vec::new(),
        };
        let path = PolicyPath::literal(&["a"]);
        policy.grant(path.clone(), &[Capability::Update], "one");
        policy.grant(path, &[Capability::Create, Capability::Update], "two");
        assert_eq!(policy.rules.len(), 1);
        assert_eq!(
            policy.rules[0].capabilities,
            [Capability::Create, Capability::Update]
        );
        assert_eq!(policy.rules[0].why, "one; two");
    }

    #[test]
    fn quoting_escapes_everything_that_could_end_a_string() {
        assert_eq!(quote("a\"b\\c\nd${e}%{f}"), r#""a\"b\\c\nd$${e}%%{f}""#);
    }

    #[test]
    fn capability_sets_differ_by_flavour() {
        assert!(Capability::Scan.supported_by(Flavour::Openbao));
        assert!(!Capability::Scan.supported_by(Flavour::Vault));
        assert!(Capability::Subscribe.supported_by(Flavour::Vault));
        assert!(!Capability::Subscribe.supported_by(Flavour::Openbao));
    }
}
