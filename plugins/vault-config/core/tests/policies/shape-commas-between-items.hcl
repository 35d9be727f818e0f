path "secret/a" { capabilities = ["read"], comment = "x" }, path "secret/b" { capabilities = ["read"] }
