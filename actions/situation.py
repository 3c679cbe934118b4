"""The situation questions: one light question at a time, answers in any order.

Every message goes through :class:`ActionValidateSlotMappings` (Rasa runs it
after each user turn), which reads whatever the message says about the
situation, whether a question is pending or not, corrects what changed and
saves the profile. The form ``situation_form`` only decides what to ask next:
it skips what is known, what was refused, and "since when" when it would say
nothing. Wording lives in ``domain/situation.yml`` and
``data/situation/vocabulary.yml``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker, ValidationAction
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.profile import (
    LAST_CLASS,
    PLACE_CODE,
    PLACE_NAME,
    PROFILE_SLOTS,
    SKIPPED,
    PlaceCodes,
    PlaceLookup,
    ProfileStore,
    build_profile,
    shared_store,
)
from actions.reference_data import shared_source
from actions.situation_answers import (
    AGE,
    DIPLOMA,
    DONT_KNOW_INTENT,
    INTERESTS,
    NEEDS,
    PLACE,
    QUESTIONS,
    QUESTIONS_TO_THE_BOT,
    SINCE,
    SKIP_INTENT,
    STATUS,
    Message,
    Reading,
    Vocabulary,
    clean_place,
    load_vocabulary,
    read_message,
)
from bot.commands import CANCEL_FOLLOW_UPS, command_message

logger = logging.getLogger(__name__)

FORM = "situation_form"
REQUESTED_SLOT = "requested_slot"
STOPPED = "situation_stopped"
FROM_BIRTH_YEAR = "age_from_birth_year"
# "Since when" is only asked when it helps: how long they have been out.
SINCE_ASKED_FOR = frozenset({"nothing", "job_seeker"})
# Maraude is for 16-25 year-olds (DOMAIN.md); outside that, it says so kindly.
TARGET_MIN_AGE = 16
TARGET_MAX_AGE = 25
# Facts whose change is said back, so that a correction is seen to be taken.
CORRECTABLE = (AGE, STATUS, DIPLOMA, PLACE)


def latest_message(tracker: Tracker) -> Message:
    """The latest user message, with the question it may answer."""
    latest = tracker.latest_message or {}
    asked = (
        tracker.get_slot(REQUESTED_SLOT) if tracker.active_loop_name == FORM else None
    )
    return Message(
        text=latest.get("text") or "",
        intent=(latest.get("intent") or {}).get("name"),
        entities=latest.get("entities") or [],
        asked=asked if asked in QUESTIONS else None,
    )


def _union(known: list[str] | None, new: list[str]) -> list[str]:
    merged = list(known or [])
    merged.extend(code for code in new if code not in merged)
    return merged


def situation_changes(
    reading: Reading, slots: Mapping[str, Any], asked: str | None
) -> dict[str, Any]:
    """The slot values that ``reading`` changes, given the current ``slots``.

    A new answer replaces the old one ("non j'ai 18 ans"). Needs and
    interests said in passing are added to the known ones; as the answer to
    their question they replace them.
    """
    new: dict[str, Any] = {}
    if reading.age is not None:
        new[AGE] = float(reading.age)
        new[FROM_BIRTH_YEAR] = reading.age_from_birth_year
    if reading.status is not None:
        new[STATUS] = reading.status
        if reading.status != slots.get(STATUS) and reading.status_since is None:
            new[SINCE] = None  # "depuis 6 mois" was about the old status
    if reading.status_since is not None:
        new[SINCE] = reading.status_since
    if reading.diploma is not None:
        new[DIPLOMA] = reading.diploma
        new[LAST_CLASS] = reading.last_class
    if reading.place is not None:
        new[PLACE] = reading.place
        new[PLACE_CODE] = None
        new[PLACE_NAME] = None
    for slot, found in ((NEEDS, reading.needs), (INTERESTS, reading.interests)):
        if found:
            new[slot] = found if asked == slot else _union(slots.get(slot), found)

    skipped = [name for name in slots.get(SKIPPED) or [] if name not in new]
    if reading.skipped is not None and reading.skipped not in skipped:
        skipped.append(reading.skipped)
    if skipped != list(slots.get(SKIPPED) or []):
        new[SKIPPED] = skipped
    return {name: value for name, value in new.items() if slots.get(name) != value}


def missing_questions(slots: Mapping[str, Any]) -> list[str]:
    """The questions still to ask, in order: not known, not refused."""
    skipped = set(slots.get(SKIPPED) or [])
    wanted = [
        slot
        for slot in QUESTIONS
        if slot != SINCE or slots.get(STATUS) in SINCE_ASKED_FOR
    ]
    return [slot for slot in wanted if slot not in skipped and slots.get(slot) is None]


def _join(labels: list[str], vocabulary: Vocabulary) -> str:
    separator = vocabulary.summary["list_separator"]
    last = vocabulary.summary["list_last_separator"]
    if len(labels) < 2:
        return "".join(labels)
    return separator.join(labels[:-1]) + last + labels[-1]


def describe(slot: str, slots: Mapping[str, Any], vocabulary: Vocabulary) -> str | None:
    """How the bot says one known fact back ("19 ans"), or None if unknown."""
    templates = vocabulary.summary
    if slot == AGE and slots.get(AGE) is not None:
        return templates["age"].format(age=int(slots[AGE]))
    if slot == STATUS and slots.get(STATUS) in vocabulary.status.labels:
        status = vocabulary.status.labels[slots[STATUS]]
        if slots.get(SINCE):
            return templates["status_since"].format(status=status, since=slots[SINCE])
        return templates["status"].format(status=status)
    if slot == DIPLOMA and slots.get(DIPLOMA) is not None:
        code = slots.get(LAST_CLASS) or "no_diploma"
        entry = vocabulary.schooling_codes.get(code)
        if entry is None:
            return None
        if entry.diploma != slots[DIPLOMA]:  # in it, or failed it
            return templates["schooling_not_held"].format(schooling=entry.label)
        return templates["schooling"].format(schooling=entry.label)
    if slot == PLACE and slots.get(PLACE):
        return templates["place"].format(place=slots.get(PLACE_NAME) or slots[PLACE])
    for name, section, key in (
        (NEEDS, vocabulary.needs, "needs"),
        (INTERESTS, vocabulary.interests, "interests"),
    ):
        if slot == name and slots.get(name):
            labels = [
                section.labels[code] for code in slots[name] if code in section.labels
            ]
            return templates[key].format(**{key: _join(labels, vocabulary)})
    return None


def summary_lines(slots: Mapping[str, Any], vocabulary: Vocabulary) -> list[str]:
    """One line per known fact, in the order the questions come."""
    lines = []
    for slot in (AGE, STATUS, DIPLOMA, PLACE, NEEDS, INTERESTS):
        line = describe(slot, slots, vocabulary)
        if line:
            lines.append(line)
    return lines


@lru_cache(maxsize=1)
def shared_place_codes() -> PlaceCodes:
    return PlaceCodes(shared_source().index)


class ActionValidateSlotMappings(ValidationAction):
    """Reads the situation from every message, corrects it, saves the profile.

    Rasa calls this action (its name is fixed) after each user message, in
    the form or not: so "j'ai 19 ans je suis sur Roubaix" fills two slots at
    once, and "non j'ai 18 ans" corrects the age at any time. One reading of
    the message fills every situation slot, rather than one ``extract_``
    method per slot reading the same text again; other topics can still add
    their ``extract_`` methods here, the parent class runs them.

    Args:
        store: where profiles are saved; the shared one by default.
        places: INSEE codes for typed places; the shared one by default.
        today: the date, for birth years and durations.
    """

    def __init__(
        self,
        store: ProfileStore | None = None,
        places: PlaceLookup | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._store = store
        self._places = places
        self._today = today

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        events: list[EventType] = await super().run(dispatcher, tracker, domain)
        message = latest_message(tracker)
        if not message.text:
            return events
        vocabulary = load_vocabulary()
        reading = read_message(message, vocabulary, self._today())
        if message.asked == PLACE and not reading.says_anything():
            await self._place_from_index(message, reading)
        slots = tracker.current_slot_values()
        changes = situation_changes(reading, slots, message.asked)
        if not changes:
            return events

        if changes.get(PLACE):
            changes.update(await self._place_code(changes[PLACE]))
        after = {**slots, **changes}
        self._say_back(dispatcher, slots, after, changes, vocabulary)
        await self._save(tracker.sender_id, after, vocabulary)
        logger.debug(
            "Situation of %s: %s changed", tracker.sender_id, ", ".join(sorted(changes))
        )
        return [*events, *(SlotSet(name, value) for name, value in changes.items())]

    def _say_back(
        self,
        dispatcher: CollectingDispatcher,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        changes: Mapping[str, Any],
        vocabulary: Vocabulary,
    ) -> None:
        corrected = [
            describe(slot, after, vocabulary)
            for slot in CORRECTABLE
            if slot in changes and before.get(slot) is not None
        ]
        if any(corrected):
            what = _join([line for line in corrected if line], vocabulary)
            dispatcher.utter_message(response="utter_situation_corrected", what=what)
        if AGE in changes and after.get(AGE) is not None:
            age = int(after[AGE])
            if age < TARGET_MIN_AGE:
                dispatcher.utter_message(response="utter_situation_age_young")
            elif age > TARGET_MAX_AGE:
                dispatcher.utter_message(response="utter_situation_age_older")

    async def _place_from_index(self, message: Message, reading: Reading) -> None:
        """A commune name the model took for something else ("Clichy-sous-Bois"
        read as a goodbye) is still the answer when the place index knows it."""
        if message.intent in QUESTIONS_TO_THE_BOT or message.intent == SKIP_INTENT:
            return
        typed = clean_place(message.text)
        if typed and await self._place_code(typed):
            reading.place = typed

    async def _place_code(self, place: str) -> dict[str, Any]:
        places = self._places or shared_place_codes()
        found = await asyncio.to_thread(places.code_of, place)
        if found is None:
            return {}
        code, name = found
        return {PLACE_CODE: code, PLACE_NAME: name}

    async def _save(
        self, conversation_id: str, slots: Mapping[str, Any], vocabulary: Vocabulary
    ) -> None:
        store = self._store or shared_store()
        profile = build_profile(
            {name: slots.get(name) for name in PROFILE_SLOTS}, self._today()
        )
        # The same words the young person read, for the counsellor's console.
        profile["summary"] = summary_lines(slots, vocabulary)
        await asyncio.to_thread(store.save, conversation_id, profile)


class ValidateSituationForm(FormValidationAction):
    """Chooses the next question of ``situation_form``.

    The slots were already read and checked by ``action_validate_slot_mappings``
    for this message; this action only skips what is known or refused, and
    acknowledges a refusal so that the form moves on instead of asking again.
    """

    def name(self) -> str:
        return "validate_situation_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        slots = tracker.current_slot_values()
        skipped = set(slots.get(SKIPPED) or [])
        return [
            slot
            for slot in domain_slots
            if slot not in skipped
            and (slot != SINCE or slots.get(STATUS) in SINCE_ASKED_FOR)
        ]

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        # Already validated when the message came in: echoing the values back
        # tells the form they are valid.
        return [
            SlotSet(name, value) for name, value in tracker.slots_to_validate().items()
        ]

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        asked = tracker.get_slot(REQUESTED_SLOT)
        events: list[EventType] = await super().run(dispatcher, tracker, domain)
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        skipped = tracker.get_slot(SKIPPED) or []
        if intent in (SKIP_INTENT, DONT_KNOW_INTENT) and asked in skipped:
            dispatcher.utter_message(response="utter_situation_skipped")
            # A slot set here tells the form the turn was handled: without
            # it, a refusal would count as "nothing extracted" and be rejected.
            events.append(SlotSet(SKIPPED, skipped))
        return events


class ActionStartSituation(Action):
    """Starts the questions, or resumes them where they stopped."""

    def name(self) -> str:
        return "action_start_situation"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        slots = tracker.current_slot_values()
        missing = missing_questions(slots)
        if missing == [question for question in QUESTIONS if question != SINCE]:
            dispatcher.utter_message(response="utter_situation_intro")
        elif missing:
            dispatcher.utter_message(response="utter_situation_resume")
        logger.info("Situation questions started for %s", tracker.sender_id)
        return [SlotSet(STOPPED, False)]


class ActionStopSituation(Action):
    """Stops the questions until the young person asks for them again."""

    def name(self) -> str:
        return "action_stop_situation"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_situation_stopped")
        # "stop" also means no more follow-ups: the gateway cancels them.
        dispatcher.utter_message(json_message=command_message(CANCEL_FOLLOW_UPS))
        logger.info("Situation questions stopped for %s", tracker.sender_id)
        return [SlotSet(STOPPED, True), SlotSet(REQUESTED_SLOT, None)]


class ActionExplainQuestion(Action):
    """Says honestly why the pending question is asked, and that it can wait."""

    def name(self) -> str:
        return "action_explain_question"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        asked = (
            tracker.get_slot(REQUESTED_SLOT)
            if tracker.active_loop_name == FORM
            else None
        )
        response = f"utter_why_{asked}"
        if asked is None or response not in domain.get("responses", {}):
            response = "utter_why_general"
        dispatcher.utter_message(response=response)
        return []


class ActionSituationSummary(Action):
    """Says back what was learnt, once the questions are over."""

    def name(self) -> str:
        return "action_situation_summary"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        slots = tracker.current_slot_values()
        lines = summary_lines(slots, load_vocabulary())
        if not lines:
            dispatcher.utter_message(response="utter_situation_summary_empty")
            return []
        summary = "\n".join(f"• {line}" for line in lines)
        # What they may be entitled to (the obligation de formation at 16-17
        # included) comes next, from orientation (action_orient).
        dispatcher.utter_message(response="utter_situation_summary", summary=summary)
        return []
