"""Logging for the bot service's processes.

Log lines carry pseudonymous conversation ids only: never names, platform
ids or message text (see STYLE.md). HTTP access logs are off for the same
reason: a URL can carry what a body would not.
"""

from __future__ import annotations

import logging

LOG_FORMAT = "%(levelname)-7s %(name)s: %(message)s"
# Libraries that would log request URLs or bodies at INFO.
QUIET_LOGGERS = ("httpx", "httpcore", "telegram", "discord.gateway", "uvicorn.access")


def configure(level: str) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT, force=True)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(
            max(logging.WARNING, logging.getLevelName(level))
        )
