"""Benchmark of the activity suggestions (not a test).

For each profile of tests/activities/profiles.yml (written by hand, with the
entries a counsellor would accept for each), asks the recommender for its
first three suggestions and counts how many are acceptable; then does it
again after a "pas pour moi" (the next three, never the same ones). Uses the
national catalogue and the test local folder (Lille, Roubaix)::

    .venvs/app/bin/python scripts/bench_activities.py
    .venvs/app/bin/python scripts/bench_activities.py --quiet   # totals only
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.activities.catalogue import Catalogue, load_catalogue  # noqa: E402
from bot.activities.recommend import MAX_SUGGESTIONS, Profile, recommend  # noqa: E402

PROFILES = ROOT / "tests" / "activities" / "profiles.yml"
LOCAL_DIR = ROOT / "tests" / "fixtures" / "activities" / "local"


@dataclass(frozen=True)
class Case:
    name: str
    profile: Profile
    acceptable: frozenset[str]


@dataclass(frozen=True)
class Round:
    """What one profile got in one round, and how many were acceptable."""

    case: Case
    shown: tuple[str, ...]

    @property
    def good(self) -> int:
        return sum(
            1 for activity_id in self.shown if activity_id in self.case.acceptable
        )


def load_cases(path: Path = PROFILES) -> tuple[date, list[Case]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = [
        Case(
            name=item["name"],
            profile=Profile(
                interests=tuple(item.get("interests") or ()),
                needs=tuple(item.get("needs") or ()),
                age=item.get("age"),
                commune=item.get("commune"),
                said=item.get("said") or "",
            ),
            acceptable=frozenset(item["acceptable"]),
        )
        for item in data["profiles"]
    ]
    return data["today"], cases


def run(
    catalogue: Catalogue, cases: list[Case], today: date
) -> tuple[list[Round], list[Round]]:
    """The first three for every case, then the next three after "pas pour moi"."""
    first, second = [], []
    for case in cases:
        shown = [s.entry.id for s in recommend(catalogue, case.profile, today)]
        first.append(Round(case, tuple(shown)))
        again = Profile(**{**case.profile.__dict__, "shown": frozenset(shown)})
        more = [s.entry.id for s in recommend(catalogue, again, today)]
        second.append(Round(case, tuple(more)))
    return first, second


def ratio(rounds: list[Round]) -> float:
    """Acceptable suggestions among the top-three slots (a missing one counts
    as not acceptable: fewer than three is a miss too)."""
    return sum(r.good for r in rounds) / (MAX_SUGGESTIONS * len(rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="totals only")
    args = parser.parse_args()

    today, cases = load_cases()
    catalogue = load_catalogue(local_dir=LOCAL_DIR)
    first, second = run(catalogue, cases, today)
    if not args.quiet:
        print(f"{'profile':<52} top 3 acceptable   after « pas pour moi »")
        for one, two in zip(first, second, strict=True):
            print(f"{one.case.name:<52} {one.good}/3 {','.join(one.shown)}")
            print(f"{'':<52} {'':<4}then {two.good}/3 {','.join(two.shown)}")
    all_good = sum(1 for r in first if r.good == MAX_SUGGESTIONS)
    print()
    print(f"Profiles: {len(cases)}; catalogue: {len(catalogue)} entries")
    print(
        f"Top three acceptable: {sum(r.good for r in first)}/"
        f"{MAX_SUGGESTIONS * len(first)} = {ratio(first):.3f}; "
        f"all three acceptable for {all_good}/{len(first)} profiles"
    )
    print(
        f"Next three, after « pas pour moi »: {ratio(second):.3f} "
        f"({sum(r.good for r in second)}/{MAX_SUGGESTIONS * len(second)})"
    )


if __name__ == "__main__":
    main()
