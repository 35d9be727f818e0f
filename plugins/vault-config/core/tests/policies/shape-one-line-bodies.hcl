path "secret/a" { capabilities = ["read"] } path "secret/b" { capabilities = ["list"] policy = "read" }
