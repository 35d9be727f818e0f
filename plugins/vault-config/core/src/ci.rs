//! JWT roles for CI issuers: GitHub Actions, GitLab CI, HCP Terraform and any
//! other OIDC issuer. Each provider's options become the claims its tokens
//! carry (GitHub `repository`/`ref`; GitLab `project_path`, `ref`,
//! `ref_type`, `ref_protected`; HCP Terraform a `sub` glob), every value
//! checked so that nothing a caller gives can widen the binding: no `*`
//! where values are globs except the one the provider's form puts there, no
//! `:` inside a Terraform name (it would shift the `sub` fields), no control
//! characters, no Terraform interpolation.

use crate::auth::MethodDetails;
use crate::error::InputError;
use crate::names::{NameKind, check_name, check_token};
use crate::request::{CiProvider, GitlabRefType, JwtOptions, TerraformRunPhase};
use crate::values::{check_branch, check_claim, check_git_ref, check_repository};

/// The issuer each provider signs with (`iss`), for the mount's config.
fn default_issuer(provider: CiProvider) -> Option<&'static str> {
    match provider {
        CiProvider::Github => Some("https://token.actions.githubusercontent.com"),
        CiProvider::Gitlab => Some("https://gitlab.com"),
        CiProvider::Terraform => Some("https://app.terraform.io"),
        CiProvider::Generic => None,
    }
}

/// The issuer of a validated request.
pub(crate) fn issuer(options: &JwtOptions) -> String {
    options
        .issuer
        .clone()
        .or_else(|| default_issuer(options.provider).map(str::to_owned))
        .unwrap_or_default()
}

/// The options each provider takes, for refusing the others by name.
fn takes(provider: CiProvider, field: &str) -> bool {
    let own: &[&str] = match provider {
        CiProvider::Github => &["repository", "ref"],
        CiProvider::Gitlab => &["project_path", "ref", "ref_type", "ref_protected"],
        CiProvider::Terraform => &["organization", "project", "workspace", "run_phase"],
        CiProvider::Generic => &["bound_subject", "bound_claims"],
    };
    own.contains(&field)
}

/// The validated role details.
pub(crate) fn jwt_role(
    options: &JwtOptions,
    warnings: &mut Vec<String>,
) -> Result<MethodDetails, InputError> {
    let provider = options.provider;
    let given = [
        ("repository", options.repository.is_some()),
        ("ref", options.git_ref.is_some()),
        ("project_path", options.project_path.is_some()),
        ("ref_type", options.ref_type.is_some()),
        ("ref_protected", options.ref_protected.is_some()),
        ("organization", options.organization.is_some()),
        ("project", options.project.is_some()),
        ("workspace", options.workspace.is_some()),
        ("run_phase", options.run_phase.is_some()),
        ("bound_subject", options.bound_subject.is_some()),
        ("bound_claims", !options.bound_claims.is_empty()),
    ];
    if let Some((field, _)) = given
        .iter()
        .find(|(field, set)| *set && !takes(provider, field))
    {
        return Err(InputError::new(
            format!("/jwt/{field}"),
            format!(
                "`{field}` is not an option of provider {}; it would bind nothing",
                provider.as_str()
            ),
        ));
    }
    check_token("/jwt/audience", &options.audience, 256)?;
    // The issuer goes into a command line (see [`issuer`]): checked here.
    match (&options.issuer, default_issuer(provider)) {
        (Some(issuer), _) => {
            check_token("/jwt/issuer", issuer, 2048)?;
            if !issuer.starts_with("https://") || issuer.len() <= "https://".len() {
                return Err(InputError::new(
                    "/jwt/issuer",
                    format!("`{issuer}` must be an https:// URL (the token's `iss`)"),
                ));
            }
        }
        (None, Some(_)) => {}
        (None, None) => {
            return Err(InputError::new(
                "/jwt/issuer",
                "a generic issuer needs `issuer`, the https:// URL its tokens carry as `iss`",
            ));
        }
    }
    let required = |field: &str, value: &Option<String>| -> Result<String, InputError> {
        value.clone().ok_or_else(|| {
            InputError::new(
                format!("/jwt/{field}"),
                format!("provider {} needs `{field}`", provider.as_str()),
            )
        })
    };
    let (bound_claims_type, bound_subject, bound_claims, default_user_claim) = match provider {
        CiProvider::Github => {
            let repository = required("repository", &options.repository)?;
            check_repository("/jwt/repository", &repository)?;
            let mut claims = vec![("repository".to_owned(), vec![repository])];
            match &options.git_ref {
                Some(git_ref) => {
                    check_git_ref("/jwt/ref", git_ref)?;
                    claims.push(("ref".into(), vec![git_ref.clone()]));
                }
                None => warnings.push(
                    "jwt: without `ref`, any branch of the repository can log in; bind a ref"
                        .into(),
                ),
            }
            ("string", None, claims, "repository")
        }
        CiProvider::Gitlab => {
            let project_path = required("project_path", &options.project_path)?;
            check_name("/jwt/project_path", &project_path, NameKind::Mount)?;
            if !project_path.contains('/') {
                return Err(InputError::new(
                    "/jwt/project_path",
                    format!("`{project_path}` is not a full project path `group/project`"),
                ));
            }
            let mut claims = vec![("project_path".to_owned(), vec![project_path])];
            if let Some(git_ref) = &options.git_ref {
                check_branch("/jwt/ref", git_ref)?;
                claims.push(("ref".into(), vec![git_ref.clone()]));
            }
            if let Some(ref_type) = options.ref_type {
                let text = match ref_type {
                    GitlabRefType::Branch => "branch",
                    GitlabRefType::Tag => "tag",
                };
                claims.push(("ref_type".into(), vec![text.into()]));
            }
            // GitLab writes the claim as the string "true" or "false".
            if options.ref_protected.unwrap_or(true) {
                claims.push(("ref_protected".into(), vec!["true".into()]));
            } else if options.git_ref.is_none() {
                warnings.push(
                    "jwt: neither `ref` nor `ref_protected`: any branch of the project, \
                     including one a developer just pushed, can log in"
                        .into(),
                );
            }
            ("string", None, claims, "project_path")
        }
        CiProvider::Terraform => {
            let organization = required("organization", &options.organization)?;
            let project = required("project", &options.project)?;
            let workspace = required("workspace", &options.workspace)?;
            check_terraform_name("/jwt/organization", &organization, false)?;
            check_terraform_name("/jwt/project", &project, true)?;
            check_terraform_name("/jwt/workspace", &workspace, false)?;
            let phase = match options.run_phase {
                Some(TerraformRunPhase::Plan) => "plan",
                Some(TerraformRunPhase::Apply) => "apply",
                None => "*",
            };
            let sub = format!(
                "organization:{organization}:project:{project}:workspace:{workspace}:run_phase:{phase}"
            );
            (
                "glob",
                None,
                vec![("sub".to_owned(), vec![sub])],
                "terraform_full_workspace",
            )
        }
        CiProvider::Generic => {
            let subject = match &options.bound_subject {
                Some(subject) => {
                    check_value("/jwt/bound_subject", subject)?;
                    Some(subject.clone())
                }
                None => None,
            };
            let mut claims = Vec::new();
            for (claim, values) in &options.bound_claims {
                let field = format!("/jwt/bound_claims/{claim}");
                check_claim(&field, claim)?;
                if values.is_empty() {
                    return Err(InputError::new(field, "name at least one accepted value"));
                }
                for (index, value) in values.iter().enumerate() {
                    let field = format!("{field}/{index}");
                    check_value(&field, value)?;
                    if value.chars().all(|c| c == '*') {
                        return Err(InputError::new(
                            field,
                            "a value of only `*` matches every token: it binds nothing",
                        ));
                    }
                }
                claims.push((claim.clone(), values.clone()));
            }
            let binds = claims
                .iter()
                .any(|(_, values)| values.iter().all(|v| !v.starts_with('*')));
            if subject.is_none() && !binds {
                return Err(InputError::new(
                    "/jwt/bound_claims",
                    "bind the caller: give `bound_subject`, or a bound claim whose values do \
                     not start with `*`; otherwise any token of the issuer logs in",
                ));
            }
            ("glob", subject, claims, "sub")
        }
    };
    let user_claim = options
        .user_claim
        .clone()
        .unwrap_or_else(|| default_user_claim.to_owned());
    check_claim("/jwt/user_claim", &user_claim)?;
    let mut claim_mappings = Vec::new();
    for (claim, key) in &options.claim_mappings {
        let field = format!("/jwt/claim_mappings/{claim}");
        check_claim(&field, claim)?;
        check_claim(&field, key)?;
        claim_mappings.push((claim.clone(), key.clone()));
    }
    Ok(MethodDetails::Jwt {
        audience: options.audience.clone(),
        user_claim,
        bound_claims_type,
        bound_subject,
        bound_claims,
        claim_mappings,
    })
}

/// An HCP Terraform organization, project or workspace name: letters,
/// digits, `-`, `_` (projects also inner spaces), at most 90 bytes. A `:` would
/// shift the fields of `sub`, a `*` would widen the glob.
fn check_terraform_name(field: &str, text: &str, spaces: bool) -> Result<(), InputError> {
    let allowed =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_') || (spaces && c == ' ');
    if let Some(c) = text.chars().find(|c| !allowed(*c)) {
        return Err(InputError::new(
            field,
            format!(
                "{:?} is not allowed in an HCP Terraform name (letters, digits, '-', '_'{}): \
                 in the `sub` glob it could widen or shift the binding",
                c,
                if spaces { ", inner spaces" } else { "" }
            ),
        ));
    }
    if text.is_empty() || text.len() > 90 || text.starts_with(' ') || text.ends_with(' ') {
        return Err(InputError::new(
            field,
            "must be 1 to 90 bytes, without leading or trailing spaces",
        ));
    }
    Ok(())
}

/// A claim value for the generic form: printable, bounded, no quote or
/// backslash, no Terraform interpolation (`${`, `%{`).
fn check_value(field: &str, text: &str) -> Result<(), InputError> {
    if text.is_empty() || text.len() > 512 {
        return Err(InputError::new(field, "must be 1 to 512 bytes"));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() || matches!(c, '"' | '\\' | '\''))
    {
        return Err(InputError::new(
            field,
            format!("{c:?} is not allowed in a claim value"),
        ));
    }
    if text.contains("${") || text.contains("%{") {
        return Err(InputError::new(
            field,
            "`${` and `%{` would be read as Terraform interpolation",
        ));
    }
    Ok(())
}
