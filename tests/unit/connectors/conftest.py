"""Fixtures: fake platform servers, a gateway double, connectors under test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from connectors.telegram import TelegramConnector
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
