"""An aiohttp application served on 127.0.0.1 from a thread of its own.

Running the fake in its own thread and event loop lets the same fake serve
a connector in the test's loop (unit tests) and a bot service in another
process (end-to-end tests), and survive the restart of either.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, Self

from aiohttp import web

START_TIMEOUT_SECONDS = 10.0


class ThreadedServer:
    """Serve ``build_app()`` on a free port until :meth:`stop`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.port = 0
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    def build_app(self) -> web.Application:
        raise NotImplementedError

    async def on_server_start(self) -> None:
        """Hook run in the server's loop once it listens."""

    async def on_server_stop(self) -> None:
        """Hook run in the server's loop before connections are closed."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._run, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_SECONDS):
            raise RuntimeError(f"{type(self).__name__} did not start")
        if self._error is not None:
            raise RuntimeError(f"{type(self).__name__} failed") from self._error
        return self

    def stop(self) -> None:
        if self.loop is None or self._stop is None or self._thread is None:
            return
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(START_TIMEOUT_SECONDS)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback`` in the server's loop (from any thread)."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(callback, *args)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as err:  # reported to start()
            self._error = err
            self._ready.set()

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner = web.AppRunner(self.build_app(), handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port or 0)
        await site.start()
        server = site._server  # aiohttp exposes the bound port nowhere else
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        await self.on_server_start()
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.on_server_stop()
            await runner.cleanup()


async def wait_until(
    condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition"
) -> None:
    """Poll ``condition`` from any event loop until true or ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"Timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)
