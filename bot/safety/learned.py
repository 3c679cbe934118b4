"""The detector's learned layer: a sentence encoder and a linear classifier.

The rules (``patterns.yml``) only see the phrasings someone wrote down; on
messages written after them they missed about half of the dangers. This layer
reads meaning instead of words: each message is turned into two sentence
vectors by :mod:`bot.safety.encoder` (its lower-cased text and its
:func:`nlu.normalize.normalize` form, concatenated), and a multinomial
logistic regression gives the probability of "no danger" and of each
category.

Where the weights come from: ``scripts/train_safety.py`` fits the regression
on ``training.yml`` (several hundred messages written for it, danger ones in
the six categories and hard negatives) with a fixed seed, and writes
``classifier.json`` beside this module: weights, the threshold, the training
file's SHA-256 and the cross-validated figures. The server only reads that
file (no scikit-learn at run time, nothing to fit at start-up); a unit test
fails when ``training.yml`` changed and the script was not run again.

The threshold is chosen by cross-validation on the training set only, for the
detector as a whole: the layer speaks only where the rules found nothing, so
the script picks the lowest threshold at which the layer adds at most a fixed
share of false alarms on the hard negatives the rules let through (4%), and a
far smaller one on everyday chat ("stop", "jsp": 1%), which maximises recall
within those budgets. The held-out sets in ``tests/safety`` and the NLU
examples in ``data/nlu`` never tune it.

How the detector uses it (:mod:`bot.safety.detector`): when no rule fired and
no danger phrase was negated, a probability of danger above the threshold
becomes a medium alert in the most probable category (signal
``learned.<category>``); when rules fired, an agreeing layer only adds its
signal to that category, as a confirmation a counsellor can see.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.safety.assessment import DangerCategory
from bot.safety.encoder import ENCODER_DIMENSION, Encoder
from bot.safety.rules import SafetyDataError
from nlu.normalize import normalize

__all__ = [
    "CLASSIFIER_FILE",
    "TRAINING_FILE",
    "LearnedLayer",
    "LearnedVerdict",
    "LinearClassifier",
    "features",
    "load_classifier",
    "training_digest",
    "windows",
]

logger = logging.getLogger(__name__)

CLASSIFIER_FILE = "classifier.json"
TRAINING_FILE = "training.yml"
# The class of messages without danger, in classifier.json.
NO_DANGER = "none"
# Long messages are read in windows of this many words, overlapping by the
# second number; training messages are shorter than one window.
WINDOW_WORDS = 40
WINDOW_OVERLAP_WORDS = 12
# Encoding costs grow with the text: a 10,000-character message in one piece
# takes most of a second. The rules read everything; this layer reads at most
# this many windows (the last ones: what a long message ends on is what it
# is about) of at most this many characters each.
MAX_WINDOWS = 6
MAX_WINDOW_CHARS = 320

FloatArray = npt.NDArray[np.float32]
_SPACES_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class LearnedVerdict:
    """What the layer thinks of a message.

    Attributes:
        category: The most probable danger category.
        probability: Probability that the message shows a danger at all.
        alarm: Whether that probability reaches the calibrated threshold.
    """

    category: DangerCategory
    probability: float
    alarm: bool


class LinearClassifier:
    """A multinomial logistic regression, as fitted by scikit-learn."""

    def __init__(
        self,
        classes: Sequence[DangerCategory | None],
        coefficients: FloatArray,
        intercepts: FloatArray,
    ) -> None:
        """Keeps the weights.

        Args:
            classes: One per row of ``coefficients``; None is "no danger".
            coefficients: Shape (classes, features).
            intercepts: Shape (classes,).

        Raises:
            SafetyDataError: The shapes do not fit together.
        """
        if coefficients.shape != (len(classes), 2 * ENCODER_DIMENSION):
            raise SafetyDataError(
                f"{CLASSIFIER_FILE}: coefficients have shape {coefficients.shape}, "
                f"expected ({len(classes)}, {2 * ENCODER_DIMENSION}); "
                "run scripts/train_safety.py again"
            )
        if intercepts.shape != (len(classes),) or None not in classes:
            raise SafetyDataError(
                f"{CLASSIFIER_FILE}: expected one intercept per class and a "
                f"{NO_DANGER!r} class; run scripts/train_safety.py again"
            )
        self.classes = tuple(classes)
        self._coefficients = coefficients
        self._intercepts = intercepts
        self._no_danger = self.classes.index(None)

    def probabilities(self, rows: FloatArray) -> FloatArray:
        """Class probabilities, shape (rows, classes), by softmax."""
        scores = rows @ self._coefficients.T + self._intercepts
        scores -= scores.max(axis=1, keepdims=True)
        exponentials = np.exp(scores)
        return np.asarray(
            exponentials / exponentials.sum(axis=1, keepdims=True), dtype=np.float32
        )

    def danger(self, rows: FloatArray) -> tuple[FloatArray, list[DangerCategory]]:
        """Probability of any danger per row, and the most probable category."""
        probabilities = self.probabilities(rows)
        danger = 1.0 - probabilities[:, self._no_danger]
        probabilities[:, self._no_danger] = -1.0
        categories = [self.classes[index] for index in probabilities.argmax(axis=1)]
        return np.asarray(danger, dtype=np.float32), [
            category for category in categories if category is not None
        ]


def windows(text: str) -> list[str]:
    """The pieces of a message the layer encodes: itself, or its last windows."""
    words = text.split()
    if not words:
        return []
    if len(words) <= WINDOW_WORDS:
        pieces = [" ".join(words)]
    else:
        step = WINDOW_WORDS - WINDOW_OVERLAP_WORDS
        starts = range(0, len(words) - WINDOW_OVERLAP_WORDS, step)
        pieces = [" ".join(words[start : start + WINDOW_WORDS]) for start in starts]
    return [piece[-MAX_WINDOW_CHARS:] for piece in pieces[-MAX_WINDOWS:]]


def features(encoder: Encoder, pieces: Sequence[str]) -> FloatArray:
    """The classifier's input for each piece of text, in one encoder batch.

    Two views of each piece are encoded side by side: lower-cased as written
    (the encoder knows accents and some slang) and normalised (SMS forms and
    slang expanded, emoji as words). Cross-validation on the training set
    found the pair better than either alone.
    """
    written = [_SPACES_RE.sub(" ", piece.lower()).strip() for piece in pieces]
    normalised = [normalize(piece) or piece for piece in written]
    vectors = encoder.encode(written + normalised)
    count = len(pieces)
    return np.hstack([vectors[:count], vectors[count:]])


class LearnedLayer:
    """Encoder plus classifier, with the threshold chosen for recall."""

    def __init__(
        self, encoder: Encoder, classifier: LinearClassifier, threshold: float
    ) -> None:
        """Keeps the parts; nothing is loaded until the first message."""
        self._encoder = encoder
        self._classifier = classifier
        self.threshold = threshold

    def judge(self, text: str) -> LearnedVerdict | None:
        """The layer's verdict on a message, or None when it has no words.

        The most dangerous window speaks for the message.
        """
        pieces = windows(text)
        if not pieces:
            return None
        danger, categories = self._classifier.danger(features(self._encoder, pieces))
        worst = int(danger.argmax())
        probability = float(danger[worst])
        return LearnedVerdict(
            category=categories[worst],
            probability=probability,
            alarm=probability >= self.threshold,
        )


def training_digest() -> str:
    """SHA-256 of ``training.yml``, recorded in the classifier it yields."""
    data = resources.files("bot.safety").joinpath(TRAINING_FILE).read_bytes()
    return hashlib.sha256(data).hexdigest()


def load_classifier(data: Mapping[str, Any]) -> tuple[LinearClassifier, float]:
    """Builds the classifier and its threshold from ``classifier.json``.

    Args:
        data: The parsed JSON document.

    Returns:
        The classifier and the probability of danger from which it alarms.

    Raises:
        SafetyDataError: A field is missing or malformed.
    """
    try:
        classes = [
            None if name == NO_DANGER else DangerCategory(name)
            for name in data["classes"]
        ]
        coefficients = np.asarray(data["coefficients"], dtype=np.float32)
        intercepts = np.asarray(data["intercepts"], dtype=np.float32)
        threshold = float(data["threshold"])
    except (KeyError, TypeError, ValueError) as err:
        raise SafetyDataError(
            f"{CLASSIFIER_FILE} is missing or misshapes {err}; "
            "run scripts/train_safety.py again"
        ) from err
    if not 0.0 < threshold < 1.0:
        raise SafetyDataError(
            f"{CLASSIFIER_FILE}: threshold {threshold} is not a probability"
        )
    return LinearClassifier(classes, coefficients, intercepts), threshold


def read_classifier_file() -> dict[str, Any]:
    """Parses ``classifier.json`` beside this module."""
    text = resources.files("bot.safety").joinpath(CLASSIFIER_FILE).read_text("utf-8")
    try:
        data: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as err:
        raise SafetyDataError(f"{CLASSIFIER_FILE} is not valid JSON: {err}") from err
    if data.get("training_sha256") != training_digest():
        # Not fatal: the older weights still work; the unit test is the gate.
        logger.warning(
            "%s was fitted on another version of %s; run scripts/train_safety.py",
            CLASSIFIER_FILE,
            TRAINING_FILE,
        )
    return data
