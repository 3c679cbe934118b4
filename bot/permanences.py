"""Permanences: the hours when counsellors are there to read young people.

Counsellors work in shifts, not around the clock (see DOMAIN.md). The hours
are configuration, written the way a team writes them on a door::

    lun-ven 09:00-12:30 13:30-17:30; sam 10h-12h

Day groups are separated by ``;``; a group is days (``lun-ven`` or
``lun,mer,ven``) then one or more ``HH:MM-HH:MM`` slots (``9h``, ``9h30``
and ``24:00`` are accepted). Outside them, a young person asking for a human
is told when someone will read them (``lundi à 9h``).

Standard library only: the action server imports it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")
DAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
EXAMPLE = "lun-ven 09:00-12:30 13:30-17:30; sam 10:00-12:00"
MINUTES_PER_DAY = 24 * 60

_CLOCK = re.compile(r"^(\d{1,2})(?:[:h](\d{2})?)?$")


class PermanencesError(ValueError):
    """The permanences text cannot be read; the message says where and how."""


@dataclass(frozen=True)
class Slot:
    """One opening on one weekday, in minutes since midnight (local time)."""

    weekday: int  # 0 is Monday, as in datetime.weekday()
    start: int
    end: int


@dataclass(frozen=True)
class Permanences:
    """The weekly opening hours, in one time zone.

    Args:
        slots: openings, one weekday each.
        zone: the time zone the hours are written in.
    """

    slots: tuple[Slot, ...]
    zone: tzinfo

    def is_open(self, at: datetime) -> bool:
        """Whether a counsellor is on duty at ``at`` (any aware datetime)."""
        local = at.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        return any(
            s.weekday == local.weekday() and s.start <= minute < s.end
            for s in self.slots
        )

    def next_opening(self, at: datetime) -> datetime:
        """The next start of a slot after ``at``, in local time.

        Raises:
            PermanencesError: when there is no slot at all.
        """
        if not self.slots:
            raise PermanencesError("No permanence is configured: nobody ever opens.")
        local = at.astimezone(self.zone)
        # Eight days: today's later slots, the six days after, and today's
        # earlier slots a week on.
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            starts = sorted(s.start for s in self.slots if s.weekday == day.weekday())
            for start in starts:
                opening = _at_minute(day, start, self.zone)
                if opening > local:
                    return opening
        raise AssertionError("unreachable: a weekly slot recurs within 8 days")

    def describe_next(self, at: datetime) -> str:
        """When someone will read, in French: ``demain à 9h``, ``lundi à 14h30``."""
        opening = self.next_opening(at)
        today = at.astimezone(self.zone).date()
        days = (opening.date() - today).days
        if days == 0:
            day = "aujourd'hui"
        elif days == 1:
            day = "demain"
        else:
            day = DAY_NAMES[opening.weekday()]
        return f"{day} à {french_clock(opening.hour, opening.minute)}"


def french_clock(hour: int, minute: int) -> str:
    """``9h``, ``13h30``: how the time is written in a French message."""
    return f"{hour}h{minute:02d}" if minute else f"{hour}h"


def parse_permanences(text: str, zone_name: str = "Europe/Paris") -> Permanences:
    """Read the permanences text (see the module docstring for the format).

    Raises:
        PermanencesError: naming the part that cannot be read, with an example.
    """
    try:
        zone: tzinfo = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise PermanencesError(
            f"Expected an IANA time zone such as Europe/Paris; got {zone_name!r}."
        ) from err
    slots: list[Slot] = []
    for group in (g.strip() for g in text.split(";")):
        if group:
            slots.extend(_parse_group(group))
    if not slots:
        raise PermanencesError(
            f"Expected at least one permanence, like {EXAMPLE!r}; got {text!r}."
        )
    return Permanences(tuple(slots), zone)


def _parse_group(group: str) -> list[Slot]:
    days_text, *ranges = group.split()
    if not ranges:
        raise PermanencesError(
            f"Expected days then hours, like 'lun-ven 09:00-17:00'; got {group!r}."
        )
    weekdays = _parse_days(days_text, group)
    slots: list[Slot] = []
    for item in ranges:
        start, end = _parse_range(item.strip(","), group)
        slots.extend(Slot(day, start, end) for day in weekdays)
    return slots


def _parse_days(text: str, group: str) -> list[int]:
    weekdays: list[int] = []
    for part in text.lower().split(","):
        first, _, last = part.partition("-")
        try:
            start = _weekday(first)
            stop = _weekday(last) if last else start
        except ValueError as err:
            raise PermanencesError(
                f"Expected days among {', '.join(DAYS)} (like 'lun-ven' or "
                f"'lun,mer'); got {part!r} in {group!r}."
            ) from err
        if stop < start:
            raise PermanencesError(
                f"Expected a day range in week order (lun to dim); got {part!r}."
            )
        weekdays.extend(range(start, stop + 1))
    return weekdays


def _weekday(text: str) -> int:
    """0 for ``lun`` or ``lundi`` (any start of the name, three letters or more)."""
    for index, name in enumerate(DAY_NAMES):
        if len(text) >= len(DAYS[index]) and name.startswith(text):
            return index
    raise ValueError(text)


def _parse_range(text: str, group: str) -> tuple[int, int]:
    start_text, sep, end_text = text.partition("-")
    if not sep:
        raise PermanencesError(
            f"Expected hours like '09:00-12:30'; got {text!r} in {group!r}."
        )
    start, end = _parse_clock(start_text, group), _parse_clock(end_text, group)
    if end <= start:
        raise PermanencesError(
            f"Expected a slot ending after it starts, within one day (split one "
            f"that crosses midnight in two); got {text!r} in {group!r}."
        )
    return start, end


def _parse_clock(text: str, group: str) -> int:
    match = _CLOCK.match(text.strip().lower())
    if match is None:
        raise PermanencesError(
            f"Expected a time like 09:00, 9h or 9h30; got {text!r} in {group!r}."
        )
    minutes = int(match.group(1)) * 60 + int(match.group(2) or 0)
    if int(match.group(2) or 0) >= 60 or minutes > MINUTES_PER_DAY:
        raise PermanencesError(f"Expected a time of day; got {text!r} in {group!r}.")
    return minutes


def _at_minute(day: date, minute: int, zone: tzinfo) -> datetime:
    if minute >= MINUTES_PER_DAY:
        return datetime.combine(day + timedelta(days=1), time(), zone)
    return datetime.combine(day, time(minute // 60, minute % 60), zone)
