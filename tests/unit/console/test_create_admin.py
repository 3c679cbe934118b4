"""``maraude create-admin``: the first account, created from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings
from bot.db import create_engine_for, session_factory
from bot.db.console_models import Account

runner = CliRunner()
PASSWORD = "une phrase de passe assez longue"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'maraude.db'}"
    monkeypatch.setenv("MARAUDE_DATABASE_URL", url)
    monkeypatch.setenv("MARAUDE_SECRET_KEY", "unit-test-key")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def admins(url: str) -> list[tuple[str, str, str]]:
    engine = create_engine_for(url)
    try:
        with session_factory(engine)() as session:
            rows = session.scalars(select(Account)).all()
            return [(a.username, a.display_name, a.role) for a in rows]
    finally:
        engine.dispose()


def test_it_asks_for_the_password_twice(database: str) -> None:
    result = runner.invoke(
        app,
        ["create-admin", "nadia", "--display-name", "Nadia"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1
    assert "Repeat" in result.output
    assert admins(database) == [("nadia", "Nadia", "admin")]


def test_it_reads_the_password_from_stdin(database: str) -> None:
    result = runner.invoke(
        app, ["create-admin", "nadia", "--password-stdin"], input=f"{PASSWORD}\n"
    )

    assert result.exit_code == 0, result.output
    assert admins(database) == [("nadia", "nadia", "admin")]


def test_a_short_password_is_refused_with_the_reason(database: str) -> None:
    result = runner.invoke(
        app, ["create-admin", "nadia", "--password-stdin"], input="court\n"
    )

    assert result.exit_code == 1
    assert "Expected a password of 12" in result.output
    assert admins(database) == []
