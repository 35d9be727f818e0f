path "auth/approle/role/app/secret-id" {
  capabilities = ["update"]
  min_wrapping_ttl = 1
  max_wrapping_ttl = 300
}
