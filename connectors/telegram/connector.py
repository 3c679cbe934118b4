"""The Telegram connector: private chats with the bot, through PTB.

Long polling by default, a webhook when ``TELEGRAM_MODE=webhook``. Either
way an update is handed to the gateway, which stores it, before Telegram is
told it was received (see :mod:`connectors.telegram.polling`), so a restart
neither skips nor replays anything.

Group chats get a short public redirection to the private chat and nothing
else: whatever a young person writes there stays out of the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from starlette.routing import Route
from telegram import Message, MessageEntity, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.ext import AIORateLimiter, ExtBot

from bot.messages import Channel, Inbound, InboundKind, Outbound
from connectors.base import DeliveryResult, GatewayPort, KeyedLocks
from connectors.telegram.polling import (
    ALLOWED_UPDATES,
    POLL_TIMEOUT_SECONDS,
    OffsetStore,
    Poller,
)
from connectors.telegram.reading import edited_message_id, keyboard, read_message
from connectors.telegram.webhook import DEFAULT_WEBHOOK_PATH, webhook_route
from connectors.text import telegram_chunks
from connectors.wording import ConnectorTexts, load_texts

logger = logging.getLogger(__name__)

# How often a 429 "retry after" is waited out before a send gives up; PTB's
# rate limiter does the waiting (and holds other requests meanwhile).
TELEGRAM_MAX_RETRIES = 3
# A chat action shows for 5 s or until the next message: renew before.
TYPING_REFRESH_SECONDS = 4.0
# Telegram refuses empty text; quick replies alone still need some.
BUTTONS_ONLY_TEXT = "👇"

_GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


class TelegramConfigError(RuntimeError):
    """The Telegram settings cannot work; the message says which to fix."""


class TelegramConnector:
    """Connects one Telegram bot to the gateway.

    Args:
        gateway: where messages go.
        token: the bot token from @BotFather.
        offset_path: file keeping the polling offset across restarts.
        base_url: Bot API base, ending where the token is appended.
        mode: ``polling`` or ``webhook``.
        webhook_url: public URL given to setWebhook; empty when the webhook
            is registered by other means. Its path is the route's path.
        webhook_secret: secret Telegram sends back in a header; required in
            webhook mode.
        poll_timeout: long-polling timeout in seconds.
        texts: the connector's own wording.

    Raises:
        TelegramConfigError: unknown mode, or webhook mode without a secret.
    """

    name = "telegram"

    def __init__(
        self,
        gateway: GatewayPort,
        token: str,
        *,
        offset_path: Path,
        base_url: str = "https://api.telegram.org/bot",
        mode: str = "polling",
        webhook_url: str = "",
        webhook_secret: str = "",
        poll_timeout: float = POLL_TIMEOUT_SECONDS,
        texts: ConnectorTexts | None = None,
    ) -> None:
        if mode not in ("polling", "webhook"):
            raise TelegramConfigError(
                f"TELEGRAM_MODE is {mode!r}; expected 'polling' or 'webhook'."
            )
        if mode == "webhook" and not webhook_secret:
            raise TelegramConfigError(
                "TELEGRAM_MODE is 'webhook' but TELEGRAM_WEBHOOK_SECRET is empty: "
                "without it anyone could post fake updates. Set a random secret "
                "(1-256 characters among A-Z, a-z, 0-9, _ and -)."
            )
        self._gateway = gateway
        self._mode = mode
        self._webhook_url = webhook_url
        self._webhook_secret = webhook_secret
        self._texts = texts or load_texts()
        self._bot: ExtBot[int] = ExtBot(
            token,
            base_url=base_url,
            rate_limiter=AIORateLimiter(max_retries=TELEGRAM_MAX_RETRIES),
        )
        self._poller = Poller(
            self._bot, self.handle_update, OffsetStore(offset_path), poll_timeout
        )
        self._chats = KeyedLocks()

    @property
    def routes(self) -> list[Route]:
        """The webhook route to mount in the bot service (none when polling)."""
        if self._mode != "webhook":
            return []
        path = urlsplit(self._webhook_url).path or DEFAULT_WEBHOOK_PATH
        return [
            webhook_route(path, self._webhook_secret, self._bot, self.handle_update)
        ]

    async def start(self) -> None:
        """Check the token, register as sender, and start receiving.

        Raises:
            TelegramConfigError: Telegram rejected the token.
        """
        try:
            await self._bot.initialize()
        except InvalidToken:
            await self._bot.shutdown()
            # PTB's message quotes the token, which must not reach the logs:
            # no chained cause.
            raise TelegramConfigError(
                "Telegram rejected TELEGRAM_BOT_TOKEN; copy it again from @BotFather."
            ) from None
        self._gateway.register_sender(Channel.TELEGRAM, self)
        if self._mode == "webhook":
            await self._register_webhook()
        else:
            # A webhook left by an earlier deployment makes getUpdates fail
            # with 409 Conflict; its pending updates are kept.
            await self._bot.delete_webhook(drop_pending_updates=False)
            self._poller.start()
        logger.info("Telegram connector started (%s)", self._mode)

    async def stop(self, timeout: float = 30.0) -> None:
        """Finish the updates in hand, then disconnect.

        In webhook mode the webhook stays set: Telegram keeps the updates
        that arrive meanwhile and delivers them once the service is back.
        """
        await self._poller.stop(timeout)
        await self._bot.shutdown()
        logger.info("Telegram connector stopped")

    async def _register_webhook(self) -> None:
        if not self._webhook_url:
            logger.info("TELEGRAM_WEBHOOK_URL is empty: the webhook is set elsewhere")
            return
        await self._bot.set_webhook(
            self._webhook_url,
            secret_token=self._webhook_secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
        )

    # --- Receiving -------------------------------------------------------

    async def handle_update(self, update: Update) -> None:
        """Hand one update to the gateway and send the answers.

        Raises:
            Exception: whatever kept the gateway from storing the update;
                the caller must not acknowledge it then.
        """
        if update.callback_query is not None:
            await self._handle_button(update)
            return
        message = update.message or update.edited_message
        if message is None or message.from_user is None or message.from_user.is_bot:
            return
        if message.chat.type in _GROUP_TYPES:
            if update.message is not None and self._addressed_to_bot(message):
                await self._redirect_group(message)
            return
        if message.chat.type != ChatType.PRIVATE:
            return

        kind, text, notes = read_message(message, self._texts.greeting_text)
        if update.edited_message is not None:
            message_id = edited_message_id(message)
        else:
            message_id = str(message.message_id)
        inbound = Inbound(
            channel=Channel.TELEGRAM,
            user_id=str(message.from_user.id),
            text=text,
            kind=kind,
            address=str(message.chat.id),
            platform_message_id=message_id,
            metadata=notes,
        )
        await self._converse(inbound, message.chat.id)

    async def _handle_button(self, update: Update) -> None:
        query = update.callback_query
        assert query is not None  # checked by the caller
        try:
            # Stops the spinner on the button. A query fetched again after a
            # restart may be too old to answer; nothing else depends on it.
            await self._bot.answer_callback_query(query.id)
        except BadRequest:
            logger.debug("Callback query %s too old to answer", query.id)
        chat = query.message.chat if query.message is not None else None
        if chat is None or chat.type != ChatType.PRIVATE or not query.data:
            return
        inbound = Inbound(
            channel=Channel.TELEGRAM,
            user_id=str(query.from_user.id),
            text=query.data,
            kind=InboundKind.TEXT,
            address=str(chat.id),
            platform_message_id=f"button:{query.id}",
            metadata={"via": "button"},
        )
        await self._converse(inbound, chat.id)

    async def _converse(self, inbound: Inbound, chat_id: int) -> None:
        conversation = self._gateway.conversation_id(Channel.TELEGRAM, inbound.user_id)
        async with self._chats.hold(str(chat_id)):
            async with self._typing(chat_id):
                answers = await self._gateway.receive(inbound)
            logger.debug(
                "Telegram %s message of %s: %d answers",
                inbound.kind,
                conversation,
                len(answers),
            )
            if not answers:
                return
            # The message is stored: a failed delivery is logged, not raised,
            # since fetching the update again would only find a duplicate.
            result = await self._deliver(chat_id, answers)
            if result is DeliveryResult.BLOCKED:
                self._gateway.mark_blocked(conversation)
            elif result is not DeliveryResult.DELIVERED:
                logger.warning("Answers to %s not delivered: %s", conversation, result)

    def _addressed_to_bot(self, message: Message) -> bool:
        """Whether a group message calls the bot: command, mention, reply, join.

        In privacy mode (the default) Telegram sends the bot little else.
        """
        bot_id, username = self._bot.id, self._bot.username.lower()
        if message.new_chat_members and any(
            member.id == bot_id for member in message.new_chat_members
        ):
            return True
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == bot_id:
            return True
        text = message.text or ""
        if text.startswith("/"):
            command = text.split()[0].lower()
            return "@" not in command or command.endswith(f"@{username}")
        mentions = message.parse_entities([MessageEntity.MENTION]).values()
        return any(mention.lower() == f"@{username}" for mention in mentions)

    async def _redirect_group(self, message: Message) -> None:
        try:
            await self._bot.send_message(
                message.chat.id, self._texts.redirect(self._bot.link)
            )
        except TelegramError as err:
            logger.warning("Group redirection not sent: %s", type(err))

    # --- Sending ---------------------------------------------------------

    async def send(self, address: str, messages: Sequence[Outbound]) -> DeliveryResult:
        """Push messages to a private chat (the gateway's sender interface)."""
        async with self._chats.hold(address):
            return await self._deliver(int(address), messages)

    async def _deliver(
        self, chat_id: int, messages: Sequence[Outbound]
    ) -> DeliveryResult:
        for outbound in messages:
            chunks = telegram_chunks(outbound.text)
            if not chunks and outbound.buttons:
                chunks = [BUTTONS_ONLY_TEXT]
            for index, chunk in enumerate(chunks):
                last = index == len(chunks) - 1
                markup = keyboard(outbound.buttons) if last else None
                try:
                    await self._bot.send_message(chat_id, chunk, reply_markup=markup)
                except Forbidden:
                    # 403: the user blocked the bot or deleted their account.
                    return DeliveryResult.BLOCKED
                except RetryAfter:
                    logger.warning(
                        "Telegram flood control outlasted %d retries",
                        TELEGRAM_MAX_RETRIES,
                    )
                    return DeliveryResult.FAILED
                except TelegramError as err:
                    logger.warning("Telegram sendMessage failed: %s", type(err))
                    return DeliveryResult.FAILED
        return DeliveryResult.DELIVERED

    @contextlib.asynccontextmanager
    async def _typing(self, chat_id: int) -> AsyncIterator[None]:
        """Show "typing…" in the chat until the block ends."""

        async def keep_typing() -> None:
            while True:
                try:
                    await self._bot.send_chat_action(chat_id, ChatAction.TYPING)
                except TelegramError as err:
                    logger.debug("Chat action not sent: %s", type(err))
                await asyncio.sleep(TYPING_REFRESH_SECONDS)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
