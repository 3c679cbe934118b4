"""A young person asks for a human: queue the conversation, say when."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.commands import REQUEST_HANDOFF, command_message
from bot.config import get_settings


def _now() -> datetime:
    return datetime.now(UTC)


class ActionRequestHandoff(Action):
    """Asks the gateway to queue the conversation, and tells the young person.

    The gateway does the queueing because it owns the app database; the
    action only knows the permanences, to say whether someone reads now or
    when (``lundi à 9h``). The request waits in the queue either way.

    Args:
        clock: returns now, as an aware datetime (tests pass a fixed one).
    """

    def __init__(self, clock: Callable[[], datetime] = _now) -> None:
        self._clock = clock

    def name(self) -> str:
        return "action_request_handoff"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        dispatcher.utter_message(json_message=command_message(REQUEST_HANDOFF))
        hours = get_settings().opening_hours
        now = self._clock()
        if hours.is_open(now):
            dispatcher.utter_message(response="utter_handoff_now")
        else:
            dispatcher.utter_message(
                response="utter_handoff_later", next_opening=hours.describe_next(now)
            )
        return []
