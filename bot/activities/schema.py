"""What an activity entry is: the schema shared by the national catalogue and
the local files staff add.

The models are the schema: :func:`json_schema` exports them for editors and
reviewers (``data/activities/schema.json``), and every file is validated with
them when it is loaded. Facts that are not known are left out, never guessed:
every field but the ones needed to suggest and start an activity is optional.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationInfo,
    field_validator,
    model_validator,
)

SUPPORTED_VERSION = 1
# Telegram callback data is at most 64 bytes, and the "Ça me tente" button
# sends `/choose_activity{"activity_id":"<id>"}` (34 bytes around the id).
CHOOSE_PAYLOAD_PREFIX = '/choose_activity{"activity_id":"'
CHOOSE_PAYLOAD_SUFFIX = '"}'
TELEGRAM_CALLBACK_MAX_BYTES = 64
MAX_ID_LENGTH = (
    TELEGRAM_CALLBACK_MAX_BYTES
    - len(CHOOSE_PAYLOAD_PREFIX)
    - len(CHOOSE_PAYLOAD_SUFFIX)
)
ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
# INSEE codes: 5 characters, Corsica's departments are 2A and 2B.
COMMUNE_PATTERN = r"^(?:\d{5}|2[AB]\d{3})$"
DEPARTMENT_PATTERN = r"^(?:\d{2}|2[AB]|97\d)$"
# What the young person reads is kept short: these are chat messages.
MAX_TITLE_CHARS = 80
MAX_LINE_CHARS = 240
MAX_STEP_CHARS = 120
OLDEST_AGE = 99


class Kind(StrEnum):
    """What sort of thing it is; suggestions mix kinds."""

    VOLUNTEERING = "volunteering"
    SPORT = "sport"
    CULTURE = "culture"
    GAMING = "gaming"
    WORKSHOP = "workshop"
    AID = "aid"  # money off something else (a club, a ticket)
    TALK = "talk"  # someone to talk to
    LEARNING = "learning"


class Scope(StrEnum):
    """Where it is open to the young person."""

    NATIONAL = "national"  # anywhere in France, in person near them
    ONLINE = "online"  # from anywhere, at a distance
    DEPARTMENT = "department"  # in the listed departments only
    COMMUNE = "commune"  # in the listed communes only


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Ages(_Strict):
    """Age limits, both inclusive; a limit that is not known is left out."""

    min: int | None = Field(default=None, ge=0, le=OLDEST_AGE)
    max: int | None = Field(default=None, ge=0, le=OLDEST_AGE)
    note: str | None = Field(default=None, max_length=MAX_LINE_CHARS)

    @model_validator(mode="after")
    def _ordered(self) -> Ages:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self

    def allows(self, age: int | None) -> bool:
        """Whether ``age`` is within the limits; an unknown age is not refused."""
        if age is None:
            return True
        if self.min is not None and age < self.min:
            return False
        return self.max is None or age <= self.max


class Where(_Strict):
    """Where it takes place: national, online, or some departments or communes."""

    scope: Scope
    departments: list[str] = Field(default_factory=list)
    communes: list[str] = Field(default_factory=list)
    # How the young person finds it, in French ("à Lille, salle Dupont").
    place: str | None = Field(default=None, max_length=MAX_LINE_CHARS)

    @field_validator("departments")
    @classmethod
    def _departments(cls, codes: list[str]) -> list[str]:
        return _codes(codes, DEPARTMENT_PATTERN, "department code like 59, 2A or 974")

    @field_validator("communes")
    @classmethod
    def _communes(cls, codes: list[str]) -> list[str]:
        return _codes(codes, COMMUNE_PATTERN, "INSEE commune code like 59350")

    @model_validator(mode="after")
    def _listed_where_needed(self) -> Where:
        if self.scope is Scope.DEPARTMENT and not self.departments:
            raise ValueError("scope 'department' needs a list of departments")
        if self.scope is Scope.COMMUNE and not self.communes:
            raise ValueError("scope 'commune' needs a list of communes")
        if self.scope in (Scope.NATIONAL, Scope.ONLINE) and (
            self.departments or self.communes
        ):
            raise ValueError(
                f"scope '{self.scope}' is everywhere: remove departments and "
                "communes, or use scope 'department' or 'commune'"
            )
        return self


def _codes(codes: list[str], pattern: str, expected: str) -> list[str]:
    wrong = [code for code in codes if not re.fullmatch(pattern, code)]
    if wrong:
        raise ValueError(f"expected a {expected}, got {', '.join(map(repr, wrong))}")
    return codes


class Cost(_Strict):
    """What it costs the young person. ``details`` only with checked facts."""

    free: bool
    details: str | None = Field(default=None, max_length=MAX_LINE_CHARS)


class Entry(_Strict):
    """One thing a young person could do.

    ``interests`` and ``needs`` are codes of ``data/situation/vocabulary.yml``;
    the catalogue loader checks them. ``keywords`` are the young people's own
    words this entry is about ("foot", "rap"), to say why it fits in their words.
    """

    id: str = Field(min_length=2, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)
    title: str = Field(min_length=2, max_length=MAX_TITLE_CHARS)
    kind: Kind
    summary: str = Field(min_length=2, max_length=MAX_LINE_CHARS)
    interests: list[str] = Field(default_factory=list)
    needs: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    ages: Ages = Field(default_factory=Ages)
    where: Where
    cost: Cost | None = None
    schedule: str | None = Field(default=None, max_length=MAX_LINE_CHARS)
    how_to_join: str = Field(min_length=2, max_length=MAX_LINE_CHARS)
    # One small step for this week, said after "Cette semaine, tu pourrais…"
    # and kept as the follow-up's subject: "demander une séance d'essai".
    first_step: str = Field(min_length=2, max_length=MAX_STEP_CHARS)
    link: HttpUrl | None = None
    source: HttpUrl | None = None
    checked_on: date
    ends_on: date | None = None

    @field_validator("interests", "needs", "keywords")
    @classmethod
    def _no_duplicates(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise ValueError("listed twice: " + ", ".join(_repeated(values)))
        return values

    @field_validator("interests", "needs")
    @classmethod
    def _known_codes(cls, values: list[str], info: ValidationInfo) -> list[str]:
        # The loader passes the vocabulary's codes as validation context.
        known = (info.context or {}).get(info.field_name)
        if known is None:
            return values
        unknown = [code for code in values if code not in known]
        if unknown:
            raise ValueError(
                f"unknown {', '.join(unknown)}; expected codes of "
                f"data/situation/vocabulary.yml: {', '.join(sorted(known))}"
            )
        return values

    @model_validator(mode="after")
    def _ends_after_check(self) -> Entry:
        if self.ends_on is not None and self.ends_on < self.checked_on:
            raise ValueError(
                f"ends_on ({self.ends_on}) is before checked_on ({self.checked_on})"
            )
        return self

    def is_open(self, today: date) -> bool:
        """Offered up to and including ``ends_on``, never after."""
        return self.ends_on is None or today <= self.ends_on


def _repeated(values: list[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


class CatalogueFile(_Strict):
    """A catalogue file: the national one or one of the local ones."""

    version: int
    entries: list[Entry]

    @field_validator("version")
    @classmethod
    def _supported(cls, version: int) -> int:
        if version != SUPPORTED_VERSION:
            raise ValueError(
                f"expected version {SUPPORTED_VERSION}, got {version}: this "
                "Maraude reads only that version"
            )
        return version

    @model_validator(mode="after")
    def _unique_ids(self) -> CatalogueFile:
        repeated = _repeated([entry.id for entry in self.entries])
        if repeated:
            raise ValueError("ids used twice in this file: " + ", ".join(repeated))
        return self


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a catalogue file, for editors and reviewers."""
    schema = CatalogueFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Maraude activity catalogue"
    return schema
