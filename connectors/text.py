"""Fitting answers into platform messages: length limits and markup.

Telegram answers are sent as plain text, with no ``parse_mode``: the wording
comes from staff who are not Markdown experts, and with MarkdownV2 a single
unescaped ``.`` or ``!`` makes Telegram refuse the whole message ("can't parse
entities"). Plain text cannot fail that way, needs no escaping (so the
length limit is exact), and Telegram clients still turn links and phone
numbers into links. Discord always renders Markdown, so its answers are
escaped, and mentions are broken so that a bot answer can never ping
``@everyone`` (the send call also disables mentions; this is belt and braces).
"""

from __future__ import annotations

import re

import discord.utils

# Telegram counts 1-4096 characters "after entities parsing", in UTF-16 code
# units (an emoji outside the BMP counts twice).
TELEGRAM_MAX_CHARS = 4096
# Discord refuses message content over 2000 characters.
DISCORD_MAX_CHARS = 2000

# A sentence ends with . ! ? or … (possibly repeated, possibly followed by a
# closing quote or bracket) before whitespace; a line break ends one too.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'’»)\]]*(?=\s)|\n")
_WHITESPACE = re.compile(r"\s+")


def utf16_len(text: str) -> int:
    """The length of ``text`` as Telegram and Discord count it."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` UTF-16 units.

    Cuts fall after the last sentence end that fits, else at the last space
    that fits (a monster sentence), else anywhere (a monster word), never
    between a backslash and the character it escapes.

    Returns:
        The pieces, stripped; an empty list for blank text.
    """
    if limit < 2:
        raise ValueError(f"limit must be at least 2 characters, got {limit}")
    pieces: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        window = _fitting_prefix(rest, limit)
        cut = _cut_point(rest, window)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _fitting_prefix(text: str, limit: int) -> int:
    """The number of characters of ``text`` that fit in ``limit`` units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def _cut_point(text: str, window: int) -> int:
    # Look one character past the window: a sentence end at its very edge
    # counts only if whitespace follows.
    visible = text[: window + 1]
    sentence_ends = [
        m.end() for m in _SENTENCE_END.finditer(visible) if 0 < m.end() <= window
    ]
    if sentence_ends:
        return sentence_ends[-1]
    spaces = [m.start() for m in _WHITESPACE.finditer(visible) if m.start() > 0]
    if spaces:
        return min(spaces[-1], window)
    cut = window
    while cut > 1 and text[cut - 1] == "\\":
        cut -= 1
    return max(cut, 1)


def telegram_chunks(text: str) -> list[str]:
    """Plain-text pieces of an answer, each one Telegram message."""
    return split_text(text, TELEGRAM_MAX_CHARS)


def escape_discord(text: str) -> str:
    """Markdown and mentions neutralised; links are left clickable."""
    escaped = discord.utils.escape_markdown(text, ignore_links=True)
    return discord.utils.escape_mentions(escaped)


def discord_chunks(text: str) -> list[str]:
    """Escaped pieces of an answer, each one Discord message.

    Escaping comes first so that the backslashes it adds count against the
    limit; :func:`split_text` never separates an escape from its character.
    """
    return split_text(escape_discord(text), DISCORD_MAX_CHARS)


def typed_text(text: str) -> str:
    """What a young person typed, made safe to hand to Rasa.

    Rasa reads a message starting with ``/`` as an intent with entities
    (``/inform{"age": 30}``), which would let anyone set slots by typing.
    Only buttons may send such payloads; typed slashes are dropped.
    """
    return text.strip().lstrip("/").strip()
