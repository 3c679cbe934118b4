"""Stand-ins for Rasa's REST channel and a connector, for hermetic unit tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from bot.gateway import DeliveryResult
from bot.messages import Outbound


@dataclass
class FakeRasa:
    """Answers like Rasa's REST channel; can be switched off."""

    up: bool = True
    received: list[dict[str, object]] = field(default_factory=list)
    answers: list[dict[str, object]] = field(
        default_factory=lambda: [
            {"text": "Salut !"},
            {
                "text": "Tu veux quoi ?",
                "buttons": [{"title": "Aide", "payload": "/bot_capabilities"}],
            },
        ]
    )

    def handler(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "model.tar.gz"})
        body = json.loads(request.content)
        self.received.append(body)
        return httpx.Response(200, json=self.answers)


@dataclass
class FakeSender:
    result: DeliveryResult = DeliveryResult.DELIVERED
    sent: list[tuple[str, list[Outbound]]] = field(default_factory=list)

    async def send(self, address: str, messages: Sequence[Outbound]) -> DeliveryResult:
        self.sent.append((address, list(messages)))
        return self.result
