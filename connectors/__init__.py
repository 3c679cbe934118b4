"""Platform connectors: Telegram and Discord, started by the bot service.

In the bot service's lifespan::

    handles = await start_connectors(settings, gateway)
    app.router.routes.extend(webhook_routes(handles))
    ...
    await stop_connectors(handles)

A connector starts only when its token is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Protocol

from starlette.routing import BaseRoute
from tenacity import AsyncRetrying, retry_if_not_exception_type, wait_exponential

from bot.config import Settings
from connectors.base import GatewayPort
from connectors.discord import DiscordConfigError, DiscordConnector
from connectors.telegram import (
    OffsetFileError,
    TelegramConfigError,
    TelegramConnector,
)

logger = logging.getLogger(__name__)

# The HTTP client libraries log full request URLs at INFO, and a Telegram
# URL contains the bot token; at DEBUG, PTB and discord.py log message text.
_CHATTY_LOGGERS = {"httpx": logging.WARNING, "telegram": logging.INFO}
_QUIET_AT_DEBUG = {"discord": logging.INFO}
# Under var/: the next Telegram update to fetch, kept across restarts.
TELEGRAM_OFFSET_FILE = "telegram-offset.json"
# Under var/: the last stored message of each recent Discord DM channel.
DISCORD_CURSOR_FILE = "discord-dm-cursors.json"
# Longest pause between two attempts to reach a platform at start.
START_RETRY_MAX_SECONDS = 60
_CONFIG_ERRORS = (TelegramConfigError, OffsetFileError, DiscordConfigError)


class RunningConnector(Protocol):
    """What the bot service holds for each started connector."""

    name: str

    @property
    def routes(self) -> Sequence[BaseRoute]:
        """HTTP routes the service must serve (a webhook), maybe none."""
        ...

    async def stop(self, timeout: float = 30.0) -> None:
        """Finish in-flight work and disconnect."""
        ...


def quiet_library_logs() -> None:
    """Keep tokens and message text out of the logs of the libraries used."""
    for name, level in {**_CHATTY_LOGGERS, **_QUIET_AT_DEBUG}.items():
        library = logging.getLogger(name)
        if library.getEffectiveLevel() < level:
            library.setLevel(level)


async def start_connectors(
    settings: Settings, gateway: GatewayPort
) -> list[RunningConnector]:
    """Start every connector whose token is set, and say which are on.

    A platform that cannot be reached yet does not keep the service (and
    the web chat) from starting: its connector keeps trying in the
    background. A setting that cannot work fails the start at once.

    Raises:
        TelegramConfigError, DiscordConfigError: a connector's settings are
            unusable (the message says which variable to fix); connectors
            already started are stopped.
    """
    quiet_library_logs()
    handles: list[RunningConnector] = []
    try:
        if settings.telegram_bot_token:
            handles.append(await _Supervised.start(_telegram(settings, gateway)))
        if settings.discord_bot_token:
            handles.append(await _Supervised.start(_discord(settings, gateway)))
    except BaseException:
        await stop_connectors(handles)
        raise
    on = ", ".join(handle.name for handle in handles) or "none"
    logger.info("Connectors on: %s", on)
    if not handles:
        logger.info(
            "Set TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN to reach young people "
            "on those platforms; the web chat works without them."
        )
    return handles


async def stop_connectors(handles: Sequence[RunningConnector]) -> None:
    """Stop the connectors, last started first."""
    for handle in reversed(handles):
        try:
            await handle.stop()
        except Exception:
            # Recovered: one connector failing to stop must not keep the
            # others (and the service) from shutting down.
            logger.exception("Connector %s did not stop cleanly", handle.name)


def webhook_routes(handles: Sequence[RunningConnector]) -> list[BaseRoute]:
    """The HTTP routes of the running connectors (Telegram's webhook)."""
    return [route for handle in handles for route in handle.routes]


class _Connector(RunningConnector, Protocol):
    async def start(self) -> None: ...


class _Supervised:
    """A connector whose first start is retried while its platform is away."""

    def __init__(self, connector: _Connector) -> None:
        self._connector = connector
        self.name = connector.name
        self._retrying: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, connector: _Connector) -> _Supervised:
        supervised = cls(connector)
        try:
            await connector.start()
        except _CONFIG_ERRORS:
            raise
        except Exception as err:
            logger.warning(
                "%s unreachable at start (%s); retrying in the background",
                connector.name,
                type(err).__name__,
            )
            supervised._retrying = asyncio.create_task(supervised._retry())
        return supervised

    @property
    def routes(self) -> Sequence[BaseRoute]:
        return self._connector.routes

    async def _retry(self) -> None:
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=1, max=START_RETRY_MAX_SECONDS),
            retry=retry_if_not_exception_type(_CONFIG_ERRORS),
            before_sleep=lambda state: logger.warning(
                "%s still unreachable (attempt %d)",
                self.name,
                state.attempt_number,
            ),
        )
        try:
            await retrying(self._connector.start)
        except _CONFIG_ERRORS:
            logger.exception("%s cannot start; fix its settings", self.name)
            return
        logger.info("%s connector on", self.name)

    async def stop(self, timeout: float = 30.0) -> None:
        if self._retrying is not None:
            self._retrying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retrying
        await self._connector.stop(timeout)


def _telegram(settings: Settings, gateway: GatewayPort) -> _Connector:
    return TelegramConnector(
        gateway,
        settings.telegram_bot_token,
        offset_path=settings.maraude_var_dir / TELEGRAM_OFFSET_FILE,
        base_url=settings.telegram_base_url,
        mode=settings.telegram_mode,
        webhook_url=settings.telegram_webhook_url,
        webhook_secret=settings.telegram_webhook_secret,
    )


def _discord(settings: Settings, gateway: GatewayPort) -> _Connector:
    return DiscordConnector(
        gateway,
        settings.discord_bot_token,
        api_base=settings.discord_api_base,
        gateway_url=settings.discord_gateway_url,
        cursor_path=settings.maraude_var_dir / DISCORD_CURSOR_FILE,
    )
