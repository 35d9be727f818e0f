//! Checks for the non-name values of a request: TTLs, CIDRs, redirect URIs,
//! repository and ref claims. Each returns the canonical form it accepts.

use std::net::IpAddr;

use crate::error::InputError;
use crate::names::check_token;

/// A duration as the server parses it (`90s`, `10m`, `1h`, `2d`, or seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ttl {
    pub seconds: u64,
}

/// Ten years: anything longer is a typo, and the server caps at its max TTL anyway.
const MAX_TTL_SECONDS: u64 = 10 * 365 * 24 * 3600;

impl Ttl {
    pub fn parse(field: &str, text: &str) -> Result<Ttl, InputError> {
        let bad = || {
            InputError::new(
                field,
                format!(
                    "`{}` is not a duration: use a number with s, m, h or d, e.g. `1h`",
                    text.escape_debug()
                ),
            )
        };
        let (digits, unit) = match text.char_indices().last() {
            Some((index, c)) if c.is_ascii_alphabetic() => (&text[..index], c),
            _ => (text, 's'),
        };
        if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let value: u64 = digits.parse().map_err(|_| bad())?;
        let scale = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let seconds = value * scale;
        if seconds > MAX_TTL_SECONDS {
            return Err(InputError::new(
                field,
                format!("`{text}` is longer than ten years"),
            ));
        }
        Ok(Ttl { seconds })
    }

    /// The shortest exact spelling: `3600` seconds is `1h`.
    pub fn canonical(self) -> String {
        let s = self.seconds;
        if s == 0 {
            "0s".into()
        } else if s.is_multiple_of(86_400) && s >= 86_400 * 2 {
            format!("{}d", s / 86_400)
        } else if s.is_multiple_of(3600) {
            format!("{}h", s / 3600)
        } else if s.is_multiple_of(60) {
            format!("{}m", s / 60)
        } else {
            format!("{s}s")
        }
    }
}

/// An IPv4 or IPv6 CIDR block, returned as given (the server normalises nothing here).
pub fn check_cidr(field: &str, text: &str) -> Result<String, InputError> {
    let bad = |why: &str| {
        InputError::new(
            field,
            format!("`{}` is not a CIDR block: {why}", text.escape_debug()),
        )
    };
    let (address, bits) = text
        .split_once('/')
        .ok_or_else(|| bad("expected ADDRESS/PREFIX, e.g. 10.0.0.0/8"))?;
    let address: IpAddr = address
        .parse()
        .map_err(|_| bad("the address does not parse"))?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let bits: u8 = bits
        .parse()
        .ok()
        .filter(|b| *b <= max && !bits.starts_with('+'))
        .ok_or_else(|| bad("the prefix length is out of range"))?;
    Ok(format!("{address}/{bits}"))
}

/// An OIDC redirect URI: `https://`, or `http://` on a loopback host (the CLI's
/// local listener). Only characters that travel safely in JSON and shell quotes.
pub fn check_redirect_uri(field: &str, text: &str) -> Result<(), InputError> {
    check_token(field, text, 2048)?;
    let loopback = [
        "http://localhost:",
        "http://localhost/",
        "http://127.0.0.1:",
        "http://127.0.0.1/",
    ];
    let https_host = text.strip_prefix("https://").filter(|rest| {
        rest.split(['/', '?', '#'])
            .next()
            .is_some_and(|host| !host.is_empty())
    });
    if https_host.is_none() && !loopback.iter().any(|prefix| text.starts_with(prefix)) {
        return Err(InputError::new(
            field,
            format!(
                "`{text}` must be an https:// URL, or http://localhost or http://127.0.0.1 for the CLI"
            ),
        ));
    }
    Ok(())
}

/// The server's address as workloads reach it: `https://host[:port]`, or
/// `http://` (returned `true`, for a warning: tokens would cross in clear).
/// The host is a DNS name, an IPv4 address or a bracketed IPv6 address; no
/// user, path, query or fragment, so the address cannot carry more than a server.
pub fn check_address(field: &str, text: &str) -> Result<bool, InputError> {
    let refuse = || {
        InputError::new(
            field,
            format!(
                "`{}` is not a server address like `https://vault.example.com:8200` \
                 (scheme, host and optional port; no path)",
                text.escape_debug()
            ),
        )
    };
    let (plain, authority) = match (text.strip_prefix("https://"), text.strip_prefix("http://")) {
        (Some(rest), _) => (false, rest),
        (None, Some(rest)) => (true, rest),
        (None, None) => return Err(refuse()),
    };
    let dns_label = |label: &str| {
        (1..=63).contains(&label.len())
            && label.starts_with(|c: char| c.is_ascii_alphanumeric())
            && label.ends_with(|c: char| c.is_ascii_alphanumeric())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let (host_ok, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let (inside, after) = rest.split_once(']').ok_or_else(refuse)?;
            let ipv6 = !inside.is_empty()
                && inside
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.'));
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or_else(refuse)?),
            };
            (ipv6, port)
        }
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            (host.len() <= 253 && host.split('.').all(dns_label), port)
        }
    };
    let port_ok = port.is_none_or(|port| {
        !port.is_empty()
            && port.len() <= 5
            && port.chars().all(|c| c.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n))
    });
    if host_ok && port_ok {
        Ok(plain)
    } else {
        Err(refuse())
    }
}

/// A GitHub `owner/repo`.
pub fn check_repository(field: &str, text: &str) -> Result<(), InputError> {
    let ok_part = |part: &str| {
        !part.is_empty()
            && part.len() <= 100
            && part.starts_with(|c: char| c.is_ascii_alphanumeric())
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    match text.split_once('/') {
        Some((owner, repo)) if ok_part(owner) && ok_part(repo) => Ok(()),
        _ => Err(InputError::new(
            field,
            format!(
                "`{}` is not `owner/repo` (letters, digits, '.', '_', '-')",
                text.escape_debug()
            ),
        )),
    }
}

/// A git ref such as `refs/heads/main` (GitHub's `ref` claim): matched
/// literally (`bound_claims_type=string`), so no globs; no `..`, no control characters.
pub fn check_git_ref(field: &str, text: &str) -> Result<(), InputError> {
    let start = text.starts_with("refs/");
    check_plain_ref(field, text, start, "a plain git ref like `refs/heads/main`")
}

/// A branch or tag name such as `main` (GitLab's `ref` claim), matched literally;
/// it may not start like a flag, a path or a hidden name.
pub fn check_branch(field: &str, text: &str) -> Result<(), InputError> {
    let start = !text.starts_with(['-', '/', '.']);
    check_plain_ref(field, text, start, "a plain branch or tag name like `main`")
}

/// The shared shape of refs; `start` says whether the caller's start rule holds.
fn check_plain_ref(field: &str, text: &str, start: bool, what: &str) -> Result<(), InputError> {
    let valid = start
        && !text.is_empty()
        && text.len() <= 256
        && !text.contains("..")
        && !text.contains("//")
        && !text.ends_with('/')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
    if !valid {
        return Err(InputError::new(
            field,
            format!(
                "`{}` is not {what} (letters, digits, '.', '_', '-', '/')",
                text.escape_debug()
            ),
        ));
    }
    Ok(())
}

/// A JWT claim name.
pub fn check_claim(field: &str, text: &str) -> Result<(), InputError> {
    if text.is_empty()
        || text.len() > 64
        || !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(InputError::new(
            field,
            format!(
                "`{}` is not a claim name (letters, digits, '_', '-', '.')",
                text.escape_debug()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_a_scheme_a_host_and_a_port_only() {
        for (good, plain) in [
            ("https://vault.example.com:8200", false),
            ("https://vault", false),
            ("http://vault.vault.svc:8200", true),
            ("https://10.0.0.7:8200", false),
            ("https://[fd00::7]:8200", false),
            ("https://[::1]", false),
        ] {
            assert_eq!(check_address("/a", good), Ok(plain), "{good}");
        }
        for bad in [
            "vault.example.com",
            "ftp://vault",
            "https://",
            "https://vault/",
            "https://vault:8200/v1",
            "https://user@vault",
            "https://vault:0",
            "https://vault:65536",
            "https://vault:",
            "https://-vault",
            "https://vault..example",
            "https://[fd00::7",
            "https://[fd00::7]x",
            "https://[]",
            "https://vault?x=1",
            "https://vault\n",
            "https://va ult",
            "https://vault\"",
        ] {
            assert!(check_address("/a", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ttls_parse_and_print_canonically() {
        assert_eq!(Ttl::parse("/t", "1h").unwrap().seconds, 3600);
        assert_eq!(Ttl::parse("/t", "90").unwrap().canonical(), "90s");
        assert_eq!(Ttl::parse("/t", "120m").unwrap().canonical(), "2h");
        assert_eq!(Ttl::parse("/t", "48h").unwrap().canonical(), "2d");
        for bad in ["", "h", "1x", "-1h", "1h; rm", "1.5h", "99999999999d"] {
            assert!(Ttl::parse("/t", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cidrs_are_checked() {
        assert_eq!(check_cidr("/c", "10.0.0.0/8").unwrap(), "10.0.0.0/8");
        assert_eq!(check_cidr("/c", "fd00::/8").unwrap(), "fd00::/8");
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "x/8",
            "10.0.0.0/+8",
            "10.0.0.0/8 '",
        ] {
            assert!(check_cidr("/c", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn uris_repos_refs_and_claims_are_checked() {
        check_redirect_uri(
            "/u",
            "https://vault.example.org/ui/vault/auth/oidc/oidc/callback",
        )
        .unwrap();
        check_redirect_uri("/u", "http://localhost:8250/oidc/callback").unwrap();
        assert!(check_redirect_uri("/u", "http://evil.example/cb").is_err());
        assert!(check_redirect_uri("/u", "https:///x").is_err());
        check_repository("/r", "octo-org/app.api").unwrap();
        assert!(check_repository("/r", "octo-org/*").is_err());
        assert!(check_repository("/r", "a/b/c").is_err());
        check_git_ref("/g", "refs/heads/main").unwrap();
        assert!(check_git_ref("/g", "refs/heads/*").is_err());
        assert!(check_git_ref("/g", "main").is_err());
        check_branch("/b", "release/2026.1").unwrap();
        for bad in ["", "-f", "/main", ".hidden", "a..b", "main*", "a b", "x/"] {
            assert!(check_branch("/b", bad).is_err(), "{bad}");
        }
        check_claim("/c", "repository").unwrap();
        assert!(check_claim("/c", "a b").is_err());
    }
}
