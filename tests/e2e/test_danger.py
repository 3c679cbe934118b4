"""A danger message gets the right number first and goes to the queue, e2e.

Through the web chat API against the real stack: the gateway's safety net
answers before Rasa, in every state of the conversation.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.console.auth import create_account
from bot.db import create_engine_for, session_factory
from bot.handoff import QueueEntry, queue, take
from bot.identity import pseudonym
from bot.messages import Channel
from tests.e2e.conftest import WebchatUser
from tests.e2e.stack import Stack


@pytest.fixture
def sessions(stack: Stack) -> Iterator[sessionmaker[Session]]:
    engine = create_engine_for(stack.settings.database_url)
    yield session_factory(engine)
    engine.dispose()


def texts(messages: list[dict[str, object]]) -> list[str]:
    return [str(m["text"]) for m in messages]


def conversation_of(stack: Stack, young: WebchatUser) -> str:
    return pseudonym(stack.settings.secret_key(), Channel.WEBCHAT, young.sender_id)


def entry_of(sessions: sessionmaker[Session], conversation_id: str) -> QueueEntry:
    matches = [e for e in queue(sessions) if e.conversation_id == conversation_id]
    assert matches, "the conversation is not in the counsellors' queue"
    return matches[0]


def test_danger_mid_conversation_gets_3114_first_and_the_queue(
    stack: Stack, young: WebchatUser, sessions: sessionmaker[Session]
) -> None:
    young.say("slt")
    young.say("tu sers à quoi")

    answers = texts(young.say("jpp jveux plus vivre"))

    assert "3114" in answers[0]
    entry = entry_of(sessions, conversation_of(stack, young))
    assert entry.severity >= 3

    # "non c'est bon" gets one gentle check; the alert stays in the queue.
    check = texts(young.say("non c bon laisse tomber"))
    assert "en sécurité" in check[0]
    entry_of(sessions, conversation_of(stack, young))


def test_danger_while_a_counsellor_has_it_still_gets_the_number(
    stack: Stack, young: WebchatUser, sessions: sessionmaker[Session]
) -> None:
    young.say("slt")
    young.say("je veux parler à un humain")
    conversation_id = conversation_of(stack, young)
    counsellor = create_account(
        sessions, "e2e-danger", "Camille", "counsellor", "un mot de passe solide 42"
    )
    take(sessions, conversation_id, counsellor)

    silent = young.say("vous êtes là ?")
    answers = texts(young.say("mon copain me frappe j'ai peur"))

    assert silent == []  # the bot stays quiet while a person has it
    assert "3919" in answers[0]
    assert entry_of(sessions, conversation_id).severity >= 3


def test_danger_in_the_middle_of_the_situation_questions(
    stack: Stack, young: WebchatUser, sessions: sessionmaker[Session]
) -> None:
    young.say("wesh")
    asked_age = texts(young.say("on fait le point"))
    assert any("T'as quel âge" in line for line in asked_age)
    next_question = texts(young.say("17 ans"))
    assert any("tu fais quoi" in line for line in next_question)

    answers = texts(young.say("en vrai jsp jveux juste en finir"))

    assert "3114" in answers[0]
    assert not any("tu fais quoi" in line for line in answers)  # danger first
    entry = entry_of(sessions, conversation_of(stack, young))
    assert entry.severity >= 3
