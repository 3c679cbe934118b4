"""Command line for the orientation data: ``python -m bot.orientation.cli``.

python -m bot.orientation.cli import                 # from ../shared/data
python -m bot.orientation.cli import --source DIR --coverage FILE.csv
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from bot.config import PROJECT_ROOT, ConfigError, get_settings
from bot.db.engine import create_engine_for
from bot.db.migrate import upgrade
from bot.orientation.errors import OrientationError
from bot.orientation.importer import ImportReport, run_import
from bot.orientation.sources import SourceFiles

DEFAULT_SOURCE = PROJECT_ROOT.parent / "shared" / "data"

app = typer.Typer(help="Reference data for orienting young people.")
console = Console()


@app.callback()
def main() -> None:
    """Reference data for orienting young people."""


@app.command("import")
def import_data(
    source: Annotated[
        Path,
        typer.Option(help="Folder of open data, searched recursively."),
    ] = DEFAULT_SOURCE,
    coverage: Annotated[
        Path | None,
        typer.Option(
            help="Coverage map CSV to use instead of the zones_de_couverture*.csv "
            "found in the source folder."
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="Database to fill; the configured one by default."),
    ] = None,
    migrate: Annotated[
        bool, typer.Option(help="Bring the database schema up to date first.")
    ] = True,
    allow_shrink: Annotated[
        bool,
        typer.Option(help="Accept far fewer communes than are loaded now."),
    ] = False,
) -> None:
    """Import communes, Missions Locales and their coverage, all or nothing."""
    logging.basicConfig(
        level=logging.WARNING, handlers=[RichHandler(console=console)], force=True
    )
    try:
        url = database_url or get_settings().database_url
        files = SourceFiles.discover(source, coverage)
        if migrate:
            upgrade(url, "heads")
        engine = create_engine_for(url)
        with _progress_bar() as bar:
            report = run_import(engine, files, progress=bar.update)
        engine.dispose()
    except (OrientationError, ConfigError) as err:
        console.print(f"[red]Import failed:[/red] {err}")
        raise typer.Exit(code=1) from err
    _print_report(report)


class _ProgressBar:
    """Adapts the importer's (stage, done, total) calls to a rich progress bar."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _ProgressBar:
        self._progress.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._progress.stop()

    def update(self, stage: str, done: int, total: int) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(stage, total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)


def _progress_bar() -> _ProgressBar:
    return _ProgressBar()


def _print_report(report: ImportReport) -> None:
    table = Table(title=f"Import {report.run_id} done in {report.seconds:.1f} s")
    table.add_column("Rows")
    table.add_column("Now", justify="right")
    table.add_column("Before", justify="right")
    for name, count in report.counts.items():
        before = report.previous_counts.get(name)
        table.add_row(name, str(count), "" if before is None else str(before))
    console.print(table)
    _print_tally(f"Skipped ({report.skipped_total})", report.skipped)
    _print_tally("Noted, not skipped", report.notes)
    for name, path in report.files.as_dict().items():
        console.print(f"  {name}: {path or '[yellow]not found[/yellow]'}")


def _print_tally(title: str, tally: dict[str, dict[str, Any]]) -> None:
    if not tally:
        return
    table = Table(title=title)
    table.add_column("Reason")
    table.add_column("Count", justify="right")
    table.add_column("First examples")
    for reason, entry in tally.items():
        table.add_row(reason, str(entry["count"]), ", ".join(entry["examples"]))
    console.print(table)


if __name__ == "__main__":
    app()
