"""Erasure on request."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.commands import ERASE_CONVERSATION, command_message


class ActionEraseConversation(Action):
    """Asks the gateway to erase the conversation once this turn ends.

    The gateway does the erasing because it owns the transcript and knows
    when Rasa has saved the tracker for the last time: erasing from here
    would race with that save.
    """

    def name(self) -> str:
        return "action_erase_conversation"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        dispatcher.utter_message(json_message=command_message(ERASE_CONVERSATION))
        return []
