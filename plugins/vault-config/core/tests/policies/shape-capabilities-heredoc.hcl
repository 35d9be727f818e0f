path "secret/*" {
  capabilities = [<<EOF
read
EOF
]
}
