path "secret/data/prod/*" {
  capabilities = ["read"]
  control_group = {
    factor "approvers" {
      controlled_capabilities = ["approve"]
    }
  }
}
