//! The IAM condition put on every grant when a time window is asked for: CEL
//! on `request.time`, which Secret Manager evaluates for
//! `secretmanager.versions.access` ("IAM Conditions" attribute reference:
//! `request.time` is supported for all services; timestamps compare with
//! `<` and `>=`). The expression is built from checked timestamps only.

use provider_glue::{InputError, error::shown};
use provider_glue::{cel, time};
use schemars::JsonSchema;
use serde::Serialize;

use crate::request::Condition;

/// An IAM condition as policies, `gcloud --condition-from-file` and
/// Terraform's `condition` block take it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct IamCondition {
    pub title: String,
    pub description: String,
    pub expression: String,
}

/// The condition for `window`; a window must name at least one bound.
pub fn build(window: &Condition) -> Result<IamCondition, InputError> {
    if let Some(at) = &window.not_before {
        time::check_timestamp("/condition/not_before", at)?;
    }
    if let Some(at) = &window.expires_at {
        time::check_timestamp("/condition/expires_at", at)?;
    }
    let (title, description, parts) = match (&window.not_before, &window.expires_at) {
        (None, None) => {
            return Err(InputError::new(
                "/condition",
                "give `expires_at`, `not_before` or both",
            ));
        }
        // Same-shaped UTC timestamps order as text does.
        (Some(start), Some(end)) if start >= end => {
            return Err(InputError::new(
                "/condition/expires_at",
                format!(
                    "`{}` is not after not_before `{}`",
                    shown(end),
                    shown(start)
                ),
            ));
        }
        (Some(start), Some(end)) => (
            "time-bound access",
            format!("from {start} until {end} (UTC)"),
            vec![
                format!("request.time >= {}", cel::timestamp(start)),
                format!("request.time < {}", cel::timestamp(end)),
            ],
        ),
        (Some(start), None) => (
            "access from a date",
            format!("from {start} (UTC)"),
            vec![format!("request.time >= {}", cel::timestamp(start))],
        ),
        (None, Some(end)) => (
            "expiring access",
            format!("until {end} (UTC)"),
            vec![format!("request.time < {}", cel::timestamp(end))],
        ),
    };
    Ok(IamCondition {
        title: title.to_owned(),
        description,
        expression: cel::all(&parts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(not_before: Option<&str>, expires_at: Option<&str>) -> Condition {
        Condition {
            not_before: not_before.map(str::to_owned),
            expires_at: expires_at.map(str::to_owned),
        }
    }

    #[test]
    fn windows_become_cel_on_request_time() {
        let expiring = build(&window(None, Some("2027-01-01T00:00:00Z"))).unwrap();
        assert_eq!(
            expiring.expression,
            "request.time < timestamp(\"2027-01-01T00:00:00Z\")"
        );
        let both = build(&window(
            Some("2026-12-01T00:00:00Z"),
            Some("2027-01-01T00:00:00Z"),
        ))
        .unwrap();
        assert_eq!(
            both.expression,
            "request.time >= timestamp(\"2026-12-01T00:00:00Z\") && request.time < timestamp(\"2027-01-01T00:00:00Z\")"
        );
    }

    #[test]
    fn empty_inverted_or_malformed_windows_are_refused() {
        assert_eq!(build(&window(None, None)).unwrap_err().field, "/condition");
        let inverted = window(Some("2027-01-01T00:00:00Z"), Some("2026-01-01T00:00:00Z"));
        assert_eq!(build(&inverted).unwrap_err().field, "/condition/expires_at");
        let injected = window(None, Some("2027-01-01T00:00:00Z\") || true || (\""));
        assert_eq!(build(&injected).unwrap_err().field, "/condition/expires_at");
    }
}
