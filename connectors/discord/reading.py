"""Reading Discord messages for the gateway."""

from __future__ import annotations

import re

import discord

from bot.messages import InboundKind
from connectors.text import typed_text


def mentions_bot(message: discord.Message, bot_id: int) -> bool:
    """Whether the message mentions the bot itself (not @everyone, not a role)."""
    return any(user.id == bot_id for user in message.mentions)


def without_bot_mention(content: str, bot_id: int) -> str:
    """The words of a message, without the ``<@bot>`` that called the bot."""
    return re.sub(rf"<@!?{bot_id}>", " ", content).strip()


def read_message(
    message: discord.Message, greeting: str, bot_id: int
) -> tuple[InboundKind, str | None, dict[str, str]]:
    """What a message carries: its kind, its words, and notes.

    Words win over attachments: a picture sent with "je dors dehors" must be
    read, so it goes to the gateway as text, the attachment noted in the
    metadata. A bare mention of the bot is a greeting.
    """
    attachment = attachment_kind(message)
    words = without_bot_mention(message.content, bot_id)
    if words:
        note = {"attachment": attachment.value} if attachment else {}
        return InboundKind.TEXT, typed_text(words) or greeting, note
    if attachment is not None:
        return attachment, None, {}
    if mentions_bot(message, bot_id):
        return InboundKind.TEXT, greeting, {}
    return InboundKind.OTHER, None, {}


def attachment_kind(message: discord.Message) -> InboundKind | None:
    """What a message carries besides words, if anything."""
    if message.stickers:
        return InboundKind.STICKER
    if message.flags.voice or any(a.is_voice_message() for a in message.attachments):
        return InboundKind.VOICE
    for attachment in message.attachments:
        content_type = attachment.content_type or ""
        if content_type.startswith("image/"):
            return InboundKind.PHOTO
        if content_type.startswith("audio/"):
            return InboundKind.VOICE
    if message.attachments:
        return InboundKind.FILE
    return None
