"""The follow-ups table: one row per check-back, whatever became of it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, utcnow


class FollowUpStatus(StrEnum):
    """Where a follow-up is. Only PENDING ones are ever sent."""

    PENDING = "pending"  # waiting for its due time
    SENDING = "sending"  # claimed by a scheduler; never claimed again
    SENT = "sent"  # delivered (or stored for the web chat); no answer yet
    ANSWERED = "answered"  # the young person wrote after it
    UNDELIVERED = "undelivered"  # Rasa or the platform failed; not retried
    CANCELLED = "cancelled"  # stop, blocked, replaced, answered before a re-send


class FollowUp(Base):
    """One check-back on one conversation.

    ``attempt`` counts the follow-ups sent in a row without an answer: 1 for
    the one the young person agreed to, 2 for the re-send a few days later,
    and so on up to the policy's limit. The platform address is not here:
    the gateway finds it from the conversation when it sends.
    """

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    # The bot's own phrase ("passer à la Mission Locale de Roubaix"), or
    # None when the young person asked for a reminder without a next step.
    next_step: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=FollowUpStatus.PENDING)
    # Why it was cancelled or left undelivered: "stop", "blocked",
    # "replaced", "answered", "rasa", "platform", "late".
    reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    claimed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    sent_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    closed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
