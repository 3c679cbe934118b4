"""The young person's situation as a short structured profile, kept with the
conversation in the app database, where the counsellor will read it.

The actions write it after every turn that changed it, so that a conversation
stopped half-way still shows what was said. The database engine and the place
index are built on first use, never at import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from actions.situation_answers import (
    AGE,
    DIPLOMA,
    INTERESTS,
    NEEDS,
    PLACE,
    SINCE,
    STATUS,
    months_since,
)
from bot.config import get_settings
from bot.db import create_engine_for, session_factory
from bot.db.models import Conversation
from bot.orientation.places import Found, PlaceIndex

logger = logging.getLogger(__name__)

ADULT_AGE = 18
# The obligation de formation covers 16 and 17 year-olds (see DOMAIN.md).
MINOR_MIN_AGE = 16
LAST_CLASS = "last_class"
PLACE_CODE = "place_code"
PLACE_NAME = "place_name"
SKIPPED = "skipped_questions"
# Slots that make up the profile; a change to any of them is saved.
PROFILE_SLOTS = (
    AGE,
    "age_from_birth_year",
    STATUS,
    SINCE,
    DIPLOMA,
    LAST_CLASS,
    PLACE,
    PLACE_CODE,
    PLACE_NAME,
    NEEDS,
    INTERESTS,
    SKIPPED,
)


def build_profile(slots: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The situation part of the profile, from the conversation's slots.

    Unknown facts are None (or empty lists), so the counsellor sees what was
    not said as well as what was.
    """
    age = slots.get(AGE)
    whole_age = None if age is None else int(age)
    since = slots.get(SINCE)
    return {
        "age": whole_age,
        "age_from_birth_year": bool(slots.get("age_from_birth_year")),
        "is_minor": None if whole_age is None else whole_age < ADULT_AGE,
        "minor_16_17": (
            None if whole_age is None else MINOR_MIN_AGE <= whole_age < ADULT_AGE
        ),
        "status": slots.get(STATUS),
        "status_since": since,
        "status_since_months": None if since is None else months_since(since, today),
        "last_class": slots.get(LAST_CLASS),
        "diploma": slots.get(DIPLOMA),
        "place": slots.get(PLACE),
        "place_code": slots.get(PLACE_CODE),
        "place_name": slots.get(PLACE_NAME),
        "needs": list(slots.get(NEEDS) or []),
        "interests": list(slots.get(INTERESTS) or []),
        "skipped": list(slots.get(SKIPPED) or []),
    }


class ProfileStore:
    """Writes profiles into ``conversations.profile``.

    Args:
        database_url: the app database; read from the settings when None.
    """

    def __init__(self, database_url: str | None = None) -> None:
        self._database_url = database_url
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None

    def sessions(self) -> sessionmaker[Session]:
        """The database's session factory, built on first use."""
        if self._sessions is None:
            url = self._database_url or get_settings().database_url
            self._engine = create_engine_for(url)
            self._sessions = session_factory(self._engine)
        return self._sessions

    def save(self, conversation_id: str, situation: Mapping[str, Any]) -> bool:
        """Merge ``situation`` into the conversation's profile.

        Other keys of the profile (written by other topics) are kept. Returns
        False when the conversation is unknown (a conversation that did not
        come through the gateway, such as a Rasa test) or the database failed:
        the dialogue goes on either way.
        """
        stamped = {**situation, "situation_updated_at": datetime.now(UTC).isoformat()}
        try:
            with self.sessions().begin() as session:
                conversation = session.get(Conversation, conversation_id)
                if conversation is None:
                    logger.debug(
                        "No conversation %s to save a profile to", conversation_id
                    )
                    return False
                # A new dict, so that SQLAlchemy sees the JSON column changed.
                conversation.profile = {**(conversation.profile or {}), **stamped}
        except SQLAlchemyError:
            logger.exception("Could not save the profile of %s", conversation_id)
            return False
        logger.debug("Saved the profile of %s", conversation_id)
        return True

    def load(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation's whole profile, or None when it is unknown."""
        with self.sessions()() as session:
            conversation = session.get(Conversation, conversation_id)
            return None if conversation is None else dict(conversation.profile or {})

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self._engine, self._sessions = None, None


@lru_cache(maxsize=1)
def shared_store() -> ProfileStore:
    """The action server's one profile store (one engine per process)."""
    return ProfileStore()


class PlaceLookup(Protocol):
    """Anything that finds the INSEE code and name of a typed place."""

    def code_of(self, typed: str) -> tuple[str, str] | None:
        """The code and official name, or None when unsure or unavailable."""
        ...


class PlaceCodes:
    """INSEE codes for typed places, when the reference data is loaded.

    A convenience for the counsellor and for orientation: the situation
    dialogue never waits for it nor depends on it.

    Args:
        index: gives the place index, or None while it is not available
            (``actions.reference_data.OrientationSource.index``, which loads
            it once and retries later when it was never imported).
    """

    def __init__(self, index: Callable[[], PlaceIndex | None]) -> None:
        self._index = index

    def code_of(self, typed: str) -> tuple[str, str] | None:
        """The INSEE code and official name of ``typed``, or None when unsure."""
        index = self._index()
        if index is None:
            return None
        try:
            found = index.resolve(typed)
        except Exception:  # the dialogue must go on whatever the resolver does
            logger.exception("Place resolution failed")
            return None
        if isinstance(found, Found):
            return found.place.code, found.place.name
        return None
