"""Benchmark of the NLU model on the held-out test set (a benchmark, not a test).

Prints intent accuracy, per-intent precision, recall and F1 (worst first),
and entity precision, recall and F1 per entity type, for the examples in
``tests/nlu/`` (never trained on)::

    .venvs/app/bin/python scripts/bench_nlu.py                  # current model
    .venvs/app/bin/python scripts/bench_nlu.py --misses         # and what failed
    .venvs/app/bin/python scripts/bench_nlu.py --url http://127.0.0.1:5005
    .venvs/app/bin/python scripts/bench_nlu.py --min-accuracy 0.90   # exit 1 below

Without ``--url`` it starts a Rasa server of its own on a free port with the
model ``scripts/train_model.py`` gives (trained only when the data changed),
and stops it at the end. An entity counts as found when its type and its
character span are exactly the annotated ones.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
TEST_SET = ROOT / "tests" / "nlu"
RASA_PYTHON = ROOT / ".venvs" / "rasa" / "bin" / "python"
TRAIN_SCRIPT = ROOT / "scripts" / "train_model.py"
ENTITY_EXTRACTOR = "DIETClassifier"
READY_TIMEOUT_SECONDS = 600  # a loaded 2-core machine takes minutes
PARSE_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 20

# "[Roubaix](place)", "[6 mois](since)": Rasa's inline entity annotation.
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<entity>[^)]+)\)")


@dataclass(frozen=True)
class Entity:
    entity: str
    start: int
    end: int


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: frozenset[Entity]


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    entities: frozenset[Entity]


@dataclass
class Scores:
    """Precision, recall and F1 from true positives and the two error counts."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    @property
    def support(self) -> int:
        return self.true_positives + self.false_negatives


@dataclass
class Report:
    examples: int = 0
    correct: int = 0
    intents: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    entities: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    misses: list[tuple[Example, Prediction]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.examples if self.examples else 0.0

    def entity_total(self) -> Scores:
        total = Scores()
        for scores in self.entities.values():
            total.true_positives += scores.true_positives
            total.false_positives += scores.false_positives
            total.false_negatives += scores.false_negatives
        return total


def parse_annotated(line: str, intent: str) -> Example:
    """The plain text and entity spans of one annotated example line."""
    text_parts: list[str] = []
    entities = set()
    position = 0
    length = 0
    for match in _ANNOTATION.finditer(line):
        before = line[position : match.start()]
        text_parts.append(before)
        length += len(before)
        value = match.group("text")
        entity = match.group("entity").split(":", 1)[0]
        entities.add(Entity(entity, length, length + len(value)))
        text_parts.append(value)
        length += len(value)
        position = match.end()
    text_parts.append(line[position:])
    return Example("".join(text_parts), intent, frozenset(entities))


def load_examples(paths: Iterable[Path]) -> list[Example]:
    """Every example of the Rasa NLU YAML files under ``paths``."""
    examples = []
    for path in paths:
        files = sorted(path.rglob("*.yml")) if path.is_dir() else [path]
        for file in files:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            for block in data.get("nlu") or []:
                if "intent" not in block:
                    continue
                for raw in str(block.get("examples") or "").splitlines():
                    line = raw.strip()
                    if line.startswith("- "):
                        examples.append(
                            parse_annotated(line[2:].strip(), block["intent"])
                        )
    return examples


def score(examples: Sequence[Example], predictions: Sequence[Prediction]) -> Report:
    """Compares predictions with the annotations."""
    report = Report()
    for example, prediction in zip(examples, predictions, strict=True):
        report.examples += 1
        if prediction.intent == example.intent:
            report.correct += 1
            report.intents[example.intent].true_positives += 1
        else:
            report.intents[example.intent].false_negatives += 1
            report.intents[prediction.intent].false_positives += 1
        for entity in example.entities | prediction.entities:
            scores = report.entities[entity.entity]
            if entity in example.entities and entity in prediction.entities:
                scores.true_positives += 1
            elif entity in example.entities:
                scores.false_negatives += 1
            else:
                scores.false_positives += 1
        if (
            prediction.intent != example.intent
            or prediction.entities != example.entities
        ):
            report.misses.append((example, prediction))
    return report


def parse_all(url: str, examples: Sequence[Example]) -> list[Prediction]:
    """Asks the Rasa server's ``/model/parse`` for every example."""
    predictions = []
    with httpx.Client(base_url=url, timeout=PARSE_TIMEOUT_SECONDS) as client:
        for example in examples:
            response = client.post("/model/parse", json={"text": example.text})
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            entities = frozenset(
                Entity(str(found["entity"]), int(found["start"]), int(found["end"]))
                for found in body.get("entities") or []
                if found.get("extractor") == ENTITY_EXTRACTOR
            )
            intent = body.get("intent") or {}
            predictions.append(
                Prediction(
                    str(intent.get("name")),
                    float(intent.get("confidence") or 0),
                    entities,
                )
            )
    return predictions


def evaluate(url: str, paths: Iterable[Path] = (TEST_SET,)) -> Report:
    """The report of the model served at ``url`` on the test set."""
    examples = load_examples(paths)
    return score(examples, parse_all(url, examples))


def current_model() -> Path:
    """The model of the current data, trained only when it changed."""
    result = subprocess.run(
        [str(RASA_PYTHON), str(TRAIN_SCRIPT)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return Path(result.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def rasa_server(model: Path) -> Iterator[str]:
    """A Rasa server for ``model`` on a free port, stopped on exit.

    It parses only: no action server, and an empty endpoints file so that
    the project's (which needs the stack's environment) is not read.
    """
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-nlu-") as folder:
        endpoints = Path(folder) / "endpoints.yml"
        endpoints.write_text("{}\n", encoding="utf-8")
        log_path = Path(folder) / "rasa.log"
        command = [
            str(RASA_PYTHON), "-m", "rasa", "run", "--enable-api", "--interface",
            "127.0.0.1", "--port", str(port), "--model", str(model),
            "--endpoints", str(endpoints),
        ]  # fmt: skip
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, process)
            yield url
        except RuntimeError as err:
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
            raise RuntimeError(f"{err}\n{tail}") from err
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_ready(url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    """Waits until the server at ``url`` has a model loaded.

    Raises:
        RuntimeError: when the server exits or is not ready in time.
    """
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"The Rasa server exited with {process.returncode}.")
        try:
            status = httpx.get(f"{url}/status", timeout=5)
            if status.status_code == httpx.codes.OK and status.json().get("model_file"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(
        f"No Rasa server ready at {url} after {READY_TIMEOUT_SECONDS} s."
    )


def print_report(report: Report, *, misses: bool) -> None:
    print(f"Held-out examples: {report.examples}")
    print(f"Intent accuracy:   {report.accuracy:.3f}")
    print()
    print(f"{'intent':<20} {'prec':>6} {'recall':>6} {'F1':>6} {'n':>4}")
    for name, scores in sorted(report.intents.items(), key=lambda item: item[1].f1):
        print(
            f"{name:<20} {scores.precision:6.3f} {scores.recall:6.3f} "
            f"{scores.f1:6.3f} {scores.support:4d}"
        )
    print()
    print(f"{'entity':<20} {'prec':>6} {'recall':>6} {'F1':>6} {'n':>4}")
    for name, scores in sorted(report.entities.items()):
        print(
            f"{name:<20} {scores.precision:6.3f} {scores.recall:6.3f} "
            f"{scores.f1:6.3f} {scores.support:4d}"
        )
    total = report.entity_total()
    print(
        f"{'(all)':<20} {total.precision:6.3f} {total.recall:6.3f} "
        f"{total.f1:6.3f} {total.support:4d}"
    )
    if misses:
        print()
        confusions = Counter(
            (example.intent, prediction.intent)
            for example, prediction in report.misses
            if example.intent != prediction.intent
        )
        print("Most confused (expected -> predicted):")
        for (expected, predicted), count in confusions.most_common(10):
            print(f"  {count:3d}  {expected} -> {predicted}")
        print()
        for example, prediction in report.misses:
            marker = "intent" if example.intent != prediction.intent else "entity"
            found = sorted(
                (e.entity, example.text[e.start : e.end]) for e in prediction.entities
            )
            print(
                f"  [{marker}] {example.text!r}: expected {example.intent}, got "
                f"{prediction.intent} ({prediction.confidence:.2f}) {found}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running Rasa server started with --enable-api")
    parser.add_argument(
        "--model", type=Path, help="a model to serve (default: current)"
    )
    parser.add_argument("--misses", action="store_true", help="list what failed")
    parser.add_argument("--min-accuracy", type=float, help="exit 1 below this accuracy")
    parser.add_argument("paths", nargs="*", type=Path, default=[TEST_SET])
    args = parser.parse_args(argv)

    if args.url:
        report = evaluate(args.url, args.paths)
    else:
        model = args.model or current_model()
        print(f"Model: {model}", file=sys.stderr)
        with rasa_server(model) as url:
            report = evaluate(url, args.paths)
    print_report(report, misses=args.misses)
    if args.min_accuracy is not None and report.accuracy < args.min_accuracy:
        print(
            f"Intent accuracy {report.accuracy:.3f} is below {args.min_accuracy:.2f}.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
