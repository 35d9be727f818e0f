path "secret/a" {
  capabilities = concat(["read"], ["list"])
}
