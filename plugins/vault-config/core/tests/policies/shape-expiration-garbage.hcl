path "secret/data/break-glass" {
  capabilities = ["read"]
  expiration = "next tuesday"
}
