"""The Discord connector: direct messages with the bot, through discord.py.

Direct messages go to the gateway and are answered in place. In a server
channel the bot answers only when mentioned (or replied to), or through the
``/parler`` slash command, and it moves the conversation to a direct
message: the public channel only ever sees a short, impersonal note.

Discord does not send again a message a bot missed, so a message the
gateway could not store gets a kind French request to send it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands
from starlette.routing import BaseRoute

from bot.messages import Channel, Inbound, InboundKind, Outbound
from connectors.base import DeliveryResult, GatewayPort, KeyedLocks
from connectors.discord.buttons import PayloadButton, button_view
from connectors.discord.catchup import CATCH_UP_MAX_MESSAGES, DmCursors
from connectors.discord.reading import mentions_bot, read_message
from connectors.text import discord_chunks, typed_text
from connectors.wording import ConnectorTexts, load_texts

logger = logging.getLogger(__name__)

# Discord's JSON error code for "Cannot send messages to this user": the
# user blocked the bot, left every shared server, or closed their DMs.
CANNOT_SEND_TO_USER = 50007
# A typing indicator lasts 10 s, or until the bot's next message.
TYPING_REFRESH_SECONDS = 8.0
# Discord refuses empty content; quick replies alone still need some.
BUTTONS_ONLY_TEXT = "👇"
SLASH_COMMAND = "parler"
# After READY, discord.py waits this long for GUILD_CREATEs before "ready".
GUILD_READY_TIMEOUT_SECONDS = 2.0
MESSAGE_CONTENT_HELP = (
    "Discord refused the Message Content intent. Enable it in the Discord "
    "Developer Portal: your application > Bot > Privileged Gateway Intents > "
    "Message Content Intent. Until then direct messages, mentions and /%s "
    "work; replies to the bot in servers that do not mention it are not read."
)


class DiscordConfigError(RuntimeError):
    """The Discord settings cannot work; the message says which to fix."""


def _intents(message_content: bool) -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True  # server channels, to know where a mention came from
    intents.guild_messages = True
    intents.dm_messages = True
    # Privileged: only needed to read replies to the bot that do not ping it.
    intents.message_content = message_content
    return intents


class MaraudeClient(discord.Client):
    """discord.py's client, with every event handed to the connector."""

    def __init__(self, connector: DiscordConnector, intents: discord.Intents) -> None:
        super().__init__(
            intents=intents,
            # No message cache: young people's words stay out of memory.
            max_messages=None,
            chunk_guilds_at_startup=False,
            # Belt and braces with the escaping: answers never ping anyone.
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=connector.guild_ready_timeout,
        )
        self.connector = connector
        self.tree: app_commands.CommandTree[MaraudeClient] = app_commands.CommandTree(
            self
        )

    async def setup_hook(self) -> None:
        self.add_dynamic_items(PayloadButton)
        self.tree.add_command(self.connector.slash_command())
        if self.connector.sync_commands:
            try:
                await self.tree.sync()
            except discord.HTTPException as err:
                logger.warning("Slash command not registered: %s", err.status)

    async def on_ready(self) -> None:
        await self.connector.catch_up()

    async def on_message(self, message: discord.Message) -> None:
        await self.connector.on_message(message)

    async def on_raw_message_edit(self, event: discord.RawMessageUpdateEvent) -> None:
        await self.connector.on_edit(event)

    async def on_button_tap(
        self, interaction: discord.Interaction[Any], payload: str
    ) -> None:
        await self.connector.on_button(interaction, payload)


class DiscordConnector:
    """Connects one Discord bot to the gateway.

    Args:
        gateway: where messages go.
        token: the bot token from the Developer Portal.
        api_base: REST base with its version (``https://discord.com/api/v10``);
            empty for Discord's.
        gateway_url: websocket URL of the gateway; empty for Discord's.
        cursor_path: file remembering the last stored DM of each channel,
            to fetch what was sent while the bot was away; None to not.
        sync_commands: register ``/parler`` with Discord at start.
        guild_ready_timeout: see :data:`GUILD_READY_TIMEOUT_SECONDS`.
        texts: the connector's own wording.

    The two URLs are class attributes of discord.py (``Route.BASE`` and
    ``DiscordWebSocket.DEFAULT_GATEWAY``): setting them affects the whole
    process, which runs one Discord bot at most; :meth:`stop` restores them.
    """

    name = "discord"

    def __init__(
        self,
        gateway: GatewayPort,
        token: str,
        *,
        api_base: str = "",
        gateway_url: str = "",
        cursor_path: Path | None = None,
        sync_commands: bool = True,
        guild_ready_timeout: float = GUILD_READY_TIMEOUT_SECONDS,
        texts: ConnectorTexts | None = None,
    ) -> None:
        self._gateway = gateway
        self._token = token
        self._api_base = api_base.rstrip("/")
        self._gateway_url = gateway_url
        self.sync_commands = sync_commands
        self.guild_ready_timeout = guild_ready_timeout
        self._texts = texts or load_texts()
        self._client: MaraudeClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._chats = KeyedLocks()
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._saved_endpoints: tuple[str, yarl.URL] | None = None
        self._cursors = DmCursors(cursor_path) if cursor_path else None

    @property
    def routes(self) -> list[BaseRoute]:
        return []  # Discord's gateway is a websocket the bot opens itself

    @property
    def client(self) -> MaraudeClient | None:
        return self._client

    # --- Lifecycle -------------------------------------------------------

    async def start(self) -> None:
        """Log in, register as sender, and connect to the gateway.

        Raises:
            DiscordConfigError: Discord rejected the token.
        """
        self._point_at_endpoints()
        self._client = await self._login(message_content=True)
        self._gateway.register_sender(Channel.DISCORD, self)
        self._task = asyncio.create_task(self._run(), name="discord-gateway")
        logger.info("Discord connector started")

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until the gateway session is ready (for tests and health)."""
        async with asyncio.timeout(timeout):
            while self._client is None or not self._client.is_ready():
                await asyncio.sleep(0.05)

    async def stop(self, timeout: float = 30.0) -> None:
        """Let conversations in hand finish (up to ``timeout``), then close."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=timeout)
        if self._client is not None:
            await self._client.close()
        if self._task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout)
            self._task = None
        self._restore_endpoints()
        logger.info("Discord connector stopped")

    def _point_at_endpoints(self) -> None:
        if self._saved_endpoints is None:
            self._saved_endpoints = (
                discord.http.Route.BASE,
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
            )
        if self._api_base:
            discord.http.Route.BASE = self._api_base
        if self._gateway_url:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
                self._gateway_url
            )

    def _restore_endpoints(self) -> None:
        if self._saved_endpoints is not None:
            base, gateway = self._saved_endpoints
            discord.http.Route.BASE = base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
            self._saved_endpoints = None

    async def _login(self, message_content: bool) -> MaraudeClient:
        client = MaraudeClient(self, _intents(message_content))
        try:
            await client.login(self._token)
        except discord.LoginFailure:
            await client.close()
            raise DiscordConfigError(
                "Discord rejected DISCORD_BOT_TOKEN; copy it again from the "
                "Developer Portal (your application > Bot > Reset Token)."
            ) from None
        except BaseException:
            await client.close()  # its HTTP session, before trying again
            raise
        return client

    async def _run(self) -> None:
        """Stay connected; without the Message Content intent, go on without."""
        while self._client is not None:
            client = self._client
            try:
                await client.connect(reconnect=True)
                return
            except discord.PrivilegedIntentsRequired:
                await client.close()
                if not client.intents.message_content:
                    logger.error("Discord refuses the bot's intents; it stays off")
                    return
                logger.warning(MESSAGE_CONTENT_HELP, SLASH_COMMAND)
                self._client = await self._login(message_content=False)
            except Exception:
                # Recovered by staying off: a closed session (bad token,
                # invalid intents) will not get better by retrying.
                logger.exception("Discord gateway connection ended")
                return

    # --- Receiving -------------------------------------------------------

    @contextlib.contextmanager
    def _tracked(self) -> Iterator[None]:
        """Count the running task in, so that :meth:`stop` waits for it."""
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._in_flight.discard(task)

    def _bot_id(self) -> int:
        user = self._client.user if self._client is not None else None
        if user is None:
            raise RuntimeError("Discord event before login: no bot user yet")
        return user.id

    async def on_message(self, message: discord.Message) -> None:
        """A new message: a DM, or a server message that may call the bot."""
        if message.author.bot:
            return
        with self._tracked():
            if message.guild is None:
                if isinstance(message.channel, discord.DMChannel):
                    await self._from_dm(message, str(message.id))
            elif self._addressed_to_bot(message):
                await self._from_server(message)

    async def on_edit(self, event: discord.RawMessageUpdateEvent) -> None:
        """An edited DM is one more message, answered once per edit."""
        message = event.message
        if event.guild_id is not None or message.author.bot:
            return
        if message.edited_at is None:
            return  # Discord also "updates" messages to add link previews
        if not isinstance(message.channel, discord.DMChannel):
            return
        edited = int(message.edited_at.timestamp())
        with self._tracked():
            await self._from_dm(message, f"{message.id}:edit:{edited}")

    async def _from_dm(self, message: discord.Message, message_id: str) -> None:
        kind, text, notes = read_message(
            message, self._texts.greeting_text, self._bot_id()
        )
        inbound = Inbound(
            channel=Channel.DISCORD,
            user_id=str(message.author.id),
            text=text,
            kind=kind,
            address=str(message.channel.id),
            platform_message_id=message_id,
            metadata=notes,
        )

        def stored() -> None:
            if self._cursors is not None and message_id == str(message.id):
                self._cursors.advance(message.channel.id, message.id)

        await self._converse(inbound, message.channel, stored)

    async def catch_up(self) -> None:
        """Answer the DMs sent while the bot had no session, oldest first."""
        if self._cursors is None or self._client is None:
            return
        client, found = self._client, 0
        with self._tracked():
            for channel_id, last in self._cursors.snapshot():
                channel = client.get_partial_messageable(
                    channel_id, type=discord.ChannelType.private
                )
                try:
                    missed = [
                        message
                        async for message in channel.history(
                            after=discord.Object(last),
                            oldest_first=True,
                            limit=CATCH_UP_MAX_MESSAGES,
                        )
                        if not message.author.bot
                    ]
                except discord.HTTPException as err:
                    logger.warning("DM history not read: %s", err.status)
                    continue
                for message in missed:
                    await self._from_dm(message, str(message.id))
                found += len(missed)
        if found:
            logger.info("Caught up %d direct messages sent while away", found)

    def _addressed_to_bot(self, message: discord.Message) -> bool:
        bot_id = self._bot_id()
        if mentions_bot(message, bot_id):
            return True
        replied = message.reference.resolved if message.reference else None
        if isinstance(replied, discord.Message) and replied.author.id == bot_id:
            if not message.content and not self._reads_content():
                logger.warning(MESSAGE_CONTENT_HELP, SLASH_COMMAND)
            return True
        return False

    def _reads_content(self) -> bool:
        return self._client is not None and self._client.intents.message_content

    async def _from_server(self, message: discord.Message) -> None:
        """Move a server conversation to a DM; leave only a note in public."""
        kind, text, notes = read_message(
            message, self._texts.greeting_text, self._bot_id()
        )
        if kind is InboundKind.OTHER:
            kind, text = InboundKind.TEXT, self._texts.greeting_text
        try:
            private = await message.author.create_dm()
        except discord.HTTPException as err:
            logger.warning("Could not open a DM from a server: %s", err.status)
            return
        inbound = Inbound(
            channel=Channel.DISCORD,
            user_id=str(message.author.id),
            text=text,
            kind=kind,
            address=str(private.id),
            platform_message_id=str(message.id),
            metadata={**notes, "from": "server"},
        )
        result = await self._converse(inbound, private)
        if result is None:
            return
        note = (
            self._texts.moved_to_private
            if result is DeliveryResult.DELIVERED
            else self._texts.private_closed
        )
        with contextlib.suppress(discord.HTTPException):
            await message.reply(note, mention_author=False)

    def slash_command(self) -> app_commands.Command[Any, ..., None]:
        """``/parler [message]``: usable in servers and in DMs."""
        connector = self

        async def parler(
            interaction: discord.Interaction[Any], message: str | None = None
        ) -> None:
            await connector.on_command(interaction, message)

        app_commands.describe(message=self._texts.command_message_help)(parler)
        return app_commands.Command(
            name=SLASH_COMMAND, description=self._texts.command_help, callback=parler
        )

    async def on_command(
        self, interaction: discord.Interaction[Any], text: str | None
    ) -> None:
        """The slash command: answered in a DM, acknowledged privately."""
        with self._tracked():
            # Discord wants an answer within 3 s: "thinking…", seen only by
            # the young person, holds the place.
            await interaction.response.defer(ephemeral=True, thinking=True)
            private = await interaction.user.create_dm()
            inbound = Inbound(
                channel=Channel.DISCORD,
                user_id=str(interaction.user.id),
                text=typed_text(text or "") or self._texts.greeting_text,
                kind=InboundKind.TEXT,
                address=str(private.id),
                platform_message_id=f"command:{interaction.id}",
                metadata={"via": "command"},
            )
            result = await self._converse(inbound, private)
            if interaction.guild_id is None:
                note = self._texts.answering_here
            elif result is DeliveryResult.BLOCKED:
                note = self._texts.private_closed
            else:
                note = self._texts.moved_to_private
            with contextlib.suppress(discord.HTTPException):
                await interaction.followup.send(note, ephemeral=True)

    async def on_button(
        self, interaction: discord.Interaction[Any], payload: str
    ) -> None:
        """A tapped quick reply: its payload goes on like typed text."""
        with self._tracked():
            try:
                # Acknowledges the tap and removes the buttons, so that a
                # choice is made once.
                await interaction.response.edit_message(view=None)
            except discord.HTTPException as err:
                logger.debug("Buttons not removed: %s", err.status)
            private = await interaction.user.create_dm()
            inbound = Inbound(
                channel=Channel.DISCORD,
                user_id=str(interaction.user.id),
                text=payload,
                kind=InboundKind.TEXT,
                address=str(private.id),
                platform_message_id=f"button:{interaction.id}",
                metadata={"via": "button"},
            )
            await self._converse(inbound, private)

    async def _converse(
        self,
        inbound: Inbound,
        channel: discord.abc.Messageable,
        stored: Callable[[], None] | None = None,
    ) -> DeliveryResult | None:
        """Store, answer, deliver; None when there was nothing to deliver.

        ``stored`` is called once the gateway has stored the message.
        """
        conversation = self._gateway.conversation_id(Channel.DISCORD, inbound.user_id)
        key = inbound.address or conversation
        async with self._chats.hold(key):
            try:
                async with self._typing(channel):
                    answers = await self._gateway.receive(inbound)
                if stored is not None:
                    stored()
            except Exception:
                # Recovered by asking again: Discord will not resend it.
                logger.exception("Message of %s not stored", conversation)
                answers = [Outbound(self._texts.not_received)]
            logger.debug(
                "Discord message of %s: %d answers", conversation, len(answers)
            )
            if not answers:
                return None
            result = await self._deliver(channel, answers)
            if result is DeliveryResult.BLOCKED:
                self._gateway.mark_blocked(conversation)
            elif result is not DeliveryResult.DELIVERED:
                logger.warning("Answers to %s not delivered: %s", conversation, result)
            return result

    # --- Sending ---------------------------------------------------------

    async def send(self, address: str, messages: Sequence[Outbound]) -> DeliveryResult:
        """Push messages to a DM channel (the gateway's sender interface)."""
        if self._client is None:
            return DeliveryResult.FAILED
        channel = self._client.get_partial_messageable(
            int(address), type=discord.ChannelType.private
        )
        async with self._chats.hold(address):
            return await self._deliver(channel, messages)

    async def _deliver(
        self, channel: discord.abc.Messageable, messages: Sequence[Outbound]
    ) -> DeliveryResult:
        for outbound in messages:
            chunks = discord_chunks(outbound.text)
            if not chunks and outbound.buttons:
                chunks = [BUTTONS_ONLY_TEXT]
            for index, chunk in enumerate(chunks):
                view = (
                    button_view(outbound.buttons) if index == len(chunks) - 1 else None
                )
                try:
                    if view is None:
                        await channel.send(chunk)
                    else:
                        await channel.send(chunk, view=view)
                except discord.Forbidden as err:
                    if err.code == CANNOT_SEND_TO_USER:
                        return DeliveryResult.BLOCKED
                    logger.warning("Discord refused a message: code %s", err.code)
                    return DeliveryResult.FAILED
                except discord.HTTPException as err:
                    # 429s are retried inside discord.py; this is what remains.
                    logger.warning("Discord send failed: %s", err.status)
                    return DeliveryResult.FAILED
        return DeliveryResult.DELIVERED

    @contextlib.asynccontextmanager
    async def _typing(self, channel: discord.abc.Messageable) -> AsyncIterator[None]:
        """Show "typing…" until the block ends; a failure never blocks it."""

        async def keep_typing() -> None:
            while True:
                try:
                    await channel.typing()
                except discord.HTTPException as err:
                    logger.debug("Typing not shown: %s", err.status)
                await asyncio.sleep(TYPING_REFRESH_SECONDS)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
