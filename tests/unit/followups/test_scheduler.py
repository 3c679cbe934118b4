"""The scheduler and the gateway sending due follow-ups (stand-in Rasa and platform)."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import create_engine_for, session_factory
from bot.db.models import (
    Author,
    ChannelAddress,
    Conversation,
    ConversationMode,
    Message,
)
from bot.followups import store
from bot.followups.models import FollowUp, FollowUpStatus
from bot.followups.scheduler import FollowUpScheduler
from bot.gateway import DeliveryResult, FollowUpOutcome, Gateway
from bot.messages import Channel, Inbound
from tests.unit.bot.fakes import FakeSender
from tests.unit.followups.conftest import POLICY, FollowUpRasa, make_gateway, telegram

PARIS = ZoneInfo("Europe/Paris")
MONDAY_AFTERNOON = datetime(2026, 12, 7, 15, 0, tzinfo=PARIS)
STEP = "passer à la Mission Locale de Roubaix"


def scheduler(
    sessions: sessionmaker[Session], gateway: Gateway, now: datetime
) -> FollowUpScheduler:
    return FollowUpScheduler(sessions, gateway, POLICY, 1.0, clock=lambda: now)


async def conversation_with_follow_up(
    gateway: Gateway, sessions: sessionmaker[Session], user: str = "42"
) -> tuple[str, int]:
    await gateway.receive(telegram("salut", user))
    conversation_id = gateway.conversation_id(Channel.TELEGRAM, user)
    follow_up_id = store.schedule(
        sessions, conversation_id, STEP, MONDAY_AFTERNOON - timedelta(minutes=1)
    )
    return conversation_id, follow_up_id


def follow_ups(sessions: sessionmaker[Session]) -> list[FollowUp]:
    with sessions() as session:
        return list(session.scalars(select(FollowUp).order_by(FollowUp.id)))


async def test_a_due_follow_up_goes_once_to_the_same_chat(
    gateway: Gateway,
    sessions: sessionmaker[Session],
    rasa: FollowUpRasa,
    sender: FakeSender,
) -> None:
    conversation_id, _ = await conversation_with_follow_up(gateway, sessions)

    first = await scheduler(sessions, gateway, MONDAY_AFTERNOON).run_once()
    second = await scheduler(sessions, gateway, MONDAY_AFTERNOON).run_once()

    assert first[FollowUpOutcome.SENT] == 1
    assert sum(second.values()) == 0
    assert [(address, [m.text for m in msgs]) for address, msgs in sender.sent] == [
        ("chat-42", [f"Alors, t'as pu {STEP} ?"])
    ]
    assert rasa.triggered == [
        (
            conversation_id,
            {
                "name": "EXTERNAL_follow_up",
                "entities": {"follow_up_attempt": "1", "next_step": STEP},
            },
        )
    ]
    with sessions() as session:
        last = session.scalars(select(Message).order_by(Message.id.desc())).first()
    assert last is not None
    assert last.author == Author.BOT
    assert last.text == f"Alors, t'as pu {STEP} ?"


async def test_no_answer_brings_one_re_send_three_days_later_then_none(
    gateway: Gateway, sessions: sessionmaker[Session], sender: FakeSender
) -> None:
    await conversation_with_follow_up(gateway, sessions)
    await scheduler(sessions, gateway, MONDAY_AFTERNOON).run_once()

    sent, resend = follow_ups(sessions)
    assert sent.status == FollowUpStatus.SENT
    assert resend.status == FollowUpStatus.PENDING
    assert resend.attempt == 2
    assert store.utc(resend.due_at) == MONDAY_AFTERNOON + timedelta(days=3)

    thursday = MONDAY_AFTERNOON + timedelta(days=3)
    await scheduler(sessions, gateway, thursday).run_once()
    sunday = thursday + timedelta(days=3)
    await scheduler(sessions, gateway, sunday).run_once()

    assert [f.status for f in follow_ups(sessions)] == [
        FollowUpStatus.SENT,
        FollowUpStatus.SENT,
    ]
    assert len(sender.sent) == 2  # the limit is two without an answer


async def test_any_answer_counts_and_cancels_the_re_send(
    gateway: Gateway, sessions: sessionmaker[Session], sender: FakeSender
) -> None:
    await conversation_with_follow_up(gateway, sessions)
    await scheduler(sessions, gateway, MONDAY_AFTERNOON).run_once()

    await gateway.receive(telegram("mdr jsp"))

    statuses = [(f.status, f.reason) for f in follow_ups(sessions)]
    assert statuses == [
        (FollowUpStatus.ANSWERED, None),
        (FollowUpStatus.CANCELLED, "answered"),
    ]
    thursday = MONDAY_AFTERNOON + timedelta(days=3)
    await scheduler(sessions, gateway, thursday).run_once()
    assert len(sender.sent) == 1


async def test_a_message_before_the_follow_up_does_not_cancel_it(
    gateway: Gateway, sessions: sessionmaker[Session], sender: FakeSender
) -> None:
    await conversation_with_follow_up(gateway, sessions)

    await gateway.receive(telegram("au fait c'est quoi la garantie jeunes"))
    await scheduler(sessions, gateway, MONDAY_AFTERNOON).run_once()

    assert len(sender.sent) == 1


async def test_nothing_goes_out_at_night(
    gateway: Gateway, sessions: sessionmaker[Session], sender: FakeSender
) -> None:
    await conversation_with_follow_up(gateway, sessions)
    night = datetime(2026, 12, 7, 22, 30, tzinfo=PARIS)

    outcomes = await scheduler(sessions, gateway, night).run_once()

    assert sum(outcomes.values()) == 0
    assert sender.sent == []
    assert follow_ups(sessions)[0].status == FollowUpStatus.PENDING


async def test_a_counsellor_holding_the_conversation_postpones_it(
    gateway: Gateway,
    sessions: sessionmaker[Session],
    rasa: FollowUpRasa,
    sender: FakeSender,
) -> None:
    conversation_id, _ = await conversation_with_follow_up(gateway, sessions)
    with sessions.begin() as session:
        session.get_one(Conversation, conversation_id).mode = ConversationMode.HUMAN

    outcomes = await scheduler(sessions, gateway, MONDAY_AFTERNOON).run_once()

    assert outcomes[FollowUpOutcome.POSTPONED] == 1
    assert sender.sent == []
    assert rasa.triggered == []
    (row,) = follow_ups(sessions)
    assert row.status == FollowUpStatus.PENDING
    assert store.utc(row.due_at) == MONDAY_AFTERNOON + timedelta(days=3)


async def test_rasa_unreachable_gives_it_back_for_the_next_round(
    gateway: Gateway,
    sessions: sessionmaker[Session],
    rasa: FollowUpRasa,
    sender: FakeSender,
) -> None:
    await conversation_with_follow_up(gateway, sessions)
    rasa.up = False

    outcomes = await scheduler(sessions, gateway, MONDAY_AFTERNOON).run_once()
    assert outcomes[FollowUpOutcome.RELEASED] == 1
    assert follow_ups(sessions)[0].status == FollowUpStatus.PENDING

    rasa.up = True
    await scheduler(sessions, gateway, MONDAY_AFTERNOON).run_once()
    assert len(sender.sent) == 1


async def test_a_rasa_error_is_not_retried(
    gateway: Gateway,
    sessions: sessionmaker[Session],
    rasa: FollowUpRasa,
    sender: FakeSender,
) -> None:
    await conversation_with_follow_up(gateway, sessions)
    rasa.status = 500

    outcomes = await scheduler(sessions, gateway, MONDAY_AFTERNOON).run_once()
    await scheduler(sessions, gateway, MONDAY_AFTERNOON).run_once()

    assert outcomes[FollowUpOutcome.UNDELIVERED] == 1
    assert len(rasa.triggered) == 1
    assert sender.sent == []
    assert follow_ups(sessions)[0].reason == "rasa"


async def test_a_blocked_bot_cancels_what_was_left(
    gateway: Gateway, sessions: sessionmaker[Session], sender: FakeSender
) -> None:
    conversation_id, _ = await conversation_with_follow_up(gateway, sessions)
    sender.result = DeliveryResult.BLOCKED

    outcomes = await scheduler(sessions, gateway, MONDAY_AFTERNOON).run_once()

    assert outcomes[FollowUpOutcome.UNDELIVERED] == 1
    assert [f.status for f in follow_ups(sessions)] == [
        FollowUpStatus.UNDELIVERED,
        FollowUpStatus.CANCELLED,
    ]
    with sessions() as session:
        assert session.get_one(ChannelAddress, conversation_id).blocked


async def test_the_web_chat_gets_it_in_its_transcript(
    gateway: Gateway, sessions: sessionmaker[Session], sender: FakeSender
) -> None:
    await gateway.receive(Inbound(channel=Channel.WEBCHAT, user_id="w1", text="yo"))
    conversation_id = gateway.conversation_id(Channel.WEBCHAT, "w1")
    cursor = gateway.last_message_id(conversation_id)
    store.schedule(sessions, conversation_id, None, MONDAY_AFTERNOON)

    outcomes = await scheduler(sessions, gateway, MONDAY_AFTERNOON).run_once()

    assert outcomes[FollowUpOutcome.SENT] == 1
    assert sender.sent == []
    texts = [m.text for _, m in gateway.transcript_since(conversation_id, cursor)]
    assert texts == ["Alors, t'as pu y aller ?"]


def test_two_schedulers_racing_on_one_database_send_each_once(
    database_url: str,
) -> None:
    """Two bot processes on one database: every follow-up goes exactly once."""
    rasa = FollowUpRasa()
    engines = [create_engine_for(database_url) for _ in range(2)]
    sessions = [session_factory(engine) for engine in engines]
    senders = [FakeSender(), FakeSender()]
    gateways = [
        make_gateway(s, rasa, snd) for s, snd in zip(sessions, senders, strict=True)
    ]

    async def seed() -> None:
        for user in range(20):
            await conversation_with_follow_up(gateways[0], sessions[0], str(user))

    asyncio.run(seed())
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            asyncio.run(
                scheduler(sessions[index], gateways[index], MONDAY_AFTERNOON).run_once()
            )
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()

    assert errors == []
    addresses = [address for snd in senders for address, _ in snd.sent]
    assert sorted(addresses) == sorted(f"chat-{user}" for user in range(20))
    assert len(rasa.triggered) == 20


def test_only_one_of_many_claims_wins(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        session.add(Conversation(id="c1", channel="telegram"))
    follow_up_id = store.schedule(sessions, "c1", STEP, datetime.now(UTC))
    engines = [create_engine_for(database_url) for _ in range(6)]
    start = threading.Barrier(len(engines))
    wins: list[bool] = []

    def claim(engine_index: int) -> None:
        start.wait()
        factory = session_factory(engines[engine_index])
        wins.append(store.claim(factory, follow_up_id, datetime.now(UTC)) is not None)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()

    assert sorted(wins) == [False] * 5 + [True]


async def test_nothing_is_claimed_until_rasa_and_the_actions_are_ready(
    gateway: Gateway, sessions: sessionmaker[Session], sender: FakeSender
) -> None:
    await conversation_with_follow_up(gateway, sessions)
    ready = False

    async def services_ready() -> bool:
        return ready

    waiting = FollowUpScheduler(
        sessions,
        gateway,
        POLICY,
        1.0,
        clock=lambda: MONDAY_AFTERNOON,
        ready=services_ready,
    )
    assert sum((await waiting.run_once()).values()) == 0
    assert follow_ups(sessions)[0].status == FollowUpStatus.PENDING

    ready = True
    assert (await waiting.run_once())[FollowUpOutcome.SENT] == 1
