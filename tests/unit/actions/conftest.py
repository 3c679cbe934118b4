"""Fixtures for the action tests: the orientation data, imported once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from actions.reference_data import OrientationData, OrientationSource
from bot.db import create_engine_for, session_factory
from bot.db.migrate import upgrade
from bot.orientation.importer import run_import
from bot.orientation.missions_locales import load_directory
from bot.orientation.places import load_index
from bot.orientation.sources import SourceFiles

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "orientation"


@pytest.fixture(scope="session")
def orientation_sessions(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[sessionmaker[Session]]:
    """A migrated database holding the fixture communes and Missions Locales."""
    url = f"sqlite:///{tmp_path_factory.mktemp('orientation') / 'app.db'}"
    upgrade(url)
    engine = create_engine_for(url)
    run_import(engine, SourceFiles.discover(FIXTURES))
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def orientation_data(orientation_sessions: sessionmaker[Session]) -> OrientationData:
    with orientation_sessions() as session:
        return OrientationData(load_index(session), load_directory(session))


@pytest.fixture(scope="session")
def source(orientation_sessions: sessionmaker[Session]) -> OrientationSource:
    return OrientationSource(lambda: orientation_sessions)
