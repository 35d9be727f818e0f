path "secret/app/*" {
  policy = "admin"
}
