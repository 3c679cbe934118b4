"""Persistence: SQLAlchemy models and sessions, migrated with Alembic."""

from bot.db.base import Base
from bot.db.engine import create_engine_for, session_factory

__all__ = ["Base", "create_engine_for", "session_factory"]
