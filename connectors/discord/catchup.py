"""Direct messages sent while the bot was away, fetched once it is back.

Discord's gateway does not deliver again what a disconnected bot missed
(only a resumed session gets its gap). So the connector remembers, per DM
channel, the last message the gateway stored, and at each new session reads
the channel's history after it. The gateway drops anything it already has.

The file holds DM channel ids (no names, no text) and forgets channels idle
for :data:`CURSOR_RETENTION_DAYS`: an outage longer than that is not caught
up, and the file does not grow with every young person ever met.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord.utils

logger = logging.getLogger(__name__)

CURSOR_RETENTION_DAYS = 7
# Messages fetched per channel at most, oldest first: a longer gap is rare,
# and a young person gets their first unanswered messages answered.
CATCH_UP_MAX_MESSAGES = 50


class DmCursors:
    """Last stored message id per DM channel, kept in a small JSON file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._cursors: dict[int, int] = self._load()

    def snapshot(self) -> list[tuple[int, int]]:
        """(channel id, last stored message id) pairs, as of now."""
        return list(self._cursors.items())

    def advance(self, channel_id: int, message_id: int) -> None:
        """Remember that ``message_id`` (and all before it) is stored."""
        if self._cursors.get(channel_id, 0) >= message_id:
            return
        self._cursors[channel_id] = message_id
        self._prune()
        self._save()

    def _prune(self) -> None:
        oldest = datetime.now(UTC) - timedelta(days=CURSOR_RETENTION_DAYS)
        self._cursors = {
            channel: message
            for channel, message in self._cursors.items()
            if discord.utils.snowflake_time(message) >= oldest
        }

    def _load(self) -> dict[int, int]:
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            return {int(k): int(v) for k, v in raw.items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, AttributeError) as err:
            # Recovered: without cursors nothing is caught up, nothing breaks.
            logger.warning("Ignoring unreadable %s: %s", self._path, type(err))
            return {}

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_suffix(self._path.suffix + ".tmp")
        with temporary.open("w", encoding="utf-8") as file:
            json.dump({str(k): str(v) for k, v in self._cursors.items()}, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self._path)
