"""A small client for the Rasa server's REST channel and HTTP API."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bot.commands import COMMAND_KEY
from bot.messages import Button, Outbound

logger = logging.getLogger(__name__)

REST_WEBHOOK_PATH = "/webhooks/rest/webhook"
# Connection errors are retried briefly: Rasa restarts in about 40 s, so a
# longer wait would only keep the young person staring at nothing. Past this,
# the gateway answers itself and retries later.
CONNECT_ATTEMPTS = 3


class RasaUnavailableError(RuntimeError):
    """Rasa could not be reached or answered with an error.

    Args:
        reached: whether the request may have reached Rasa (a time-out or an
            error answer) rather than failing to connect at all.
    """

    def __init__(self, message: str, reached: bool = False) -> None:
        super().__init__(message)
        self.reached = reached


@dataclass(frozen=True)
class RasaReply:
    """What Rasa answered: messages for the young person, commands for us."""

    messages: list[Outbound]
    commands: list[str]
    # The arguments a command came with, by command name.
    arguments: dict[str, dict[str, str]] = field(default_factory=dict)


class RasaClient:
    """Talks to one Rasa server over HTTP.

    Args:
        base_url: e.g. ``http://127.0.0.1:5005``.
        timeout: seconds to wait for one answer.
        transport: an httpx transport, for hermetic unit tests.
    """

    def __init__(
        self,
        base_url: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, transport=transport
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def send(
        self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> RasaReply:
        """Send one message to the REST channel and return the bot's answers.

        Raises:
            RasaUnavailableError: when Rasa is down, times out or answers an error.
        """
        body = {"sender": conversation_id, "message": text, "metadata": metadata or {}}
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(CONNECT_ATTEMPTS),
                wait=wait_exponential(multiplier=0.2, max=1),
                retry=retry_if_exception_type(httpx.ConnectError),
                reraise=True,
            ):
                with attempt:
                    response = await self._http.post(REST_WEBHOOK_PATH, json=body)
            response.raise_for_status()
            payload = response.json()
        except (httpx.HTTPError, ValueError) as err:
            raise RasaUnavailableError(
                f"Rasa did not answer for conversation {conversation_id}: "
                f"{type(err).__name__}"
            ) from err
        if not isinstance(payload, list):
            raise RasaUnavailableError(
                f"Rasa answered {type(payload).__name__}, expected a list of messages"
            )
        return _to_reply(payload)

    async def trigger_intent(
        self, conversation_id: str, intent: str, entities: dict[str, str]
    ) -> RasaReply:
        """Inject an intent into the conversation (Rasa's external events).

        Rasa predicts and runs the next actions as if the young person had
        said it, and answers through a collecting output channel: the
        messages come back in the response, for the caller to deliver.

        Raises:
            RasaUnavailableError: when Rasa is down, times out or answers an
                error. ``reached`` on it says whether Rasa got the request.
        """
        path = f"/conversations/{conversation_id}/trigger_intent"
        try:
            response = await self._http.post(
                path,
                params={"include_events": "NONE"},
                json={"name": intent, "entities": entities},
            )
        except httpx.ConnectError as err:
            raise RasaUnavailableError(
                f"Rasa unreachable for conversation {conversation_id}"
            ) from err
        except httpx.HTTPError as err:
            raise RasaUnavailableError(
                f"Rasa did not answer for conversation {conversation_id}: "
                f"{type(err).__name__}",
                reached=True,
            ) from err
        try:
            response.raise_for_status()
            payload = response.json()
        except (httpx.HTTPError, ValueError) as err:
            raise RasaUnavailableError(
                f"Rasa answered {response.status_code} for conversation "
                f"{conversation_id}",
                reached=True,
            ) from err
        messages = payload.get("messages") if isinstance(payload, dict) else None
        if not isinstance(messages, list):
            raise RasaUnavailableError(
                "Rasa's trigger_intent answer has no messages", reached=True
            )
        return _to_reply(messages)

    async def is_up(self) -> bool:
        """Whether the server answers and has a model loaded."""
        try:
            response = await self._http.get("/status", timeout=3)
        except httpx.HTTPError:
            return False
        if response.status_code != httpx.codes.OK:
            return False
        return bool(response.json().get("model_file"))


def _to_reply(payload: list[Any]) -> RasaReply:
    """Rasa's messages, split into what the young person reads and commands."""
    messages: list[Outbound] = []
    commands: list[str] = []
    arguments: dict[str, dict[str, str]] = {}
    for item in payload:
        if not isinstance(item, dict):
            continue
        custom = item.get("custom")
        if isinstance(custom, dict) and COMMAND_KEY in custom:
            command = str(custom[COMMAND_KEY])
            commands.append(command)
            arguments[command] = {
                str(k): str(v) for k, v in custom.items() if k != COMMAND_KEY
            }
        elif (message := _to_outbound(item)) is not None:
            messages.append(message)
    return RasaReply(messages, commands, arguments)


def _to_outbound(item: dict[str, Any]) -> Outbound | None:
    """One REST-channel message as an Outbound; None for what we cannot show."""
    text = item.get("text")
    if not text and isinstance(item.get("custom"), dict):
        text = item["custom"].get("text")
    if not text:
        if item.get("image"):
            text = str(item["image"])
        else:
            logger.debug("Dropped a Rasa message with no text: keys %s", sorted(item))
            return None
    buttons = tuple(
        Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
        for b in item.get("buttons") or []
        if b.get("title")
    )
    return Outbound(text=str(text), buttons=buttons)
