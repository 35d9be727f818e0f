path "secret/a/" {
  capabilities = ["list"]
  pagination_limit = 0x10
}
