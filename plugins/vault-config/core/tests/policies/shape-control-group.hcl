path "secret/data/prod/*" {
  capabilities = ["read"]
  control_group = {
    ttl = "4h"
    factor "approvers" {
      controlled_capabilities = ["read"]
      identity {
        group_names = ["ops"]
        approvals = 2
      }
    }
  }
}
