path "auth/approle/role/app/secret-id" {
  capabilities = ["update"]
  min_wrapping_ttl = 5
  min_wrapping_ttl = "1h"
}
