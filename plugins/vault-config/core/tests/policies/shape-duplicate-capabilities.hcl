path "secret/data/app/config" {
  capabilities = ["read"]
  capabilities = ["update", "patch"]
}
