path "secret/data/old" {
  capabilities = ["fly"]
  expiration = "2001-01-01T00:00:00Z"
}
