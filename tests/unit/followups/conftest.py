"""A gateway, a stand-in Rasa that also answers trigger_intent, and a sender."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.followups.timing import FollowUpPolicy
from bot.gateway import Gateway
from bot.messages import Channel, Inbound
from bot.permanences import parse_permanences
from bot.rasa_client import RasaClient
from bot.texts import load_texts
from tests.unit.bot.fakes import FakeSender

KEY = b"unit-test-key"
POLICY = FollowUpPolicy(
    delay=timedelta(days=3),
    hours=parse_permanences("lun-dim 10:00-20:00", "Europe/Paris"),
    max_attempts=2,
)


@dataclass
class FollowUpRasa:
    """Rasa's REST channel and trigger_intent endpoint, as the gateway sees them."""

    up: bool = True
    status: int = 200
    triggered: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    received: list[dict[str, object]] = field(default_factory=list)
    answers: list[dict[str, object]] = field(
        default_factory=lambda: [{"text": "Salut !"}]
    )

    def handler(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "model.tar.gz"})
        body = json.loads(request.content)
        if request.url.path.endswith("/trigger_intent"):
            conversation = request.url.path.split("/")[2]
            self.triggered.append((conversation, body))
            if self.status != 200:
                return httpx.Response(self.status, json={"status": "failure"})
            step = body["entities"].get("next_step", "y aller")
            messages = [
                {
                    "recipient_id": conversation,
                    "text": f"Alors, t'as pu {step} ?",
                    "buttons": [{"title": "Pas encore", "payload": "/not_yet"}],
                }
            ]
            return httpx.Response(200, json={"tracker": {}, "messages": messages})
        self.received.append(body)
        return httpx.Response(200, json=self.answers)


@pytest.fixture
def rasa() -> FollowUpRasa:
    return FollowUpRasa()


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()


def make_gateway(
    sessions: sessionmaker[Session], rasa: FollowUpRasa, sender: FakeSender
) -> Gateway:
    client = RasaClient(
        "http://rasa.test", timeout=5, transport=httpx.MockTransport(rasa.handler)
    )
    gateway = Gateway(
        sessions, client, KEY, load_texts(), tracker_db=None, follow_up_policy=POLICY
    )
    gateway.register_sender(Channel.TELEGRAM, sender)
    return gateway


@pytest.fixture
def gateway(
    sessions: sessionmaker[Session], rasa: FollowUpRasa, sender: FakeSender
) -> Gateway:
    return make_gateway(sessions, rasa, sender)


def telegram(body: str, user: str = "42") -> Inbound:
    return Inbound(
        channel=Channel.TELEGRAM, user_id=user, text=body, address=f"chat-{user}"
    )
