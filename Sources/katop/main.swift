print("katop: not yet")
