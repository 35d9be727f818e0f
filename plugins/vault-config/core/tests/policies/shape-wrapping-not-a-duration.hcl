path "auth/approle/role/app/secret-id" {
  capabilities = ["update"]
  min_wrapping_ttl = "soon"
}
