"""Command line for the activity catalogue: ``python -m bot.activities``.

python -m bot.activities check                # national catalogue + local folder
python -m bot.activities check FILE_OR_DIR…   # only these files
python -m bot.activities schema --write       # refresh data/activities/schema.json
python -m bot.activities suggest --interest sport --age 19 --commune 59350
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.activities.catalogue import (
    CATALOGUE_FILE,
    CatalogueError,
    check_paths,
    load_catalogue,
    local_files,
)
from bot.activities.recommend import Profile, recommend
from bot.activities.schema import json_schema
from bot.config import ConfigError, get_settings

SCHEMA_FILE = CATALOGUE_FILE.parent / "schema.json"

app = typer.Typer(help="The activity catalogue: check it, export its schema.")
console = Console()


def _local_dir() -> Path | None:
    try:
        return get_settings().activities_local_dir
    except ConfigError as err:
        console.print(f"[yellow]Local folder unknown, checked nothing local: {err}")
        return None


@app.command()
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or folders to check; by default the national catalogue "
            "and the local folder (MARAUDE_ACTIVITIES_LOCAL_DIR)."
        ),
    ] = None,
) -> None:
    """Validate catalogue files; exit 1 naming every problem."""
    if not paths:
        local = _local_dir()
        paths = [CATALOGUE_FILE, *(local_files(local) if local else [])]
    problems = check_paths(paths)
    for problem in problems:
        console.print(f"[red]✗[/red] {problem}", highlight=False)
    if problems:
        raise typer.Exit(1)
    console.print(f"[green]✓[/green] {len(paths)} file(s) valid", highlight=False)


@app.command()
def schema(
    write: Annotated[
        bool, typer.Option(help=f"Write {SCHEMA_FILE.name} instead of printing it.")
    ] = False,
) -> None:
    """The JSON Schema of a catalogue file."""
    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if write:
        SCHEMA_FILE.write_text(text, encoding="utf-8")
        console.print(f"Wrote {SCHEMA_FILE}")
    else:
        typer.echo(text, nl=False)


@app.command()
def suggest(
    interest: Annotated[list[str] | None, typer.Option(help="Interest code.")] = None,
    need: Annotated[list[str] | None, typer.Option(help="Need code.")] = None,
    age: Annotated[int | None, typer.Option()] = None,
    commune: Annotated[str | None, typer.Option(help="INSEE code.")] = None,
    said: Annotated[str, typer.Option(help="What they wrote.")] = "",
) -> None:
    """What the bot would suggest to such a young person today."""
    try:
        catalogue = load_catalogue(local_dir=_local_dir())
    except CatalogueError as err:
        console.print(f"[red]✗[/red] {err}", highlight=False)
        raise typer.Exit(1) from err
    profile = Profile(
        interests=tuple(interest or ()),
        needs=tuple(need or ()),
        age=age,
        commune=commune,
        said=said,
    )
    for suggestion in recommend(catalogue, profile, date.today()):
        console.print(
            f"{suggestion.entry.id}: {suggestion.entry.title} — {suggestion.reason}",
            highlight=False,
        )


if __name__ == "__main__":
    app()
