# The "no_store" parameter cannot be false

path "secret/foo" {
  capabilities = ["create"]
  denied_parameters = {
"no_store" = [false, "false"]
  }
}
