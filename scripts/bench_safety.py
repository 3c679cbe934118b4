"""Benchmark of the crisis detector on its gate set (a benchmark, not a test).

Prints recall on danger messages, precision and false-alarm rate, routing
accuracy, a confusion table per category, and per-message latency::

    .venvs/app/bin/python scripts/bench_safety.py            # the gate set
    .venvs/app/bin/python scripts/bench_safety.py --misses   # and what failed
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

from bot.safety import DangerCategory, assess, default_detector  # noqa: E402
from bot.safety.detector import MIN_SCORED_WORDS  # noqa: E402
from bot.safety.rules import (  # noqa: E402
    PROTOTYPES_FILE,
    load_scorer,
    prepare_for_scorer,
)

GATE_SET = ROOT / "tests" / "safety" / "danger_messages.yml"
NONE = "none"
LATENCY_ROUNDS = 5
# Leave-one-out grid for --calibrate, and the harmless share it tolerates.
SIMILARITY_GRID = [round(0.20 + 0.02 * step, 2) for step in range(26)]
MARGIN_GRID = [round(0.02 * step, 2) for step in range(11)]
MAX_HARMLESS_SHARE = 0.02


@dataclass(frozen=True)
class Case:
    """One message of the gate set."""

    text: str
    expected: str  # a category value, or NONE for a trap
    accepted: frozenset[str]
    is_minor: bool | None
    group: str


def load_cases(path: Path = GATE_SET) -> list[Case]:
    """Reads the gate set into cases (danger first, then traps)."""
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


def run(cases: list[Case], show_misses: bool) -> None:
    """Scores every case and prints the figures."""
    default_detector()  # build once, outside the timings

    predicted: list[str] = []
    latencies: list[float] = []
    for case in cases:
        found = assess(case.text, is_minor=case.is_minor)
        predicted.append(found.category.value if found else NONE)
        for _ in range(LATENCY_ROUNDS):
            start = time.perf_counter()
            assess(case.text, is_minor=case.is_minor)
            latencies.append(time.perf_counter() - start)

    danger = [
        (c, p) for c, p in zip(cases, predicted, strict=True) if c.expected != NONE
    ]
    traps = [
        (c, p) for c, p in zip(cases, predicted, strict=True) if c.expected == NONE
    ]
    caught = sum(p != NONE for _, p in danger)
    routed = sum(p in c.accepted for c, p in danger)
    alarms = sum(p != NONE for _, p in traps)

    print(f"Gate set: {len(danger)} danger messages, {len(traps)} traps")
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
            sum(
                1
                for c, p in zip(cases, predicted, strict=True)
                if c.expected == expected and p == other
            )
            for other in labels
        ]
        print(f"{expected:<{width}}" + "".join(f"{count:>10}" for count in row))

    print("\nPer category (exact label)  recall  precision")
    for category in DangerCategory:
        value = category.value
        relevant = [p for c, p in danger if c.expected == value]
        given = [c for c, p in zip(cases, predicted, strict=True) if p == value]
        right = sum(1 for c in given if value in c.accepted)
        hits = sum(p == value for p in relevant)
        recall, precision = _percent(hits, len(relevant)), _percent(right, len(given))
        print(f"  {value:<22} {recall}  {precision}")

    print("\nTraps by group: alarms")
    for group in dict.fromkeys(c.group for c, _ in traps):
        members = [p for c, p in traps if c.group == group]
        print(f"  {group:<22} {sum(p != NONE for p in members)}/{len(members)}")

    millis = sorted(seconds * 1000 for seconds in latencies)
    p95 = millis[int(0.95 * (len(millis) - 1))]
    print(
        f"\nLatency per message: median {statistics.median(millis):.3f} ms, "
        f"p95 {p95:.3f} ms, max {millis[-1]:.3f} ms ({len(millis)} runs)"
    )

    if show_misses:
        print("\nMisses and wrong routes:")
        for case, got in zip(cases, predicted, strict=True):
            if got not in case.accepted:
                print(f"  [{case.expected} -> {got}] {case.text}")


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
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
    else:
        run(load_cases(), show_misses=args.misses)


if __name__ == "__main__":
    main()
