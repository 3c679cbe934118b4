"""The import command, run as a deployer would, on a migrated database."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from typer.testing import CliRunner

from bot.db.base import Base
from bot.db.engine import create_engine_for
from bot.db.migrate import upgrade
from bot.orientation.cli import app
from tests.unit.orientation.conftest import FIXTURES

runner = CliRunner()


def test_import_migrates_the_database_then_reports_what_it_did(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'maraude.db'}"

    result = runner.invoke(
        app, ["import", "--source", str(FIXTURES), "--database-url", url]
    )

    assert result.exit_code == 0, result.output
    assert "communes" in result.output
    assert "placeholder, not a structure" in result.output


def test_import_from_a_missing_folder_fails_with_a_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'maraude.db'}"

    result = runner.invoke(
        app,
        ["import", "--source", str(tmp_path / "nowhere"), "--database-url", url],
    )

    assert result.exit_code == 1
    assert "Import failed" in result.output
    assert "--source" in result.output


def test_the_migration_creates_the_orientation_tables_as_modelled(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    upgrade(url, "heads")
    engine = create_engine_for(url)

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()

    ours = [d for d in differences if "orientation_" in repr(d)]
    assert ours == []
