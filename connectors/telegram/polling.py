"""Long polling that acknowledges an update only once the gateway stored it.

PTB's own Updater confirms updates (advances the ``getUpdates`` offset) as
soon as it fetched them, before any handler ran: a crash then loses them.
This loop advances the offset past an update only after its handler
returned, and keeps the offset in a file so that a restart resumes exactly
where the last run stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from telegram import Update
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.ext import ExtBot

from connectors.telegram.reading import chat_key

logger = logging.getLogger(__name__)

# The Bot API holds a long-polling getUpdates open for up to this many
# seconds when nothing happens; 25 s stays under common proxy timeouts.
POLL_TIMEOUT_SECONDS = 25.0
# Only these updates are asked for; channel posts, polls and the like are
# left on Telegram's side.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
# Chats handled at the same time within one batch of updates.
MAX_CONCURRENT_CHATS = 16
# Backoff after a failed getUpdates or a batch the gateway could not store.
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0

UpdateHandler = Callable[[Update], Awaitable[None]]


class OffsetFileError(RuntimeError):
    """The offset file exists but cannot be read; the message says what to do."""


class OffsetStore:
    """The next ``getUpdates`` offset, kept in a small JSON file.

    Written atomically (temporary file, then rename), so a crash leaves
    either the old offset or the new one, never half a file.
    """

    def __init__(self, path: Path) -> None:
        self._path = path

    def load(self) -> int | None:
        """The saved offset, or None when polling never confirmed anything.

        Raises:
            OffsetFileError: the file is unreadable or not an offset file.
        """
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            raise OffsetFileError(
                f"Cannot read the Telegram offset file {self._path}: {err}. Fix or "
                "delete it (deleting replays at most the last day of updates; the "
                "gateway drops the ones it already has)."
            ) from err
        offset = raw.get("offset") if isinstance(raw, dict) else None
        if not isinstance(offset, int):
            raise OffsetFileError(
                f'{self._path} should hold {{"offset": <integer>}}, got {raw!r}.'
            )
        return offset

    def save(self, offset: int) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_suffix(self._path.suffix + ".tmp")
        with temporary.open("w", encoding="utf-8") as file:
            json.dump({"offset": offset}, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self._path)


class Poller:
    """Fetch updates, hand each to ``handle``, then confirm them.

    Updates from different chats are handled concurrently, those of one chat
    in order. When ``handle`` raises, the offset stops at that update: it
    and the ones after it are fetched again after a pause (the gateway drops
    those it already stored).

    Args:
        bot: an initialised bot.
        handle: stores one update; raises when it could not.
        offsets: where the offset survives restarts.
        poll_timeout: long-polling timeout in seconds.
    """

    def __init__(
        self,
        bot: ExtBot[int],
        handle: UpdateHandler,
        offsets: OffsetStore,
        poll_timeout: float = POLL_TIMEOUT_SECONDS,
    ) -> None:
        self._bot = bot
        self._handle = handle
        self._offsets = offsets
        self._poll_timeout = dt.timedelta(seconds=poll_timeout)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        offset = self._offsets.load()  # fails loudly before the task starts
        self._task = asyncio.create_task(self._run(offset), name="telegram-polling")

    async def stop(self, timeout: float) -> None:
        """Let the batch in hand finish (up to ``timeout``), then stop.

        Past the timeout the batch is cut short; what it had not stored is
        fetched again on the next start.
        """
        self._stopping.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._task, timeout)
        except TimeoutError:
            logger.warning("Telegram polling cut short after %.0f s", timeout)
        self._task = None

    async def _run(self, offset: int | None) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                updates = await self._next_updates(offset)
            except InvalidToken:
                logger.error("Telegram rejected the token; polling stops")
                return
            except Conflict:
                failures += 1
                logger.error(
                    "Telegram getUpdates conflict: another process polls this bot "
                    "or a webhook is set. Stop the other instance."
                )
                await self._backoff(failures)
                continue
            except TelegramError as err:
                failures += 1
                logger.warning("Telegram getUpdates failed (%s); retrying", type(err))
                await self._backoff(failures)
                continue
            if updates is None:
                return  # stopping
            failures = 0
            if not updates:
                continue

            next_offset = await self._handle_batch(updates)
            if next_offset != offset:
                self._offsets.save(next_offset)
                offset = next_offset
            if next_offset <= updates[-1].update_id:
                # Something could not be stored: pause, then fetch it again.
                await self._backoff(1)

    async def _next_updates(self, offset: int | None) -> list[Update] | None:
        """The next updates, or None as soon as polling is stopping."""
        fetch = asyncio.ensure_future(
            self._bot.get_updates(
                offset=offset,
                timeout=self._poll_timeout,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        )
        stopping = asyncio.ensure_future(self._stopping.wait())
        done, _ = await asyncio.wait(
            {fetch, stopping}, return_when=asyncio.FIRST_COMPLETED
        )
        stopping.cancel()
        if fetch not in done:
            # Unconfirmed updates stay with Telegram until the next offset.
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await fetch
            return None
        return list(fetch.result())

    async def _backoff(self, failures: int) -> None:
        delay = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (failures - 1))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay)

    async def _handle_batch(self, updates: Sequence[Update]) -> int:
        """Handle a batch; return the offset up to which all is stored."""
        by_chat: dict[str, list[Update]] = {}
        for update in updates:
            by_chat.setdefault(chat_key(update), []).append(update)
        gate = asyncio.Semaphore(MAX_CONCURRENT_CHATS)

        async def run_chat(chat_updates: list[Update]) -> int | None:
            async with gate:
                for update in chat_updates:
                    try:
                        await self._handle(update)
                    except Exception:
                        # Recovered: the update is fetched again after a pause;
                        # later updates of the chat wait, to keep the order.
                        logger.exception(
                            "Telegram update %s not stored; will retry",
                            update.update_id,
                        )
                        return update.update_id
            return None

        failed = await asyncio.gather(*(run_chat(u) for u in by_chat.values()))
        first_failed = min((f for f in failed if f is not None), default=None)
        if first_failed is not None:
            return first_failed
        return updates[-1].update_id + 1
