"""Follow-ups through the whole stack, across a restart of every service.

A young person on Telegram (the fake server, through python-telegram-bot in
the bot service) and one on the web chat ask to be checked back on. Every
process stops before the (shortened) delay is over and starts again; the
follow-up then arrives once, on the same channel, and its answers get the
right replies: "pas encore" schedules another, which arrives too, and "oui"
is congratulated.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db import create_engine_for, session_factory
from bot.followups.models import FollowUp, FollowUpStatus
from bot.followups.store import utc
from bot.identity import pseudonym
from bot.messages import Channel
from tests.e2e.conftest import WebchatUser
from tests.e2e.stack import Stack
from tests.fakes.telegram_server import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_server import FakeTelegram

DELAY_SECONDS = 60  # stopping every process takes seconds, not a minute
ANSWER_TIMEOUT_SECONDS = 90
USER = 730_000_001
WEB_USER = "e2e-follow-up-webchat"
FOLLOW_UP_MARK = "comme promis"


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def follow_up_stack(
    tmp_path_factory: pytest.TempPathFactory, telegram: FakeTelegram
) -> Iterator[Stack]:
    env = {
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "TELEGRAM_MODE": "polling",
        "MARAUDE_FOLLOW_UP_DELAY_SECONDS": str(DELAY_SECONDS),
        # Whatever time the test runs at: the hours have their unit tests.
        "MARAUDE_FOLLOW_UP_HOURS": "lun-dim 00:00-24:00",
        "MARAUDE_FOLLOW_UP_POLL_SECONDS": "1",
    }
    stack = Stack.create(tmp_path_factory.mktemp("follow-ups"), extra_env=env)
    try:
        stack.start()
        stack.wait_healthy()
        polls = len(telegram.calls_of("getUpdates"))
        eventually(
            lambda: len(telegram.calls_of("getUpdates")) > polls, "Telegram polling"
        )
        yield stack
    finally:
        stack.close()


def eventually(
    condition: Callable[[], bool],
    what: str,
    timeout: float = ANSWER_TIMEOUT_SECONDS,
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def follow_ups(stack: Stack, conversation_id: str) -> list[FollowUp]:
    engine = create_engine_for(stack.settings.database_url)
    try:
        with session_factory(engine)() as session:
            return list(
                session.scalars(
                    select(FollowUp)
                    .where(FollowUp.conversation_id == conversation_id)
                    .order_by(FollowUp.id)
                )
            )
    finally:
        engine.dispose()


def texts(telegram: FakeTelegram) -> list[str]:
    return [s.text for s in telegram.sent_to(USER)]


def follow_up_count(telegram: FakeTelegram) -> int:
    return sum(FOLLOW_UP_MARK in text for text in texts(telegram))


def test_follow_ups_survive_a_restart_and_arrive_once_on_the_same_channel(
    follow_up_stack: Stack, telegram: FakeTelegram
) -> None:
    stack = follow_up_stack
    key = stack.settings.secret_key()
    conversation = pseudonym(key, Channel.TELEGRAM, str(USER))
    web = WebchatUser(stack.base_url, WEB_USER)
    web_conversation = pseudonym(key, Channel.WEBCHAT, WEB_USER)

    # 1. Both ask to be checked back on; the bot says when.
    telegram.message(USER, "rappelle-moi plus tard")
    eventually(
        lambda: any("je reviens vers toi" in t for t in texts(telegram)),
        "the Telegram answer",
    )
    web_answer = [m["text"] for m in web.say("tu peux me relancer dans quelques jours")]
    assert any("je reviens vers toi aujourd'hui" in t for t in web_answer), web_answer

    # 2. Every service stops before the follow-ups are due, then starts again.
    stack.stop()
    stopped_at = datetime.now(UTC)
    for conversation_id in (conversation, web_conversation):
        (pending,) = follow_ups(stack, conversation_id)
        assert pending.status == FollowUpStatus.PENDING
        assert utc(pending.due_at) > stopped_at, "restart came after the due time"
    sent_before_restart = len(telegram.sent_to(USER))
    stack.start()
    stack.wait_healthy()

    # 3. The follow-up arrives on Telegram, with its three answers, once.
    eventually(lambda: follow_up_count(telegram) == 1, "the Telegram follow-up")
    follow_up = next(s for s in telegram.sent_to(USER) if FOLLOW_UP_MARK in s.text)
    assert follow_up.reply_markup is not None
    payloads = [
        row[0]["callback_data"] for row in follow_up.reply_markup["inline_keyboard"]
    ]
    assert payloads == ["/affirm", "/deny", "/not_yet"]
    # ... and in the web chat's transcript.
    eventually(
        lambda: any(FOLLOW_UP_MARK in m["text"] for m in web.updates()),
        "the web chat follow-up",
    )
    time.sleep(5)  # five scheduler rounds: a second copy would have come by now
    assert follow_up_count(telegram) == 1
    assert len(telegram.sent_to(USER)) == sent_before_restart + 1

    # 4. "Pas encore": no judgement, and another check-back later.
    telegram.tap(USER, "/not_yet")
    eventually(
        lambda: any("Je te redemande" in t for t in texts(telegram)), "the reply"
    )
    first, *later = follow_ups(stack, conversation)
    assert first.status == FollowUpStatus.ANSWERED
    assert any(f.status == FollowUpStatus.PENDING for f in later)

    # 5. The second follow-up comes after the delay; "oui" is congratulated.
    eventually(
        lambda: follow_up_count(telegram) == 2,
        "the second follow-up",
        timeout=DELAY_SECONDS + ANSWER_TIMEOUT_SECONDS,
    )
    telegram.tap(USER, "/affirm")
    eventually(lambda: any("bravo" in t for t in texts(telegram)), "the bravo")
    assert follow_up_count(telegram) == 2

    # Pseudonymous ids only: no platform id or web chat sender id in the logs.
    assert str(USER) not in stack.log_text("bot")
    assert WEB_USER not in stack.log_text("bot")


def test_stop_cancels_a_waiting_follow_up(
    follow_up_stack: Stack, telegram: FakeTelegram
) -> None:
    user = USER + 1
    conversation = pseudonym(
        follow_up_stack.settings.secret_key(), Channel.TELEGRAM, str(user)
    )
    telegram.message(user, "relance-moi")
    eventually(
        lambda: any("je reviens vers toi" in s.text for s in telegram.sent_to(user)),
        "the answer",
    )

    telegram.message(user, "stop")

    eventually(
        lambda: any("je ne te relance plus" in s.text for s in telegram.sent_to(user)),
        "the stop answer",
    )
    (cancelled,) = follow_ups(follow_up_stack, conversation)
    assert (cancelled.status, cancelled.reason) == (FollowUpStatus.CANCELLED, "stop")
