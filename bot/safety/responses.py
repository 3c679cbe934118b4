"""The French messages sent at once for a danger, from ``responses.yml``."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml

from bot.safety.assessment import Assessment, DangerCategory, Severity
from bot.safety.rules import SafetyDataError

RESPONSES_FILE = "responses.yml"
_VARIANTS = ("default", "minor", "adult", "critical")


@functools.cache
def _responses() -> dict[DangerCategory, dict[str, tuple[str, ...]]]:
    """Reads and checks the file once, at first use (no I/O at import)."""
    path = resources.files("bot.safety").joinpath(RESPONSES_FILE)
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise SafetyDataError(f"{RESPONSES_FILE} must map categories to messages")

    table: dict[DangerCategory, dict[str, tuple[str, ...]]] = {}
    for category in DangerCategory:
        entry = data.get(category.value)
        if not isinstance(entry, dict) or not entry.get("default"):
            raise SafetyDataError(
                f"{RESPONSES_FILE}: {category.value!r} needs a non-empty 'default' "
                "list of messages; the gateway must never stay silent on a danger"
            )
        unknown = set(entry) - set(_VARIANTS)
        if unknown:
            raise SafetyDataError(
                f"{RESPONSES_FILE}: {category.value!r} has {sorted(unknown)}; "
                f"expected only {list(_VARIANTS)}"
            )
        table[category] = {
            variant: tuple(str(message) for message in entry.get(variant) or ())
            for variant in _VARIANTS
        }
    return table


def responses_for(assessment: Assessment, *, is_minor: bool | None) -> list[str]:
    """The messages to send, in order, the number first.

    Args:
        assessment: What the detector found.
        is_minor: True or False when the age is known, else None.

    Returns:
        Short French messages; the first one starts with the number to call.

    Raises:
        SafetyDataError: ``responses.yml`` is malformed (checked at first use;
            call it at start-up to find out before a young person does).
    """
    variants = _responses()[assessment.category]
    audience = "default" if is_minor is None else ("minor" if is_minor else "adult")
    messages = list(variants[audience] or variants["default"])
    if assessment.severity >= Severity.CRITICAL:
        messages.extend(variants["critical"])
    return messages
