path "secret/a" {
  capabilities = ["read"] / 2
}
