print("attnd")
