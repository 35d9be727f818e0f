//! Google Cloud's own naming rules, checked before any name reaches a
//! member, a resource name, a condition, a manifest or a command. Where
//! Google allows more than is safe, the narrower rule is the one here.
//!
//! Sources:
//! - project ids, Resource Manager "Creating and managing projects": 6–30
//!   lowercase letters, digits and hyphens, starting with a letter, not
//!   ending with a hyphen, without restricted strings such as `google`,
//!   `null`, `undefined`, `ssl`. Legacy domain-scoped ids (`example.com:p`)
//!   are refused: `:` would shift the fields of a member.
//! - project numbers: decimal, without a leading zero.
//! - secret ids, Secret Manager `CreateSecret`: `[A-Za-z0-9_-]{1,255}`.
//! - workload identity pool and provider ids, IAM
//!   `workloadIdentityPools.create` / `providers.create`: 4–32 of
//!   `[a-z0-9-]`, the prefix `gcp-` reserved. Narrower: a letter first and
//!   no hyphen last.
//! - service accounts, IAM `serviceAccounts.create`: account ids 6–30 of
//!   `[a-z0-9-]`, a letter first, no hyphen last, in
//!   `<id>@<project>.iam.gserviceaccount.com`.
//! - GKE cluster names (`gcloud container clusters create`): 1–40 lowercase
//!   letters, digits and hyphens, a letter first, no hyphen last; locations
//!   are regions (`europe-west1`) or zones (`europe-west1-b`).
//! - Pub/Sub topic ids: 3–255 of letters, digits and `-_.~+%`, a letter
//!   first, not starting with `goog`. Narrower: no `+` or `%`.

use provider_glue::InputError;
use provider_glue::error::shown;

fn refuse(field: &str, text: &str, what: &str) -> InputError {
    InputError::new(field, format!("`{}` is not {what}", shown(text)))
}

/// Lowercase letters, digits and hyphens, a letter first and no hyphen
/// last, `min..=max` long: the shape of project ids, pool ids, account ids.
fn is_lower_id(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && !text.ends_with('-')
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A project id: `acme-payments-prod`.
pub fn check_project_id(field: &str, text: &str) -> Result<(), InputError> {
    if !is_lower_id(text, 6, 30) {
        return Err(refuse(
            field,
            text,
            "a Google Cloud project id (6–30 lowercase letters, digits and hyphens, starting \
             with a letter, not ending with a hyphen)",
        ));
    }
    if let Some(word) = ["google", "null", "undefined", "ssl"]
        .into_iter()
        .find(|word| text.contains(word))
    {
        return Err(InputError::new(
            field,
            format!("`{text}` holds `{word}`, which project ids may not"),
        ));
    }
    Ok(())
}

/// A project number: `123456789012`.
pub fn check_project_number(field: &str, text: &str) -> Result<(), InputError> {
    let valid = (1..=19).contains(&text.len())
        && !text.starts_with('0')
        && text.bytes().all(|b| b.is_ascii_digit());
    if valid {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "a Google Cloud project number (digits, as `gcloud projects describe` shows it)",
    ))
}

/// A secret's short name: letters, digits, '_' and '-' (what a secret id
/// allows; also a Kubernetes Secret key), at most 100.
pub fn check_secret(field: &str, text: &str) -> Result<(), InputError> {
    let valid = (1..=100).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if valid {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "a secret name (letters, digits, '_' and '-', at most 100; Secret Manager ids allow no \
         other character)",
    ))
}

/// A whole secret id, as Secret Manager checks it.
pub fn is_secret_id(text: &str) -> bool {
    (1..=255).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// A workload identity pool id or a pool provider id.
pub fn check_pool_id(field: &str, text: &str) -> Result<(), InputError> {
    if is_lower_id(text, 4, 32) && !text.starts_with("gcp-") {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "a workload identity pool id (4–32 lowercase letters, digits and hyphens, starting \
         with a letter, not ending with a hyphen, not starting with `gcp-`)",
    ))
}

/// A user-managed service account's email:
/// `<account id>@<project id>.iam.gserviceaccount.com`.
pub fn check_service_account(field: &str, text: &str) -> Result<(), InputError> {
    let valid = text.split_once('@').is_some_and(|(account, domain)| {
        is_lower_id(account, 6, 30)
            && domain
                .strip_suffix(".iam.gserviceaccount.com")
                .is_some_and(|project| check_project_id("", project).is_ok())
    });
    if valid {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "a service account email `<name>@<project id>.iam.gserviceaccount.com`",
    ))
}

/// A GKE cluster name.
pub fn check_cluster(field: &str, text: &str) -> Result<(), InputError> {
    if is_lower_id(text, 1, 40) {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "a GKE cluster name (1–40 lowercase letters, digits and hyphens, starting with a \
         letter, not ending with a hyphen)",
    ))
}

/// A region, `europe-west1`: letters, a hyphen, letters and one or two digits.
pub fn is_region(text: &str) -> bool {
    let Some((area, place)) = text.split_once('-') else {
        return false;
    };
    let letters = place.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = place.len() - letters.len();
    !area.is_empty()
        && area.bytes().all(|b| b.is_ascii_lowercase())
        && !letters.is_empty()
        && letters.bytes().all(|b| b.is_ascii_lowercase())
        && (1..=2).contains(&digits)
        && text.len() <= 30
}

/// A region for Secret Manager's user-managed replication.
pub fn check_region(field: &str, text: &str) -> Result<(), InputError> {
    if is_region(text) {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "a Google Cloud region like `europe-west1`",
    ))
}

/// A cluster's location: a region, or a zone (`europe-west1-b`).
pub fn check_location(field: &str, text: &str) -> Result<(), InputError> {
    let zone = text.rsplit_once('-').is_some_and(|(region, zone)| {
        is_region(region) && zone.len() == 1 && zone.bytes().all(|b| b.is_ascii_lowercase())
    });
    if is_region(text) || zone {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "a GKE cluster location, a region like `europe-west1` or a zone like `europe-west1-b`",
    ))
}

/// A Pub/Sub topic id.
pub fn check_topic(field: &str, text: &str) -> Result<(), InputError> {
    let valid = (3..=255).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_alphabetic())
        && !text.to_ascii_lowercase().starts_with("goog")
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'));
    if valid {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "a Pub/Sub topic id (3–255 letters, digits and `-_.~`, starting with a letter, not \
         with `goog`)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_ids_and_numbers_follow_resource_manager() {
        for good in ["acme-prod", "a12345", &format!("a{}", "b".repeat(29))] {
            assert!(check_project_id("/p", good).is_ok(), "{good}");
        }
        for bad in [
            "acme",
            "Acme-prod",
            "1acme-prod",
            "acme-prod-",
            "acme_prod",
            "example.com:acme",
            "my-google-project",
            "acme-ssl-prod",
            &format!("a{}", "b".repeat(30)),
            "acme-prod\n",
            "",
        ] {
            assert!(check_project_id("/p", bad).is_err(), "{bad}");
        }
        assert!(check_project_number("/n", "123456789012").is_ok());
        for bad in ["0123", "", "12a", "-1", "12345678901234567890"] {
            assert!(check_project_number("/n", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secret_pool_and_account_names_admit_no_separator() {
        for good in ["db-creds", "API_KEY", "x"] {
            assert!(check_secret("/s", good).is_ok(), "{good}");
        }
        for bad in ["", "a.b", "a/b", "a b", "a:b", "*", "é", &"s".repeat(101)] {
            assert!(check_secret("/s", bad).is_err(), "{bad}");
        }
        assert!(is_secret_id(&"s".repeat(255)) && !is_secret_id(&"s".repeat(256)));
        for good in ["payment-ci", "gh01"] {
            assert!(check_pool_id("/w", good).is_ok(), "{good}");
        }
        for bad in [
            "abc",
            "gcp-pool",
            "Pool",
            "pool-",
            "1pool",
            "a_pool",
            &"p".repeat(33),
        ] {
            assert!(check_pool_id("/w", bad).is_err(), "{bad}");
        }
        assert!(check_service_account("/a", "rotator@acme-prod.iam.gserviceaccount.com").is_ok());
        for bad in [
            "rot@acme-prod.iam.gserviceaccount.com",
            "rotator@acme-prod.iam.gserviceaccount.com.evil",
            "rotator@acme_prod.iam.gserviceaccount.com",
            "rotator@acme-prod.iam.gserviceaccount.com,user:x@y.z",
            "user:rotator@acme-prod.iam.gserviceaccount.com",
            "rotator",
        ] {
            assert!(check_service_account("/a", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn clusters_locations_and_topics() {
        assert!(check_cluster("/c", "prod-eu").is_ok());
        for bad in ["", "Prod", "prod-", "-prod", "prod_eu", &"c".repeat(41)] {
            assert!(check_cluster("/c", bad).is_err(), "{bad}");
        }
        for good in [
            "europe-west1",
            "us-central1",
            "europe-west1-b",
            "asia-southeast2-a",
        ] {
            assert!(check_location("/l", good).is_ok(), "{good}");
        }
        for bad in [
            "europe",
            "europe-west",
            "europe-west1-bb",
            "europe-west1/",
            "us-*1",
            "",
        ] {
            assert!(check_location("/l", bad).is_err(), "{bad}");
        }
        assert!(check_region("/r", "europe-west1-b").is_err());
        for good in ["secret-rotation", "rot.a~b_c"] {
            assert!(check_topic("/t", good).is_ok(), "{good}");
        }
        for bad in ["ab", "google-x", "Goog", "1topic", "a/b", "a%2f", "a+b"] {
            assert!(check_topic("/t", bad).is_err(), "{bad}");
        }
    }
}
