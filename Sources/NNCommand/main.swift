print("nn")
