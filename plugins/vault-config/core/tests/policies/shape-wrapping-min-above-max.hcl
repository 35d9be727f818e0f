path "auth/approle/role/app/secret-id" {
  capabilities = ["update"]
  min_wrapping_ttl = "2m"
  max_wrapping_ttl = "1m"
}
