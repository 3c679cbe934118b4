"""What the crisis detector says about a message: category, severity, signals."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class DangerCategory(StrEnum):
    """A kind of danger, each with the number a young person gets first."""

    SUICIDE = "suicide"  # 3114
    CHILD_ABUSE = "child_abuse"  # 119, and 17 in danger now
    PARTNER_VIOLENCE = "partner_violence"  # 3919, and 17 in danger now
    HOMELESS = "homeless"  # 115
    CYBER_HARASSMENT = "cyber_harassment"  # 3018
    IMMEDIATE_DANGER = "immediate_danger"  # 17 / 112, 114 by SMS


class Severity(IntEnum):
    """How urgent it is; the counsellors' queue is ordered by it."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4  # life at risk now


# When two dangers are equally severe, the one a young person must hear about
# first: a threat to life right now, then a risk to their own life.
CATEGORY_PRIORITY: tuple[DangerCategory, ...] = (
    DangerCategory.IMMEDIATE_DANGER,
    DangerCategory.SUICIDE,
    DangerCategory.CHILD_ABUSE,
    DangerCategory.PARTNER_VIOLENCE,
    DangerCategory.HOMELESS,
    DangerCategory.CYBER_HARASSMENT,
)


@dataclass(frozen=True)
class Assessment:
    """One danger found in a message.

    Attributes:
        category: What kind of danger, which decides the number given.
        severity: How urgent; CRITICAL means a life at risk now.
        signals: Names of the rules or scorers that fired, sorted; never any
            text of the message, so an assessment can be logged and stored.
    """

    category: DangerCategory
    severity: Severity
    signals: tuple[str, ...]

    def sort_key(self) -> tuple[int, int]:
        """Orders assessments most urgent first (use with ``sorted``)."""
        return (-self.severity, CATEGORY_PRIORITY.index(self.category))
