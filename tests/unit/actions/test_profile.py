"""The profile as the counsellor will see it, and the optional place codes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from actions.profile import PlaceCodes, build_profile
from actions.reference_data import RETRY_SECONDS, OrientationSource
from bot.db import create_engine_for
from bot.orientation.importer import run_import
from bot.orientation.sources import SourceFiles

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "orientation"

TODAY = date(2026, 12, 3)


def test_unknown_facts_are_shown_as_unknown() -> None:
    profile = build_profile({}, TODAY)

    assert profile["age"] is None
    assert profile["is_minor"] is None
    assert profile["needs"] == []
    assert profile["skipped"] == []


def test_a_minor_of_16_or_17_is_flagged_for_the_obligation_de_formation() -> None:
    sixteen = build_profile({"age": 16.0}, TODAY)
    fifteen = build_profile({"age": 15.0}, TODAY)
    adult = build_profile({"age": 18.0}, TODAY)

    assert (sixteen["is_minor"], sixteen["minor_16_17"]) == (True, True)
    assert (fifteen["is_minor"], fifteen["minor_16_17"]) == (True, False)
    assert (adult["is_minor"], adult["minor_16_17"]) == (False, False)


def test_since_when_is_also_given_in_months() -> None:
    profile = build_profile({"status": "nothing", "status_since": "un an"}, TODAY)

    assert profile["status_since_months"] == 12


def test_place_codes_are_skipped_and_retried_later_when_no_commune_was_imported(
    sessions: sessionmaker[Session],
) -> None:
    loads = []
    now = [0.0]

    def counted() -> sessionmaker[Session]:
        loads.append(now[0])
        return sessions

    places = PlaceCodes(OrientationSource(counted, clock=lambda: now[0]).index)

    assert places.code_of("Roubaix") is None
    assert places.code_of("Lille") is None
    now[0] = RETRY_SECONDS + 1
    assert places.code_of("Lille") is None

    assert loads == [0.0, RETRY_SECONDS + 1]


def test_place_codes_come_from_the_imported_communes(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    engine = create_engine_for(database_url)
    run_import(engine, SourceFiles.discover(FIXTURES))
    engine.dispose()
    places = PlaceCodes(OrientationSource(lambda: sessions).index)

    assert places.code_of("roubaix") == ("59512", "Roubaix")
    assert places.code_of("59100") == ("59512", "Roubaix")
    assert places.code_of("nulle part du tout") is None
