"""Choosing two or three activities for one young person, and saying why.

Pure functions over a :class:`~bot.activities.catalogue.Catalogue` and a
:class:`Profile`: no Rasa, no database. The rules, in order:

1. never offered: what was already shown, what has ended (``ends_on``), what
   their age rules out, what is local to somewhere else (and local entries
   when we do not know where they live);
2. ranked by what they like (interest codes, and their own words when we
   have them), then by what they need, with a small bonus for what is near;
3. picked one at a time so that the suggestions differ in kind and cover
   each of their interests before doubling one.

The reason line is true by construction: it quotes the word or interest that
matched, or the need the entry helps with.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.activities.catalogue import DATA_DIR, VOCABULARY_FILE, Activity, Catalogue
from bot.activities.schema import Entry, Kind, Scope
from nlu.normalize import normalize

WORDING_FILE = DATA_DIR / "activities" / "wording.yml"
MAX_SUGGESTIONS = 3
MIN_SUGGESTIONS = 2

# Weights of the ranking; see scripts/bench_activities.py for their effect.
INTEREST_WEIGHT = 3.0
EXTRA_INTEREST_WEIGHT = 1.0  # each further shared interest
# A specific entry about what they like beats a broad one that also covers it:
# this weight is shared among the entry's interests.
SPECIFIC_WEIGHT = 1.0
WORD_WEIGHT = 2.0
NEED_WEIGHT = 1.0
COMMUNE_BONUS = 1.5
DEPARTMENT_BONUS = 1.0
SAME_KIND_PENALTY = 2.0
NEW_INTEREST_BONUS = 1.5
COVERED_ONLY_PENALTY = 2.0  # matches only interests already covered
# With no interest known, what suits anyone comes first.
OPEN_TO_ALL_BONUS = 1.0
OPEN_TO_ALL_KINDS = frozenset({Kind.VOLUNTEERING, Kind.TALK, Kind.CULTURE})
# "je kiffe pas le foot": a keyword this close after a negation is not liked.
NEGATION_WINDOW = 3
NEGATIONS = frozenset({"pas", "jamais", "sans", "deteste", "horreur"})
# With interests known, entries that match none are offered only when they
# are open to anyone whatever they like: volunteering, someone to talk to.
BROAD_KINDS = frozenset({Kind.VOLUNTEERING, Kind.TALK})


@dataclass(frozen=True)
class Profile:
    """What the recommender knows about one young person.

    Attributes:
        interests: interest codes of the situation vocabulary ("sport").
        needs: need codes ("job", "money").
        age: whole years, when known.
        commune: INSEE code of where they live, when known.
        said: what they wrote (any messages), to find their own words.
        shown: ids already suggested, never suggested again.
    """

    interests: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    age: int | None = None
    commune: str | None = None
    said: str = ""
    shown: frozenset[str] = frozenset()

    @property
    def department(self) -> str | None:
        return department_of(self.commune) if self.commune else None


@dataclass(frozen=True)
class Suggestion:
    """One suggestion, ready to be said."""

    activity: Activity
    reason: str
    cost: str
    ages: str | None
    score: float = field(compare=False)

    @property
    def entry(self) -> Entry:
        return self.activity.entry


def department_of(commune: str) -> str:
    """The department of an INSEE commune code (97x overseas, 2A/2B Corsica)."""
    return commune[:3] if commune.startswith("97") else commune[:2]


def fold(text: str) -> str:
    """Lower case, no accents, the young people's register normalised."""
    normalised = normalize(text)
    decomposed = unicodedata.normalize("NFKD", normalised)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True)
class Wording:
    reasons: Mapping[str, Any]
    words: Mapping[str, str]
    cost: Mapping[str, str]
    ages: Mapping[str, str]
    interest_labels: Mapping[str, str]
    word_interest: Mapping[str, str]  # folded word -> interest code


@lru_cache(maxsize=1)
def load_wording(
    path: Path = WORDING_FILE, vocabulary: Path = VOCABULARY_FILE
) -> Wording:
    """The French wording of reasons, costs and ages (``wording.yml``)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    interests = yaml.safe_load(vocabulary.read_text(encoding="utf-8"))["interests"]
    return Wording(
        reasons=data["reasons"],
        words={fold(word): phrase for word, phrase in data["words"].items()},
        cost=data["cost"],
        ages=data["ages"],
        interest_labels={code: item["label"] for code, item in interests.items()},
        word_interest={
            fold(str(word)): code
            for code, item in interests.items()
            for word in item.get("answers") or []
        },
    )


def _said_words(entry: Entry, said: str) -> list[str]:
    """The entry's keywords that appear, as whole words and not denied ("je
    kiffe pas le foot"), in what they wrote."""
    if not said:
        return []
    found = []
    for keyword in entry.keywords:
        pattern = rf"(?<!\w){re.escape(fold(keyword))}(?!\w)"
        for match in re.finditer(pattern, said):
            before = said[: match.start()].split()[-NEGATION_WINDOW:]
            if not NEGATIONS & set(before):
                found.append(keyword)
                break
    return found


def is_offerable(activity: Activity, profile: Profile, today: date) -> bool:
    """Whether the entry may be offered at all (rule 1 above)."""
    entry = activity.entry
    if entry.id in profile.shown or not entry.is_open(today):
        return False
    if not entry.ages.allows(profile.age):
        return False
    scope = entry.where.scope
    if scope is Scope.COMMUNE:
        return profile.commune in entry.where.communes
    if scope is Scope.DEPARTMENT:
        return profile.department in entry.where.departments
    return True


def _near(entry: Entry) -> float:
    if entry.where.scope is Scope.COMMUNE:
        return COMMUNE_BONUS
    if entry.where.scope is Scope.DEPARTMENT:
        return DEPARTMENT_BONUS
    return 0.0


def score(entry: Entry, profile: Profile, said: str) -> float:
    """How well the entry fits (rule 2 above); 0 when nothing matches."""
    shared = [code for code in profile.interests if code in entry.interests]
    needs = [code for code in profile.needs if code in entry.needs]
    value = 0.0
    if shared:
        value += INTEREST_WEIGHT + EXTRA_INTEREST_WEIGHT * (len(shared) - 1)
        value += SPECIFIC_WEIGHT / len(entry.interests)
    if _said_words(entry, said):
        value += WORD_WEIGHT
    # What they need leads when nobody knows what they like.
    need_weight = NEED_WEIGHT if profile.interests else INTEREST_WEIGHT
    value += need_weight * len(needs)
    if value > 0:
        value += _near(entry)
    if not profile.interests and entry.kind in OPEN_TO_ALL_KINDS:
        value += OPEN_TO_ALL_BONUS
    return value


def _reason(
    entry: Entry,
    profile: Profile,
    said: str,
    wording: Wording,
    quoted: set[str],
) -> str:
    """Why it fits: their own word first, then the interest, then the need.

    ``quoted`` holds the interests earlier suggestions already named, so that
    "le foot" then "la musique" is said rather than "le foot" twice; it is
    updated with the one this reason names.
    """
    reasons = wording.reasons
    shared = [code for code in profile.interests if code in entry.interests]
    options: list[tuple[str, str]] = [
        (wording.word_interest.get(fold(word), ""), word)
        for word in _said_words(entry, said)
    ]
    options += [(code, "") for code in shared if code in wording.interest_labels]
    needs = [code for code in profile.needs if code in entry.needs]
    if options:
        fresh = [option for option in options if option[0] not in quoted]
        interest, word = (fresh or options)[0]
        quoted.add(interest)
        if word:
            phrase = wording.words.get(fold(word), word)
            line = str(reasons["word"]).format(word=phrase)
        else:
            label = wording.interest_labels[interest]
            line = str(reasons["interest"]).format(interest=label)
    elif needs and needs[0] in reasons["needs"]:
        line = str(reasons["needs"][needs[0]])
    else:
        return str(reasons["fallback"])
    if _near(entry):
        line = f"{line} {reasons['near']}"
    return line


def _cost(entry: Entry, wording: Wording) -> str:
    if entry.cost is None:
        return wording.cost["unknown"]
    if entry.cost.details:
        return entry.cost.details
    return wording.cost["free" if entry.cost.free else "paid"]


def _ages(entry: Entry, wording: Wording) -> str | None:
    low, high = entry.ages.min, entry.ages.max
    if low is not None and high is not None:
        return wording.ages["between"].format(min=low, max=high)
    if low is not None:
        return wording.ages["from"].format(min=low)
    if high is not None:
        return wording.ages["until"].format(max=high)
    return None


def _adjusted(
    item: tuple[float, int, Activity],
    chosen: list[tuple[float, Activity]],
    profile: Profile,
) -> tuple[float, int]:
    """The score of ``item`` given what is already chosen, then catalogue order."""
    base, order, activity = item
    entry = activity.entry
    kinds = [picked.entry.kind for _, picked in chosen]
    value = base - SAME_KIND_PENALTY * kinds.count(entry.kind)
    shared = [code for code in profile.interests if code in entry.interests]
    if chosen and shared:
        covered = {
            code
            for _, picked in chosen
            for code in picked.entry.interests
            if code in profile.interests
        }
        if any(code not in covered for code in shared):
            value += NEW_INTEREST_BONUS
        else:
            value -= COVERED_ONLY_PENALTY
    return value, -order


def _pick(
    ranked: list[tuple[float, int, Activity]], profile: Profile, count: int
) -> list[tuple[float, Activity]]:
    """Greedy choice for diversity (rule 3 above)."""
    chosen: list[tuple[float, Activity]] = []
    left = list(ranked)
    while left and len(chosen) < count:
        best = max(left, key=lambda item: _adjusted(item, chosen, profile))
        left.remove(best)
        chosen.append((best[0], best[2]))
    return chosen


def recommend(
    catalogue: Catalogue,
    profile: Profile,
    today: date,
    count: int = MAX_SUGGESTIONS,
    wording: Wording | None = None,
) -> list[Suggestion]:
    """Up to ``count`` suggestions for ``profile``, best first.

    Fewer come back only when fewer are left to offer; an empty list means
    everything that fits was already shown.
    """
    wording = wording or load_wording()
    said = fold(profile.said)
    ranked: list[tuple[float, int, Activity]] = []
    for order, activity in enumerate(_local_first(catalogue.activities)):
        if not is_offerable(activity, profile, today):
            continue
        value = score(activity.entry, profile, said)
        if value <= 0 and profile.interests and activity.entry.kind not in BROAD_KINDS:
            continue
        ranked.append((value, order, activity))

    quoted: set[str] = set()
    return [
        Suggestion(
            activity=activity,
            reason=_reason(activity.entry, profile, said, wording, quoted),
            cost=_cost(activity.entry, wording),
            ages=_ages(activity.entry, wording),
            score=value,
        )
        for value, activity in _pick(ranked, profile, count)
    ]


def _local_first(activities: Iterable[Activity]) -> list[Activity]:
    """Ties go to local entries: staff added them for their young people."""
    return sorted(activities, key=lambda activity: not activity.local)
