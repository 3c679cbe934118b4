"""The route Telegram posts updates to when ``TELEGRAM_MODE=webhook``."""

from __future__ import annotations

import hmac
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Bot, Update

from connectors.telegram.polling import UpdateHandler

logger = logging.getLogger(__name__)

# setWebhook's secret_token comes back in this header on every call.
WEBHOOK_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a name)
DEFAULT_WEBHOOK_PATH = "/telegram/webhook"


def webhook_route(path: str, secret: str, bot: Bot, handle: UpdateHandler) -> Route:
    """A Starlette route receiving Telegram's webhook calls.

    A call without the secret-token header, or with a wrong one, gets 401
    and its body is not even read. Telegram sends a call again until it gets
    a 2xx, so 200 is returned only once ``handle`` stored the update.
    """
    if not secret:
        raise ValueError("a Telegram webhook needs a secret token")
    expected = secret.encode()

    async def receive_update(request: Request) -> Response:
        given = request.headers.get(WEBHOOK_SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            logger.warning("Telegram webhook call refused: wrong secret token")
            return Response(status_code=401)
        try:
            update = Update.de_json(await request.json(), bot)
        except (ValueError, TypeError, KeyError):
            logger.warning("Telegram webhook call refused: not an update")
            return Response(status_code=400)
        try:
            await handle(update)
        except Exception:
            # Recovered: Telegram calls again later.
            logger.exception("Telegram update %s not stored", update.update_id)
            return Response(status_code=500)
        return Response(status_code=200)

    return Route(path, receive_update, methods=["POST"], name="telegram_webhook")
