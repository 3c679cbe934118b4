"""Conversations, their transcript and where to reach each young person.

A conversation is keyed by a pseudonym (see :mod:`bot.identity`); the platform
address needed to answer lives in its own table so that it can be erased
separately and is never joined into anything that is logged.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.base import Base, utcnow


class ConversationMode(StrEnum):
    """Who answers the young person right now."""

    BOT = "bot"
    HUMAN = "human"  # a counsellor has it; the Rasa conversation is paused


class Author(StrEnum):
    YOUNG = "young"
    BOT = "bot"
    COUNSELLOR = "counsellor"


class MessageStatus(StrEnum):
    """Where an inbound message is on its way through the gateway."""

    RECEIVED = "received"  # stored, not yet answered
    DEFERRED = "deferred"  # Rasa was unreachable; retried in order
    PROCESSED = "processed"
    SENT = "sent"  # outbound, delivered to the platform
    UNDELIVERED = "undelivered"  # outbound, the platform refused it


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16), default=ConversationMode.BOT)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    last_message_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation",
        cascade="all, delete-orphan",
        order_by="Message.id",
    )
    address: Mapped[ChannelAddress | None] = relationship(
        back_populates="conversation", cascade="all, delete-orphan"
    )


class ChannelAddress(Base):
    """Where to send answers on the platform (a chat id); never logged."""

    __tablename__ = "channel_addresses"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    # Set when the platform says the user blocked the bot (Telegram 403,
    # Discord 50007): nothing more is sent until they write again.
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)

    conversation: Mapped[Conversation] = relationship(back_populates="address")


class Message(Base):
    """One line of the transcript, inbound or outbound."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "platform_message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="text")
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    buttons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.RECEIVED)
    platform_message_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
