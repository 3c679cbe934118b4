"""Runs one process of the stack and starts it again when it dies.

``make run`` starts the three processes under honcho, which stops them all
when one ends: a crashed Rasa would take the bot service (and its
connectors) down with it, although the gateway knows how to wait for Rasa.
Each process therefore runs under this small supervisor::

    python -m bot.keepalive NAME -- COMMAND [ARG...]

It restarts the command after a delay that doubles up to a minute while the
command keeps dying quickly, and stops for good on SIGTERM or SIGINT (which
it passes on). Under systemd or another supervisor, run the commands
directly instead. Standard library only.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType

FIRST_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 60.0
# A process that ran this long was healthy: the next restart comes quickly.
HEALTHY_AFTER_SECONDS = 120.0


def supervise(
    name: str,
    argv: list[str],
    first_delay: float = FIRST_DELAY_SECONDS,
    max_delay: float = MAX_DELAY_SECONDS,
) -> int:
    """Run ``argv`` until told to stop; returns its last exit code."""
    stopping = False
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    delay = first_delay
    while True:
        started = time.monotonic()
        child = subprocess.Popen(argv)
        code = child.wait()
        if stopping:
            return code
        if time.monotonic() - started > HEALTHY_AFTER_SECONDS:
            delay = first_delay
        print(
            f"{name} exited with code {code}; starting it again in {delay:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        deadline = time.monotonic() + delay
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
        if stopping:
            return code
        delay = min(delay * 2, max_delay)


def main(args: list[str]) -> int:
    if len(args) < 3 or args[1] != "--":
        print(
            "usage: python -m bot.keepalive NAME -- COMMAND [ARG...]", file=sys.stderr
        )
        return 2
    return supervise(args[0], args[2:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
