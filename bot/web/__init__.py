"""The bot service's HTTP face: web chat, its API, health, console."""
