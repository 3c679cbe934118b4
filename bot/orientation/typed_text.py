"""Reading a place out of what a young person typed.

"j'habite sur lille", "lyon 3 ème", "st denis 93", "59 100": the text is
folded (see :mod:`bot.orientation.text`) and its tokens sorted into words of
a name, postal codes, arrondissement ranks, bare numbers and departments.
Deciding what the words name is the job of :mod:`bot.orientation.places`.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, field

from bot.orientation.text import fold, normalize_name

MAX_TEXT_CHARS = 120  # longer input is a sentence, not a place

POSTAL_CODE_TOKEN = re.compile(r"^\d{5}$")
SPLIT_POSTAL_CODE = re.compile(r"\b(\d{2}) (\d{3})\b")
ORDINAL_TOKEN = re.compile(r"^(\d{1,2})(?:e|er|ere|eme|em|ieme|me)$")
NUMBER_TOKEN = re.compile(r"^\d{1,3}$")
CORSICA_DEPARTMENTS = frozenset({"2a", "2b"})

ORDINAL_SUFFIXES = frozenset({"e", "er", "ere", "eme", "em", "ieme", "me"})
ARRONDISSEMENT_WORDS = frozenset(
    {"arrondissement", "arrondissements", "arr", "arrt", "arrdt", "ardt", "arrond"}
)
# Words that come before a place in a sentence ("j'habite sur lille"). Some
# commune names start with one of them ("Vers", "Ville-d'Avray"), so the
# resolver tries the text as typed before stripping them.
LEADING_FILLERS = frozenset(
    {
        "j", "je", "jhabite", "habite", "habites", "habitons", "vis", "vit",
        "suis", "sui", "jsuis", "jsui", "chui", "chuis", "reste", "moi", "perso",
        "c", "cest", "est", "ca", "a", "au", "aux", "en", "sur", "dans", "vers",
        "pres", "proche", "cote", "de", "du", "des", "d", "chez", "ici", "ville",
        "commune", "village", "quartier", "ma", "mon", "slt", "salut", "bonjour",
        "bjr", "wesh", "yo", "hey", "alors", "euh", "bah", "ben", "bon", "ok",
        "oui", "ouais", "mais", "et", "donc", "loin", "banlieue", "ai",
        "secteur", "region", "coin", "originaire", "viens", "vient", "bled",
    }
)  # fmt: skip
# Words that come after it ("lille mdr", "roubaix stp").
TRAILING_FILLERS = frozenset(
    {
        "mdr", "lol", "ptdr", "stp", "svp", "merci", "frr", "frero", "frere",
        "wesh", "voila", "quoi", "hein", "jsp", "tkt", "la", "ici", "centre",
        "ville", "wallah", "sah", "bro", "gros", "city", "mec",
    }
)  # fmt: skip
# Words too common to be a place on their own.
GENERIC_WORDS = frozenset(
    {"saint", "sainte", "le", "la", "les", "l", "sur", "sous", "en", "de", "mont"}
)
NOT_PLACES = LEADING_FILLERS | TRAILING_FILLERS | GENERIC_WORDS


@dataclass
class TypedPlace:
    """What the text holds, sorted by kind of token.

    Attributes:
        words: the words that may name a place, in order.
        postal_codes: five-digit codes ("59 100" joined).
        numbers: bare numbers of one to three digits: an arrondissement of
            the city named, or a department; the resolver decides.
        arrondissement: a rank written as such ("3e", "3 ème", "3 arr").
        departments: departments the text names for sure (2A, 2B, or a
            department name the resolver found after the commune's).
    """

    words: list[str] = field(default_factory=list)
    postal_codes: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    arrondissement: int | None = None
    departments: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The words without the sentence around them."""
        return strip_fillers(self.words)


def read_typed_place(text: str, department_codes: Container[str]) -> TypedPlace:
    """Sort the tokens of ``text``.

    Args:
        text: what the young person typed, as is.
        department_codes: the known departments, to recognise "59 100".
    """

    def join_postal_code(match: re.Match[str]) -> str:
        # "59 100" is a postal code when 59 is a department.
        if match[1] in department_codes:
            return match[1] + match[2]
        return match[0]

    folded = SPLIT_POSTAL_CODE.sub(join_postal_code, fold(text[:MAX_TEXT_CHARS]))
    tokens = normalize_name(folded).split()
    typed = TypedPlace()
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        ordinal = ORDINAL_TOKEN.match(token)
        if POSTAL_CODE_TOKEN.match(token):
            typed.postal_codes.append(token)
        elif ordinal:
            typed.arrondissement = int(ordinal[1])
        elif token.isdigit() and following in ORDINAL_SUFFIXES:
            typed.arrondissement = int(token)
            index += 1
        elif NUMBER_TOKEN.match(token):
            typed.numbers.append(token)
        elif token in CORSICA_DEPARTMENTS:
            typed.departments.append(token.upper())
        elif token not in ARRONDISSEMENT_WORDS:
            typed.words.append(token)
        elif typed.numbers and typed.arrondissement is None:
            # "3 arrondissement": the number before the word is the rank.
            typed.arrondissement = int(typed.numbers[-1])
        index += 1
    return typed


def strip_fillers(words: list[str]) -> str:
    """The words without leading "j'habite sur" or trailing "mdr"."""
    tokens = list(words)
    while len(tokens) > 1 and tokens[0] in LEADING_FILLERS:
        tokens.pop(0)
    while len(tokens) > 1 and tokens[-1] in TRAILING_FILLERS:
        tokens.pop()
    return " ".join(tokens)


def department_of_postal_code(postal_code: str) -> str:
    """The department a postal code points to (approximately: 20xxx is Corsica)."""
    # Overseas postal codes start with the three-digit department (974xx).
    if postal_code.startswith("97"):
        return postal_code[:3]
    return postal_code[:2]
