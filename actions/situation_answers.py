"""Reading what a young person says about their situation, one message at a time.

Pure functions over the message (text, intent, entities) and the vocabulary in
``data/situation/vocabulary.yml``: no Rasa, no database, so that every rule is
tested on its own.

Two levels of trust, so that chatting does not fill the profile by accident:

- anywhere in a message, only unambiguous phrasings count ("j'ai 19 ans", "je
  fais rien", "j'aime le foot"), plus the entities the NLU model tagged;
- as an answer to the question the bot just asked, bare words count too ("19",
  "rien", "foot", "Roubaix").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from nlu.normalize import normalize

VOCABULARY_FILE = (
    Path(__file__).resolve().parent.parent / "data" / "situation" / "vocabulary.yml"
)
SUPPORTED_VERSION = 1
SUMMARY_KEYS = frozenset(
    {"age", "status", "status_since", "schooling", "schooling_not_held", "place"}
    | {"needs", "interests", "list_separator", "list_last_separator"}
)

# Slots of the situation, in the order the form asks them.
AGE = "age"
STATUS = "status"
SINCE = "status_since"
DIPLOMA = "diploma"
PLACE = "place"
NEEDS = "needs"
INTERESTS = "interests"
QUESTIONS = (AGE, STATUS, SINCE, DIPLOMA, PLACE, NEEDS, INTERESTS)

# Questions to the bot: nothing is read from them ("pourquoi tu veux mon âge ?").
QUESTIONS_TO_THE_BOT = frozenset({"ask_why", "request_erasure", "other_language"})
# Picks among another topic's buttons: "celle du 93" is a department, not a
# birth year (the orientation dialogue reads them itself).
OTHER_TOPICS = frozenset({"choose_place"})
# Intents that are not answers: a question to the bot, a request, small talk.
# Nothing is read from them, even when they contain a number or a place.
NOT_ANSWERS = frozenset(
    {
        "ask_why",
        "ask_privacy",
        "ask_cost",
        "bot_challenge",
        "bot_capabilities",
        "request_erasure",
        "other_language",
        "start_situation",
        "stop",
        "insult",
        "goodbye",
        "thanks",
        "greet",
    }
)
# Free text (a place, a duration, an unsorted hobby) is taken as the answer only
# from these: anything else ("ok", "nan", a keyboard mash) is not a place.
FREE_TEXT_INTENTS = frozenset({"inform", "nlu_fallback"})
SKIP_INTENT = "skip_question"
DONT_KNOW_INTENT = "dont_know"
DENY_INTENT = "deny"

UNSURE = "unsure"  # the need "je sais pas"
OTHER = "other"  # an interest the vocabulary does not sort
NO_DIPLOMA = "no_diploma"

# Ages outside this range are typos or jokes, not ages.
MIN_PLAUSIBLE_AGE = 10
MAX_PLAUSIBLE_AGE = 99
FIRST_BIRTH_YEAR = 1940
# A birth year alone: before July the birthday has more likely not come yet.
BIRTHDAY_LIKELY_PASSED_MONTH = 7
# Free-text answers longer than this are sentences, not a place or a duration.
MAX_FREE_TEXT_WORDS = 6
MAX_PLACE_CHARS = 60
# How far a cue ("j'aime", "besoin") may stand before the word it introduces.
CUE_WINDOW = 4
LIST_GAP = 3  # "le dessin et les chats": the next item of a list
NEGATION_WINDOW = 2
MONTHS_PER_YEAR = 12
DAYS_IN_LONGEST_MONTH = 31

NEGATIONS = frozenset({"pas", "jamais", "sans"})
STATUS_NEGATIONS = NEGATIONS | {"plus"}
# Before "N ans", these make it a duration or someone else's age, not theirs.
NOT_AN_AGE_BEFORE = frozenset(
    {"depuis", "fait", "pendant", "dans", "en", "a", "ya", "de", "les", "des"}
    | {"mes", "tes", "ses", "tous", "chaque", "environ", "entre", "apres", "avant"}
)
# Before "N ans", these say the age is coming soon: "bientot 18" is 17.
NEXT_AGE_BEFORE = frozenset({"bientot", "avoir", "aurai", "fais"})
NEED_CUES = frozenset(
    {"besoin", "cherche", "recherche", "veux", "voudrais", "aimerais", "faudrait"}
    | {"faut", "trouver", "manque", "galere", "aide", "aider"}
)
INTEREST_CUES = frozenset(
    {"aime", "kiffe", "kiff", "kif", "kiffer", "adore", "fan", "passionne"}
    | {"passionnee", "passion", "joue", "fais", "pratique", "kiffes"}
)
# Before a diploma or class: how far they went with it.
IN_PROGRESS_CUES = frozenset({"en", "fais", "prepare", "passe", "suis"})
STOPPED_CUES = frozenset(
    {"arrete", "lache", "quitte", "decroche", "stoppe", "jusqu'en", "jusqu'au"}
)
# Elisions are split before matching: "j'ai un CAP" reads "j' ai un cap".
OBTAINED_CUES = frozenset({"ai", "eu", "obtenu", "avec", "diplome", "mon", "apres"})
FAILED_CUES = NEGATIONS | {"rate", "loupe", "foire", "echoue"}
DIPLOMA_RANK = {"none": 0, "cap_bep": 1, "bac": 2, "higher": 3}

_NUMBER_WORDS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
    "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12,
    "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20,
    "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
}  # fmt: skip
_TENS = frozenset({"dix", "vingt", "trente", "quarante", "cinquante", "soixante"})
_MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "decembre": 12,
}  # fmt: skip
_DURATION_UNITS_MONTHS = {
    "jour": 0, "jours": 0, "semaine": 0, "semaines": 0, "mois": 1, "an": 12,
    "ans": 12, "annee": 12, "annees": 12,
}  # fmt: skip

_ELISION = re.compile(r"(?<!\S)(qu|[jldmtsnc])'")
_TWO_DIGITS = re.compile(r"^\d{1,2}$")
_AGE_GLUED = re.compile(r"^(\d{1,2})a$")  # "18a"
_YEAR = re.compile(r"^(19|20)\d{2}$")
_BIRTH_YEAR = re.compile(
    r"\bnee? (?:en |le \S+ \S+ )?(\d{4}|\d{2})\b|\bje suis de (\d{4})\b"
)
_BIRTH_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")
_BIRTH_DATE_WORDS = re.compile(
    r"\bnee? le (\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4})\b"
)
_POSTAL_CODE = re.compile(r"\b\d{5}\b")
# "j'habite à Nantes, ...": a place said in passing, whatever the question.
_PLACE_SAID = re.compile(
    r"(?:\bj'?\s?habite|\bjhabite|\bje vis|\bjvis|\bje reste|\bje loge"
    r"|\b(?:je suis|jsuis|chui|chuis) basée?)\s+"
    r"(?:(?:à|a|sur|dans|vers|en|au|aux|du|près de|pres de|à côté de|a cote de"
    r"|pas loin de)\s+)?(?P<place>[^,.;!?\n]+)",
    re.IGNORECASE,
)
_PLACE_STOP_WORDS = frozenset(
    {"et", "mais", "avec", "depuis", "chez", "donc", "car", "parce", "pour", "mdr"}
    | {"ptdr", "jsp", "j'ai", "jai", "g", "je", "jsuis", "chui", "où", "ou", "quand"}
)
_MAX_PLACE_WORDS = 4
_SINCE = re.compile(r"\bdepuis (.+)")
_SINCE_STOP_WORDS = frozenset(
    {"et", "mais", "donc", "car", "parce", "alors", "je", "j'", "tu", "on", "mdr"}
    | {"ptdr", "wesh", "frr", "enfin", "sinon", "stp"}
)
_MAX_SINCE_WORDS = 5
_DURATION = re.compile(
    r"\b(\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze"
    r"|quelques) (jours?|semaines?|mois|ans?|ann[eé]es?)( et demi)?\b"
)
# Around a typed place: "j'habite à", "je suis sur", "vers", "mdr".
_PLACE_LEAD = re.compile(
    r"^(?:(?:euh|bah|ben|alors|bon|ok|wesh|slt|salut|moi|perso|ben)[\s,]+)*"
    r"(?:(?:j'?\s?habite|jhabite|j'habite|je vis|je suis|jsuis|j'suis|chui|chuis"
    r"|je reste|jreste|c'est|c|on est|je viens de|jviens de|ma ville c'est"
    r"|mon code postal c'est|code postal|cp)\s*:?\s+)?"
    r"(?:(?:à|a|sur|dans|vers|en|au|aux|du|de|d'|près de|pres de|à côté de"
    r"|a cote de|pas loin de|proche de|la ville de|le coin de|secteur)\s+)*",
    re.IGNORECASE,
)
_PLACE_TAIL = re.compile(
    r"(?:[\s,]+(?:mdr|lol|ptdr|stp|svp|frr|frère|frero|wesh|wallah|et toi|quoi"
    r"|hein|voilà|voila|sah|gros|bro|tkt|jsp))*[\s.!…,;]*$",
    re.IGNORECASE,
)


class VocabularyError(ValueError):
    """The vocabulary file is malformed; the message names the place to fix."""


@dataclass(frozen=True)
class Schooling:
    """A class or diploma, and what a young person holds with it."""

    label: str
    diploma: str  # once obtained
    before: str  # while still in it, or after failing it


@dataclass(frozen=True)
class Section:
    """One part of the vocabulary: codes, their labels and their phrases."""

    labels: Mapping[str, str]
    says: re.Pattern[str] | None  # anywhere in a message
    answers: re.Pattern[str] | None  # also when the question was asked
    code_of: Mapping[str, str]  # prepared phrase -> code


@dataclass(frozen=True)
class Vocabulary:
    status: Section
    needs: Section
    interests: Section
    schooling: Section
    schooling_codes: Mapping[str, Schooling]
    summary: Mapping[str, str]


@dataclass(frozen=True)
class Message:
    """The latest message as the actions see it.

    Attributes:
        text: what the young person typed (or the button's title).
        intent: the intent the NLU gave it, if any.
        entities: the NLU entities (``entity``, ``value``, maybe ``start``).
        asked: the slot the bot is waiting for, when its form is running.
    """

    text: str
    intent: str | None = None
    entities: Sequence[Mapping[str, Any]] = ()
    asked: str | None = None


@dataclass
class Reading:
    """What one message says about the situation; None is "not said here"."""

    age: int | None = None
    age_from_birth_year: bool = False
    status: str | None = None
    status_since: str | None = None
    last_class: str | None = None
    diploma: str | None = None
    place: str | None = None
    needs: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    skipped: str | None = None  # the asked question, refused or not known

    def says_anything(self) -> bool:
        return any(
            value not in (None, [])
            for value in (
                self.age,
                self.status,
                self.status_since,
                self.diploma,
                self.place,
                self.needs,
                self.interests,
            )
        )


# --- the vocabulary ----------------------------------------------------------


def prepare(text: str, *, keep_accents: bool = False) -> str:
    """The normalised text, with elisions split off ("j'ai" -> "j' ai")."""
    return _ELISION.sub(r"\1' ", normalize(text, keep_accents=keep_accents))


def _phrase_pattern(phrases: Sequence[str]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    # Longest first, so that "bac pro" wins over "bac" at the same place.
    ordered = sorted(set(phrases), key=len, reverse=True)
    body = "|".join(re.escape(phrase) for phrase in ordered)
    return re.compile(rf"(?<!\S)(?:{body})(?!\S)")


def _section(raw: Any, name: str) -> Section:
    if not isinstance(raw, dict) or not raw:
        raise VocabularyError(
            f"Expected a mapping of codes under '{name}' in {VOCABULARY_FILE.name}, "
            f"got {type(raw).__name__}."
        )
    labels: dict[str, str] = {}
    code_of: dict[str, str] = {}
    says: list[str] = []
    answers: list[str] = []
    for code, entry in raw.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("label"), str):
            raise VocabularyError(
                f"Expected a 'label' for '{name}.{code}' in {VOCABULARY_FILE.name}."
            )
        labels[str(code)] = entry["label"]
        for key, bucket in (("says", says), ("answers", answers)):
            for phrase in entry.get(key) or []:
                prepared = prepare(str(phrase))
                if not prepared:
                    continue
                known = code_of.setdefault(prepared, str(code))
                if known != str(code):
                    raise VocabularyError(
                        f"'{phrase}' is listed under both '{name}.{known}' and "
                        f"'{name}.{code}' in {VOCABULARY_FILE.name}: keep one."
                    )
                bucket.append(prepared)
    return Section(
        labels, _phrase_pattern(says), _phrase_pattern(says + answers), code_of
    )


def parse_vocabulary(data: Any) -> Vocabulary:
    """Builds the vocabulary from the YAML document.

    Raises:
        VocabularyError: when a section, label or diploma code is missing.
    """
    if not isinstance(data, dict) or data.get("version") != SUPPORTED_VERSION:
        raise VocabularyError(
            f"Expected version: {SUPPORTED_VERSION} at the top of "
            f"{VOCABULARY_FILE.name}."
        )
    schooling_codes: dict[str, Schooling] = {}
    for code, entry in (data.get("schooling") or {}).items():
        diploma, before = entry.get("diploma"), entry.get("before")
        if diploma not in DIPLOMA_RANK or before not in DIPLOMA_RANK:
            raise VocabularyError(
                f"Expected 'diploma' and 'before' among {sorted(DIPLOMA_RANK)} for "
                f"'schooling.{code}' in {VOCABULARY_FILE.name}, got {diploma!r} "
                f"and {before!r}."
            )
        schooling_codes[str(code)] = Schooling(entry["label"], diploma, before)
    summary = data.get("summary")
    missing = SUMMARY_KEYS - set(summary or {}) if isinstance(summary, dict) else None
    if not isinstance(summary, dict) or missing:
        raise VocabularyError(
            f"Expected a 'summary' section with {sorted(SUMMARY_KEYS)} in "
            f"{VOCABULARY_FILE.name}; missing: {sorted(missing or SUMMARY_KEYS)}."
        )
    return Vocabulary(
        status=_section(data.get("status"), "status"),
        needs=_section(data.get("needs"), "needs"),
        interests=_section(data.get("interests"), "interests"),
        schooling=_section(data.get("schooling"), "schooling"),
        schooling_codes=schooling_codes,
        summary={str(key): str(value) for key, value in summary.items()},
    )


@lru_cache(maxsize=1)
def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    """The vocabulary, read once per process.

    Raises:
        VocabularyError: when the file is malformed.
    """
    with path.open(encoding="utf-8") as handle:
        return parse_vocabulary(yaml.safe_load(handle))


# --- matching ----------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    code: str
    first: int  # index of the first token
    last: int  # index of the last token
    phrase: str


def _matches(
    pattern: re.Pattern[str] | None, section: Section, text: str
) -> list[_Match]:
    if pattern is None:
        return []
    found = []
    for match in pattern.finditer(text):
        first = text.count(" ", 0, match.start())
        last = first + match.group(0).count(" ")
        phrase = match.group(0)
        found.append(_Match(section.code_of[phrase], first, last, phrase))
    return found


def _negated(tokens: Sequence[str], match: _Match, negations: frozenset[str]) -> bool:
    before = tokens[max(0, match.first - NEGATION_WINDOW) : match.first]
    after = tokens[match.last + 1 : match.last + 2]
    return any(token in negations for token in (*before, *after))


def _codes(matches: Sequence[_Match]) -> list[str]:
    codes: list[str] = []
    for match in matches:
        if match.code not in codes:
            codes.append(match.code)
    return codes


# --- numbers, ages, durations ------------------------------------------------


def _number_from_words(words: Sequence[str]) -> int | None:
    """17 from ["dix", "sept"], 21 from ["vingt", "et", "un"], None otherwise."""
    values = [_NUMBER_WORDS.get(word) for word in words if word != "et"]
    if not values or any(value is None for value in values):
        return None
    numbers = [value for value in values if value is not None]
    if len(numbers) == 1:
        return numbers[0]
    if len(numbers) != 2:
        return None
    tens, unit = numbers
    return tens + unit if tens % 10 == 0 and unit < 10 else None


def _number_before(tokens: Sequence[str], end: int) -> tuple[int, int] | None:
    """The number written just before ``tokens[end]``, and where it starts."""
    if end == 0:
        return None
    token = tokens[end - 1]
    if _TWO_DIGITS.match(token):
        return int(token), end - 1
    start = end - 1
    while start > 0 and (
        tokens[start - 1] in _NUMBER_WORDS or tokens[start - 1] == "et"
    ):
        start -= 1
    if token not in _NUMBER_WORDS:
        return None
    value = _number_from_words(tokens[start:end])
    return (value, start) if value is not None else None


def _plausible(age: int | None) -> int | None:
    if age is None or not MIN_PLAUSIBLE_AGE <= age <= MAX_PLAUSIBLE_AGE:
        return None
    return age


def age_from_birth_year(
    year: int, today: date, month: int | None = None, day: int | None = None
) -> int | None:
    """The age of someone born in ``year`` (and month and day when known)."""
    if year < 100:  # "né en 06"
        year += 2000 if year <= today.year % 100 else 1900
    if not FIRST_BIRTH_YEAR <= year <= today.year:
        return None
    age = today.year - year
    if month is not None and day is not None:
        if (today.month, today.day) < (month, day):
            age -= 1
    elif today.month < BIRTHDAY_LIKELY_PASSED_MONTH:
        age -= 1
    return _plausible(age)


def _age_said(tokens: Sequence[str]) -> int | None:
    """ "j'ai 19 ans", "dix-neuf ans", "bientôt 18 ans" (17)."""
    for index, token in enumerate(tokens):
        glued = _AGE_GLUED.match(token)
        if glued:
            return _plausible(int(glued.group(1)))
        if token not in ("ans", "an") or index == 0:
            continue
        found = _number_before(tokens, index)
        if found is None:
            continue
        value, start = found
        previous = tokens[start - 1] if start > 0 else ""
        if previous in NOT_AN_AGE_BEFORE:
            continue
        if previous in NEXT_AGE_BEFORE:
            value -= 1
        return _plausible(value)
    return None


def _age_from_birth(raw: str, text: str, today: date) -> int | None:
    """ "né le 15/12/2008", "née le 3 mars 2007", "je suis de 2006"."""
    birth_date = _BIRTH_DATE.search(raw)
    if birth_date:
        day, month, year = (int(group) for group in birth_date.groups())
        if 1 <= month <= MONTHS_PER_YEAR and 1 <= day <= DAYS_IN_LONGEST_MONTH:
            return age_from_birth_year(year, today, month, day)
    spelt = _BIRTH_DATE_WORDS.search(text)
    if spelt:
        day_text, month_name, year_text = spelt.groups()
        return age_from_birth_year(
            int(year_text), today, _MONTHS[month_name], int(day_text)
        )
    birth_year = _BIRTH_YEAR.search(text)
    if birth_year:
        written = birth_year.group(1) or birth_year.group(2)
        return age_from_birth_year(int(written), today)
    return None


def _age_answer(tokens: Sequence[str], today: date) -> tuple[int | None, bool]:
    """A bare answer to "t'as quel âge ?": "19", "dix-neuf", "2006"."""
    soon = 1 if NEXT_AGE_BEFORE & set(tokens) else 0
    for token in tokens:
        if _TWO_DIGITS.match(token):
            return _plausible(int(token) - soon), False
        if _YEAR.match(token):
            return age_from_birth_year(int(token), today), True
    words = [word for word in tokens if word in _NUMBER_WORDS or word == "et"]
    number = _number_from_words(words)
    return _plausible(None if number is None else number - soon), False


def _age_entity(value: str, entity: str, today: date) -> tuple[int | None, bool]:
    tokens = prepare(value).split()
    if entity == "birth_year" or any(_YEAR.match(token) for token in tokens):
        for token in tokens:
            if token.isdigit():
                return age_from_birth_year(int(token), today), True
        return None, False
    said = _age_said([*tokens, "ans"] if tokens[-1:] != ["ans"] else tokens)
    return (said, False) if said is not None else _age_answer(tokens, today)


def months_since(since: str, today: date) -> int | None:
    """About how many months "6 mois", "un an et demi", "juin", "2024" mean."""
    text = prepare(since)
    duration = _DURATION.search(text)
    if duration:
        amount_word, unit, half = duration.groups()
        if amount_word == "quelques":
            return None
        amount = (
            int(amount_word) if amount_word.isdigit() else _NUMBER_WORDS[amount_word]
        )
        months = amount * _DURATION_UNITS_MONTHS[unit]
        if half:
            months += _DURATION_UNITS_MONTHS[unit] // 2
        return months
    for token in text.split():
        if token in _MONTHS:
            return (today.month - _MONTHS[token]) % MONTHS_PER_YEAR
        if _YEAR.match(token) and int(token) <= today.year:
            return (today.year - int(token)) * MONTHS_PER_YEAR + today.month - 1
    if "an dernier" in text or "annee derniere" in text:
        return MONTHS_PER_YEAR
    return None


def _unsplit(text: str) -> str:
    return text.replace("' ", "'")


def _since_said(text: str) -> str | None:
    found = _SINCE.search(text)
    if found is None:
        return None
    words: list[str] = []
    for word in found.group(1).split():
        if word in _SINCE_STOP_WORDS or len(words) == _MAX_SINCE_WORDS:
            break
        words.append(word)
    return _unsplit(" ".join(words)) or None


# --- free text ---------------------------------------------------------------


# Words that are never a commune on their own (articles, prepositions,
# pronouns): no commune's name is made of these alone.
_NOT_A_PLACE = frozenset(
    [
        "la",
        "le",
        "les",
        "l",
        "au",
        "aux",
        "a",
        "à",
        "de",
        "d",
        "du",
        "des",
        "en",
        "sur",
        "dans",
        "chez",
        "moi",
        "toi",
        "lui",
        "ici",
        "là",
        "là-bas",
        "labas",
        "un",
        "une",
        "on",
        "nous",
        "vous",
        "ils",
        "elles",
        "pas",
    ]
)


def clean_place(text: str) -> str | None:
    """The place in "j'habite sur Roubaix mdr" ("Roubaix"), or None.

    Keeps what the young person typed (case, accents, "st"), only without
    the sentence around it.
    """
    if "?" in text:
        return None
    place = _PLACE_TAIL.sub("", _PLACE_LEAD.sub("", text.strip(), count=1)).strip()
    if not place or len(place) > MAX_PLACE_CHARS:
        return None
    if len(place.split()) > MAX_FREE_TEXT_WORDS:
        return None
    if not any(ch.isalpha() for ch in place) and not _POSTAL_CODE.fullmatch(place):
        return None
    if all(word in _NOT_A_PLACE for word in place.lower().replace("'", " ").split()):
        return None  # "la" of "la mécanique", tagged as a place by the model
    return place


def _short_answer(text: str) -> str | None:
    words = text.split()
    if not words or len(words) > MAX_FREE_TEXT_WORDS or "?" in text:
        return None
    return " ".join(words)


# --- reading a message -------------------------------------------------------


def _entity_values(message: Message, *names: str) -> list[tuple[str, str]]:
    """The entities named, as the young person typed them.

    The model's own value is built from the normalised tokens ("saint etienne"
    for "Saint-Étienne"); the offsets give back the original words. Entities
    from a button are a code: Rasa gives them offsets too, but those cover
    the payload's JSON (``{"need": "unsure"}``), not words.
    """
    values = []
    from_button = message.text.startswith("/")
    for entity in message.entities:
        if entity.get("entity") not in names or entity.get("value") in (None, ""):
            continue
        start, end = entity.get("start"), entity.get("end")
        typed = (
            message.text[start:end]
            if not from_button
            and isinstance(start, int)
            and isinstance(end, int)
            and start < end
            else None
        )
        values.append((str(entity["entity"]), typed or str(entity["value"])))
    return values


def _answers(message: Message) -> bool:
    """Whether the message may be an answer to the question asked."""
    return message.asked is not None and message.intent not in NOT_ANSWERS


def _free_text(message: Message) -> bool:
    """Whether the whole message may be taken as the answer, word for word."""
    return message.asked is not None and (
        message.intent is None or message.intent in FREE_TEXT_INTENTS
    )


def _read_age(
    message: Message, text: str, tokens: list[str], today: date, reading: Reading
) -> None:
    # The sentence first: in "je vais avoir 18 ans", the model tags "18" but
    # the words around it say 17.
    said = _age_said(tokens)
    if said is not None:
        reading.age = said
        return
    born = _age_from_birth(message.text, text, today)
    if born is not None:
        reading.age, reading.age_from_birth_year = born, True
        return
    for entity, value in _entity_values(message, "age", "birth_year"):
        age, from_year = _age_entity(value, entity, today)
        if age is not None:
            reading.age, reading.age_from_birth_year = age, from_year
            return
    if message.asked == AGE and _answers(message):
        reading.age, reading.age_from_birth_year = _age_answer(tokens, today)


def _read_status(
    message: Message,
    text: str,
    tokens: list[str],
    vocabulary: Vocabulary,
    reading: Reading,
) -> None:
    section = vocabulary.status
    asked = message.asked == STATUS and _answers(message)
    pattern = section.answers if asked else section.says
    candidates = [
        match
        for match in _matches(pattern, section, text)
        if not _negated(tokens, match, STATUS_NEGATIONS)
    ]
    for _entity, value in _entity_values(message, "status"):
        if value in section.labels:  # a button sends the code itself
            candidates.append(_Match(value, len(tokens), len(tokens), value))
        elif not candidates:
            # Only when the words said nothing: the span is read out of its
            # sentence ("cherche du taf" without the "je" before it).
            candidates.extend(_matches(section.answers, section, prepare(value)))
    if candidates:
        # "J'ai arrêté l'école, maintenant je bosse": the latest one is now.
        reading.status = max(candidates, key=lambda match: match.first).code


def _read_since(message: Message, reading: Reading) -> None:
    # Read with its accents: the phrase is said back ("depuis l'été dernier").
    text = prepare(message.text, keep_accents=True)
    asked = message.asked in (STATUS, SINCE) and _answers(message)
    said = None
    # "j'habite ici depuis 2 ans" says nothing about their status.
    if reading.status is not None or asked:
        said = _since_said(text)
        if said is None and message.asked == SINCE and _answers(message):
            duration = _DURATION.search(text)
            said = duration.group(0) if duration else None
    if said is None:
        # The model's span may be short ("3" of "3 mois"): the words first.
        for _entity, value in _entity_values(message, "since"):
            prepared = prepare(value)
            said = _since_said(prepared) or _unsplit(prepared)
            break
    reading.status_since = said


def _schooling_held(
    match: _Match, tokens: list[str], entry: Schooling, asked: bool
) -> str | None:
    """The diploma held, from the words before a class or diploma; None: unsure."""
    window = set(tokens[max(0, match.first - CUE_WINDOW + 1) : match.first])
    just_before = set(tokens[max(0, match.first - 2) : match.first])
    if match.code == NO_DIPLOMA:
        # "rien" or "aucun" only mean "no diploma" as an answer to the question.
        return "none" if asked or "dipl" in match.phrase else None
    if window & FAILED_CUES:
        return entry.before
    if window & STOPPED_CUES:
        return entry.diploma if "apres" in window else entry.before
    if just_before & IN_PROGRESS_CUES:
        return entry.before
    if window & OBTAINED_CUES or asked:
        return entry.diploma
    return None


def _read_schooling(
    message: Message,
    text: str,
    tokens: list[str],
    vocabulary: Vocabulary,
    reading: Reading,
) -> None:
    section = vocabulary.schooling
    asked = message.asked == DIPLOMA and _answers(message)
    found: list[tuple[str, str]] = []  # (code, diploma held)
    for match in _matches(section.answers, section, text):
        entry = vocabulary.schooling_codes[match.code]
        held = _schooling_held(match, tokens, entry, asked)
        if held is not None:
            found.append((match.code, held))
    for _entity, value in _entity_values(message, "schooling"):
        if value in vocabulary.schooling_codes:  # a button sends the code itself
            found.append((value, vocabulary.schooling_codes[value].diploma))
        elif not found:
            # The model tagged it without the words around it that say more.
            for match in _matches(section.answers, section, prepare(value)):
                if match.code != NO_DIPLOMA:
                    code = match.code
                    found.append((code, vocabulary.schooling_codes[code].diploma))
    if not found and asked and message.intent == DENY_INTENT:
        found.append((NO_DIPLOMA, "none"))
    if found:
        code, diploma = max(found, key=lambda item: DIPLOMA_RANK[item[1]])
        reading.diploma = diploma
        reading.last_class = None if code == NO_DIPLOMA else code


def _place_said(text: str) -> str | None:
    """The place after "j'habite à", "je vis sur"..., up to the next clause."""
    found = _PLACE_SAID.search(text)
    if found is None:
        return None
    words: list[str] = []
    for word in found.group("place").split():
        if word.lower() in _PLACE_STOP_WORDS or len(words) == _MAX_PLACE_WORDS:
            break
        words.append(word)
    return clean_place(" ".join(words)) if words else None


def _read_place(message: Message, reading: Reading) -> None:
    for _entity, value in _entity_values(message, "place"):
        reading.place = clean_place(value)
        if reading.place and message.asked == PLACE and _free_text(message):
            # The whole answer may say more than the span: "Marseille 13e".
            whole = clean_place(message.text)
            if whole and reading.place.lower() in whole.lower():
                reading.place = whole
        if reading.place:
            return
    reading.place = _place_said(message.text)
    if reading.place:
        return
    if message.asked == PLACE and _answers(message):
        postal_code = _POSTAL_CODE.search(message.text)
        if postal_code and not reading.says_anything():
            reading.place = clean_place(message.text) or postal_code.group(0)


def _cued(
    tokens: Sequence[str], match: _Match, cues: frozenset[str], previous: _Match | None
) -> bool:
    """Whether a cue ("j'aime", "besoin") introduces the match.

    A list goes on after its cue: in "j'kiffe le dessin et les chats", "chats"
    is as liked as "dessin".
    """
    if previous is not None and match.first - previous.last <= LIST_GAP:
        return True
    for index in range(max(0, match.first - CUE_WINDOW), match.first):
        word = tokens[index]
        if word == "fais":
            # "je fais du foot" is a hobby, "je fais un CAP cuisine" is not.
            if tokens[index + 1] in {"du", "de", "des"}:
                return True
        elif word in cues:
            return True
    return False


def _read_liked(
    message: Message,
    text: str,
    tokens: list[str],
    section: Section,
    slot: str,
    cues: frozenset[str],
    entity: str,
) -> list[str]:
    """Needs or interests: said after a cue ("j'aime", "besoin"), or as an answer."""
    asked = message.asked == slot and _answers(message)
    kept: list[_Match] = []
    for match in _matches(section.answers, section, text):
        if _negated(tokens, match, NEGATIONS):
            continue
        if asked or _cued(tokens, match, cues, kept[-1] if kept else None):
            kept.append(match)
    codes = _codes(kept)
    for _entity, value in _entity_values(message, entity):
        if value in section.labels:  # a button sends the code itself
            extra = [value]
        elif asked:
            extra = _codes(_matches(section.answers, section, prepare(value)))
        else:
            # Outside their question, the words and their cue decide: the
            # model tags "taf" in "je taf au kfc" as a need.
            extra = []
        codes.extend(code for code in extra if code not in codes)
    return codes


def read_message(message: Message, vocabulary: Vocabulary, today: date) -> Reading:
    """Everything one message says about the situation.

    Args:
        message: the latest message, with the question it may answer.
        vocabulary: what the words mean (see :func:`load_vocabulary`).
        today: to turn a birth year or a month into an age or a duration.

    Returns:
        The facts found; ``skipped`` is the question asked when the young
        person refused it or did not know.
    """
    reading = Reading()
    if message.intent in QUESTIONS_TO_THE_BOT or message.intent in OTHER_TOPICS:
        return reading
    text = prepare(message.text)
    tokens = text.split()

    _read_age(message, text, tokens, today, reading)
    _read_status(message, text, tokens, vocabulary, reading)
    _read_since(message, reading)
    _read_schooling(message, text, tokens, vocabulary, reading)
    reading.needs = _read_liked(
        message, text, tokens, vocabulary.needs, NEEDS, NEED_CUES, "need"
    )
    reading.interests = _read_liked(
        message,
        text,
        tokens,
        vocabulary.interests,
        INTERESTS,
        INTEREST_CUES,
        "interest",
    )
    _read_place(message, reading)

    # Taken word for word only when nothing else was recognised: "je cherche
    # du taf" answered to "tu habites où ?" is not a place.
    if _free_text(message) and not reading.says_anything():
        if message.asked == PLACE:
            reading.place = clean_place(message.text)
        elif message.asked == SINCE:
            accented = prepare(message.text, keep_accents=True)
            reading.status_since = _short_answer(_unsplit(accented))
        elif message.asked == INTERESTS and tokens:
            reading.interests = [OTHER]

    asked = message.asked
    if asked is not None and not answered(reading, asked):
        if message.intent == DONT_KNOW_INTENT and asked == NEEDS:
            reading.needs = [UNSURE]
        elif message.intent in (SKIP_INTENT, DONT_KNOW_INTENT):
            reading.skipped = asked
    return reading


def answered(reading: Reading, slot: str) -> bool:
    """Whether ``reading`` holds a value for the situation slot ``slot``."""
    return getattr(reading, slot) not in (None, [])
