path "auth/approle/role/app/secret-id" {
  capabilities = ["update"]
  max_wrapping_ttl = "2d"
}
