"""Counsellors' side: accounts, sessions, the handoff queue, notes and audit.

Rows that describe a conversation (queue entries, danger flags, notes) go
with it when it is erased (``ON DELETE CASCADE``). The audit of openings does
not: it records what counsellors did, and must outlive what they read.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, utcnow


class Role(StrEnum):
    """What an account may do in the console (see ``bot.console.auth``)."""

    COUNSELLOR = "counsellor"
    SUPERVISOR = "supervisor"
    EDITOR = "editor"
    ADMIN = "admin"


class HandoffReason(StrEnum):
    ASKED = "asked"  # the young person asked for a human
    DANGER = "danger"  # the crisis detector raised an alert


class HandoffStatus(StrEnum):
    WAITING = "waiting"  # nobody has it yet
    TAKEN = "taken"  # a counsellor has it; the bot is silent
    HANDED_BACK = "handed_back"  # the bot answers again; outcome still to record
    CLOSED = "closed"


OPEN_STATUSES = (HandoffStatus.WAITING, HandoffStatus.TAKEN, HandoffStatus.HANDED_BACK)


class Outcome(StrEnum):
    ORIENTED = "oriented"  # oriented to a structure (named in the detail)
    APPOINTMENT = "appointment"  # an appointment was made
    NO_ANSWER = "no_answer"  # the young person did not answer
    OTHER = "other"


class Account(Base):
    """Someone who signs in to the console."""

    __tablename__ = "console_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    last_login_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class ConsoleSession(Base):
    """A signed-in browser. Only a hash of its cookie's token is kept."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("console_accounts.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )


class HandoffRequest(Base):
    """A conversation waiting for, or held by, a counsellor: one queue entry.

    A conversation has at most one open entry (enforced by a partial unique
    index); a new request escalates it instead of adding another.
    """

    __tablename__ = "handoff_requests"
    __table_args__ = (
        Index(
            "uq_handoff_requests_open_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(16))
    # 0 for a plain request; a danger alert's Severity (1-4) otherwise.
    severity: Mapped[int] = mapped_column(Integer, default=0)
    category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=HandoffStatus.WAITING)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    waiting_since: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    # Bumped when a new alert raises the severity: the queue shows it as new.
    escalated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    taken_by: Mapped[int | None] = mapped_column(
        ForeignKey("console_accounts.id", ondelete="SET NULL"), nullable=True
    )
    taken_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    closed_by: Mapped[int | None] = mapped_column(
        ForeignKey("console_accounts.id", ondelete="SET NULL"), nullable=True
    )
    closed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    outcome_detail: Mapped[str | None] = mapped_column(String(200), nullable=True)


class DangerFlag(Base):
    """One danger alert raised on a conversation, kept for the counsellor."""

    __tablename__ = "danger_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    severity: Mapped[int] = mapped_column(Integer)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CounsellorNote(Base):
    """A private note on a conversation; never sent to the young person."""

    __tablename__ = "counsellor_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("console_accounts.id", ondelete="SET NULL"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )


class MessageAuthor(Base):
    """Which counsellor wrote a transcript message (author ``counsellor``)."""

    __tablename__ = "counsellor_message_authors"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("console_accounts.id", ondelete="SET NULL"), nullable=True
    )


class ConversationOpening(Base):
    """Audit: an account opened a conversation in the console."""

    __tablename__ = "conversation_openings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # No foreign key on purpose: the audit outlives an erased conversation.
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("console_accounts.id", ondelete="RESTRICT"), index=True
    )
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
