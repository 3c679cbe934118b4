"""The reference data in the action server's memory: communes and Missions Locales.

Loaded once per process on first use, for every topic that needs it (the
situation questions find INSEE codes with it, orientation names the Mission
Locale). When it was never imported or the database fails, topics go on
without it and it is tried again after :data:`RETRY_SECONDS`. The process
keeps what it loaded: restart the action server after an import.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from actions.profile import shared_store
from bot.orientation.errors import OrientationError
from bot.orientation.missions_locales import MissionLocaleDirectory, load_directory
from bot.orientation.places import PlaceIndex, load_index

logger = logging.getLogger(__name__)

# After the data failed to load (never imported), wait this long before trying
# again rather than at every message.
RETRY_SECONDS = 600.0


@dataclass(frozen=True)
class OrientationData:
    """The communes and Missions Locales, in memory."""

    index: PlaceIndex
    directory: MissionLocaleDirectory


class OrientationSource:
    """Loads :class:`OrientationData` on first use, and says when it cannot.

    Args:
        sessions: gives the session factory of the database holding the data.
        clock: seconds, for the retry delay (tests pass their own).
    """

    def __init__(
        self,
        sessions: Callable[[], sessionmaker[Session]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._data: OrientationData | None = None
        self._failed_at: float | None = None

    def get(self) -> OrientationData | None:
        """The data, or None when it is not imported or the database fails."""
        if self._data is not None:
            return self._data
        now = self._clock()
        if self._failed_at is not None and now - self._failed_at < RETRY_SECONDS:
            return None
        try:
            with self._sessions()() as session:
                data = OrientationData(load_index(session), load_directory(session))
        except (OrientationError, SQLAlchemyError) as err:
            self._failed_at = now
            logger.warning("Orientation data not available: %s", err)
            return None
        self._data = data
        return data

    def index(self) -> PlaceIndex | None:
        """The place index, or None when the data is not available."""
        data = self.get()
        return None if data is None else data.index


@lru_cache(maxsize=1)
def shared_source() -> OrientationSource:
    """The action server's one copy of the reference data, for every topic."""
    return OrientationSource(shared_store().sessions)
