"""Erasure of a conversation: transcript, profile, address, follow-ups, Rasa tracker.

Anyone may ask for erasure, minors without a parent; data collected while a
minor must go within a month (see DOMAIN.md). Here it goes at once.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import create_engine, delete, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Conversation
from bot.followups.models import FollowUp

logger = logging.getLogger(__name__)


def erase_conversation(
    sessions: sessionmaker[Session], tracker_db: Path | None, conversation_id: str
) -> None:
    """Delete everything kept about one conversation.

    Rasa offers no endpoint to delete a tracker, so its events are deleted
    from the tracker store's table directly; call this only once Rasa has
    answered the turn (it saves the tracker before answering).
    """
    with sessions.begin() as session:
        # Also cascaded by the foreign key; explicit, so that no check-back
        # can outlive the erasure whatever the database enforces.
        session.execute(
            delete(FollowUp).where(FollowUp.conversation_id == conversation_id)
        )
        conversation = session.get(Conversation, conversation_id)
        if conversation is not None:
            session.delete(conversation)  # cascades to messages and address
    if tracker_db is not None and tracker_db.exists():
        engine = create_engine(f"sqlite:///{tracker_db}")
        try:
            with engine.begin() as connection:
                connection.execute(
                    text("DELETE FROM events WHERE sender_id = :sender"),
                    {"sender": conversation_id},
                )
        except OperationalError:
            logger.warning("Rasa tracker store has no events table yet")
        finally:
            engine.dispose()
    logger.info("Conversation %s erased on request", conversation_id)
