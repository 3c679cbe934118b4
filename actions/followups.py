"""Checking back later: scheduling a follow-up, and asking how it went.

Interface shared by every topic that ends with a next step: the slot
``next_step`` says what to ask about (a phrase that reads after "t'as pu"),
``utter_ask_check_back`` asks for consent, and ``action_schedule_follow_up``
schedules the follow-up. The gateway stores it (it owns the conversation's
channel and the app database); the bot service's scheduler sends it when it
is due by triggering ``EXTERNAL_follow_up``, which runs
``action_follow_up`` here. The actions never see a platform identity.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.commands import SCHEDULE_FOLLOW_UP, command_message
from bot.config import get_settings
from bot.followups.timing import describe_day

logger = logging.getLogger(__name__)

NEXT_STEP = "next_step"  # set by any topic that proposes a step (domain/followups.yml)
RESCHEDULES = "follow_up_reschedules"
NOT_YET = "not_yet"
# Entities the bot service sends with EXTERNAL_follow_up.
ATTEMPT_ENTITY = "follow_up_attempt"


def _now() -> datetime:
    return datetime.now(UTC)


def _latest_intent(tracker: Tracker) -> str | None:
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name")
    return str(name) if name else None


class ActionScheduleFollowUp(Action):
    """Asks the gateway to check back later, and says when.

    After "pas encore" it checks back again, up to
    ``MARAUDE_FOLLOW_UP_MAX_ATTEMPTS`` times in a row; then it stops asking
    and offers a counsellor instead.

    Args:
        clock: returns now, as an aware datetime (tests pass a fixed one).
    """

    def __init__(self, clock: Callable[[], datetime] = _now) -> None:
        self._clock = clock

    def name(self) -> str:
        return "action_schedule_follow_up"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        settings = get_settings()
        policy = settings.follow_up_policy
        not_yet = _latest_intent(tracker) == NOT_YET
        reschedules = int(tracker.get_slot(RESCHEDULES) or 0)
        if not_yet and reschedules >= policy.max_attempts:
            dispatcher.utter_message(response="utter_follow_up_no_more")
            logger.info("No more follow-ups for %s: limit reached", tracker.sender_id)
            return [SlotSet(RESCHEDULES, 0)]

        now = self._clock()
        due = policy.due_after(now)
        next_step = str(tracker.get_slot(NEXT_STEP) or "").strip()
        dispatcher.utter_message(
            json_message=command_message(
                SCHEDULE_FOLLOW_UP, next_step=next_step, due_at=due.isoformat()
            )
        )
        day = describe_day(due, now, policy.hours)
        if not_yet:
            dispatcher.utter_message(response="utter_follow_up_rescheduled", day=day)
            return [SlotSet(RESCHEDULES, reschedules + 1)]
        dispatcher.utter_message(response="utter_follow_up_scheduled", day=day)
        return [SlotSet(RESCHEDULES, 0)]


class ActionFollowUp(Action):
    """The follow-up itself: "alors, t'as pu {next_step} ?", oui / non / pas encore.

    The next step comes with the triggering intent (what the gateway stored
    when the young person agreed), falling back to the slot. A re-send (no
    answer to the first one) says it is the last time.
    """

    def name(self) -> str:
        return "action_follow_up"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        entities = {
            str(e.get("entity")): e.get("value")
            for e in (tracker.latest_message or {}).get("entities") or []
        }
        next_step = str(entities.get(NEXT_STEP) or tracker.get_slot(NEXT_STEP) or "")
        next_step = next_step.strip()
        try:
            attempt = int(entities.get(ATTEMPT_ENTITY) or 1)
        except (TypeError, ValueError):
            attempt = 1
        again = "_again" if attempt > 1 else ""
        if next_step:
            dispatcher.utter_message(
                response=f"utter_follow_up_step{again}", next_step=next_step
            )
        else:
            dispatcher.utter_message(response=f"utter_follow_up_generic{again}")
        return [SlotSet(NEXT_STEP, next_step or None)]
