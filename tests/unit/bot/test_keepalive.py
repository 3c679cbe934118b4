"""The supervisor that keeps each process of ``make run`` running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.config import PROJECT_ROOT


def test_a_dying_process_is_started_again_and_sigterm_stops_for_good(
    tmp_path: Path,
) -> None:
    runs = tmp_path / "runs"
    # Dies at once twice, then stays up until it is told to stop.
    child = (
        "import pathlib, sys, time\n"
        f"p = pathlib.Path({str(runs)!r})\n"
        "n = len(p.read_text()) if p.exists() else 0\n"
        "p.write_text('x' * (n + 1))\n"
        "sys.exit(1) if n < 2 else time.sleep(60)\n"
    )
    supervisor = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.keepalive",
            "demo",
            "--",
            sys.executable,
            "-c",
            child,
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (
        not runs.exists() or len(runs.read_text()) < 3
    ):
        time.sleep(0.1)
    assert runs.exists()
    assert len(runs.read_text()) == 3  # two restarts

    supervisor.send_signal(signal.SIGTERM)
    _, errors = supervisor.communicate(timeout=10)  # it stops
    assert errors.count("demo exited with code 1") == 2
    time.sleep(0.5)
    assert len(runs.read_text()) == 3  # not started again after SIGTERM


def test_usage_is_explained() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.keepalive", "demo"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "usage" in result.stderr
