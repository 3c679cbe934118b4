"""Normalisation of the informal French that young people write in chats.

Turns "chui ds la hess g pa d'taf 😭" into "je suis dans la galere j'ai pas de
travail pleure": lower case, no accents, SMS shorthand and slang expanded to
standard words, emoji mapped to word tokens, stretched letters collapsed. The
intent classifier and the crisis detector both read this form, so that they
learn and match one spelling instead of twenty.

The module is stdlib only on purpose: the Rasa server's frozen environment and
the gateway's modern one both import it.

Choices worth knowing:

- The output drops punctuation (except apostrophes inside words) and splits on
  hyphens, so "peut-être" and "peut etre" meet.
- Expansions are looked up on the accent-stripped token, so "chépa" and
  "chepa" are one entry.
- Ambiguous shorthand is resolved from its neighbours, never blindly: "cv"
  stays "cv" after "mon", "un", "envoyer"... (a résumé) and becomes "ça va"
  elsewhere; "sa" becomes "ça" only before a verb such as "va" or "fait".
- Digits are kept as they are (ages, postal codes); "19ans" is split into
  "19 ans" and "piges"/"balais" after a number become "ans".
- Laughter ("ptdr", "ahahah", "xD", 😂) becomes the single marker "mdr", which
  the crisis detector uses to recognise joking talk.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "EMOJI_WORDS",
    "EMOTICON_WORDS",
    "LAUGH_TOKEN",
    "SHORTHAND",
    "SLANG",
    "normalize",
    "strip_accents",
    "tokens",
]

LAUGH_TOKEN = "mdr"  # noqa: S105 -- a word, not a password
"""The one marker every form of laughter is turned into."""

# Emoji -> word token. Only emoji that carry meaning for orientation or danger
# detection are mapped; the others are dropped with the punctuation. Tokens
# use ASCII and underscores so they survive both output modes unchanged.
# 💀 and ☠ are "I'm dead (laughing)" in gaming and joking talk, not death.
EMOJI_WORDS: dict[str, str] = {
    "😭": "pleure",
    "😢": "pleure",
    "😿": "pleure",
    "🥲": "triste",
    "😞": "triste",
    "😔": "triste",
    "😟": "triste",
    "☹": "triste",
    "🙁": "triste",
    "🥺": "triste",
    "💔": "coeur_brise",
    "❤": "coeur",
    "♥": "coeur",
    "💕": "coeur",
    "💖": "coeur",
    "💗": "coeur",
    "💓": "coeur",
    "💞": "coeur",
    "💘": "coeur",
    "🧡": "coeur",
    "💛": "coeur",
    "💚": "coeur",
    "💙": "coeur",
    "💜": "coeur",
    "🖤": "coeur",
    "🤍": "coeur",
    "🤎": "coeur",
    "😍": "coeur",
    "🥰": "coeur",
    "😘": "bisou",
    "💀": "mort_de_rire",
    "☠": "mort_de_rire",
    "😂": LAUGH_TOKEN,
    "🤣": LAUGH_TOKEN,
    "😹": LAUGH_TOKEN,
    "😆": LAUGH_TOKEN,
    "🙂": "sourire",
    "😊": "sourire",
    "😀": "sourire",
    "😃": "sourire",
    "😄": "sourire",
    "😁": "sourire",
    "😩": "epuise",
    "😫": "epuise",
    "😴": "fatigue",
    "🔪": "couteau",
    "🗡": "couteau",
    "🩸": "sang",
    "💊": "medicaments",
    "💉": "seringue",
    "🔫": "arme",
    "🪢": "corde",
    "⚰": "cercueil",
    "🪦": "tombe",
    "🤕": "blesse",
    "🆘": "sos",
    "😡": "colere",
    "🤬": "colere",
    "😠": "colere",
    "😱": "peur",
    "😨": "peur",
    "😰": "peur",
    "🥶": "froid",
    "🤮": "degout",
    "🏠": "maison",
    "🏡": "maison",
    "💸": "argent",
    "💰": "argent",
    "💶": "argent",
    "💵": "argent",
    "🤑": "argent",
    "👍": "ok",
    "👌": "ok",
    "🙏": "merci",
    "👋": "salut",
    "🎮": "jeu_video",
    "🕹": "jeu_video",
    "⚽": "foot",
    "🏀": "basket",
    "🎵": "musique",
    "🎶": "musique",
    "🎧": "musique",
    "🎤": "musique",
    "📚": "etudes",
    "🎓": "diplome",
    "💼": "travail",
    "🚗": "voiture",
}

# Text emoticons, matched case-insensitively on the raw text before the
# punctuation they are made of is dropped.
EMOTICON_WORDS: dict[str, str] = {
    ":'(": "pleure",
    ":’(": "pleure",
    ":(": "triste",
    ":-(": "triste",
    ":)": "sourire",
    ":-)": "sourire",
    "=)": "sourire",
    ":d": "sourire",
    "xd": LAUGH_TOKEN,
    "</3": "coeur_brise",
    "<3": "coeur",
}

# SMS shorthand, elisions and phonetic spellings -> standard French. Keys are
# compared without accents; values keep their accents for the accented mode.
# Single letters ("g", "c", "t", "j") and "cv", "sa", "sé", "ya" depend on
# their neighbours and are handled in code, not here.
SHORTHAND: dict[str, str] = {
    # je / j'
    "chui": "je suis",
    "chuis": "je suis",
    "chu": "je suis",
    "shui": "je suis",
    "shuis": "je suis",
    "jsuis": "je suis",
    "jsui": "je suis",
    "jss": "je suis",
    "jsp": "je sais pas",
    "jspa": "je sais pas",
    "jsaispas": "je sais pas",
    "chépa": "je sais pas",
    "chépas": "je sais pas",
    "chaipa": "je sais pas",
    "chaipas": "je sais pas",
    "chai": "je sais",
    "ché": "je sais",
    "jpp": "j'en peux plus",
    "jenpeuxplus": "j'en peux plus",
    "jtm": "je t'aime",
    "jai": "j'ai",
    "jaime": "j'aime",
    "javais": "j'avais",
    "jetais": "j'étais",
    "jétais": "j'étais",
    "gt": "j'étais",
    "jarrive": "j'arrive",
    "jallais": "j'allais",
    "jattends": "j'attends",
    "jhabite": "j'habite",
    "jaurai": "j'aurai",
    "jaurais": "j'aurais",
    "jen": "j'en",
    "jy": "j'y",
    "tfacon": "de toute façon",
    "t'facon": "de toute façon",
    # c'est, t'es, il y a
    "cest": "c'est",
    "ct": "c'était",
    "cétait": "c'était",
    "cetait": "c'était",
    "y'a": "il y a",
    "yavait": "il y avait",
    "yaura": "il y aura",
    "quil": "qu'il",
    # questions, k for qu
    "pk": "pourquoi",
    "pq": "pourquoi",
    "pkoi": "pourquoi",
    "pkq": "pourquoi",
    "pourkoi": "pourquoi",
    "pourquoa": "pourquoi",
    "ki": "qui",
    "ke": "que",
    "koi": "quoi",
    "kwa": "quoi",
    "koa": "quoi",
    "kan": "quand",
    "kand": "quand",
    "qd": "quand",
    "kel": "quel",
    "kelle": "quelle",
    "kels": "quels",
    "kelles": "quelles",
    "kelke": "quelque",
    "kelkun": "quelqu'un",
    "kelk1": "quelqu'un",
    "quelquun": "quelqu'un",
    "qqn": "quelqu'un",
    "qqun": "quelqu'un",
    "qqch": "quelque chose",
    "qqc": "quelque chose",
    "qq": "quelques",
    "qlq": "quelques",
    "cmt": "comment",
    "cmmt": "comment",
    "kmt": "comment",
    "komen": "comment",
    "koment": "comment",
    "kom": "comme",
    "ske": "ce que",
    "pcq": "parce que",
    "pck": "parce que",
    "pcke": "parce que",
    "psk": "parce que",
    "pask": "parce que",
    "paske": "parce que",
    "pasque": "parce que",
    "parske": "parce que",
    # everyday words
    "tkt": "t'inquiète",
    "tqt": "t'inquiète",
    "tinquiete": "t'inquiète",
    "tinkiete": "t'inquiète",
    "dsl": "désolé",
    "dsll": "désolé",
    "slt": "salut",
    "salu": "salut",
    "bjr": "bonjour",
    "bjour": "bonjour",
    "bsr": "bonsoir",
    "cc": "coucou",
    "wsh": "wesh",
    "wech": "wesh",
    "wlh": "wallah",
    "wallay": "wallah",
    "wollah": "wallah",
    "bcp": "beaucoup",
    "bcq": "beaucoup",
    "bocou": "beaucoup",
    "boucoup": "beaucoup",
    "stp": "s'il te plaît",
    "stpl": "s'il te plaît",
    "svp": "s'il vous plaît",
    "svpl": "s'il vous plaît",
    "mrc": "merci",
    "mrci": "merci",
    "mci": "merci",
    "dac": "d'accord",
    "dak": "d'accord",
    "dacc": "d'accord",
    "dacor": "d'accord",
    "dakor": "d'accord",
    "daccord": "d'accord",
    "okk": "ok",
    "oké": "ok",
    "okay": "ok",
    "oki": "ok",
    "okey": "ok",
    "mtn": "maintenant",
    "mnt": "maintenant",
    "maintenan": "maintenant",
    "auj": "aujourd'hui",
    "ajd": "aujourd'hui",
    "aujd": "aujourd'hui",
    "ojd": "aujourd'hui",
    "aujourdhui": "aujourd'hui",
    "dem1": "demain",
    "dmain": "demain",
    "tjr": "toujours",
    "tjrs": "toujours",
    "tjs": "toujours",
    "toujour": "toujours",
    "jms": "jamais",
    "jamai": "jamais",
    "vrm": "vraiment",
    "vrmt": "vraiment",
    "vraimen": "vraiment",
    "ptet": "peut être",
    "ptetre": "peut être",
    "ptêtre": "peut être",
    "tt": "tout",
    "tte": "toute",
    "tlm": "tout le monde",
    "pr": "pour",
    "ds": "dans",
    "dla": "de la",
    "ac": "avec",
    "avc": "avec",
    "avek": "avec",
    "mm": "même",
    "bi1": "bien",
    "b1": "bien",
    "ri1": "rien",
    "auc1": "aucun",
    "chac1": "chacun",
    "pa": "pas",
    "plu": "plus",
    "envi": "envie",
    "veu": "veux",
    "pb": "problème",
    "pbm": "problème",
    "pblm": "problème",
    "rdv": "rendez vous",
    "ptn": "putain",
    "ptain": "putain",
    "tg": "ta gueule",
    "osef": "on s'en fout",
    "askip": "à ce qu'il paraît",
    "tmtc": "toi même tu sais",
    "oklm": "tranquille",
    "balec": "je m'en fiche",
    "balek": "je m'en fiche",
    "blc": "je m'en fiche",
    "mourrir": "mourir",
    "mourire": "mourir",
    "mouri": "mourir",
    "cimer": "merci",
    "ptdr": LAUGH_TOKEN,
    "ptdrr": LAUGH_TOKEN,
    "xptdr": LAUGH_TOKEN,
    "mdrr": LAUGH_TOKEN,
    "lol": LAUGH_TOKEN,
    "lool": LAUGH_TOKEN,
}

# Slang and verlan -> the standard word a classifier or a counsellor expects.
# Only words whose slang sense is the usual one in this register are mapped:
# "mec" and "meuf" stay (they can mean a partner or anyone), "tas" stays
# (a heap, or "t'as").
SLANG: dict[str, str] = {
    # work and school
    "taf": "travail",
    "taff": "travail",
    "taffe": "travail",
    "boulot": "travail",
    "boulots": "travails",
    "taffer": "travailler",
    "taffé": "travaillé",
    "taffais": "travaillais",
    "bosser": "travailler",
    "bosse": "travaille",
    "bosses": "travailles",
    "bossé": "travaillé",
    "bossais": "travaillais",
    "bahut": "lycée",
    "chômdu": "chômage",
    "chomedu": "chômage",
    # money
    "thune": "argent",
    "thunes": "argent",
    "tune": "argent",
    "tunes": "argent",
    "oseille": "argent",
    "bif": "argent",
    "biff": "argent",
    "maille": "argent",
    "moula": "argent",
    "flouze": "argent",
    "fric": "argent",
    "money": "argent",
    "hess": "galère",
    "hèss": "galère",
    "hesse": "galère",
    "dèche": "galère",
    # people and home
    "daron": "père",
    "darons": "parents",
    "daronne": "mère",
    "daronnes": "mères",
    "reup": "père",
    "reum": "mère",
    "reuf": "frère",
    "frérot": "frère",
    "frero": "frère",
    "reus": "soeur",
    "mif": "famille",
    "miff": "famille",
    "pote": "ami",
    "potes": "amis",
    "poto": "ami",
    "potos": "amis",
    "bestah": "meilleur ami",
    "besta": "meilleur ami",
    "keum": "mec",
    "bagnole": "voiture",
    "bagnoles": "voitures",
    "appart": "appartement",
    "apparts": "appartements",
    "appt": "appartement",
    "coloc": "colocation",
    "keuf": "policier",
    "keufs": "policiers",
    "flic": "policier",
    "flics": "policiers",
    "taule": "prison",
    "zonzon": "prison",
    # kicked out
    "tej": "virer",
    "teje": "virer",
    "jarter": "virer",
    "jarté": "viré",
    "lourdé": "viré",
    # mood
    "vénère": "énervé",
    "vener": "énervé",
    "vnr": "énervé",
    "nrv": "énervé",
    "deg": "dégoûté",
    "dég": "dégoûté",
    "ouf": "fou",
    "chelou": "bizarre",
    "zarbi": "bizarre",
    "relou": "pénible",
    "déter": "déterminé",
    "bader": "déprimer",
    "bade": "déprime",
    "bades": "déprimes",
    "badé": "déprimé",
    "cheum": "moche",
    "teubé": "bête",
    # everyday life
    "teuf": "fête",
    "bouffe": "nourriture",
    "graille": "mange",
    "grailler": "manger",
    "pioncer": "dormir",
    "pieuter": "dormir",
    "insta": "instagram",
    "snap": "snapchat",
    "nude": "photo intime",
    "nudes": "photos intimes",
    "nudz": "photos intimes",
    "medoc": "médicament",
    "medocs": "médicaments",
    "cachetons": "cachets",
}

# "cv" stays a résumé after these words; elsewhere it is "ça va".
_CV_RESUME_BEFORE = frozenset(
    {"mon", "ton", "son", "un", "le", "ce", "mes", "tes", "ses", "les", "des"}
    | {"du", "de", "notre", "votre", "leur", "avec", "modele"}
    | {"faire", "fais", "fait", "refaire", "envoyer", "envoie", "envoye"}
    | {"imprimer", "deposer", "depose", "mettre", "ecrire"}
)
# "sa" is "ça" before these verbs ("sa va", "sa me saoule"); "sa mère" stays.
_CA_BEFORE = frozenset(
    {"va", "vas", "fait", "me", "te", "sert", "marche", "suffit", "craint"}
    | {"passe", "ira", "allait", "y", "peut", "arrive", "saoule", "soule"}
    | {"change", "depend"}
)
# "pu" after these is the past participle of pouvoir, elsewhere "plus".
_AVOIR_FORMS = frozenset(
    {"ai", "as", "a", "avons", "avez", "ont", "aurais", "aurait", "avais", "avait"}
    | {"j'ai", "t'as", "aurai", "aura", "n'ai", "n'a", "n'as", "pas", "jamais"}
)
# Tokens made of these letters only, long enough, are laughter.
_LAUGH_ALPHABETS = (frozenset("ah"), frozenset("hi"), frozenset("he"))
_LAUGH_MIN_LENGTH = 4
# A doubled final letter that French never doubles is emphasis ("ouii").
_EMPHASIS_FINALS = ("ii", "uu", "yy", "aa")
# Elided single letters that merge with a following vowel: "j ai" -> "j'ai".
_ELIDABLE = frozenset({"j", "c", "t", "m", "l", "d", "s", "n", "qu"})
# "c" and "t" alone mostly stand for "c'est" and "t'es" ("t ou", "c nul"), so
# they merge only with the words they are usually elided before.
_MERGE_ONLY_BEFORE = {
    "c": frozenset({"est", "etait", "etaient"}),
    "t": frozenset({"es", "est", "as", "a", "etais", "avais", "aime", "inquiete"}),
}
# Full forms of the elided words, for "d'taf" -> "de travail".
_UNELIDED = {
    "j": "je",
    "c": "ce",
    "t": "te",
    "m": "me",
    "l": "le",
    "d": "de",
    "s": "se",
    "n": "ne",
    "qu": "que",
}
_VOWELS = frozenset("aeiouyh")

_APOSTROPHES = "’‘`´ʼ′"
_INVISIBLE_MODIFIERS = (
    "\ufe0f\ufe0e"  # emoji / text presentation selectors
    "\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff"  # skin tones
)

_LIGATURES = {ord("œ"): "oe", ord("Œ"): "OE", ord("æ"): "ae", ord("Æ"): "AE"}


def _char_table() -> dict[int, str | None]:
    """Builds the single translate() table run first: fast, in C."""
    table: dict[int, str | None] = {ord(ch): "'" for ch in _APOSTROPHES}
    table.update({ord(ch): None for ch in _INVISIBLE_MODIFIERS})
    table[ord("\u200d")] = " "  # zero-width joiner splits emoji sequences
    table.update(_LIGATURES)
    table.update({ord(emoji): f" {word} " for emoji, word in EMOJI_WORDS.items()})
    return table


_CHAR_TABLE = _char_table()
_EMOTICON_RE = re.compile(
    r"(?<!\w)(?:"
    + "|".join(re.escape(e) for e in sorted(EMOTICON_WORDS, key=len, reverse=True))
    + r")(?!\w)",
    re.IGNORECASE,
)
# Three or more of the same letter (not digit) collapse to one.
_REPEAT_RE = re.compile(r"([^\W\d_])\1{2,}")
_TOKEN_RE = re.compile(r"\w+(?:'\w+)*'?")
_NUMBER_UNIT_RE = re.compile(r"^(\d+)(ans?|piges?|balais)$")
_COMBINING_RE = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
_REPEATABLE_MARKERS = frozenset(EMOJI_WORDS.values()) | {LAUGH_TOKEN}


def strip_accents(text: str) -> str:
    """Removes diacritics from Latin letters, leaving other scripts readable.

    Args:
        text: Any string.

    Returns:
        The text with "é" as "e", "ç" as "c", "œ" as "oe", compatibility forms
        (ligatures, full-width letters) folded, and everything else unchanged.
    """
    if text.isascii():
        return text
    text = text.translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    # Recompose so that scripts whose letters decompose (Hangul) come back whole.
    return unicodedata.normalize("NFC", _COMBINING_RE.sub("", decomposed))


def _build_lookup(keep_accents: bool) -> dict[str, str]:
    """Merges the tables, keyed without accents, valued in the chosen mode."""
    lookup: dict[str, str] = {}
    for table in (SLANG, SHORTHAND):
        for key, value in table.items():
            lookup[strip_accents(key)] = value if keep_accents else strip_accents(value)
    return lookup


_LOOKUP_PLAIN = _build_lookup(keep_accents=False)
_LOOKUP_ACCENTED = _build_lookup(keep_accents=True)


def _is_laugh(token: str) -> bool:
    if len(token) < _LAUGH_MIN_LENGTH or token.count("h") < 2:
        return False
    letters = set(token)
    return any(letters <= alphabet for alphabet in _LAUGH_ALPHABETS)


def _starts_with_vowel(token: str) -> bool:
    return bool(token) and strip_accents(token[0]) in _VOWELS


def _resolve_contextual(
    key: str, previous: str | None, following: str | None, after_next: str | None
) -> str | None:
    """Expands shorthand whose meaning depends on its neighbours, or None."""
    if key == "cv":
        resume_after = following == "a" and after_next == "jour"
        if previous in _CV_RESUME_BEFORE or resume_after or following == "lettre":
            return "cv"
        return "ça va"
    if key == "sa" and following in _CA_BEFORE:
        return "ça"
    if key == "se" and previous in {"je", "tu"}:
        return "sais"
    if key == "ya":
        return "y a" if previous == "il" else "il y a"
    if key == "g":
        return "j'ai"
    if key == "pu" and previous not in _AVOIR_FORMS:
        return "plus"  # "jveux pu" is "plus"; "j'ai pu" is pouvoir
    if key in {"piges", "balais", "berges"} and previous is not None:
        return "ans" if previous.isdigit() else None
    return None


def _expand_single_letter(key: str, following: str | None) -> tuple[str, bool] | None:
    """Expands "j", "c", "t"... written apart.

    Returns:
        None when the token is no such letter; else the text to write and
        whether it is an elided prefix ("j'") to glue to the next token.
    """
    bare = key.rstrip("'")
    if bare not in _ELIDABLE:
        return None
    allowed = _MERGE_ONLY_BEFORE.get(bare)
    glues = following is not None and _starts_with_vowel(following)
    if glues and (allowed is None or following in allowed):
        return f"{bare}'", True
    if bare == "j":
        return "je", False
    if bare == "c":
        return "c'est", False
    if bare == "t":
        return "t'es", False
    return None


def _expand_je(key: str, lookup: dict[str, str]) -> str | None:
    """Splits "jveux", "jme", "jsais" into "je veux", "je me", "je sais".

    No French word starts with "j" and a consonant, so the split is safe when
    the rest still has a vowel (acronyms such as "jsp" are in the tables).
    """
    if len(key) < 3 or key[0] != "j" or key[1] in _VOWELS or not key[1].isalpha():
        return None
    rest = key[1:]
    if not any(ch in _VOWELS for ch in rest):
        return None
    if rest == "se":  # "jsé" is "je sais"
        return "je sais"
    return "je " + lookup.get(rest, rest)


def _expand_elided(key: str, lookup: dict[str, str]) -> str | None:
    """Expands the word after an elision: "d'taf" -> "de travail".

    "j'" before a consonant is always "je" ("j'suis", "j'veux"); the other
    elisions are only touched when the word after them is in the tables.
    """
    prefix, _, rest = key.partition("'")
    full = _UNELIDED.get(prefix)
    if full is None or not rest or "'" in rest:
        return None
    expansion = lookup.get(rest)
    if expansion is None:
        if prefix != "j" or _starts_with_vowel(rest):
            return None
        expansion = rest
    if _starts_with_vowel(expansion):
        return f"{prefix}'{expansion}"
    return f"{full} {expansion}"


def normalize(text: str, *, keep_accents: bool = False) -> str:
    """Rewrites a chat message into plain, lower-case, standard-ish French.

    Args:
        text: The message as the young person typed it; any string.
        keep_accents: Keep the accents the message and the expansions have
            ("désolé"); by default everything is accent-stripped ("desole"),
            the form matchers and classifiers should use.

    Returns:
        Space-separated tokens; empty when nothing word-like was written.
    """
    if not text:
        return ""
    text = text.translate(_CHAR_TABLE)
    text = _EMOTICON_RE.sub(lambda m: f" {EMOTICON_WORDS[m.group(0).lower()]} ", text)
    text = _REPEAT_RE.sub(r"\1", text.lower())
    if not keep_accents:
        text = strip_accents(text)
    lookup = _LOOKUP_ACCENTED if keep_accents else _LOOKUP_PLAIN

    raw = _TOKEN_RE.findall(text.replace("-", " "))
    keys = [strip_accents(tok) for tok in raw] if keep_accents else raw
    out: list[str] = []
    index = 0
    while index < len(raw):
        token, key = raw[index], keys[index]
        following = keys[index + 1] if index + 1 < len(keys) else None
        index += 1

        single = _expand_single_letter(key, following)
        if single is not None:
            expansion, merged = single
            if merged:  # "j" + "ai" -> "j'ai": the next token is consumed
                expansion += raw[index]
                index += 1
            out.append(expansion)
            continue

        previous = out[-1].rsplit(" ", 1)[-1] if out else None
        after_next = keys[index + 1] if index + 1 < len(keys) else None
        expanded = _expand_token(token, key, previous, following, after_next, lookup)
        word = expanded if expanded is not None else token
        if out and word == out[-1] and word in _REPEATABLE_MARKERS:
            continue  # "💀💀💀" or "ptdr ahahah" says no more than one marker
        out.append(word)
    return " ".join(out)


def _expand_token(
    token: str,
    key: str,
    previous: str | None,
    following: str | None,
    after_next: str | None,
    lookup: dict[str, str],
) -> str | None:
    """Returns the expansion of one token, or None to keep it as written."""
    number = _NUMBER_UNIT_RE.match(key)
    if number:
        return f"{number.group(1)} ans"
    contextual = _resolve_contextual(key, previous, following, after_next)
    if contextual is not None:
        return contextual if lookup is _LOOKUP_ACCENTED else strip_accents(contextual)
    if key in lookup:
        return lookup[key]
    je = _expand_je(key, lookup)
    if je is not None:
        return je
    if "'" in key:
        return _expand_elided(key, lookup)
    if _is_laugh(key):
        return LAUGH_TOKEN
    if len(key) > 2 and key.endswith(_EMPHASIS_FINALS):
        shortened = key[:-1]
        return lookup.get(shortened, token[:-1])
    return None


def tokens(text: str) -> list[str]:
    """Splits a message into normalised, accent-free tokens.

    Args:
        text: Any string.

    Returns:
        The words of :func:`normalize` (expansions give several tokens;
        elided forms such as "j'ai" stay one token).
    """
    return normalize(text).split()
