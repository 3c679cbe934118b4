"""Benchmark of the crisis detector on its test sets (not a test).

For the gate set (tests/safety/danger_messages.yml, which shaped the rules),
round 1 (tests/safety/round1_messages.yml, the first fresh set, whose misses
the detector has since learnt from) and the fresh set
(tests/safety/fresh_messages.yml, which nothing in bot/safety was shaped
on), prints recall on danger messages, precision and false-alarm rate,
routing accuracy, a confusion table per category, first for the rules alone
and then with the learned layer; then the alarm rate on ordinary traffic
(the intent classifier's examples in data/nlu, none of them in danger) and
the per-message latency of the whole detector (median, p95)::

    .venvs/app/bin/python scripts/bench_safety.py            # all three sets
    .venvs/app/bin/python scripts/bench_safety.py --misses   # and what failed
    .venvs/app/bin/python scripts/bench_safety.py --set fresh
    .venvs/app/bin/python scripts/bench_safety.py --calibrate

``--calibrate`` chooses the prototype scorer's thresholds by leave-one-out on
``bot/safety/prototypes.yml`` alone: the gate set is never used to tune them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.safety import DangerCategory, default_detector  # noqa: E402
from bot.safety.detector import MIN_SCORED_WORDS, Detector  # noqa: E402
from bot.safety.rules import (  # noqa: E402
    PATTERNS_FILE,
    PROTOTYPES_FILE,
    load_rules,
    load_scorer,
    prepare_for_scorer,
    read_yaml,
)
from tests.unit.safety.sets import ordinary_messages  # noqa: E402

GATE_SET = ROOT / "tests" / "safety" / "danger_messages.yml"
FRESH_SET = ROOT / "tests" / "safety" / "fresh_messages.yml"
ROUND1_SET = ROOT / "tests" / "safety" / "round1_messages.yml"
SETS = {"gate": GATE_SET, "round1": ROUND1_SET, "fresh": FRESH_SET}
NONE = "none"
LATENCY_ROUNDS = 3
# Leave-one-out grid for --calibrate, and the harmless share it tolerates.
SIMILARITY_GRID = [round(0.20 + 0.02 * step, 2) for step in range(26)]
MARGIN_GRID = [round(0.02 * step, 2) for step in range(11)]
MAX_HARMLESS_SHARE = 0.02


@dataclass(frozen=True)
class Case:
    """One message of a test set."""

    text: str
    expected: str  # a category value, or NONE for a trap
    accepted: frozenset[str]
    is_minor: bool | None
    group: str


def load_cases(path: Path = GATE_SET) -> list[Case]:
    """Reads a test set into cases (danger first, then traps)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for section, expected_of in (("danger", None), ("traps", NONE)):
        for group, items in data[section].items():
            for item in items:
                entry = {"text": item} if isinstance(item, str) else item
                expected = expected_of or group
                is_minor = entry.get("is_minor")
                cases.append(
                    Case(
                        text=entry["text"],
                        expected=expected,
                        accepted=frozenset({expected, *entry.get("also", ())}),
                        is_minor=None if is_minor is None else bool(is_minor),
                        group=group,
                    )
                )
    return cases


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:6.1%}" if whole else "   n/a"


def predict(detector: Detector, cases: list[Case]) -> list[str]:
    """The first category the detector gives each case, or NONE."""
    predicted = []
    for case in cases:
        found = detector.assess_all(case.text, is_minor=case.is_minor)
        predicted.append(found[0].category.value if found else NONE)
    return predicted


def report(title: str, cases: list[Case], predicted: list[str], misses: bool) -> None:
    """Prints the figures of one detector on one set."""
    pairs = list(zip(cases, predicted, strict=True))
    danger = [(c, p) for c, p in pairs if c.expected != NONE]
    traps = [(c, p) for c, p in pairs if c.expected == NONE]
    caught = sum(p != NONE for _, p in danger)
    routed = sum(p in c.accepted for c, p in danger)
    alarms = sum(p != NONE for _, p in traps)

    print(f"\n=== {title}: {len(danger)} danger messages, {len(traps)} traps")
    print(f"Recall (any alarm on danger)   {_percent(caught, len(danger))}")
    print(f"Routing (right number first)   {_percent(routed, len(danger))}")
    print(f"Precision (alarms that were)   {_percent(caught, caught + alarms)}")
    print(f"False-alarm rate on traps      {_percent(alarms, len(traps))}")

    labels = [c.value for c in DangerCategory] + [NONE]
    width = max(len(label) for label in labels) + 2
    print("\nConfusion (rows: expected, columns: first category given)")
    print(" " * width + "".join(f"{label[:9]:>10}" for label in labels))
    for expected in labels:
        row = [
            sum(1 for c, p in pairs if c.expected == expected and p == other)
            for other in labels
        ]
        print(f"{expected:<{width}}" + "".join(f"{count:>10}" for count in row))

    print("\nPer category (exact label)  recall  precision")
    for category in DangerCategory:
        value = category.value
        relevant = [p for c, p in danger if c.expected == value]
        given = [c for c, p in pairs if p == value]
        right = sum(1 for c in given if value in c.accepted)
        hits = sum(p == value for p in relevant)
        recall, precision = _percent(hits, len(relevant)), _percent(right, len(given))
        print(f"  {value:<22} {recall}  {precision}")

    print("\nTraps by group: alarms")
    for group in dict.fromkeys(c.group for c, _ in traps):
        members = [p for c, p in traps if c.group == group]
        print(f"  {group:<22} {sum(p != NONE for p in members)}/{len(members)}")

    if misses:
        print("\nMisses, wrong routes and false alarms:")
        for case, got in pairs:
            if got not in case.accepted:
                print(f"  [{case.expected} -> {got}] {case.text}")


def latency(detector: Detector, cases: list[Case]) -> None:
    """Prints per-message latency of the whole detector over the cases."""
    millis = []
    for _ in range(LATENCY_ROUNDS):
        for case in cases:
            start = time.perf_counter()
            detector.assess_all(case.text, is_minor=case.is_minor)
            millis.append((time.perf_counter() - start) * 1000)
    millis.sort()
    p95 = millis[int(0.95 * (len(millis) - 1))]
    print(
        f"\nLatency per message (rules + learned layer): "
        f"median {statistics.median(millis):.1f} ms, p95 {p95:.1f} ms, "
        f"max {millis[-1]:.1f} ms ({len(millis)} runs)"
    )


def run(names: list[str], show_misses: bool) -> None:
    """Scores each set with the rules alone, then with the learned layer."""
    full = default_detector()  # built once, outside the timings
    scorer, settings = load_scorer(read_yaml(PROTOTYPES_FILE))
    rules_only = Detector(load_rules(read_yaml(PATTERNS_FILE)), scorer, settings)

    every_case = []
    for name in names:
        cases = load_cases(SETS[name])
        every_case.extend(cases)
        report(f"{name} set, rules only", cases, predict(rules_only, cases), False)
        report(
            f"{name} set, rules + learned layer",
            cases,
            predict(full, cases),
            show_misses,
        )
    ordinary = ordinary_messages()
    print(f"\n=== ordinary traffic: {len(ordinary)} examples from data/nlu")
    for title, detector in (("rules only", rules_only), ("with layer", full)):
        alarms = [text for text in ordinary if detector.assess_all(text)]
        print(f"Alarms, {title:<22} {_percent(len(alarms), len(ordinary))}")
        if show_misses and detector is full:
            for text in alarms:
                print(f"  [none -> alarm] {text}")
    latency(full, every_case)


def calibrate() -> None:
    """Leave-one-out on the prototypes: pick the scorer's two thresholds."""
    data = yaml.safe_load(
        (ROOT / "bot" / "safety" / PROTOTYPES_FILE).read_text(encoding="utf-8")
    )
    scorer, current = load_scorer(data)
    texts = [
        (sentence, DangerCategory(category))
        for category, sentences in data["danger"].items()
        for sentence in sentences
    ] + [(sentence, None) for sentence in data["harmless"]]

    prepared = [(prepare_for_scorer(text), label) for text, label in texts]
    # Only what the detector would score counts: long enough, with an anchor.
    matches = [
        (scorer.match(text, exclude=position), label)
        for position, (text, label) in enumerate(prepared)
        if len(text.split()) >= MIN_SCORED_WORDS and current.anchors.search(text)
    ]
    danger_total = sum(label is not None for _, label in prepared)
    harmless_total = len(prepared) - danger_total

    best: tuple[float, float, int, float] | None = None
    for similarity in SIMILARITY_GRID:
        for margin in MARGIN_GRID:
            fired = [
                (m.category, label)
                for m, label in matches
                if m.category is not None
                and m.danger_similarity >= similarity
                and m.danger_similarity - m.harmless_similarity >= margin
            ]
            recall = sum(
                1 for got, label in fired if label is not None and got == label
            )
            harmless = sum(1 for _, label in fired if label is None)
            share = harmless / harmless_total
            if share <= MAX_HARMLESS_SHARE and (best is None or recall > best[2]):
                best = (similarity, margin, recall, share)

    print(f"Prototypes: {danger_total} danger, {harmless_total} harmless")
    print(
        f"Current settings: min_similarity {current.min_similarity}, "
        f"min_margin {current.min_margin}"
    )
    if best is None:
        print("No setting keeps harmless prototypes under the limit.")
        return
    similarity, margin, recall, share = best
    print(
        f"Best leave-one-out: min_similarity {similarity}, min_margin {margin}: "
        f"{recall}/{danger_total} danger prototypes caught in their category, "
        f"{share:.1%} harmless ones scored"
    )


def main() -> None:
    """Parses the arguments and runs the benchmark or the calibration."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list what failed")
    parser.add_argument(
        "--calibrate", action="store_true", help="tune the scorer on its prototypes"
    )
    parser.add_argument(
        "--set", choices=[*SETS, "all"], default="all", help="which set to score"
    )
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
    else:
        run(list(SETS) if args.set == "all" else [args.set], args.misses)


if __name__ == "__main__":
    main()
