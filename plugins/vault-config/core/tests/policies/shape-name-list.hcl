name = ["app"]
