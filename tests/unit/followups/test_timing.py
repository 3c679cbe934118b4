"""When a follow-up is due: the delay, the sending hours, summer time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.followups.timing import FollowUpPolicy, describe_day
from bot.permanences import parse_permanences

PARIS = ZoneInfo("Europe/Paris")
HOURS = parse_permanences("lun-dim 10:00-20:00", "Europe/Paris")
POLICY = FollowUpPolicy(delay=timedelta(days=3), hours=HOURS, max_attempts=2)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Inside the hours: as is, up to the last minute before 20h.
        (paris(2026, 12, 7, 10, 0), paris(2026, 12, 7, 10, 0)),
        (paris(2026, 12, 7, 15, 30), paris(2026, 12, 7, 15, 30)),
        (paris(2026, 12, 7, 19, 59), paris(2026, 12, 7, 19, 59)),
        # Before 10h: the same morning; from 20h: the next morning.
        (paris(2026, 12, 7, 9, 59), paris(2026, 12, 7, 10, 0)),
        (paris(2026, 12, 7, 0, 0), paris(2026, 12, 7, 10, 0)),
        (paris(2026, 12, 7, 20, 0), paris(2026, 12, 8, 10, 0)),
        (paris(2026, 12, 7, 23, 59), paris(2026, 12, 8, 10, 0)),
    ],
)
def test_a_time_at_night_moves_to_the_next_morning(
    at: datetime, expected: datetime
) -> None:
    assert POLICY.allowed_from(at) == expected


def test_the_morning_is_ten_in_paris_on_both_sides_of_summer_time() -> None:
    # 2026-03-29 and 2026-10-25: the clocks change in France.
    spring = POLICY.allowed_from(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    autumn = POLICY.allowed_from(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))

    assert spring.astimezone(UTC) == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert autumn.astimezone(UTC) == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)
    assert spring.astimezone(PARIS).hour == autumn.astimezone(PARIS).hour == 10


def test_the_evening_limit_follows_summer_time_too() -> None:
    # 18:30 UTC is 19:30 in winter (allowed), 20:30 in summer (not).
    winter = datetime(2026, 3, 28, 18, 30, tzinfo=UTC)
    summer = datetime(2026, 3, 29, 18, 30, tzinfo=UTC)

    assert POLICY.allowed_from(winter) == winter
    assert POLICY.allowed_from(summer).astimezone(UTC) == datetime(
        2026, 3, 30, 8, 0, tzinfo=UTC
    )


def test_due_three_days_later_inside_the_hours() -> None:
    agreed = paris(2026, 12, 7, 15, 0)  # a Monday afternoon

    assert POLICY.due_after(agreed) == paris(2026, 12, 10, 15, 0)


def test_agreed_late_in_the_evening_is_due_the_morning_after_three_days() -> None:
    agreed = paris(2026, 12, 7, 22, 30)

    assert POLICY.due_after(agreed) == paris(2026, 12, 11, 10, 0)


def test_always_open_hours_never_move_a_time() -> None:
    always = FollowUpPolicy(
        delay=timedelta(seconds=30),
        hours=parse_permanences("lun-dim 00:00-24:00", "Europe/Paris"),
        max_attempts=2,
    )
    at = paris(2026, 12, 7, 3, 12)

    assert always.due_after(at) == at + timedelta(seconds=30)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (paris(2026, 12, 7, 18, 0), "aujourd'hui"),
        (paris(2026, 12, 8, 10, 0), "demain"),
        (paris(2026, 12, 10, 15, 0), "jeudi"),
        (paris(2026, 12, 13, 10, 0), "dimanche"),
        (paris(2026, 12, 14, 10, 0), "le 14 décembre"),
    ],
)
def test_the_day_is_said_the_way_a_young_person_reads_it(
    due: datetime, expected: str
) -> None:
    now = paris(2026, 12, 7, 15, 0)  # Monday

    assert describe_day(due, now, HOURS) == expected


def test_the_day_is_counted_in_paris_not_in_utc() -> None:
    # 23:30 UTC on Monday is already Tuesday in Paris.
    now = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    due = paris(2026, 12, 8, 10, 0)

    assert describe_day(due, now, HOURS) == "aujourd'hui"
