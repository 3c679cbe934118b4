"""A fake Discord (REST API and gateway) that discord.py 2.x can talk to.

What discord.py depends on, and this fake gets right: JSON answers carry
``Content-Type: application/json`` exactly (with a charset suffix the client
reads a string); a 429 carries a ``Via`` header (without it the client takes
it for a Cloudflare ban) and ``retry_after`` in the body; the gateway sends
HELLO, answers IDENTIFY with READY listing guilds as unavailable, then one
GUILD_CREATE per guild, acknowledges heartbeats, resumes sessions, and closes
with 4014 when a privileged intent is asked for but not granted. Without the
message-content intent, guild messages that do not mention the bot arrive
with empty content, as on Discord. Events dispatched while no session is
connected are lost, as on Discord.

Point discord.py at ``fake.api_base`` and ``fake.gateway_url``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes._server import ThreadedServer, wait_until

TOKEN = "fake-discord-token"
DISCORD_EPOCH_MS = 1_420_070_400_000
MESSAGE_CONTENT_INTENT = 1 << 15
HEARTBEAT_INTERVAL_MS = 41_250
HEARTBEAT_ACK_DELAY_SECONDS = 0.05
MAX_CHARS = 2000
# Discord's JSON error codes used here.
CANNOT_SEND_TO_USER = 50007


@dataclass
class SentMessage:
    id: int
    channel_id: int
    content: str
    components: list[dict[str, Any]]
    allowed_mentions: dict[str, Any] | None
    reference: dict[str, Any] | None
    payload: dict[str, Any]


@dataclass
class InteractionReply:
    interaction_id: int
    type: int
    data: dict[str, Any]


@dataclass
class _Session:
    socket: web.WebSocketResponse
    intents: int = 0
    sequence: int = 0
    identified: bool = False
    # Frames leave in the order they were dispatched.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class _State:
    sent: list[SentMessage] = field(default_factory=list)
    replies: list[InteractionReply] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    typing: list[int] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    dm_channels: dict[int, int] = field(default_factory=dict)  # user -> channel
    blocked_users: set[int] = field(default_factory=set)
    rate_limits: list[tuple[int | None, float]] = field(default_factory=list)
    dropped_events: list[str] = field(default_factory=list)
    identifies: list[int] = field(default_factory=list)
    resumes: int = 0
    connections: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)
    history: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


class FakeDiscord(ThreadedServer):
    """The fake server, with hooks to play users and inspect what was sent."""

    def __init__(
        self, *, grant_message_content: bool = True, token: str = TOKEN
    ) -> None:
        super().__init__()
        self.token = token
        self.grant_message_content = grant_message_content
        self.state = _State()
        self._counter = itertools.count(1)
        self.bot_id = self.snowflake()
        self.app_id = self.bot_id
        self.owner_id = self.snowflake()
        self.guild_id = self.snowflake()
        self.channel_id = self.snowflake()
        self._sessions: list[_Session] = []
        self._intents_of: dict[str, int] = {}

    # --- Addresses -------------------------------------------------------

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def snowflake(self) -> int:
        """A fresh Discord id: milliseconds since 2015 and a counter."""
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (now_ms << 22) | (next(self._counter) & 0x3FFFFF)

    # --- Hooks for tests: users doing things -----------------------------

    def dm_channel_of(self, user_id: int) -> int:
        with self.lock:
            if user_id not in self.state.dm_channels:
                self.state.dm_channels[user_id] = self.snowflake()
            return self.state.dm_channels[user_id]

    def dm(self, user_id: int, content: str = "", **extra: Any) -> dict[str, Any]:
        """A direct message from ``user_id`` to the bot; returns it."""
        channel_id = self.dm_channel_of(user_id)
        message = self.message_payload(user_id, channel_id, content, **extra)
        self._remember(channel_id, message)
        self.dispatch("MESSAGE_CREATE", message)
        return message

    def edit(self, message: dict[str, Any], content: str) -> dict[str, Any]:
        edited = {
            **message,
            "content": content,
            "edited_timestamp": datetime.now(UTC).isoformat(),
        }
        self.dispatch("MESSAGE_UPDATE", edited)
        return edited

    def server_message(
        self, user_id: int, content: str, *, mention_bot: bool = False
    ) -> dict[str, Any]:
        """A message in the server's public channel."""
        if mention_bot:
            content = f"<@{self.bot_id}> {content}"
        mentions = [self.bot_user()] if mention_bot else []
        message = self.message_payload(
            user_id,
            self.channel_id,
            content,
            guild_id=self.guild_id,
            mentions=mentions,
        )
        self.dispatch("MESSAGE_CREATE", message)
        return message

    def click(self, user_id: int, message: SentMessage, custom_id: str) -> int:
        """A click on a button of a message the bot sent; returns its id."""
        bot_message = self.message_payload(
            self.bot_id,
            message.channel_id,
            message.content,
            author=self.bot_user(),
            components=message.components,
            id=message.id,
        )
        data = {"custom_id": custom_id, "component_type": 2}
        return self._interact(user_id, message.channel_id, 3, data, bot_message)

    def slash(self, user_id: int, text: str | None, *, in_server: bool = True) -> int:
        """The /parler command, in the server or in the DM; returns its id."""
        [command] = [c for c in self.state.commands if c["name"] == "parler"]
        options = [{"name": "message", "type": 3, "value": text}] if text else []
        data = {"id": command["id"], "name": "parler", "type": 1, "options": options}
        channel = self.channel_id if in_server else self.dm_channel_of(user_id)
        return self._interact(user_id, channel, 2, data, None, in_server=in_server)

    def _remember(self, channel_id: int, message: dict[str, Any]) -> None:
        with self.lock:
            self.state.history.setdefault(channel_id, []).append(message)

    def block(self, user_id: int) -> None:
        """The user closes their DMs to the bot: sends get 403 / 50007."""
        with self.lock:
            self.state.blocked_users.add(user_id)

    def rate_limit_next(self, channel_id: int | None = None, retry_after=0.5) -> None:
        """The next message sent (to ``channel_id``) gets a 429."""
        with self.lock:
            self.state.rate_limits.append((channel_id, retry_after))

    def disconnect_all(self) -> None:
        """Drop every gateway connection, as a network cut would."""

        def close() -> None:
            asyncio.get_running_loop().create_task(self._close_sessions(1001))

        self.call_soon(close)

    # --- Hooks for tests: looking -----------------------------------------

    def sent_to(self, channel_id: int) -> list[SentMessage]:
        with self.lock:
            return [m for m in self.state.sent if m.channel_id == channel_id]

    def replies_to(self, interaction_id: int) -> list[InteractionReply]:
        with self.lock:
            return [r for r in self.state.replies if r.interaction_id == interaction_id]

    async def wait_sent(self, channel_id: int, count: int, timeout: float = 10) -> None:
        await wait_until(
            lambda: len(self.sent_to(channel_id)) >= count,
            timeout,
            f"{count} messages in channel {channel_id}",
        )

    @property
    def connected(self) -> bool:
        with self.lock:
            return any(s.identified for s in self._sessions)

    # --- Payloads --------------------------------------------------------

    def user(self, user_id: int) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": f"user{user_id % 10_000}",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
        }

    def bot_user(self) -> dict[str, Any]:
        return {**self.user(self.bot_id), "username": "Maraude", "bot": True}

    def message_payload(
        self,
        user_id: int,
        channel_id: int,
        content: str,
        *,
        guild_id: int | None = None,
        mentions: list[dict[str, Any]] | None = None,
        author: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "author": author or self.user(user_id),
            "content": content,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": mentions or [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }
        if guild_id is not None:
            message["guild_id"] = str(guild_id)
            message["member"] = {
                "roles": [],
                "joined_at": datetime.now(UTC).isoformat(),
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        for key, value in extra.items():
            message[key] = str(value) if key == "id" else value
        return message

    def guild_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.guild_id),
            "name": "Serveur de test",
            "icon": None,
            "owner_id": str(self.owner_id),
            "unavailable": False,
            "member_count": 3,
            "large": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": [
                {
                    "id": str(self.guild_id),
                    "name": "@everyone",
                    "permissions": str((1 << 10) | (1 << 11) | (1 << 16)),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": [
                {
                    "id": str(self.channel_id),
                    "type": 0,
                    "name": "général",
                    "position": 0,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "parent_id": None,
                    "guild_id": str(self.guild_id),
                }
            ],
            "members": [
                {
                    "user": self.bot_user(),
                    "roles": [],
                    "joined_at": datetime.now(UTC).isoformat(),
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                }
            ],
            "voice_states": [],
            "presences": [],
            "threads": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _interact(
        self,
        user_id: int,
        channel_id: int,
        kind: int,
        data: dict[str, Any],
        message: dict[str, Any] | None,
        *,
        in_server: bool = False,
    ) -> int:
        interaction_id = self.snowflake()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.app_id),
            "type": kind,
            "data": data,
            "channel_id": str(channel_id),
            "token": f"interaction-token-{interaction_id}",
            "version": 1,
            "attachment_size_limit": 10_485_760,
            "locale": "fr",
            "app_permissions": "0",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
        }
        if in_server:
            payload["guild_id"] = str(self.guild_id)
            payload["channel"] = {"id": str(channel_id), "type": 0}
            payload["context"] = 0
            payload["member"] = {
                "user": self.user(user_id),
                "roles": [],
                "joined_at": datetime.now(UTC).isoformat(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": "0",
            }
        else:
            payload["channel"] = {
                "id": str(channel_id),
                "type": 1,
                "recipients": [self.user(user_id)],
            }
            payload["context"] = 1
            payload["user"] = self.user(user_id)
        if message is not None:
            payload["message"] = message
        self.dispatch("INTERACTION_CREATE", payload)
        return interaction_id

    # --- Gateway ---------------------------------------------------------

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to every connected session (from any thread)."""
        self.call_soon(self._dispatch_now, event, data)

    def _dispatch_now(self, event: str, data: dict[str, Any]) -> None:
        live = [s for s in self._sessions if s.identified and not s.socket.closed]
        if not live:
            with self.lock:
                self.state.dropped_events.append(event)
            return
        for session in live:
            payload = self._as_seen_by(session, event, data)
            asyncio.get_running_loop().create_task(self._send(session, event, payload))

    def _as_seen_by(
        self, session: _Session, event: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Blank guild message content the session may not read."""
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or "guild_id" not in data:
            return data
        if session.intents & MESSAGE_CONTENT_INTENT:
            return data
        if any(int(u["id"]) == self.bot_id for u in data.get("mentions", [])):
            return data
        return {**data, "content": "", "attachments": [], "embeds": []}

    async def _send(self, session: _Session, event: str, data: Any) -> None:
        async with session.lock:
            session.sequence += 1
            frame = {"op": 0, "t": event, "s": session.sequence, "d": data}
            try:
                await session.socket.send_str(json.dumps(frame))
            except ConnectionError:
                with self.lock:
                    self.state.dropped_events.append(event)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        session = _Session(socket)
        self._sessions.append(session)
        with self.lock:
            self.state.connections += 1
        await socket.send_str(
            json.dumps({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        )
        try:
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                await self._on_frame(session, json.loads(frame.data))
        finally:
            self._sessions.remove(session)
        return socket

    async def _on_frame(self, session: _Session, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == 1:  # heartbeat
            asyncio.get_running_loop().create_task(self._ack_heartbeat(session))
        elif op == 2:  # identify
            await self._identify(session, data or {})
        elif op == 6:  # resume: nothing was buffered, so nothing to replay
            session_id = str((data or {}).get("session_id"))
            if session_id not in self._intents_of:
                await session.socket.send_str(json.dumps({"op": 9, "d": False}))
                return
            session.intents = self._intents_of[session_id]
            session.identified = True
            with self.lock:
                self.state.resumes += 1
            await self._send(session, "RESUMED", {})

    async def _ack_heartbeat(self, session: _Session) -> None:
        # A network's worth of delay: discord.py notes the send time of a
        # heartbeat only after sending it, so an instant ACK would be timed
        # against the previous heartbeat ("Can't keep up ... 41 s behind").
        await asyncio.sleep(HEARTBEAT_ACK_DELAY_SECONDS)
        if not session.socket.closed:
            await session.socket.send_str(json.dumps({"op": 11}))

    async def _identify(self, session: _Session, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await session.socket.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        with self.lock:
            self.state.identifies.append(intents)
        if intents & MESSAGE_CONTENT_INTENT and not self.grant_message_content:
            await session.socket.close(code=4014, message=b"Disallowed intent(s).")
            return
        session.intents = intents
        session_id = f"session-{self.snowflake()}"
        self._intents_of[session_id] = intents
        ready = {
            "v": 10,
            "user": self.bot_user(),
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.app_id), "flags": 0},
            "private_channels": [],
        }
        await self._send(session, "READY", ready)
        await self._send(session, "GUILD_CREATE", self.guild_payload())
        session.identified = True

    async def _close_sessions(self, code: int) -> None:
        for session in list(self._sessions):
            await session.socket.close(code=code)

    async def on_server_stop(self) -> None:
        await self._close_sessions(1001)

    # --- REST ------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._check_token])
        app.router.add_get("/gateway", self._gateway)
        api = "/api/v10"
        app.router.add_get(f"{api}/users/@me", self._me)
        app.router.add_get(f"{api}/oauth2/applications/@me", self._application)
        app.router.add_put(f"{api}/applications/{{app}}/commands", self._commands)
        app.router.add_post(f"{api}/users/@me/channels", self._open_dm)
        app.router.add_post(f"{api}/channels/{{channel}}/messages", self._create)
        app.router.add_get(f"{api}/channels/{{channel}}/messages", self._history)
        app.router.add_post(f"{api}/channels/{{channel}}/typing", self._typing)
        app.router.add_post(
            f"{api}/interactions/{{id}}/{{token}}/callback", self._reply
        )
        app.router.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        return app

    @web.middleware
    async def _check_token(self, request: web.Request, handler: Any) -> Any:
        with self.lock:
            self.state.requests.append((request.method, request.path))
        # The gateway checks the token in IDENTIFY; interaction replies are
        # authorised by the interaction token in their path.
        public = request.path == "/gateway" or any(
            part in request.path for part in ("/interactions/", "/webhooks/")
        )
        authorised = request.headers.get("Authorization") == f"Bot {self.token}"
        if not public and not authorised:
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        return await handler(request)

    async def _me(self, request: web.Request) -> web.Response:
        return _json(self.bot_user())

    async def _application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": str(self.app_id),
                "name": "Maraude",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.user(self.owner_id),
                "verify_key": "0" * 64,
                "flags": 0,
            }
        )

    async def _commands(self, request: web.Request) -> web.Response:
        commands = await request.json()
        registered = [
            {
                **command,
                "id": str(self.snowflake()),
                "application_id": str(self.app_id),
                "version": str(self.snowflake()),
                "default_member_permissions": None,
                "type": command.get("type", 1),
            }
            for command in commands
        ]
        with self.lock:
            self.state.commands = registered
        return _json(registered)

    async def _open_dm(self, request: web.Request) -> web.Response:
        user_id = int((await request.json())["recipient_id"])
        channel_id = self.dm_channel_of(user_id)
        return _json(
            {
                "id": str(channel_id),
                "type": 1,
                "last_message_id": None,
                "recipients": [self.user(user_id)],
            }
        )

    async def _create(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        body = await request.json()
        with self.lock:
            limit = self._take_rate_limit(channel_id)
            recipient = next(
                (u for u, c in self.state.dm_channels.items() if c == channel_id), None
            )
            blocked = recipient in self.state.blocked_users
        if limit is not None:
            return _json(
                {
                    "message": "You are being rate limited.",
                    "retry_after": limit,
                    "global": False,
                },
                429,
                {"Via": "1.1 google", "Retry-After": str(int(limit) + 1)},
            )
        if blocked:
            return _json(
                {
                    "message": "Cannot send messages to this user",
                    "code": CANNOT_SEND_TO_USER,
                },
                403,
            )
        content = body.get("content") or ""
        if len(content) > MAX_CHARS:
            return _json(
                {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {"content": "Must be 2000 or fewer in length."},
                },
                400,
            )
        message = self.message_payload(
            self.bot_id,
            channel_id,
            content,
            author=self.bot_user(),
            components=body.get("components") or [],
        )
        sent = SentMessage(
            id=int(message["id"]),
            channel_id=channel_id,
            content=content,
            components=body.get("components") or [],
            allowed_mentions=body.get("allowed_mentions"),
            reference=body.get("message_reference"),
            payload=body,
        )
        with self.lock:
            self.state.sent.append(sent)
        self._remember(channel_id, message)
        return _json(message)

    async def _history(self, request: web.Request) -> web.Response:
        """Messages after ``after``: the oldest ``limit`` of them, newest first."""
        channel_id = int(request.match_info["channel"])
        after = int(request.query.get("after", 0))
        limit = int(request.query.get("limit", 50))
        with self.lock:
            messages = list(self.state.history.get(channel_id, []))
        later = sorted(
            (m for m in messages if int(m["id"]) > after), key=lambda m: int(m["id"])
        )
        return _json(list(reversed(later[:limit])))

    def _take_rate_limit(self, channel_id: int) -> float | None:
        for entry in self.state.rate_limits:
            if entry[0] in (None, channel_id):
                self.state.rate_limits.remove(entry)
                return entry[1]
        return None

    async def _typing(self, request: web.Request) -> web.Response:
        with self.lock:
            self.state.typing.append(int(request.match_info["channel"]))
        return web.Response(status=204)

    async def _reply(self, request: web.Request) -> web.Response:
        interaction_id = int(request.match_info["id"])
        body = await request.json()
        reply = InteractionReply(interaction_id, body["type"], body.get("data") or {})
        with self.lock:
            self.state.replies.append(reply)
        return _json({"interaction": {"id": str(interaction_id), "type": body["type"]}})

    async def _followup(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self.lock:
            self.state.followups.append(body)
        return _json(
            self.message_payload(
                self.bot_id,
                self.channel_id,
                body.get("content") or "",
                author=self.bot_user(),
            )
        )


def _json(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # Exactly "application/json": discord.py compares the header verbatim.
    response = web.Response(
        body=json.dumps(body).encode(), status=status, headers=headers
    )
    response.headers["Content-Type"] = "application/json"
    return response
