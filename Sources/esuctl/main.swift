print("esuctl")
