# Permit reading the "teamb" path under any top-level path under secret/

path "secret/+/teamb" {
  capabilities = ["read"]
}

# Permit reading secret/foo/bar/teamb, secret/bar/foo/teamb, etc.

path "secret/+/+/teamb" {
  capabilities = ["read"]
}
