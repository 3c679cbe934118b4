"""The gateway: every message from a young person passes here, in order.

For each inbound message it pseudonymises the sender, stores the message
before anything else (so nothing is lost if a process dies), drops
duplicates, answers what Rasa cannot read (stickers, voice notes), asks Rasa
for the answers and stores them. When Rasa is unreachable it says so kindly,
keeps the message, and a background loop processes it, in order, once Rasa
is back, pushing the answers through the connector of the message's channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.commands import (
    CANCEL_FOLLOW_UPS,
    ERASE_CONVERSATION,
    REQUEST_HANDOFF,
    SCHEDULE_FOLLOW_UP,
)
from bot.db.base import utcnow
from bot.db.models import (
    Author,
    ChannelAddress,
    Conversation,
    ConversationMode,
    Message,
    MessageStatus,
)
from bot.followups import store as follow_ups
from bot.followups.timing import FollowUpPolicy
from bot.handoff import request_handoff
from bot.identity import pseudonym
from bot.messages import Button, Channel, Inbound, InboundKind, Outbound
from bot.privacy import erase_conversation
from bot.rasa_client import RasaClient, RasaReply, RasaUnavailableError
from bot.safety.net import SafetyNet
from bot.texts import GatewayTexts

logger = logging.getLogger(__name__)

# The intent that makes Rasa ask how the next step went (rules in
# data/rules/followups.yml); it has no training examples a person would type.
FOLLOW_UP_INTENT = "EXTERNAL_follow_up"

# What the NLU reads of a message. Longer messages are kept whole in the
# transcript for the counsellor; the classifier only needs the start.
NLU_MAX_CHARS = 1_000
RETRY_INTERVAL_SECONDS = 2.0
# A message still RECEIVED after this long was left by a process that stopped
# mid-way (younger ones are being answered by their own request).
STALE_RECEIVED_SECONDS = 30


class DeliveryResult(StrEnum):
    DELIVERED = "delivered"
    BLOCKED = "blocked"  # the person blocked the bot (Telegram 403, Discord 50007)
    FAILED = "failed"


class FollowUpOutcome(StrEnum):
    """What became of one claimed follow-up."""

    SENT = "sent"
    POSTPONED = "postponed"  # a counsellor has the conversation
    RELEASED = "released"  # Rasa unreachable: nothing happened, try again
    UNDELIVERED = "undelivered"
    CANCELLED = "cancelled"  # they blocked the bot, or the conversation is gone


class ChannelSender(Protocol):
    """What a connector offers for messages the gateway sends on its own."""

    async def send(self, address: str, messages: Sequence[Outbound]) -> DeliveryResult:
        """Deliver ``messages`` to ``address`` on the connector's platform."""
        ...


@dataclass(frozen=True)
class Accepted:
    """An inbound message stored in the transcript."""

    conversation_id: str
    message_id: int


# What a button sends: "/intent" or "/intent{...JSON object...}".
_PAYLOAD = re.compile(r"/\w+(?P<entities>\{.*\})?", re.DOTALL)


def as_rasa_reads_it(text: str) -> str:
    """The text as sent, unless it starts with "/" without being a payload.

    Rasa reads a leading "/" as a button payload; a typed "/jsp quoi dire"
    would fail to parse, and Rasa would write the whole message to its log.
    Typed like that, it is words: the slash goes.
    """
    if not text.startswith("/"):
        return text
    match = _PAYLOAD.fullmatch(text.strip())
    if match is not None:
        entities = match.group("entities")
        if entities is None:
            return text
        with contextlib.suppress(ValueError):
            if isinstance(json.loads(entities), dict):
                return text
    return text.lstrip("/").strip() or "?"


class Gateway:
    """Routes messages between the platforms and Rasa.

    Args:
        sessions: the app database's session factory.
        rasa: client of the Rasa server.
        secret_key: key of the pseudonyms.
        texts: the gateway's own wording.
        tracker_db: Rasa's SQLite tracker store, erased with a conversation.
        safety: the crisis screening every inbound text goes through first.
        follow_up_policy: when check-backs are due; without it, a schedule
            command keeps the due time the action announced.
        actions_up: whether the action server answers. Rasa says nothing
            when it cannot reach it; with this, the message waits and is
            answered once it is back, as when Rasa itself is down.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        rasa: RasaClient,
        secret_key: bytes,
        texts: GatewayTexts,
        tracker_db: Path | None = None,
        safety: SafetyNet | None = None,
        follow_up_policy: FollowUpPolicy | None = None,
        actions_up: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._actions_up = actions_up
        self._follow_up_policy = follow_up_policy
        self._tracker_db = tracker_db
        self._safety = safety
        self._rasa = rasa
        self._key = secret_key
        self._texts = texts
        self._senders: dict[Channel, ChannelSender] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._wakeup = asyncio.Event()

    def register_sender(self, channel: Channel, sender: ChannelSender) -> None:
        """Let the gateway push messages to ``channel`` (deferred answers...)."""
        self._senders[channel] = sender

    def conversation_id(self, channel: Channel, user_id: str) -> str:
        return pseudonym(self._key, channel, user_id)

    async def receive(self, inbound: Inbound) -> list[Outbound]:
        """Store one inbound message and return the answers to it, in order.

        Returns an empty list for a duplicate (a platform re-delivering a
        message already stored).
        """
        accepted = self.accept(inbound)
        if accepted is None:
            return []
        async with self._locks[accepted.conversation_id]:
            return await self._process(accepted, inbound.kind)

    def accept(self, inbound: Inbound) -> Accepted | None:
        """Store the message; None when it was already stored."""
        conversation_id = self.conversation_id(inbound.channel, inbound.user_id)
        with self._sessions.begin() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                conversation = Conversation(
                    id=conversation_id, channel=inbound.channel.value
                )
                session.add(conversation)
            conversation.last_message_at = utcnow()
            self._remember_address(session, conversation_id, inbound)
        try:
            with self._sessions.begin() as session:
                message = Message(
                    conversation_id=conversation_id,
                    author=Author.YOUNG,
                    kind=inbound.kind.value,
                    text=inbound.text,
                    platform_message_id=inbound.platform_message_id,
                    status=MessageStatus.RECEIVED,
                )
                session.add(message)
        except IntegrityError:
            logger.info("Duplicate message dropped in conversation %s", conversation_id)
            return None
        logger.debug("Stored message %s of %s", message.id, conversation_id)
        # Whatever they write after a follow-up answers it.
        follow_ups.record_answer(self._sessions, conversation_id)
        return Accepted(conversation_id, message.id)

    def _remember_address(
        self, session: Session, conversation_id: str, inbound: Inbound
    ) -> None:
        if inbound.address is None:
            return
        address = session.get(ChannelAddress, conversation_id)
        if address is None:
            session.add(
                ChannelAddress(
                    conversation_id=conversation_id,
                    channel=inbound.channel.value,
                    address=inbound.address,
                )
            )
        else:
            # Writing again means they unblocked the bot.
            address.address = inbound.address
            address.blocked = False

    async def _process(self, accepted: Accepted, kind: InboundKind) -> list[Outbound]:
        """Answer one stored message; the conversation's lock is held."""
        with self._sessions.begin() as session:
            conversation = session.get_one(Conversation, accepted.conversation_id)
            message = session.get_one(Message, accepted.message_id)
            if message.status != MessageStatus.RECEIVED:
                return []  # the deferred loop got to it first
            mode = conversation.mode
            text = message.text or ""
            waiting = self._has_deferred(session, accepted)

        if kind is InboundKind.TEXT and text.strip() and self._safety is not None:
            # Before anything else, in every state: danger gets its numbers.
            screening = self._safety.screen(accepted.conversation_id, text)
            if not screening.forward:
                self._set_status(accepted.message_id, MessageStatus.PROCESSED)
                return self._store_answers(
                    accepted.conversation_id,
                    [answer for _, answer in screening.answers],
                    kinds=[answer_kind for answer_kind, _ in screening.answers],
                )

        if mode == ConversationMode.HUMAN:
            # A counsellor has the conversation: the bot stays silent.
            self._set_status(accepted.message_id, MessageStatus.PROCESSED)
            return []

        if kind is not InboundKind.TEXT or not text.strip():
            answers = [Outbound(self._texts.for_kind(kind))]
            self._set_status(accepted.message_id, MessageStatus.PROCESSED)
            return self._store_answers(accepted.conversation_id, answers)

        if waiting:
            # Earlier messages wait for Rasa: this one queues behind them.
            self._set_status(accepted.message_id, MessageStatus.DEFERRED)
            self._wakeup.set()
            answer = self._texts.pick(self._texts.still_unavailable)
            return self._store_answers(accepted.conversation_id, [Outbound(answer)])

        try:
            reply = await self._ask_rasa(accepted.conversation_id, text)
        except RasaUnavailableError:
            logger.warning(
                "Rasa unreachable; message %s of %s deferred",
                accepted.message_id,
                accepted.conversation_id,
            )
            self._set_status(accepted.message_id, MessageStatus.DEFERRED)
            self._wakeup.set()
            answer = self._texts.pick(self._texts.rasa_unavailable)
            return self._store_answers(accepted.conversation_id, [Outbound(answer)])

        return self._conclude(accepted.conversation_id, accepted.message_id, reply)

    async def _ask_rasa(self, conversation_id: str, text: str) -> RasaReply:
        text = as_rasa_reads_it(text)
        reply = await self._rasa.send(conversation_id, text[:NLU_MAX_CHARS])
        if not reply.messages and not reply.commands and not await self._actions_ok():
            # Rasa answers nothing when its actions fail to run: a silence
            # the young person must never get. Treated as Rasa being down.
            raise RasaUnavailableError("the action server does not answer")
        if len(text) > NLU_MAX_CHARS:
            reply.messages.insert(0, Outbound(self._texts.too_long))
        return reply

    async def _actions_ok(self) -> bool:
        return self._actions_up is None or await self._actions_up()

    def _conclude(
        self, conversation_id: str, message_id: int, reply: RasaReply
    ) -> list[Outbound]:
        """Store Rasa's answers and carry out the commands its actions sent."""
        if not reply.messages and not reply.commands:
            # Nothing to say (a payload typed by hand, an action that failed):
            # never silence.
            reply.messages.append(Outbound(self._texts.no_answer))
        if ERASE_CONVERSATION in reply.commands:
            # Nothing of this turn is stored: the answers confirm the erasure.
            erase_conversation(self._sessions, self._tracker_db, conversation_id)
            return reply.messages
        if REQUEST_HANDOFF in reply.commands:
            request_handoff(self._sessions, conversation_id, reason="asked")
        if CANCEL_FOLLOW_UPS in reply.commands and follow_ups.cancel_pending(
            self._sessions, conversation_id, "stop"
        ):
            reply.messages.append(Outbound(self._texts.follow_ups_stopped))
        if SCHEDULE_FOLLOW_UP in reply.commands:
            self._schedule_follow_up(
                conversation_id, reply.arguments.get(SCHEDULE_FOLLOW_UP, {})
            )
        self._set_status(message_id, MessageStatus.PROCESSED)
        return self._store_answers(conversation_id, reply.messages)

    def _schedule_follow_up(
        self, conversation_id: str, arguments: dict[str, str]
    ) -> None:
        """Store the check-back the action announced, at the time it said."""
        now = utcnow()
        due_at: datetime | None = None
        with contextlib.suppress(KeyError, ValueError):
            due_at = datetime.fromisoformat(arguments["due_at"])
        if due_at is None or due_at.tzinfo is None or due_at < now:
            if self._follow_up_policy is None:
                logger.warning(
                    "Follow-up for %s has no valid due time; not scheduled",
                    conversation_id,
                )
                return
            due_at = self._follow_up_policy.due_after(now)
        next_step = arguments.get("next_step", "").strip() or None
        follow_ups.schedule(self._sessions, conversation_id, next_step, due_at)

    def _has_deferred(self, session: Session, accepted: Accepted) -> bool:
        earlier = session.scalar(
            select(Message.id)
            .where(
                Message.conversation_id == accepted.conversation_id,
                Message.id < accepted.message_id,
                Message.status.in_([MessageStatus.DEFERRED, MessageStatus.RECEIVED]),
                Message.author == Author.YOUNG,
            )
            .limit(1)
        )
        return earlier is not None

    def _set_status(self, message_id: int, status: MessageStatus) -> None:
        with self._sessions.begin() as session:
            session.get_one(Message, message_id).status = status

    def _store_answers(
        self,
        conversation_id: str,
        answers: list[Outbound],
        kinds: list[str] | None = None,
    ) -> list[Outbound]:
        kinds = kinds or [InboundKind.TEXT.value] * len(answers)
        with self._sessions.begin() as session:
            for answer, answer_kind in zip(answers, kinds, strict=True):
                session.add(
                    Message(
                        conversation_id=conversation_id,
                        author=Author.BOT,
                        kind=answer_kind,
                        text=answer.text,
                        buttons=[
                            {"title": b.title, "payload": b.payload}
                            for b in answer.buttons
                        ],
                        status=MessageStatus.PROCESSED,
                    )
                )
        return answers

    # --- Messages that wait for Rasa -------------------------------------

    async def run_deferred_loop(self) -> None:
        """Process waiting messages whenever Rasa is back; runs until cancelled.

        Messages left RECEIVED by a process that stopped mid-way are picked up
        too, so a restart loses nothing.
        """
        logger.info("Deferred-message loop started")
        while True:
            try:
                await self.process_waiting()
            except Exception:
                # The loop must survive a database hiccup; the next round retries.
                logger.exception("Deferred-message round failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), RETRY_INTERVAL_SECONDS)
            self._wakeup.clear()

    async def process_waiting(self) -> int:
        """One round over waiting messages, oldest first; returns how many."""
        stale = utcnow() - timedelta(seconds=STALE_RECEIVED_SECONDS)
        with self._sessions() as session:
            waiting = session.execute(
                select(Message.id, Message.conversation_id, Message.kind)
                .where(
                    Message.author == Author.YOUNG,
                    or_(
                        Message.status == MessageStatus.DEFERRED,
                        and_(
                            Message.status == MessageStatus.RECEIVED,
                            Message.created_at < stale,
                        ),
                    ),
                )
                .order_by(Message.id)
            ).all()
        if not waiting or not await self._rasa.is_up() or not await self._actions_ok():
            return 0

        done = 0
        for message_id, conversation_id, kind in waiting:
            lock = self._locks[conversation_id]
            if lock.locked():
                continue  # its own request is answering it right now
            async with lock:
                if not self._still_waiting(message_id):
                    continue
                answers = await self._answer_waiting(conversation_id, message_id, kind)
            if answers:
                await self.push(conversation_id, answers)
            done += 1
        return done

    def _still_waiting(self, message_id: int) -> bool:
        with self._sessions() as session:
            status = session.get_one(Message, message_id).status
        return status in (MessageStatus.DEFERRED, MessageStatus.RECEIVED)

    async def _answer_waiting(
        self, conversation_id: str, message_id: int, kind: str
    ) -> list[Outbound]:
        with self._sessions() as session:
            text = session.get_one(Message, message_id).text or ""
            mode = session.get_one(Conversation, conversation_id).mode
        if mode == ConversationMode.HUMAN:
            self._set_status(message_id, MessageStatus.PROCESSED)
            return []
        if kind != InboundKind.TEXT or not text.strip():
            self._set_status(message_id, MessageStatus.PROCESSED)
            return self._store_answers(
                conversation_id, [Outbound(self._texts.for_kind(InboundKind(kind)))]
            )
        try:
            reply = await self._ask_rasa(conversation_id, text)
        except RasaUnavailableError:
            return []
        return self._conclude(conversation_id, message_id, reply)

    async def push(
        self, conversation_id: str, messages: Sequence[Outbound]
    ) -> DeliveryResult | None:
        """Send messages the young person did not just ask for.

        The web chat has no sender: its page fetches stored messages itself.
        Returns None when there was nowhere to push to.
        """
        with self._sessions() as session:
            address = session.get(ChannelAddress, conversation_id)
            if address is None or address.blocked:
                return None
            channel, target = Channel(address.channel), address.address
        sender = self._senders.get(channel)
        if sender is None:
            return None
        result = await sender.send(target, messages)
        if result is DeliveryResult.BLOCKED:
            self.mark_blocked(conversation_id)
        elif result is DeliveryResult.FAILED:
            logger.warning("Push to conversation %s failed", conversation_id)
        return result

    # --- Follow-ups ----------------------------------------------------------

    async def send_follow_up(
        self,
        follow_up: follow_ups.DueFollowUp,
        policy: FollowUpPolicy,
        now: datetime,
    ) -> FollowUpOutcome:
        """Ask Rasa for the check-back and deliver it on the conversation's channel.

        ``follow_up`` was claimed by the caller: whatever happens here, it is
        not sent twice. It is recorded as sent before the push, so that a
        quick answer finds it answerable.
        """
        conversation_id = follow_up.conversation_id
        async with self._locks[conversation_id]:
            with self._sessions() as session:
                conversation = session.get(Conversation, conversation_id)
                if conversation is None:
                    return FollowUpOutcome.CANCELLED
                mode, channel = conversation.mode, Channel(conversation.channel)
                address = session.get(ChannelAddress, conversation_id)
                blocked = address is not None and address.blocked
                reachable = channel is Channel.WEBCHAT or (
                    address is not None and channel in self._senders
                )
            if mode == ConversationMode.HUMAN:
                # A counsellor is talking with them: check back later.
                follow_ups.postpone(self._sessions, follow_up.id, policy.due_after(now))
                return FollowUpOutcome.POSTPONED
            if blocked:
                follow_ups.mark_undelivered(self._sessions, follow_up.id, "blocked")
                return FollowUpOutcome.CANCELLED
            if not reachable:
                follow_ups.mark_undelivered(self._sessions, follow_up.id, "platform")
                logger.warning(
                    "Follow-up %s: no connector for conversation %s",
                    follow_up.id,
                    conversation_id,
                )
                return FollowUpOutcome.UNDELIVERED
            entities = {"follow_up_attempt": str(follow_up.attempt)}
            if follow_up.next_step:
                entities["next_step"] = follow_up.next_step
            try:
                reply = await self._rasa.trigger_intent(
                    conversation_id, FOLLOW_UP_INTENT, entities
                )
            except RasaUnavailableError as err:
                if not err.reached:
                    follow_ups.release(self._sessions, follow_up.id)
                    return FollowUpOutcome.RELEASED
                follow_ups.mark_undelivered(self._sessions, follow_up.id, "rasa")
                logger.warning("Follow-up %s: Rasa failed", follow_up.id)
                return FollowUpOutcome.UNDELIVERED
            if not reply.messages:
                follow_ups.mark_undelivered(self._sessions, follow_up.id, "rasa")
                logger.warning("Follow-up %s: Rasa said nothing", follow_up.id)
                return FollowUpOutcome.UNDELIVERED
            self._store_answers(conversation_id, reply.messages)
            resend = follow_ups.mark_sent(self._sessions, follow_up, now, policy)
            if channel is Channel.WEBCHAT:
                result: DeliveryResult | None = DeliveryResult.DELIVERED
            else:
                result = await self.push(conversation_id, reply.messages)
        if result is DeliveryResult.DELIVERED:
            logger.info(
                "Follow-up %s sent to conversation %s", follow_up.id, conversation_id
            )
            return FollowUpOutcome.SENT
        follow_ups.mark_undelivered(self._sessions, follow_up.id, "platform")
        if resend is not None:
            follow_ups.cancel_pending(self._sessions, conversation_id, "undelivered")
        return FollowUpOutcome.UNDELIVERED

    def mark_blocked(self, conversation_id: str) -> None:
        """Stop pushing to someone whose platform says they blocked the bot.

        Connectors call this when a reply (not only a push) is refused; the
        flag clears when the person writes again.
        """
        with self._sessions.begin() as session:
            address = session.get(ChannelAddress, conversation_id)
            if address is not None:
                address.blocked = True
        logger.info("Conversation %s blocked the bot", conversation_id)
        follow_ups.cancel_pending(self._sessions, conversation_id, "blocked")

    def transcript_since(
        self, conversation_id: str, after_id: int
    ) -> list[tuple[int, Outbound]]:
        """Messages for the young person stored after ``after_id``, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Message)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.id > after_id,
                    Message.author != Author.YOUNG,
                )
                .order_by(Message.id)
            ).all()
            return [
                (
                    row.id,
                    Outbound(
                        row.text or "",
                        tuple(Button(b["title"], b["payload"]) for b in row.buttons),
                    ),
                )
                for row in rows
            ]

    def last_message_id(self, conversation_id: str) -> int:
        with self._sessions() as session:
            last = session.scalar(
                select(Message.id)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id.desc())
                .limit(1)
            )
        return last or 0
