"""Train the Rasa model only when its inputs changed (stdlib only).

Run with the Rasa environment's Python. The model is named after a
fingerprint of everything that shapes it; a model with that name in
``models/`` or in the shared cache (``MARAUDE_MODEL_CACHE``, default
``~/.cache/maraude/models``) is reused, so a fresh clone of an unchanged
tree does not retrain.

Prints the path of the model to use on its last line.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
TRAINING_DATA = ("data/nlu", "data/rules", "data/stories")
# Everything that changes the trained model when it changes.
INPUTS = ("config.yml", "domain", *TRAINING_DATA, "nlu", "requirements/rasa.lock")
KEEP_MODELS = 3


def fingerprint() -> str:
    digest = hashlib.sha256()
    for name in INPUTS:
        path = ROOT / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(ROOT)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "maraude" / "models"
    return Path(os.environ.get("MARAUDE_MODEL_CACHE", default))


def prune(keep: str) -> None:
    """Keep the newest few models so that models/ does not grow forever."""
    models = sorted(MODELS.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    for old in models[:-KEEP_MODELS]:
        if old.name != keep:
            old.unlink()


def main() -> int:
    name = f"maraude-{fingerprint()}"
    model = MODELS / f"{name}.tar.gz"
    cached = cache_dir() / model.name
    MODELS.mkdir(exist_ok=True)

    if model.exists():
        print(f"Model up to date ({model.name}); no training needed.", file=sys.stderr)
    elif cached.exists():
        shutil.copy2(cached, model)
        print(f"Model reused from cache ({cached}).", file=sys.stderr)
    else:
        print("Training data changed: training the Rasa model…", file=sys.stderr)
        rasa = Path(sys.executable).parent / "rasa"
        command = [
            str(rasa),
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain",
            "--data",
            *TRAINING_DATA,
            "--out",
            str(MODELS),
            "--fixed-model-name",
            name,
        ]
        # Rasa's progress goes to stderr: stdout carries only the model path.
        result = subprocess.run(command, cwd=ROOT, check=False, stdout=sys.stderr)
        if result.returncode != 0 or not model.exists():
            print(f"Training failed (exit {result.returncode}).", file=sys.stderr)
            return 1
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(model, cached)

    prune(keep=model.name)
    print(model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
