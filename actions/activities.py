"""Things to do: suggestions from the activity catalogue, and a first step.

``action_suggest_activities`` asks what they like when nobody knows yet (one
question), then shows two or three ideas, each with its "Ça me tente"
button; "pas pour moi" runs it again and gets others, since every id shown
is kept in ``activities_shown``. ``action_choose_activity`` gives one small
step for this week and sets ``next_step`` for the check-back question that
the rules ask next (``domain/followups.yml``). The choice of ideas is
``bot/activities``; the wording is ``domain/activities.yml``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.followups import NEXT_STEP
from actions.profile import PLACE_CODE, SKIPPED, ProfileStore, shared_store
from actions.situation_answers import (
    AGE,
    INTERESTS,
    NEEDS,
    Message,
    load_vocabulary,
    read_message,
)
from bot.activities.catalogue import Catalogue, CatalogueError, CatalogueSource
from bot.activities.recommend import Profile, Suggestion, recommend
from bot.activities.schema import CHOOSE_PAYLOAD_PREFIX, CHOOSE_PAYLOAD_SUFFIX
from bot.config import get_settings

logger = logging.getLogger(__name__)

STAGE = "activities_stage"
SHOWN = "activities_shown"
CHOSEN = "activity_chosen"
ACTIVITY_ID = "activity_id"
ASKING_INTERESTS = "asking_interests"
SUGGESTED = "suggested"
# After "none left", a "non merci" is not a "pas pour moi": no new round.
NONE_LEFT = "none_left"
CHOSEN_STAGE = "chosen"
DETAILS_SEPARATOR = " · "


@lru_cache(maxsize=1)
def shared_catalogue() -> CatalogueSource:
    """The action server's catalogue, reloaded when a local file changes."""
    return CatalogueSource(get_settings().activities_local_dir)


def choose_payload(activity_id: str) -> str:
    """The payload of a "Ça me tente" button (at most 64 bytes, see schema)."""
    return f"{CHOOSE_PAYLOAD_PREFIX}{activity_id}{CHOOSE_PAYLOAD_SUFFIX}"


def typed_texts(tracker: Tracker) -> str:
    """Everything the young person typed in this conversation (not buttons),
    to find their own words for what they like."""
    texts = [
        str(event.get("text") or "")
        for event in tracker.events
        if event.get("event") == "user"
    ]
    return "\n".join(text for text in texts if text and not text.startswith("/"))


def profile_of(slots: Mapping[str, Any], interests: list[str], said: str) -> Profile:
    age = slots.get(AGE)
    return Profile(
        interests=tuple(interests),
        needs=tuple(slots.get(NEEDS) or ()),
        age=None if age is None else int(age),
        commune=slots.get(PLACE_CODE),
        said=said,
        shown=frozenset(slots.get(SHOWN) or ()),
    )


def suggestion_values(suggestion: Suggestion) -> dict[str, str]:
    """The values of ``utter_activity_suggestion`` for one suggestion."""
    entry = suggestion.entry
    details = [suggestion.cost, suggestion.ages, entry.schedule, entry.where.place]
    return {
        "title": entry.title,
        "reason": suggestion.reason,
        "details": DETAILS_SEPARATOR.join(part for part in details if part),
        "first_step": entry.first_step,
        "more": f"\n🔗 {entry.link}" if entry.link else "",
    }


class _CatalogueAccess:
    """Shared by both actions: the catalogue, the profile store, the date.

    Not an :class:`Action` itself: rasa-sdk registers every subclass of it,
    and this one has no name.
    """

    def __init__(
        self,
        catalogue: Callable[[], Catalogue] | None = None,
        store: ProfileStore | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._catalogue = catalogue
        self._store = store
        self._today = today

    def catalogue(self) -> Catalogue | None:
        """The catalogue, or None when it cannot be loaded (logged)."""
        try:
            return (self._catalogue or shared_catalogue().get)()
        except (CatalogueError, OSError):
            logger.exception("Activity catalogue unavailable")
            return None

    async def save(self, conversation_id: str, values: Mapping[str, Any]) -> None:
        store = self._store or shared_store()
        await asyncio.to_thread(store.save, conversation_id, dict(values))


class ActionSuggestActivities(_CatalogueAccess, Action):
    """Asks what they like if unknown, then shows two or three new ideas."""

    def name(self) -> str:
        return "action_suggest_activities"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        slots = tracker.current_slot_values()
        interests = list(slots.get(INTERESTS) or [])
        events: list[EventType] = []

        if slots.get(STAGE) == ASKING_INTERESTS:
            found = self._interests_in_answer(tracker, interests)
            if found:
                interests.extend(found)
                events.append(SlotSet(INTERESTS, interests))
        elif not interests and INTERESTS not in (slots.get(SKIPPED) or []):
            dispatcher.utter_message(response="utter_ask_activity_interests")
            return [SlotSet(STAGE, ASKING_INTERESTS)]

        catalogue = self.catalogue()
        profile = profile_of(slots, interests, typed_texts(tracker))
        suggestions = recommend(catalogue, profile, self._today()) if catalogue else []
        if not suggestions:
            dispatcher.utter_message(response="utter_activities_none_left")
            logger.info("No activity left to suggest to %s", tracker.sender_id)
            return [*events, SlotSet(STAGE, NONE_LEFT)]

        intro = (
            "utter_activities_intro_more" if profile.shown else "utter_activities_intro"
        )
        dispatcher.utter_message(response=intro)
        for suggestion in suggestions:
            dispatcher.utter_message(
                response="utter_activity_suggestion",
                buttons=[
                    {
                        "title": self._button_title(domain),
                        "payload": choose_payload(suggestion.entry.id),
                    }
                ],
                **suggestion_values(suggestion),
            )
        dispatcher.utter_message(response="utter_activities_choose")

        shown = [*(slots.get(SHOWN) or []), *(s.entry.id for s in suggestions)]
        await self.save(tracker.sender_id, {INTERESTS: interests, SHOWN: shown})
        logger.info(
            "Suggested %d activities to %s", len(suggestions), tracker.sender_id
        )
        return [*events, SlotSet(SHOWN, shown), SlotSet(STAGE, SUGGESTED)]

    @staticmethod
    def _button_title(domain: Mapping[str, Any]) -> str:
        """The "Ça me tente" title, from the domain so staff can reword it."""
        variants = domain.get("responses", {}).get("utter_activity_choose_button")
        if variants and variants[0].get("text"):
            return str(variants[0]["text"])
        return "Ça me tente"

    def _interests_in_answer(self, tracker: Tracker, known: list[str]) -> list[str]:
        """The interests in the answer to "qu'est-ce que tu kiffes ?".

        Read as the situation questions read theirs, bare words included
        ("le foot"); outside their question, only "j'aime le foot" would count.
        """
        latest = tracker.latest_message or {}
        message = Message(
            text=latest.get("text") or "",
            intent=(latest.get("intent") or {}).get("name"),
            entities=latest.get("entities") or [],
            asked=INTERESTS,
        )
        reading = read_message(message, load_vocabulary(), self._today())
        return [code for code in reading.interests if code not in known]


class ActionChooseActivity(_CatalogueAccess, Action):
    """Gives one small step for this week and sets ``next_step``."""

    def name(self) -> str:
        return "action_choose_activity"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        activity_id = next(tracker.get_latest_entity_values(ACTIVITY_ID), None)
        catalogue = self.catalogue()
        activity = (
            catalogue.get(str(activity_id)) if catalogue and activity_id else None
        )
        if activity is None:
            dispatcher.utter_message(response="utter_activity_which")
            return [SlotSet(STAGE, SUGGESTED)]

        entry = activity.entry
        dispatcher.utter_message(
            response="utter_activity_next_step",
            title=entry.title,
            how_to_join=entry.how_to_join,
            first_step=entry.first_step,
        )
        await self.save(
            tracker.sender_id,
            {CHOSEN: entry.id, "activity_next_step": entry.first_step},
        )
        logger.info("Activity %s chosen by %s", entry.id, tracker.sender_id)
        return [
            SlotSet(CHOSEN, entry.id),
            SlotSet(NEXT_STEP, entry.first_step),
            SlotSet(STAGE, CHOSEN_STAGE),
        ]
