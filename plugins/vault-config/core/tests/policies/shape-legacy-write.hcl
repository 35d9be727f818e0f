path "secret/app/*" {
  policy = "write"
}
