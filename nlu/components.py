"""Rasa NLU components (loaded by the Rasa server from ``config.yml``).

This module imports Rasa, so only the Rasa environment loads it; the text
processing itself lives in :mod:`nlu.normalize`, which both environments use.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.normalize import EMOJI_WORDS, normalize


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class RegisterTokenizer(WhitespaceTokenizer):
    """Splits on white space, then rewrites each token in standard French.

    "chui", "g", "taf", "😭" become "je suis", "j'ai", "travail", "pleure", so
    the featurizers see one spelling instead of twenty. Each rewritten token
    keeps the character offsets of what the young person typed: entity
    annotations in the training data stay aligned, and extracted entities
    carry the original words.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RegisterTokenizer:
        return cls(config)

    def remove_emoji(self, text: str) -> str:
        # Emoji carry meaning here (😭, 💀, 🙏): normalize() turns them into
        # words instead of dropping them.
        return text

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens: list[Token] = super().tokenize(message, attribute)
        if attribute != TEXT:
            return tokens
        rewritten: list[Token] = []
        for token in tokens:
            words = normalize(token.text).split()
            if not words:
                rewritten.append(token)
                continue
            rewritten.extend(Token(word, token.start, token.end) for word in words)
        rewritten.extend(self._emoji_tokens(message.get(TEXT) or "", rewritten))
        return sorted(rewritten, key=lambda token: token.start)

    @staticmethod
    def _emoji_tokens(text: str, tokens: list[Token]) -> list[Token]:
        """Tokens for the emoji that the whitespace split stripped as punctuation."""
        covered = {(token.start, token.end) for token in tokens}
        found: list[Token] = []
        for emoji, word in EMOJI_WORDS.items():
            start = text.find(emoji)
            while start != -1:
                end = start + len(emoji)
                if not any(s <= start and end <= e for s, e in covered):
                    found.append(Token(word, start, end))
                start = text.find(emoji, end)
        return found
