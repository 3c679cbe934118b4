"""Language helpers for the young people's register, shared by Rasa and the gateway."""
