"""Discord, through discord.py: see :mod:`.connector`."""

from connectors.discord.connector import (
    CANNOT_SEND_TO_USER,
    MESSAGE_CONTENT_HELP,
    SLASH_COMMAND,
    DiscordConfigError,
    DiscordConnector,
)

__all__ = [
    "CANNOT_SEND_TO_USER",
    "MESSAGE_CONTENT_HELP",
    "SLASH_COMMAND",
    "DiscordConfigError",
    "DiscordConnector",
]
