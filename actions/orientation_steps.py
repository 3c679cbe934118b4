"""The place question of the orientation dialogue, as plain decisions.

Given what is known (slots) and what was just said, each function says what
to do next: the place is settled (:class:`Settled`), ask again with some
wording and buttons (:class:`Ask`), or the message is about something else
(:data:`LEAVE`). No Rasa here, so that every path is tested directly; the
actions in ``actions/orientation.py`` turn these into events and messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from bot.orientation.places import (
    Ambiguous,
    Found,
    NotFound,
    NotFoundReason,
    Place,
    PlaceIndex,
    Resolution,
)

# The issue: when nothing is found, say so and ask again once, then stop
# asking and offer a counsellor instead of looping.
MAX_MISSES = 2
# Whatever happens (buttons refused, one department after the other), the
# question is not asked more than this many times.
MAX_TURNS = 4
# Intents that leave the question when the words are not a commune.
LEAVING_INTENTS = frozenset({"request_human", "stop", "goodbye", "request_erasure"})
NO_ANSWER_INTENTS = frozenset({"skip_question", "dont_know"})
# Questions and small talk: the same question comes back, not counted as a miss
# ("c'est où ma mission locale ?" is not a commune that was not found).
ASIDE_INTENTS = frozenset(
    {
        "ask_orientation",
        "ask_why",
        "ask_privacy",
        "ask_cost",
        "bot_challenge",
        "bot_capabilities",
        "start_situation",
        "greet",
        "thanks",
        "insult",
        "other_language",
    }
)
ORDINALS = (
    (re.compile(r"\b(?:premi[eè]re?|1(?:er|re|ère)?)\b"), 0),
    (re.compile(r"\b(?:deuxi[eè]me|seconde?|2(?:e|nde?|ème)?)\b"), 1),
    (re.compile(r"\b(?:troisi[eè]me|3(?:e|ème)?)\b"), 2),
    (re.compile(r"\b(?:quatri[eè]me|4(?:e|ème)?)\b"), 3),
    (re.compile(r"\b(?:cinqui[eè]me|5(?:e|ème)?)\b"), 4),
    (re.compile(r"\bderni[eè]re?\b"), -1),
)
ORDINAL_MAX_WORDS = 5  # "la deuxième ville", not a sentence about classes
DEPARTMENT_NUMBER = re.compile(r"\b(2[ab]|\d{2,3})\b", re.IGNORECASE)


class Outcome(StrEnum):
    """How the place question ended; ``action_orient`` words each one."""

    FOUND = "found"
    GAVE_UP = "gave_up"  # not found twice: offer a counsellor
    NO_PLACE = "no_place"  # refused or skipped: answer without a place
    UNAVAILABLE = "unavailable"  # the reference data is not loaded
    QUIET = "quiet"  # nothing known and nothing asked: say nothing more


class Prompt(StrEnum):
    """How the place is asked for."""

    ASK = "ask"
    AGAIN = "again"  # not found: "je trouve pas « ... »"
    CONFIRM = "confirm"  # a spelling match: "tu veux dire Roubaix ?"
    CHOOSE = "choose"  # homonyms: one button each
    DEPARTMENT = "department"  # "93": which commune?


@dataclass(frozen=True)
class Settled:
    outcome: Outcome
    place: Place | None = None


@dataclass(frozen=True)
class Ask:
    prompt: Prompt
    candidates: tuple[Place, ...] = ()
    typed: str | None = None
    department: str | None = None
    misses: int = 0


class _Leave:
    """The message is not an answer: let the dialogue rules handle it."""


LEAVE: Final = _Leave()
Step = Settled | Ask | _Leave


@dataclass(frozen=True)
class PlaceState:
    """What the slots say about the place question."""

    place: str | None = None  # as typed during the situation questions
    place_code: str | None = None
    place_skipped: bool = False
    profile_known: bool = False  # anything known of age or status
    prompt: Prompt | None = None
    candidates: tuple[str, ...] = ()
    typed: str | None = None
    department: str | None = None
    misses: int = 0
    turns: int = 0


@dataclass(frozen=True)
class Said:
    """The latest message."""

    text: str = ""
    intent: str | None = None
    entities: tuple[dict[str, object], ...] = field(default_factory=tuple)

    def chosen_code(self) -> str | None:
        """The INSEE code a button sent (``/choose_place{"place_code":..}``)."""
        for entity in self.entities:
            if entity.get("entity") == "place_code" and entity.get("value"):
                return str(entity["value"])
        return None


def entry_step(
    index: PlaceIndex | None, state: PlaceState, said: Said, *, asked: bool
) -> Settled | Ask:
    """Where the dialogue starts, from what is already known.

    Args:
        index: the communes; None when the reference data is not loaded.
        state: the slots.
        said: the message that led here (a button may carry a commune).
        asked: the young person asked where to go (rather than reaching the
            end of the situation questions).
    """
    if index is None:
        return Settled(Outcome.UNAVAILABLE)
    for code in (said.chosen_code(), state.place_code):
        place = index.get(code) if code else None
        if place is not None:
            return Settled(Outcome.FOUND, place)
    if state.place:
        return _next(index.resolve(state.place), state.place, misses=0)
    if not asked and state.place_skipped:
        return Settled(Outcome.NO_PLACE)
    if not asked and not state.profile_known:
        return Settled(Outcome.QUIET)
    return Ask(Prompt.ASK)


def answer_step(index: PlaceIndex | None, state: PlaceState, said: Said) -> Step:
    """What to do with an answer to the place question."""
    if index is None:
        return Settled(Outcome.UNAVAILABLE)
    chosen = index.get(said.chosen_code() or "")
    if chosen is not None:
        return Settled(Outcome.FOUND, chosen)
    candidates = tuple(
        place for code in state.candidates if (place := index.get(code)) is not None
    )
    if said.intent in NO_ANSWER_INTENTS:
        return Settled(Outcome.NO_PLACE)
    if said.intent == "affirm" and state.prompt == Prompt.CONFIRM and candidates:
        return Settled(Outcome.FOUND, candidates[0])
    if said.intent == "deny":
        if state.prompt in (Prompt.CONFIRM, Prompt.CHOOSE):
            return _missed(state.misses, None)
        return Settled(Outcome.NO_PLACE)
    picked = _picked(said.text, candidates)
    if picked is not None:
        return Settled(Outcome.FOUND, picked)

    text = said.text.strip()
    resolution = _resolve(index, text, state)
    exact = isinstance(resolution, Found) and resolution.exact
    if said.intent in LEAVING_INTENTS and not exact:
        return LEAVE
    if said.intent in ASIDE_INTENTS and not exact:
        prompt = state.prompt or Prompt.ASK
        if prompt in (Prompt.CONFIRM, Prompt.CHOOSE) and not candidates:
            prompt = Prompt.ASK
        return Ask(prompt, candidates, state.typed, state.department, state.misses)
    step = _next(resolution, text, misses=state.misses)
    if isinstance(step, Ask) and state.turns + 1 >= MAX_TURNS:
        return Settled(Outcome.GAVE_UP)
    return step


def _resolve(index: PlaceIndex, text: str, state: PlaceState) -> Resolution:
    """The commune typed; after "93", "saint denis" is read in the 93."""
    if state.prompt == Prompt.DEPARTMENT and state.department:
        within = index.resolve(f"{text} {state.department}")
        if not isinstance(within, NotFound):
            return within
    return index.resolve(text)


def _next(resolution: Resolution, typed: str, misses: int) -> Settled | Ask:
    if isinstance(resolution, Found):
        if resolution.exact:
            return Settled(Outcome.FOUND, resolution.place)
        return Ask(Prompt.CONFIRM, (resolution.place,), typed, misses=misses)
    if isinstance(resolution, Ambiguous):
        return Ask(Prompt.CHOOSE, resolution.candidates, typed, misses=misses)
    if resolution.reason == NotFoundReason.DEPARTMENT_ONLY:
        if misses + 1 >= MAX_MISSES:
            return Settled(Outcome.GAVE_UP)
        return Ask(
            Prompt.DEPARTMENT,
            typed=typed,
            department=resolution.department_code,
            misses=misses + 1,
        )
    return _missed(misses, typed)


def _missed(misses: int, typed: str | None) -> Settled | Ask:
    if misses + 1 >= MAX_MISSES:
        return Settled(Outcome.GAVE_UP)
    return Ask(Prompt.AGAIN, typed=typed, misses=misses + 1)


def _picked(text: str, candidates: tuple[Place, ...]) -> Place | None:
    """A candidate named by its rank ("la deuxième") or department ("celle du 93")."""
    if not candidates or len(text.split()) > ORDINAL_MAX_WORDS:
        return None
    lowered = text.lower()
    numbers = {number.upper() for number in DEPARTMENT_NUMBER.findall(lowered)}
    by_department = [c for c in candidates if c.department_code.upper() in numbers]
    if len(by_department) == 1:
        return by_department[0]
    for pattern, rank in ORDINALS:
        if pattern.search(lowered) and rank < len(candidates):
            return candidates[rank]
    return None
