//! Auth-method roles: the JSON payload the server's role endpoint takes, with
//! current parameter names only (`token_policies`, `token_ttl`,
//! `token_max_ttl`, never `policies`/`ttl`/`max_ttl`).

use serde_json::{Value, json};

use crate::request::AuthMethod;
use crate::values::Ttl;

/// Everything a role needs, validated.
#[derive(Debug, Clone)]
pub(crate) struct RoleSpec {
    pub token_ttl: Ttl,
    pub token_max_ttl: Ttl,
    pub token_bound_cidrs: Vec<String>,
    pub details: MethodDetails,
}

#[derive(Debug, Clone)]
pub(crate) enum MethodDetails {
    AppRole {
        secret_id_ttl: Ttl,
        secret_id_num_uses: u32,
        secret_id_bound_cidrs: Vec<String>,
        wrap_ttl: Ttl,
    },
    Kubernetes {
        service_account: String,
        namespace: String,
        audience: Option<String>,
    },
    Oidc {
        client_id: String,
        redirect_uris: Vec<String>,
        user_claim: String,
    },
    /// A CI role: what the token must carry, already in the server's terms.
    Jwt {
        audience: String,
        user_claim: String,
        /// `string` (exact) or `glob` (`*` anywhere).
        bound_claims_type: &'static str,
        bound_subject: Option<String>,
        /// Claim to accepted value(s), in a fixed order.
        bound_claims: Vec<(String, Vec<String>)>,
        claim_mappings: Vec<(String, String)>,
    },
}

/// The OIDC scopes the old tool asked for; `openid` is what makes it OIDC.
pub(crate) const OIDC_SCOPES: [&str; 3] = ["openid", "profile", "email"];

impl RoleSpec {
    /// The role's JSON payload for `auth/<mount>/role/<name>`; keys in a fixed order.
    pub fn payload(&self, policy: &str) -> Value {
        let mut map = serde_json::Map::new();
        let mut put = |key: &str, value: Value| {
            map.insert(key.to_owned(), value);
        };
        match &self.details {
            MethodDetails::AppRole {
                secret_id_ttl,
                secret_id_num_uses,
                secret_id_bound_cidrs,
                ..
            } => {
                put("bind_secret_id", json!(true));
                put("secret_id_ttl", json!(secret_id_ttl.canonical()));
                put("secret_id_num_uses", json!(secret_id_num_uses));
                if !secret_id_bound_cidrs.is_empty() {
                    put("secret_id_bound_cidrs", json!(secret_id_bound_cidrs));
                }
            }
            MethodDetails::Kubernetes {
                service_account,
                namespace,
                audience,
            } => {
                put("bound_service_account_names", json!([service_account]));
                put("bound_service_account_namespaces", json!([namespace]));
                if let Some(audience) = audience {
                    put("audience", json!(audience));
                }
            }
            MethodDetails::Oidc {
                client_id,
                redirect_uris,
                user_claim,
            } => {
                put("role_type", json!("oidc"));
                put("bound_audiences", json!([client_id]));
                put("allowed_redirect_uris", json!(redirect_uris));
                put("user_claim", json!(user_claim));
                put("oidc_scopes", json!(OIDC_SCOPES));
            }
            MethodDetails::Jwt {
                audience,
                user_claim,
                bound_claims_type,
                bound_subject,
                bound_claims,
                claim_mappings,
            } => {
                put("role_type", json!("jwt"));
                put("bound_audiences", json!([audience]));
                put("user_claim", json!(user_claim));
                if let Some(subject) = bound_subject {
                    put("bound_subject", json!(subject));
                }
                if !bound_claims.is_empty() {
                    put("bound_claims_type", json!(bound_claims_type));
                    let claims = bound_claims
                        .iter()
                        .map(|(claim, values)| {
                            let value = match values.as_slice() {
                                [one] => json!(one),
                                many => json!(many),
                            };
                            (claim.clone(), value)
                        })
                        .collect();
                    put("bound_claims", Value::Object(claims));
                }
                if !claim_mappings.is_empty() {
                    let mappings = claim_mappings
                        .iter()
                        .map(|(claim, key)| (claim.clone(), json!(key)))
                        .collect();
                    put("claim_mappings", Value::Object(mappings));
                }
            }
        }
        put("token_policies", json!([policy]));
        put("token_ttl", json!(self.token_ttl.canonical()));
        put("token_max_ttl", json!(self.token_max_ttl.canonical()));
        if !self.token_bound_cidrs.is_empty() {
            put("token_bound_cidrs", json!(self.token_bound_cidrs));
        }
        Value::Object(map)
    }

    /// The defaults of the old tool, per method: (token_ttl, token_max_ttl).
    pub fn default_ttls(method: AuthMethod) -> (&'static str, &'static str) {
        match method {
            AuthMethod::Approle | AuthMethod::Kubernetes => ("1h", "4h"),
            AuthMethod::Oidc => ("8h", "12h"),
            // A CI job needs minutes, not hours.
            AuthMethod::Jwt => ("15m", "1h"),
        }
    }
}
