"""Choosing two or three activities: what may never be offered, what comes
first, how they differ, and why each fits."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from datetime import date
from types import ModuleType

import pytest

from bot.activities.catalogue import Catalogue, load_catalogue
from bot.activities.recommend import Profile, department_of, recommend
from bot.config import PROJECT_ROOT
from tests.unit.activities.test_catalogue import LOCAL

TODAY = date(2026, 12, 4)
LILLE = "59350"
ROUBAIX = "59512"
PARIS = "75056"
FOOT_AND_MUSIC = Profile(
    interests=("sport", "music"),
    age=19,
    commune=LILLE,
    said="wesh jkiffe le foot et la musique",
)
# Below it, the benchmark fails: measured 0.833 on 34 profiles (Dec. 2026).
BENCHMARK_GATE = 0.80


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(local_dir=LOCAL)


def ids(catalogue: Catalogue, profile: Profile, today: date = TODAY) -> list[str]:
    return [s.entry.id for s in recommend(catalogue, profile, today)]


def test_lille_foot_and_music_gets_the_local_foot_and_the_music_workshop(
    catalogue: Catalogue,
) -> None:
    suggestions = recommend(catalogue, FOOT_AND_MUSIC, TODAY)

    assert [s.entry.id for s in suggestions][:2] == [
        "test-lille-foot-salle",
        "test-nord-beatmaking",
    ]
    assert len(suggestions) == 3
    foot, music = suggestions[0], suggestions[1]
    assert foot.reason == "tu m'as dit que tu kiffes le foot et c'est près de chez toi"
    assert music.reason.startswith("tu m'as dit que tu kiffes la musique")


def test_between_two_and_three_suggestions_and_never_the_same_twice(
    catalogue: Catalogue,
) -> None:
    seen: list[str] = []
    profile = FOOT_AND_MUSIC
    while batch := ids(catalogue, profile):
        assert len(batch) <= 3
        assert not set(batch) & set(seen)
        seen.extend(batch)
        profile = replace(profile, shown=frozenset(seen))

    assert len(seen) >= 6
    assert len(seen) == len(set(seen))


def test_an_ended_entry_is_never_offered(catalogue: Catalogue) -> None:
    dancer = Profile(interests=("dance",), age=20, commune=LILLE)
    every = set()
    profile = dancer
    while batch := ids(catalogue, profile):
        every.update(batch)
        profile = replace(profile, shown=frozenset(every))

    assert "test-lille-ended" not in every
    assert "test-lille-ended" in ids(catalogue, dancer, date(2026, 10, 15))


@pytest.mark.parametrize(
    ("age", "allowed"),
    [(15, False), (16, True), (25, True), (26, False), (None, True)],
)
def test_age_limits_are_respected(
    catalogue: Catalogue, age: int | None, allowed: bool
) -> None:
    helper = Profile(interests=("helping",), needs=("money",), age=age)

    assert ("service-civique" in ids(catalogue, helper)) is allowed


def test_local_entries_only_where_they_apply(catalogue: Catalogue) -> None:
    boxer = Profile(interests=("sport",), age=18, said="la boxe")

    assert "test-roubaix-boxe" in ids(catalogue, replace(boxer, commune=ROUBAIX))
    for elsewhere in (LILLE, PARIS, None):
        every = set()
        profile = replace(boxer, commune=elsewhere)
        while batch := ids(catalogue, profile):
            every.update(batch)
            profile = replace(profile, shown=frozenset(every))
        assert "test-roubaix-boxe" not in every


def test_a_department_entry_applies_to_every_commune_of_it(
    catalogue: Catalogue,
) -> None:
    rapper = Profile(interests=("music",), age=20, said="le rap")

    assert "test-nord-beatmaking" in ids(catalogue, replace(rapper, commune=ROUBAIX))
    assert "test-nord-beatmaking" not in ids(catalogue, replace(rapper, commune=PARIS))


def test_never_three_of_the_same_kind(catalogue: Catalogue) -> None:
    footballer = Profile(interests=("sport",), age=17, commune=LILLE, said="le foot")

    kinds = [s.entry.kind for s in recommend(catalogue, footballer, TODAY)]

    assert len(kinds) == 3
    assert len(set(kinds)) >= 2


def test_each_interest_is_covered_before_one_is_doubled(catalogue: Catalogue) -> None:
    suggestions = recommend(catalogue, replace(FOOT_AND_MUSIC, commune=PARIS), TODAY)

    first_two = [set(s.entry.interests) for s in suggestions[:2]]
    assert any("sport" in interests for interests in first_two)
    assert any("music" in interests for interests in first_two)


def test_with_nothing_known_the_suggestions_are_open_to_anyone(
    catalogue: Catalogue,
) -> None:
    suggestions = recommend(catalogue, Profile(), TODAY)

    assert {s.entry.id for s in suggestions} <= {
        "service-civique",
        "jeveuxaider",
        "promeneurs-du-net",
        "mediatheque",
    }
    assert all(s.reason == "une idée à regarder, à toi de voir" for s in suggestions)


def test_a_need_is_the_reason_when_no_interest_matches(catalogue: Catalogue) -> None:
    broke = Profile(needs=("money",), age=20)

    first = recommend(catalogue, broke, TODAY)[0]

    assert first.entry.id == "service-civique"
    assert first.reason == "t'as besoin de thunes, et là t'es indemnisé"


def test_the_reason_uses_the_interest_when_their_words_are_unknown(
    catalogue: Catalogue,
) -> None:
    suggestions = recommend(catalogue, Profile(interests=("animals",), age=20), TODAY)
    by_id = {s.entry.id: s for s in suggestions}

    assert by_id["spa-benevole"].reason == "tu m'as dit que tu kiffes les animaux"


def test_cost_and_ages_are_said(catalogue: Catalogue) -> None:
    suggestions = recommend(catalogue, FOOT_AND_MUSIC, TODAY)
    by_id = {s.entry.id: s for s in suggestions}

    assert by_id["test-lille-foot-salle"].cost == "Gratuit"
    assert by_id["test-lille-foot-salle"].ages == "pour les 16-25 ans"


def test_when_everything_was_shown_nothing_comes(catalogue: Catalogue) -> None:
    everything = frozenset(a.entry.id for a in catalogue.activities)

    assert recommend(catalogue, replace(FOOT_AND_MUSIC, shown=everything), TODAY) == []


@pytest.mark.parametrize(
    ("commune", "department"),
    [("59350", "59"), ("2A004", "2A"), ("97411", "974"), ("01001", "01")],
)
def test_department_of_a_commune(commune: str, department: str) -> None:
    assert department_of(commune) == department


def _bench() -> ModuleType:
    path = PROJECT_ROOT / "scripts" / "bench_activities.py"
    spec = importlib.util.spec_from_file_location("bench_activities", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_activities", module)
    spec.loader.exec_module(module)
    return module


def test_benchmark_top_three_acceptable_ratio_stays_above_the_gate(
    catalogue: Catalogue,
) -> None:
    bench = _bench()
    today, cases = bench.load_cases()

    first, _ = bench.run(catalogue, cases, today)

    assert len(cases) >= 30
    assert bench.ratio(first) >= BENCHMARK_GATE


def test_a_denied_word_is_not_quoted_as_liked(catalogue: Catalogue) -> None:
    profile = Profile(
        interests=("sport",), age=19, said="je kiffe pas le foot, la boxe oui"
    )

    reasons = [s.reason for s in recommend(catalogue, profile, TODAY)]

    assert not any("le foot" in reason for reason in reasons)
