path "secret/data/app/" {
  capabilities = ["create", "read", "update", "patch", "delete", "list", "scan", "sudo"]
}

path "secret/data/other" {
  capabilities = ["deny"]
}
