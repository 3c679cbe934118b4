"""The crisis detector on messages written apart from it.

The gate set (test_detector.py) shaped the rules, so it overstates how the
detector does on new messages. Two sets were written afterwards, in other
words and situations:

- tests/safety/fresh_messages.yml, by a second writer (2026-12-04): nothing
  in bot/safety was shaped on it. Its figures are the honest ones.
- tests/safety/round1_messages.yml, the first fresh set: since the second
  one exists, the detector may learn from the situations round 1 missed
  (never from its sentences), so its figures only guard against regressions.

Each floor is what the detector measured, kept one or two messages below so
that a small regression fails. Raise them when the detector gets better;
never tune on the fresh set. When it has taught what it can, write a new one
and retire it to a round.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process

from bot.safety import DangerCategory, assess_all
from nlu.normalize import normalize
from tests.unit.safety.sets import (
    FRESH_SET,
    ROUND1_SET,
    Case,
    alarms,
    detector_data_sentences,
    load_set,
    misrouted,
    missed,
    ordinary_messages,
)


@dataclass(frozen=True)
class Floors:
    min_recall: float
    min_routing: float
    max_trap_alarms: float
    min_danger: int
    min_per_category: int
    min_traps: int


SETS: dict[str, tuple[Path, Floors]] = {
    # Before any tuning after it was written: 88.0% recall (117/133), 77.4%
    # routing (103/133), 16.5% alarms (14/85). After the detector learnt
    # from round 1: 87.2% (116/133), 78.2% (104/133), 15.3% (13/85).
    "fresh": (FRESH_SET, Floors(0.86, 0.765, 0.175, 120, 15, 60)),
    # Before learning from it: 80.6% recall (54/67), 70.1% routing (47/67),
    # 19.6% alarms (9/46). After: 98.5% (66/67), 98.5% (66/67), 8.7% (4/46);
    # only a guard against regressions now.
    "round1": (ROUND1_SET, Floors(0.97, 0.97, 0.11, 60, 10, 40)),
}
# On ordinary traffic (data/nlu examples), measured 0.5% of 860.
MAX_ORDINARY_ALARM_RATE = 0.015
MIN_WORDS_OF_A_COPIED_SENTENCE = 6
# Above this rapidfuzz ratio two normalised sentences are the same sentence
# reworded by a letter or two; these sets must be phrased differently.
MAX_SIMILARITY = 85

NAMES = list(SETS)


def _cases(name: str) -> tuple[list[Case], list[Case]]:
    return load_set(SETS[name][0])


def _floors(name: str) -> Floors:
    return SETS[name][1]


@pytest.mark.parametrize("name", NAMES)
def test_set_has_the_size_it_promises(name: str) -> None:
    danger, traps = _cases(name)
    floors = _floors(name)
    assert len(danger) >= floors.min_danger
    assert len(traps) >= floors.min_traps
    for category in DangerCategory:
        count = sum(case.category == category for case in danger)
        assert count >= floors.min_per_category, f"{category}: only {count}"


@pytest.mark.parametrize("name", NAMES)
def test_recall_stays_at_what_the_detector_reaches(name: str) -> None:
    danger, _ = _cases(name)
    lost = missed(danger)
    recall = 1 - len(lost) / len(danger)
    assert recall >= _floors(name).min_recall, f"recall {recall:.3f}; missed: {lost}"


@pytest.mark.parametrize("name", NAMES)
def test_alarms_on_traps_stay_at_what_the_detector_reaches(name: str) -> None:
    _, traps = _cases(name)
    raised = alarms(traps)
    rate = len(raised) / len(traps)
    assert rate <= _floors(name).max_trap_alarms, f"alarms {rate:.3f}: {raised}"


@pytest.mark.parametrize("name", NAMES)
def test_routing_stays_at_what_the_detector_reaches(name: str) -> None:
    danger, _ = _cases(name)
    wrong = misrouted(danger)
    accuracy = 1 - len(wrong) / len(danger)
    assert accuracy >= _floors(name).min_routing, f"routing {accuracy:.3f}: {wrong}"


@pytest.fixture(scope="module")
def detector_data() -> list[str]:
    return detector_data_sentences()


@pytest.mark.parametrize("name", NAMES)
def test_set_never_leaks_into_the_detector_data(
    name: str, detector_data: list[str]
) -> None:
    danger, traps = _cases(name)
    leaked = []
    for case in danger + traps:
        message = normalize(case.text)
        long_enough = len(message.split()) >= MIN_WORDS_OF_A_COPIED_SENTENCE
        if any(
            message == text or (long_enough and message in text)
            for text in detector_data
        ):
            leaked.append(case.text)
    assert not leaked


@pytest.mark.parametrize("name", NAMES)
def test_set_is_phrased_apart_from_the_detector_data(
    name: str, detector_data: list[str]
) -> None:
    danger, traps = _cases(name)
    close = []
    for case in danger + traps:
        match = process.extractOne(
            normalize(case.text), detector_data, scorer=fuzz.ratio
        )
        if match is not None and match[1] > MAX_SIMILARITY:
            close.append((case.text, match[0]))
    assert not close


def test_ordinary_traffic_almost_never_alarms() -> None:
    """The intent classifier's examples ("stop", "jsp", "t'es un robot ?").

    Most of what the bot reads; an alarm there answers a plain "stop" with
    3114, which a young person would rightly find absurd.
    """
    messages = ordinary_messages()
    raised = [text for text in messages if assess_all(text)]
    rate = len(raised) / len(messages)
    assert rate <= MAX_ORDINARY_ALARM_RATE, f"alarm rate {rate:.3f}; on: {raised}"
