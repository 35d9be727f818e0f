path "secret/*" {
  capabilities {}
}
