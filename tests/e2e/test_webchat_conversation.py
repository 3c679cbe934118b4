"""A young person chats through the web chat API with the real stack."""

from __future__ import annotations

import sqlite3

import httpx

from bot.identity import pseudonym
from bot.messages import Channel
from tests.e2e.conftest import WebchatUser
from tests.e2e.stack import Stack


def texts(messages: list[dict[str, object]]) -> str:
    return "\n".join(str(m["text"]) for m in messages)


def test_health_reports_every_service_up(stack: Stack) -> None:
    response = httpx.get(f"{stack.base_url}/healthz", timeout=10)

    assert response.status_code == 200
    assert response.json()["services"] == {
        "rasa": "up",
        "action_server": "up",
        "database": "up",
    }


def test_first_contact_says_it_is_a_bot_what_it_keeps_and_how_to_erase(
    young: WebchatUser,
) -> None:
    answers = young.say("wesh")

    said = texts(answers)
    assert "bot" in said
    assert "humains" in said
    assert "efface mes données" in said
    assert any("buttons" in m for m in answers)


def test_the_notice_is_given_once_not_at_every_message(young: WebchatUser) -> None:
    young.say("slt")

    again = texts(young.say("salut"))

    assert "efface mes données" not in again


def test_asked_if_it_is_a_bot_it_says_so(young: WebchatUser) -> None:
    young.say("slt")

    assert "je suis un bot" in texts(young.say("t'es un bot ?")).lower()


def test_a_button_payload_works_like_typed_text(young: WebchatUser) -> None:
    young.say("slt")

    answer = texts(young.say("/ask_cost"))

    assert "gratuit" in answer


def test_gibberish_gets_an_offer_to_rephrase_with_buttons(young: WebchatUser) -> None:
    young.say("slt")

    answers = young.say("qsdkfjh zlekrj poiuy")

    assert "autrement" in texts(answers)
    assert answers[-1]["buttons"]


def test_erasure_deletes_the_transcript_and_the_rasa_tracker(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("slt")
    confirm = young.say("efface mes données")
    assert [b["payload"] for b in confirm[-1]["buttons"]] == ["/affirm", "/deny"]

    done = young.say("/affirm")

    assert "effacé" in texts(done)
    conversation_id = pseudonym(
        stack.settings.secret_key(), Channel.WEBCHAT, young.sender_id
    )
    with sqlite3.connect(stack.settings.database_url.removeprefix("sqlite:///")) as db:
        rows = db.execute(
            "SELECT count(*) FROM messages WHERE conversation_id = ?",
            (conversation_id,),
        ).fetchone()
    assert rows == (0,)
    with sqlite3.connect(stack.settings.rasa_tracker_db) as db:
        events = db.execute(
            "SELECT count(*) FROM events WHERE sender_id = ?", (conversation_id,)
        ).fetchone()
    assert events == (0,)


def test_logs_carry_neither_platform_ids_nor_message_text(stack: Stack) -> None:
    secret_sender = "sender-Zorglub-4242"
    secret_text = "je m'appelle Zorglub Lagaffe"
    WebchatUser(stack.base_url, secret_sender).say(secret_text)

    for name in stack.specs:
        log = stack.log_text(name)
        assert "Zorglub" not in log, f"{name} log leaks identity or text"
