path "secret/a/" {
  capabilities = ["list"]
  pagination_limit = 089
}
