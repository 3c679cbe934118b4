"""The web chat page and its JSON API.

Contract for integrators:

- ``POST /api/webchat/messages`` with ``{"sender_id", "text"}`` answers
  ``{"messages": [{"text", "buttons"?}], "cursor"}``, in the order the bot
  said them. ``buttons`` appears only when there are some.
- ``POST /api/webchat/updates`` with ``{"sender_id", "after"}`` answers the
  messages stored for that sender after the cursor ``after`` (answers that
  arrived later: a counsellor's, or the bot's once a service came back).

The sender id goes in the body, never the URL, so that it stays out of
access logs and proxies.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.gateway import Gateway
from bot.messages import Channel, Inbound, Outbound
from bot.web.app_paths import TEMPLATES_DIR

router = APIRouter()
templates = Jinja2Templates(directory=TEMPLATES_DIR)

SENDER_ID_MAX_CHARS = 64
# Long enough for any real message (Telegram stops at 4,096); longer bodies
# are refused before they reach the gateway.
TEXT_MAX_CHARS = 10_000

SenderId = Annotated[
    str, StringConstraints(min_length=1, max_length=SENDER_ID_MAX_CHARS)
]


class WebchatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender_id: SenderId
    text: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=TEXT_MAX_CHARS
        ),
    ]


class WebchatUpdates(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender_id: SenderId
    after: int = Field(default=0, ge=0)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "webchat.html")


@router.post("/api/webchat/messages")
async def post_message(body: WebchatMessage, request: Request) -> dict[str, Any]:
    gateway: Gateway = request.app.state.gateway
    inbound = Inbound(
        channel=Channel.WEBCHAT,
        user_id=body.sender_id,
        text=body.text,
        address=body.sender_id,
    )
    answers = await gateway.receive(inbound)
    conversation_id = gateway.conversation_id(Channel.WEBCHAT, body.sender_id)
    return {
        "messages": [_render(a) for a in answers],
        "cursor": gateway.last_message_id(conversation_id),
    }


@router.post("/api/webchat/updates")
async def post_updates(body: WebchatUpdates, request: Request) -> dict[str, Any]:
    gateway: Gateway = request.app.state.gateway
    conversation_id = gateway.conversation_id(Channel.WEBCHAT, body.sender_id)
    rows = gateway.transcript_since(conversation_id, body.after)
    return {
        "messages": [_render(message) for _, message in rows],
        "cursor": rows[-1][0] if rows else body.after,
    }


def _render(message: Outbound) -> dict[str, Any]:
    rendered: dict[str, Any] = {"text": message.text}
    if message.buttons:
        rendered["buttons"] = [
            {"title": b.title, "payload": b.payload} for b in message.buttons
        ]
    return rendered
