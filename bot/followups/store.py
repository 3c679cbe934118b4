"""Follow-ups in the app database: schedule, claim, close.

Every change is one short transaction, so the bot service and a second bot
process (or one restarted mid-way) can share the table. A follow-up is
claimed with a conditional UPDATE (``pending`` → ``sending``) before it is
sent: only one process wins the claim, and a claimed follow-up is never
claimed again. Delivery is therefore at most once: a process that dies
between the claim and the send loses that follow-up rather than sending it
twice (a duplicate "alors, t'as pu y aller ?" is worse than a missing one,
and the young person can always write).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.followups.models import FollowUp, FollowUpStatus
from bot.followups.timing import FollowUpPolicy

logger = logging.getLogger(__name__)

# Statuses after which nothing more happens to a follow-up.
CLOSED = (
    FollowUpStatus.ANSWERED,
    FollowUpStatus.UNDELIVERED,
    FollowUpStatus.CANCELLED,
)


@dataclass(frozen=True)
class DueFollowUp:
    """A claimed follow-up, as the sender needs it."""

    id: int
    conversation_id: str
    next_step: str | None
    attempt: int


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; SQLite hands back naive datetimes, stored as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def schedule(
    sessions: sessionmaker[Session],
    conversation_id: str,
    next_step: str | None,
    due_at: datetime,
    attempt: int = 1,
) -> int:
    """Store a pending follow-up; it replaces the conversation's pending ones.

    One conversation waits for one check-back at a time: agreeing to a new
    next step supersedes the old one.
    """
    with sessions.begin() as session:
        _close_pending(session, conversation_id, "replaced", utc(datetime.now(UTC)))
        follow_up = FollowUp(
            conversation_id=conversation_id,
            next_step=next_step or None,
            attempt=attempt,
            status=FollowUpStatus.PENDING,
            due_at=utc(due_at),
        )
        session.add(follow_up)
        session.flush()
        follow_up_id = follow_up.id
    logger.info(
        "Follow-up %s scheduled for conversation %s (attempt %s)",
        follow_up_id,
        conversation_id,
        attempt,
    )
    return follow_up_id


def cancel_pending(
    sessions: sessionmaker[Session], conversation_id: str, reason: str
) -> int:
    """Cancel the conversation's pending follow-ups; returns how many."""
    with sessions.begin() as session:
        count = _close_pending(session, conversation_id, reason, datetime.now(UTC))
    if count:
        logger.info(
            "%s follow-up(s) of conversation %s cancelled (%s)",
            count,
            conversation_id,
            reason,
        )
    return count


def record_answer(sessions: sessionmaker[Session], conversation_id: str) -> None:
    """The young person wrote: a sent follow-up is answered, re-sends are off.

    A follow-up they agreed to (attempt 1) still goes: writing about
    something else is not an answer to a question not yet asked.
    """
    now = datetime.now(UTC)
    with sessions.begin() as session:
        answered = _changed(
            session,
            update(FollowUp)
            .where(
                FollowUp.conversation_id == conversation_id,
                FollowUp.status == FollowUpStatus.SENT,
            )
            .values(status=FollowUpStatus.ANSWERED, closed_at=now),
        )
        if not answered:
            return
        _changed(
            session,
            update(FollowUp)
            .where(
                FollowUp.conversation_id == conversation_id,
                FollowUp.status == FollowUpStatus.PENDING,
                FollowUp.attempt > 1,
            )
            .values(status=FollowUpStatus.CANCELLED, reason="answered", closed_at=now),
        )
    logger.info("Follow-up of conversation %s answered", conversation_id)


def due_ids(
    sessions: sessionmaker[Session], now: datetime, limit: int = 50
) -> list[int]:
    """Pending follow-ups whose time has come, oldest due first."""
    with sessions() as session:
        return list(
            session.scalars(
                select(FollowUp.id)
                .where(
                    FollowUp.status == FollowUpStatus.PENDING,
                    FollowUp.due_at <= utc(now),
                )
                .order_by(FollowUp.due_at, FollowUp.id)
                .limit(limit)
            )
        )


def claim(
    sessions: sessionmaker[Session], follow_up_id: int, now: datetime
) -> DueFollowUp | None:
    """Take a due follow-up for sending; None when another process has it.

    The conditional UPDATE is atomic in SQLite and PostgreSQL alike: of two
    schedulers racing for the same row, exactly one sees a row count of 1.
    """
    with sessions.begin() as session:
        claimed = _changed(
            session,
            update(FollowUp)
            .where(
                FollowUp.id == follow_up_id,
                FollowUp.status == FollowUpStatus.PENDING,
                FollowUp.due_at <= utc(now),
            )
            .values(status=FollowUpStatus.SENDING, claimed_at=utc(now)),
        )
        if claimed != 1:
            return None
        row = session.get_one(FollowUp, follow_up_id)
        return DueFollowUp(row.id, row.conversation_id, row.next_step, row.attempt)


def release(sessions: sessionmaker[Session], follow_up_id: int) -> None:
    """Give a claimed follow-up back: nothing of it reached anyone."""
    with sessions.begin() as session:
        _changed(
            session,
            update(FollowUp)
            .where(
                FollowUp.id == follow_up_id,
                FollowUp.status == FollowUpStatus.SENDING,
            )
            .values(status=FollowUpStatus.PENDING, claimed_at=None),
        )


def postpone(
    sessions: sessionmaker[Session], follow_up_id: int, until: datetime
) -> None:
    """Give a claimed follow-up back with a later due time."""
    with sessions.begin() as session:
        session.execute(
            update(FollowUp)
            .where(
                FollowUp.id == follow_up_id,
                FollowUp.status == FollowUpStatus.SENDING,
            )
            .values(status=FollowUpStatus.PENDING, claimed_at=None, due_at=utc(until))
        )
    logger.info("Follow-up %s postponed", follow_up_id)


def mark_sent(
    sessions: sessionmaker[Session],
    follow_up: DueFollowUp,
    now: datetime,
    policy: FollowUpPolicy,
) -> int | None:
    """Record a sent follow-up; schedule the re-send if the limit allows.

    Returns the id of the re-send, or None after the last attempt.
    """
    with sessions.begin() as session:
        row = session.get(FollowUp, follow_up.id)
        if row is None:  # erased while it was being sent
            return None
        row.status = FollowUpStatus.SENT
        row.sent_at = utc(now)
    if follow_up.attempt >= policy.max_attempts:
        return None
    return schedule(
        sessions,
        follow_up.conversation_id,
        follow_up.next_step,
        policy.due_after(now),
        attempt=follow_up.attempt + 1,
    )


def mark_undelivered(
    sessions: sessionmaker[Session], follow_up_id: int, reason: str
) -> None:
    with sessions.begin() as session:
        row = session.get(FollowUp, follow_up_id)
        if row is not None:
            row.status = FollowUpStatus.UNDELIVERED
            row.reason = reason
            row.closed_at = datetime.now(UTC)


def _changed(session: Session, statement: Any) -> int:
    """Run an UPDATE; how many rows it changed."""
    result = cast(CursorResult[Any], session.execute(statement))
    return int(result.rowcount)


def _close_pending(
    session: Session, conversation_id: str, reason: str, now: datetime
) -> int:
    return _changed(
        session,
        update(FollowUp)
        .where(
            FollowUp.conversation_id == conversation_id,
            FollowUp.status == FollowUpStatus.PENDING,
        )
        .values(status=FollowUpStatus.CANCELLED, reason=reason, closed_at=now),
    )
