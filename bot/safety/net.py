"""The gateway's safety net: danger answered first, in every state.

Every inbound text passes here before anything else, whatever the
conversation is doing: in the middle of the situation questions, after
"stop", while a counsellor has it, or while Rasa is down. When the detector
finds a danger, the young person gets the right number at once, then the
offer of a human, and the conversation goes to the top of the counsellors'
queue with its severity.

A single "non c'est bon" or "tu m'as mal compris" right after an alert does
not close it (crisis services' lesson, see DOMAIN.md): the bot checks gently
once more, and the queue entry stays for a counsellor to close.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import PROJECT_ROOT
from bot.db.models import Author, Conversation, ConversationMode, Message
from bot.handoff import request_handoff
from bot.messages import Button, Outbound
from bot.permanences import Permanences
from bot.safety.assessment import Assessment
from bot.safety.detector import Detector
from bot.safety.responses import responses_for
from nlu.normalize import normalize

logger = logging.getLogger(__name__)

TEXTS_FILE = PROJECT_ROOT / "data" / "gateway" / "fr.yml"
# Kinds of the bot messages this module stores, so that the next turn knows
# an alert was just raised without any extra state.
KIND_NUMBERS = "safety"
KIND_OFFER = "safety_offer"
KIND_CHECK = "safety_check"


@dataclass(frozen=True)
class SafetyTexts:
    offer_human: str
    offer_buttons: tuple[Button, ...]
    team_offline: str
    gentle_check: str
    brush_off: tuple[re.Pattern[str], ...]


@lru_cache(maxsize=4)
def load_safety_texts(path: Path = TEXTS_FILE) -> SafetyTexts:
    """Read the wording that follows an alert.

    Raises:
        ValueError: naming the missing or malformed key.
    """
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        safety = raw["safety"]
        return SafetyTexts(
            offer_human=str(safety["offer_human"]),
            offer_buttons=tuple(
                Button(str(b["title"]), str(b["payload"]))
                for b in safety["offer_buttons"]
            ),
            team_offline=str(safety["team_offline"]),
            gentle_check=str(safety["gentle_check"]),
            brush_off=tuple(re.compile(p) for p in safety["brush_off_patterns"]),
        )
    except (KeyError, TypeError, re.error) as err:
        raise ValueError(f"{path}: missing or malformed safety key {err}") from err


@dataclass(frozen=True)
class Screening:
    """What the safety net says before anyone else, and whether Rasa may go on."""

    answers: list[tuple[str, Outbound]] = field(default_factory=list)
    forward: bool = True


class SafetyNet:
    """Screens each inbound text of a conversation.

    Args:
        sessions: the app database's session factory.
        detector: the crisis detector.
        texts: the wording that follows an alert.
        opening_hours: when counsellors read; outside, the young person is
            told when someone will.
        clock: now, for tests of the opening hours.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        detector: Detector,
        texts: SafetyTexts,
        opening_hours: Permanences,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions
        self._detector = detector
        self._texts = texts
        self._hours = opening_hours
        self._clock = clock

    def screen(self, conversation_id: str, text: str) -> Screening:
        """Answer a danger at once; otherwise say whether Rasa should answer."""
        with self._sessions() as session:
            conversation = session.get_one(Conversation, conversation_id)
            profile = dict(conversation.profile or {})
            with_counsellor = conversation.mode == ConversationMode.HUMAN
            previous_kind = self._last_bot_kind(session, conversation_id)

        found = self._detector.assess_all(text, is_minor=_is_minor(profile))
        if found:
            return self._alert(conversation_id, found[0], profile, with_counsellor)

        if previous_kind == KIND_OFFER and self._brushes_off(text):
            # The alert stays open in the queue; one gentle check, then on.
            logger.info(
                "Alert brushed aside in %s; checking once more", conversation_id
            )
            return Screening([(KIND_CHECK, Outbound(self._texts.gentle_check))], False)
        return Screening()

    def _alert(
        self,
        conversation_id: str,
        assessment: Assessment,
        profile: dict[str, Any],
        with_counsellor: bool,
    ) -> Screening:
        logger.warning(
            "Danger alert in %s: %s, severity %d",
            conversation_id,
            assessment.category.value,
            assessment.severity,
        )
        request_handoff(
            self._sessions,
            conversation_id,
            reason="danger",
            severity=int(assessment.severity),
            category=assessment.category.value,
        )
        answers = [
            (KIND_NUMBERS, Outbound(line))
            for line in responses_for(assessment, is_minor=_is_minor(profile))
        ]
        if not with_counsellor:
            answers.append(self._offer())
        return Screening(answers, forward=False)

    def _offer(self) -> tuple[str, Outbound]:
        now = self._clock()
        if self._hours.is_open(now):
            return KIND_OFFER, Outbound(
                self._texts.offer_human, self._texts.offer_buttons
            )
        when = self._hours.describe_next(now)
        text = (
            f"{self._texts.offer_human}\n{self._texts.team_offline.format(when=when)}"
        )
        return KIND_OFFER, Outbound(text, self._texts.offer_buttons)

    def _brushes_off(self, text: str) -> bool:
        plain = normalize(text)
        return any(pattern.search(plain) for pattern in self._texts.brush_off)

    @staticmethod
    def _last_bot_kind(session: Session, conversation_id: str) -> str | None:
        return session.scalar(
            select(Message.kind)
            .where(
                Message.conversation_id == conversation_id,
                Message.author == Author.BOT,
            )
            .order_by(Message.id.desc())
            .limit(1)
        )


def _is_minor(profile: dict[str, Any]) -> bool | None:
    value = profile.get("is_minor")
    return value if isinstance(value, bool) else None
