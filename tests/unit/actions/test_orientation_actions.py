"""The orientation actions on the fixture data: what is said, what is set."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from actions.orientation import (
    ActionAskOrientationOutcome,
    ActionOrient,
    ValidateOrientationForm,
)
from actions.profile import ProfileStore
from actions.reference_data import RETRY_SECONDS, OrientationSource
from bot.db import create_engine_for, session_factory
from bot.db.models import Conversation
from bot.orientation.eligibility import load_schemes
from bot.orientation.errors import SchemesError

TODAY = date(2026, 12, 3)
CONVERSATION = "conv-orientation"
TELEGRAM_CALLBACK_MAX_BYTES = 64  # Telegram's limit for a button's payload
DOMAIN: dict[str, Any] = {"slots": {}, "responses": {}}


def tracker(
    text: str = "c'est où ma mission locale",
    intent: str = "ask_orientation",
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    in_form: bool = False,
) -> Tracker:
    return Tracker(
        sender_id=CONVERSATION,
        slots={"requested_slot": "orientation_outcome" if in_form else None}
        | (slots or {}),
        latest_message={
            "text": text,
            "intent": {"name": intent},
            "entities": entities or [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": "orientation_form"} if in_form else {},
        latest_action_name="action_listen",
    )


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [message["response"] for message in dispatcher.messages]


def message(dispatcher: CollectingDispatcher, response: str) -> dict[str, Any]:
    found = [m for m in dispatcher.messages if m["response"] == response]
    assert found, f"{response} not said; said {responses(dispatcher)}"
    said: dict[str, Any] = found[0]
    return said


def slots_set(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@pytest.fixture
def store(sessions: sessionmaker[Session], database_url: str) -> ProfileStore:
    with sessions.begin() as session:
        session.add(Conversation(id=CONVERSATION, channel="webchat", profile={}))
    return ProfileStore(database_url)


def orient(source: OrientationSource, store: ProfileStore) -> ActionOrient:
    return ActionOrient(source=source, store=store, today=lambda: TODAY)


async def test_a_minor_out_of_school_in_roubaix_gets_her_mission_locale_and_rights(
    source: OrientationSource, store: ProfileStore
) -> None:
    dispatcher = CollectingDispatcher()
    slots = {"age": 17.0, "status": "nothing", "place": "roubaix"}

    events = await orient(source, store).run(dispatcher, tracker(slots=slots), DOMAIN)

    ml = message(dispatcher, "utter_orientation_mission_locale")
    assert ml["name"] == "Mission Locale Roubaix"
    assert ml["address"] == "92 avenue Jean Baptiste Lebas, 59100 Roubaix"
    assert ml["map_url"].startswith("https://www.openstreetmap.org/search?query=92+")
    assert "utter_orientation_first_visit" in responses(dispatcher)
    schemes = message(dispatcher, "utter_orientation_schemes")["schemes"]
    assert "Obligation de formation" in schemes
    assert "224,68" in schemes
    assert "1er avril 2025" in schemes
    assert "Mission Locale :" not in schemes  # already named above
    assert responses(dispatcher)[-1] == "utter_orientation_next_step"
    set_ = slots_set(events)
    assert set_["orientation_asking"] is False
    assert set_["place_code"] == "59512"
    assert set_["next_step"] == "passer à ta Mission Locale (Mission Locale Roubaix)"
    profile = store.load(CONVERSATION)
    assert profile is not None
    assert profile["orientation"]["mission_locales"] == ["Mission Locale Roubaix"]
    assert "obligation_formation" in profile["orientation"]["schemes"]


async def test_unchecked_conditions_are_said_plainly(
    source: OrientationSource, store: ProfileStore
) -> None:
    dispatcher = CollectingDispatcher()
    slots = {"age": 22.0, "place_code": "13203"}

    await orient(source, store).run(dispatcher, tracker(slots=slots), DOMAIN)

    schemes = message(dispatcher, "utter_orientation_schemes")["schemes"]
    assert "À vérifier : " in schemes
    assert "Ne pas toucher le RSA" in schemes


async def test_outside_the_coverage_map_the_department_is_listed_not_guessed(
    source: OrientationSource, store: ProfileStore
) -> None:
    dispatcher = CollectingDispatcher()

    await orient(source, store).run(
        dispatcher, tracker(slots={"place": "saint etienne", "age": 20.0}), DOMAIN
    )

    listed = message(dispatcher, "utter_orientation_department_list")
    assert listed["place"] == "Saint-Étienne"
    assert "Mission Locale Saint Etienne et Couronne Stéphanoise" in listed["list"]
    assert "Mission Locale Roanne" in listed["list"]
    assert "utter_orientation_mission_locale" not in responses(dispatcher)


async def test_an_unsettled_place_has_the_form_ask_first(
    source: OrientationSource, store: ProfileStore
) -> None:
    dispatcher = CollectingDispatcher()

    events = await orient(source, store).run(dispatcher, tracker(), DOMAIN)

    assert slots_set(events) == {"orientation_asking": True}
    assert dispatcher.messages == []


async def test_without_imported_data_the_bot_says_so_and_offers_a_counsellor(
    database_url: str, store: ProfileStore
) -> None:
    empty = session_factory(create_engine_for(database_url))
    unavailable = OrientationSource(lambda: empty)
    dispatcher = CollectingDispatcher()

    events = await orient(unavailable, store).run(
        dispatcher, tracker(slots={"age": 20.0}), DOMAIN
    )

    said = responses(dispatcher)
    assert said[0] == "utter_orientation_unavailable"
    assert "utter_orientation_schemes" in said  # the schemes need no open data
    assert said[-1] == "utter_orientation_next_step"
    assert slots_set(events)["orientation_asking"] is False


async def test_a_broken_schemes_table_still_gives_the_mission_locale(
    source: OrientationSource, store: ProfileStore
) -> None:
    def broken() -> Any:
        raise SchemesError("schemes.yml has 1 problem(s)")

    action = ActionOrient(source=source, schemes=broken, store=store)
    dispatcher = CollectingDispatcher()

    await action.run(dispatcher, tracker(slots={"place_code": "59512"}), DOMAIN)

    assert "utter_orientation_mission_locale" in responses(dispatcher)
    assert "utter_orientation_schemes" not in responses(dispatcher)
    assert responses(dispatcher)[-1] == "utter_orientation_next_step"


async def test_after_the_form_gave_up_the_bot_offers_help_without_a_place(
    source: OrientationSource, store: ProfileStore
) -> None:
    dispatcher = CollectingDispatcher()
    slots = {"orientation_outcome": "gave_up", "age": 19.0}

    events = await orient(source, store).run(
        dispatcher, tracker("zrgzrg", "inform", slots), DOMAIN
    )

    assert responses(dispatcher)[0] == "utter_orientation_gave_up"
    set_ = slots_set(events)
    assert set_["orientation_outcome"] is None
    assert set_["next_step"] == "trouver ta Mission Locale"


async def test_the_form_asks_with_one_button_per_homonym(
    source: OrientationSource,
) -> None:
    dispatcher = CollectingDispatcher()
    activation = await ValidateOrientationForm(source).run(
        dispatcher, tracker(slots={"place": "st denis"}), DOMAIN
    )
    set_ = slots_set(activation)
    assert set_["orientation_prompt"] == "choose"
    assert set_["requested_slot"] == "orientation_outcome"

    await ActionAskOrientationOutcome(source).run(
        dispatcher, tracker(slots=set_, in_form=True), DOMAIN
    )

    asked = message(dispatcher, "utter_orientation_choose")
    assert asked["name"] == "Saint-Denis"
    titles = [button["title"] for button in asked["buttons"]]
    assert "Saint-Denis (93)" in titles
    assert titles[-1] == "Non, aucune"
    for button in asked["buttons"]:
        assert len(button["payload"].encode()) <= TELEGRAM_CALLBACK_MAX_BYTES
    assert '/choose_place{"place_code":"93066"}' in [
        button["payload"] for button in asked["buttons"]
    ]


async def test_the_form_settles_a_clicked_commune(source: OrientationSource) -> None:
    dispatcher = CollectingDispatcher()
    click = tracker(
        '/choose_place{"place_code":"93066"}',
        "choose_place",
        {"orientation_prompt": "choose", "orientation_candidates": ["93066"]},
        entities=[{"entity": "place_code", "value": "93066"}],
        in_form=True,
    )

    events = await ValidateOrientationForm(source).run(dispatcher, click, DOMAIN)

    set_ = slots_set(events)
    assert set_["orientation_outcome"] == "found"
    assert set_["place_code"] == "93066"
    assert set_["requested_slot"] is None


async def test_the_form_lets_a_request_for_a_human_through(
    source: OrientationSource,
) -> None:
    dispatcher = CollectingDispatcher()
    asks_human = tracker("je veux parler à quelqu'un", "request_human", in_form=True)
    events = await ValidateOrientationForm(source).run(dispatcher, asks_human, DOMAIN)

    assert events == []


async def test_a_miss_is_said_back_with_what_was_typed(
    source: OrientationSource,
) -> None:
    dispatcher = CollectingDispatcher()
    miss = tracker("zrgzrg", "inform", {"orientation_prompt": "ask"}, in_form=True)
    events = await ValidateOrientationForm(source).run(dispatcher, miss, DOMAIN)
    set_ = slots_set(events)
    assert (set_["orientation_prompt"], set_["orientation_misses"]) == ("again", 1.0)

    await ActionAskOrientationOutcome(source).run(
        dispatcher, tracker(slots=set_, in_form=True), DOMAIN
    )

    assert message(dispatcher, "utter_orientation_ask_again")["typed"] == "zrgzrg"


def test_the_schemes_table_in_the_repository_loads() -> None:
    assert load_schemes().schemes


def test_missing_data_is_tried_again_only_after_a_delay(
    database_url: str, orientation_sessions: sessionmaker[Session]
) -> None:
    empty = session_factory(create_engine_for(database_url))
    factories = [empty]
    now = [0.0]
    source = OrientationSource(lambda: factories[-1], clock=lambda: now[0])

    assert source.get() is None
    factories.append(orientation_sessions)  # the data is imported meanwhile
    now[0] = RETRY_SECONDS - 1
    assert source.get() is None
    now[0] = RETRY_SECONDS + 1
    data = source.get()

    assert data is not None
    assert data.index.get("59512") is not None
