// The e-port signing client stand-in arrives with the signer issue.
print("signer-sim: not built yet")
