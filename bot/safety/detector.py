"""The crisis detector: rules first, a learned layer and a scorer behind them.

It runs on every inbound message in the gateway, whatever the conversation is
doing and even while Rasa is down, so it is pure Python with its data in YAML
beside it, and it never raises on a string.

How a message is read:

1. It is cut into clauses (sentence punctuation, "mais", "sauf que") so that a
   negation or a joke in one clause does not reach the next.
2. Each clause goes through :func:`nlu.normalize.normalize` (SMS forms, slang,
   emoji to words, no accents), then danger words with typos are corrected
   against a small lexicon with rapidfuzz ("suissider" -> "suicider"), and
   elisions get a space ("j' ai") so that patterns see one word per token.
3. Idioms that borrow danger words are blanked out first: being already dead
   or killed ("je me suis fait tuer", "je suis mort", "💀"), threats that are
   feared scoldings ("mon pere va me tuer quand il verra mes notes", unless the
   message says it is a real threat), games ("il m'a tabasse a fifa"),
   "a la rue en maths", a camping night under the stars...
4. Signals (``patterns.yml``) are matched. Each knows its category and
   severity, whether a negation cancels it ("je veux pas mourir", but not
   "j'ai plus envie de vivre", which is its own signal), whose subject it
   needs ("je vais me tuer" is not "ma mere va me tuer"), whether a laugh or
   gaming talk in the clause cancels it, and whether the person named as the
   author routes it (a father -> 119, a boyfriend -> 3919, a stranger -> 17).
5. A nearest-prototype scorer (:mod:`bot.safety.scorer`, built at first use
   from ``prototypes.yml``, a file written apart from the test set) adds a
   medium signal for a clause no rule understood, when it is much closer to
   a danger sentence than to any harmless look-alike and holds a danger word.
   It is a safety net, not the main line: by leave-one-out on its own
   prototypes it finds only a few held-out paraphrases at a 2% false-alarm
   budget (``scripts/bench_safety.py --calibrate``). Character n-grams cannot
   carry meaning far; a sentence encoder would (see ENGINEERING.md).
6. The learned layer (:mod:`bot.safety.learned`: a sentence encoder and a
   classifier fitted on ``training.yml``) reads the whole message when no
   rule fired and no danger phrase was negated, and raises a medium alert in
   its category when its probability of danger reaches a threshold chosen by
   cross-validation for recall within a false-alarm budget. It finds most of
   the paraphrases the rules were never written for. When rules did fire, it
   only adds its signal to the category it agrees with.
7. Message-wide cues raise severities (a time or a plan with suicidal talk,
   a weapon or "he is here" with violence, repetition with harassment).

The rules are tuned for recall: a doubt raises a medium alert that a
counsellor sees, rather than silence. The detector never keeps or logs the
text; an :class:`~bot.safety.assessment.Assessment` carries signal names only.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.safety.assessment import Assessment, DangerCategory, Severity
from bot.safety.encoder import EncoderUnavailableError, default_encoder
from bot.safety.learned import LearnedLayer, load_classifier, read_classifier_file
from bot.safety.rules import (
    ELISION_RE,
    PATTERNS_FILE,
    PROTOTYPES_FILE,
    Rules,
    SafetyDataError,
    ScorerSettings,
    Signal,
    Subject,
    load_rules,
    load_scorer,
    read_yaml,
)
from bot.safety.scorer import PrototypeScorer
from nlu.normalize import normalize

__all__ = [
    "Detector",
    "RuleReading",
    "SafetyDataError",
    "assess",
    "assess_all",
    "default_detector",
]

logger = logging.getLogger(__name__)

# Sentence ends, and the words that open a new clause.
_SENTENCE_RE = re.compile(r"[.!?;…\n\r]+")
_CLAUSE_RE = re.compile(r"\b(?:mais|sauf que|par contre|cependant)\b")
_BLANK = " _ "
# Words before "je" that make it the subject of a relative clause
# ("le mec avec qui je suis"), not of the danger verb.
_RELATIVE_WORDS = frozenset({"qui", "dont"})
# Second words of two-word nouns ("beau pere") for subject detection.
_COMPOUND_TAILS = frozenset({"pere", "mere", "frere", "soeur", "ami", "amie"})
# "pas mal" after a verb means "quite a lot", not a negation.
_FORWARD_NEGATORS = frozenset({"pas", "jamais"})
_TYPO_CACHE_SIZE = 8192
# Run-on clauses are read in windows of this many words, overlapping by the
# second number (longer than any pattern's reach).
MAX_CLAUSE_WORDS = 40
CLAUSE_OVERLAP_WORDS = 12
# Words that sound exactly like a danger word are corrected from this length.
PHONETIC_MIN_LENGTH = 5
_SCORER_SIGNAL_PREFIX = "scorer."
_LEARNED_SIGNAL_PREFIX = "learned."
# Shorter clauses share too few letters with anything to be scored fairly
# ("pas envie" is not a suicide sentence); the rules still read them.
MIN_SCORED_WORDS = 4


@dataclass(frozen=True)
class _Hit:
    category: DangerCategory
    severity: Severity
    signal: str


@dataclass(frozen=True)
class RuleReading:
    """What the rules alone make of a message.

    Attributes:
        assessments: The dangers the rules and the prototype scorer found.
        negated: Whether a danger phrase was matched but negated ("je veux
            pas mourir"), or a clause's only danger words are negated ("je
            pense pas au suicide"); sentence encoders barely see negation,
            so the learned layer then keeps quiet.
        idiom: Whether an idiom that borrows danger words was blanked out
            ("ce taf me tue", "dormi dehors au camping"): the rules have
            explained those words, and the learned layer keeps quiet too.
    """

    assessments: list[Assessment]
    negated: bool
    idiom: bool = False
    hits: tuple[_Hit, ...] = ()
    message: str = ""


@dataclass
class _Clause:
    """One clause in the detector's form, with what is computed about it."""

    text: str
    joking: bool
    gaming: bool
    idiom: bool = False
    negated_hit: bool = False
    perpetrators: list[tuple[int, DangerCategory]] = field(default_factory=list)


class Detector:
    """Finds dangers in a message; one instance serves every conversation."""

    def __init__(
        self,
        rules: Rules,
        scorer: PrototypeScorer | None = None,
        scorer_settings: ScorerSettings | None = None,
        learned: LearnedLayer | None = None,
    ) -> None:
        """Keeps the compiled rules and the optional scorer and learned layer."""
        self._rules = rules
        self._scorer = scorer
        self._scorer_settings = scorer_settings
        self._learned = learned
        self._typos: dict[str, str] = {}
        self._lexicon_set = frozenset(rules.typo_lexicon)
        # First lexicon word wins when two sound alike ("frappe", "frapper").
        self._sounds: dict[str, str] = {}
        for word in rules.typo_lexicon:
            self._sounds.setdefault(_phonetic(word), word)
        self._sound_keys = tuple(self._sounds)

    def assess_all(
        self, text: str, *, is_minor: bool | None = None
    ) -> list[Assessment]:
        """Every danger found in a message, most urgent first.

        Args:
            text: The message as received; any string.
            is_minor: True or False when the gateway knows whether the person
                is under 18; it routes a few signals (sexual violence of a
                minor -> 119).

        Returns:
            One assessment per category found; empty when nothing was.
        """
        reading = self.read_rules(text, is_minor=is_minor)
        if self._learned is None or not reading.message:
            return reading.assessments
        if not reading.assessments and (reading.negated or reading.idiom):
            return []
        try:
            verdict = self._learned.judge(text)
        except EncoderUnavailableError:
            # Logged where the load failed; until it is retried, rules only.
            logger.debug("Encoder unavailable; answering from the rules")
            return reading.assessments
        except Exception:
            # The rules must keep answering whatever happens to the layer:
            # log it and go on without it.
            logger.exception("Learned layer failed; answering from the rules")
            return reading.assessments
        if verdict is None or not verdict.alarm:
            return reading.assessments
        logger.debug(
            "Learned layer: %s at %.2f", verdict.category.value, verdict.probability
        )

        category = _route_by_who(
            verdict.category, self._find_perpetrators(reading.message)
        )
        found = {assessment.category for assessment in reading.assessments}
        if found and category not in found:
            return reading.assessments  # it must not outvote a rule
        # Alone it raises a medium alert; beside a rule it only confirms.
        severity = Severity.LOW if found else Severity.MEDIUM
        name = f"{_LEARNED_SIGNAL_PREFIX}{category.value}"
        hits = [*reading.hits, _Hit(category, severity, name)]
        return self._aggregate(hits, reading.message)

    def read_rules(self, text: str, *, is_minor: bool | None = None) -> RuleReading:
        """What the rules and the prototype scorer alone find in a message.

        Args:
            text: The message as received; any string.
            is_minor: As for :meth:`assess_all`.

        Returns:
            Their assessments, and whether a danger phrase was negated.
        """
        clauses = [
            clause
            for sentence in _SENTENCE_RE.split(text)
            for clause in self._prepare(sentence)
        ]
        if not clauses:
            return RuleReading([], negated=False)
        message = " | ".join(clause.text for clause in clauses)

        named_anywhere = self._find_perpetrators(message)
        hits: list[_Hit] = []
        for clause in clauses:
            found = self._match_signals(clause, named_anywhere, is_minor)
            # The scorer is the fallback for clauses no rule understood; it
            # must not outvote a rule on the category.
            hits.extend(found or self._score(clause, named_anywhere))
        return RuleReading(
            self._aggregate(hits, message),
            negated=any(
                clause.negated_hit or self._only_negated_anchors(clause)
                for clause in clauses
            ),
            idiom=any(clause.idiom for clause in clauses),
            hits=tuple(hits),
            message=message,
        )

    # ------------------------------------------------------------ reading

    def _prepare(self, sentence: str) -> list[_Clause]:
        """Normalises a sentence, fixes danger typos, splits it into clauses."""
        normalised = normalize(sentence)
        if not normalised:
            return []
        corrected = " ".join(self._correct_typo(tok) for tok in normalised.split())
        spaced = ELISION_RE.sub(r"\1' ", corrected)
        clauses = []
        for part in self._chunks(_CLAUSE_RE.split(spaced)):
            written = part.strip()
            text = self._neutralise(written)
            if text.strip(" _"):
                clauses.append(
                    _Clause(
                        text=text,
                        joking=bool(self._rules.joke.search(text)),
                        gaming=bool(self._rules.game.search(text)),
                        idiom=text != written,
                        perpetrators=self._find_perpetrators(text),
                    )
                )
        return clauses

    @staticmethod
    def _chunks(parts: list[str]) -> list[str]:
        """Cuts run-on clauses into overlapping windows of words.

        Young people often write without any punctuation; a 2,000-word
        clause would make every pattern scan far and slow. A window keeps
        the cost linear, and the overlap keeps a phrase cut at a window's
        edge whole in the next one.
        """
        chunks = []
        for part in parts:
            words = part.split()
            if len(words) <= MAX_CLAUSE_WORDS:
                chunks.append(part)
                continue
            step = MAX_CLAUSE_WORDS - CLAUSE_OVERLAP_WORDS
            for start in range(0, len(words) - CLAUSE_OVERLAP_WORDS, step):
                chunks.append(" ".join(words[start : start + MAX_CLAUSE_WORDS]))
        return chunks

    def _correct_typo(self, token: str) -> str:
        """Maps a misspelt danger word to its lexicon form; else returns it.

        Two views of the word are compared: as written, and as it sounds
        ("suissider" and "suicider" sound alike, "frape" and "frappe" too).
        A word that sounds exactly like a danger word is corrected from five
        letters; a merely close one only from ``typo_min_length``.
        """
        rules = self._rules
        if (
            len(token) < PHONETIC_MIN_LENGTH
            or token in self._lexicon_set
            or token in rules.typo_keep
            or not token.isalpha()
        ):
            return token
        cached = self._typos.get(token)
        if cached is not None:
            return cached
        sound = _phonetic(token)
        corrected = self._sounds.get(sound)
        if corrected is None and len(token) >= rules.typo_min_length:
            written = process.extractOne(
                token,
                rules.typo_lexicon,
                scorer=fuzz.ratio,
                score_cutoff=rules.typo_cutoff,
            )
            heard = process.extractOne(
                sound,
                self._sound_keys,
                scorer=fuzz.ratio,
                score_cutoff=rules.typo_cutoff,
            )
            candidates = [
                (written[1], written[0]) if written else None,
                (heard[1], self._sounds[heard[0]]) if heard else None,
            ]
            # A typo keeps the word's first sound: "marseille" is one letter
            # pair away from "harcele" and is no typo of it.
            best = max(
                (
                    c
                    for c in candidates
                    if c is not None and _phonetic(c[1])[:1] == sound[:1]
                ),
                default=None,
            )
            corrected = best[1] if best else None
        corrected = corrected or token
        if len(self._typos) >= _TYPO_CACHE_SIZE:
            self._typos.clear()  # a crude bound: danger words are a small set
        self._typos[token] = corrected
        return corrected

    def _neutralise(self, text: str) -> str:
        """Blanks out idioms that borrow danger words."""
        for neutraliser in self._rules.neutralisers:
            if neutraliser.unless is not None and neutraliser.unless.search(text):
                continue
            for pattern in neutraliser.patterns:
                text = pattern.sub(_BLANK, text)
        return text

    def _find_perpetrators(self, text: str) -> list[tuple[int, DangerCategory]]:
        """Positions of the people named who could be hurting the writer."""
        found: list[tuple[int, DangerCategory]] = []
        masked = text
        for category, pattern in self._rules.perpetrators:
            for match in pattern.finditer(masked):
                found.append((match.start(), category))
            # A span claimed by a group ("sors avec un gars") is not seen by
            # the next ones ("un gars" as a stranger); lengths are kept.
            masked = pattern.sub(lambda m: " " * len(m.group()), masked)
        return sorted(found)

    # ----------------------------------------------------------- matching

    def _match_signals(
        self,
        clause: _Clause,
        named_anywhere: list[tuple[int, DangerCategory]],
        is_minor: bool | None,
    ) -> list[_Hit]:
        hits = []
        for signal in self._rules.signals:
            if signal.joke and clause.joking:
                continue
            if signal.not_if is not None and signal.not_if.search(clause.text):
                continue
            hit = self._match_signal(signal, clause, named_anywhere, is_minor)
            if hit is not None:
                hits.append(hit)
        return hits

    def _match_signal(
        self,
        signal: Signal,
        clause: _Clause,
        named_anywhere: list[tuple[int, DangerCategory]],
        is_minor: bool | None,
    ) -> _Hit | None:
        for pattern in signal.patterns:
            for match in pattern.finditer(clause.text):
                if signal.negatable and self._negated(clause.text, match):
                    clause.negated_hit = True
                    continue
                if not self._subject_fits(clause.text[: match.start()], signal.subject):
                    continue
                perpetrator = _perpetrator(clause, match.start(), named_anywhere)
                named_close = perpetrator in {
                    DangerCategory.CHILD_ABUSE,
                    DangerCategory.PARTNER_VIOLENCE,
                }
                if signal.game and clause.gaming and not named_close:
                    continue
                if signal.only_if and perpetrator not in signal.only_if:
                    continue
                category = _route(signal, perpetrator, is_minor)
                return _Hit(category, signal.severity, signal.name)
        return None

    def _negated(self, text: str, match: re.Match[str]) -> bool:
        """Whether a negation governs the matched words.

        Looks at an explicit ``neg`` group, then a few words back (stopping
        at a conjunction or a new subject, so "je sais pas j'ai envie de ..."
        stays a danger), then at "pas"/"jamais" right after ("il me frappe
        pas", but not "pas mal").
        """
        rules = self._rules
        if match.groupdict().get("neg"):
            return True

        matched = match.group().split()
        if matched and matched[0] in rules.breakers:
            # "je sais pas pourquoi je suis encore en vie": the negation
            # belongs to the clause before the breaker the match starts with.
            return False
        before = text[: match.start()].split()
        window = before[-rules.window :]
        for position in range(len(window) - 1, -1, -1):
            token = window[position]
            if token in rules.breakers:
                break
            if token in rules.negators:
                return True
            if token in rules.first_person or token in rules.other_person:
                # "jamais je me ferai du mal": a negation before the subject.
                return position > 0 and window[position - 1] == "jamais"

        after = text[match.end() :].split()[:2]
        if after and after[0] in _FORWARD_NEGATORS:
            return after[0] != "pas" or after[1:] != ["mal"]
        return False

    def _subject_fits(self, before_text: str, wanted: Subject) -> bool:
        if wanted == "any":
            return True
        subject = self._nearest_subject(before_text.split())
        return subject is None or subject == wanted

    def _nearest_subject(self, before: list[str]) -> Subject | None:
        """Who does the verb just after ``before``: "first", "other" or None."""
        rules = self._rules
        for index in range(len(before) - 1, -1, -1):
            token = before[index]
            if token in rules.first_person:
                if index > 0 and before[index - 1] in _RELATIVE_WORDS:
                    continue
                return "first"
            if token in rules.other_person:
                return "other"
            if token in rules.determiners and _noun_phrase_is_subject(
                before[index + 1 :], rules.verbs
            ):
                return "other"
        return None

    def _only_negated_anchors(self, clause: _Clause) -> bool:
        """Whether the clause holds danger words and every one is negated."""
        if self._scorer_settings is None:
            return False
        anchors = list(self._scorer_settings.anchors.finditer(clause.text))
        return bool(anchors) and all(
            self._negated(clause.text, anchor) for anchor in anchors
        )

    def _score(
        self, clause: _Clause, named_anywhere: list[tuple[int, DangerCategory]]
    ) -> list[_Hit]:
        """A medium hit when the clause is close to a danger prototype."""
        if self._scorer is None or self._scorer_settings is None:
            return []
        if clause.joking or clause.gaming or clause.negated_hit:
            return []
        settings = self._scorer_settings
        if len(clause.text.split()) < MIN_SCORED_WORDS:
            return []
        if not any(
            not self._negated(clause.text, anchor)
            for anchor in settings.anchors.finditer(clause.text)
        ):
            return []  # no danger word, or only negated ones ("pas en danger")
        match = self._scorer.match(clause.text)
        if (
            match.category is None
            or match.danger_similarity < settings.min_similarity
            or match.danger_similarity - match.harmless_similarity < settings.min_margin
        ):
            return []
        category = _route_by_who(match.category, clause.perpetrators or named_anywhere)
        name = f"{_SCORER_SIGNAL_PREFIX}{category.value}"
        return [_Hit(category, Severity.MEDIUM, name)]

    # -------------------------------------------------------- aggregating

    def _aggregate(self, hits: list[_Hit], message: str) -> list[Assessment]:
        severities: dict[DangerCategory, Severity] = {}
        signals: dict[DangerCategory, set[str]] = {}
        for hit in hits:
            severities[hit.category] = max(
                severities.get(hit.category, Severity.LOW), hit.severity
            )
            signals.setdefault(hit.category, set()).add(hit.signal)

        for category in list(severities):
            # Low evidence alone is noise; two different low signals are not.
            if severities[category] == Severity.LOW and len(signals[category]) < 2:
                del severities[category]

        for escalator in self._rules.escalators:
            if not escalator.pattern.search(message):
                continue
            for category in escalator.categories & severities.keys():
                if escalator.lowest <= severities[category] < escalator.target:
                    severities[category] = escalator.target
                    signals[category].add(escalator.name)

        assessments = [
            Assessment(category, severity, tuple(sorted(signals[category])))
            for category, severity in severities.items()
        ]
        return sorted(assessments, key=Assessment.sort_key)


_PHONETIC_RULES = (
    (re.compile(r"(?:ss|c(?=[eiy])|ç|sc(?=[eiy]))"), "s"),
    (re.compile(r"qu|ck|c|q"), "k"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"(?<!c)h"), ""),
    (re.compile(r"(?:eau|au)"), "o"),
    (re.compile(r"(?:ai|ei)"), "e"),
    (re.compile(r"y"), "i"),
    (re.compile(r"(\w)\1+"), r"\1"),
)


def _phonetic(word: str) -> str:
    """A rough French sound key: "suissider" and "suicider" give "suisider"."""
    for pattern, replacement in _PHONETIC_RULES:
        word = pattern.sub(replacement, word)
    return word


def _perpetrator(
    clause: _Clause, position: int, named_anywhere: list[tuple[int, DangerCategory]]
) -> DangerCategory | None:
    """Who is named as doing it: nearest before, else after, else anywhere."""
    before = [cat for start, cat in clause.perpetrators if start < position]
    if before:
        return before[-1]
    after = [cat for start, cat in clause.perpetrators if start >= position]
    if after:
        return after[0]
    return named_anywhere[-1][1] if named_anywhere else None


def _noun_phrase_is_subject(after_determiner: list[str], verbs: frozenset[str]) -> bool:
    """Whether "ma mere" / "mon beau pere" is followed by its verb (or the match)."""
    if not after_determiner:
        return False
    if len(after_determiner) == 1:
        return True
    follower = after_determiner[1]
    if follower in verbs or follower.startswith("m'"):
        return True
    if follower in _COMPOUND_TAILS:
        rest = after_determiner[2:]
        return not rest or rest[0] in verbs or rest[0].startswith("m'")
    return False


def _route(
    signal: Signal, perpetrator: DangerCategory | None, is_minor: bool | None
) -> DangerCategory:
    """The category of a hit: who did it, else what is known of the age."""
    if perpetrator is not None and perpetrator in signal.resolve:
        return perpetrator
    if is_minor is True and signal.if_minor is not None:
        return signal.if_minor
    if is_minor is False and signal.if_adult is not None:
        return signal.if_adult
    return signal.category


# Violence whose number depends on who does it (119, 3919, 17).
_VIOLENCE_BY_WHO = frozenset(
    {
        DangerCategory.CHILD_ABUSE,
        DangerCategory.PARTNER_VIOLENCE,
        DangerCategory.IMMEDIATE_DANGER,
    }
)


def _route_by_who(
    category: DangerCategory, named: list[tuple[int, DangerCategory]]
) -> DangerCategory:
    """The scorer's or the learned layer's violence category, corrected by
    the one person the message names (a parent -> 119, a partner -> 3919).

    Both read meaning, not who is who: "mes parents m'ont enfermé" comes out
    as partner violence as often as not. With no one named, or family and a
    partner both named, their category stands.
    """
    if category not in _VIOLENCE_BY_WHO:
        return category
    who = {cat for _, cat in named} & {
        DangerCategory.CHILD_ABUSE,
        DangerCategory.PARTNER_VIOLENCE,
    }
    return who.pop() if len(who) == 1 else category


@functools.cache
def default_detector() -> Detector:
    """The detector built from the data files beside this module.

    Built at first use, not at import (no I/O at import time); call it at
    start-up: it also loads the sentence encoder (a few seconds), which would
    otherwise delay the first message.

    Raises:
        SafetyDataError: A data file is malformed; fix it, the detector will
            not run on half its rules.
    """
    rules = load_rules(read_yaml(PATTERNS_FILE))
    scorer, settings = load_scorer(read_yaml(PROTOTYPES_FILE))
    classifier, threshold = load_classifier(read_classifier_file())
    encoder = default_encoder()
    try:
        encoder.warm_up()
    except EncoderUnavailableError:
        # Logged by the encoder. The rules answer alone until it is retried.
        logger.warning("Crisis detector starts with its rules only")
    logger.info(
        "Crisis detector ready: %d signals, %d neutralisers, learned layer at %.2f",
        len(rules.signals),
        len(rules.neutralisers),
        threshold,
    )
    return Detector(
        rules, scorer, settings, LearnedLayer(encoder, classifier, threshold)
    )


def assess_all(text: str, *, is_minor: bool | None = None) -> list[Assessment]:
    """Every danger in a message, most urgent first; see :class:`Detector`."""
    return default_detector().assess_all(text, is_minor=is_minor)


def assess(text: str, *, is_minor: bool | None = None) -> Assessment | None:
    """The most urgent danger in a message, or None.

    Args:
        text: The message as received; any string.
        is_minor: Whether the person is under 18, when known.

    Returns:
        The most severe assessment (ties go to immediate danger, then
        suicide, then abuse...), or None when the message shows no danger.
    """
    found = assess_all(text, is_minor=is_minor)
    return found[0] if found else None
