"""The activities actions: asking what they like, showing ideas with their
buttons, never the same twice, and the next step once one is chosen."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from actions.activities import (
    ActionChooseActivity,
    ActionSuggestActivities,
    choose_payload,
)
from actions.profile import ProfileStore
from bot.activities.catalogue import Catalogue, load_catalogue
from bot.db.models import Conversation
from tests.unit.activities.test_catalogue import LOCAL

TODAY = date(2026, 12, 4)
CONVERSATION = "conv-activities"
DOMAIN: dict[str, Any] = {
    "responses": {"utter_activity_choose_button": [{"text": "Ça me tente"}]}
}
LILLE_FOOT_MUSIC = {
    "interests": ["sport", "music"],
    "age": 19.0,
    "place_code": "59350",
}


@pytest.fixture
def store(sessions: sessionmaker[Session], database_url: str) -> ProfileStore:
    with sessions.begin() as session:
        session.add(Conversation(id=CONVERSATION, channel="webchat", profile={}))
    return ProfileStore(database_url)


def catalogue() -> Catalogue:
    return load_catalogue(local_dir=LOCAL)


def tracker(
    text: str,
    intent: str,
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    earlier: tuple[str, ...] = (),
) -> Tracker:
    said = [*earlier, text]
    return Tracker(
        sender_id=CONVERSATION,
        slots=slots or {},
        latest_message={
            "text": text,
            "intent": {"name": intent},
            "entities": entities or [],
        },
        events=[{"event": "user", "text": line} for line in said],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def suggest(store: ProfileStore) -> ActionSuggestActivities:
    return ActionSuggestActivities(
        catalogue=catalogue, store=store, today=lambda: TODAY
    )


def choose(store: ProfileStore) -> ActionChooseActivity:
    return ActionChooseActivity(catalogue=catalogue, store=store, today=lambda: TODAY)


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events}


def shown_ids(dispatcher: CollectingDispatcher) -> list[str]:
    return [
        button["payload"].split('"activity_id":"')[1].rstrip('"}')
        for message in dispatcher.messages
        for button in message.get("buttons") or []
        if button["payload"].startswith("/choose_activity")
    ]


async def test_with_interests_unknown_it_asks_what_they_like_once(
    store: ProfileStore,
) -> None:
    dispatcher = CollectingDispatcher()

    events = await suggest(store).run(
        dispatcher, tracker("t'as des idées de trucs à faire", "ask_activities"), DOMAIN
    )

    assert [m["response"] for m in dispatcher.messages] == [
        "utter_ask_activity_interests"
    ]
    assert slots_of(events) == {"activities_stage": "asking_interests"}


async def test_the_answer_to_what_they_like_is_read_even_as_bare_words(
    store: ProfileStore,
) -> None:
    dispatcher = CollectingDispatcher()
    answer = tracker(
        "le foot et la musique",
        "inform",
        slots={"activities_stage": "asking_interests", "place_code": "59350"},
    )

    events = await suggest(store).run(dispatcher, answer, DOMAIN)

    slots = slots_of(events)
    assert slots["interests"] == ["sport", "music"]
    assert slots["activities_stage"] == "suggested"
    assert shown_ids(dispatcher)[:2] == [
        "test-lille-foot-salle",
        "test-nord-beatmaking",
    ]
    profile = store.load(CONVERSATION)
    assert profile is not None
    assert profile["interests"] == ["sport", "music"]
    assert profile["activities_shown"] == slots["activities_shown"]


async def test_a_dont_know_to_what_they_like_still_gives_ideas(
    store: ProfileStore,
) -> None:
    dispatcher = CollectingDispatcher()
    answer = tracker("jsp", "dont_know", slots={"activities_stage": "asking_interests"})

    events = await suggest(store).run(dispatcher, answer, DOMAIN)

    assert 2 <= len(shown_ids(dispatcher)) <= 3
    assert slots_of(events)["activities_stage"] == "suggested"


async def test_ideas_come_with_reason_cost_first_step_and_a_button_each(
    store: ProfileStore,
) -> None:
    dispatcher = CollectingDispatcher()
    ask = tracker(
        "des activités ?",
        "ask_activities",
        slots=LILLE_FOOT_MUSIC,
        earlier=("wesh", "je kiffe le foot et la musique"),
    )

    await suggest(store).run(dispatcher, ask, DOMAIN)

    responses = [m["response"] for m in dispatcher.messages]
    assert responses[0] == "utter_activities_intro"
    assert responses[-1] == "utter_activities_choose"
    ideas = [
        m for m in dispatcher.messages if m["response"] == "utter_activity_suggestion"
    ]
    assert len(ideas) == 3
    foot = ideas[0]
    assert foot["title"] == "Foot en salle du mercredi (exemple de test)"
    assert (
        foot["reason"] == "tu m'as dit que tu kiffes le foot et c'est près de chez toi"
    )
    assert foot["details"] == (
        "Gratuit · pour les 16-25 ans · le mercredi de 18 h à 20 h · "
        "à Lille (gymnase d'exemple)"
    )
    assert foot["first_step"] == "aller au foot en salle mercredi à 18 h"
    assert foot["more"] == ""
    assert foot["buttons"] == [
        {"title": "Ça me tente", "payload": choose_payload("test-lille-foot-salle")}
    ]
    assert all(
        len(p.encode()) <= 64 for p in map(choose_payload, shown_ids(dispatcher))
    )


async def test_not_for_me_gets_others_and_nothing_twice(store: ProfileStore) -> None:
    first = CollectingDispatcher()
    events = await suggest(store).run(
        first, tracker("des idées ?", "ask_activities", slots=LILLE_FOOT_MUSIC), DOMAIN
    )
    shown = slots_of(events)["activities_shown"]

    second = CollectingDispatcher()
    again = tracker(
        "pas pour moi",
        "not_for_me",
        slots={**LILLE_FOOT_MUSIC, "activities_shown": shown},
    )
    events = await suggest(store).run(second, again, DOMAIN)

    assert second.messages[0]["response"] == "utter_activities_intro_more"
    assert not set(shown_ids(second)) & set(shown)
    assert slots_of(events)["activities_shown"] == shown + shown_ids(second)


async def test_when_none_is_left_it_says_so_and_offers_a_counsellor(
    store: ProfileStore,
) -> None:
    everything = [activity.entry.id for activity in catalogue().activities]
    dispatcher = CollectingDispatcher()
    again = tracker(
        "autre chose",
        "not_for_me",
        slots={**LILLE_FOOT_MUSIC, "activities_shown": everything},
    )

    events = await suggest(store).run(dispatcher, again, DOMAIN)

    assert [m["response"] for m in dispatcher.messages] == [
        "utter_activities_none_left"
    ]
    assert slots_of(events) == {"activities_stage": "none_left"}


async def test_a_broken_catalogue_gets_the_kind_none_left_answer(
    store: ProfileStore,
) -> None:
    def broken() -> Catalogue:
        raise OSError("disk gone")

    action = ActionSuggestActivities(catalogue=broken, store=store)
    dispatcher = CollectingDispatcher()

    await action.run(
        dispatcher, tracker("des idées", "ask_activities", LILLE_FOOT_MUSIC), DOMAIN
    )

    assert [m["response"] for m in dispatcher.messages] == [
        "utter_activities_none_left"
    ]


async def test_choosing_one_gives_a_next_step_and_sets_it_for_the_check_back(
    store: ProfileStore,
) -> None:
    dispatcher = CollectingDispatcher()
    chosen = tracker(
        '/choose_activity{"activity_id":"test-lille-foot-salle"}',
        "choose_activity",
        entities=[{"entity": "activity_id", "value": "test-lille-foot-salle"}],
    )

    events = await choose(store).run(dispatcher, chosen, DOMAIN)

    assert dispatcher.messages[0]["response"] == "utter_activity_next_step"
    assert (
        dispatcher.messages[0]["first_step"] == "aller au foot en salle mercredi à 18 h"
    )
    assert slots_of(events) == {
        "activity_chosen": "test-lille-foot-salle",
        "next_step": "aller au foot en salle mercredi à 18 h",
        "activities_stage": "chosen",
    }
    profile = store.load(CONVERSATION)
    assert profile is not None
    assert profile["activity_chosen"] == "test-lille-foot-salle"


@pytest.mark.parametrize(
    "entities",
    [[], [{"entity": "activity_id", "value": "no-such-thing"}]],
)
async def test_choosing_without_a_known_id_asks_which(
    store: ProfileStore, entities: list[dict[str, Any]]
) -> None:
    dispatcher = CollectingDispatcher()

    events = await choose(store).run(
        dispatcher,
        tracker("celui-là me tente", "choose_activity", entities=entities),
        DOMAIN,
    )

    assert [m["response"] for m in dispatcher.messages] == ["utter_activity_which"]
    assert slots_of(events) == {"activities_stage": "suggested"}


def test_the_action_server_registers_both_actions() -> None:
    executor = ActionExecutor()

    executor.register_package("actions.activities")

    assert {"action_suggest_activities", "action_choose_activity"} <= set(
        executor.actions
    )
