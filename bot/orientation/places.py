"""Finding the commune a young person means, from what they type.

People answer "where do you live?" with a postal code, a name with typos and
no accents, "st denis 93", "marseille 13e", "j'habite sur lille"... The
:class:`PlaceIndex` turns that into one of three answers:

- :class:`Found`: one commune (or municipal arrondissement);
- :class:`Ambiguous`: up to :data:`MAX_CANDIDATES` communes, ranked, for the bot
  to offer as buttons ("which Saint-Denis?");
- :class:`NotFound`: nothing credible, with the reason.

Paris, Lyon and Marseille: coverage is published per municipal arrondissement.
When the arrondissement is given ("lyon 3", "paris 11e", "13003") the answer
is the arrondissement; otherwise it is the city itself, and the Mission Locale
lookup works out whether all its arrondissements share one Mission Locale. A
bare number after one of these cities is read as an arrondissement when it is
in range ("marseille 13" is the 13th), else as a department.

The index lives in memory, built once from the database by
:func:`load_index` (or from plain records in tests), so that lookups take a
few milliseconds.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.orientation.errors import DataNotLoadedError
from bot.orientation.models import Commune, CommuneKind, Department, FormerCommune
from bot.orientation.text import compact, normalize_name, without_article
from bot.orientation.typed_text import (
    GENERIC_WORDS,
    NOT_PLACES,
    TypedPlace,
    department_of_postal_code,
    read_typed_place,
    strip_fillers,
)

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 5  # buttons offered at once; more would not fit on a phone
# An exact homonym outranks a partial match of up to this many times its size.
EXACT_NAME_BOOST = 10
# Fuzzy matching (rapidfuzz ratio, 0-100).
FUZZY_MIN_CHARS = 4  # below this, too many names are one typo apart
FUZZY_CUTOFF = 85
FUZZY_CUTOFF_SHORT = 88  # for names of FUZZY_SHORT_CHARS or fewer
FUZZY_SHORT_CHARS = 5
FUZZY_SURE = 90  # a single candidate this close is taken without asking
FUZZY_MARGIN = 5  # ...if the next one is at least this much further
FUZZY_LIMIT = 20
FUZZY_MAX_WORDS = 5  # longer text is a sentence: only its words are looked up
# ratio >= 80 implies the longer string is at most 1.5 times the shorter
# (2 * shorter / total >= 0.8); the cutoffs above are stricter still.
FUZZY_LENGTH_FACTOR = 1.5
POSTAL_NAME_CUTOFF = 75  # a name typed with a postal code, checked against it
NGRAM_MIN_CHARS = 4
SAINT_PREFIXES = ("saint ", "sainte ", "saints ", "saintes ")


ARRONDISSEMENT_IN_NAME = re.compile(r"\b(\d{1,2})(?:er|e)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    """A commune or municipal arrondissement, as the bot shows it."""

    code: str
    name: str
    kind: str
    department_code: str
    department_name: str
    postal_codes: tuple[str, ...] = ()
    population: int = 0
    parent_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    @property
    def label(self) -> str:
        """Short label for a button: "Saint-Denis (93)"."""
        return f"{self.name} ({self.department_code})"

    @property
    def is_arrondissement(self) -> bool:
        return self.kind == CommuneKind.ARRONDISSEMENT


class MatchKind(StrEnum):
    """How a place was recognised; the dialogue confirms the inexact ones."""

    NAME = "name"
    FORMER_NAME = "former_name"  # a commune that merged into this one
    POSTAL_CODE = "postal_code"
    ARRONDISSEMENT = "arrondissement"
    PARTIAL_NAME = "partial_name"  # "rillieux" for Rillieux-la-Pape
    SPELLING = "spelling"  # fuzzy: "roubai" for Roubaix


class AmbiguityReason(StrEnum):
    SAME_NAME = "same_name"
    POSTAL_CODE = "postal_code"  # a postal code shared by several communes
    SPELLING = "spelling"  # several names close to what was typed
    CONFLICT = "conflict"  # the postal code and the name disagree


class NotFoundReason(StrEnum):
    EMPTY = "empty"
    UNKNOWN_POSTAL_CODE = "unknown_postal_code"
    DEPARTMENT_ONLY = "department_only"  # "93", "nord": ask for the commune
    NO_MATCH = "no_match"


@dataclass(frozen=True)
class Found:
    place: Place
    match: MatchKind

    @property
    def exact(self) -> bool:
        """False when the bot should check ("Tu veux dire Roubaix ?")."""
        return self.match not in (MatchKind.PARTIAL_NAME, MatchKind.SPELLING)


@dataclass(frozen=True)
class Ambiguous:
    candidates: tuple[Place, ...]
    reason: AmbiguityReason
    total: int  # how many matched before keeping the first MAX_CANDIDATES

    def button_labels(self) -> list[str]:
        """One label per candidate, with the postal code where names repeat."""
        labels = [place.label for place in self.candidates]
        repeated = {label for label in labels if labels.count(label) > 1}
        return [
            f"{place.name} ({place.postal_codes[0]})"
            if label in repeated and place.postal_codes
            else label
            for place, label in zip(self.candidates, labels, strict=True)
        ]


@dataclass(frozen=True)
class NotFound:
    reason: NotFoundReason
    department_code: str | None = None


Resolution = Found | Ambiguous | NotFound


# A stage maps a name to candidate codes with how each was matched.
_Matches = dict[str, MatchKind]


class _Scores(dict[str, float]):
    """Spelling scores by commune code (a stage result of its own kind)."""


class PlaceIndex:
    """Communes in memory, with the lookups :meth:`resolve` needs.

    Args:
        places: current communes and municipal arrondissements.
        former_names: (name, current commune code) for communes that merged.
        departments: department code → name.
    """

    def __init__(
        self,
        places: Iterable[Place],
        former_names: Iterable[tuple[str, str]] = (),
        departments: Mapping[str, str] | None = None,
    ) -> None:
        self._places: dict[str, Place] = {place.code: place for place in places}
        self._names: dict[str, _Matches] = defaultdict(dict)
        self._compact: dict[str, set[str]] = defaultdict(set)
        self._postal: dict[str, list[str]] = defaultdict(list)
        self._arrondissements: dict[str, dict[int, str]] = defaultdict(dict)
        self._department_names: dict[str, str] = {}
        self._department_codes: set[str] = set()

        for place in self._places.values():
            self._add_name(place.name, place.code, MatchKind.NAME)
            for postal_code in place.postal_codes:
                self._postal[postal_code].append(place.code)
            if place.is_arrondissement and place.parent_code:
                number = ARRONDISSEMENT_IN_NAME.search(place.name)
                if number:
                    self._arrondissements[place.parent_code][int(number[1])] = (
                        place.code
                    )
            self._department_codes.add(place.department_code)
        for name, current_code in former_names:
            if current_code in self._places:
                self._add_name(name, current_code, MatchKind.FORMER_NAME)
        for code, name in (departments or {}).items():
            self._department_codes.add(code)
            folded = normalize_name(name)
            self._department_names[folded] = code
            alias = without_article(folded)
            if alias:
                self._department_names[alias] = code

        self._sorted_keys = sorted(self._names)
        # Spelling is scored within small pools: names sharing the first letter
        # typed, then the second (a typo on the first letter), then those of a
        # department. Scoring all 37,000 names would take ten times longer.
        self._by_first = _pools(self._names, lambda key: key[:1])
        # A typo on the S of "saint" is rare, and the 7,000 saint names would
        # make the second-letter pool of "a" four times bigger.
        self._by_second = _pools(
            (key for key in self._names if not key.startswith(SAINT_PREFIXES)),
            lambda key: key[1:2],
        )
        by_department: dict[str, list[str]] = defaultdict(list)
        for key, matches in self._names.items():
            for department in {self._places[c].department_code for c in matches}:
                by_department[department].append(key)
        self._by_department = {
            department: _LengthBuckets(keys)
            for department, keys in by_department.items()
        }

    def __len__(self) -> int:
        return len(self._places)

    def get(self, code: str) -> Place | None:
        """The place with this INSEE code, if known."""
        return self._places.get(code)

    def arrondissements_of(self, code: str) -> list[Place]:
        """The municipal arrondissements of a city, in order (empty if none)."""
        numbers = self._arrondissements.get(code, {})
        return [self._places[numbers[n]] for n in sorted(numbers)]

    def resolve(self, text: str) -> Resolution:
        """What ``text`` designates: one place, a question, or nothing.

        Args:
            text: what the young person typed, as is.
        """
        typed = read_typed_place(text, self._department_codes)
        if typed.postal_codes:
            return self._by_postal_code(typed)
        if not typed.words:
            departments = typed.departments + [
                n for n in typed.numbers if n in self._department_codes
            ]
            if departments:
                return NotFound(NotFoundReason.DEPARTMENT_ONLY, departments[0])
            if not typed.numbers and typed.arrondissement is None:
                return NotFound(NotFoundReason.EMPTY)
            return NotFound(NotFoundReason.NO_MATCH)
        return self._by_name(typed)

    # --- postal codes ---------------------------------------------------------

    def _by_postal_code(self, typed: TypedPlace) -> Resolution:
        codes: list[str] = []
        for postal_code in typed.postal_codes:
            codes.extend(c for c in self._postal.get(postal_code, []) if c not in codes)
        if not codes:
            department = department_of_postal_code(typed.postal_codes[0])
            known = department if department in self._department_codes else None
            if typed.words:
                typed.departments.extend([known] if known else [])
                return self._by_name(typed)
            return NotFound(NotFoundReason.UNKNOWN_POSTAL_CODE, known)

        places = _prefer_arrondissements([self._places[c] for c in codes])
        if typed.words:
            named = self._filter_by_name(places, " ".join(typed.words))
            if len(named) == 1:
                return Found(named[0], MatchKind.POSTAL_CODE)
            if named:
                return _ambiguous(named, AmbiguityReason.POSTAL_CODE)
            by_name = self._by_name(typed)
            if isinstance(by_name, Found):
                return _ambiguous(
                    [by_name.place, *places], AmbiguityReason.CONFLICT, rank=False
                )
        if len(places) == 1:
            return Found(places[0], MatchKind.POSTAL_CODE)
        return _ambiguous(places, AmbiguityReason.POSTAL_CODE)

    def _filter_by_name(self, places: list[Place], name: str) -> list[Place]:
        """The places whose name (or their city's) is close to ``name``."""
        wanted = strip_fillers(name.split())
        kept = []
        for place in places:
            names = [normalize_name(place.name)]
            parent = self._places.get(place.parent_code or "")
            if parent is not None:
                names.append(normalize_name(parent.name))
            score = max(fuzz.ratio(wanted, candidate) for candidate in names)
            if score >= POSTAL_NAME_CUTOFF:
                kept.append(place)
        return kept

    # --- names ----------------------------------------------------------------

    def _by_name(self, typed: TypedPlace) -> Resolution:
        full = " ".join(typed.words)
        name = strip_fillers(typed.words)
        if name in GENERIC_WORDS:
            return NotFound(NotFoundReason.NO_MATCH)
        exact = self._exact(full) or self._exact(name)
        self._read_numbers(typed, exact)

        # The first stage with a match in the department typed (if any) wins.
        first: _Matches | None = None
        stages: list[Callable[[], _Matches | _Scores]] = [
            lambda: exact,
            lambda: self._with_department_suffix(name, typed),
            lambda: self._prefix(name),
            # Spelling is searched all over France only when no name matched.
            lambda: self._fuzzy(name, typed.departments, widen=first is None),
            lambda: self._ngrams(name),
        ]
        if not exact and name in self._department_names:
            # "nord", "seine saint denis": a department, not a commune ("paris"
            # is both, and the commune won above).
            department = self._department_names[name]
            return NotFound(NotFoundReason.DEPARTMENT_ONLY, department)
        for stage in stages:
            matches = stage()
            if not matches:
                continue
            if isinstance(matches, _Scores):
                return self._decide_spelling(matches, typed)
            first = first or matches
            kept = self._in_departments(matches, typed.departments)
            if kept:
                return self._decide(kept, typed, name)

        if first is not None:
            # The department typed matches none of the names: trust the name.
            return self._decide(first, typed, name)
        return NotFound(NotFoundReason.NO_MATCH)

    def _read_numbers(self, typed: TypedPlace, exact: _Matches) -> None:
        """Bare numbers: an arrondissement of the city named, else a department."""
        cities = [self._arrondissements[c] for c in exact if c in self._arrondissements]
        for number in typed.numbers:
            rank = int(number)
            if typed.arrondissement is None and any(rank in c for c in cities):
                typed.arrondissement = rank
            elif number in self._department_codes:
                typed.departments.append(number)

    def _exact(self, name: str) -> _Matches:
        if not name:
            return {}
        found = dict(self._names.get(name, {}))
        for code in self._compact.get(compact(name), ()):
            found.setdefault(code, MatchKind.NAME)
        return found

    def _with_department_suffix(self, name: str, typed: TypedPlace) -> _Matches:
        """ "saint denis seine saint denis": a name, then its department."""
        tokens = name.split()
        for size in (3, 2, 1):
            if len(tokens) <= size:
                continue
            department = self._department_names.get(" ".join(tokens[-size:]))
            if department is None:
                continue
            found = self._exact(" ".join(tokens[:-size]))
            if found:
                typed.departments.append(department)
                return found
        return {}

    def _prefix(self, name: str, *, current_only: bool = False) -> _Matches:
        """Names that start with all the words typed ("rillieux", "aulnay").

        Args:
            name: the folded words typed.
            current_only: leave out the former names of merged communes.
        """
        if len(name) < FUZZY_MIN_CHARS:
            return {}
        start = name + " "
        found: _Matches = {}
        position = bisect.bisect_left(self._sorted_keys, start)
        while position < len(self._sorted_keys):
            key = self._sorted_keys[position]
            if not key.startswith(start):
                break
            for code, kind in self._names[key].items():
                if not (current_only and kind == MatchKind.FORMER_NAME):
                    found.setdefault(code, MatchKind.PARTIAL_NAME)
            position += 1
        return found

    def _ngrams(self, name: str) -> _Matches:
        """The longest run of words that is a name ("lille depuis 3 ans")."""
        tokens = name.split()
        for size in range(len(tokens) - 1, 0, -1):
            found: _Matches = {}
            for start in range(len(tokens) - size + 1):
                key = " ".join(tokens[start : start + size])
                if len(key) < NGRAM_MIN_CHARS or key in NOT_PLACES:
                    continue
                found.update(self._names.get(key, {}))
            if found:
                return found
        return {}

    def _fuzzy(self, name: str, departments: list[str], *, widen: bool) -> _Scores:
        """Best spelling score per commune code, above the cutoff.

        Args:
            name: the folded words typed.
            departments: departments typed, searched first.
            widen: search all of France when nothing close is found there.
        """
        if len(name) < FUZZY_MIN_CHARS or name.count(" ") >= FUZZY_MAX_WORDS:
            return _Scores()
        cutoff = FUZZY_CUTOFF_SHORT if len(name) <= FUZZY_SHORT_CHARS else FUZZY_CUTOFF
        if departments:
            pools = [self._by_department.get(d) for d in departments]
            scores = self._score(name, pools, cutoff, departments)
            if scores or not widen:
                return scores
        scores = self._score(name, [self._by_first.get(name[0])], cutoff, [])
        if scores or not widen:
            return scores
        # First letter wrong ("moubaix"), missing ("oubaix") or extra ("rroubaix").
        pools = [
            self._by_second.get(name[1]),
            self._by_second.get(name[0]),
            self._by_first.get(name[1]),
        ]
        return self._score(name, pools, cutoff, [])

    def _score(
        self,
        name: str,
        pools: list[_LengthBuckets | None],
        cutoff: int,
        departments: list[str],
    ) -> _Scores:
        scores = _Scores()
        for pool in pools:
            if pool is None:
                continue
            choices = pool.around(len(name))
            for key, score, _ in process.extract(
                name, choices, scorer=fuzz.ratio, limit=FUZZY_LIMIT, score_cutoff=cutoff
            ):
                for code in self._names[key]:
                    place = self._places[code]
                    if departments and place.department_code not in departments:
                        continue
                    scores[code] = max(score, scores.get(code, 0.0))
        return scores

    # --- deciding -------------------------------------------------------------

    def _in_departments(self, matches: _Matches, departments: list[str]) -> _Matches:
        if not departments:
            return matches
        return {
            code: kind
            for code, kind in matches.items()
            if self._places[code].department_code in departments
        }

    def _decide(self, matches: _Matches, typed: TypedPlace, name: str) -> Resolution:
        places = _collapse_arrondissements([self._places[c] for c in matches])
        if len(places) == 1:
            place = places[0]
            arrondissement = self._arrondissement(place, typed)
            if arrondissement is not None:
                return Found(arrondissement, MatchKind.ARRONDISSEMENT)
            return Found(place, matches.get(place.code, MatchKind.NAME))

        exact = {c for c, kind in matches.items() if kind != MatchKind.PARTIAL_NAME}
        if exact and not typed.departments:
            # Several exact homonyms: offer the bigger partial matches too
            # ("villeneuve" → Villeneuve-d'Ascq), the exact ones boosted.
            extra = self._prefix(name, current_only=True)
            places = _collapse_arrondissements(
                [*places, *(self._places[c] for c in extra if c not in matches)]
            )

        def weight(place: Place) -> int:
            boost = EXACT_NAME_BOOST if place.code in exact else 1
            return place.population * boost

        places.sort(key=weight, reverse=True)
        return _ambiguous(places, AmbiguityReason.SAME_NAME, rank=False)

    def _decide_spelling(self, scores: _Scores, typed: TypedPlace) -> Resolution:
        places = _collapse_arrondissements([self._places[c] for c in scores])
        places.sort(key=lambda p: (-scores.get(p.code, 0.0), -p.population))
        best = scores.get(places[0].code, 0.0)
        second = scores.get(places[1].code, 0.0) if len(places) > 1 else 0.0
        alone = len(places) == 1
        if alone or (best >= FUZZY_SURE and best - second >= FUZZY_MARGIN):
            arrondissement = self._arrondissement(places[0], typed)
            if arrondissement is not None:
                return Found(arrondissement, MatchKind.ARRONDISSEMENT)
            return Found(places[0], MatchKind.SPELLING)
        return _ambiguous(places, AmbiguityReason.SPELLING, rank=False)

    def _arrondissement(self, place: Place, typed: TypedPlace) -> Place | None:
        """The arrondissement of a city asked for by its rank, if any."""
        numbers = self._arrondissements.get(place.code)
        if not numbers:
            return None
        wanted = typed.arrondissement
        if wanted is None:
            for number in typed.numbers:
                if int(number) in numbers:
                    wanted = int(number)
                    break
        code = numbers.get(wanted) if wanted is not None else None
        return self._places[code] if code else None

    def _add_name(self, name: str, code: str, kind: MatchKind) -> None:
        normalized = normalize_name(name)
        keys = [normalized]
        alias = without_article(normalized)
        if alias:
            keys.append(alias)
        for key in keys:
            if key in GENERIC_WORDS:
                continue  # "Le Saint" must not answer every "saint ..."
            # A current commune's own name wins over a former name.
            if self._names[key].get(code) != MatchKind.NAME:
                self._names[key][code] = kind
            self._compact[compact(key)].add(code)


class _LengthBuckets:
    """Names sorted by length, to score only those of a plausible length."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = sorted(set(keys), key=len)
        self._lengths = [len(key) for key in self._keys]

    def around(self, length: int) -> list[str]:
        low = bisect.bisect_left(self._lengths, int(length / FUZZY_LENGTH_FACTOR))
        high = bisect.bisect_right(self._lengths, int(length * FUZZY_LENGTH_FACTOR))
        return self._keys[low:high]


def _pools(
    keys: Iterable[str], pool_of: Callable[[str], str]
) -> dict[str, _LengthBuckets]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        grouped[pool_of(key)].append(key)
    return {pool: _LengthBuckets(members) for pool, members in grouped.items()}


def _prefer_arrondissements(places: list[Place]) -> list[Place]:
    """13003 is both Marseille and its 3rd arrondissement: keep the latter."""
    parents = {p.parent_code for p in places if p.is_arrondissement}
    return [p for p in places if p.code not in parents]


def _collapse_arrondissements(places: list[Place]) -> list[Place]:
    """Arrondissements whose city is also a candidate stand behind it."""
    codes = {p.code for p in places}
    seen: set[str] = set()
    kept = []
    for place in places:
        if place.code in seen or (place.parent_code in codes):
            continue
        seen.add(place.code)
        kept.append(place)
    return kept


def _ambiguous(
    places: list[Place], reason: AmbiguityReason, *, rank: bool = True
) -> Ambiguous:
    unique = list({place.code: place for place in places}.values())
    if rank:
        unique.sort(key=lambda place: place.population, reverse=True)
    return Ambiguous(tuple(unique[:MAX_CANDIDATES]), reason, total=len(unique))


def load_index(session: Session) -> PlaceIndex:
    """Build the index from the orientation tables (about a second).

    Raises:
        DataNotLoadedError: when no commune was ever imported.
    """
    departments = dict(session.execute(select(Department.code, Department.name)).all())
    rows = session.execute(
        select(
            Commune.code,
            Commune.name,
            Commune.kind,
            Commune.department_code,
            Commune.postal_codes,
            Commune.population,
            Commune.parent_code,
            Commune.latitude,
            Commune.longitude,
        )
    ).all()
    if not rows:
        raise DataNotLoadedError(
            "Expected communes in the database, found none. Import the reference "
            "data first: `python -m bot.orientation.cli import`."
        )
    places = [
        Place(
            code=row.code,
            name=row.name,
            kind=row.kind,
            department_code=row.department_code,
            department_name=departments.get(row.department_code, row.department_code),
            postal_codes=tuple(row.postal_codes or ()),
            population=row.population or 0,
            parent_code=row.parent_code,
            latitude=row.latitude,
            longitude=row.longitude,
        )
        for row in rows
    ]
    former = session.execute(select(FormerCommune.name, FormerCommune.current_code))
    index = PlaceIndex(places, [(n, c) for n, c in former.all()], departments)
    logger.info("Place index loaded: %d places", len(index))
    return index
