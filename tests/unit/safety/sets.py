"""The crisis detector's test sets, read into cases for the tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.safety import DangerCategory, assess, assess_all
from nlu.normalize import normalize

ROOT = Path(__file__).resolve().parents[3]
GATE_SET = ROOT / "tests" / "safety" / "danger_messages.yml"
FRESH_SET = ROOT / "tests" / "safety" / "fresh_messages.yml"
# The first fresh set: now the detector may learn from its misses.
ROUND1_SET = ROOT / "tests" / "safety" / "round1_messages.yml"
SAFETY_DATA = ROOT / "bot" / "safety"


@dataclass(frozen=True)
class Case:
    """One message of a set, with the numbers an answer may lead with."""

    text: str
    category: DangerCategory | None
    accepted: frozenset[DangerCategory]
    is_minor: bool | None


def load_set(path: Path) -> tuple[list[Case], list[Case]]:
    """Danger cases and traps of a set (see tests/safety/*.yml for the format)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    danger: list[Case] = []
    traps: list[Case] = []
    for section, target in (("danger", danger), ("traps", traps)):
        for group, items in data[section].items():
            for item in items:
                entry: dict[str, Any] = (
                    {"text": item} if isinstance(item, str) else item
                )
                category = DangerCategory(group) if section == "danger" else None
                accepted = {DangerCategory(value) for value in entry.get("also", ())}
                if category is not None:
                    accepted.add(category)
                is_minor = entry.get("is_minor")
                target.append(
                    Case(
                        text=entry["text"],
                        category=category,
                        accepted=frozenset(accepted),
                        is_minor=None if is_minor is None else bool(is_minor),
                    )
                )
    return danger, traps


def strings(node: Any) -> list[str]:
    """Every string inside a parsed YAML document."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for value in node.values() for text in strings(value)]
    if isinstance(node, list):
        return [text for value in node for text in strings(value)]
    return []


def detector_data_sentences() -> list[str]:
    """Every string of bot/safety/*.yml, normalised."""
    return [
        normalize(text)
        for path in sorted(SAFETY_DATA.glob("*.yml"))
        for text in strings(yaml.safe_load(path.read_text(encoding="utf-8")))
    ]


NLU_DATA = ROOT / "data" / "nlu"
# "[Lyon](city)" or '[Lyon]{"entity": "city"}' in Rasa's training format.
_ENTITY_RE = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def ordinary_messages() -> list[str]:
    """The intent classifier's examples: everyday turns, none in danger.

    Written for the NLU, not for the detector, they stand for ordinary
    traffic; the training set was checked against them for near-copies.
    """
    messages = []
    for path in sorted(NLU_DATA.glob("*.yml")):
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in data.get("nlu", []):
            if "intent" not in item:
                continue
            for line in str(item["examples"]).splitlines():
                text = _ENTITY_RE.sub(r"\1", line.strip().removeprefix("- "))
                if text:
                    messages.append(text)
    return messages


def missed(danger: list[Case]) -> list[str]:
    """The danger messages the detector lets through."""
    return [c.text for c in danger if assess(c.text, is_minor=c.is_minor) is None]


def alarms(traps: list[Case]) -> list[str]:
    """The harmless messages the detector raises an alarm on."""
    return [c.text for c in traps if assess_all(c.text, is_minor=c.is_minor)]


def misrouted(danger: list[Case]) -> list[tuple[str, DangerCategory | None]]:
    """Danger messages whose first number is not one the case accepts."""
    wrong: list[tuple[str, DangerCategory | None]] = []
    for case in danger:
        found = assess(case.text, is_minor=case.is_minor)
        if found is None or found.category not in case.accepted:
            wrong.append((case.text, found and found.category))
    return wrong
