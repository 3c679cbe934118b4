"""What the actions ask of the gateway: schedule, stop; and what ends follow-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.commands import (
    CANCEL_FOLLOW_UPS,
    SCHEDULE_FOLLOW_UP,
    command_message,
)
from bot.followups import store
from bot.followups.models import FollowUp, FollowUpStatus
from bot.gateway import Gateway
from bot.messages import Channel
from bot.privacy import erase_conversation
from bot.texts import load_texts
from tests.unit.followups.conftest import POLICY, FollowUpRasa, telegram

STEP = "passer à la Mission Locale de Roubaix"


def rows(sessions: sessionmaker[Session]) -> list[FollowUp]:
    with sessions() as session:
        return list(session.scalars(select(FollowUp).order_by(FollowUp.id)))


def command(name: str, **arguments: str) -> dict[str, object]:
    return {"custom": command_message(name, **arguments)}


async def test_the_schedule_command_stores_what_the_action_announced(
    gateway: Gateway, sessions: sessionmaker[Session], rasa: FollowUpRasa
) -> None:
    due = datetime.now(UTC) + timedelta(days=3)
    rasa.answers = [
        command(SCHEDULE_FOLLOW_UP, next_step=STEP, due_at=due.isoformat()),
        {"text": "Ok, je reviens vers toi jeudi 👍"},
    ]

    answers = await gateway.receive(telegram("oui vas-y"))

    assert [a.text for a in answers] == ["Ok, je reviens vers toi jeudi 👍"]
    (row,) = rows(sessions)
    assert row.conversation_id == gateway.conversation_id(Channel.TELEGRAM, "42")
    assert row.next_step == STEP
    assert row.status == FollowUpStatus.PENDING
    assert row.attempt == 1
    assert store.utc(row.due_at) == due


async def test_a_missing_due_time_falls_back_on_the_policy(
    gateway: Gateway, sessions: sessionmaker[Session], rasa: FollowUpRasa
) -> None:
    rasa.answers = [command(SCHEDULE_FOLLOW_UP, next_step="", due_at="jeudi")]
    before = datetime.now(UTC)

    await gateway.receive(telegram("rappelle moi plus tard"))

    (row,) = rows(sessions)
    assert row.next_step is None
    assert store.utc(row.due_at) >= POLICY.due_after(before)


async def test_a_new_yes_replaces_the_waiting_follow_up(
    gateway: Gateway, sessions: sessionmaker[Session], rasa: FollowUpRasa
) -> None:
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    rasa.answers = [command(SCHEDULE_FOLLOW_UP, next_step="appeler", due_at=due)]
    await gateway.receive(telegram("oui"))
    rasa.answers = [command(SCHEDULE_FOLLOW_UP, next_step=STEP, due_at=due)]
    await gateway.receive(telegram("oui"))

    assert [(r.next_step, r.status, r.reason) for r in rows(sessions)] == [
        ("appeler", FollowUpStatus.CANCELLED, "replaced"),
        (STEP, FollowUpStatus.PENDING, None),
    ]


async def test_stop_cancels_at_once_and_says_so(
    gateway: Gateway, sessions: sessionmaker[Session], rasa: FollowUpRasa
) -> None:
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    rasa.answers = [command(SCHEDULE_FOLLOW_UP, next_step=STEP, due_at=due)]
    await gateway.receive(telegram("oui"))
    rasa.answers = [
        {"text": "Ok, j'arrête les questions."},
        command(CANCEL_FOLLOW_UPS),
    ]

    answers = await gateway.receive(telegram("stop"))

    assert [a.text for a in answers] == [
        "Ok, j'arrête les questions.",
        load_texts().follow_ups_stopped,
    ]
    assert [(r.status, r.reason) for r in rows(sessions)] == [
        (FollowUpStatus.CANCELLED, "stop")
    ]


async def test_stop_without_a_follow_up_adds_nothing(
    gateway: Gateway, rasa: FollowUpRasa
) -> None:
    rasa.answers = [{"text": "Ok, j'arrête."}, command(CANCEL_FOLLOW_UPS)]

    answers = await gateway.receive(telegram("stop"))

    assert [a.text for a in answers] == ["Ok, j'arrête."]


async def test_blocking_the_bot_cancels_its_follow_ups(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    await gateway.receive(telegram("salut"))
    conversation_id = gateway.conversation_id(Channel.TELEGRAM, "42")
    store.schedule(sessions, conversation_id, STEP, datetime.now(UTC))

    gateway.mark_blocked(conversation_id)

    assert [(r.status, r.reason) for r in rows(sessions)] == [
        (FollowUpStatus.CANCELLED, "blocked")
    ]


async def test_erasure_deletes_the_follow_ups(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    await gateway.receive(telegram("salut"))
    await gateway.receive(telegram("salut", user="43"))
    erased = gateway.conversation_id(Channel.TELEGRAM, "42")
    kept = gateway.conversation_id(Channel.TELEGRAM, "43")
    store.schedule(sessions, erased, STEP, datetime.now(UTC))
    store.schedule(sessions, kept, STEP, datetime.now(UTC))

    erase_conversation(sessions, None, erased)

    assert [r.conversation_id for r in rows(sessions)] == [kept]
