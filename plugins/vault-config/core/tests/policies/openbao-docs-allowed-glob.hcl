# Only allow a parameter named "bar" with a value starting with "foo-*".

path "secret/foo" {
  capabilities = ["create"]
  allowed_parameters = {
"bar" = ["foo-*"]
  }
}
