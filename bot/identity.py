"""Pseudonymous conversation ids.

Every platform identity (web chat sender, Telegram user, Discord user) becomes
a keyed hash before anything reaches Rasa, the actions or the logs. Without
the key, which is generated at setup and kept out of git, a pseudonym cannot
be linked back to the person.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from bot.messages import Channel

# 128 bits of the HMAC: collisions are out of reach, ids stay short in logs.
PSEUDONYM_HEX_CHARS = 32
SECRET_KEY_BYTES = 32


def pseudonym(key: bytes, channel: Channel, platform_user_id: str) -> str:
    """The conversation id of one person on one platform.

    The channel is part of the hashed input so that the same number on two
    platforms gives two unrelated ids.
    """
    message = f"{channel.value}:{platform_user_id}".encode()
    digest = hmac.new(key, message, hashlib.sha256).hexdigest()
    return f"{channel.value[:2]}-{digest[:PSEUDONYM_HEX_CHARS]}"


def new_secret_key() -> str:
    """A fresh random key, as text fit for a file or an environment variable."""
    return secrets.token_urlsafe(SECRET_KEY_BYTES)
