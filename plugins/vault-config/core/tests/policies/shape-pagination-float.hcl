path "secret/a/" {
  capabilities = ["list"]
  pagination_limit = 1.5
}
