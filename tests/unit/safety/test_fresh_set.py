"""The crisis detector on the fresh set: messages nothing in it was shaped on.

The gate set (test_detector.py) shaped the rules, so it overstates how the
detector does on new messages. tests/safety/fresh_messages.yml was written
afterwards, in other words and situations; its thresholds are what the
detector honestly reaches there (rules alone: 46% recall, 9% alarms), kept
one or two messages below the measured figures so that a small regression
fails. Raise them when the detector gets better; never tune on this set.
"""

from __future__ import annotations

import pytest
from rapidfuzz import fuzz, process

from bot.safety import DangerCategory, assess_all
from nlu.normalize import normalize
from tests.unit.safety.sets import (
    FRESH_SET,
    alarms,
    detector_data_sentences,
    load_set,
    misrouted,
    missed,
    ordinary_messages,
)

# Measured with the learned layer: 80.6% recall (54/67), 70.1% routing
# (47/67), 19.6% alarms (9/46); rules alone: 46.3%, 41.8%, 8.7%.
MIN_RECALL = 0.77
MIN_ROUTING_ACCURACY = 0.67
MAX_TRAP_ALARM_RATE = 0.22
# On ordinary traffic (data/nlu examples), measured 0.7% (6/848).
MAX_ORDINARY_ALARM_RATE = 0.015
# What the task asks of the set itself.
MIN_DANGER = 60
MIN_PER_CATEGORY = 10
MIN_TRAPS = 40
MIN_WORDS_OF_A_COPIED_SENTENCE = 6
# Above this rapidfuzz ratio two normalised sentences are the same sentence
# reworded by a letter or two; the fresh set must be phrased differently.
MAX_SIMILARITY = 85

DANGER, TRAPS = load_set(FRESH_SET)


def test_fresh_set_has_the_size_the_task_asks_for() -> None:
    assert len(DANGER) >= MIN_DANGER
    assert len(TRAPS) >= MIN_TRAPS
    for category in DangerCategory:
        count = sum(case.category == category for case in DANGER)
        assert count >= MIN_PER_CATEGORY, f"{category}: only {count} messages"


def test_fresh_recall_stays_at_what_the_detector_reaches() -> None:
    lost = missed(DANGER)
    recall = 1 - len(lost) / len(DANGER)
    assert recall >= MIN_RECALL, f"recall {recall:.3f}; missed: {lost}"


def test_fresh_alarms_on_traps_stay_at_what_the_detector_reaches() -> None:
    raised = alarms(TRAPS)
    rate = len(raised) / len(TRAPS)
    assert rate <= MAX_TRAP_ALARM_RATE, f"alarm rate {rate:.3f}; on: {raised}"


def test_fresh_routing_stays_at_what_the_detector_reaches() -> None:
    wrong = misrouted(DANGER)
    accuracy = 1 - len(wrong) / len(DANGER)
    assert accuracy >= MIN_ROUTING_ACCURACY, f"routing {accuracy:.3f}; wrong: {wrong}"


@pytest.fixture(scope="module")
def detector_data() -> list[str]:
    return detector_data_sentences()


def test_fresh_set_never_leaks_into_the_detector_data(
    detector_data: list[str],
) -> None:
    leaked = []
    for case in DANGER + TRAPS:
        message = normalize(case.text)
        long_enough = len(message.split()) >= MIN_WORDS_OF_A_COPIED_SENTENCE
        if any(
            message == text or (long_enough and message in text)
            for text in detector_data
        ):
            leaked.append(case.text)
    assert not leaked


def test_fresh_set_is_phrased_apart_from_the_detector_data(
    detector_data: list[str],
) -> None:
    close = []
    for case in DANGER + TRAPS:
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
    alarms = [text for text in messages if assess_all(text)]
    rate = len(alarms) / len(messages)
    assert rate <= MAX_ORDINARY_ALARM_RATE, f"alarm rate {rate:.3f}; on: {alarms}"
