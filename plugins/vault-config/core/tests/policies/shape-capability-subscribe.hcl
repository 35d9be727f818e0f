path "sys/events/subscribe/*" {
  capabilities = ["subscribe"]
}
