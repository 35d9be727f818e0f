path "secret/data/prod/*" {
  capabilities = ["read"]
  mfa_methods = ["totp"]
}
