"""The Rasa tokenizer component, run in the Rasa environment.

These tests import Rasa, so `scripts/check.sh` runs them with
``.venvs/rasa/bin/python -m pytest tests/rasa_env``; the modern
environment's pytest skips this folder.
"""

from __future__ import annotations

import pytest

rasa = pytest.importorskip("rasa")

from rasa.shared.nlu.training_data.message import Message  # noqa: E402

from nlu.components import RegisterTokenizer  # noqa: E402


@pytest.fixture
def tokenizer() -> RegisterTokenizer:
    return RegisterTokenizer(RegisterTokenizer.get_default_config())


def tokenize(tokenizer: RegisterTokenizer, text: str) -> list[tuple[str, str]]:
    """Each token's rewritten text with the original characters it covers."""
    tokens = tokenizer.tokenize(Message.build(text=text), "text")
    return [(token.text, text[token.start : token.end]) for token in tokens]


def test_shorthand_is_rewritten_and_keeps_the_typed_characters(
    tokenizer: RegisterTokenizer,
) -> None:
    assert tokenize(tokenizer, "chui sur roubaix") == [
        ("je", "chui"),
        ("suis", "chui"),
        ("sur", "sur"),
        ("roubaix", "roubaix"),
    ]


def test_slang_becomes_standard_words(tokenizer: RegisterTokenizer) -> None:
    words = [word for word, _ in tokenize(tokenizer, "g pa de taf")]

    assert "travail" in words


def test_emoji_become_words_instead_of_vanishing(tokenizer: RegisterTokenizer) -> None:
    assert ("pleure", "😭") in tokenize(tokenizer, "jsuis deg 😭")
    assert tokenize(tokenizer, "😭😭")[0][0] == "pleure"


def test_entity_offsets_survive_rewriting(tokenizer: RegisterTokenizer) -> None:
    text = "g 19ans"
    tokens = tokenizer.tokenize(Message.build(text=text), "text")

    assert [text[t.start : t.end] for t in tokens if t.text == "19"] == ["19ans"]


@pytest.mark.parametrize("text", ["", "   ", "?!", "🙂", "x" * 10_000, "مرحبا"])
def test_odd_input_never_raises(tokenizer: RegisterTokenizer, text: str) -> None:
    tokenizer.tokenize(Message.build(text=text), "text")
