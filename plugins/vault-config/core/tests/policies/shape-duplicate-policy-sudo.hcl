path "secret/data/app/*" {
  policy = "read"
  policy = "sudo"
}
