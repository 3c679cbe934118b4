"""Splitting answers over platform limits, and escaping for Discord."""

from __future__ import annotations

import pytest

from connectors.text import (
    DISCORD_MAX_CHARS,
    TELEGRAM_MAX_CHARS,
    discord_chunks,
    escape_discord,
    split_text,
    telegram_chunks,
    typed_text,
    utf16_len,
)

SENTENCE = "Tu peux aller à la Mission Locale de ta ville, ils sont là pour toi. "


def test_short_text_is_one_piece() -> None:
    assert split_text("  Salut !  ", 50) == ["Salut !"]


def test_blank_text_gives_no_piece() -> None:
    assert split_text(" \n ", 50) == []


def test_a_5000_character_answer_is_split_at_sentence_ends() -> None:
    text = SENTENCE * 72  # about 5,000 characters
    assert len(text) > 5_000 - len(SENTENCE)

    pieces = telegram_chunks(text)

    assert len(pieces) == 2
    assert all(utf16_len(p) <= TELEGRAM_MAX_CHARS for p in pieces)
    assert all(p.endswith("pour toi.") for p in pieces)
    assert " ".join(pieces) == text.strip()


def test_discord_pieces_fit_2000_characters() -> None:
    pieces = discord_chunks(SENTENCE * 72)

    assert len(pieces) == 3
    assert all(len(p) <= DISCORD_MAX_CHARS for p in pieces)
    assert all(p.endswith("toi.") for p in pieces)


def test_question_and_exclamation_marks_end_sentences_too() -> None:
    text = "Tu vas bien ? Oui ! Super… Et toi"
    assert split_text(text, 20) == ["Tu vas bien ? Oui !", "Super… Et toi"]


def test_a_line_break_is_a_boundary() -> None:
    assert split_text("Premier point\nDeuxième point", 20) == [
        "Premier point",
        "Deuxième point",
    ]


def test_a_monster_sentence_is_split_between_words() -> None:
    pieces = split_text("mot " * 30, 22)

    assert all(len(p) <= 22 for p in pieces)
    assert all(p.split() == ["mot"] * len(p.split()) for p in pieces)
    assert sum(len(p.split()) for p in pieces) == 30


def test_a_monster_word_is_cut_anywhere() -> None:
    assert split_text("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]


def test_emoji_count_twice_as_telegram_counts_them() -> None:
    pieces = split_text("😀" * 6, 4)

    assert pieces == ["😀😀", "😀😀", "😀😀"]


def test_a_cut_never_separates_a_backslash_from_what_it_escapes() -> None:
    pieces = split_text("a" * 9 + "\\*" + "b" * 5, 10)

    assert pieces[0] == "a" * 9
    assert pieces[1].startswith("\\*")


def test_limit_below_two_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        split_text("abc", 1)


def test_discord_markdown_is_escaped() -> None:
    assert escape_discord("**gras** et _penché_") == "\\*\\*gras\\*\\* et \\_penché\\_"


def test_discord_links_stay_clickable() -> None:
    url = "https://www.service-public.fr/particuliers/vosdroits/F_1234"
    assert url in escape_discord(f"Regarde {url}")


@pytest.mark.parametrize(
    "mention", ["@everyone", "@here", "<@123456789012345678>", "<@&123456789012345678>"]
)
def test_discord_mentions_are_neutralised(mention: str) -> None:
    assert mention not in escape_discord(f"Salut {mention} !")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ('/inform{"age": 30}', 'inform{"age": 30}'),
        ("  //restart", "restart"),
        ("salut", "salut"),
        ("un/deux", "un/deux"),
    ],
)
def test_typed_text_cannot_trigger_a_rasa_intent(typed: str, expected: str) -> None:
    assert typed_text(typed) == expected
