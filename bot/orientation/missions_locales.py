"""Which Mission Locale a young person should go to, from their commune.

The published coverage map names one Mission Locale per commune (per
arrondissement in Paris, Lyon and Marseille). Where the map does not cover a
commune (the sample covers ten departments), the answer lists the Missions
Locales of its department and says it is not sure which one: it never picks
one at random.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.orientation.models import Commune, Coverage, MissionLocale
from bot.orientation.places import Place
from bot.orientation.text import fold

logger = logging.getLogger(__name__)

# A search, not a pin: the map service geocodes the address when opened, so
# the bot makes no network call and needs no coordinates.
MAP_SEARCH_URL = "https://www.openstreetmap.org/search"

# Street-type abbreviations as the coverage map writes them.
STREET_TYPES = {
    "r": "rue",
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "pl": "place",
    "crs": "cours",
    "che": "chemin",
    "chem": "chemin",
    "rte": "route",
    "qu": "quai",
    "imp": "impasse",
    "all": "allée",
    "sq": "square",
    "fbg": "faubourg",
    "prv": "parvis",
    "pass": "passage",
    "res": "résidence",
}
MIN_USUAL_NAME_WORDS = 2
UNINFORMATIVE_WORDS = frozenset({"mission", "locale", "ml", "siege", "jeunes"})
STREET_WORDS = frozenset(STREET_TYPES.values())
# Written in lower case inside a name ("Rue de la Caravelle").
SMALL_WORDS = frozenset(
    {"de", "du", "des", "la", "le", "les", "l", "d", "et", "sur", "sous", "en"}
    | {"aux", "au", "à", "lès", "lez"}
)
# Acronyms in names, spelled out wherever they stand ("Espace 2M - ML Roanne").
NAME_ACRONYMS = (
    (re.compile(r"\bMLJ\b", re.IGNORECASE), "Mission Locale Jeunes"),
    (re.compile(r"\bMLI\b", re.IGNORECASE), "Mission Locale Intercommunale"),
    (re.compile(r"\bML\b", re.IGNORECASE), "Mission Locale"),
)
DEPARTMENT_PREFIX = re.compile(r"^\s*(?:2[AB]|\d{2,3})\s*[-–]\s*")
CITY_ARRONDISSEMENT = re.compile(
    r"\s*-\s*\d+\s*(?:er|e|ème|eme)\s+arrondissement\s*$", re.IGNORECASE
)
WORD = re.compile(r"[^\W\d_]+|[\W\d_]+")


class Certainty(StrEnum):
    """How sure the answer is; the dialogue words it accordingly."""

    COVERED = "covered"  # the published map names this Mission Locale
    SEVERAL = "several"  # the commune or city is split between several
    DEPARTMENT = "department"  # not covered by the map: those of the department
    UNKNOWN = "unknown"  # no Mission Locale known in the department


@dataclass(frozen=True)
class MissionLocaleInfo:
    """A Mission Locale as the bot presents it."""

    id: str
    name: str
    official_name: str
    department_code: str | None
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None

    @property
    def full_address(self) -> str | None:
        """ "92 avenue Jean Baptiste Lebas, 59100 Roubaix", or None if unknown."""
        if not self.address:
            return None
        town = " ".join(part for part in (self.postal_code, self.city) if part)
        return f"{self.address}, {town}" if town else self.address

    @property
    def map_url(self) -> str | None:
        """An OpenStreetMap search for the address, or None if unknown."""
        if self.full_address is None:
            return None
        return f"{MAP_SEARCH_URL}?{urlencode({'query': self.full_address})}"


@dataclass(frozen=True)
class MissionLocaleAnswer:
    """The Mission(s) Locale(s) for one place, and how sure that is."""

    certainty: Certainty
    missions_locales: tuple[MissionLocaleInfo, ...]
    place_code: str
    department_code: str

    @property
    def sure(self) -> bool:
        return self.certainty == Certainty.COVERED


class MissionLocaleDirectory:
    """Missions Locales and the coverage map, in memory.

    Args:
        missions_locales: every known Mission Locale.
        coverage: (commune code, Mission Locale id) pairs from the map.
        arrondissements: city code → codes of its municipal arrondissements.
    """

    def __init__(
        self,
        missions_locales: Iterable[MissionLocaleInfo],
        coverage: Iterable[tuple[str, str]],
        arrondissements: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self._by_id = {ml.id: ml for ml in missions_locales}
        self._coverage: dict[str, list[str]] = defaultdict(list)
        for commune_code, ml_id in coverage:
            if ml_id in self._by_id and ml_id not in self._coverage[commune_code]:
                self._coverage[commune_code].append(ml_id)
        self._by_department: dict[str, list[MissionLocaleInfo]] = defaultdict(list)
        for ml in sorted(self._by_id.values(), key=lambda ml: ml.name):
            if ml.department_code:
                self._by_department[ml.department_code].append(ml)
        self._arrondissements = {
            city: list(codes) for city, codes in (arrondissements or {}).items()
        }

    def __len__(self) -> int:
        return len(self._by_id)

    def for_place(self, place: Place) -> MissionLocaleAnswer:
        """The Mission Locale covering ``place``, or the department's ones.

        A city with arrondissements (Paris, Lyon, Marseille) given without its
        arrondissement gets its Mission Locale when all arrondissements share
        one, and the list of them otherwise.
        """
        ids = list(self._coverage.get(place.code, []))
        for code in self._arrondissements.get(place.code, []):
            ids.extend(i for i in self._coverage.get(code, []) if i not in ids)

        if len(ids) == 1:
            return self._answer(Certainty.COVERED, ids, place)
        if ids:
            return self._answer(Certainty.SEVERAL, ids, place)

        department = self._by_department.get(place.department_code, [])
        certainty = Certainty.DEPARTMENT if department else Certainty.UNKNOWN
        return MissionLocaleAnswer(
            certainty=certainty,
            missions_locales=tuple(department),
            place_code=place.code,
            department_code=place.department_code,
        )

    def _answer(
        self, certainty: Certainty, ids: list[str], place: Place
    ) -> MissionLocaleAnswer:
        return MissionLocaleAnswer(
            certainty=certainty,
            missions_locales=tuple(self._by_id[i] for i in ids),
            place_code=place.code,
            department_code=place.department_code,
        )


def present(row: MissionLocale) -> MissionLocaleInfo:
    """A stored Mission Locale, with its name and address made readable."""
    return MissionLocaleInfo(
        id=row.id,
        name=display_name(row.official_name, row.usual_name),
        official_name=row.official_name,
        department_code=row.department_code,
        address=readable_address(row.address) if row.address else None,
        postal_code=row.postal_code,
        city=readable_city(row.city) if row.city else None,
    )


def display_name(official_name: str, usual_name: str | None = None) -> str:
    """The name to show: the usual one, else the official one spelled out.

    >>> display_name("59-ML ROUBAIX")
    'Mission Locale Roubaix'
    """
    usual = DEPARTMENT_PREFIX.sub("", (usual_name or "").strip())
    name = usual if _informative(usual) else official_name
    name = DEPARTMENT_PREFIX.sub("", name)
    if name.isupper() or name.islower():
        name = _title(name.strip(), keep=frozenset())
    for pattern, words in NAME_ACRONYMS:
        name = pattern.sub(words, name.strip())
    return name


def _informative(usual_name: str) -> bool:
    """False for acronyms ("MLP") and bare labels ("Mission Locale (siège)")."""
    words = fold(usual_name).split()
    telling = [word for word in words if word not in UNINFORMATIVE_WORDS]
    return len(words) >= MIN_USUAL_NAME_WORDS and bool(telling)


def readable_address(address: str) -> str:
    """ "4 place  sanville" → "4 place Sanville"; "r" → "rue" and the like."""
    words = address.split()
    expanded = [
        STREET_TYPES.get(word.lower(), word) if position < len(words) - 1 else word
        for position, word in enumerate(words)
    ]
    return _title(" ".join(expanded), keep=STREET_WORDS, capitalize_first=False)


def readable_city(city: str) -> str:
    """ "Marseille - 6ème Arrondissement" → "Marseille" (the postal code tells)."""
    return CITY_ARRONDISSEMENT.sub("", city).strip()


def _title(text: str, keep: frozenset[str], *, capitalize_first: bool = True) -> str:
    """Capitalise names, leaving small words and street types in lower case."""
    parts = WORD.findall(text)
    out = []
    first_word = capitalize_first
    for part in parts:
        if not part[0].isalpha():
            out.append(part)
            continue
        lower = part.lower()
        if (lower in SMALL_WORDS or lower in keep) and not first_word:
            out.append(lower)
        elif part.isupper() or part.islower():
            out.append(lower.capitalize())
        else:
            out.append(part)
        first_word = False
    return "".join(out)


def load_directory(session: Session) -> MissionLocaleDirectory:
    """Build the directory from the orientation tables."""
    missions_locales = [present(row) for row in session.scalars(select(MissionLocale))]
    coverage = session.execute(
        select(Coverage.commune_code, Coverage.mission_locale_id)
    ).all()
    arrondissements: dict[str, list[str]] = defaultdict(list)
    children = session.execute(
        select(Commune.parent_code, Commune.code).where(
            Commune.parent_code.is_not(None)
        )
    )
    for parent_code, code in children:
        if parent_code is not None:
            arrondissements[parent_code].append(code)
    directory = MissionLocaleDirectory(
        missions_locales, [(c, m) for c, m in coverage], arrondissements
    )
    logger.info(
        "Mission Locale directory loaded: %d structures, %d communes covered",
        len(directory),
        len(coverage),
    )
    return directory
