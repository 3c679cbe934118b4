"""Follow-ups through the whole stack, across a restart of every service.

A young person in Lille on Telegram (the fake server, through
python-telegram-bot in the bot service) who likes football and music gets
fitting ideas, takes one, and accepts a check-back; one on the web chat asks
to be reminded. Every process stops before the (shortened) delay is over and
starts again; the follow-up then arrives once, on the same channel, about
the step they chose, and its answers get the right replies: "pas encore"
schedules another, which arrives too, and "oui" is congratulated.
"""

from __future__ import annotations

import re
import shutil
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
from tests.e2e.test_situation_conversations import QUESTIONS
from tests.fakes.telegram_server import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_server import FakeTelegram, Sent
from tests.unit.activities.test_catalogue import LOCAL

DELAY_SECONDS = 60  # stopping every process takes seconds, not a minute
ANSWER_TIMEOUT_SECONDS = 90
USER = 730_000_001
WEB_USER = "e2e-follow-up-webchat"
FOLLOW_UP_MARK = "comme promis"
CHOOSE = re.compile(r'^/choose_activity\{"activity_id":"([a-z0-9-]+)"\}$')
# What a counsellor would accept for football and music in Lille (as in the
# benchmark); the local foot session comes from a staff file, not from code.
FIT_FOOT_AND_MUSIC_IN_LILLE = {
    "test-lille-foot-salle",
    "test-nord-beatmaking",
    "club-foot",
    "pass-sport",
    "service-civique",
    "mediatheque",
}
LOCAL_FOOT = "test-lille-foot-salle"
FOOT_STEP = "aller au foot en salle mercredi à 18 h"


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def follow_up_stack(
    tmp_path_factory: pytest.TempPathFactory, telegram: FakeTelegram
) -> Iterator[Stack]:
    local = tmp_path_factory.mktemp("activities")
    shutil.copy(LOCAL / "lille.yml", local / "lille.yml")
    env = {
        "MARAUDE_ACTIVITIES_LOCAL_DIR": str(local),
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


def payloads(sent: Sent) -> list[str]:
    keyboard = (sent.reply_markup or {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in keyboard for button in row]


def converse(
    telegram: FakeTelegram,
    act: Callable[[], object],
    until: Callable[[list[Sent]], bool],
    what: str,
) -> list[Sent]:
    """Sends one message or tap; the bot's answers once ``until`` holds."""
    before = len(telegram.sent_to(USER))
    act()

    def answered() -> bool:
        return until(telegram.sent_to(USER)[before:])

    eventually(answered, what)
    return telegram.sent_to(USER)[before:]


def saying(words: str) -> Callable[[list[Sent]], bool]:
    return lambda answers: any(words in sent.text for sent in answers)


def offering(payload: str) -> Callable[[list[Sent]], bool]:
    return lambda answers: any(payload in payloads(sent) for sent in answers)


def lille_foot_and_music_takes_a_step(telegram: FakeTelegram) -> None:
    """The issue's young person, on Telegram: situation, ideas, a step, a yes."""

    def say(text: str, until: Callable[[list[Sent]], bool]) -> list[Sent]:
        return converse(telegram, lambda: telegram.message(USER, text), until, text)

    say("wesh", offering("/start_situation"))
    say("on fait le point ?", saying(QUESTIONS["age"]))
    situation = "g 19 ans jsuis sur lille et jfais rien depuis 6 mois"
    say(situation, saying(QUESTIONS["diploma"]))
    say("g arrêté en 1ère", saying(QUESTIONS["needs"]))
    say("du taf surtout", saying(QUESTIONS["interests"]))
    # The last answer ends the questions: summary, then their Mission Locale.
    say("le foot et la musique", offering("/request_human"))

    answers = say("t'as des idées de trucs à faire ?", offering("/not_for_me"))
    shown = {
        match.group(1): sent.text
        for sent in answers
        for payload in payloads(sent)
        if (match := CHOOSE.match(payload))
    }
    assert 2 <= len(shown) <= 3, shown
    assert set(shown) <= FIT_FOOT_AND_MUSIC_IN_LILLE, shown
    assert "tu m'as dit que tu kiffes le foot" in shown[LOCAL_FOOT]
    assert any(
        "tu m'as dit que tu kiffes la musique" in text for text in texts(telegram)
    )

    step = converse(
        telegram,
        lambda: telegram.tap(USER, f'/choose_activity{{"activity_id":"{LOCAL_FOOT}"}}'),
        offering("/affirm"),
        "the next step and the check-back question",
    )
    assert any(FOOT_STEP in sent.text for sent in step)
    converse(
        telegram,
        lambda: telegram.tap(USER, "/affirm"),
        saying("je reviens vers toi"),
        "the check-back promise",
    )


def test_follow_ups_survive_a_restart_and_arrive_once_on_the_same_channel(
    follow_up_stack: Stack, telegram: FakeTelegram
) -> None:
    stack = follow_up_stack
    key = stack.settings.secret_key()
    conversation = pseudonym(key, Channel.TELEGRAM, str(USER))
    web = WebchatUser(stack.base_url, WEB_USER)
    web_conversation = pseudonym(key, Channel.WEBCHAT, WEB_USER)

    # 1. On Telegram, ideas for Lille, a step, and yes to a check-back; on the
    # web chat, a reminder asked for. The bot says when it will come back.
    lille_foot_and_music_takes_a_step(telegram)
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
    assert FOOT_STEP in follow_up.text  # about the step they chose
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
