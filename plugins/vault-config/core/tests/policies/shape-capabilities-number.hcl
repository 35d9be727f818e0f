path "secret/*" {
  capabilities = [1]
}
