"""The messages that cross the gateway, independent of any platform.

Connectors turn platform updates into :class:`Inbound` and render
:class:`Outbound` back; nothing platform-specific goes further in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Channel(StrEnum):
    """Where a young person writes from."""

    WEBCHAT = "webchat"
    TELEGRAM = "telegram"
    DISCORD = "discord"


class InboundKind(StrEnum):
    """What a platform delivered; only TEXT carries words to understand."""

    TEXT = "text"
    STICKER = "sticker"
    VOICE = "voice"
    PHOTO = "photo"
    FILE = "file"
    OTHER = "other"


@dataclass(frozen=True)
class Button:
    """A quick reply: what the young person sees, and what is sent back."""

    title: str
    payload: str


@dataclass(frozen=True)
class Outbound:
    """One message for the young person, with optional quick replies."""

    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Inbound:
    """One message from a young person, as a connector received it.

    Attributes:
        channel: the platform it came from.
        user_id: the platform's identity of the sender. It never leaves the
            gateway: the gateway turns it into a pseudonym at once.
        address: where to send answers on that platform (a chat or channel
            id); stored apart from the conversation, never logged.
        text: the words, or None for stickers, voice notes and the like.
        kind: what the platform delivered.
        platform_message_id: the platform's id, used to drop duplicates.
    """

    channel: Channel
    user_id: str
    text: str | None
    kind: InboundKind = InboundKind.TEXT
    address: str | None = None
    platform_message_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
