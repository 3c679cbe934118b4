"""Another language gets an answer in that language when we have one."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.smalltalk import ActionReplyOtherLanguage, guess_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hello do you speak english?", "en"),
        ("I need help to find a job", "en"),
        ("hola necesito trabajo", "es"),
        ("¿hablas español?", "es"),
        ("مرحبا", "ar"),
        ("sprichst du deutsch", None),
        ("hello", None),  # French young people say it too
    ],
)
def test_the_language_is_guessed_from_common_words(
    text: str, language: str | None
) -> None:
    assert guess_language(text) == language


async def test_the_answer_is_in_simple_french_and_that_language() -> None:
    dispatcher = CollectingDispatcher()
    tracker = Tracker(
        "c", {}, {"text": "busco trabajo", "intent": {"name": "other_language"}},
        [], False, None, {}, "action_listen",
    )  # fmt: skip

    await ActionReplyOtherLanguage().run(dispatcher, tracker, {})

    assert dispatcher.messages[0]["response"] == "utter_other_language_es"
