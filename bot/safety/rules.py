"""The detector's data files, read and compiled: rules, prototypes.

``patterns.yml`` says how to read a message (signals, idioms, negation,
subjects, perpetrators, escalators, typo lexicon); ``prototypes.yml`` holds
the scorer's sentences and thresholds. Both are checked when loaded, and a
mistake raises :class:`SafetyDataError` naming the entry and what was
expected: the detector never runs on half its rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import yaml

from bot.safety.assessment import DangerCategory, Severity
from bot.safety.scorer import PrototypeScorer
from nlu.normalize import normalize

PATTERNS_FILE = "patterns.yml"
PROTOTYPES_FILE = "prototypes.yml"

# A space after each elision ("j' ai", "d' en"): patterns then see one word
# per token, whatever the young person typed.
ELISION_RE = re.compile(r"\b(j|m|t|l|d|s|n|c|qu|jusqu|lorsqu|puisqu)'(?=\w)")
_MACRO_RE = re.compile(r"@(\w+)")

Subject = Literal["any", "first", "other"]


class SafetyDataError(Exception):
    """A data file of the detector is missing a field or has a bad pattern."""


@dataclass(frozen=True)
class Signal:
    """One kind of evidence: its patterns and how to read a hit."""

    name: str
    category: DangerCategory
    severity: Severity
    patterns: tuple[re.Pattern[str], ...]
    negatable: bool = False
    subject: Subject = "any"
    resolve: frozenset[DangerCategory] = frozenset()
    only_if: frozenset[DangerCategory] = frozenset()
    if_minor: DangerCategory | None = None
    if_adult: DangerCategory | None = None
    not_if: re.Pattern[str] | None = None
    joke: bool = False
    game: bool = False


@dataclass(frozen=True)
class Neutraliser:
    """An idiom to blank out before signals are matched."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    unless: re.Pattern[str] | None


@dataclass(frozen=True)
class Escalator:
    """A message-wide cue that raises the severity of dangers found."""

    name: str
    categories: frozenset[DangerCategory]
    lowest: Severity
    target: Severity
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class ScorerSettings:
    """When the prototype scorer may speak."""

    min_similarity: float
    min_margin: float
    anchors: re.Pattern[str]


@dataclass(frozen=True)
class Rules:
    """Everything ``patterns.yml`` says, compiled."""

    signals: tuple[Signal, ...]
    neutralisers: tuple[Neutraliser, ...]
    escalators: tuple[Escalator, ...]
    perpetrators: tuple[tuple[DangerCategory, re.Pattern[str]], ...]
    joke: re.Pattern[str]
    game: re.Pattern[str]
    negators: frozenset[str]
    breakers: frozenset[str]
    window: int
    first_person: frozenset[str]
    other_person: frozenset[str]
    determiners: frozenset[str]
    verbs: frozenset[str]
    typo_lexicon: tuple[str, ...]
    typo_keep: frozenset[str]
    typo_min_length: int
    typo_cutoff: float


def read_yaml(name: str) -> Any:
    """Parses one of the data files beside this module."""
    text = resources.files("bot.safety").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _expand(pattern: str, macros: Mapping[str, str], where: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        try:
            return macros[match.group(1)]
        except KeyError as err:
            raise SafetyDataError(
                f"{where}: unknown macro @{match.group(1)}; "
                f"expected one of {sorted(macros)}"
            ) from err

    # Two passes let a macro use another one.
    return _MACRO_RE.sub(substitute, _MACRO_RE.sub(substitute, pattern))


def _compile(pattern: str, macros: Mapping[str, str], where: str) -> re.Pattern[str]:
    try:
        return re.compile(_expand(pattern, macros, where))
    except re.error as err:
        raise SafetyDataError(f"{where}: bad pattern {pattern!r}: {err}") from err


def _category(value: Any, where: str) -> DangerCategory:
    try:
        return DangerCategory(value)
    except ValueError as err:
        raise SafetyDataError(
            f"{where}: category {value!r} is not one of "
            f"{[c.value for c in DangerCategory]}"
        ) from err


def _severity(value: Any, where: str) -> Severity:
    try:
        return Severity[str(value).upper()]
    except KeyError as err:
        raise SafetyDataError(
            f"{where}: severity {value!r} is not one of "
            f"{[s.name.lower() for s in Severity]}"
        ) from err


def _optional_category(value: Any, where: str) -> DangerCategory | None:
    return None if value is None else _category(value, where)


def _as_list(value: Any) -> list[Any]:
    """A YAML field that may hold one value or a list of them."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _signal(raw: Mapping[str, Any], macros: Mapping[str, str]) -> Signal:
    name = raw.get("name")
    if not name or not raw.get("patterns"):
        raise SafetyDataError(f"signal {raw!r} needs a name and patterns")
    subject = raw.get("subject", "any")
    if subject not in ("any", "first", "other"):
        raise SafetyDataError(f"{name}: subject {subject!r} is not any/first/other")
    not_if = raw.get("not_if")
    return Signal(
        name=name,
        category=_category(raw.get("category"), name),
        severity=_severity(raw.get("severity"), name),
        patterns=tuple(_compile(p, macros, name) for p in raw["patterns"]),
        negatable=bool(raw.get("negatable", False)),
        subject=subject,
        resolve=frozenset(_category(c, name) for c in _as_list(raw.get("resolve"))),
        only_if=frozenset(_category(c, name) for c in _as_list(raw.get("only_if"))),
        if_minor=_optional_category(raw.get("if_minor"), name),
        if_adult=_optional_category(raw.get("if_adult"), name),
        not_if=None if not_if is None else _compile(not_if, macros, name),
        joke=bool(raw.get("joke", False)),
        game=bool(raw.get("game", False)),
    )


def load_rules(data: Mapping[str, Any]) -> Rules:
    """Compiles the content of ``patterns.yml``.

    Args:
        data: The parsed YAML document.

    Returns:
        The compiled rules.

    Raises:
        SafetyDataError: A field is missing, or a pattern or macro is wrong.
    """
    try:
        macros: dict[str, str] = dict(data["macros"])
        negation, subjects, typos = data["negation"], data["subjects"], data["typos"]
        neutralisers = tuple(
            Neutraliser(
                name=raw["name"],
                patterns=tuple(
                    _compile(p, macros, raw["name"]) for p in raw["patterns"]
                ),
                unless=(
                    _compile(raw["unless"], macros, raw["name"])
                    if raw.get("unless")
                    else None
                ),
            )
            for raw in data["neutralisers"]
        )
        escalators = tuple(
            Escalator(
                name=raw["name"],
                categories=frozenset(
                    _category(c, raw["name"]) for c in raw["categories"]
                ),
                lowest=_severity(raw["from"], raw["name"]),
                target=_severity(raw["to"], raw["name"]),
                pattern=_compile("|".join(raw["patterns"]), macros, raw["name"]),
            )
            for raw in data["escalators"]
        )
        perpetrators = tuple(
            (_category(category, "perpetrators"), _compile(p, macros, category))
            for category, patterns in data["perpetrators"].items()
            for p in patterns
        )
        return Rules(
            signals=tuple(_signal(raw, macros) for raw in data["signals"]),
            neutralisers=neutralisers,
            escalators=escalators,
            perpetrators=perpetrators,
            joke=_compile(data["joke"], macros, "joke"),
            game=_compile(data["game"], macros, "game"),
            negators=frozenset(negation["negators"]),
            breakers=frozenset(negation["breakers"]),
            window=int(negation["window"]),
            first_person=frozenset(subjects["first"]),
            other_person=frozenset(subjects["other"]),
            determiners=frozenset(subjects["determiners"]),
            verbs=frozenset(subjects["verbs"]),
            typo_lexicon=tuple(typos["lexicon"]),
            typo_keep=frozenset(typos["keep"]),
            typo_min_length=int(typos["min_length"]),
            typo_cutoff=float(typos["cutoff"]),
        )
    except (KeyError, TypeError) as err:
        raise SafetyDataError(f"{PATTERNS_FILE} is missing or misshapes {err}") from err


def load_scorer(data: Mapping[str, Any]) -> tuple[PrototypeScorer, ScorerSettings]:
    """Builds the prototype scorer from the content of ``prototypes.yml``.

    Raises:
        SafetyDataError: A field is missing or a category is unknown.
    """
    try:
        settings = ScorerSettings(
            min_similarity=float(data["settings"]["min_similarity"]),
            min_margin=float(data["settings"]["min_margin"]),
            anchors=_compile(data["settings"]["anchors"], {}, PROTOTYPES_FILE),
        )
        examples: list[tuple[str, DangerCategory | None]] = []
        for category, sentences in data["danger"].items():
            label = _category(category, PROTOTYPES_FILE)
            examples.extend((prepare_for_scorer(s), label) for s in sentences)
        examples.extend((prepare_for_scorer(s), None) for s in data["harmless"])
    except (KeyError, TypeError) as err:
        raise SafetyDataError(
            f"{PROTOTYPES_FILE} is missing or misshapes {err}"
        ) from err
    return PrototypeScorer(examples), settings


def prepare_for_scorer(sentence: str) -> str:
    """The form prototypes are stored in: normalised, elisions spaced."""
    return ELISION_RE.sub(r"\1' ", normalize(sentence))
