//! Validation of every name that ends up in a policy path, a role path, a file
//! name or a command line.
//!
//! The rule is an allow-list, not a block-list: a name may hold only characters
//! that cannot change what a policy path matches (`*`, `+`, `{{`), end a quoted
//! HCL string (`"`, `\`), add a path segment (`/`), or be read as a command-line
//! flag (a leading `-`). Each check names the field and the first offending
//! character so that the caller can fix it.

use crate::error::InputError;

/// Longest name accepted for an app, an environment or a role: far below
/// AppRole's 4096-byte limit, long enough for any real name.
pub const MAX_NAME_LEN: usize = 128;
/// Kubernetes namespaces are DNS-1123 labels.
pub const MAX_K8S_NAMESPACE_LEN: usize = 63;
/// Kubernetes service accounts are DNS-1123 subdomains.
pub const MAX_K8S_SERVICE_ACCOUNT_LEN: usize = 253;
/// A mount path or an extra policy path.
pub const MAX_PATH_LEN: usize = 512;

/// What a name is used for; each kind has the server's (or Kubernetes') own rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// One path segment built from an app, environment or role name: letters,
    /// digits, `.`, `_`, `-` (AppRole's rule without the space).
    Segment,
    /// A Kubernetes namespace: DNS-1123 label.
    K8sNamespace,
    /// A Kubernetes service account: DNS-1123 subdomain.
    K8sServiceAccount,
    /// A mount path: segments separated by single `/`.
    Mount,
}

fn describe(c: char) -> String {
    match c {
        '*' => "'*' (a policy glob)".to_owned(),
        '+' => "'+' (a policy segment wildcard)".to_owned(),
        '{' | '}' => format!("'{c}' (policy templating uses `{{{{ }}}}`)"),
        '"' => "'\"' (it would end a quoted HCL string)".to_owned(),
        '\\' => "'\\' (an escape character)".to_owned(),
        '/' => "'/' (it would add a path segment)".to_owned(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c if c.is_whitespace() => format!("the space character U+{:04X}", c as u32),
        c => format!("'{c}'"),
    }
}

fn allowed_in_segment(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

fn allowed_in_dns(c: char, dots: bool) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (dots && c == '.')
}

/// Checks `value` for the field at JSON Pointer `field`.
pub fn check_name(field: &str, value: &str, kind: NameKind) -> Result<(), InputError> {
    let (max, allowed, rule): (usize, fn(char) -> bool, &str) = match kind {
        NameKind::Segment => (
            MAX_NAME_LEN,
            allowed_in_segment,
            "letters, digits, '.', '_' and '-'",
        ),
        NameKind::K8sNamespace => (
            MAX_K8S_NAMESPACE_LEN,
            |c| allowed_in_dns(c, false),
            "lowercase letters, digits and '-' (a DNS-1123 label)",
        ),
        NameKind::K8sServiceAccount => (
            MAX_K8S_SERVICE_ACCOUNT_LEN,
            |c| allowed_in_dns(c, true),
            "lowercase letters, digits, '-' and '.' (a DNS-1123 subdomain)",
        ),
        NameKind::Mount => (
            MAX_PATH_LEN,
            |c| allowed_in_segment(c) || c == '/',
            "letters, digits, '.', '_', '-' and '/' between segments",
        ),
    };
    if value.is_empty() {
        return Err(InputError::new(field, "must not be empty"));
    }
    if let Some((index, c)) = value.char_indices().find(|&(_, c)| !allowed(c)) {
        return Err(InputError::new(
            field,
            format!(
                "{} at byte {index} is not allowed here: it could change what a policy path \
                 or a command means; use only {rule}",
                describe(c)
            ),
        ));
    }
    if value.len() > max {
        return Err(InputError::new(
            field,
            format!("is {} bytes long; at most {max} are allowed", value.len()),
        ));
    }
    // Checked per segment so that a mount like `kv/../sys` cannot hide a `..`.
    for segment in value.split('/') {
        check_segment_shape(field, value, segment, kind)?;
    }
    Ok(())
}

fn check_segment_shape(
    field: &str,
    value: &str,
    segment: &str,
    kind: NameKind,
) -> Result<(), InputError> {
    if segment.is_empty() {
        return Err(InputError::new(
            field,
            format!("`{value}` has an empty segment: '/' is allowed only between segments"),
        ));
    }
    let first_ok = segment.starts_with(|c: char| c.is_ascii_alphanumeric());
    let last_ok = segment.ends_with(|c: char| c.is_ascii_alphanumeric());
    // A leading '-' reads as a command-line flag and a leading '.' as `.`/`..`;
    // DNS names must also end with an alphanumeric.
    let dns = matches!(kind, NameKind::K8sNamespace | NameKind::K8sServiceAccount);
    if !first_ok || (dns && !last_ok) {
        let rule = if dns {
            "start and end with a letter or digit"
        } else {
            "start with a letter or digit"
        };
        return Err(InputError::new(
            field,
            format!(
                "`{value}` must {rule} (a leading '-' reads as a command flag, a leading '.' as a relative path)"
            ),
        ));
    }
    Ok(())
}

/// Checks a free-text value that only ever travels inside JSON payloads and
/// quoted shell arguments (an audience, a client id): no control characters,
/// no whitespace, no quotes or backslashes, bounded length.
pub fn check_token(field: &str, value: &str, max: usize) -> Result<(), InputError> {
    if value.is_empty() {
        return Err(InputError::new(field, "must not be empty"));
    }
    if let Some((index, c)) = value
        .char_indices()
        .find(|&(_, c)| c.is_control() || c.is_whitespace() || matches!(c, '"' | '\\' | '\''))
    {
        return Err(InputError::new(
            field,
            format!("{} at byte {index} is not allowed here", describe(c)),
        ));
    }
    if value.len() > max {
        return Err(InputError::new(
            field,
            format!("is {} bytes long; at most {max} are allowed", value.len()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(value: &str, kind: NameKind) -> String {
        check_name("/app_name", value, kind)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn plain_names_pass() {
        for name in ["payment", "pay-ment_v2.1", "A9"] {
            check_name("/app_name", name, NameKind::Segment).unwrap();
        }
        check_name("/k", "team-a", NameKind::K8sNamespace).unwrap();
        check_name("/k", "sa.team-a", NameKind::K8sServiceAccount).unwrap();
        check_name("/m", "kv/team-a", NameKind::Mount).unwrap();
    }

    #[test]
    fn each_dangerous_character_is_named() {
        for (value, needle) in [
            ("pay*", "'*'"),
            ("pay+", "'+'"),
            ("pay{{x}}", "'{'"),
            ("pa\"y", "'\"'"),
            ("pa\\y", "'\\'"),
            ("pa/y", "'/'"),
            ("pa\ny", "U+000A"),
            ("pa\u{7}y", "U+0007"),
            ("pa y", "U+0020"),
        ] {
            let message = err(value, NameKind::Segment);
            assert!(message.starts_with("/app_name: "), "{message}");
            assert!(message.contains(needle), "{value:?}: {message}");
        }
    }

    #[test]
    fn empty_long_and_flag_like_names_fail() {
        assert!(err("", NameKind::Segment).contains("empty"));
        assert!(err(&"a".repeat(129), NameKind::Segment).contains("129 bytes"));
        assert!(err("-rf", NameKind::Segment).contains("start with"));
        assert!(err("..", NameKind::Segment).contains("start with"));
        assert!(err("kv//x", NameKind::Mount).contains("empty segment"));
        assert!(err("kv/../sys", NameKind::Mount).contains("start with"));
        assert!(err("/kv", NameKind::Mount).contains("empty segment"));
        assert!(err("Team", NameKind::K8sNamespace).contains("'T'"));
        assert!(err("team-", NameKind::K8sNamespace).contains("end with"));
    }

    #[test]
    fn tokens_refuse_quotes_and_control_characters() {
        check_token("/aud", "https://github.com/org", 256).unwrap();
        assert!(check_token("/aud", "a'b", 256).is_err());
        assert!(check_token("/aud", "a\nb", 256).is_err());
        assert!(check_token("/aud", "", 256).is_err());
    }
}
