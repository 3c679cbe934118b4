"""Fixtures shared by every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.db import create_engine_for, session_factory
from bot.db.migrate import upgrade


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A fresh SQLite database with every migration applied."""
    url = f"sqlite:///{tmp_path / 'maraude.db'}"
    upgrade(url)
    return url


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_engine_for(database_url)
    yield session_factory(engine)
    engine.dispose()
