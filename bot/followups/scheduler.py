"""The loop that sends due follow-ups, started with the bot service.

Every ``poll_seconds`` it looks for pending follow-ups whose time has come,
claims each one in the database (see :mod:`bot.followups.store`: at most
once, even with two bot processes on one database) and hands it to the
gateway, which asks Rasa for the words and delivers them on the
conversation's own channel. Outside the sending hours it claims nothing:
what fell due in the night waits for the morning.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.followups import store
from bot.followups.timing import FollowUpPolicy
from bot.gateway import FollowUpOutcome, Gateway

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class FollowUpScheduler:
    """Sends due follow-ups through the gateway.

    Args:
        sessions: the app database's session factory.
        gateway: delivers a follow-up on its conversation's channel.
        policy: delay, sending hours and attempt limit.
        poll_seconds: how often to look for due follow-ups.
        clock: returns now, as an aware datetime (tests pass their own).
        ready: whether Rasa and the action server can answer now. Nothing is
            claimed until they can: a Rasa still loading its model would
            leave the young person with a claimed follow-up and no message.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        gateway: Gateway,
        policy: FollowUpPolicy,
        poll_seconds: float,
        clock: Callable[[], datetime] = _now,
        ready: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self._ready = ready
        self._sessions = sessions
        self._gateway = gateway
        self._policy = policy
        self._poll_seconds = poll_seconds
        self._clock = clock

    async def run(self) -> None:
        """Send due follow-ups until cancelled."""
        logger.info("Follow-up scheduler started (every %.0f s)", self._poll_seconds)
        while True:
            try:
                await self.run_once()
            except Exception:
                # A database hiccup must not end the loop; the next round retries.
                logger.exception("Follow-up round failed; retrying")
            await asyncio.sleep(self._poll_seconds)

    async def run_once(self) -> Counter[FollowUpOutcome]:
        """One round: claim and send what is due now; returns the outcomes."""
        outcomes: Counter[FollowUpOutcome] = Counter()
        now = self._clock()
        if not self._policy.hours.is_open(now):
            return outcomes
        due = store.due_ids(self._sessions, now)
        if not due or (self._ready is not None and not await self._ready()):
            return outcomes
        for follow_up_id in due:
            follow_up = store.claim(self._sessions, follow_up_id, now)
            if follow_up is None:
                continue  # another process took it
            outcome = await self._gateway.send_follow_up(follow_up, self._policy, now)
            outcomes[outcome] += 1
            if outcome is FollowUpOutcome.RELEASED:
                break  # Rasa is down: the others wait for the next round
        return outcomes
