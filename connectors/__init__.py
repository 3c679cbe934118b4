"""Platform connectors: Telegram and Discord, started by the bot service.

In the bot service's lifespan::

    handles = await start_connectors(settings, gateway)
    app.router.routes.extend(webhook_routes(handles))
    ...
    await stop_connectors(handles)

A connector starts only when its token is set.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from starlette.routing import BaseRoute

from bot.config import Settings
from connectors.base import GatewayPort

logger = logging.getLogger(__name__)

# The HTTP client libraries log full request URLs at INFO, and a Telegram
# URL contains the bot token; at DEBUG, PTB and discord.py log message text.
_CHATTY_LOGGERS = {"httpx": logging.WARNING, "telegram": logging.INFO}
_QUIET_AT_DEBUG = {"discord": logging.INFO}


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

    Raises:
        RuntimeError: a connector's settings are unusable (the message says
            which variable to fix); connectors already started are stopped.
    """
    quiet_library_logs()
    handles: list[RunningConnector] = []
    try:
        if settings.telegram_bot_token:
            handles.append(await _start_telegram(settings, gateway))
        if settings.discord_bot_token:
            handles.append(await _start_discord(settings, gateway))
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


async def _start_telegram(settings: Settings, gateway: GatewayPort) -> RunningConnector:
    from connectors.telegram import TelegramConnector

    connector = TelegramConnector(
        gateway,
        settings.telegram_bot_token,
        offset_path=settings.maraude_var_dir / "telegram-offset.json",
        base_url=settings.telegram_base_url,
        mode=settings.telegram_mode,
        webhook_url=settings.telegram_webhook_url,
        webhook_secret=settings.telegram_webhook_secret,
    )
    await connector.start()
    return connector


async def _start_discord(settings: Settings, gateway: GatewayPort) -> RunningConnector:
    from connectors.discord import DiscordConnector

    connector = DiscordConnector(
        gateway,
        settings.discord_bot_token,
        api_base=settings.discord_api_base,
        gateway_url=settings.discord_gateway_url,
    )
    await connector.start()
    return connector
