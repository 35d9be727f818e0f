//! AWS's own naming rules, checked before any name reaches a policy, an ARN,
//! a manifest or a command. Where AWS allows more than is safe in an ARN
//! (`*` and `?` are IAM wildcards; `:` separates ARN fields), the narrower
//! rule is the one documented here.
//!
//! Sources: Secrets Manager `CreateSecret` (names: 1–512 of
//! `A-Za-z0-9/_+=.@-`; "do not end your secret name with a hyphen followed by
//! six characters", which Secrets Manager reads as an ARN suffix), IAM
//! `CreateRole` (role names: 1–64 of `\w+=,.@-`; paths `/…/`), EKS
//! `CreateCluster` (names: `^[0-9A-Za-z][A-Za-z0-9\-_]*`, 1–100), KMS key ids
//! (UUIDs; `mrk-` and 32 hex digits for multi-Region keys), EC2 VPC endpoint ids.

use provider_glue::InputError;
use provider_glue::error::shown;

use crate::request::Partition;

fn refuse(field: &str, text: &str, what: &str) -> InputError {
    InputError::new(field, format!("`{}` is not {what}", shown(text)))
}

/// A 12-digit account id.
pub fn check_account(field: &str, text: &str) -> Result<(), InputError> {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err(refuse(field, text, "a 12-digit AWS account id"))
}

/// A region code of `partition`: `eu-west-1`, `us-gov-west-1`, `cn-north-1`.
pub fn check_region(field: &str, text: &str, partition: Partition) -> Result<(), InputError> {
    let parts: Vec<&str> = text.split('-').collect();
    let lower = |part: &&str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase());
    let shaped = match parts.as_slice() {
        [area, place, number] => lower(area) && lower(place) && is_small_number(number),
        [area, "gov", place, number] => *area == "us" && lower(place) && is_small_number(number),
        _ => false,
    } && text.len() <= 25;
    if !shaped {
        return Err(refuse(field, text, "an AWS region code like `eu-west-1`"));
    }
    let region_partition = if text.starts_with("cn-") {
        Partition::AwsCn
    } else if text.starts_with("us-gov-") {
        Partition::AwsUsGov
    } else {
        Partition::Aws
    };
    if region_partition != partition {
        return Err(InputError::new(
            field,
            format!(
                "region `{text}` belongs to the partition `{}`, not `{}`",
                region_partition.as_str(),
                partition.as_str()
            ),
        ));
    }
    Ok(())
}

fn is_small_number(text: &str) -> bool {
    (1..=2).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// A secret's short name: letters, digits, '.', '_', '-' (also a Kubernetes
/// Secret key), not `.` or `..`, and not ending in a hyphen and six characters.
pub fn check_secret(field: &str, text: &str) -> Result<(), InputError> {
    let charset = !text.is_empty()
        && text.len() <= 128
        && text != "."
        && text != ".."
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !charset {
        return Err(refuse(
            field,
            text,
            "a secret name (letters, digits, '.', '_', '-'; at most 128)",
        ));
    }
    if looks_suffixed(text) {
        return Err(InputError::new(
            field,
            format!(
                "`{text}` ends with a hyphen and six characters, which Secrets Manager reads as \
                 the random suffix of an ARN; rename it"
            ),
        ));
    }
    Ok(())
}

/// Whether `name` ends like an ARN's random suffix: `-` and six characters.
fn looks_suffixed(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 7 && bytes[bytes.len() - 7] == b'-'
}

/// The random suffix Secrets Manager appends: six letters or digits.
pub fn is_suffix(text: &str) -> bool {
    text.len() == 6 && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A KMS key id: a UUID, or a multi-Region key id (`mrk-` and 32 hex digits).
pub fn check_kms_key_id(field: &str, text: &str) -> Result<(), InputError> {
    let hex = |part: &str, len: usize| {
        part.len() == len
            && part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let uuid = {
        let parts: Vec<&str> = text.split('-').collect();
        parts.len() == 5 && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| hex(p, n))
    };
    let multi_region = text.strip_prefix("mrk-").is_some_and(|rest| hex(rest, 32));
    if uuid || multi_region {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "a KMS key id (a lowercase UUID, or `mrk-` and 32 hex digits); give the id, not an alias",
    ))
}

/// An EKS cluster name.
pub fn check_cluster(field: &str, text: &str) -> Result<(), InputError> {
    let valid = (1..=100).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if valid {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "an EKS cluster name (letters, digits, '-', '_'; starting with a letter or digit; at most 100)",
    ))
}

/// An EKS cluster's OIDC issuer without its scheme:
/// `oidc.eks.<region>.<dns suffix>/id/<32 uppercase hex digits>`, in `region`.
pub fn check_oidc_issuer(
    field: &str,
    text: &str,
    region: &str,
    partition: Partition,
) -> Result<(), InputError> {
    let prefix = format!("oidc.eks.{region}.{}/id/", partition.dns_suffix());
    let id_ok = |id: &str| {
        id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    };
    if text.strip_prefix(&prefix).is_some_and(id_ok) {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        &format!("this cluster's OIDC issuer, `{prefix}<32 characters>` without `https://`"),
    ))
}

/// A VPC endpoint id: `vpce-` and 8 or 17 hex digits.
pub fn check_vpc_endpoint(field: &str, text: &str) -> Result<(), InputError> {
    let valid = text.strip_prefix("vpce-").is_some_and(|id| {
        matches!(id.len(), 8 | 17)
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if valid {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "a VPC endpoint id like `vpce-0123456789abcdef0`",
    ))
}

/// An IAM role name: 1–64 of letters, digits and `+=,.@_-`.
pub fn check_role_name(field: &str, text: &str) -> Result<(), InputError> {
    if is_iam_name(text, 64) {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        "an IAM role name (letters, digits, '+=,.@_-'; at most 64)",
    ))
}

fn is_iam_name(text: &str, most: usize) -> bool {
    (1..=most).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// The ARN of an IAM role in `account` of `partition`, with an optional path:
/// `arn:aws:iam::111122223333:role/path/name`.
pub fn check_role_arn(
    field: &str,
    text: &str,
    partition: Partition,
    account: &str,
) -> Result<(), InputError> {
    let prefix = format!("arn:{}:iam::{account}:role/", partition.as_str());
    let valid = text.strip_prefix(&prefix).is_some_and(|rest| {
        let mut segments: Vec<&str> = rest.split('/').collect();
        let name = segments.pop().unwrap_or_default();
        is_iam_name(name, 64)
            && rest.len() <= 512
            && segments.iter().all(|segment| is_iam_name(segment, 512))
    });
    if valid {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        &format!("the ARN of an IAM role of this account, `{prefix}<name>`"),
    ))
}

/// The ARN of a Lambda function in `region` and `account`:
/// `arn:aws:lambda:eu-west-1:111122223333:function:<name>`.
pub fn check_lambda_arn(
    field: &str,
    text: &str,
    partition: Partition,
    region: &str,
    account: &str,
) -> Result<(), InputError> {
    let prefix = format!(
        "arn:{}:lambda:{region}:{account}:function:",
        partition.as_str()
    );
    let valid = text.strip_prefix(&prefix).is_some_and(|name| {
        (1..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    });
    if valid {
        return Ok(());
    }
    Err(refuse(
        field,
        text,
        &format!("the ARN of a Lambda function of this account and region, `{prefix}<name>`"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_belong_to_their_partition() {
        for (region, partition) in [
            ("eu-west-1", Partition::Aws),
            ("ap-southeast-4", Partition::Aws),
            ("us-gov-west-1", Partition::AwsUsGov),
            ("cn-north-1", Partition::AwsCn),
        ] {
            assert!(check_region("/r", region, partition).is_ok(), "{region}");
        }
        for bad in [
            "eu-west",
            "EU-west-1",
            "eu-west-1a",
            "eu_west_1",
            "eu-west-1/",
            "eu-*-1",
            "",
        ] {
            assert!(check_region("/r", bad, Partition::Aws).is_err(), "{bad}");
        }
        assert!(check_region("/r", "cn-north-1", Partition::Aws).is_err());
    }

    #[test]
    fn secret_names_admit_no_wildcard_separator_or_suffix_lookalike() {
        for good in ["db-creds", "api.key", "A_1", "db-creds-v2"] {
            assert!(check_secret("/s", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a*",
            "a?",
            "a:b",
            "a b",
            "db-AbCdEf",
            "x-123456",
        ] {
            assert!(check_secret("/s", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_and_arns_are_exact() {
        assert!(check_account("/a", "111122223333").is_ok());
        for bad in ["11112222333", "1111222233334", "11112222333a", "*"] {
            assert!(check_account("/a", bad).is_err(), "{bad}");
        }
        assert!(check_kms_key_id("/k", "1234abcd-12ab-34cd-56ef-1234567890ab").is_ok());
        assert!(check_kms_key_id("/k", "mrk-1234abcd12ab34cd56ef1234567890ab").is_ok());
        for bad in [
            "alias/aws/secretsmanager",
            "*",
            "1234ABCD-12ab-34cd-56ef-1234567890ab",
        ] {
            assert!(check_kms_key_id("/k", bad).is_err(), "{bad}");
        }
        let issuer = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
        assert!(check_oidc_issuer("/o", issuer, "eu-west-1", Partition::Aws).is_ok());
        assert!(check_oidc_issuer("/o", issuer, "us-east-1", Partition::Aws).is_err());
        assert!(
            check_oidc_issuer(
                "/o",
                &format!("https://{issuer}"),
                "eu-west-1",
                Partition::Aws
            )
            .is_err()
        );
        let role = "arn:aws:iam::111122223333:role/service/rotator";
        assert!(check_role_arn("/r", role, Partition::Aws, "111122223333").is_ok());
        for bad in [
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:iam::444455556666:role/x",
            "arn:aws:iam::111122223333:user/x",
            "arn:aws:iam::111122223333:role/a//b",
        ] {
            assert!(
                check_role_arn("/r", bad, Partition::Aws, "111122223333").is_err(),
                "{bad}"
            );
        }
        let lambda = "arn:aws:lambda:eu-west-1:111122223333:function:rotate-db";
        assert!(
            check_lambda_arn("/l", lambda, Partition::Aws, "eu-west-1", "111122223333").is_ok()
        );
        assert!(
            check_lambda_arn(
                "/l",
                "arn:aws:lambda:eu-west-1:111122223333:function:x:1",
                Partition::Aws,
                "eu-west-1",
                "111122223333"
            )
            .is_err()
        );
        assert!(check_vpc_endpoint("/v", "vpce-0123456789abcdef0").is_ok());
        assert!(check_vpc_endpoint("/v", "vpce-*").is_err());
        assert!(check_cluster("/c", "prod_cluster-1").is_ok());
        assert!(check_cluster("/c", "-x").is_err());
    }
}
