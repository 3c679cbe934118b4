"""Telegram and Discord through the whole stack: platform → gateway → Rasa → back.

The real bot service (with its connectors), Rasa server and action server
run as processes; python-telegram-bot and discord.py inside the service
talk to the fake platforms served here. The tests run in file order: the
last ones stop Rasa, and switch Telegram to a webhook.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from bot.db import create_engine_for, session_factory
from bot.db.models import Author, ChannelAddress, Message
from bot.identity import pseudonym
from bot.messages import Channel
from tests.e2e.stack import Stack
from tests.fakes.discord_server import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_server import FakeTelegram

ANSWER_TIMEOUT_SECONDS = 60
WEBHOOK_SECRET = "e2e-webhook-secret"
_users = itertools.count(710_000_001)


@dataclass
class Platforms:
    stack: Stack
    telegram: FakeTelegram
    discord: FakeDiscord

    def conversation(self, channel: Channel, user_id: int) -> str:
        key = self.stack.settings.secret_key()
        return pseudonym(key, channel, str(user_id))

    def stored(self, channel: Channel, user_id: int, author: Author) -> int:
        """How many messages of ``author`` the transcript holds."""
        engine = create_engine_for(self.stack.settings.database_url)
        try:
            with session_factory(engine)() as session:
                count = session.scalar(
                    select(func.count(Message.id)).where(
                        Message.conversation_id == self.conversation(channel, user_id),
                        Message.author == author,
                    )
                )
                return int(count or 0)
        finally:
            engine.dispose()

    def blocked(self, channel: Channel, user_id: int) -> bool:
        engine = create_engine_for(self.stack.settings.database_url)
        try:
            with session_factory(engine)() as session:
                row = session.get(ChannelAddress, self.conversation(channel, user_id))
                return bool(row and row.blocked)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def platforms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platforms]:
    telegram = FakeTelegram().start()
    discord = FakeDiscord().start()
    env = {
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "TELEGRAM_MODE": "polling",
        "DISCORD_BOT_TOKEN": DISCORD_TOKEN,
        "DISCORD_API_BASE": discord.api_base,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
    }
    stack = Stack.create(tmp_path_factory.mktemp("platforms"), extra_env=env)
    try:
        stack.start()
        stack.wait_healthy()
        # Both fail when the bot service does not call start_connectors.
        eventually(lambda: discord.connected, what="the Discord session")
        eventually(
            lambda: telegram.calls_of("getUpdates") != [], what="Telegram polling"
        )
        yield Platforms(stack, telegram, discord)
    finally:
        stack.close()
        telegram.stop()
        discord.stop()


def eventually(
    condition: Callable[[], bool],
    timeout: float = ANSWER_TIMEOUT_SECONDS,
    what: str = "the condition",
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def texts_to(fake: FakeTelegram, chat: int) -> list[str]:
    return [s.text for s in fake.sent_to(chat)]


# --- Telegram ----------------------------------------------------------------


def test_telegram_hello_gets_the_bot_and_its_quick_replies(
    platforms: Platforms,
) -> None:
    telegram, user = platforms.telegram, next(_users)

    telegram.message(user, "salut")

    eventually(
        lambda: any(s.reply_markup for s in telegram.sent_to(user)),
        what="an answer with quick replies",
    )
    sent = telegram.sent_to(user)
    assert any("bot" in s.text for s in sent)
    assert all(s.parse_mode is None for s in sent)
    keyboard = next(s.reply_markup for s in sent if s.reply_markup)
    payloads = [row[0]["callback_data"] for row in keyboard["inline_keyboard"]]
    assert "/bot_capabilities" in payloads


def test_telegram_a_tapped_button_is_answered(platforms: Platforms) -> None:
    telegram, user = platforms.telegram, next(_users)
    telegram.message(user, "salut")
    eventually(lambda: any(s.reply_markup for s in telegram.sent_to(user)))
    before = len(telegram.sent_to(user))

    telegram.tap(user, "/bot_capabilities")  # in both greeting variants

    eventually(lambda: len(telegram.sent_to(user)) > before, what="the answer")
    assert "discuter" in telegram.sent_to(user)[-1].text
    assert telegram.calls_of("answerCallbackQuery")


def test_telegram_a_commune_among_homonyms_is_chosen_with_a_tap(
    platforms: Platforms,
) -> None:
    telegram, user = platforms.telegram, next(_users)
    telegram.message(user, "c'est où ma mission locale")
    eventually(
        lambda: any("quelle ville" in text for text in texts_to(telegram, user)),
        what="the place question",
    )

    telegram.message(user, "st denis")
    eventually(
        lambda: any("plusieurs Saint-Denis" in t for t in texts_to(telegram, user)),
        what="the homonyms",
    )
    sent = reversed(telegram.sent_to(user))
    keyboard = next(s.reply_markup for s in sent if s.reply_markup)
    taps = {
        row[0]["text"]: row[0]["callback_data"] for row in keyboard["inline_keyboard"]
    }
    telegram.tap(user, taps["Saint-Denis (93)"])

    eventually(
        lambda: any("Saint-Denis / Pierrefitte" in t for t in texts_to(telegram, user)),
        what="the Mission Locale",
    )


def test_telegram_a_sticker_gets_a_friendly_word(platforms: Platforms) -> None:
    telegram, user = platforms.telegram, next(_users)

    telegram.sticker(user)

    eventually(lambda: telegram.sent_to(user) != [], what="the answer")
    assert "sticker" in telegram.sent_to(user)[-1].text.lower()


def test_telegram_an_edited_message_is_answered_once(platforms: Platforms) -> None:
    telegram, user = platforms.telegram, next(_users)
    original = telegram.message_body(user, "c'est payant ?")
    telegram.add_update({"message": original})
    eventually(lambda: any("gratuit" in t for t in texts_to(telegram, user)))

    edited = {**original, "text": "t'es un bot ?", "edit_date": int(time.time())}
    telegram.add_update({"edited_message": edited})
    telegram.add_update({"edited_message": edited})  # Telegram sending it again

    eventually(lambda: any("bot" in t for t in texts_to(telegram, user)[-1:]))
    time.sleep(2)
    assert platforms.stored(Channel.TELEGRAM, user, Author.YOUNG) == 2
    assert len(telegram.sent_to(user)) == platforms.stored(
        Channel.TELEGRAM, user, Author.BOT
    )


def test_telegram_flood_control_is_waited_out(platforms: Platforms) -> None:
    telegram, user = platforms.telegram, next(_users)
    telegram.flood(user, retry_after=1)

    telegram.message(user, "c'est gratuit ?")

    eventually(lambda: any("gratuit" in t for t in texts_to(telegram, user)))
    refused = [c for c in telegram.calls_of("sendMessage") if c["chat_id"] == str(user)]
    assert len(refused) == len(telegram.sent_to(user)) + 1


def test_telegram_a_restart_mid_burst_loses_nothing_and_answers_once(
    platforms: Platforms,
) -> None:
    telegram, stack, user = platforms.telegram, platforms.stack, next(_users)
    burst = ["salut", "c'est gratuit ?", "t'es un bot ?", "merci", "ok", "à plus"]
    for text in burst:
        telegram.message(user, text)
    eventually(lambda: telegram.sent_to(user) != [], what="the first answers")

    stack.stop("bot")
    for text in ["c'est payant ?", "tu sers à quoi ?"]:
        telegram.message(user, text)
    stack.start("bot")
    stack.wait_healthy()

    eventually(
        lambda: (
            telegram.pending_updates == 0
            and platforms.stored(Channel.TELEGRAM, user, Author.YOUNG) == len(burst) + 2
        ),
        what="every message stored",
    )
    bot_answers = lambda: platforms.stored(Channel.TELEGRAM, user, Author.BOT)  # noqa: E731
    eventually(lambda: len(telegram.sent_to(user)) >= bot_answers())
    time.sleep(2)
    assert platforms.stored(Channel.TELEGRAM, user, Author.YOUNG) == len(burst) + 2
    assert len(telegram.sent_to(user)) == bot_answers()


# --- Discord -----------------------------------------------------------------


def test_discord_a_dm_gets_the_bot_and_buttons(platforms: Platforms) -> None:
    discord, user = platforms.discord, next(_users)
    dm = discord.dm_channel_of(user)

    discord.dm(user, "salut")

    eventually(lambda: any(m.components for m in discord.sent_to(dm)), what="buttons")
    sent = discord.sent_to(dm)
    assert any("bot" in m.content for m in sent)
    question = next(m for m in sent if m.components)
    custom_ids = [b["custom_id"] for b in question.components[0]["components"]]
    assert "maraude:/bot_capabilities" in custom_ids

    # discord.py only acts on a button the message really has.
    discord.click(user, question, "maraude:/bot_capabilities")

    eventually(lambda: "discuter" in discord.sent_to(dm)[-1].content)


def test_discord_a_mention_in_a_server_is_answered_in_private(
    platforms: Platforms,
) -> None:
    discord, user = platforms.discord, next(_users)
    public_before = len(discord.sent_to(discord.channel_id))

    discord.server_message(user, "c'est gratuit ?", mention_bot=True)

    dm = discord.dm_channel_of(user)
    eventually(lambda: any("gratuit" in m.content for m in discord.sent_to(dm)))
    eventually(lambda: len(discord.sent_to(discord.channel_id)) > public_before)
    [note] = discord.sent_to(discord.channel_id)[public_before:]
    assert "gratuit" not in note.content
    assert "privé" in note.content


def test_discord_a_sticker_gets_a_friendly_word(platforms: Platforms) -> None:
    discord, user = platforms.discord, next(_users)
    dm = discord.dm_channel_of(user)

    discord.dm(user, "", sticker_items=[{"id": "1", "name": "yo", "format_type": 1}])

    eventually(lambda: discord.sent_to(dm) != [], what="the answer")
    assert "sticker" in discord.sent_to(dm)[-1].content.lower()


def test_discord_a_dm_sent_while_the_service_was_down_is_answered(
    platforms: Platforms,
) -> None:
    discord, stack, user = platforms.discord, platforms.stack, next(_users)
    dm = discord.dm_channel_of(user)
    discord.dm(user, "salut")
    eventually(lambda: discord.sent_to(dm) != [], what="the first answers")
    connections = discord.state.connections

    stack.stop("bot")
    eventually(lambda: not discord.connected, what="the session to close")
    discord.dm(user, "c'est gratuit ?")  # Discord will never deliver it again
    stack.start("bot")
    stack.wait_healthy()

    eventually(
        lambda: discord.state.connections > connections and discord.connected,
        what="a new Discord session",
    )
    eventually(lambda: any("gratuit" in m.content for m in discord.sent_to(dm)))
    assert platforms.stored(Channel.DISCORD, user, Author.YOUNG) == 2


# --- Outage and blocking (stops Rasa) -----------------------------------------


def test_telegram_deferred_answer_to_a_user_who_blocked_the_bot_stops_there(
    platforms: Platforms,
) -> None:
    telegram, stack, user = platforms.telegram, platforms.stack, next(_users)
    telegram.message(user, "salut")
    eventually(lambda: telegram.sent_to(user) != [])

    stack.stop("rasa")
    try:
        telegram.message(user, "c'est gratuit ?")
        eventually(
            lambda: any("reviens vers toi" in t for t in texts_to(telegram, user)),
            what="the outage notice",
        )
        telegram.block(user)
    finally:
        stack.start("rasa")
    stack.wait_healthy()

    eventually(
        lambda: platforms.blocked(Channel.TELEGRAM, user),
        timeout=120,
        what="the user marked as blocked",
    )
    attempts = lambda: [  # noqa: E731
        c for c in telegram.calls_of("sendMessage") if c["chat_id"] == str(user)
    ]
    tried = len(attempts())
    time.sleep(5)
    assert len(attempts()) == tried


# --- Webhook (switches Telegram's mode) ---------------------------------------


def test_telegram_webhook_answers_and_refuses_a_wrong_secret(
    platforms: Platforms,
) -> None:
    telegram, stack, user = platforms.telegram, platforms.stack, next(_users)
    stack.stop("bot")
    stack.extra_env.update(
        {
            "TELEGRAM_MODE": "webhook",
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_WEBHOOK_URL": f"{stack.base_url}/telegram/webhook",
        }
    )
    stack.start("bot")
    stack.wait_healthy()
    eventually(lambda: telegram.state.webhook_url != "", what="setWebhook")

    telegram.message(user, "c'est gratuit ?")
    eventually(lambda: any("gratuit" in t for t in texts_to(telegram, user)))

    intruder = next(_users)
    forged = {"update_id": 99_999, "message": telegram.message_body(intruder, "yo")}
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
        response = httpx.post(
            f"{stack.base_url}/telegram/webhook", json=forged, headers=headers
        )
        assert response.status_code == 401
    time.sleep(2)
    assert telegram.sent_to(intruder) == []
    assert platforms.stored(Channel.TELEGRAM, intruder, Author.YOUNG) == 0
