path {
  capabilities = ["read"]
}
