path "secret/a" "secret/b" {
  capabilities = ["read"]
}
