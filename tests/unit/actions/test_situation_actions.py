"""The situation actions: reading every message, choosing the next question,
saying things back, saving the profile."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from actions.profile import ProfileStore
from actions.situation import (
    ActionExplainQuestion,
    ActionSituationSummary,
    ActionStartSituation,
    ActionStopSituation,
    ActionValidateSlotMappings,
    ValidateSituationForm,
    missing_questions,
    situation_changes,
)
from actions.situation_answers import Reading
from bot.db.models import Conversation

TODAY = date(2026, 12, 3)
CONVERSATION = "conv-123"
DOMAIN: dict[str, Any] = {
    "slots": {},
    "forms": {
        "situation_form": {
            "required_slots": [
                "age",
                "status",
                "status_since",
                "diploma",
                "place",
                "needs",
                "interests",
            ]
        }
    },
    "responses": {"utter_why_place": [{"text": "..."}], "utter_why_general": []},
}


def tracker(
    text: str = "",
    intent: str | None = "inform",
    slots: dict[str, Any] | None = None,
    requested: str | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> Tracker:
    all_slots = {"requested_slot": requested, **(slots or {})}
    return Tracker(
        sender_id=CONVERSATION,
        slots=all_slots,
        latest_message={
            "text": text,
            "intent": {"name": intent},
            "entities": entities or [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": "situation_form"} if requested else {},
        latest_action_name="action_listen",
    )


def said(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


class FakePlaces:
    def __init__(self, known: dict[str, tuple[str, str]]) -> None:
        self.known = known

    def code_of(self, typed: str) -> tuple[str, str] | None:
        return self.known.get(typed)


@pytest.fixture
def store(sessions: sessionmaker[Session], database_url: str) -> ProfileStore:
    with sessions.begin() as session:
        session.add(Conversation(id=CONVERSATION, channel="webchat", profile={}))
    return ProfileStore(database_url)


def validator(
    store: ProfileStore, places: dict[str, tuple[str, str]] | None = None
) -> ActionValidateSlotMappings:
    return ActionValidateSlotMappings(
        store=store,
        places=FakePlaces(places or {}),
        today=lambda: TODAY,
    )


async def test_one_message_fills_several_slots_and_saves_the_profile(
    store: ProfileStore,
) -> None:
    dispatcher = CollectingDispatcher()
    message = tracker(
        "j'ai 17 ans je suis sur Roubaix et je fais rien depuis 6 mois",
        entities=[{"entity": "place", "value": "Roubaix"}],
    )

    events = await validator(store, {"Roubaix": ("59512", "Roubaix")}).run(
        dispatcher, message, DOMAIN
    )

    slots = {event["name"]: event["value"] for event in events}
    assert slots["age"] == 17.0
    assert slots["status"] == "nothing"
    assert slots["status_since"] == "6 mois"
    assert slots["place"] == "Roubaix"
    assert slots["place_code"] == "59512"
    profile = store.load(CONVERSATION)
    assert profile is not None
    assert profile["age"] == 17
    assert profile["is_minor"] is True
    assert profile["minor_16_17"] is True
    assert profile["status_since_months"] == 6
    assert profile["place_code"] == "59512"
    assert profile["summary"] == [
        "17 ans",
        "rien en ce moment (depuis 6 mois)",
        "tu habites à Roubaix",
    ]
    assert dispatcher.messages == []


async def test_a_correction_is_said_back(store: ProfileStore) -> None:
    dispatcher = CollectingDispatcher()
    message = tracker("non j'ai 18 ans", intent="deny", slots={"age": 19.0})

    events = await validator(store).run(dispatcher, message, DOMAIN)

    assert SlotSet("age", 18.0) in events
    assert said(dispatcher) == ["utter_situation_corrected"]
    assert dispatcher.messages[0]["what"] == "18 ans"


async def test_an_age_outside_16_25_gets_a_kind_word(store: ProfileStore) -> None:
    young = CollectingDispatcher()
    older = CollectingDispatcher()

    await validator(store).run(young, tracker("14", requested="age"), DOMAIN)
    await validator(store).run(older, tracker("j'ai 28 ans"), DOMAIN)

    assert said(young) == ["utter_situation_age_young"]
    assert said(older) == ["utter_situation_age_older"]


async def test_a_refused_question_is_remembered(store: ProfileStore) -> None:
    dispatcher = CollectingDispatcher()
    message = tracker("passe", intent="skip_question", requested="place")

    events = await validator(store).run(dispatcher, message, DOMAIN)

    assert SlotSet("skipped_questions", ["place"]) in events
    profile = store.load(CONVERSATION)
    assert profile is not None
    assert profile["skipped"] == ["place"]


async def test_small_talk_changes_nothing(store: ProfileStore) -> None:
    events = await validator(store).run(
        CollectingDispatcher(), tracker("t'es un bot ?", intent="bot_challenge"), DOMAIN
    )

    assert events == []
    assert store.load(CONVERSATION) == {}


async def test_an_unknown_conversation_does_not_stop_the_dialogue(
    store: ProfileStore,
) -> None:
    message = Tracker(
        "someone-else", {}, {"text": "j'ai 20 ans", "intent": {"name": "inform"}},
        [], False, None, {}, "action_listen",
    )  # fmt: skip

    events = await validator(store).run(CollectingDispatcher(), message, DOMAIN)

    assert SlotSet("age", 20.0) in events


def test_the_profile_keeps_keys_written_by_other_topics(store: ProfileStore) -> None:
    store.save(CONVERSATION, {"age": 19})
    with store.sessions().begin() as session:
        conversation = session.get_one(Conversation, CONVERSATION)
        conversation.profile = {**conversation.profile, "handoff": "queued"}

    store.save(CONVERSATION, {"age": 20})

    profile = store.load(CONVERSATION)
    assert profile is not None
    assert (profile["age"], profile["handoff"]) == (20, "queued")


def test_needs_said_in_passing_add_up_and_an_answer_replaces_them() -> None:
    known = {"needs": ["job"]}

    passing = situation_changes(Reading(needs=["money"]), known, asked=None)
    answer = situation_changes(Reading(needs=["money"]), known, asked="needs")

    assert passing["needs"] == ["job", "money"]
    assert answer["needs"] == ["money"]


def test_a_new_status_forgets_the_old_since_when() -> None:
    known = {"status": "nothing", "status_since": "6 mois"}

    changes = situation_changes(Reading(status="job"), known, asked=None)

    assert changes == {"status": "job", "status_since": None}


def test_an_answer_to_a_skipped_question_unskips_it() -> None:
    known = {"skipped_questions": ["age", "place"]}

    changes = situation_changes(Reading(age=19), known, asked=None)

    assert changes["skipped_questions"] == ["place"]


def test_since_when_is_only_asked_of_those_out_of_school_or_work() -> None:
    assert "status_since" in missing_questions({"status": "nothing"})
    assert "status_since" in missing_questions({"status": "job_seeker"})
    assert "status_since" not in missing_questions({"status": "job"})


async def test_the_form_skips_what_was_refused_or_does_not_apply() -> None:
    form = ValidateSituationForm()
    slots = {"status": "school", "skipped_questions": ["age", "place"]}

    required = await form.required_slots(
        DOMAIN["forms"]["situation_form"]["required_slots"],
        CollectingDispatcher(),
        tracker(slots=slots, requested="diploma"),
        DOMAIN,
    )

    assert required == ["status", "diploma", "needs", "interests"]


async def test_a_refusal_moves_the_form_on_with_a_kind_word() -> None:
    dispatcher = CollectingDispatcher()
    slots = {"skipped_questions": ["age"]}

    events = await ValidateSituationForm().run(
        dispatcher, tracker("passe", "skip_question", slots, requested="age"), DOMAIN
    )

    assert said(dispatcher) == ["utter_situation_skipped"]
    assert SlotSet("requested_slot", "status") in events
    assert SlotSet("skipped_questions", ["age"]) in events


async def test_why_is_answered_for_the_pending_question() -> None:
    pending = CollectingDispatcher()
    nothing_pending = CollectingDispatcher()

    await ActionExplainQuestion().run(pending, tracker(requested="place"), DOMAIN)
    await ActionExplainQuestion().run(nothing_pending, tracker(), DOMAIN)

    assert said(pending) == ["utter_why_place"]
    assert said(nothing_pending) == ["utter_why_general"]


async def test_starting_introduces_the_questions_once_then_resumes() -> None:
    first = CollectingDispatcher()
    again = CollectingDispatcher()

    events = await ActionStartSituation().run(first, tracker(), DOMAIN)
    await ActionStartSituation().run(again, tracker(slots={"age": 19.0}), DOMAIN)

    assert said(first) == ["utter_situation_intro"]
    assert said(again) == ["utter_situation_resume"]
    assert events == [SlotSet("situation_stopped", False)]


async def test_stop_stops_until_asked_again() -> None:
    dispatcher = CollectingDispatcher()

    events = await ActionStopSituation().run(dispatcher, tracker(), DOMAIN)

    assert said(dispatcher) == ["utter_situation_stopped"]
    assert SlotSet("situation_stopped", True) in events


async def test_the_summary_says_back_what_was_learnt() -> None:
    dispatcher = CollectingDispatcher()
    slots = {
        "age": 17.0,
        "status": "nothing",
        "status_since": "6 mois",
        "diploma": "none",
        "last_class": "2nde",
        "place": "roubaix",
        "place_name": "Roubaix",
        "needs": ["job", "money"],
        "interests": ["sport"],
    }

    await ActionSituationSummary().run(dispatcher, tracker(slots=slots), DOMAIN)

    # The obligation de formation comes with orientation, not twice.
    assert said(dispatcher) == ["utter_situation_summary"]
    summary = dispatcher.messages[0]["summary"]
    assert "17 ans" in summary
    assert "rien en ce moment (depuis 6 mois)" in summary
    assert "seconde" in summary
    assert "Roubaix" in summary
    assert "un taf et des thunes" in summary


async def test_an_empty_summary_is_kind() -> None:
    dispatcher = CollectingDispatcher()
    slots = {"skipped_questions": ["age", "status"]}

    await ActionSituationSummary().run(dispatcher, tracker(slots=slots), DOMAIN)

    assert said(dispatcher) == ["utter_situation_summary_empty"]


async def test_a_commune_the_model_misread_is_still_taken_as_the_place(
    store: ProfileStore,
) -> None:
    message = tracker("Clichy-sous-Bois", intent="goodbye", requested="place")
    places = {"Clichy-sous-Bois": ("93014", "Clichy-sous-Bois")}

    events = await validator(store, places).run(CollectingDispatcher(), message, DOMAIN)

    assert SlotSet("place", "Clichy-sous-Bois") in events
    assert SlotSet("place_code", "93014") in events
