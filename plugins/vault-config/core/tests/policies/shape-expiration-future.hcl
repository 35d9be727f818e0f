path "secret/data/break-glass" {
  capabilities = ["read"]
  expiration = "2099-01-01T00:00:00Z"
}
