path "secret/*" {
  capabilities = ["deny", "bogus"]
}
