"""Telegram, through python-telegram-bot: see :mod:`.connector`."""

from connectors.telegram.connector import (
    TELEGRAM_MAX_RETRIES,
    TelegramConfigError,
    TelegramConnector,
)
from connectors.telegram.polling import OffsetFileError, OffsetStore
from connectors.telegram.webhook import WEBHOOK_SECRET_HEADER

__all__ = [
    "TELEGRAM_MAX_RETRIES",
    "WEBHOOK_SECRET_HEADER",
    "OffsetFileError",
    "OffsetStore",
    "TelegramConfigError",
    "TelegramConnector",
]
