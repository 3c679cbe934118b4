"""Which connectors the bot service starts, and how it copes at start."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import Settings
from bot.messages import Channel
from connectors import start_connectors, stop_connectors, webhook_routes
from connectors.discord import DiscordConfigError
from connectors.telegram import TelegramConfigError
from tests.fakes.discord_server import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.gateway import GatewayDouble
from tests.fakes.telegram_server import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_server import FakeTelegram


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, maraude_var_dir=tmp_path, **values)  # type: ignore[call-arg]


async def test_no_token_starts_nothing_and_says_so(
    tmp_path: Path, gateway: GatewayDouble, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="connectors"):
        handles = await start_connectors(settings(tmp_path), gateway)

    assert handles == []
    assert "Connectors on: none" in caplog.text


async def test_each_platform_with_a_token_starts(
    tmp_path: Path,
    gateway: GatewayDouble,
    fake_telegram: FakeTelegram,
    fake_discord: FakeDiscord,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = settings(
        tmp_path,
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_base_url=fake_telegram.base_url,
        discord_bot_token=DISCORD_TOKEN,
        discord_api_base=fake_discord.api_base,
        discord_gateway_url=fake_discord.gateway_url,
    )

    with caplog.at_level(logging.INFO, logger="connectors"):
        handles = await start_connectors(config, gateway)
    try:
        assert [h.name for h in handles] == ["telegram", "discord"]
        assert set(gateway.senders) == {Channel.TELEGRAM, Channel.DISCORD}
        assert "Connectors on: telegram, discord" in caplog.text
        assert webhook_routes(handles) == []
    finally:
        await stop_connectors(handles)


async def test_webhook_mode_exposes_the_route_of_the_webhook_url(
    tmp_path: Path, gateway: GatewayDouble, fake_telegram: FakeTelegram
) -> None:
    config = settings(
        tmp_path,
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_base_url=fake_telegram.base_url,
        telegram_mode="webhook",
        telegram_webhook_secret="a-secret",
        telegram_webhook_url="https://maraude.example/tg/hook",
    )

    handles = await start_connectors(config, gateway)
    try:
        [route] = webhook_routes(handles)
        assert route.path == "/tg/hook"  # type: ignore[attr-defined]
    finally:
        await stop_connectors(handles)


async def test_a_rejected_telegram_token_fails_the_start_without_quoting_it(
    tmp_path: Path, gateway: GatewayDouble, fake_telegram: FakeTelegram
) -> None:
    config = settings(
        tmp_path,
        telegram_bot_token="123:wrong-token",
        telegram_base_url=fake_telegram.base_url,
    )

    with pytest.raises(TelegramConfigError) as caught:
        await start_connectors(config, gateway)

    assert "wrong-token" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


async def test_a_rejected_discord_token_fails_the_start(
    tmp_path: Path, gateway: GatewayDouble, fake_discord: FakeDiscord
) -> None:
    config = settings(
        tmp_path,
        discord_bot_token="wrong",
        discord_api_base=fake_discord.api_base,
        discord_gateway_url=fake_discord.gateway_url,
    )

    with pytest.raises(DiscordConfigError, match="DISCORD_BOT_TOKEN"):
        await start_connectors(config, gateway)


async def test_an_unreachable_platform_does_not_keep_the_service_down(
    tmp_path: Path, gateway: GatewayDouble, caplog: pytest.LogCaptureFixture
) -> None:
    config = settings(
        tmp_path,
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_base_url="http://127.0.0.1:9/bot",  # discard port: nothing there
    )

    with caplog.at_level(logging.WARNING, logger="connectors"):
        handles = await start_connectors(config, gateway)
    try:
        assert [h.name for h in handles] == ["telegram"]
        assert "retrying in the background" in caplog.text
    finally:
        await stop_connectors(handles)


async def test_an_unreachable_discord_does_not_keep_the_service_down(
    tmp_path: Path, gateway: GatewayDouble, caplog: pytest.LogCaptureFixture
) -> None:
    config = settings(
        tmp_path,
        discord_bot_token=DISCORD_TOKEN,
        discord_api_base="http://127.0.0.1:9/api/v10",
        discord_gateway_url="ws://127.0.0.1:9/gateway",
    )

    with caplog.at_level(logging.WARNING, logger="connectors"):
        handles = await start_connectors(config, gateway)
    try:
        assert [h.name for h in handles] == ["discord"]
        assert "retrying in the background" in caplog.text
    finally:
        await stop_connectors(handles)
