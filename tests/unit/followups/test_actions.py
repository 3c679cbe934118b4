"""The follow-up actions: what they say, and what they ask of the gateway."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.followups import ActionFollowUp, ActionScheduleFollowUp
from bot.commands import COMMAND_KEY, SCHEDULE_FOLLOW_UP

PARIS = ZoneInfo("Europe/Paris")
MONDAY_AFTERNOON = datetime(2026, 12, 7, 15, 0, tzinfo=PARIS)
STEP = "passer à la Mission Locale de Roubaix"


def tracker(
    intent: str = "affirm",
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> Tracker:
    return Tracker(
        sender_id="conv-1",
        slots=slots or {},
        latest_message={"intent": {"name": intent}, "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def commands(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    return [
        m["custom"]
        for m in dispatcher.messages
        if isinstance(m.get("custom"), dict) and COMMAND_KEY in m["custom"]
    ]


def responses(dispatcher: CollectingDispatcher) -> list[tuple[str, dict[str, Any]]]:
    return [
        (m["response"], {k: v for k, v in m.items() if k in ("day", "next_step")})
        for m in dispatcher.messages
        if m.get("response")
    ]


async def test_yes_schedules_three_days_on_and_says_the_day() -> None:
    dispatcher = CollectingDispatcher()
    action = ActionScheduleFollowUp(clock=lambda: MONDAY_AFTERNOON)

    events = await action.run(dispatcher, tracker(slots={"next_step": STEP}), {})

    (command,) = commands(dispatcher)
    assert command[COMMAND_KEY] == SCHEDULE_FOLLOW_UP
    assert command["next_step"] == STEP
    due = datetime.fromisoformat(command["due_at"])
    assert due == datetime(2026, 12, 10, 15, 0, tzinfo=PARIS)
    assert responses(dispatcher) == [("utter_follow_up_scheduled", {"day": "jeudi"})]
    assert events == [SlotSet("follow_up_reschedules", 0)]


async def test_a_reminder_without_a_next_step_is_scheduled_too() -> None:
    dispatcher = CollectingDispatcher()
    action = ActionScheduleFollowUp(clock=lambda: MONDAY_AFTERNOON)

    await action.run(dispatcher, tracker(intent="ask_reminder"), {})

    (command,) = commands(dispatcher)
    assert command["next_step"] == ""


async def test_not_yet_checks_back_again_and_counts() -> None:
    dispatcher = CollectingDispatcher()
    action = ActionScheduleFollowUp(clock=lambda: MONDAY_AFTERNOON)
    slots = {"next_step": STEP, "follow_up_reschedules": 1.0}

    events = await action.run(dispatcher, tracker("not_yet", slots), {})

    assert len(commands(dispatcher)) == 1
    assert responses(dispatcher) == [("utter_follow_up_rescheduled", {"day": "jeudi"})]
    assert events == [SlotSet("follow_up_reschedules", 2)]


async def test_not_yet_past_the_limit_stops_and_offers_a_counsellor() -> None:
    dispatcher = CollectingDispatcher()
    action = ActionScheduleFollowUp(clock=lambda: MONDAY_AFTERNOON)
    slots = {"next_step": STEP, "follow_up_reschedules": 2.0}

    events = await action.run(dispatcher, tracker("not_yet", slots), {})

    assert commands(dispatcher) == []
    assert responses(dispatcher) == [("utter_follow_up_no_more", {})]
    assert events == [SlotSet("follow_up_reschedules", 0)]


async def test_the_follow_up_asks_about_the_stored_next_step() -> None:
    dispatcher = CollectingDispatcher()
    entities = [
        {"entity": "next_step", "value": STEP},
        {"entity": "follow_up_attempt", "value": "1"},
    ]

    events = await ActionFollowUp().run(
        dispatcher,
        tracker("EXTERNAL_follow_up", {"next_step": "autre"}, entities),
        {},
    )

    assert responses(dispatcher) == [("utter_follow_up_step", {"next_step": STEP})]
    assert events == [SlotSet("next_step", STEP)]


async def test_the_re_send_says_it_is_the_last_time() -> None:
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "follow_up_attempt", "value": "2"}]

    await ActionFollowUp().run(
        dispatcher, tracker("EXTERNAL_follow_up", {"next_step": STEP}, entities), {}
    )

    assert responses(dispatcher) == [
        ("utter_follow_up_step_again", {"next_step": STEP})
    ]


async def test_without_a_next_step_the_question_is_general() -> None:
    dispatcher = CollectingDispatcher()

    events = await ActionFollowUp().run(dispatcher, tracker("EXTERNAL_follow_up"), {})

    assert responses(dispatcher) == [("utter_follow_up_generic", {})]
    assert events == [SlotSet("next_step", None)]
