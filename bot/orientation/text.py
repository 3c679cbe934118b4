"""Text folding shared by the importer and the place resolver.

Names are compared in one folded form: lower case, no accents, every run of
punctuation or spaces turned into one space, and the abbreviations people type
for "Saint", "Sainte" and "Mont" written out. The importer stores this form in
``normalized_name`` so that the database and the in-memory index agree.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

# Abbreviations found in typed place names, written out as in official names.
_ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
    "stes": "saintes",
    "mt": "mont",
}

# Leading articles people often leave out ("blanc mesnil" for Le Blanc-Mesnil).
_ARTICLES = ("le", "la", "les", "l")


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation turned into single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Ligatures survive NFKD; write them out so "coeur" matches "cœur".
    bare = bare.replace("œ", "oe").replace("æ", "ae")
    return _NOT_ALNUM.sub(" ", bare).strip()


def normalize_name(text: str) -> str:
    """The folded form of a place name, with abbreviations written out.

    >>> normalize_name("St-Étienne")
    'saint etienne'
    """
    tokens = fold(text).split()
    return " ".join(_ABBREVIATIONS.get(token, token) for token in tokens)


def without_article(normalized: str) -> str | None:
    """The name without its leading article, or None when it has none."""
    head, _, rest = normalized.partition(" ")
    if head in _ARTICLES and rest:
        return rest
    return None


def compact(normalized: str) -> str:
    """The name with no spaces, so "villeneuve dascq" meets "villeneuve d ascq"."""
    return normalized.replace(" ", "")
