"""The gateway's own wording, read from ``data/gateway/fr.yml``."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from bot.messages import InboundKind

TEXTS_FILE = PROJECT_ROOT / "data" / "gateway" / "fr.yml"


@dataclass(frozen=True)
class GatewayTexts:
    rasa_unavailable: tuple[str, ...]
    still_unavailable: tuple[str, ...]
    non_text: dict[str, str]
    too_long: str
    follow_ups_stopped: str
    no_answer: str

    def for_kind(self, kind: InboundKind) -> str:
        return self.non_text.get(kind.value, self.non_text["other"])

    def pick(self, variants: tuple[str, ...]) -> str:
        return random.choice(variants)  # noqa: S311  (wording variety, not security)


@lru_cache(maxsize=4)
def load_texts(path: Path = TEXTS_FILE) -> GatewayTexts:
    """Read and check the wording file.

    Raises:
        ValueError: naming the missing or malformed key.
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        texts = GatewayTexts(
            rasa_unavailable=tuple(raw["rasa_unavailable"]),
            still_unavailable=tuple(raw["still_unavailable"]),
            non_text={str(k): str(v) for k, v in raw["non_text"].items()},
            too_long=str(raw["too_long"]),
            follow_ups_stopped=str(raw["follow_ups_stopped"]),
            no_answer=str(raw["no_answer"]),
        )
    except (KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"{path}: missing or malformed key {err}") from err
    if "other" not in texts.non_text:
        raise ValueError(f"{path}: non_text needs an 'other' entry")
    return texts
