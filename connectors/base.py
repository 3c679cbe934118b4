"""What every connector relies on: the gateway's face, and per-chat order."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

from bot.gateway import ChannelSender, DeliveryResult
from bot.messages import Channel, Inbound, Outbound

__all__ = ["ChannelSender", "DeliveryResult", "GatewayPort", "KeyedLocks"]


class GatewayPort(Protocol):
    """The part of :class:`bot.gateway.Gateway` a connector uses."""

    async def receive(self, inbound: Inbound) -> list[Outbound]:
        """Store ``inbound`` durably, then return the answers to it, in order."""
        ...

    def register_sender(self, channel: Channel, sender: ChannelSender) -> None:
        """Let the gateway push messages (deferred answers, counsellors)."""
        ...

    def conversation_id(self, channel: Channel, user_id: str) -> str:
        """The pseudonym of a platform user: the only id fit for logs."""
        ...

    def mark_blocked(self, conversation_id: str) -> None:
        """The platform refused a reply because the person blocked the bot."""
        ...


class KeyedLocks:
    """One lock per chat, so that a chat's answers go out in order.

    Locks are dropped once nobody holds or waits for them, so that the
    table does not grow with every chat ever seen.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]
