"""Small talk that needs more than a fixed response."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from nlu.normalize import strip_accents

ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_WORD = re.compile(r"[a-zñ¿¡]+")
# Common words of each language that French chat rarely borrows: "hello",
# "sorry" or "please" alone say nothing, French young people use them too.
MARKERS = {
    "en": frozenset(
        {"you", "speak", "english", "what", "how", "are", "the", "need", "help"}
        | {"can", "does", "don't", "dont", "understand", "where", "who", "is"}
        | {"my", "am", "i'm", "want", "work", "job", "with", "this", "find"}
    ),
    "es": frozenset(
        {"hola", "hablas", "habla", "espanol", "estoy", "quiero", "necesito"}
        | {"trabajo", "ayuda", "donde", "tengo", "puedes", "entiendo", "buenos"}
        | {"gracias", "soy", "como", "estas", "por", "favor", "busco", "aqui"}
    ),
}
RESPONSES = {
    "en": "utter_other_language_en",
    "es": "utter_other_language_es",
    "ar": "utter_other_language_ar",
}
DEFAULT_RESPONSE = "utter_other_language"


def guess_language(text: str) -> str | None:
    """ "ar", "en" or "es" when the message is clearly in one of them, else None."""
    if ARABIC_SCRIPT.search(text):
        return "ar"
    words = _WORD.findall(strip_accents(text.lower()).replace("'", ""))
    scores = {
        language: sum(w in markers for w in words)
        for language, markers in MARKERS.items()
    }
    best = max(scores, key=lambda language: scores[language])
    return best if scores[best] > 0 else None


class ActionReplyOtherLanguage(Action):
    """Says, in simple French and in their language if we can, that it speaks French."""

    def name(self) -> str:
        return "action_reply_other_language"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        language = guess_language(text)
        response = RESPONSES.get(language or "", DEFAULT_RESPONSE)
        dispatcher.utter_message(response=response)
        return []
