"""Permanences: reading the hours, whether someone is there, and when next."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, Settings, get_settings
from bot.permanences import PermanencesError, parse_permanences

PARIS = ZoneInfo("Europe/Paris")
HOURS = parse_permanences("lun-ven 09:00-12:30 13h30-17h; sam 10h-12h")


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in December 2025 (Monday the 1st), Paris time."""
    return datetime(2025, 12, day, hour, minute, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (paris(1, 9), True),
        (paris(1, 12, 30), False),  # the end is excluded
        (paris(1, 13, 29), False),
        (paris(5, 16, 59), True),
        (paris(6, 11), True),
        (paris(7, 11), False),  # Sunday
    ],
)
def test_whether_someone_is_there(moment: datetime, is_open: bool) -> None:
    assert HOURS.is_open(moment) is is_open


def test_open_hours_are_read_in_their_own_time_zone() -> None:
    # 08:30 UTC is 09:30 in Paris in winter.
    assert HOURS.is_open(datetime(2025, 12, 1, 8, 30, tzinfo=UTC))


@pytest.mark.parametrize(
    ("moment", "said"),
    [
        (paris(1, 7), "aujourd'hui à 9h"),
        (paris(1, 12, 45), "aujourd'hui à 13h30"),
        (paris(1, 18), "demain à 9h"),
        (paris(6, 12, 5), "lundi à 9h"),  # Saturday after closing
        (paris(4, 20), "demain à 9h"),
        (paris(5, 20), "demain à 10h"),  # Friday evening
    ],
)
def test_the_next_opening_in_french(moment: datetime, said: str) -> None:
    assert HOURS.describe_next(moment) == said


def test_days_may_be_written_in_full() -> None:
    hours = parse_permanences("lundi-vendredi 9h-17h")

    assert hours.is_open(paris(5, 10))
    assert not hours.is_open(paris(6, 10))


def test_a_slot_until_midnight_opens_the_next_day() -> None:
    hours = parse_permanences("dim 20:00-24:00")

    assert hours.is_open(paris(7, 23, 59))
    assert hours.describe_next(paris(1, 10)) == "dimanche à 20h"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "at least one permanence"),
        ("lun-ven", "days then hours"),
        ("lumdi-ven 9h-12h", "days among"),
        ("ven-lun 9h-12h", "week order"),
        ("lun 9h", "hours like"),
        ("lun 12h-9h", "ending after it starts"),
        ("lun 25h-26h", "time of day"),
        ("lun 9h75-10h", "time of day"),
        ("lun neuf-dix", "a time like"),
    ],
)
def test_unreadable_hours_say_what_was_expected(text: str, expected: str) -> None:
    with pytest.raises(PermanencesError, match=expected):
        parse_permanences(text)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(PermanencesError, match="IANA"):
        parse_permanences("lun 9h-17h", "Europe/Lutece")


def test_settings_refuse_bad_permanences_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PERMANENCES", "tous les jours")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match="PERMANENCES"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_settings_give_the_parsed_hours() -> None:
    settings = Settings(permanences="sam 10h-12h", _env_file=None)

    assert settings.opening_hours.describe_next(paris(1, 9)) == "samedi à 10h"
