path "secret/${var.env}/app" {
  capabilities = ["read"]
}
