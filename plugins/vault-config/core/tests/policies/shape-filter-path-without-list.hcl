path "secret/metadata/app/" {
  capabilities = ["read"]
  list_scan_response_keys_filter_path = "{{ .path }}{{ .key }}"
}
