path "secret/*" {
  capabilities = ["root"]
}
