"""Fixtures: fake platform servers, a gateway double, connectors under test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from connectors.discord import DiscordConnector
from connectors.telegram import TelegramConnector
from tests.fakes.discord_server import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.gateway import GatewayDouble
from tests.fakes.telegram_server import TOKEN, FakeTelegram

# Short enough for tests to stop quickly, long enough to exercise waiting.
TEST_POLL_TIMEOUT = 1.0


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture
def gateway() -> GatewayDouble:
    return GatewayDouble()


TelegramFactory = Callable[..., TelegramConnector]


@pytest.fixture
async def telegram_factory(
    fake_telegram: FakeTelegram, gateway: GatewayDouble, tmp_path: Path
) -> AsyncIterator[TelegramFactory]:
    """Build (not start) connectors on the fake; all are stopped at the end."""
    made: list[TelegramConnector] = []

    def make(**overrides: object) -> TelegramConnector:
        options: dict[str, object] = {
            "offset_path": tmp_path / "telegram-offset.json",
            "base_url": fake_telegram.base_url,
            "poll_timeout": TEST_POLL_TIMEOUT,
        }
        options.update(overrides)
        connector = TelegramConnector(gateway, TOKEN, **options)  # type: ignore[arg-type]
        made.append(connector)
        return connector

    yield make
    for connector in made:
        await connector.stop(timeout=5)


@pytest.fixture
async def telegram(telegram_factory: TelegramFactory) -> TelegramConnector:
    """A started connector, polling the fake."""
    connector = telegram_factory()
    await connector.start()
    return connector


@pytest.fixture
def fake_discord() -> Iterator[FakeDiscord]:
    with FakeDiscord() as server:
        yield server


DiscordFactory = Callable[..., Awaitable[DiscordConnector]]


@pytest.fixture
async def discord_factory(
    fake_discord: FakeDiscord, gateway: GatewayDouble
) -> AsyncIterator[DiscordFactory]:
    """Start connectors on the fake, ready; all are stopped at the end."""
    made: list[DiscordConnector] = []

    async def make(**overrides: object) -> DiscordConnector:
        options: dict[str, object] = {
            "api_base": fake_discord.api_base,
            "gateway_url": fake_discord.gateway_url,
            "guild_ready_timeout": 0.05,
        }
        options.update(overrides)
        connector = DiscordConnector(gateway, DISCORD_TOKEN, **options)  # type: ignore[arg-type]
        made.append(connector)
        await connector.start()
        await connector.wait_ready(timeout=10)
        return connector

    yield make
    for connector in made:
        await connector.stop(timeout=5)


@pytest.fixture
async def discord_bot(discord_factory: DiscordFactory) -> DiscordConnector:
    return await discord_factory()
