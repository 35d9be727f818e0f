//! Turns an incident into ordered steps: who does what, by when, with which
//! command. Only validated values reach here; commands are argument vectors.

use crate::blast::BlastRadius;
use crate::command::Command;
use crate::input::{Incident, IncidentKind, SecretKind, UnsealMode};
use crate::severity::Phase;

/// Owner roles, named once so the checklist reads consistently.
pub const COMMANDER: &str = "incident commander";
pub const PLATFORM: &str = "secrets-platform on-call";
pub const SERVICE: &str = "service owner";
pub const CLOUD: &str = "cloud on-call";
pub const SECURITY: &str = "security";

/// A step before deadlines are attached.
#[derive(Debug, Clone)]
pub struct Draft {
    pub phase: Phase,
    pub title: String,
    pub owner: &'static str,
    pub commands: Vec<Command>,
    pub note: Option<String>,
}

struct Builder<'a, L> {
    incident: &'a Incident<L>,
    blast_radius: Option<&'a BlastRadius>,
    steps: Vec<Draft>,
}

impl<L> Builder<'_, L> {
    fn vault<S: Into<String>>(&self, args: impl IntoIterator<Item = S>) -> Command {
        Command::new(self.incident.cli.program(), args)
    }

    fn step(
        &mut self,
        phase: Phase,
        owner: &'static str,
        title: &str,
        commands: Vec<Command>,
        note: Option<&str>,
    ) {
        self.steps.push(Draft {
            phase,
            title: title.to_owned(),
            owner,
            commands,
            note: note.map(str::to_owned),
        });
    }

    fn revoke_accessors(&mut self) {
        if self.incident.token_accessors.is_empty() {
            return;
        }
        let commands = self
            .incident
            .token_accessors
            .iter()
            .map(|a| self.vault(["token", "revoke", "-accessor", a.as_str()]))
            .collect();
        self.step(
            Phase::Contain,
            PLATFORM,
            "Revoke the tokens by accessor (the token value need not be handled again)",
            commands,
            None,
        );
    }

    fn revoke_prefixes(&mut self) {
        let inc = self.incident;
        let mut commands: Vec<Command> = inc
            .lease_prefixes
            .iter()
            .map(|p| self.vault(["lease", "revoke", "-prefix", p.trim_end_matches('/')]))
            .collect();
        commands.extend(inc.auth_mounts.iter().map(|m| {
            let prefix = format!("auth/{}", m.trim_end_matches('/'));
            self.vault(["lease", "revoke", "-prefix", prefix.as_str()])
        }));
        if commands.is_empty() {
            return;
        }
        self.step(
            Phase::Contain,
            PLATFORM,
            "Revoke every lease under the prefixes (auth/<mount> revokes every token of that auth method)",
            commands,
            Some("Needs `sudo` on `sys/leases/revoke-prefix/*`. Keep `-force` for a broken backend only: it drops leases whose credentials could not be revoked. `auth/token/create` covers every token made with `token create`, possibly your own."),
        );
    }

    fn confirm_accessors_dead(&mut self) {
        if self.incident.token_accessors.is_empty() {
            return;
        }
        let commands = self
            .incident
            .token_accessors
            .iter()
            .map(|a| self.vault(["token", "lookup", "-accessor", a.as_str()]))
            .collect();
        self.step(
            Phase::Recover,
            PLATFORM,
            "Confirm each revoked token is dead: the lookup must fail",
            commands,
            None,
        );
    }

    fn audit_hash(&mut self) {
        let inc = self.incident;
        let commands: Vec<Command> = match &inc.audit_device {
            Some(device) => {
                let path = format!("sys/audit-hash/{device}");
                inc.token_accessors
                    .iter()
                    .map(|a| {
                        let input = format!("input={a}");
                        self.vault(["write", "-field=hash", path.as_str(), input.as_str()])
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let note = match inc.secret_kind {
            Some(SecretKind::AwsAccessKey) => {
                "CloudTrail records the key in `userIdentity.accessKeyId`: give the CloudTrail logs of the exposure window as `audit_logs` (the incident's `aws_access_key_id` is the credential matched) and the tool reports the blast radius. Every secret read in the window counts as leaked too."
            }
            Some(SecretKind::GcpServiceAccountKey) => {
                "Cloud Audit Logs record the caller in `authenticationInfo.principalEmail`: give the logs of the exposure window as `audit_logs` (the incident's `gcp_service_account` is the principal matched) and the tool reports the blast radius. Secret reads appear only where Data Access logs are on. Every secret read in the window counts as leaked too."
            }
            Some(SecretKind::AzureClientSecret) => {
                "Key Vault AuditEvent logs record the caller in `identity.claim.appid` and `identity.claim.oid`: give the logs of the exposure window as `audit_logs` (the incident's `azure_app_id` is matched; add `credential.azure_object_id`) and the tool reports the blast radius. Every secret read in the window counts as leaked too."
            }
            _ => {
                "Audit logs hold tokens and accessors as HMACs, one salt per device: compute the HMAC per device with `sys/audit-hash/<device>` and give it as `credential.vault_accessor_hmac` (or `vault_token_hmac`) with `audit_logs`: the tool then matches `auth.accessor`, `auth.client_token` and `request.client_token`, pairs request and response on `request.id`, and reports the blast radius. Every secret read in the window counts as leaked too."
            }
        };
        let note = match self.blast_radius {
            Some(b) => format!(
                "{note} Blast radius: {} accesses in the window ({} succeeded, {} failed) on {} resource/operation groups from {} addresses.",
                b.accesses,
                b.successes,
                b.accesses - b.successes,
                b.groups.len(),
                b.source_addresses.len()
            ),
            None => note.to_owned(),
        };
        self.steps.push(Draft {
            phase: Phase::Assess,
            title: "Find every use of the credential in the audit log over the exposure window"
                .to_owned(),
            owner: SECURITY,
            commands,
            note: Some(note),
        });
        self.rotate_next();
    }

    /// What the blast radius says to rotate next, and where else the credential reached.
    fn rotate_next(&mut self) {
        let Some(b) = self.blast_radius else {
            return;
        };
        if !b.rotate_next.is_empty() {
            self.steps.push(Draft {
                phase: Phase::Assess,
                title: format!(
                    "Rotate next the secrets it read in the window: {}",
                    shortlist(&b.rotate_next)
                ),
                owner: SERVICE,
                commands: Vec::new(),
                note: None,
            });
        }
        let near: Vec<String> = b.adjacent.iter().map(|a| a.prefix.clone()).collect();
        if !near.is_empty() {
            self.steps.push(Draft {
                phase: Phase::Assess,
                title: format!(
                    "Check which other secrets under {} the credential could read, and rotate those it reached",
                    shortlist(&near)
                ),
                owner: SECURITY,
                commands: Vec::new(),
                note: Some("It read, listed or probed these prefixes (see the blast radius); a grant that covers them usually covers their neighbours.".to_owned()),
            });
        }
    }

    fn kv_rotate(&mut self) {
        let inc = self.incident;
        let (Some(mount), Some(path)) = (&inc.kv_mount, &inc.kv_path) else {
            return;
        };
        let mount_flag = format!("-mount={mount}");
        // Validation makes `kv_field` required with a KV path: a field name is never guessed.
        let field = inc.kv_field.as_deref().unwrap_or_default();
        let assignment = format!("{field}=-");
        self.step(
            Phase::Recover,
            SERVICE,
            "Change the credential where it is accepted, then write the new value as a new KV version (read from stdin, never on the command line)",
            vec![
                self.vault(["kv", "patch", mount_flag.as_str(), path.as_str(), assignment.as_str()]),
                self.vault(["kv", "metadata", "get", mount_flag.as_str(), path.as_str()]),
            ],
            Some("Deleting the KV entry does not invalidate the leaked value. The kv CLI adds `data/` itself: give it the path without it."),
        );
    }

    fn leaked(&mut self, kind: SecretKind) {
        let inc = self.incident;
        match kind {
            SecretKind::VaultToken => {}
            SecretKind::ApproleSecretId => {
                let mount = inc.approle_mount.as_deref().unwrap_or("approle");
                if let (Some(role), Some(accessor)) = (&inc.approle_role, &inc.secret_id_accessor) {
                    let path = format!("auth/{mount}/role/{role}/secret-id-accessor/destroy");
                    let arg = format!("secret_id_accessor={accessor}");
                    let command = self.vault(["write", path.as_str(), arg.as_str()]);
                    self.step(
                        Phase::Contain,
                        PLATFORM,
                        "Destroy the leaked secret-id by its accessor",
                        vec![command],
                        None,
                    );
                }
                if let Some(role) = &inc.approle_role {
                    let path = format!("auth/{mount}/role/{role}/secret-id");
                    let command = self.vault(["write", "-wrap-ttl=5m", "-f", path.as_str()]);
                    self.step(
                        Phase::Recover,
                        SERVICE,
                        "Issue a new secret-id, response-wrapped",
                        vec![command],
                        None,
                    );
                }
            }
            SecretKind::AwsAccessKey => {
                if let (Some(key), Some(user)) = (&inc.aws_access_key_id, &inc.aws_user) {
                    let aws = |args: &[&str]| Command::new("aws", args.iter().copied());
                    self.step(
                        Phase::Contain,
                        CLOUD,
                        "Deactivate the leaked access key",
                        vec![aws(&[
                            "iam",
                            "update-access-key",
                            "--user-name",
                            user,
                            "--access-key-id",
                            key,
                            "--status",
                            "Inactive",
                        ])],
                        None,
                    );
                    let lookup = format!("AttributeKey=AccessKeyId,AttributeValue={key}");
                    self.step(
                        Phase::Assess,
                        SECURITY,
                        "List CloudTrail events by the key (above all GetSecretValue)",
                        vec![aws(&[
                            "cloudtrail",
                            "lookup-events",
                            "--lookup-attributes",
                            &lookup,
                        ])],
                        None,
                    );
                    self.step(
                        Phase::Recover,
                        CLOUD,
                        "Issue a replacement key, then delete the leaked one",
                        vec![
                            aws(&["iam", "create-access-key", "--user-name", user]),
                            aws(&[
                                "iam",
                                "delete-access-key",
                                "--user-name",
                                user,
                                "--access-key-id",
                                key,
                            ]),
                        ],
                        None,
                    );
                }
            }
            SecretKind::GcpServiceAccountKey => {
                if let (Some(account), Some(key)) = (&inc.gcp_service_account, &inc.gcp_key_id) {
                    let flag = format!("--iam-account={account}");
                    let gcloud = |args: &[&str]| Command::new("gcloud", args.iter().copied());
                    self.step(
                        Phase::Contain,
                        CLOUD,
                        "Disable the leaked service-account key",
                        vec![gcloud(&[
                            "iam",
                            "service-accounts",
                            "keys",
                            "disable",
                            key,
                            &flag,
                        ])],
                        None,
                    );
                    let filter =
                        format!("protoPayload.authenticationInfo.principalEmail=\"{account}\"");
                    self.step(Phase::Assess, SECURITY, "Read the audit log entries by the service account (AccessSecretVersion is in the Data Access log, off by default)", vec![gcloud(&["logging", "read", &filter])], None);
                    self.step(
                        Phase::Recover,
                        CLOUD,
                        "Create a new key, then delete the leaked one",
                        vec![
                            gcloud(&[
                                "iam",
                                "service-accounts",
                                "keys",
                                "create",
                                "new-key.json",
                                &flag,
                            ]),
                            gcloud(&[
                                "iam",
                                "service-accounts",
                                "keys",
                                "delete",
                                key,
                                &flag,
                                "--quiet",
                            ]),
                        ],
                        None,
                    );
                }
            }
            SecretKind::AzureClientSecret => {
                if let (Some(app), Some(key)) = (&inc.azure_app_id, &inc.azure_key_id) {
                    let az = |args: &[&str]| Command::new("az", args.iter().copied());
                    self.step(
                        Phase::Contain,
                        CLOUD,
                        "Delete the leaked client secret",
                        vec![az(&[
                            "ad",
                            "app",
                            "credential",
                            "delete",
                            "--id",
                            app,
                            "--key-id",
                            key,
                        ])],
                        None,
                    );
                    self.step(Phase::Recover, CLOUD, "Add a new client secret (keeping the others)", vec![az(&["ad", "app", "credential", "reset", "--id", app, "--append"])], Some("Key Vault `SecretGet` records whose `identity.claim` `oid` or `appid` is this application show what it read."));
                }
            }
            SecretKind::TlsPrivateKey => {
                if let (Some(mount), Some(serial)) = (&inc.pki_mount, &inc.certificate_serial) {
                    let path = format!("{mount}/revoke");
                    let arg = format!("serial_number={serial}");
                    let command = self.vault(["write", path.as_str(), arg.as_str()]);
                    self.step(
                        Phase::Contain,
                        PLATFORM,
                        "Revoke the certificate whose key leaked",
                        vec![command],
                        None,
                    );
                }
                self.step(
                    Phase::Recover,
                    SERVICE,
                    "Issue a certificate on a new key pair and deploy it",
                    Vec::new(),
                    None,
                );
            }
            SecretKind::SshKey => {
                self.step(
                    Phase::Contain,
                    SERVICE,
                    "Remove the public key from every authorized_keys (or revoke it at the SSH CA)",
                    Vec::new(),
                    None,
                );
                self.step(
                    Phase::Recover,
                    SERVICE,
                    "Generate a new key pair and distribute the public key",
                    Vec::new(),
                    None,
                );
            }
            SecretKind::DatabasePassword | SecretKind::ApiKey => {
                self.step(
                    Phase::Contain,
                    SERVICE,
                    &format!(
                        "Change the {} where it is accepted (the database, the API provider)",
                        kind.label()
                    ),
                    Vec::new(),
                    None,
                );
            }
        }
    }

    fn seal(&mut self) {
        let leader = self.vault(["read", "sys/leader"]);
        let note = self.incident.ha.then_some("In HA only the active node can be sealed: run this against the active node; restart the standby nodes instead of sealing them.");
        self.step(
            Phase::Contain,
            PLATFORM,
            "Seal the cluster (needs a root token or `sudo` on `sys/seal`)",
            vec![leader, self.vault(["operator", "seal"])],
            note,
        );
        self.step(
            Phase::Contain,
            PLATFORM,
            "Confirm the cluster is sealed",
            vec![self.vault(["status", "-format=json"])],
            None,
        );
    }

    fn unseal(&mut self) {
        let inc = self.incident;
        match inc.unseal_mode.unwrap_or(UnsealMode::Shamir) {
            UnsealMode::Shamir => {
                let holders = inc
                    .unseal_threshold
                    .map_or_else(|| "the threshold of".to_owned(), |t| t.to_string());
                self.step(Phase::Recover, COMMANDER, &format!("Gather {holders} unseal key holders; each enters a share (the command prompts, so no key lands in shell history)"), vec![self.vault(["operator", "unseal"])], inc.ha.then_some("Unseal every node of the HA cluster."));
            }
            UnsealMode::AutoUnseal => {
                self.step(Phase::Recover, PLATFORM, "Restore access to the KMS/HSM key, then restart the nodes: they unseal themselves", Vec::new(), Some("Recovery keys do not unseal; they authorise operations such as generating a root token."));
            }
        }
        self.step(
            Phase::Recover,
            PLATFORM,
            "Confirm the cluster is unsealed",
            vec![self.vault(["status", "-format=json"])],
            None,
        );
    }
}

/// The steps of `incident`, in phase order.
pub fn draft<'a, L>(
    incident: &'a Incident<L>,
    blast_radius: Option<&'a BlastRadius>,
) -> Vec<Draft> {
    let mut b = Builder {
        incident,
        blast_radius,
        steps: Vec::new(),
    };
    b.step(
        Phase::Contain,
        COMMANDER,
        "Open the incident, name the owners, send the first status message",
        Vec::new(),
        None,
    );
    match incident.incident {
        IncidentKind::LeakedSecret => {
            b.revoke_accessors();
            b.revoke_prefixes();
            if let Some(kind) = incident.secret_kind {
                b.leaked(kind);
            }
            b.kv_rotate();
            b.audit_hash();
            b.step(Phase::Recover, SERVICE, "Confirm the old credential no longer works and the services on the new one are healthy; remove the leaked value at its source", Vec::new(), Some("For a public Git repository, assume the value was copied before it was removed."));
        }
        IncidentKind::CompromisedCiRunner => {
            b.step(
                Phase::Contain,
                SERVICE,
                "Take the runner offline and keep its disk for forensics",
                Vec::new(),
                None,
            );
            b.revoke_accessors();
            b.revoke_prefixes();
            b.audit_hash();
            b.step(
                Phase::Recover,
                SERVICE,
                "Rebuild the runner from a clean image; rotate every secret its jobs could read",
                Vec::new(),
                None,
            );
        }
        IncidentKind::MassRevocation => {
            b.revoke_accessors();
            b.revoke_prefixes();
            b.audit_hash();
        }
        IncidentKind::SealEmergency => {
            b.seal();
            b.step(
                Phase::Assess,
                SECURITY,
                "Establish how the server was compromised before unsealing",
                Vec::new(),
                None,
            );
            b.unseal();
        }
        IncidentKind::UnsealRecovery => {
            b.unseal();
        }
    }
    b.confirm_accessors_dead();
    b.step(Phase::PostMortem, COMMANDER, "Write the post-mortem: timeline from audit evidence, how it was exposed, why it reached what it did, what would have made it matter less", Vec::new(), None);
    // A stable sort keeps the order within a phase as written above.
    b.steps.sort_by_key(|s| s.phase);
    b.steps
}

/// Up to ten items, then how many more.
fn shortlist(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = items
        .iter()
        .take(SHOWN)
        // Names come from audit logs: nothing in them may end the code span or the line.
        .map(|i| format!("`{}`", untrusted_text::one_line(i).replace('`', " ")))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" (+{} more)", items.len() - SHOWN));
    }
    text
}
