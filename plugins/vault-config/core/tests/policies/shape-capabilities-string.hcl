path "secret/*" {
  capabilities = "read"
}
