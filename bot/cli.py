"""``maraude``: set up and run the bot service.

Run as ``python -m bot.cli COMMAND`` from the project root (the Makefile
does this for you).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import typer
import uvicorn
from honcho.manager import Manager
from honcho.printer import Printer
from sqlalchemy import select

from bot import logs
from bot.config import PROJECT_ROOT, ConfigError, Settings, get_settings
from bot.console import auth
from bot.db import create_engine_for, migrate, session_factory
from bot.db.console_models import Role
from bot.identity import new_secret_key
from bot.orientation import cli as orientation_cli
from bot.orientation.cli import DEFAULT_SOURCE
from bot.orientation.models import ImportRun, ImportStatus
from bot.stack import QUIET_RASA, RASA_PYTHON, TRAIN_SCRIPT, stack_processes

app = typer.Typer(help="Maraude's bot service.", no_args_is_help=True)
db_app = typer.Typer(help="The app database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(orientation_cli.app, name="data", help="Open reference data.")


@app.command("init-secret")
def init_secret() -> None:
    """Generate the pseudonym key once; leave an existing one alone."""
    settings = get_settings()
    if settings.maraude_secret_key:
        typer.echo("MARAUDE_SECRET_KEY is set; no key file needed.")
        return
    path = settings.secret_key_file
    if path.exists():
        typer.echo(f"Secret key present: {path}")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created readable by its owner only: it links pseudonyms to people.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(new_secret_key() + "\n")
    typer.echo(f"Secret key generated: {path} (keep it out of git and backed up)")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations the database lacks (idempotent)."""
    migrate.upgrade(get_settings().database_url, "heads")


@db_app.command("revision")
def db_revision(message: str = typer.Option(..., "-m", help="What changes.")) -> None:
    """Autogenerate a migration from the models (for developers)."""
    migrate.make_revision(get_settings().database_url, message)


@app.command("create-admin")
def create_admin(
    username: str = typer.Argument(..., help="Sign-in name (a-z, 0-9, . _ -)."),
    display_name: str = typer.Option(
        "", "--display-name", help="Name shown in the console; the username if empty."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Create a console administrator (the first account, or another one)."""
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt(
            f"Password for {username} ({auth.PASSWORD_MIN_CHARS}+ characters)",
            hide_input=True,
            confirmation_prompt=True,
        )
    engine = create_engine_for(settings.database_url)
    try:
        auth.create_account(
            session_factory(engine),
            username,
            display_name or username,
            Role.ADMIN,
            password,
        )
    except auth.AccountError as err:
        typer.echo(f"Admin not created: {err}", err=True)
        raise SystemExit(1) from err
    finally:
        engine.dispose()
    typer.echo(
        f"Admin {username!r} created. Sign in at "
        f"http://{settings.maraude_host}:{settings.maraude_port}/console/"
    )


@app.command()
def serve() -> None:
    """Run the bot service (web chat, API, connectors) in the foreground."""
    settings = get_settings()
    logs.configure(settings.maraude_log_level)
    settings.secret_key()  # fail now, clearly, rather than at the first message
    uvicorn.run(
        "bot.web.app:create_app",
        factory=True,
        host=settings.maraude_host,
        port=settings.maraude_port,
        log_config=None,
        access_log=False,
    )


@app.command()
def run() -> None:
    """Set up what is missing, then run the whole stack until Ctrl-C."""
    settings = get_settings()
    init_secret()
    typer.echo("» Database: applying migrations…")
    migrate.upgrade(settings.database_url, "heads")
    _import_open_data_once(settings)
    model = _trained_model()

    manager = Manager(Printer(sys.stdout))
    for spec in stack_processes(settings, model):
        # Each under bot.keepalive: a crashed Rasa is started again instead
        # of honcho stopping everything (the gateway waits for it meanwhile).
        argv = [sys.executable, "-m", "bot.keepalive", spec.name, "--", *spec.argv]
        manager.add_process(spec.name, shlex.join(argv), env=spec.env)
    web = f"http://{settings.maraude_host}:{settings.maraude_port}/"
    typer.echo(
        f"» Starting Rasa (about 40 s to be ready), the action server and the bot "
        f"service.\n» Web chat: {web}   Health: {web}healthz   Ctrl-C stops all."
    )
    typer.echo(f"» Connectors: {_connector_summary(settings)}")
    manager.loop()
    # Ctrl-C (or SIGTERM) is how the stack is meant to stop: not an error.
    stopped_on_purpose = manager.returncode in (130, 143)
    raise SystemExit(0 if stopped_on_purpose else manager.returncode)


def _import_open_data_once(settings: Settings) -> None:
    """Load communes and Missions Locales at first setup (later: `data import`)."""
    engine = create_engine_for(settings.database_url)
    with session_factory(engine)() as session:
        done = session.scalar(
            select(ImportRun.id).where(ImportRun.status == ImportStatus.SUCCEEDED)
        )
    engine.dispose()
    if done is not None:
        return
    if not DEFAULT_SOURCE.is_dir():
        typer.echo(
            f"» Open data: {DEFAULT_SOURCE} not found; orientation will fall back to "
            "departments. Import later with `maraude data import --source DIR`."
        )
        return
    typer.echo("» Open data: importing communes and Missions Locales (first run)…")
    orientation_cli.import_data(
        source=DEFAULT_SOURCE,
        coverage=None,
        database_url=settings.database_url,
        migrate=False,
        allow_shrink=False,
    )


def _trained_model() -> Path:
    """Train when the training data changed; the path of the model to serve."""
    typer.echo("» Rasa model: checking whether the training data changed…")
    result = subprocess.run(
        [str(RASA_PYTHON), str(TRAIN_SCRIPT)],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
        env={**os.environ, **QUIET_RASA, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    if result.returncode != 0:
        typer.echo("Training failed; see the output above.", err=True)
        raise SystemExit(1)
    return Path(result.stdout.strip().splitlines()[-1])


def _connector_summary(settings: Settings) -> str:
    telegram = (
        f"Telegram on ({settings.telegram_mode})"
        if settings.telegram_bot_token
        else "Telegram off (no TELEGRAM_BOT_TOKEN)"
    )
    discord = (
        "Discord on"
        if settings.discord_bot_token
        else "Discord off (no DISCORD_BOT_TOKEN)"
    )
    return f"{telegram}; {discord}"


def main() -> None:
    try:
        app()
    except ConfigError as err:
        typer.echo(f"Configuration error: {err}", err=True)
        raise SystemExit(2) from err


if __name__ == "__main__":
    main()
