path "secret/a" {
  capabilities = ["read"]
}
/* never closed
