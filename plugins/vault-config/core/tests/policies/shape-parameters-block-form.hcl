path "auth/userpass/users/*" {
  capabilities = ["update"]
  allowed_parameters {
    "password" = []
  }
}
