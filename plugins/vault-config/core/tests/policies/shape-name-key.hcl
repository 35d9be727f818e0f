name = "app"

path "secret/data/app" {
  capabilities = ["read"]
}
