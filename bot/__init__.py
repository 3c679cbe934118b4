"""The bot service: gateway between the platforms and Rasa, web chat, console."""
