"""A fake Telegram Bot API that python-telegram-bot 22 can talk to.

It follows the real API where the connector depends on it: ``getMe`` says
``is_bot``; ``getUpdates`` long-polls, returns updates from ``offset`` on and
forgets only those below the offset it was given; dates are in seconds; a
webhook, once set, receives the updates (with the secret-token header) and
makes ``getUpdates`` fail with 409; errors come as ``{"ok": false,
"error_code", "description", "parameters"}``, with ``retry_after`` on 429.

Point the bot at ``fake.base_url`` (``.../bot``; PTB appends the token).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes._server import ThreadedServer, wait_until

BOT_ID = 7_000_000_001
BOT_USERNAME = "maraude_test_bot"
TOKEN = "7000000001:TEST-token_for-the-fake"
MAX_CHARS = 4096


@dataclass
class Sent:
    """A message the bot sent."""

    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None
    parse_mode: str | None
    message_id: int


@dataclass
class Failure:
    """An error the next matching calls get."""

    method: str
    status: int
    description: str
    chat_id: int | None = None
    retry_after: int | None = None
    times: int = 1


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    answered_callbacks: list[str] = field(default_factory=list)
    webhook_url: str = ""
    webhook_secret: str = ""
    confirmed_below: int = 0


class FakeTelegram(ThreadedServer):
    """The fake server, with hooks to inject updates and failures."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.state = _State()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._new_update: asyncio.Condition | None = None
        self._closing = False

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    # --- Hooks for tests -------------------------------------------------

    def add_update(self, body: dict[str, Any]) -> int:
        """Queue an update (``{"message": {...}}`` etc.); returns its id."""
        with self.lock:
            update_id = next(self._update_ids)
            self.state.updates.append({"update_id": update_id, **body})
        self.call_soon(self._wake)
        return update_id

    def message(self, user_id: int, text: str | None = None, **extra: Any) -> int:
        """A private message from ``user_id``; ``extra`` adds or overrides."""
        return self.add_update({"message": self.message_body(user_id, text, **extra)})

    def message_body(
        self, user_id: int, text: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Test"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Test"},
        }
        if text is not None:
            body["text"] = text
            entities = _entities(text)
            if entities:
                body["entities"] = entities
        body.update(extra)
        return body

    def edit(self, original: dict[str, Any], text: str) -> int:
        """An edit of ``original`` (a body from :meth:`message_body`)."""
        body = {**original, "text": text, "edit_date": int(time.time())}
        return self.add_update({"edited_message": body})

    def sticker(self, user_id: int) -> int:
        sticker = {
            "file_id": "sticker-file",
            "file_unique_id": "sticker-unique",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "😄",
        }
        return self.message(user_id, sticker=sticker)

    def voice(self, user_id: int) -> int:
        voice = {"file_id": "voice-file", "file_unique_id": "voice-u", "duration": 3}
        return self.message(user_id, voice=voice)

    def photo(self, user_id: int, caption: str | None = None) -> int:
        size = {"file_id": "p", "file_unique_id": "pu", "width": 90, "height": 90}
        extra: dict[str, Any] = {"photo": [size]}
        if caption is not None:
            extra["caption"] = caption
        return self.message(user_id, **extra)

    def document(self, user_id: int) -> int:
        document = {"file_id": "doc-file", "file_unique_id": "doc-u"}
        return self.message(user_id, document=document)

    def group_message(self, user_id: int, group_id: int, text: str) -> int:
        chat = {"id": group_id, "type": "supergroup", "title": "Un serveur"}
        return self.message(user_id, text, chat=chat)

    def tap(self, user_id: int, data: str, message_id: int = 1) -> int:
        """A tap on an inline button carrying ``data``."""
        query = {
            "id": f"cbq-{next(self._callback_ids)}",
            "from": {"id": user_id, "is_bot": False, "first_name": "Test"},
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": "Test"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Maraude"},
                "text": "…",
            },
        }
        return self.add_update({"callback_query": query})

    def block(self, chat_id: int) -> None:
        """The user of ``chat_id`` blocks the bot: sends get 403."""
        with self.lock:
            self.state.blocked.add(chat_id)

    def fail(self, failure: Failure) -> None:
        with self.lock:
            self.state.failures.append(failure)

    def flood(self, chat_id: int | None = None, retry_after: int = 1) -> None:
        """The next sendMessage gets 429 with ``retry_after``."""
        self.fail(
            Failure(
                "sendMessage",
                429,
                f"Too Many Requests: retry after {retry_after}",
                chat_id=chat_id,
                retry_after=retry_after,
            )
        )

    def sent_to(self, chat_id: int) -> list[Sent]:
        with self.lock:
            return [s for s in self.state.sent if s.chat_id == chat_id]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self.lock:
            return [params for name, params in self.state.calls if name == method]

    @property
    def confirmed_below(self) -> int:
        """Updates below this id were confirmed by an offset."""
        with self.lock:
            return self.state.confirmed_below

    @property
    def pending_updates(self) -> int:
        with self.lock:
            return len(self.state.updates)

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 10.0) -> None:
        await wait_until(
            lambda: len(self.sent_to(chat_id)) >= count,
            timeout,
            f"{count} messages to {chat_id}",
        )

    # --- Server ----------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    async def on_server_start(self) -> None:
        self._new_update = asyncio.Condition()
        self._closing = False
        self._delivery = asyncio.get_running_loop().create_task(
            self._deliver_to_webhook()
        )

    async def on_server_stop(self) -> None:
        # Long polls in flight return at once instead of holding the
        # shutdown until their timeout.
        self._closing = True
        assert self._new_update is not None
        async with self._new_update:
            self._new_update.notify_all()
        await self._delivery

    def _wake(self) -> None:
        async def notify() -> None:
            assert self._new_update is not None
            async with self._new_update:
                self._new_update.notify_all()

        asyncio.get_running_loop().create_task(notify())

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        with self.lock:
            self.state.calls.append((method, params))
            failure = self._take_failure(method, params)
        if failure is not None:
            return _error(failure.status, failure.description, failure.retry_after)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        result: web.Response = await handler(params)
        return result

    def _take_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        for failure in self.state.failures:
            chat = params.get("chat_id")
            if failure.method == method and failure.chat_id in (None, _int(chat)):
                failure.times -= 1
                if failure.times <= 0:
                    self.state.failures.remove(failure)
                return failure
        return None

    async def _api_getMe(self, params: dict[str, Any]) -> web.Response:  # noqa: N802
        return _ok(
            {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Maraude",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    async def _api_getUpdates(self, params: dict[str, Any]) -> web.Response:  # noqa: N802
        if self.state.webhook_url:
            return _error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int(params.get("offset"))
        timeout = float(params.get("timeout") or 0)
        limit = _int(params.get("limit")) or 100
        if offset is not None:
            with self.lock:
                # Only an offset confirms: everything below it is forgotten.
                self.state.confirmed_below = max(self.state.confirmed_below, offset)
                self.state.updates = [
                    u for u in self.state.updates if u["update_id"] >= offset
                ]
        deadline = time.monotonic() + timeout
        assert self._new_update is not None
        while True:
            with self.lock:
                ready = self.state.updates[:limit]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closing:
                return _ok(ready)
            async with self._new_update:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), remaining)

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> web.Response:  # noqa: N802
        with self.lock:
            self.state.webhook_url = ""
            self.state.webhook_secret = ""
        return _ok(True)

    async def _api_setWebhook(self, params: dict[str, Any]) -> web.Response:  # noqa: N802
        with self.lock:
            self.state.webhook_url = str(params.get("url", ""))
            self.state.webhook_secret = str(params.get("secret_token", ""))
        self._wake()
        return _ok(True)

    async def _api_sendMessage(self, params: dict[str, Any]) -> web.Response:  # noqa: N802
        chat_id = _int(params.get("chat_id"))
        text = str(params.get("text", ""))
        if chat_id is None:
            return _error(400, "Bad Request: chat_id is empty")
        if chat_id in self.state.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > MAX_CHARS:
            return _error(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        sent = Sent(
            chat_id=chat_id,
            text=text,
            reply_markup=json.loads(markup) if markup else None,
            parse_mode=params.get("parse_mode"),
            message_id=next(self._message_ids),
        )
        with self.lock:
            self.state.sent.append(sent)
        return _ok(
            {
                "message_id": sent.message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Maraude"},
                "text": text,
            }
        )

    async def _api_sendChatAction(self, params: dict[str, Any]) -> web.Response:  # noqa: N802
        if _int(params.get("chat_id")) in self.state.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        return _ok(True)

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:  # noqa: N802
        query_id = str(params.get("callback_query_id", ""))
        with self.lock:
            if query_id in self.state.answered_callbacks:
                return _error(400, "Bad Request: query is too old")
            self.state.answered_callbacks.append(query_id)
        return _ok(True)

    async def _deliver_to_webhook(self) -> None:
        """Post queued updates to the webhook, in order, until each gets 2xx."""
        assert self._new_update is not None
        async with aiohttp.ClientSession() as session:
            while not self._closing:
                with self.lock:
                    url, secret = self.state.webhook_url, self.state.webhook_secret
                    update = self.state.updates[0] if self.state.updates else None
                if not url or update is None:
                    async with self._new_update:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._new_update.wait(), 0.5)
                    continue
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                try:
                    async with session.post(url, json=update, headers=headers) as resp:
                        delivered = 200 <= resp.status < 300
                except aiohttp.ClientError:
                    delivered = False
                if delivered:
                    with self.lock:
                        self.state.updates.remove(update)
                        self.state.confirmed_below = update["update_id"] + 1
                else:
                    await asyncio.sleep(0.2)


async def _params(request: web.Request) -> dict[str, Any]:
    """PTB posts form fields, JSON-encoding the nested ones (reply_markup)."""
    if request.content_type == "application/json":
        body = await request.json()
        return {
            k: json.dumps(v) if isinstance(v, dict | list) else v
            for k, v in body.items()
        }
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _entities(text: str) -> list[dict[str, Any]]:
    """Mentions and commands, found as Telegram finds them (UTF-16 offsets)."""
    found = []
    for match in re.finditer(r"(?<!\w)@\w{5,32}|^/\w+(@\w+)?", text):
        found.append(
            {
                "type": "mention" if match.group().startswith("@") else "bot_command",
                "offset": _utf16(text[: match.start()]),
                "length": _utf16(match.group()),
            }
        )
    return found


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(
    status: int, description: str, retry_after: int | None = None
) -> web.Response:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": status,
        "description": description,
    }
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)
