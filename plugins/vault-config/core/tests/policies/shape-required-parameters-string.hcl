path "secret/profile" {
  capabilities = ["create"]
  required_parameters = "name"
}
