"""Fixtures: the orientation data imported once from tests/fixtures/orientation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.db.base import Base
from bot.db.engine import create_engine_for
from bot.orientation import models  # noqa: F401  (registers the tables)
from bot.orientation.importer import run_import
from bot.orientation.missions_locales import MissionLocaleDirectory, load_directory
from bot.orientation.places import PlaceIndex, load_index
from bot.orientation.sources import SourceFiles

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "orientation"


def make_engine(path: Path) -> Engine:
    """A fresh SQLite database with every table, as the migrations make it."""
    engine = create_engine_for(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    return engine


@pytest.fixture(scope="session")
def fixture_files() -> SourceFiles:
    return SourceFiles.discover(FIXTURES)


@pytest.fixture(scope="session")
def imported_engine(
    tmp_path_factory: pytest.TempPathFactory, fixture_files: SourceFiles
) -> Iterator[Engine]:
    engine = make_engine(tmp_path_factory.mktemp("orientation") / "ref.db")
    run_import(engine, fixture_files)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def place_index(imported_engine: Engine) -> PlaceIndex:
    with Session(imported_engine) as session:
        return load_index(session)


@pytest.fixture(scope="session")
def directory(imported_engine: Engine) -> MissionLocaleDirectory:
    with Session(imported_engine) as session:
        return load_directory(session)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(tmp_path / "app.db")
    yield engine
    engine.dispose()
