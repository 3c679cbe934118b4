"""Quick replies as Discord buttons that keep working after a restart.

Each button carries its payload in its ``custom_id``; a
:class:`discord.ui.DynamicItem` matches any such id, so a tap on a button
sent before a restart is still understood without any stored state.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.messages import Button

# Discord limits: custom_id up to 100 characters, label up to 80, and 25
# buttons (5 rows of 5) per message.
CUSTOM_ID_MAX_CHARS = 100
LABEL_MAX_CHARS = 80
MAX_BUTTONS = 25
CUSTOM_ID_PREFIX = "maraude:"

TapHandler = Callable[[discord.Interaction[Any], str], Awaitable[None]]


class PayloadButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=re.compile(rf"{CUSTOM_ID_PREFIX}(?P<payload>.+)", re.DOTALL),
):
    """A quick-reply button; a tap sends its payload to the gateway."""

    def __init__(self, title: str, payload: str) -> None:
        self.payload = payload
        super().__init__(
            discord.ui.Button(
                label=_label(title),
                custom_id=f"{CUSTOM_ID_PREFIX}{payload}",
                style=discord.ButtonStyle.primary,
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PayloadButton:
        label = getattr(item, "label", None) or ""
        return cls(label, match["payload"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler: TapHandler | None = getattr(interaction.client, "on_button_tap", None)
        if handler is not None:
            await handler(interaction, self.payload)


def button_view(buttons: Sequence[Button]) -> discord.ui.View | None:
    """The quick replies of one answer as a view, or None without any.

    A payload too long for a ``custom_id`` cannot travel in the button; the
    button then sends its title, read by Rasa like typed text.
    """
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    seen: set[str] = set()
    for button in buttons[:MAX_BUTTONS]:
        payload = _fitting_payload(button)
        if payload in seen:  # custom_ids must be unique within a message
            continue
        seen.add(payload)
        view.add_item(PayloadButton(button.title, payload))
    return view


def _fitting_payload(button: Button) -> str:
    room = CUSTOM_ID_MAX_CHARS - len(CUSTOM_ID_PREFIX)
    if 0 < len(button.payload) <= room:
        return button.payload
    return button.title[:room] or "?"


def _label(title: str) -> str:
    if len(title) <= LABEL_MAX_CHARS:
        return title or "?"
    return title[: LABEL_MAX_CHARS - 1] + "…"
