"""The console's pages and actions, through HTTP, on a fresh database."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import handoff
from bot.db.console_models import ConsoleSession, ConversationOpening, HandoffRequest
from bot.db.models import Author, Conversation, Message
from tests.unit.console.conftest import CONVERSATION, PASSWORD, FakeSender, sign_in

LIVE = {"X-Console-Live": "1"}
FETCH = {"X-Console-Fetch": "1"}
PAGE = f"/console/conversations/{CONVERSATION}"


def post(client: TestClient, path: str, csrf: str, **form: str) -> int:
    return client.post(path, data={"csrf_token": csrf, **form}).status_code


def test_the_queue_lists_danger_first_with_its_category(
    app_client: TestClient,
    db: sessionmaker[Session],
    accounts: dict[str, int],
    queued: str,
) -> None:
    with db.begin() as session:
        session.add(Conversation(id="di-danger", channel="discord"))
    handoff.request_handoff(
        db, "di-danger", reason="danger", severity=4, category="suicide"
    )
    sign_in(app_client, "counsellor")

    page = app_client.get("/console/queue").text

    assert page.index("di-danger") < page.index(CONVERSATION[:11])
    assert "Idées suicidaires" in page
    assert "Critique" in page
    live = app_client.get("/console/queue/live", headers=LIVE).json()
    assert "di-danger" in live["html"]
    assert live["alerts"] == [f"{_request_id(db, 'di-danger')}-4"]


def _request_id(db: sessionmaker[Session], conversation_id: str) -> int:
    with db() as session:
        return session.scalars(
            select(HandoffRequest.id).where(
                HandoffRequest.conversation_id == conversation_id
            )
        ).one()


def test_opening_a_conversation_shows_it_and_is_audited(
    app_client: TestClient,
    db: sessionmaker[Session],
    accounts: dict[str, int],
    queued: str,
) -> None:
    with db.begin() as session:
        session.add(Message(conversation_id=queued, author=Author.YOUNG, text="wesh"))
        offer = [{"title": "Un logement", "payload": '/inform{"need": "housing"}'}]
        session.add(
            Message(
                conversation_id=queued,
                author=Author.BOT,
                text="Besoin ?",
                buttons=offer,
            )
        )
        session.add(
            Message(
                conversation_id=queued,
                author=Author.YOUNG,
                text='/inform{"need": "housing"}',
            )
        )
    sign_in(app_client, "counsellor")

    page = app_client.get(PAGE)

    assert page.status_code == 200
    assert "wesh" in page.text
    # A tapped button shows as its title, not as its payload.
    assert "« Un logement » (bouton)" in page.text
    assert "need&#34;" not in page.text
    assert "18-21" in page.text
    # The young person's summary, in their words; no internal codes or dates.
    assert "ce qu&#39;il te faudrait : un logement" in page.text
    assert "situation updated" not in page.text
    assert "housing" not in page.text
    assert "Telegram" in page.text
    with db() as session:
        opening = session.scalars(select(ConversationOpening)).one()
    assert opening.account_id == accounts["counsellor"]


def test_supervisors_see_the_openings_and_counsellors_do_not(
    app_client: TestClient, accounts: dict[str, int], queued: str
) -> None:
    sign_in(app_client, "counsellor")
    app_client.get(PAGE)
    assert app_client.get("/console/audit").status_code == 403

    sign_in(app_client, "supervisor")
    audit = app_client.get(f"/console/audit?conversation={CONVERSATION}")

    assert audit.status_code == 200
    assert "Counsellor" in audit.text
    assert CONVERSATION in audit.text


def test_a_conversation_never_queued_is_not_shown(
    app_client: TestClient, db: sessionmaker[Session], accounts: dict[str, int]
) -> None:
    with db.begin() as session:
        session.add(Conversation(id="we-private", channel="webchat"))
    sign_in(app_client, "counsellor")

    response = app_client.get("/console/conversations/we-private")

    assert response.status_code == 404
    assert "Conversation introuvable" in response.text


def test_take_reply_hand_back_and_close_from_the_page(
    app_client: TestClient,
    db: sessionmaker[Session],
    sender: FakeSender,
    accounts: dict[str, int],
    queued: str,
) -> None:
    csrf = sign_in(app_client, "counsellor")

    assert post(app_client, f"{PAGE}/take", csrf) == 303
    assert (
        post(app_client, f"{PAGE}/reply", csrf, text="Salut, moi c'est Counsellor")
        == 303
    )
    assert post(app_client, f"{PAGE}/notes", csrf, text="Cherche un logement") == 303
    live = app_client.get(f"{PAGE}/live?after=0", headers=LIVE).json()
    assert live["mine"] is True
    assert "Salut, moi c&#39;est Counsellor" in live["messages_html"]
    assert "Cherche un logement" in live["notes_html"]

    assert post(app_client, f"{PAGE}/hand-back", csrf) == 303
    assert (
        post(
            app_client, f"{PAGE}/close", csrf, outcome="appointment", detail="mardi 10h"
        )
        == 303
    )

    pushed = [m.text for address, messages in sender.sent for m in messages]
    assert [address for address, _ in sender.sent] == ["4242"] * 3
    assert "prend le relais" in pushed[0]
    assert pushed[1] == "Salut, moi c'est Counsellor"
    assert "te repasse" in pushed[2]
    queue = app_client.get("/console/queue").text
    assert "Rendez-vous pris : mardi 10h" in queue


def test_the_live_transcript_brings_only_new_messages(
    app_client: TestClient,
    db: sessionmaker[Session],
    accounts: dict[str, int],
    queued: str,
) -> None:
    sign_in(app_client, "counsellor")
    first = app_client.get(f"{PAGE}/live?after=0", headers=LIVE).json()
    with db.begin() as session:
        session.add(
            Message(conversation_id=queued, author=Author.YOUNG, text="t'es là ?")
        )

    later = app_client.get(f"{PAGE}/live?after={first['cursor']}", headers=LIVE).json()

    assert "t&#39;es là ?" in later["messages_html"]
    assert later["cursor"] > first["cursor"]
    again = app_client.get(f"{PAGE}/live?after={later['cursor']}", headers=LIVE).json()
    assert again["messages_html"].strip() == ""


def test_others_see_who_has_it_and_cannot_reply(
    app_client: TestClient,
    db: sessionmaker[Session],
    accounts: dict[str, int],
    queued: str,
) -> None:
    handoff.take(db, queued, accounts["supervisor"])
    csrf = sign_in(app_client, "counsellor")

    page = app_client.get(PAGE).text
    take = app_client.post(f"{PAGE}/take", data={"csrf_token": csrf}, headers=FETCH)
    reply = app_client.post(
        f"{PAGE}/reply", data={"csrf_token": csrf, "text": "coucou"}, headers=FETCH
    )

    assert 'par <strong class="holder">Supervisor</strong>' in page
    assert re.search(r"<textarea[^>]*id=\"reply-text\"[^>]*disabled", page, re.S)
    assert take.status_code == 409
    assert "Quelqu'un d'autre" in take.json()["problem"]
    assert reply.status_code == 409


def test_a_supervisor_can_take_over(
    app_client: TestClient,
    db: sessionmaker[Session],
    accounts: dict[str, int],
    queued: str,
) -> None:
    handoff.take(db, queued, accounts["counsellor"])
    csrf = sign_in(app_client, "supervisor")

    response = app_client.post(f"{PAGE}/take", data={"csrf_token": csrf}, headers=FETCH)

    assert response.json() == {"ok": True, "problem": None}
    assert handoff.queue(db)[0].taken_by == accounts["supervisor"]


def test_an_empty_reply_is_refused_with_a_french_message(
    app_client: TestClient,
    db: sessionmaker[Session],
    accounts: dict[str, int],
    queued: str,
) -> None:
    csrf = sign_in(app_client, "counsellor")
    post(app_client, f"{PAGE}/take", csrf)

    response = app_client.post(
        f"{PAGE}/reply", data={"csrf_token": csrf, "text": "  "}, headers=FETCH
    )

    assert response.status_code == 400
    assert "vide" in response.json()["problem"]


@pytest.mark.parametrize(
    "path", ["/console/queue", PAGE, "/console/login", "/console/static/console.css"]
)
def test_console_responses_are_not_cached_nor_framed(
    app_client: TestClient, accounts: dict[str, int], queued: str, path: str
) -> None:
    sign_in(app_client, "counsellor")

    headers = app_client.get(path).headers

    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in headers["content-security-policy"]


def test_the_web_chat_keeps_its_own_headers(app_client: TestClient) -> None:
    assert "x-frame-options" not in app_client.get("/").headers


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("counsellor", "/console/queue"),
        ("supervisor", "/console/queue"),
        ("admin", "/console/accounts"),
    ],
)
def test_each_role_lands_on_its_page(
    app_client: TestClient, accounts: dict[str, int], role: str, landing: str
) -> None:
    sign_in(app_client, role)

    assert app_client.get("/console/").headers["location"] == landing


def test_an_editor_lands_on_a_page_without_conversations(
    app_client: TestClient, accounts: dict[str, int]
) -> None:
    sign_in(app_client, "editor")

    page = app_client.get("/console/")

    assert page.status_code == 200
    assert "File d'attente" not in page.text


def test_an_admin_creates_and_deactivates_accounts(
    app_client: TestClient, db: sessionmaker[Session], accounts: dict[str, int]
) -> None:
    csrf = sign_in(app_client, "admin")
    form = {"username": "zoe", "display_name": "Zoé", "role": "counsellor"}

    created = post(app_client, "/console/accounts", csrf, **form, password=PASSWORD)
    duplicate = app_client.post(
        "/console/accounts", data={"csrf_token": csrf, **form, "password": PASSWORD}
    )
    short = app_client.post(
        "/console/accounts",
        data={"csrf_token": csrf, **form, "username": "zoe2", "password": "court"},
    )

    assert created == 303
    assert duplicate.status_code == 400
    assert "déjà pris" in duplicate.text
    assert short.status_code == 400
    assert "au moins 12" in short.text
    counsellor_session = TestClient(app_client.app, follow_redirects=False)
    sign_in(counsellor_session, "counsellor")
    assert (
        post(app_client, f"/console/accounts/{accounts['counsellor']}/deactivate", csrf)
        == 303
    )
    assert counsellor_session.get("/console/queue").status_code == 303
    with db() as session:
        owners = session.scalars(select(ConsoleSession.account_id)).all()
    assert accounts["counsellor"] not in owners


def test_an_admin_cannot_deactivate_themself(
    app_client: TestClient, accounts: dict[str, int]
) -> None:
    csrf = sign_in(app_client, "admin")

    response = app_client.post(
        f"/console/accounts/{accounts['admin']}/deactivate", data={"csrf_token": csrf}
    )

    assert response.status_code == 400


def test_changing_ones_password_asks_for_the_current_one(
    app_client: TestClient, accounts: dict[str, int]
) -> None:
    csrf = sign_in(app_client, "counsellor")
    new = "une autre phrase bien longue"

    wrong = app_client.post(
        "/console/password",
        data={"csrf_token": csrf, "current": "faux", "new": new, "confirm": new},
    )
    right = app_client.post(
        "/console/password",
        data={"csrf_token": csrf, "current": PASSWORD, "new": new, "confirm": new},
    )

    assert wrong.status_code == 400
    assert "incorrect" in wrong.text
    assert right.status_code == 303
    sign_in(app_client, "counsellor", new)
