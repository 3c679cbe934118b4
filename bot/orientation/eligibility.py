"""Which schemes may fit a young person, and why, from a dated table.

The rules, amounts and every sentence shown live in
``data/orientation/schemes.yml``, which staff update; this module only applies
them. It never decides for the young person: it lists what *may* fit and says
plainly which conditions it could not check.
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.config import PROJECT_ROOT
from bot.orientation.errors import SchemesError

logger = logging.getLogger(__name__)

DEFAULT_SCHEMES_FILE = PROJECT_ROOT / "data" / "orientation" / "schemes.yml"
SUPPORTED_VERSION = 1
MAX_AGE = 120
PLACEHOLDERS = frozenset({"amount", "total", "amounts_note"})
AMOUNT_PLACEHOLDERS = frozenset({"amount", "total"})
FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
    "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
NBSP = "\u00a0"  # keeps "561,68 €" on one line


class Status(StrEnum):
    """What the young person does now."""

    SCHOOL = "school"
    APPRENTICESHIP = "apprenticeship"
    TRAINING = "training"
    JOB = "job"
    JOB_SEEKER = "job_seeker"
    NOTHING = "nothing"


class Diploma(StrEnum):
    """Highest diploma. ``NONE`` is no diploma (the brevet does not count)."""

    NONE = "none"
    CAP_BEP = "cap_bep"
    BAC = "bac"
    HIGHER = "higher"


@dataclass(frozen=True)
class Profile:
    """What the bot knows of a young person; None means "not asked yet".

    Attributes:
        age: in whole years.
        status: what they do now.
        diploma: highest diploma; ``Diploma.NONE`` for none at all.
        rqth: has a disability recognition (RQTH).
        rsa: receives the RSA.
    """

    age: int | None = None
    status: Status | None = None
    diploma: Diploma | None = None
    rqth: bool | None = None
    rsa: bool | None = None

    def __post_init__(self) -> None:
        if self.age is not None and not 0 <= self.age <= MAX_AGE:
            raise ValueError(
                f"Expected an age between 0 and {MAX_AGE}, got {self.age}."
            )


@dataclass(frozen=True)
class SchemeMatch:
    """A scheme that may fit, with the words to say it."""

    id: str
    name: str
    reason: str
    unchecked: tuple[str, ...]
    url: str | None = None
    amounts_valid_from: date | None = None


# --- the table's schema ------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgeRule(_Strict):
    min: int | None = Field(default=None, ge=0, le=MAX_AGE)
    max: int | None = Field(default=None, ge=0, le=MAX_AGE)
    max_with_rqth: int | None = Field(default=None, ge=0, le=MAX_AGE)

    @model_validator(mode="after")
    def _ordered(self) -> AgeRule:
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        if self.max_with_rqth is not None and (
            self.max is None or self.max_with_rqth < self.max
        ):
            raise ValueError("max_with_rqth needs a max, and must not be below it")
        return self


class Rules(_Strict):
    age: AgeRule | None = None
    status: list[Status] | None = None
    diploma: list[Diploma] | None = None
    rsa: bool | None = None  # false: not combinable with the RSA


class IfUnknown(_Strict):
    age: str | None = None
    status: str | None = None
    diploma: str | None = None
    rqth: str | None = None
    rsa: str | None = None


class Reason(_Strict):
    text: str = Field(min_length=1)
    when: Rules | None = None


class Note(_Strict):
    text: str = Field(min_length=1)
    when: Rules | None = None


class AmountItem(_Strict):
    label: str
    monthly_eur: float = Field(ge=0)
    age: AgeRule | None = None


class AmountTable(_Strict):
    valid_from: date | None
    checked_on: date
    source: str = Field(min_length=1)
    items: Annotated[list[AmountItem], Field(min_length=1)]


class Scheme(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    url: str | None = None
    rules: Rules
    if_unknown: IfUnknown
    reasons: Annotated[list[Reason], Field(min_length=1)]
    notes: list[Note] = []
    amounts: list[AmountTable] = []

    @model_validator(mode="after")
    def _complete(self) -> Scheme:
        needed = {
            "age": self.rules.age is not None,
            "status": self.rules.status is not None,
            "diploma": self.rules.diploma is not None,
            "rsa": self.rules.rsa is not None,
            "rqth": bool(self.rules.age and self.rules.age.max_with_rqth),
        }
        missing = [
            k for k, n in needed.items() if n and not getattr(self.if_unknown, k)
        ]
        if missing:
            raise ValueError(
                f"if_unknown needs a sentence for {', '.join(missing)} "
                "(said when the bot does not know it)"
            )
        if self.reasons[-1].when is not None:
            raise ValueError("the last reason must have no `when` (the default)")
        for reason in self.reasons:
            used = _placeholders(reason.text)
            if used - PLACEHOLDERS:
                raise ValueError(
                    f"unknown placeholder {sorted(used - PLACEHOLDERS)} in a reason; "
                    f"use only {sorted(PLACEHOLDERS)}"
                )
            if used & AMOUNT_PLACEHOLDERS and not self.amounts:
                raise ValueError("a reason shows an amount but there is no amounts")
        dated = [t.valid_from for t in self.amounts if t.valid_from is not None]
        if len(dated) != len(set(dated)):
            raise ValueError("two amount tables have the same valid_from")
        return self


class Wording(_Strict):
    amounts_dated: str
    amounts_undated: str


class SchemesFile(_Strict):
    version: int
    wording: Wording
    schemes: Annotated[list[Scheme], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> SchemesFile:
        if self.version != SUPPORTED_VERSION:
            raise ValueError(
                f"version {self.version} is not supported; expected {SUPPORTED_VERSION}"
            )
        ids = [scheme.id for scheme in self.schemes]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"scheme ids must be unique; repeated: {repeated}")
        return self


# --- loading -----------------------------------------------------------------


def load_schemes(path: Path | None = None) -> SchemesFile:
    """Read and check the schemes table.

    Raises:
        SchemesError: naming the file, the place in it and what is wrong.
    """
    source = path or DEFAULT_SCHEMES_FILE
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as err:
        raise SchemesError(f"Could not read the schemes table {source}: {err}") from err
    except yaml.YAMLError as err:
        raise SchemesError(
            f"{source} is not valid YAML ({err}). Check the indentation and "
            "quotes around the line shown."
        ) from err
    try:
        table = SchemesFile.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{_where(error['loc'], raw)}: {error['msg']}" for error in err.errors()
        )
        raise SchemesError(
            f"{source} has {err.error_count()} problem(s): {problems}. Fix them "
            "and load the table again; nothing was taken from this file."
        ) from err
    logger.info("Schemes table loaded: %d schemes", len(table.schemes))
    return table


def _where(location: tuple[int | str, ...], raw: Any) -> str:
    """ "schemes[2] (cej).rules.age" from a pydantic error location."""
    parts: list[str] = []
    node = raw
    for key in location:
        if isinstance(key, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{key}]"]
            node = node[key] if isinstance(node, list) and key < len(node) else None
            if isinstance(node, dict) and "id" in node:
                parts[-1] += f" ({node['id']})"
        else:
            parts.append(key)
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# --- applying ----------------------------------------------------------------


def eligible_schemes(
    profile: Profile, table: SchemesFile, *, on: date | None = None
) -> list[SchemeMatch]:
    """The schemes that may fit ``profile``, in the table's order.

    Args:
        profile: what is known of the young person.
        table: the schemes table (see :func:`load_schemes`).
        on: the day amounts are quoted for; today by default.
    """
    today = on or date.today()
    matches = []
    for scheme in table.schemes:
        unchecked = _check(scheme.rules, scheme.if_unknown, profile)
        if unchecked is None:
            continue
        unchecked += [
            note.text for note in scheme.notes if _applies(note.when, profile)
        ]
        amounts = _amount_table(scheme, today)
        reason = next(r for r in scheme.reasons if _applies(r.when, profile))
        matches.append(
            SchemeMatch(
                id=scheme.id,
                name=scheme.name,
                reason=_render(reason.text, amounts, profile, table.wording),
                unchecked=tuple(unchecked),
                url=scheme.url,
                amounts_valid_from=amounts.valid_from if amounts else None,
            )
        )
    logger.debug("Eligibility: %d schemes may fit", len(matches))
    return matches


def _check(rules: Rules, unknown: IfUnknown, profile: Profile) -> list[str] | None:
    """What could not be checked, or None when a rule rules the scheme out."""
    unchecked: list[str] = []
    if rules.age is not None:
        if profile.age is None:
            unchecked.append(_said(unknown.age))
        else:
            verdict = _age_verdict(rules.age, profile)
            if verdict is False:
                return None
            if verdict is None:
                unchecked.append(_said(unknown.rqth))
    for allowed, value, sentence in (
        (rules.status, profile.status, unknown.status),
        (rules.diploma, profile.diploma, unknown.diploma),
    ):
        if allowed is None:
            continue
        if value is None:
            unchecked.append(_said(sentence))
        elif value not in allowed:
            return None
    if rules.rsa is not None:
        if profile.rsa is None:
            unchecked.append(_said(unknown.rsa))
        elif profile.rsa != rules.rsa:
            return None
    return unchecked


def _age_verdict(rule: AgeRule, profile: Profile) -> bool | None:
    """True if the age fits, False if not, None if it hinges on an unknown RQTH."""
    age = profile.age
    if age is None:
        return None
    if rule.min is not None and age < rule.min:
        return False
    if rule.max is None or age <= rule.max:
        return True
    if rule.max_with_rqth is None or age > rule.max_with_rqth:
        return False
    return profile.rqth


def _applies(when: Rules | None, profile: Profile) -> bool:
    """Whether a reason or note is for this profile (unknown facts: no)."""
    if when is None:
        return True
    if when.age is not None and _age_verdict(when.age, profile) is not True:
        return False
    checks = (
        (when.status, profile.status),
        (when.diploma, profile.diploma),
    )
    for allowed, value in checks:
        if allowed is not None and (value is None or value not in allowed):
            return False
    return when.rsa is None or profile.rsa == when.rsa


def _amount_table(scheme: Scheme, today: date) -> AmountTable | None:
    """The newest table in force; an undated one only if no dated one is."""
    in_force = [
        t for t in scheme.amounts if t.valid_from is not None and t.valid_from <= today
    ]
    if in_force:
        return max(in_force, key=lambda t: t.valid_from or date.min)
    undated = [t for t in scheme.amounts if t.valid_from is None]
    return undated[0] if undated else None


def _render(
    text: str, table: AmountTable | None, profile: Profile, wording: Wording
) -> str:
    text = " ".join(text.split())
    if table is None:
        return text
    items = [
        item
        for item in table.items
        if item.age is None or profile.age is None or _age_verdict(item.age, profile)
    ] or table.items
    if table.valid_from is not None:
        note = wording.amounts_dated.format(date=french_date(table.valid_from))
    else:
        note = wording.amounts_undated
    return text.format(
        amount=euros(max(item.monthly_eur for item in items)),
        total=euros(sum(item.monthly_eur for item in items)),
        amounts_note=note,
    )


def euros(amount: float) -> str:
    """ "561,68 €", or "500 €" for a whole amount."""
    if amount == int(amount):
        return f"{int(amount)}{NBSP}€"
    return f"{amount:.2f}".replace(".", ",") + f"{NBSP}€"


def french_date(day: date) -> str:
    """ "1er avril 2025"."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {FRENCH_MONTHS[day.month - 1]} {day.year}"


def _said(sentence: str | None) -> str:
    # The schema requires the sentence whenever the rule exists.
    if sentence is None:
        raise SchemesError("A rule has no if_unknown sentence; reload the table.")
    return sentence
