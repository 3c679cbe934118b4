"""Checking back later: the young person agreed to a follow-up.

Interface shared by every topic that ends with a next step: the slot
``next_step`` says what to ask about, ``utter_ask_check_back`` asks for
consent, and this action schedules the follow-up. Scheduling, storage and
sending belong to ``bot/followups`` (work in progress: issue 6).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher


class ActionScheduleFollowUp(Action):
    def name(self) -> str:
        return "action_schedule_follow_up"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        raise NotImplementedError("issue 6: follow-ups are being built")
