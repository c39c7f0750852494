print("autoloadd")
