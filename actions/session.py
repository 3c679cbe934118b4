"""Session start: the plain-language notice at first contact."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

NOTICE_SLOT = "notice_shown"


class ActionSessionStart(Action):
    """Starts a session, carrying slots over, and shows the notice once.

    The notice (a bot with humans behind it, what it keeps, how to erase it)
    is owed at first contact, not at every session: the slot that records it
    is carried over like the others.
    """

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        events.extend(
            SlotSet(name, value)
            for name, value in tracker.current_slot_values().items()
            if value is not None
        )
        if not tracker.get_slot(NOTICE_SLOT):
            dispatcher.utter_message(response="utter_first_contact_notice")
            dispatcher.utter_message(response="utter_first_contact_privacy")
            events.append(SlotSet(NOTICE_SLOT, True))
        events.append(ActionExecuted("action_listen"))
        return events
