"""Where to go: the young person's Mission Locale and the schemes that may fit.

``action_orient`` answers straight away when the place is settled (a commune
known from the situation questions, or chosen with a button). Otherwise it
sets ``orientation_asking``, and the form ``orientation_form`` asks for the
commune: ``validate_orientation_form`` reads each answer (decisions in
``actions/orientation_steps.py``) and ``action_ask_orientation_outcome``
words the question, with buttons for homonyms and spelling guesses. When the
form ends, ``action_orient`` answers, then offers the choice: a counsellor, a
reminder later, or nothing.

Everything is read from open data loaded once per process (restart the action
server after an import); when it is not there, the bot says it cannot look it
up and offers a counsellor. Wording is in ``domain/orientation.yml`` and
``data/orientation/fr.yml``; schemes in ``data/orientation/schemes.yml``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.followups import NEXT_STEP
from actions.orientation_steps import (
    Ask,
    Outcome,
    PlaceState,
    Prompt,
    Said,
    Settled,
    Step,
    answer_step,
    entry_step,
)
from actions.profile import (
    PLACE_CODE,
    PLACE_NAME,
    SKIPPED,
    ProfileStore,
    shared_store,
)
from actions.reference_data import OrientationData, OrientationSource, shared_source
from actions.situation_answers import AGE, DIPLOMA, PLACE, STATUS
from bot.config import PROJECT_ROOT
from bot.orientation.eligibility import (
    Diploma,
    Profile,
    SchemeMatch,
    SchemesFile,
    Status,
    eligible_schemes,
    load_schemes,
)
from bot.orientation.errors import OrientationError
from bot.orientation.missions_locales import (
    Certainty,
    MissionLocaleAnswer,
    MissionLocaleInfo,
)
from bot.orientation.places import Place

logger = logging.getLogger(__name__)

FORM = "orientation_form"
ASKING = "orientation_asking"
OUTCOME = "orientation_outcome"
PROMPT = "orientation_prompt"
CANDIDATES = "orientation_candidates"
MISSES = "orientation_misses"
TURNS = "orientation_turns"
TYPED = "orientation_typed"
DEPARTMENT = "orientation_department"
REQUESTED_SLOT = "requested_slot"
ASK_INTENT = "ask_orientation"
CHOOSE_PAYLOAD = '/choose_place{{"place_code":"{code}"}}'
NONE_OF_THESE_PAYLOAD = "/deny"
# The scheme that is the Mission Locale itself: not listed again when the
# Mission Locale was just named.
MISSION_LOCALE_SCHEME = "mission_locale"
WORDING_FILE = PROJECT_ROOT / "data" / "orientation" / "fr.yml"


@lru_cache(maxsize=1)
def wording(path: Path = WORDING_FILE) -> dict[str, str]:
    """The line templates of ``data/orientation/fr.yml``."""
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(key): str(value) for key, value in loaded.items()}


@lru_cache(maxsize=1)
def shared_schemes() -> SchemesFile:
    return load_schemes()


def place_state(tracker: Tracker) -> PlaceState:
    slots = tracker.current_slot_values()
    prompt = slots.get(PROMPT)
    return PlaceState(
        place=slots.get(PLACE),
        place_code=slots.get(PLACE_CODE),
        place_skipped=PLACE in (slots.get(SKIPPED) or []),
        profile_known=slots.get(AGE) is not None or slots.get(STATUS) is not None,
        prompt=Prompt(prompt) if prompt in set(Prompt) else None,
        candidates=tuple(slots.get(CANDIDATES) or ()),
        typed=slots.get(TYPED),
        department=slots.get(DEPARTMENT),
        misses=int(slots.get(MISSES) or 0),
        turns=int(slots.get(TURNS) or 0),
    )


def latest_said(tracker: Tracker) -> Said:
    latest = tracker.latest_message or {}
    return Said(
        text=latest.get("text") or "",
        intent=(latest.get("intent") or {}).get("name"),
        entities=tuple(latest.get("entities") or ()),
    )


def profile_of(slots: Mapping[str, Any]) -> Profile:
    """The eligibility profile from the situation slots; unknown stays None."""
    age = slots.get(AGE)
    status = str(slots.get(STATUS))
    diploma = str(slots.get(DIPLOMA))
    return Profile(
        age=None if age is None else int(age),
        status=Status(status) if status in set(Status) else None,
        diploma=Diploma(diploma) if diploma in set(Diploma) else None,
    )


def scheme_lines(matches: list[SchemeMatch], templates: Mapping[str, str]) -> str:
    """One or two lines per scheme, with what could not be checked."""
    lines = []
    for match in matches:
        lines.append(templates["scheme"].format(name=match.name, reason=match.reason))
        if match.unchecked:
            conditions = " ".join(match.unchecked)
            lines.append(templates["unchecked"].format(conditions=conditions))
    return "\n".join(lines)


def mission_locale_lines(
    missions_locales: tuple[MissionLocaleInfo, ...], templates: Mapping[str, str]
) -> str:
    lines = []
    for ml in missions_locales:
        if ml.full_address:
            lines.append(
                templates["mission_locale"].format(
                    name=ml.name, address=ml.full_address, map_url=ml.map_url
                )
            )
        else:
            lines.append(templates["mission_locale_no_address"].format(name=ml.name))
    return "\n".join(lines)


def place_events(place: Place, typed: str | None) -> list[EventType]:
    """The commune settled; ``place`` keeps what was typed, when it was."""
    events: list[EventType] = [
        SlotSet(PLACE_CODE, place.code),
        SlotSet(PLACE_NAME, place.name),
    ]
    return events if typed else [SlotSet(PLACE, place.name), *events]


def question_events(step: Ask, turns: int) -> list[EventType]:
    """The slots that tell ``action_ask_orientation_outcome`` what to ask."""
    return [
        SlotSet(PROMPT, step.prompt.value),
        SlotSet(CANDIDATES, [place.code for place in step.candidates]),
        SlotSet(TYPED, step.typed),
        SlotSet(DEPARTMENT, step.department),
        SlotSet(MISSES, float(step.misses)),
        SlotSet(TURNS, float(turns)),
        SlotSet(REQUESTED_SLOT, OUTCOME),
    ]


def settled_events(step: Settled, typed: str | None) -> list[EventType]:
    events: list[EventType] = [SlotSet(OUTCOME, step.outcome.value)]
    if step.place is not None:
        events.extend(place_events(step.place, typed))
    return [*events, SlotSet(REQUESTED_SLOT, None)]


class ActionOrient(Action):
    """Names the Mission Locale and the schemes, or has the place asked first.

    Args:
        source: the orientation data; the shared one by default.
        schemes: loads the schemes table; the shared one by default.
        store: where the profile is saved; the shared one by default.
        today: the date amounts are quoted for.
    """

    def __init__(
        self,
        source: OrientationSource | None = None,
        schemes: Callable[[], SchemesFile] | None = None,
        store: ProfileStore | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._source = source
        self._schemes = schemes or shared_schemes
        self._store = store
        self._today = today

    def name(self) -> str:
        return "action_orient"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        source = self._source or shared_source()
        data = await asyncio.to_thread(source.get)
        outcome = tracker.get_slot(OUTCOME)
        if outcome in set(Outcome):
            # The form just ended: it settled the place (slots) or gave up.
            code = tracker.get_slot(PLACE_CODE)
            place = data.index.get(code) if data and code else None
            step: Settled | Ask = Settled(Outcome(outcome), place)
        else:
            step = entry_step(
                data.index if data else None,
                place_state(tracker),
                latest_said(tracker),
                asked=latest_said(tracker).intent == ASK_INTENT,
            )
        if isinstance(step, Ask):
            logger.debug("Orientation of %s: the place is asked", tracker.sender_id)
            return [SlotSet(ASKING, True)]

        slots = tracker.current_slot_values()
        events, record = self._answer(dispatcher, step, data, slots)
        if record is not None:
            store = self._store or shared_store()
            await asyncio.to_thread(
                store.save, tracker.sender_id, {"orientation": record}
            )
        if step.place is not None:
            events = [*place_events(step.place, slots.get(PLACE)), *events]
        logger.info(
            "Orientation of %s answered (%s)", tracker.sender_id, step.outcome.value
        )
        return [
            *events,
            SlotSet(ASKING, False),
            SlotSet(OUTCOME, None),
            SlotSet(PROMPT, None),
            SlotSet(CANDIDATES, []),
            SlotSet(MISSES, 0.0),
            SlotSet(TURNS, 0.0),
            SlotSet(TYPED, None),
            SlotSet(DEPARTMENT, None),
        ]

    def _answer(
        self,
        dispatcher: CollectingDispatcher,
        step: Settled,
        data: OrientationData | None,
        slots: Mapping[str, Any],
    ) -> tuple[list[EventType], dict[str, Any] | None]:
        """Says the answer; returns the events and what the counsellor sees."""
        if step.outcome == Outcome.QUIET:
            return [], None
        templates = wording()
        named: MissionLocaleAnswer | None = None
        if step.outcome == Outcome.FOUND and step.place is not None and data:
            named = data.directory.for_place(step.place)
            self._say_mission_locale(dispatcher, named, step.place, templates)
        elif step.outcome == Outcome.FOUND:  # the place vanished with a reload
            dispatcher.utter_message(response="utter_orientation_unavailable")
        else:
            response = f"utter_orientation_{step.outcome.value}"
            dispatcher.utter_message(response=response)

        schemes = self._say_schemes(dispatcher, slots, named, templates)
        next_step = templates["next_step_unsure"]
        if named is not None and named.sure:
            next_step = templates["next_step"].format(
                name=named.missions_locales[0].name
            )
        dispatcher.utter_message(response="utter_orientation_next_step")
        record = {
            "outcome": step.outcome.value,
            "place_code": step.place.code if step.place else None,
            "mission_locales": [ml.name for ml in named.missions_locales]
            if named
            else [],
            "mission_locale_sure": bool(named and named.sure),
            "schemes": schemes,
        }
        return [SlotSet(NEXT_STEP, next_step)], record

    def _say_mission_locale(
        self,
        dispatcher: CollectingDispatcher,
        answer: MissionLocaleAnswer,
        place: Place,
        templates: Mapping[str, str],
    ) -> None:
        if answer.certainty == Certainty.UNKNOWN:
            dispatcher.utter_message(
                response="utter_orientation_department_unknown", place=place.name
            )
            return
        listed = mission_locale_lines(answer.missions_locales, templates)
        if answer.certainty == Certainty.COVERED:
            ml = answer.missions_locales[0]
            if ml.full_address:
                dispatcher.utter_message(
                    response="utter_orientation_mission_locale",
                    name=ml.name,
                    address=ml.full_address,
                    map_url=ml.map_url,
                )
            else:
                dispatcher.utter_message(
                    response="utter_orientation_mission_locale_no_address",
                    name=ml.name,
                )
        elif answer.certainty == Certainty.SEVERAL:
            dispatcher.utter_message(
                response="utter_orientation_several", place=place.name, list=listed
            )
        else:
            dispatcher.utter_message(
                response="utter_orientation_department_list",
                place=place.name,
                list=listed,
            )
        dispatcher.utter_message(response="utter_orientation_first_visit")

    def _say_schemes(
        self,
        dispatcher: CollectingDispatcher,
        slots: Mapping[str, Any],
        named: MissionLocaleAnswer | None,
        templates: Mapping[str, str],
    ) -> list[str]:
        try:
            table = self._schemes()
        except OrientationError:
            # A staff edit broke the table: the place answer still stands.
            logger.exception("Schemes table unusable; no schemes said")
            return []
        matches = eligible_schemes(profile_of(slots), table, on=self._today())
        if named is not None and named.certainty != Certainty.UNKNOWN:
            matches = [m for m in matches if m.id != MISSION_LOCALE_SCHEME]
        if not matches:
            dispatcher.utter_message(response="utter_orientation_no_scheme")
            return []
        dispatcher.utter_message(
            response="utter_orientation_schemes",
            schemes=scheme_lines(matches, templates),
        )
        return [match.id for match in matches]


class ValidateOrientationForm(Action):
    """Reads each answer to the place question and decides what comes next.

    Not a ``FormValidationAction``: the form has one slot, the outcome, and
    this action sets ``requested_slot`` itself (None ends the form). It
    returns no event for a message that is not an answer (a request for a
    human, a goodbye), so that the form rejects it and the rules answer.

    Args:
        source: the orientation data; the shared one by default.
    """

    def __init__(self, source: OrientationSource | None = None) -> None:
        self._source = source

    def name(self) -> str:
        return "validate_orientation_form"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        source = self._source or shared_source()
        data = await asyncio.to_thread(source.get)
        index = data.index if data else None
        state = place_state(tracker)
        said = latest_said(tracker)
        step: Step
        if tracker.active_loop_name != FORM:  # activation: what action_orient saw
            step = entry_step(index, state, said, asked=said.intent == ASK_INTENT)
            turns = 0
        else:
            step = answer_step(index, state, said)
            turns = state.turns + 1
        if isinstance(step, Ask):
            return question_events(step, turns)
        if not isinstance(step, Settled):
            logger.debug("Orientation of %s: not an answer", tracker.sender_id)
            return []
        logger.debug(
            "Orientation of %s: place question over (%s)",
            tracker.sender_id,
            step.outcome.value,
        )
        return settled_events(step, state.place)


class ActionAskOrientationOutcome(Action):
    """Asks for the commune, the way the last answer calls for.

    Args:
        source: the orientation data; the shared one by default.
    """

    def __init__(self, source: OrientationSource | None = None) -> None:
        self._source = source

    def name(self) -> str:
        return "action_ask_orientation_outcome"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        state = place_state(tracker)
        source = self._source or shared_source()
        data = await asyncio.to_thread(source.get)
        candidates = [
            place
            for code in state.candidates
            if data and (place := data.index.get(code)) is not None
        ]
        buttons = [
            {"title": title, "payload": CHOOSE_PAYLOAD.format(code=place.code)}
            for place, title in zip(candidates, button_titles(candidates), strict=True)
        ]
        if buttons:
            none_title = wording()["none_of_these"]
            buttons.append({"title": none_title, "payload": NONE_OF_THESE_PAYLOAD})

        if state.prompt == Prompt.CONFIRM and candidates:
            label = candidates[0].label
            dispatcher.utter_message(
                response="utter_orientation_confirm", label=label, buttons=buttons
            )
        elif state.prompt == Prompt.CHOOSE and candidates:
            names = [place.name for place in candidates]
            if names.count(names[0]) > 1:  # "Il y a plusieurs Saint-Denis"
                dispatcher.utter_message(
                    response="utter_orientation_choose",
                    name=names[0],
                    buttons=buttons,
                )
            else:
                dispatcher.utter_message(
                    response="utter_orientation_choose_many", buttons=buttons
                )
        elif state.prompt == Prompt.DEPARTMENT and state.department:
            dispatcher.utter_message(
                response="utter_orientation_department", department=state.department
            )
        elif state.prompt in (Prompt.AGAIN, Prompt.CONFIRM, Prompt.CHOOSE):
            if state.typed:
                dispatcher.utter_message(
                    response="utter_orientation_ask_again", typed=state.typed
                )
            else:
                dispatcher.utter_message(response="utter_orientation_ask_again_untyped")
        else:
            dispatcher.utter_message(response="utter_orientation_ask_place")
        return []


def button_titles(places: list[Place]) -> list[str]:
    """ "Saint-Denis (93)", with the postal code when two labels are the same."""
    labels = [place.label for place in places]
    return [
        f"{place.name} ({place.postal_codes[0]})"
        if labels.count(label) > 1 and place.postal_codes
        else label
        for place, label in zip(places, labels, strict=True)
    ]
