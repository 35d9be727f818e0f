//! What each identifier that can reach a command line may look like: checked
//! before any is written into a step, with the input field named on refusal.

use crate::error::InputError;

/// Checks `value` against a charset and length; the pointer names the field.
fn check(
    pointer: &str,
    value: &str,
    max: usize,
    ok: impl Fn(char) -> bool,
    what: &str,
) -> Result<(), InputError> {
    if value.is_empty() || value.len() > max || !value.chars().all(ok) {
        return Err(InputError::new(pointer, format!("{value:?} is not {what}")));
    }
    Ok(())
}

/// An opaque id: accessor, key id, serial, role name.
pub fn id(pointer: &str, value: &str) -> Result<(), InputError> {
    check(
        pointer,
        value,
        128,
        |c| c.is_ascii_alphanumeric() || "._:-".contains(c),
        "an identifier (letters, digits, `.`, `_`, `:`, `-`)",
    )?;
    if value.starts_with('-') {
        // A leading dash would be read as a flag by every CLI.
        return Err(InputError::new(
            pointer,
            format!("{value:?} may not start with `-`"),
        ));
    }
    Ok(())
}

/// A Vault/OpenBao path: segments of safe characters, no `..`, no leading `/` or `-`.
pub fn vault_path(pointer: &str, value: &str) -> Result<(), InputError> {
    let trimmed = value.trim_end_matches('/');
    check(
        pointer,
        trimmed,
        256,
        |c| c.is_ascii_alphanumeric() || "._/-".contains(c),
        "a path (letters, digits, `.`, `_`, `-`, `/`)",
    )?;
    if trimmed.starts_with(['/', '-'])
        || trimmed
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(InputError::new(
            pointer,
            format!("{value:?} is not a relative path of named segments"),
        ));
    }
    Ok(())
}

pub fn aws_access_key_id(pointer: &str, value: &str) -> Result<(), InputError> {
    let ok = value.len() == 20
        && (value.starts_with("AKIA") || value.starts_with("ASIA"))
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    ok.then_some(()).ok_or_else(|| {
        InputError::new(
            pointer,
            format!("{value:?} is not an AWS access key id (AKIA/ASIA and 16 more)"),
        )
    })
}

pub fn aws_user(pointer: &str, value: &str) -> Result<(), InputError> {
    check(
        pointer,
        value,
        64,
        |c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c),
        "an IAM user name",
    )?;
    id_no_dash(pointer, value)
}

pub fn gcp_service_account(pointer: &str, value: &str) -> Result<(), InputError> {
    check(
        pointer,
        value,
        254,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || "@.-".contains(c),
        "a service-account email",
    )?;
    let ok = value.split_once('@').is_some_and(|(name, domain)| {
        !name.is_empty() && !name.starts_with('-') && domain.ends_with(".gserviceaccount.com")
    });
    ok.then_some(()).ok_or_else(|| {
        InputError::new(
            pointer,
            format!("{value:?} is not a service-account email (…@….gserviceaccount.com)"),
        )
    })
}

/// A UUID, as Azure ids are.
pub fn uuid(pointer: &str, value: &str) -> Result<(), InputError> {
    let groups: Vec<&str> = value.split('-').collect();
    let ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
    ok.then_some(())
        .ok_or_else(|| InputError::new(pointer, format!("{value:?} is not a UUID")))
}

fn id_no_dash(pointer: &str, value: &str) -> Result<(), InputError> {
    if value.starts_with('-') {
        return Err(InputError::new(
            pointer,
            format!("{value:?} may not start with `-`"),
        ));
    }
    Ok(())
}
