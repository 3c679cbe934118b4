"""Danger is answered first, in every state of the conversation."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Conversation, ConversationMode
from bot.gateway import Gateway
from bot.handoff import queue
from bot.messages import Channel, Inbound
from bot.permanences import parse_permanences
from bot.rasa_client import RasaClient
from bot.safety import default_detector
from bot.safety.net import SafetyNet, load_safety_texts
from bot.texts import load_texts
from tests.unit.bot.fakes import FakeRasa

# A Wednesday at 10:00 in Paris, inside the default permanences.
OPEN = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
# A Saturday night: nobody reads until Monday.
CLOSED = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)


def make_gateway(
    sessions: sessionmaker[Session], rasa: FakeRasa, now: datetime = OPEN
) -> Gateway:
    client = RasaClient(
        "http://rasa.test", timeout=5, transport=httpx.MockTransport(rasa.handler)
    )
    safety = SafetyNet(
        sessions,
        default_detector(),
        load_safety_texts(),
        parse_permanences("lun-ven 09:00-17:00"),
        clock=lambda: now,
    )
    return Gateway(sessions, client, b"key", load_texts(), safety=safety)


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


def say(text: str) -> Inbound:
    return Inbound(Channel.TELEGRAM, "42", text, address="chat-42")


async def test_a_suicidal_message_gets_3114_first_and_goes_to_the_queue(
    sessions: sessionmaker[Session], rasa: FakeRasa
) -> None:
    gateway = make_gateway(sessions, rasa)
    await gateway.receive(say("slt"))

    answers = await gateway.receive(say("jveux plus vivre jpp de tout"))

    assert "3114" in answers[0].text
    assert answers[-1].buttons  # the offer of a human
    assert len(rasa.received) == 1  # the danger message never went to Rasa
    [entry] = queue(sessions)
    assert entry.severity >= 3


async def test_danger_while_rasa_is_down_still_gets_the_numbers(
    sessions: sessionmaker[Session], rasa: FakeRasa
) -> None:
    gateway = make_gateway(sessions, rasa)
    rasa.up = False

    answers = await gateway.receive(say("ce soir je dors dehors g nul part où aller"))

    assert "115" in answers[0].text
    assert queue(sessions)


async def test_danger_while_a_counsellor_has_it_gets_the_numbers_and_no_offer(
    sessions: sessionmaker[Session], rasa: FakeRasa
) -> None:
    gateway = make_gateway(sessions, rasa)
    await gateway.receive(say("slt"))
    conversation_id = gateway.conversation_id(Channel.TELEGRAM, "42")
    with sessions.begin() as session:
        session.get_one(Conversation, conversation_id).mode = ConversationMode.HUMAN

    answers = await gateway.receive(say("je vais me tuer ce soir"))

    assert "3114" in answers[0].text
    assert not any(answer.buttons for answer in answers)
    assert queue(sessions)[0].severity >= 3


async def test_brushing_an_alert_aside_gets_one_gentle_check_and_keeps_the_alert(
    sessions: sessionmaker[Session], rasa: FakeRasa
) -> None:
    gateway = make_gateway(sessions, rasa)
    await gateway.receive(say("mon copain me frappe"))
    calls_before = len(rasa.received)

    check = await gateway.receive(say("non c bon tu m'as mal compris"))
    after = await gateway.receive(say("non c bon"))

    assert "en sécurité" in check[0].text
    assert len(rasa.received) == calls_before + 1  # only the second went on
    assert after[0].text == "Salut !"
    assert queue(sessions)  # still waiting for a counsellor


async def test_outside_permanences_the_offer_says_when_someone_will_read(
    sessions: sessionmaker[Session], rasa: FakeRasa
) -> None:
    gateway = make_gateway(sessions, rasa, now=CLOSED)

    answers = await gateway.receive(say("il a mis mes nudes sur snap"))

    assert "3018" in answers[0].text
    assert "lundi à 9h" in answers[-1].text


@pytest.mark.parametrize(
    "text",
    [
        "je me suis fait tuer en ranked",
        "mdr je suis mort",
        "ma mère va me tuer si je rate mon bac",
        "je cherche un appart pour la rentrée",
    ],
)
async def test_gaming_and_jokes_go_to_rasa_as_usual(
    sessions: sessionmaker[Session], rasa: FakeRasa, text: str
) -> None:
    gateway = make_gateway(sessions, rasa)

    answers = await gateway.receive(say(text))

    assert answers[0].text == "Salut !"
    assert queue(sessions) == []
