"""Handing a conversation from the bot to a counsellor and back.

The service behind the counsellors' queue. The gateway calls
:func:`request_handoff` when a young person asks for a human or when the
crisis detector raises an alert; the console calls the rest.

Each conversation has at most one open queue entry. A new request escalates
it (severity only goes up) rather than adding another, and only a counsellor
closes it: a young person saying "non c'est bon" does not make a danger alert
disappear (see DOMAIN.md on risk checks).

While a counsellor has the conversation its mode is ``HUMAN`` and the gateway
keeps the bot silent (messages are stored, not sent to Rasa). Handing back
sets it to ``BOT``: Rasa's tracker was never touched meanwhile, so the bot
resumes with what it knew, and the messages in between are in the transcript.

Functions that change what the young person sees store the messages and
return them; the caller pushes them to the platform (``Gateway.push``), as
the web chat reads stored messages itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot.config import PROJECT_ROOT
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
    Outcome,
)
from bot.db.models import Author, Conversation, ConversationMode, Message, MessageStatus
from bot.messages import Outbound

logger = logging.getLogger(__name__)

TEXTS_FILE = PROJECT_ROOT / "data" / "handoff" / "fr.yml"
# Telegram stops at 4,096 characters; connectors split longer answers, but a
# counsellor's reply that long is a paste gone wrong.
REPLY_MAX_CHARS = 4_000
NOTE_MAX_CHARS = 4_000
OUTCOME_DETAIL_MAX_CHARS = 200


class HandoffError(Exception):
    """A handoff step cannot be done in the conversation's current state."""


class UnknownConversationError(HandoffError):
    """No conversation has that id (erased, or never existed)."""


class NoOpenRequestError(HandoffError):
    """The conversation is not in the queue."""


class TakenByOtherError(HandoffError):
    """Another counsellor has the conversation.

    Attributes:
        holder: the display name of who has it.
    """

    def __init__(self, message: str, holder: str) -> None:
        super().__init__(message)
        self.holder = holder


class NotTakenError(HandoffError):
    """The step needs the conversation taken by the caller first."""


@dataclass(frozen=True)
class QueueEntry:
    """One line of the counsellors' queue."""

    request_id: int
    conversation_id: str
    channel: str
    reason: HandoffReason
    severity: int
    category: str | None
    status: HandoffStatus
    waiting_since: datetime
    escalated_at: datetime | None
    taken_by: int | None
    taken_by_name: str | None
    last_message_at: datetime

    @property
    def is_danger(self) -> bool:
        return self.reason is HandoffReason.DANGER


@dataclass(frozen=True)
class HandoffTexts:
    """What the young person reads when the conversation changes hands."""

    taken: str
    handed_back: str

    def render(self, template: str, name: str) -> str:
        return template.replace("{name}", name)


@lru_cache(maxsize=4)
def load_texts(path: Path = TEXTS_FILE) -> HandoffTexts:
    """Read the wording file.

    Raises:
        ValueError: naming the missing key.
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return HandoffTexts(
            taken=str(raw["taken"]), handed_back=str(raw["handed_back"])
        )
    except (KeyError, TypeError) as err:
        raise ValueError(f"{path}: expected keys taken and handed_back") from err


# --- Called by the gateway ---------------------------------------------------


def request_handoff(
    sessions: sessionmaker[Session],
    conversation_id: str,
    *,
    reason: Literal["asked", "danger"],
    severity: int = 0,
    category: str | None = None,
) -> int:
    """Put the conversation in the queue, or escalate its open entry.

    Severity only goes up; a danger alert makes the entry a danger entry for
    good and is kept as a flag the counsellor sees. An entry handed back to
    the bot waits again.

    Args:
        sessions: the app database's session factory.
        conversation_id: the pseudonym of the conversation.
        reason: ``asked`` (the young person wants a human) or ``danger``.
        severity: 0 for a plain request, the detector's Severity (1-4) for
            a danger alert.
        category: the danger category (``suicide``...), if any.

    Returns:
        The id of the queue entry.

    Raises:
        UnknownConversationError: when the conversation does not exist.
    """
    wanted = HandoffReason(reason)
    try:
        return _request_once(sessions, conversation_id, wanted, severity, category)
    except IntegrityError:
        # Two requests raced to open the entry; the second escalates it.
        return _request_once(sessions, conversation_id, wanted, severity, category)


def _request_once(
    sessions: sessionmaker[Session],
    conversation_id: str,
    reason: HandoffReason,
    severity: int,
    category: str | None,
) -> int:
    now = utcnow()
    with sessions.begin() as session:
        if session.get(Conversation, conversation_id) is None:
            raise UnknownConversationError(
                f"Expected an existing conversation; got {conversation_id!r}. "
                "Store the young person's message before asking for a human."
            )
        entry = _open_entry(session, conversation_id)
        if entry is None:
            entry = HandoffRequest(
                conversation_id=conversation_id,
                reason=reason,
                severity=severity,
                category=category,
                status=HandoffStatus.WAITING,
                created_at=now,
                waiting_since=now,
            )
            session.add(entry)
            created = True
        else:
            _escalate(entry, reason, severity, category, now)
            created = False
        if reason is HandoffReason.DANGER:
            session.add(
                DangerFlag(
                    conversation_id=conversation_id,
                    category=category,
                    severity=severity,
                    raised_at=now,
                )
            )
        session.flush()
        entry_id = entry.id
    logger.info(
        "Handoff %s for conversation %s (%s, severity %d)",
        "requested" if created else "escalated",
        conversation_id,
        reason,
        severity,
    )
    return entry_id


def _escalate(
    entry: HandoffRequest,
    reason: HandoffReason,
    severity: int,
    category: str | None,
    now: datetime,
) -> None:
    if reason is HandoffReason.DANGER and entry.reason != HandoffReason.DANGER:
        entry.reason = HandoffReason.DANGER
        entry.escalated_at = now
    if severity > entry.severity:
        entry.severity = severity
        entry.category = category or entry.category
        entry.escalated_at = now
    elif entry.category is None and category is not None:
        entry.category = category
    if entry.status == HandoffStatus.HANDED_BACK:
        entry.status = HandoffStatus.WAITING
        entry.waiting_since = now


# --- Called by the console ---------------------------------------------------


def take(
    sessions: sessionmaker[Session],
    conversation_id: str,
    account_id: int,
    *,
    force: bool = False,
) -> list[Outbound]:
    """Assign the conversation to a counsellor; the bot goes silent.

    Args:
        force: take it even from another counsellor (supervisors).

    Returns:
        The message telling the young person a person has taken over; empty
        when the caller already had it.

    Raises:
        NoOpenRequestError: the conversation is not in the queue.
        TakenByOtherError: someone else has it and ``force`` is false.
    """
    with sessions.begin() as session:
        entry = _require_open(session, conversation_id)
        if entry.status == HandoffStatus.TAKEN and entry.taken_by == account_id:
            return []
        if entry.status == HandoffStatus.TAKEN and not force:
            holder = _name(session, entry.taken_by)
            raise TakenByOtherError(
                f"Conversation {conversation_id} is taken by account "
                f"{entry.taken_by}; ask them, or a supervisor, to hand it over.",
                holder,
            )
        entry.status = HandoffStatus.TAKEN
        entry.taken_by = account_id
        entry.taken_at = utcnow()
        session.get_one(Conversation, conversation_id).mode = ConversationMode.HUMAN
        name = _name(session, account_id)
    logger.info("Conversation %s taken by account %d", conversation_id, account_id)
    texts = load_texts()
    return _store_bot_notice(sessions, conversation_id, texts.render(texts.taken, name))


def reply(
    sessions: sessionmaker[Session], conversation_id: str, account_id: int, text: str
) -> Outbound:
    """Store a counsellor's reply in the transcript and return it to push.

    Raises:
        ValueError: when the text is empty or longer than REPLY_MAX_CHARS.
        NoOpenRequestError, NotTakenError: the caller does not have it.
    """
    text = _checked_text(text, REPLY_MAX_CHARS, "reply")
    with sessions.begin() as session:
        entry = _require_open(session, conversation_id)
        _require_holder(session, entry, account_id, force=False)
        message = Message(
            conversation_id=conversation_id,
            author=Author.COUNSELLOR,
            text=text,
            status=MessageStatus.PROCESSED,
        )
        session.add(message)
        session.flush()
        session.add(MessageAuthor(message_id=message.id, account_id=account_id))
    logger.debug("Counsellor reply stored in conversation %s", conversation_id)
    return Outbound(text)


def add_note(
    sessions: sessionmaker[Session], conversation_id: str, account_id: int, text: str
) -> int:
    """Keep a private note on the conversation; returns its id.

    Raises:
        ValueError: when the text is empty or too long.
        UnknownConversationError: when the conversation does not exist.
    """
    text = _checked_text(text, NOTE_MAX_CHARS, "note")
    with sessions.begin() as session:
        if session.get(Conversation, conversation_id) is None:
            raise UnknownConversationError(
                f"Expected an existing conversation; got {conversation_id!r}."
            )
        note = CounsellorNote(
            conversation_id=conversation_id, account_id=account_id, text=text
        )
        session.add(note)
        session.flush()
        return note.id


def hand_back(
    sessions: sessionmaker[Session],
    conversation_id: str,
    account_id: int,
    *,
    force: bool = False,
) -> list[Outbound]:
    """Give the conversation back to the bot; the entry waits for an outcome.

    Args:
        force: hand back a conversation someone else has (supervisors).

    Returns:
        The message telling the young person the bot answers again.

    Raises:
        NoOpenRequestError, NotTakenError: the caller does not have it.
    """
    with sessions.begin() as session:
        entry = _require_open(session, conversation_id)
        _require_holder(session, entry, account_id, force=force)
        entry.status = HandoffStatus.HANDED_BACK
        session.get_one(Conversation, conversation_id).mode = ConversationMode.BOT
        name = _name(session, entry.taken_by)
    logger.info("Conversation %s handed back to the bot", conversation_id)
    texts = load_texts()
    return _store_bot_notice(
        sessions, conversation_id, texts.render(texts.handed_back, name)
    )


def close(
    sessions: sessionmaker[Session],
    conversation_id: str,
    account_id: int,
    outcome: Outcome | str,
    *,
    detail: str | None = None,
    force: bool = False,
) -> list[Outbound]:
    """Record the outcome and take the conversation out of the queue.

    A conversation still held by a counsellor is handed back to the bot
    first. Anyone may close a waiting entry (a request nobody could answer);
    a taken one only by its holder, or with ``force``.

    Returns:
        The hand-back message when the bot had been silent, else nothing.

    Raises:
        ValueError: for an unknown outcome or a detail over 200 characters.
        NoOpenRequestError, TakenByOtherError: see :func:`take`.
    """
    try:
        chosen = Outcome(outcome)
    except ValueError as err:
        choices = ", ".join(o.value for o in Outcome)
        raise ValueError(
            f"Expected an outcome among {choices}; got {outcome!r}."
        ) from err
    detail = (detail or "").strip() or None
    if detail is not None and len(detail) > OUTCOME_DETAIL_MAX_CHARS:
        raise ValueError(
            f"Expected an outcome detail of at most {OUTCOME_DETAIL_MAX_CHARS} "
            f"characters; got {len(detail)}."
        )
    with sessions.begin() as session:
        entry = _require_open(session, conversation_id)
        taken_by_other = (
            entry.status == HandoffStatus.TAKEN and entry.taken_by != account_id
        )
        if taken_by_other and not force:
            raise TakenByOtherError(
                f"Conversation {conversation_id} is taken by account "
                f"{entry.taken_by}; only they or a supervisor can close it.",
                _name(session, entry.taken_by),
            )
        was_held = entry.status == HandoffStatus.TAKEN
        holder = _name(session, entry.taken_by) if was_held else ""
        entry.status = HandoffStatus.CLOSED
        entry.outcome = chosen
        entry.outcome_detail = detail
        entry.closed_by = account_id
        entry.closed_at = utcnow()
        session.get_one(Conversation, conversation_id).mode = ConversationMode.BOT
    logger.info("Conversation %s closed with outcome %s", conversation_id, chosen)
    if not was_held:
        return []
    texts = load_texts()
    return _store_bot_notice(
        sessions, conversation_id, texts.render(texts.handed_back, holder)
    )


def queue(sessions: sessionmaker[Session]) -> list[QueueEntry]:
    """Open entries, most severe first (danger first), then longest waiting."""
    holder = aliased(Account)
    with sessions() as session:
        rows = session.execute(
            select(HandoffRequest, Conversation, holder.display_name)
            .join(Conversation, Conversation.id == HandoffRequest.conversation_id)
            .outerjoin(holder, holder.id == HandoffRequest.taken_by)
            .where(HandoffRequest.status.in_(OPEN_STATUSES))
            .order_by(
                HandoffRequest.severity.desc(),
                HandoffRequest.waiting_since,
                HandoffRequest.id,
            )
        ).all()
        return [
            QueueEntry(
                request_id=entry.id,
                conversation_id=entry.conversation_id,
                channel=conversation.channel,
                reason=HandoffReason(entry.reason),
                severity=entry.severity,
                category=entry.category,
                status=HandoffStatus(entry.status),
                waiting_since=entry.waiting_since,
                escalated_at=entry.escalated_at,
                taken_by=entry.taken_by,
                taken_by_name=name,
                last_message_at=conversation.last_message_at,
            )
            for entry, conversation, name in rows
        ]


def record_opening(
    sessions: sessionmaker[Session], conversation_id: str, account_id: int
) -> None:
    """Audit: ``account_id`` opened the conversation, now."""
    with sessions.begin() as session:
        session.add(
            ConversationOpening(conversation_id=conversation_id, account_id=account_id)
        )
    logger.info("Conversation %s opened by account %d", conversation_id, account_id)


# --- Helpers -----------------------------------------------------------------


def _open_entry(session: Session, conversation_id: str) -> HandoffRequest | None:
    return session.scalar(
        select(HandoffRequest).where(
            HandoffRequest.conversation_id == conversation_id,
            HandoffRequest.status.in_(OPEN_STATUSES),
        )
    )


def _require_open(session: Session, conversation_id: str) -> HandoffRequest:
    entry = _open_entry(session, conversation_id)
    if entry is None:
        raise NoOpenRequestError(
            f"Expected conversation {conversation_id} in the queue; it is not "
            "(closed, erased, or never requested). Reload the queue."
        )
    return entry


def _require_holder(
    session: Session, entry: HandoffRequest, account_id: int, *, force: bool
) -> None:
    if entry.status != HandoffStatus.TAKEN:
        raise NotTakenError(
            f"Expected conversation {entry.conversation_id} taken; it is "
            f"{entry.status}. Take it first."
        )
    if entry.taken_by != account_id and not force:
        raise TakenByOtherError(
            f"Conversation {entry.conversation_id} is taken by account "
            f"{entry.taken_by}, not {account_id}.",
            _name(session, entry.taken_by),
        )


def _name(session: Session, account_id: int | None) -> str:
    account = session.get(Account, account_id) if account_id is not None else None
    return account.display_name if account is not None else "Quelqu'un de l'équipe"


def _checked_text(text: str, limit: int, what: str) -> str:
    text = text.strip()
    if not text or len(text) > limit:
        raise ValueError(
            f"Expected a {what} of 1 to {limit} characters; got {len(text)}."
        )
    return text


def _store_bot_notice(
    sessions: sessionmaker[Session], conversation_id: str, text: str
) -> list[Outbound]:
    with sessions.begin() as session:
        session.add(
            Message(
                conversation_id=conversation_id,
                author=Author.BOT,
                text=text,
                status=MessageStatus.PROCESSED,
            )
        )
    return [Outbound(text)]
