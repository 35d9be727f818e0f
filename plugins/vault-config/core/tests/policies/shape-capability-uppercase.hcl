path "secret/*" {
  capabilities = ["Read"]
}
