"""The gateway against a stand-in Rasa REST channel (hermetic unit tests).

The real Rasa server is exercised by the end-to-end tests; here an
``httpx.MockTransport`` plays its REST channel so each path is tested alone.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.commands import COMMAND_KEY, ERASE_CONVERSATION
from bot.db.models import (
    Author,
    ChannelAddress,
    Conversation,
    ConversationMode,
    Message,
    MessageStatus,
)
from bot.gateway import DeliveryResult, Gateway
from bot.messages import Channel, Inbound, InboundKind, Outbound
from bot.rasa_client import RasaClient
from bot.texts import load_texts
from tests.unit.bot.fakes import FakeRasa, FakeSender

KEY = b"unit-test-key"


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def gateway(sessions: sessionmaker[Session], rasa: FakeRasa, tmp_path: Path) -> Gateway:
    client = RasaClient(
        "http://rasa.test", timeout=5, transport=httpx.MockTransport(rasa.handler)
    )
    return Gateway(sessions, client, KEY, load_texts(), tracker_db=None)


def text(body: str, user: str = "42", message_id: str | None = None) -> Inbound:
    return Inbound(
        channel=Channel.TELEGRAM,
        user_id=user,
        text=body,
        address=f"chat-{user}",
        platform_message_id=message_id,
    )


def transcript(sessions: sessionmaker[Session]) -> list[Message]:
    with sessions() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


async def test_answers_come_back_in_order_with_their_buttons(
    gateway: Gateway,
) -> None:
    answers = await gateway.receive(text("slt"))

    assert [a.text for a in answers] == ["Salut !", "Tu veux quoi ?"]
    assert answers[1].buttons[0].payload == "/bot_capabilities"


async def test_rasa_sees_a_pseudonym_never_the_platform_id(
    gateway: Gateway, rasa: FakeRasa
) -> None:
    await gateway.receive(text("slt", user="987654321"))

    sender = str(rasa.received[0]["sender"])
    assert "987654321" not in sender
    assert sender == gateway.conversation_id(Channel.TELEGRAM, "987654321")


async def test_the_message_and_the_answers_are_stored_in_the_transcript(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    await gateway.receive(text("wesh"))

    rows = transcript(sessions)
    assert [(r.author, r.text) for r in rows] == [
        (Author.YOUNG, "wesh"),
        (Author.BOT, "Salut !"),
        (Author.BOT, "Tu veux quoi ?"),
    ]
    assert rows[0].status == MessageStatus.PROCESSED


async def test_a_message_delivered_twice_is_answered_once(
    gateway: Gateway, rasa: FakeRasa
) -> None:
    first = await gateway.receive(text("slt", message_id="m1"))
    second = await gateway.receive(text("slt", message_id="m1"))

    assert first
    assert second == []
    assert len(rasa.received) == 1


async def test_a_sticker_gets_a_kind_answer_without_bothering_rasa(
    gateway: Gateway, rasa: FakeRasa
) -> None:
    sticker = Inbound(Channel.TELEGRAM, "42", None, kind=InboundKind.STICKER)

    answers = await gateway.receive(sticker)

    assert "sticker" in answers[0].text
    assert rasa.received == []


async def test_when_rasa_is_down_the_young_person_hears_back_and_nothing_is_lost(
    gateway: Gateway, rasa: FakeRasa, sessions: sessionmaker[Session]
) -> None:
    sender = FakeSender()
    gateway.register_sender(Channel.TELEGRAM, sender)
    rasa.up = False

    first = await gateway.receive(text("j'ai besoin d'aide"))
    second = await gateway.receive(text("t'es là ?"))

    assert "je reviens vers toi" in first[0].text
    assert second[0].text  # never silence
    statuses = [r.status for r in transcript(sessions) if r.author == Author.YOUNG]
    assert statuses == [MessageStatus.DEFERRED, MessageStatus.DEFERRED]

    rasa.up = True
    assert await gateway.process_waiting() == 2

    assert [m["message"] for m in rasa.received] == ["j'ai besoin d'aide", "t'es là ?"]
    assert [address for address, _ in sender.sent] == ["chat-42", "chat-42"]
    assert sender.sent[0][1][0].text == "Salut !"


async def test_waiting_messages_stay_waiting_while_rasa_is_still_down(
    gateway: Gateway, rasa: FakeRasa
) -> None:
    rasa.up = False
    await gateway.receive(text("allo"))

    assert await gateway.process_waiting() == 0


async def test_an_empty_answer_while_the_actions_are_down_waits_for_them(
    sessions: sessionmaker[Session], rasa: FakeRasa
) -> None:
    """Rasa answers nothing when its action server is down: not a silence."""
    actions = {"up": False}

    async def actions_up() -> bool:
        return actions["up"]

    client = RasaClient(
        "http://rasa.test", timeout=5, transport=httpx.MockTransport(rasa.handler)
    )
    gateway = Gateway(sessions, client, KEY, load_texts(), actions_up=actions_up)
    sender = FakeSender()
    gateway.register_sender(Channel.TELEGRAM, sender)
    rasa.answers = []

    answers = await gateway.receive(text("c'est où ma mission locale"))

    assert "je reviens vers toi" in answers[0].text
    (young,) = [r for r in transcript(sessions) if r.author == Author.YOUNG]
    assert young.status == MessageStatus.DEFERRED
    assert await gateway.process_waiting() == 0  # still down: not replayed

    actions["up"] = True
    rasa.answers = [{"text": "Ta Mission Locale, c'est…"}]
    assert await gateway.process_waiting() == 1
    assert sender.sent[0][1][0].text == "Ta Mission Locale, c'est…"
    assert len(rasa.received) == 2  # once refused, once answered


async def test_an_empty_answer_with_everything_up_still_gets_words(
    gateway: Gateway, rasa: FakeRasa
) -> None:
    rasa.answers = []

    answers = await gateway.receive(text("/session_start"))

    assert answers == [Outbound(load_texts().no_answer)]


async def test_a_user_who_blocked_the_bot_is_not_pushed_to_again(
    gateway: Gateway, rasa: FakeRasa, sessions: sessionmaker[Session]
) -> None:
    sender = FakeSender(result=DeliveryResult.BLOCKED)
    gateway.register_sender(Channel.TELEGRAM, sender)
    conversation_id = gateway.conversation_id(Channel.TELEGRAM, "42")
    await gateway.receive(text("slt"))

    await gateway.push(conversation_id, [Outbound("un")])
    await gateway.push(conversation_id, [Outbound("deux")])

    assert len(sender.sent) == 1
    with sessions() as session:
        assert session.get_one(ChannelAddress, conversation_id).blocked


async def test_the_bot_stays_silent_while_a_counsellor_has_the_conversation(
    gateway: Gateway, rasa: FakeRasa, sessions: sessionmaker[Session]
) -> None:
    await gateway.receive(text("slt"))
    conversation_id = gateway.conversation_id(Channel.TELEGRAM, "42")
    with sessions.begin() as session:
        session.get_one(Conversation, conversation_id).mode = ConversationMode.HUMAN

    answers = await gateway.receive(text("vous êtes là ?"))

    assert answers == []
    assert len(rasa.received) == 1
    assert transcript(sessions)[-1].text == "vous êtes là ?"


async def test_a_very_long_message_is_kept_whole_and_the_nlu_reads_its_start(
    gateway: Gateway, rasa: FakeRasa, sessions: sessionmaker[Session]
) -> None:
    long_text = "je galère " * 1_000

    answers = await gateway.receive(text(long_text))

    assert "long" in answers[0].text
    assert len(str(rasa.received[0]["message"])) == 1_000
    assert transcript(sessions)[0].text == long_text


async def test_an_erase_command_deletes_the_conversation_and_confirms(
    gateway: Gateway, rasa: FakeRasa, sessions: sessionmaker[Session]
) -> None:
    await gateway.receive(text("slt"))
    rasa.answers = [
        {"custom": {COMMAND_KEY: ERASE_CONVERSATION}},
        {"text": "C'est fait : j'ai tout effacé."},
    ]

    answers = await gateway.receive(text("/affirm"))

    assert [a.text for a in answers] == ["C'est fait : j'ai tout effacé."]
    assert transcript(sessions) == []
    with sessions() as session:
        assert session.scalars(select(Conversation)).all() == []
        assert session.scalars(select(ChannelAddress)).all() == []


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("/affirm", "/affirm"),
        ('/choose_place{"place_code":"93066"}', '/choose_place{"place_code":"93066"}'),
        ("/jm appelle Kevin, et apres", "jm appelle Kevin, et apres"),
        ('/inform{"age": 19', 'inform{"age": 19'),
        ("/inform{pas du json}", "inform{pas du json}"),
        ("///", "?"),
        ("salut /affirm", "salut /affirm"),
    ],
)
def test_a_slash_is_a_payload_only_when_it_parses_as_one(typed: str, sent: str) -> None:
    """Rasa would log a typed "/..." it cannot parse, words included."""
    from bot.gateway import as_rasa_reads_it

    assert as_rasa_reads_it(typed) == sent
