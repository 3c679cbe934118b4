"""A stand-in for :class:`bot.gateway.Gateway`, for connector unit tests only.

It keeps what the connectors rely on: ``receive`` returns only once the
message is recorded, drops a platform message id seen before, and returns
the answers the test scripted; ``register_sender`` keeps the sender.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.gateway import ChannelSender
from bot.messages import Channel, Inbound, InboundKind, Outbound

Answerer = Callable[[Inbound], list[Outbound]]


def echo(inbound: Inbound) -> list[Outbound]:
    if inbound.kind is not InboundKind.TEXT:
        return [Outbound(f"[{inbound.kind.value}]")]
    return [Outbound(f"echo: {inbound.text}")]


@dataclass
class GatewayDouble:
    answer: Answerer = echo
    delay: float = 0.0
    fail_times: int = 0
    received: list[Inbound] = field(default_factory=list)
    senders: dict[Channel, ChannelSender] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    _seen: set[tuple[str, str, str | None]] = field(default_factory=set)

    async def receive(self, inbound: Inbound) -> list[Outbound]:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError("database unavailable")
        key = (inbound.channel.value, inbound.user_id, inbound.platform_message_id)
        if key in self._seen:
            return []
        self._seen.add(key)
        self.received.append(inbound)
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.answer(inbound)

    def register_sender(self, channel: Channel, sender: ChannelSender) -> None:
        self.senders[channel] = sender

    def conversation_id(self, channel: Channel, user_id: str) -> str:
        return f"{channel.value[:2]}-{abs(hash(user_id)) % 10**8:08d}"

    def mark_blocked(self, conversation_id: str) -> None:
        self.blocked.add(conversation_id)

    def texts_from(self, user_id: int | str) -> list[str | None]:
        return [i.text for i in self.received if i.user_id == str(user_id)]
