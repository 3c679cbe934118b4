"""The handoff service: queue entries, escalation, take, reply, hand back, close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from actions.handoff import ActionRequestHandoff
from bot import handoff
from bot.commands import COMMAND_KEY, REQUEST_HANDOFF
from bot.config import get_settings
from bot.console.auth import create_account
from bot.db.console_models import (
    ConversationOpening,
    CounsellorNote,
    DangerFlag,
    HandoffReason,
    HandoffRequest,
    HandoffStatus,
    MessageAuthor,
    Outcome,
)
from bot.db.models import Author, Conversation, ConversationMode, Message
from bot.gateway import Gateway
from bot.messages import Channel, Inbound
from bot.privacy import erase_conversation
from bot.rasa_client import RasaClient
from bot.texts import load_texts

PASSWORD = "une phrase de passe assez longue"


def add_conversation(sessions: sessionmaker[Session], cid: str) -> str:
    with sessions.begin() as session:
        session.add(Conversation(id=cid, channel="telegram"))
    return cid


@pytest.fixture
def cid(sessions: sessionmaker[Session]) -> str:
    return add_conversation(sessions, "te-0001")


@pytest.fixture
def camille(sessions: sessionmaker[Session]) -> int:
    return create_account(sessions, "camille", "Camille", "counsellor", PASSWORD)


@pytest.fixture
def yanis(sessions: sessionmaker[Session]) -> int:
    return create_account(sessions, "yanis", "Yanis", "counsellor", PASSWORD)


def entries(sessions: sessionmaker[Session]) -> list[HandoffRequest]:
    with sessions() as session:
        return list(session.scalars(select(HandoffRequest)).all())


def mode(sessions: sessionmaker[Session], cid: str) -> str:
    with sessions() as session:
        return session.get_one(Conversation, cid).mode


def transcript(sessions: sessionmaker[Session], cid: str) -> list[tuple[str, str]]:
    with sessions() as session:
        rows = session.scalars(
            select(Message).where(Message.conversation_id == cid).order_by(Message.id)
        ).all()
        return [(m.author, m.text or "") for m in rows]


# --- Requests and escalation -------------------------------------------------


def test_a_request_puts_the_conversation_in_the_queue_once(
    sessions: sessionmaker[Session], cid: str
) -> None:
    first = handoff.request_handoff(sessions, cid, reason="asked")
    again = handoff.request_handoff(sessions, cid, reason="asked")

    assert first == again
    [entry] = entries(sessions)
    assert entry.status == HandoffStatus.WAITING
    assert entry.reason == HandoffReason.ASKED
    assert entry.severity == 0


def test_a_danger_alert_escalates_the_entry_and_is_kept_as_a_flag(
    sessions: sessionmaker[Session], cid: str
) -> None:
    handoff.request_handoff(sessions, cid, reason="asked")
    handoff.request_handoff(
        sessions, cid, reason="danger", severity=3, category="suicide"
    )

    [entry] = entries(sessions)
    assert entry.reason == HandoffReason.DANGER
    assert (entry.severity, entry.category) == (3, "suicide")
    assert entry.escalated_at is not None
    with sessions() as session:
        assert session.scalar(select(func.count(DangerFlag.id))) == 1


def test_severity_only_goes_up_and_a_later_plain_request_keeps_the_alert(
    sessions: sessionmaker[Session], cid: str
) -> None:
    handoff.request_handoff(
        sessions, cid, reason="danger", severity=4, category="suicide"
    )
    handoff.request_handoff(
        sessions, cid, reason="danger", severity=1, category="cyber_harassment"
    )
    # "non c'est bon" from the young person must not clear the alert.
    handoff.request_handoff(sessions, cid, reason="asked")

    [entry] = entries(sessions)
    assert entry.reason == HandoffReason.DANGER
    assert (entry.severity, entry.category) == (4, "suicide")
    with sessions() as session:
        assert session.scalar(select(func.count(DangerFlag.id))) == 2


def test_a_request_for_an_unknown_conversation_says_so(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(handoff.UnknownConversationError, match="existing"):
        handoff.request_handoff(sessions, "te-nobody", reason="asked")


def test_the_queue_puts_danger_first_then_the_longest_waiting(
    sessions: sessionmaker[Session],
) -> None:
    asked_early = add_conversation(sessions, "te-asked-early")
    asked_late = add_conversation(sessions, "te-asked-late")
    high = add_conversation(sessions, "te-high")
    critical = add_conversation(sessions, "te-critical")
    for conversation in (asked_early, asked_late):
        handoff.request_handoff(sessions, conversation, reason="asked")
    handoff.request_handoff(sessions, high, reason="danger", severity=3)
    handoff.request_handoff(sessions, critical, reason="danger", severity=4)
    with sessions.begin() as session:
        entry = session.scalar(
            select(HandoffRequest).where(HandoffRequest.conversation_id == asked_early)
        )
        assert entry is not None
        entry.waiting_since = datetime.now(UTC) - timedelta(hours=1)

    order = [e.conversation_id for e in handoff.queue(sessions)]

    assert order == [critical, high, asked_early, asked_late]


# --- Take, reply, note -------------------------------------------------------


def test_taking_silences_the_bot_and_tells_the_young_person_who_took_over(
    sessions: sessionmaker[Session], cid: str, camille: int
) -> None:
    handoff.request_handoff(sessions, cid, reason="asked")

    notices = handoff.take(sessions, cid, camille)

    assert mode(sessions, cid) == ConversationMode.HUMAN
    assert "Camille" in notices[0].text
    assert transcript(sessions, cid) == [(Author.BOT, notices[0].text)]
    [entry] = handoff.queue(sessions)
    assert (entry.status, entry.taken_by_name) == (HandoffStatus.TAKEN, "Camille")


def test_taking_again_is_quiet_and_another_counsellor_is_refused(
    sessions: sessionmaker[Session], cid: str, camille: int, yanis: int
) -> None:
    handoff.request_handoff(sessions, cid, reason="asked")
    handoff.take(sessions, cid, camille)

    assert handoff.take(sessions, cid, camille) == []
    with pytest.raises(handoff.TakenByOtherError) as refused:
        handoff.take(sessions, cid, yanis)
    assert refused.value.holder == "Camille"


def test_a_supervisor_can_take_over(
    sessions: sessionmaker[Session], cid: str, camille: int, yanis: int
) -> None:
    handoff.request_handoff(sessions, cid, reason="asked")
    handoff.take(sessions, cid, camille)

    handoff.take(sessions, cid, yanis, force=True)

    assert handoff.queue(sessions)[0].taken_by == yanis


def test_taking_a_conversation_out_of_the_queue_is_refused(
    sessions: sessionmaker[Session], cid: str, camille: int
) -> None:
    with pytest.raises(handoff.NoOpenRequestError, match="queue"):
        handoff.take(sessions, cid, camille)


def test_a_reply_is_stored_as_the_counsellors_and_returned_to_push(
    sessions: sessionmaker[Session], cid: str, camille: int
) -> None:
    handoff.request_handoff(sessions, cid, reason="asked")
    handoff.take(sessions, cid, camille)

    sent = handoff.reply(sessions, cid, camille, "  Salut, je suis là  ")

    assert sent.text == "Salut, je suis là"
    assert transcript(sessions, cid)[-1] == (Author.COUNSELLOR, "Salut, je suis là")
    with sessions() as session:
        assert session.scalars(select(MessageAuthor.account_id)).all() == [camille]


def test_only_the_holder_may_reply(
    sessions: sessionmaker[Session], cid: str, camille: int, yanis: int
) -> None:
    handoff.request_handoff(sessions, cid, reason="asked")
    with pytest.raises(handoff.NotTakenError, match="Take it first"):
        handoff.reply(sessions, cid, camille, "coucou")
    handoff.take(sessions, cid, camille)

    with pytest.raises(handoff.TakenByOtherError):
        handoff.reply(sessions, cid, yanis, "coucou")


@pytest.mark.parametrize("text", ["", "   ", "x" * (handoff.REPLY_MAX_CHARS + 1)])
def test_an_empty_or_huge_reply_is_refused(
    sessions: sessionmaker[Session], cid: str, camille: int, text: str
) -> None:
    handoff.request_handoff(sessions, cid, reason="asked")
    handoff.take(sessions, cid, camille)

    with pytest.raises(ValueError, match="Expected a reply of 1 to"):
        handoff.reply(sessions, cid, camille, text)


def test_notes_are_kept_apart_from_the_transcript(
    sessions: sessionmaker[Session], cid: str, camille: int
) -> None:
    handoff.add_note(sessions, cid, camille, "Rappeler mardi")

    assert transcript(sessions, cid) == []
    with sessions() as session:
        assert session.scalars(select(CounsellorNote.text)).all() == ["Rappeler mardi"]


# --- Hand back and close -----------------------------------------------------


def test_hand_back_lets_the_bot_answer_and_keeps_the_entry_for_its_outcome(
    sessions: sessionmaker[Session], cid: str, camille: int
) -> None:
    handoff.request_handoff(sessions, cid, reason="asked")
    handoff.take(sessions, cid, camille)

    notices = handoff.hand_back(sessions, cid, camille)

    assert mode(sessions, cid) == ConversationMode.BOT
    assert "Camille" in notices[0].text
    assert handoff.queue(sessions)[0].status == HandoffStatus.HANDED_BACK


def test_asking_again_after_hand_back_puts_it_back_in_waiting(
    sessions: sessionmaker[Session], cid: str, camille: int
) -> None:
    handoff.request_handoff(sessions, cid, reason="asked")
    handoff.take(sessions, cid, camille)
    handoff.hand_back(sessions, cid, camille)

    handoff.request_handoff(sessions, cid, reason="asked")

    assert handoff.queue(sessions)[0].status == HandoffStatus.WAITING


def test_closing_records_the_outcome_and_hands_back_a_held_conversation(
    sessions: sessionmaker[Session], cid: str, camille: int
) -> None:
    handoff.request_handoff(sessions, cid, reason="asked")
    handoff.take(sessions, cid, camille)

    notices = handoff.close(
        sessions, cid, camille, Outcome.ORIENTED, detail="Mission Locale de Lens"
    )

    assert notices
    assert mode(sessions, cid) == ConversationMode.BOT
    assert handoff.queue(sessions) == []
    [entry] = entries(sessions)
    assert (entry.outcome, entry.outcome_detail) == (
        "oriented",
        "Mission Locale de Lens",
    )
    assert entry.closed_by == camille


def test_a_new_request_after_closing_opens_a_new_entry(
    sessions: sessionmaker[Session], cid: str, camille: int
) -> None:
    handoff.request_handoff(sessions, cid, reason="asked")
    handoff.close(sessions, cid, camille, "no_answer")

    handoff.request_handoff(sessions, cid, reason="asked")

    assert [e.status for e in entries(sessions)] == ["closed", "waiting"]


def test_closing_someone_elses_conversation_or_with_no_outcome_is_refused(
    sessions: sessionmaker[Session], cid: str, camille: int, yanis: int
) -> None:
    handoff.request_handoff(sessions, cid, reason="asked")
    handoff.take(sessions, cid, camille)

    with pytest.raises(handoff.TakenByOtherError):
        handoff.close(sessions, cid, yanis, "other")
    with pytest.raises(ValueError, match="oriented"):
        handoff.close(sessions, cid, camille, "whatever")


# --- Audit and erasure -------------------------------------------------------


def test_openings_are_recorded_and_outlive_an_erased_conversation(
    sessions: sessionmaker[Session], cid: str, camille: int
) -> None:
    handoff.request_handoff(sessions, cid, reason="danger", severity=2)
    handoff.take(sessions, cid, camille)
    handoff.reply(sessions, cid, camille, "Je suis là")
    handoff.add_note(sessions, cid, camille, "note")
    handoff.record_opening(sessions, cid, camille)

    erase_conversation(sessions, None, cid)

    with sessions() as session:
        for model in (HandoffRequest, DangerFlag, CounsellorNote, MessageAuthor):
            assert session.scalar(select(func.count()).select_from(model)) == 0
        opening = session.scalars(select(ConversationOpening)).one()
    assert (opening.conversation_id, opening.account_id) == (cid, camille)


# --- The gateway and the action ----------------------------------------------


def rasa_that_requests_handoff(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        json=[
            {"recipient_id": "x", "custom": {COMMAND_KEY: REQUEST_HANDOFF}},
            {"recipient_id": "x", "text": "Ok, je préviens l'équipe"},
        ],
    )


async def test_the_gateway_queues_the_conversation_when_the_action_asks(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rasa = RasaClient(
        "http://rasa.test", 5, transport=httpx.MockTransport(rasa_that_requests_handoff)
    )
    gateway = Gateway(sessions, rasa, b"key", load_texts())

    answers = await gateway.receive(
        Inbound(Channel.TELEGRAM, "42", "je veux parler à quelqu'un", address="42")
    )
    await rasa.close()

    assert [a.text for a in answers] == ["Ok, je préviens l'équipe"]
    [entry] = handoff.queue(sessions)
    assert entry.conversation_id == gateway.conversation_id(Channel.TELEGRAM, "42")


class Dispatcher:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def utter_message(self, **kwargs: Any) -> None:
        self.messages.append(kwargs)


@pytest.mark.parametrize(
    ("now", "response", "when"),
    [
        # Wednesday 3 December 2025, 10:00 in Paris: a permanence is on.
        (datetime(2025, 12, 3, 9, 0, tzinfo=UTC), "utter_handoff_now", None),
        # Saturday 6 December, 15:00 in Paris: next is Monday 9:00.
        (datetime(2025, 12, 6, 14, 0, tzinfo=UTC), "utter_handoff_later", "lundi à 9h"),
    ],
)
async def test_the_action_asks_for_a_human_and_says_when_someone_reads(
    monkeypatch: pytest.MonkeyPatch, now: datetime, response: str, when: str | None
) -> None:
    monkeypatch.setenv("PERMANENCES", "lun-ven 09:00-17:00")
    monkeypatch.setenv("PERMANENCES_TIMEZONE", "Europe/Paris")
    get_settings.cache_clear()
    dispatcher = Dispatcher()

    events = await ActionRequestHandoff(clock=lambda: now).run(
        dispatcher,  # type: ignore[arg-type]
        tracker=None,  # type: ignore[arg-type]
        domain={},
    )
    get_settings.cache_clear()

    assert events == []
    command, said = dispatcher.messages
    assert command == {"json_message": {COMMAND_KEY: REQUEST_HANDOFF}}
    assert said["response"] == response
    assert said.get("next_opening") == when
