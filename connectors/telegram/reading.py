"""Reading Telegram messages, and writing quick replies, for the gateway."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.messages import Button, InboundKind
from connectors.text import typed_text

# Inline button callback data is limited to 1-64 bytes.
CALLBACK_DATA_MAX_BYTES = 64


def chat_key(update: Update) -> str:
    """The chat an update belongs to, for ordering within a batch."""
    chat = update.effective_chat
    if chat is not None:
        return str(chat.id)
    return f"update:{update.update_id}"


def edited_message_id(message: Message) -> str:
    """The id of one edit of a message.

    Each edit is one more message to answer, once: the id names the edit by
    its date, so the same edit delivered twice is a duplicate while a second
    edit is not.
    """
    edited = int(message.edit_date.timestamp()) if message.edit_date else 0
    return f"{message.message_id}:edit:{edited}"


def read_message(
    message: Message, greeting: str
) -> tuple[InboundKind, str | None, dict[str, str]]:
    """What a private message carries: its kind, its words, and notes.

    A caption is words: a photo captioned "je dors dehors" must be read, so
    a captioned attachment goes to the gateway as text, with the kind of
    attachment noted in the metadata.
    """
    attachment = attachment_kind(message)
    if message.text is not None:
        text = message.text.strip()
        if text == "/start" or text.startswith("/start "):
            # Telegram sends /start when a chat opens (with a deep-link
            # parameter when there is one): that is a greeting.
            return InboundKind.TEXT, greeting, {"command": "start"}
        return InboundKind.TEXT, typed_text(text) or greeting, {}
    if message.caption and message.caption.strip():
        note = {"attachment": attachment.value} if attachment else {}
        return InboundKind.TEXT, typed_text(message.caption), note
    return attachment or InboundKind.OTHER, None, {}


def attachment_kind(message: Message) -> InboundKind | None:
    """What a message carries besides words, if anything."""
    if message.sticker is not None:
        return InboundKind.STICKER
    if message.voice is not None or message.video_note is not None:
        return InboundKind.VOICE
    if message.photo:
        return InboundKind.PHOTO
    if (
        message.document is not None
        or message.audio is not None
        or message.video is not None
        or message.animation is not None
    ):
        return InboundKind.FILE
    return None


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """Quick replies as an inline keyboard, one button per row.

    A payload over Telegram's 64-byte callback limit cannot travel in the
    button; the button then sends its title, read by Rasa like typed text.
    """
    if not buttons:
        return None
    rows = [
        [InlineKeyboardButton(button.title, callback_data=callback_data(button))]
        for button in buttons
    ]
    return InlineKeyboardMarkup(rows)


def callback_data(button: Button) -> str:
    """The payload if it fits in a button, else the title (cut to fit)."""
    for candidate in (button.payload, button.title):
        if 0 < len(candidate.encode()) <= CALLBACK_DATA_MAX_BYTES:
            return candidate
    encoded = button.title.encode()[:CALLBACK_DATA_MAX_BYTES]
    return encoded.decode("utf-8", errors="ignore")
