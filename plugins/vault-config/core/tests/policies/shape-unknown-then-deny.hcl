path "secret/*" {
  capabilities = ["bogus", "deny"]
}
