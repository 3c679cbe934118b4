"""The processes that make up Maraude, as ``make run`` and the tests start them.

Three processes on 127.0.0.1: the Rasa server (frozen environment), the
action server (modern environment) and the bot service (modern
environment). Ports and paths come from the settings, so a test stack can
run beside a development one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import PROJECT_ROOT, Settings

VENVS = PROJECT_ROOT / ".venvs"
RASA_PYTHON = VENVS / "rasa" / "bin" / "python"
APP_PYTHON = VENVS / "app" / "bin" / "python"
TRAIN_SCRIPT = PROJECT_ROOT / "scripts" / "train_model.py"

# Variables the stack passes on; everything else in the caller's environment
# is inherited as is.
QUIET_RASA = {
    "RASA_TELEMETRY_ENABLED": "false",
    # Rasa 3.6 uses SQLAlchemy 1.4 APIs that warn about 2.0 at every start.
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    # Rasa 3.6's dependencies print pages of DeprecationWarnings at start on
    # Python 3.11; they say nothing an operator can act on.
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
}


@dataclass(frozen=True)
class ProcessSpec:
    """One process: a short name for log prefixes, its command, its environment."""

    name: str
    argv: list[str]
    env: dict[str, str]


def port_of(url: str) -> int:
    """The port of an http URL, e.g. 5005 for ``http://127.0.0.1:5005``.

    Raises:
        ValueError: when the URL names no port.
    """
    port = urlsplit(url).port
    if port is None:
        raise ValueError(
            f"Expected a URL with a port, like http://127.0.0.1:5005; got {url!r}"
        )
    return port


def stack_env(settings: Settings) -> dict[str, str]:
    """The environment every process of the stack shares."""
    env = dict(os.environ)
    env.update(QUIET_RASA)
    env.update(
        {
            "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONUNBUFFERED": "1",
            "MARAUDE_VAR_DIR": str(settings.maraude_var_dir),
            "MARAUDE_HOST": settings.maraude_host,
            "MARAUDE_PORT": str(settings.maraude_port),
            "RASA_URL": settings.rasa_url,
            "ACTION_SERVER_URL": settings.action_server_url,
            "RASA_TRACKER_DB": str(settings.rasa_tracker_db),
        }
    )
    if settings.maraude_database_url:
        env["MARAUDE_DATABASE_URL"] = settings.maraude_database_url
    if settings.maraude_secret_key:
        env["MARAUDE_SECRET_KEY"] = settings.maraude_secret_key
    return env


def stack_processes(settings: Settings, model: Path) -> list[ProcessSpec]:
    """The three long-running processes, ready to start."""
    env = stack_env(settings)
    settings.rasa_tracker_db.parent.mkdir(parents=True, exist_ok=True)
    rasa = ProcessSpec(
        "rasa",
        [
            str(RASA_PYTHON),
            "-m",
            "rasa",
            "run",
            "--enable-api",
            "--interface",
            "127.0.0.1",
            "--port",
            str(port_of(settings.rasa_url)),
            "--model",
            str(model),
            "--endpoints",
            str(PROJECT_ROOT / "endpoints.yml"),
            "--credentials",
            str(PROJECT_ROOT / "credentials.yml"),
        ],
        env,
    )
    actions = ProcessSpec(
        "actions",
        [
            str(APP_PYTHON),
            "-m",
            "rasa_sdk",
            "--actions",
            "actions",
            "--port",
            str(port_of(settings.action_server_url)),
        ],
        {**env, "SANIC_HOST": "127.0.0.1"},
    )
    bot = ProcessSpec("bot", [str(APP_PYTHON), "-m", "bot.cli", "serve"], env)
    return [rasa, actions, bot]
