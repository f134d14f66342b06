"""Vehicle pairing: wait on a charger for the vehicle's identifier, live progress."""
