"""The connectors' own wording, read from ``connectors/fr.yml``."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import yaml

WORDING_FILE = Path(__file__).with_name("fr.yml")


@dataclass(frozen=True)
class ConnectorTexts:
    """What a connector says by itself; see ``fr.yml`` for when."""

    group_redirect: str
    group_redirect_no_link: str
    moved_to_private: str
    answering_here: str
    private_closed: str
    greeting_text: str
    not_received: str
    command_help: str
    command_message_help: str

    def redirect(self, link: str | None) -> str:
        """The public redirection to a private chat, with a link if known."""
        if link:
            return self.group_redirect.format(link=link)
        return self.group_redirect_no_link


@lru_cache(maxsize=4)
def load_texts(path: Path = WORDING_FILE) -> ConnectorTexts:
    """Read and check the wording file.

    Raises:
        ValueError: naming the missing or empty key.
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of texts, got {type(raw)}")
    values: dict[str, str] = {}
    for field in fields(ConnectorTexts):
        value = raw.get(field.name)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{path}: missing or empty text {field.name!r}")
        values[field.name] = value
    return ConnectorTexts(**values)
