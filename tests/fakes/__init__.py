"""Fake Telegram and Discord servers that the real client libraries talk to."""
