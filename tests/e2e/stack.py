"""Starts the real stack (Rasa, action server, bot service) for the tests.

The processes are the ones ``make run`` starts (``bot.stack``), on free
ports and a temporary var folder, so a development stack can keep running.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from bot.config import PROJECT_ROOT, Settings
from bot.db.engine import create_engine_for
from bot.db.migrate import upgrade
from bot.orientation.importer import run_import
from bot.orientation.sources import SourceFiles
from bot.stack import RASA_PYTHON, TRAIN_SCRIPT, ProcessSpec, stack_processes

READY_TIMEOUT_SECONDS = 300
# Small extracts of the open data (about a second to import): the conversations
# that end with a Mission Locale need communes and coverage in the database.
ORIENTATION_FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "orientation"
STOP_TIMEOUT_SECONDS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def trained_model() -> Path:
    """The model CI trained, or one trained (or reused) now."""
    if path := os.environ.get("MARAUDE_TEST_MODEL"):
        return Path(path)
    result = subprocess.run(
        [str(RASA_PYTHON), str(TRAIN_SCRIPT)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    return Path(result.stdout.strip().splitlines()[-1])


def import_orientation_fixtures(database_url: str) -> None:
    """Fill the orientation tables from ``tests/fixtures/orientation``."""
    engine = create_engine_for(database_url)
    try:
        run_import(engine, SourceFiles.discover(ORIENTATION_FIXTURES))
    finally:
        engine.dispose()


@dataclass
class Stack:
    """A running stack; each process can be stopped and started again."""

    settings: Settings
    specs: dict[str, ProcessSpec]
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: dict[str, IO[bytes]] = field(default_factory=dict)

    @classmethod
    def create(cls, var_dir: Path, extra_env: dict[str, str] | None = None) -> Stack:
        settings = Settings(
            maraude_var_dir=var_dir,
            maraude_port=free_port(),
            maraude_secret_key=f"e2e-{os.getpid()}-{time.time_ns()}",
            rasa_url=f"http://127.0.0.1:{free_port()}",
            action_server_url=f"http://127.0.0.1:{free_port()}",
            _env_file=None,
        )
        upgrade(settings.database_url)
        import_orientation_fixtures(settings.database_url)
        specs = {s.name: s for s in stack_processes(settings, trained_model())}
        log_dir = var_dir / "logs"
        log_dir.mkdir(exist_ok=True)
        return cls(settings, specs, log_dir, dict(extra_env or {}))

    @property
    def base_url(self) -> str:
        return f"http://{self.settings.maraude_host}:{self.settings.maraude_port}"

    def start(self, *names: str) -> None:
        for name in names or tuple(self.specs):
            spec = self.specs[name]
            log = self._logs.get(name) or open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115
            self._logs[name] = log
            self.processes[name] = subprocess.Popen(
                spec.argv,
                env={**spec.env, **self.extra_env},
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self, *names: str) -> None:
        for name in names or tuple(self.processes):
            process = self.processes.pop(name, None)
            if process is None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def close(self) -> None:
        self.stop()
        for log in self._logs.values():
            log.close()

    def wait_healthy(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Wait until /healthz says every service is up.

        Raises:
            RuntimeError: when a process dies or time runs out, with log tails.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    tail = self.log_tail(name)
                    raise RuntimeError(
                        f"{name} exited with {process.returncode}:\n{tail}"
                    )
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        tails = "\n".join(f"--- {n}\n{self.log_tail(n)}" for n in self.specs)
        raise RuntimeError(f"Stack not healthy after {timeout:.0f} s\n{tails}")

    def log_text(self, name: str) -> str:
        self._logs[name].flush()
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
