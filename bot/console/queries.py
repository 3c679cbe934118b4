"""What the console's pages read: transcripts, notes, flags, audit, accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot.db.base import utcnow
from bot.db.console_models import (
    OPEN_STATUSES,
    Account,
    ConversationOpening,
    CounsellorNote,
    DangerFlag,
    HandoffReason,
    HandoffRequest,
    HandoffStatus,
    MessageAuthor,
)
from bot.db.models import Author, Conversation, Message

TRANSCRIPT_LIMIT = 500
AUDIT_LIMIT = 200


@dataclass(frozen=True)
class Line:
    """One message of the transcript as the counsellor sees it."""

    id: int
    author: str  # young, bot or counsellor
    text: str
    kind: str
    created_at: datetime
    counsellor: str | None


@dataclass(frozen=True)
class Note:
    text: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class Flag:
    category: str | None
    severity: int
    raised_at: datetime


@dataclass(frozen=True)
class Request:
    """The conversation's queue entry (open, or the last closed one)."""

    id: int
    reason: str
    severity: int
    category: str | None
    status: str
    waiting_since: datetime
    taken_by: int | None
    taken_by_name: str | None
    outcome: str | None
    outcome_detail: str | None
    closed_at: datetime | None
    closed_by_name: str | None


@dataclass(frozen=True)
class Opening:
    conversation_id: str
    account: str
    username: str
    opened_at: datetime


@dataclass(frozen=True)
class Detail:
    """Everything the conversation view shows, but the transcript."""

    conversation_id: str
    channel: str
    mode: str
    profile: dict[str, Any]
    created_at: datetime
    request: Request
    flags: list[Flag]
    notes: list[Note]


@dataclass(frozen=True)
class AccountRow:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    locked_until: datetime | None  # set only while the lock-out lasts
    last_login_at: datetime | None


def detail(sessions: sessionmaker[Session], conversation_id: str) -> Detail | None:
    """The conversation's state; None unless it ever was in the queue.

    Counsellors see conversations that asked for a human or raised an alert,
    not every conversation the bot had.
    """
    with sessions() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            return None
        request = _request(session, conversation_id)
        if request is None:
            return None
        flags = session.scalars(
            select(DangerFlag)
            .where(DangerFlag.conversation_id == conversation_id)
            .order_by(DangerFlag.severity.desc(), DangerFlag.raised_at.desc())
        ).all()
        return Detail(
            conversation_id=conversation_id,
            channel=conversation.channel,
            mode=conversation.mode,
            profile=dict(conversation.profile or {}),
            created_at=conversation.created_at,
            request=request,
            flags=[Flag(f.category, f.severity, f.raised_at) for f in flags],
            notes=_notes(session, conversation_id),
        )


def _request(session: Session, conversation_id: str) -> Request | None:
    holder, closer = aliased(Account), aliased(Account)
    row = session.execute(
        select(HandoffRequest, holder.display_name, closer.display_name)
        .outerjoin(holder, holder.id == HandoffRequest.taken_by)
        .outerjoin(closer, closer.id == HandoffRequest.closed_by)
        .where(HandoffRequest.conversation_id == conversation_id)
        # The open entry if there is one, else the latest.
        .order_by(
            HandoffRequest.status.in_(OPEN_STATUSES).desc(),
            HandoffRequest.id.desc(),
        )
        .limit(1)
    ).first()
    if row is None:
        return None
    entry, holder_name, closer_name = row
    return Request(
        id=entry.id,
        reason=entry.reason,
        severity=entry.severity,
        category=entry.category,
        status=entry.status,
        waiting_since=entry.waiting_since,
        taken_by=entry.taken_by,
        taken_by_name=holder_name,
        outcome=entry.outcome,
        outcome_detail=entry.outcome_detail,
        closed_at=entry.closed_at,
        closed_by_name=closer_name,
    )


def _notes(session: Session, conversation_id: str) -> list[Note]:
    rows = session.execute(
        select(CounsellorNote, Account.display_name)
        .outerjoin(Account, Account.id == CounsellorNote.account_id)
        .where(CounsellorNote.conversation_id == conversation_id)
        .order_by(CounsellorNote.id)
    ).all()
    return [Note(n.text, name or "Compte supprimé", n.created_at) for n, name in rows]


def transcript(
    sessions: sessionmaker[Session], conversation_id: str, after: int = 0
) -> list[Line]:
    """Messages after id ``after``, oldest first (the last 500 at most)."""
    with sessions() as session:
        rows = session.execute(
            select(Message, Account.display_name)
            .outerjoin(MessageAuthor, MessageAuthor.message_id == Message.id)
            .outerjoin(Account, Account.id == MessageAuthor.account_id)
            .where(Message.conversation_id == conversation_id, Message.id > after)
            .order_by(Message.id.desc())
            .limit(TRANSCRIPT_LIMIT)
        ).all()
        return [
            Line(
                m.id,
                m.author,
                _as_shown(session, m) if m.author == Author.YOUNG else m.text or "",
                m.kind,
                m.created_at,
                name,
            )
            for m, name in reversed(rows)
        ]


# How far back a tapped button is looked for among the bot's messages.
BUTTON_LOOKBACK = 20


def _as_shown(session: Session, message: Message) -> str:
    """What the young person saw and tapped: a button's title, not its payload."""
    text = message.text or ""
    if not text.startswith("/"):
        return text
    offered = session.scalars(
        select(Message.buttons)
        .where(
            Message.conversation_id == message.conversation_id,
            Message.id < message.id,
            Message.author != Author.YOUNG,
        )
        .order_by(Message.id.desc())
        .limit(BUTTON_LOOKBACK)
    ).all()
    for buttons in offered:
        for button in buttons or []:
            if button.get("payload") == text:
                return f"« {button.get('title', '')} » (bouton)"
    return text


@dataclass(frozen=True)
class Closed:
    conversation_id: str
    outcome: str | None
    outcome_detail: str | None
    closed_at: datetime | None
    closed_by_name: str | None
    reason: str


def recently_closed(sessions: sessionmaker[Session], limit: int = 15) -> list[Closed]:
    with sessions() as session:
        rows = session.execute(
            select(HandoffRequest, Account.display_name)
            .outerjoin(Account, Account.id == HandoffRequest.closed_by)
            .where(HandoffRequest.status == HandoffStatus.CLOSED)
            .order_by(HandoffRequest.closed_at.desc(), HandoffRequest.id.desc())
            .limit(limit)
        ).all()
    return [
        Closed(
            r.conversation_id, r.outcome, r.outcome_detail, r.closed_at, name, r.reason
        )
        for r, name in rows
    ]


def danger_alert_keys(sessions: sessionmaker[Session]) -> list[str]:
    """One key per waiting danger alert; changes when an alert escalates.

    The page compares keys between polls to tell a new alert from one it
    already showed.
    """
    with sessions() as session:
        rows = session.execute(
            select(HandoffRequest.id, HandoffRequest.severity).where(
                HandoffRequest.status == HandoffStatus.WAITING,
                HandoffRequest.reason == HandoffReason.DANGER,
            )
        ).all()
    return [f"{request_id}-{level}" for request_id, level in rows]


def openings(
    sessions: sessionmaker[Session],
    conversation_id: str | None = None,
    limit: int = AUDIT_LIMIT,
) -> list[Opening]:
    """Who opened which conversation, newest first."""
    query = (
        select(ConversationOpening, Account.display_name, Account.username)
        .join(Account, Account.id == ConversationOpening.account_id)
        .order_by(ConversationOpening.id.desc())
        .limit(limit)
    )
    if conversation_id:
        query = query.where(ConversationOpening.conversation_id == conversation_id)
    with sessions() as session:
        rows = session.execute(query).all()
    return [
        Opening(o.conversation_id, name, username, o.opened_at)
        for o, name, username in rows
    ]


def accounts(sessions: sessionmaker[Session]) -> list[AccountRow]:
    now = utcnow()
    with sessions() as session:
        rows = session.scalars(select(Account).order_by(Account.username)).all()
        return [
            AccountRow(
                a.id,
                a.username,
                a.display_name,
                a.role,
                a.active,
                a.locked_until if _after(a.locked_until, now) else None,
                a.last_login_at,
            )
            for a in rows
        ]


def _after(moment: datetime | None, now: datetime) -> bool:
    if moment is None:
        return False
    if moment.tzinfo is None:  # SQLite hands back naive UTC datetimes
        moment = moment.replace(tzinfo=UTC)
    return moment > now
