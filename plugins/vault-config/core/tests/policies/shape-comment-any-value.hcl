path "secret/a" {
  capabilities = ["read"]
  comment = { anything = [1, 2] }
}
