# This section grants all access on "secret/*". further restrictions can be
# applied to this broad policy, as shown below.

path "secret/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list", "scan"]
}

# Even though we allowed secret/*, this line explicitly denies
# secret/super-secret. this takes precedence.

path "secret/super-secret" {
  capabilities = ["deny"]
}

# Policies can also specify allowed, disallowed, and required parameters. here
# the key "secret/restricted" can only contain "foo" (any value) and "bar" (one
# of "zip" or "zap").

path "secret/restricted" {
  capabilities = ["create"]
  allowed_parameters = {
"foo" = []
"bar" = ["zip", "zap"]
  }
}
