"""A service killed mid-conversation: the young person hears back, nothing is lost."""

from __future__ import annotations

import time

import httpx

from tests.e2e.conftest import WebchatUser
from tests.e2e.stack import Stack

ANSWER_TIMEOUT_SECONDS = 240


def test_rasa_down_then_back_answers_the_waiting_messages_in_order(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("slt")
    stack.stop("rasa")
    try:
        first = young.say("t'es un bot ?")
        second = young.say("c'est gratuit ?")

        assert "je reviens vers toi" in first[0]["text"]
        assert second[0]["text"]  # never silence
        health = httpx.get(f"{stack.base_url}/healthz", timeout=10)
        assert health.status_code == 503
        assert health.json()["down"] == ["rasa"]
    finally:
        stack.start("rasa")
    stack.wait_healthy()

    answers: list[str] = []
    deadline = time.monotonic() + ANSWER_TIMEOUT_SECONDS
    while len(answers) < 2 and time.monotonic() < deadline:
        answers += [m["text"] for m in young.updates()]
        time.sleep(1)

    assert "bot" in answers[0]
    assert "gratuit" in answers[-1]
