"""A small nearest-prototype scorer that catches what the rules do not phrase.

Each prototype sentence from ``prototypes.yml`` (danger sentences per category,
and look-alikes that are not dangers) becomes a TF-IDF vector of character
3- to 5-grams, taken inside words so that misspellings still share most of
their grams. A message is compared with every prototype by cosine similarity
through an inverted index, which keeps it well under a millisecond.

The scorer only answers when the closest danger prototype is close enough
*and* clearly closer than the closest harmless look-alike: the look-alikes
("je me suis fait tuer en ranked", "mort de rire") are what keeps gaming and
joking talk from scoring as danger.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from bot.safety.assessment import DangerCategory

MIN_GRAM = 3
MAX_GRAM = 5
# Grams found in more than this share of prototypes ("je ", " pas") say
# little and make the index slow; they are left out, like stop words.
MAX_DOCUMENT_SHARE = 0.15


def _grams(text: str) -> Counter[str]:
    """Character n-grams of each word, padded so word edges count."""
    grams: Counter[str] = Counter()
    for word in text.split():
        padded = f" {word} "
        for size in range(MIN_GRAM, MAX_GRAM + 1):
            for start in range(len(padded) - size + 1):
                grams[padded[start : start + size]] += 1
    return grams


@dataclass(frozen=True)
class Match:
    """The closest danger prototype and the closest harmless one."""

    category: DangerCategory | None
    danger_similarity: float
    harmless_similarity: float


class PrototypeScorer:
    """Cosine similarity to labelled prototypes over character n-grams."""

    def __init__(self, prototypes: list[tuple[str, DangerCategory | None]]) -> None:
        """Builds the index.

        Args:
            prototypes: (normalised sentence, category) pairs; category None
                marks a harmless look-alike.
        """
        self._labels = [label for _, label in prototypes]
        counts = [_grams(text) for text, _ in prototypes]
        document_frequency: Counter[str] = Counter()
        for grams in counts:
            document_frequency.update(grams.keys())
        total = len(counts)
        self._idf = {
            gram: math.log((1 + total) / (1 + df)) + 1.0
            for gram, df in document_frequency.items()
            if df <= MAX_DOCUMENT_SHARE * total
        }
        self._index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for position, grams in enumerate(counts):
            vector = self._weigh(grams)
            for gram, weight in vector.items():
                self._index[gram].append((position, weight))

    def _weigh(self, grams: Counter[str]) -> dict[str, float]:
        """Sublinear TF times IDF, L2-normalised; unknown grams are dropped."""
        vector = {
            gram: (1.0 + math.log(count)) * self._idf[gram]
            for gram, count in grams.items()
            if gram in self._idf
        }
        norm = math.sqrt(sum(weight * weight for weight in vector.values()))
        if not norm:
            return {}
        return {gram: weight / norm for gram, weight in vector.items()}

    def __len__(self) -> int:
        return len(self._labels)

    def label(self, position: int) -> DangerCategory | None:
        """The category of the prototype at a position (None if harmless)."""
        return self._labels[position]

    def match(self, text: str, *, exclude: int | None = None) -> Match:
        """Finds the closest danger and harmless prototypes to a text.

        Args:
            text: A clause in the detector's normalised form.
            exclude: A prototype position to ignore, for leave-one-out
                calibration on the prototypes themselves.

        Returns:
            The best danger category (None if nothing is similar) with both
            similarities, in [0, 1].
        """
        scores: defaultdict[int, float] = defaultdict(float)
        for gram, weight in self._weigh(_grams(text)).items():
            for position, prototype_weight in self._index.get(gram, ()):
                scores[position] += weight * prototype_weight

        best_danger: tuple[float, DangerCategory | None] = (0.0, None)
        best_harmless = 0.0
        for position, score in scores.items():
            if position == exclude:
                continue
            label = self._labels[position]
            if label is None:
                best_harmless = max(best_harmless, score)
            elif score > best_danger[0]:
                best_danger = (score, label)
        return Match(best_danger[1], best_danger[0], best_harmless)
