"""When a follow-up is due: after a delay, and only inside the sending hours.

Standard library only (plus :mod:`bot.permanences`): the action server uses
it to tell the young person the day, the bot service to store the due time.
The sending hours are written like the permanences (``lun-dim 10:00-20:00``)
in their own time zone, so a due time at night moves to the next morning,
summer time or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.permanences import DAY_NAMES, Permanences

MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


@dataclass(frozen=True)
class FollowUpPolicy:
    """How follow-ups are timed and how many go out without an answer.

    Args:
        delay: from the young person's yes (or from an unanswered follow-up)
            to the next follow-up.
        hours: when a follow-up may be sent.
        max_attempts: follow-ups sent in a row without an answer, then none.
    """

    delay: timedelta
    hours: Permanences
    max_attempts: int

    def allowed_from(self, at: datetime) -> datetime:
        """``at`` when it falls in the sending hours, else the next opening."""
        return at if self.hours.is_open(at) else self.hours.next_opening(at)

    def due_after(self, start: datetime) -> datetime:
        """When to check back on something agreed (or sent) at ``start``."""
        return self.allowed_from(start + self.delay)


def describe_day(due: datetime, now: datetime, hours: Permanences) -> str:
    """The day of ``due`` as the young person reads it, seen from ``now``.

    ``aujourd'hui``, ``demain``, a weekday within the week (``jeudi``), or a
    date further on (``le 12 décembre``).
    """
    zone = hours.zone
    day = due.astimezone(zone).date()
    days = (day - now.astimezone(zone).date()).days
    if days <= 0:
        return "aujourd'hui"
    if days == 1:
        return "demain"
    if days < 7:
        return DAY_NAMES[day.weekday()]
    return f"le {day.day} {MONTH_NAMES[day.month - 1]}"
