path "secret/data/{{identity.entity.name}}/*" {
  capabilities = ["read"]
}
