//! Azure's own naming rules, checked before any name reaches a resource id,
//! a command, a manifest or Terraform. Where Azure allows more than is safe,
//! the narrower rule is the one documented here.
//!
//! Source: azure-docs `articles/azure-resource-manager/management/resource-name-rules.md`:
//! - `Microsoft.KeyVault/vaults`: 3–24, alphanumerics and hyphens, start with
//!   a letter, end with a letter or digit, no consecutive hyphens (global);
//! - `vaults/secrets`: 1–127, alphanumerics and hyphens;
//! - `resourcegroups`: 1–90, alphanumerics, underscores, parentheses, hyphens,
//!   periods and Unicode letters or digits, not ending in a period (narrower
//!   here: ASCII only, so that no look-alike letter names another group);
//! - `Microsoft.ManagedIdentity/userAssignedIdentities`: 3–128,
//!   alphanumerics, hyphens and underscores, starting with a letter or digit;
//! - `Microsoft.Web/sites`: 2–60, alphanumerics and hyphens, not starting or
//!   ending with a hyphen (narrower: ASCII only).
//!
//! Federated identity credentials (`azure-mgmt-msi`'s parameter pattern
//! `^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$`; Microsoft Entra's "Important
//! considerations and restrictions for federated identity credentials":
//! issuer and subject at most 600 characters, at most 20 credentials per
//! identity). Event Grid event subscriptions: 3–64 of `a-z A-Z 0-9 -`
//! (azure-docs `event-grid/subscription-creation-schema.md`).

use provider_glue::InputError;
use provider_glue::error::shown;

fn refuse(field: &str, text: &str, what: &str) -> InputError {
    InputError::new(field, format!("`{}` is not {what}", shown(text)))
}

fn alnum_or(text: &str, extra: &[char]) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

/// A subscription, tenant or principal id: a GUID in lowercase, as `az` prints it.
pub fn check_guid(field: &str, text: &str, what: &str) -> Result<(), InputError> {
    if is_guid(text) {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        &format!("a {what} (a GUID in lowercase, as `az` prints it)"),
    ))
}

/// `8-4-4-4-12` lowercase hex digits.
pub fn is_guid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(part, len)| {
            part.len() == len
                && part
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// A name rule of Azure's: a length, the characters besides letters and
/// digits, and what the first character may be.
struct Rule {
    lengths: std::ops::RangeInclusive<usize>,
    extra: &'static [char],
    first: fn(char) -> bool,
    what: &'static str,
}

impl Rule {
    fn check(&self, field: &str, text: &str) -> Result<(), InputError> {
        let valid = self.lengths.contains(&text.len())
            && text.starts_with(self.first)
            && alnum_or(text, self.extra);
        if valid {
            return Ok(());
        }
        Err(refuse(field, text, self.what))
    }
}

const ANY: fn(char) -> bool = |c| c.is_ascii_alphanumeric() || c == '-';

/// A key vault's name.
pub fn check_vault(field: &str, text: &str) -> Result<(), InputError> {
    let rule = Rule {
        lengths: 3..=24,
        extra: &['-'],
        first: |c| c.is_ascii_alphabetic(),
        what: "a key vault name (3–24 letters, digits and '-'; starting with a letter, ending \
               with a letter or digit; no '--')",
    };
    if text.ends_with('-') || text.contains("--") {
        return Err(refuse(field, text, rule.what));
    }
    rule.check(field, text)
}

/// A secret's name in a vault.
pub fn check_secret(field: &str, text: &str) -> Result<(), InputError> {
    Rule {
        lengths: 1..=127,
        extra: &['-'],
        first: ANY,
        what: "a Key Vault secret name (1–127 letters, digits and '-')",
    }
    .check(field, text)
}

/// A resource group's name (ASCII only here).
pub fn check_resource_group(field: &str, text: &str) -> Result<(), InputError> {
    let rule = Rule {
        lengths: 1..=90,
        extra: &['_', '-', '.', '(', ')'],
        first: |c| c.is_ascii_alphanumeric() || "_-.()".contains(c),
        what: "a resource group name (1–90 letters, digits, '_', '-', '.', '(' and ')'; not \
               ending with '.')",
    };
    if text.ends_with('.') {
        return Err(refuse(field, text, rule.what));
    }
    rule.check(field, text)
}

/// A user-assigned managed identity's name.
pub fn check_identity_name(field: &str, text: &str) -> Result<(), InputError> {
    Rule {
        lengths: 3..=128,
        extra: &['-', '_'],
        first: |c| c.is_ascii_alphanumeric(),
        what: "a managed identity name (3–128 letters, digits, '-' and '_', starting with a \
               letter or digit)",
    }
    .check(field, text)
}

/// A federated identity credential's name.
pub fn check_federated_credential_name(field: &str, text: &str) -> Result<(), InputError> {
    Rule {
        lengths: 3..=120,
        extra: &['-', '_'],
        first: |c| c.is_ascii_alphanumeric(),
        what: "a federated identity credential name (3–120 letters, digits, '-' and '_', \
               starting with a letter or digit)",
    }
    .check(field, text)
}

/// An Event Grid event subscription's name.
pub fn check_event_subscription_name(field: &str, text: &str) -> Result<(), InputError> {
    Rule {
        lengths: 3..=64,
        extra: &['-'],
        first: ANY,
        what: "an Event Grid event subscription name (3–64 letters, digits and '-')",
    }
    .check(field, text)
}

/// A region as `az account list-locations` names it (`westeurope`, `eastus2`).
pub fn check_location(field: &str, text: &str) -> Result<(), InputError> {
    let valid = (2..=40).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if valid {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "an Azure region name like `westeurope` (lowercase letters and digits)",
    ))
}

/// An OIDC issuer URL as a federated credential matches it, exactly:
/// `https://`, a DNS host, an optional path of unreserved characters and '/'
/// (a trailing '/' kept: AKS issuers end with one). No port, query,
/// fragment or user; at most 600 characters.
pub fn check_issuer(field: &str, text: &str) -> Result<(), InputError> {
    let valid = text.len() <= 600
        && text.strip_prefix("https://").is_some_and(|rest| {
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let labels: Vec<&str> = host.split('.').collect();
            labels.len() >= 2
                && labels
                    .last()
                    .is_some_and(|top| top.starts_with(|c: char| c.is_ascii_lowercase()))
                && labels.iter().all(|label| {
                    (1..=63).contains(&label.len())
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                })
                && !path.contains("//")
                && !path
                    .split('/')
                    .any(|segment| segment == "." || segment == "..")
                && alnum_or(path, &['/', '-', '.', '_', '~'])
        });
    if valid {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "an OIDC issuer URL like `https://westeurope.oic.prod-aks.azure.com/<tenant>/<id>/` \
         (https, a lowercase host, a plain path)",
    ))
}

/// An Azure Functions function by resource id, checked part by part:
/// `/subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.Web/sites/<app>/functions/<name>`.
pub fn check_function_id(field: &str, text: &str) -> Result<(), InputError> {
    let parts: Vec<&str> = text.split('/').collect();
    let valid = match parts.as_slice() {
        [
            "",
            "subscriptions",
            subscription,
            "resourceGroups",
            group,
            "providers",
            "Microsoft.Web",
            "sites",
            site,
            "functions",
            function,
        ] => {
            is_guid(subscription)
                && check_resource_group(field, group).is_ok()
                && (2..=60).contains(&site.len())
                && !site.starts_with('-')
                && !site.ends_with('-')
                && alnum_or(site, &['-'])
                && (1..=127).contains(&function.len())
                && function.starts_with(|c: char| c.is_ascii_alphabetic())
                && alnum_or(function, &['-', '_'])
        }
        _ => false,
    };
    if valid {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "a function's resource id, `/subscriptions/<id>/resourceGroups/<group>/providers/\
         Microsoft.Web/sites/<app>/functions/<name>`",
    ))
}

/// A tag of a secret: the name 1–64 of letters, digits, '_', '.', '-'; the
/// value at most 256 of letters, digits and `/_.:@+-` (narrower than Key
/// Vault: nothing `az`'s `key=value` parsing or a template would read).
pub fn check_tag(field: &str, name: &str, value: &str) -> Result<(), InputError> {
    if !((1..=64).contains(&name.len()) && alnum_or(name, &['_', '.', '-'])) {
        return Err(refuse(
            field,
            name,
            "a tag name (1–64 letters, digits, '_', '.', '-')",
        ));
    }
    if !(value.len() <= 256 && alnum_or(value, &['/', '_', '.', ':', '@', '+', '-'])) {
        return Err(refuse(
            &format!("{field}/{name}"),
            value,
            "a tag value (at most 256 letters, digits and `/_.:@+-`)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_and_secret_names_follow_key_vault() {
        for good in ["kv1", "payment-prod-kv", "A-b-1", &"k".repeat(24)] {
            assert!(check_vault("/v", good).is_ok(), "{good}");
        }
        for bad in [
            "kv",
            "1kv",
            "kv-",
            "k--v",
            "k_v",
            "k.v",
            &"k".repeat(25),
            "kv\n",
        ] {
            assert!(check_vault("/v", bad).is_err(), "{bad}");
        }
        for good in ["db-creds", "A", "1password", &"s".repeat(127)] {
            assert!(check_secret("/s", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "db_creds",
            "db.creds",
            "a/b",
            "a b",
            "é",
            &"s".repeat(128),
        ] {
            assert!(check_secret("/s", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn groups_identities_and_credentials_follow_arm() {
        for good in ["rg", "rg-payment_prod.(eu)", "a"] {
            assert!(check_resource_group("/g", good).is_ok(), "{good}");
        }
        for bad in ["", "rg.", "rg/x", "rg x", "grüppe", &"g".repeat(91)] {
            assert!(check_resource_group("/g", bad).is_err(), "{bad}");
        }
        assert!(check_identity_name("/i", "payment-prod-secrets").is_ok());
        for bad in ["ab", "-abc", "a.bc", &"i".repeat(129)] {
            assert!(check_identity_name("/i", bad).is_err(), "{bad}");
        }
        assert!(check_federated_credential_name("/f", "payment-prod-aks").is_ok());
        for bad in ["ab", "_abc", "a:bc", &"f".repeat(121)] {
            assert!(check_federated_credential_name("/f", bad).is_err(), "{bad}");
        }
        assert!(check_event_subscription_name("/e", "payment-prod-near-expiry").is_ok());
        assert!(check_event_subscription_name("/e", "a_b").is_err());
    }

    #[test]
    fn ids_issuers_and_functions_are_exact() {
        let guid = "0b1f6471-1bf0-4dda-aec3-111122223333";
        assert!(check_guid("/s", guid, "subscription id").is_ok());
        for bad in [
            "0B1F6471-1BF0-4DDA-AEC3-111122223333",
            "0b1f64711bf04ddaaec3111122223333",
            "0b1f6471-1bf0-4dda-aec3-11112222333",
            "*",
        ] {
            assert!(check_guid("/s", bad, "subscription id").is_err(), "{bad}");
        }
        for good in [
            "https://westeurope.oic.prod-aks.azure.com/0b1f6471-1bf0-4dda-aec3-111122223333/9d1c2c5e-0000-4000-8000-000000000001/",
            "https://token.actions.githubusercontent.com",
            "https://issuer.example.com/a_b~c",
        ] {
            assert!(check_issuer("/o", good).is_ok(), "{good}");
        }
        for bad in [
            "http://issuer.example.com/",
            "https://issuer.example.com:8443/",
            "https://issuer.example.com/?x=1",
            "https://user@issuer.example.com/",
            "https://Issuer.example.com/",
            "https://localhost/",
            "https://10.0.0.1/",
            "https://issuer.example.com/a//b",
            "https://issuer.example.com/../x",
            "https://issuer.example.com/ x",
        ] {
            assert!(check_issuer("/o", bad).is_err(), "{bad}");
        }
        let function = format!(
            "/subscriptions/{guid}/resourceGroups/rg-rotation/providers/Microsoft.Web/sites/rotator-app/functions/RotateSecret"
        );
        assert!(check_function_id("/f", &function).is_ok());
        for bad in [
            function.replace("/functions/RotateSecret", ""),
            function.replace("Microsoft.Web", "Microsoft.Logic"),
            function.replace("rotator-app", "-rotator"),
            function.replace("RotateSecret", "1rotate"),
            format!("{function}/x"),
        ] {
            assert!(check_function_id("/f", &bad).is_err(), "{bad}");
        }
        assert!(check_location("/l", "westeurope").is_ok());
        for bad in ["West Europe", "west-europe", "1west", "w"] {
            assert!(check_location("/l", bad).is_err(), "{bad}");
        }
        assert!(check_tag("/t", "CredentialId", "sqlAdmin").is_ok());
        assert!(check_tag("/t", "ProviderAddress", &function).is_ok());
        assert!(check_tag("/t", "a=b", "x").is_err());
        assert_eq!(check_tag("/t", "a", "${x}").unwrap_err().field, "/t/a");
    }
}
