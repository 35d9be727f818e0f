path "secret/*" {
  capabilities = ["read"]
  capabilites = ["list"]
}
