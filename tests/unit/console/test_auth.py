"""Signing in: Argon2 hashes, lock-out, sessions that expire, CSRF on sign-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.console import auth
from bot.console.auth import AccountError, AuthPolicy, SignInError
from bot.db.base import utcnow
from bot.db.console_models import Account, ConsoleSession
from tests.unit.console.conftest import PASSWORD, login_token, sign_in

POLICY = AuthPolicy(
    idle=timedelta(minutes=30),
    max_age=timedelta(hours=8),
    lockout_attempts=3,
    lockout=timedelta(minutes=15),
)


@pytest.fixture
def camille(db: sessionmaker[Session]) -> int:
    return auth.create_account(db, "Camille", "Camille", "counsellor", PASSWORD)


def test_passwords_are_stored_as_argon2id_hashes(
    db: sessionmaker[Session], camille: int
) -> None:
    with db() as session:
        account = session.get_one(Account, camille)

    assert account.username == "camille"  # usernames are case-insensitive
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


@pytest.mark.parametrize(
    ("username", "display", "role", "password", "field"),
    [
        ("ab", "A", "counsellor", PASSWORD, "username"),
        ("camille", "A", "counsellor", PASSWORD, "username_taken"),
        ("zoe", "", "counsellor", PASSWORD, "display_name"),
        ("zoe", "Zoé", "boss", PASSWORD, "role"),
        ("zoe", "Zoé", "counsellor", "court", "password"),
    ],
)
def test_a_bad_account_is_refused_naming_what(
    db: sessionmaker[Session],
    camille: int,
    username: str,
    display: str,
    role: str,
    password: str,
    field: str,
) -> None:
    with pytest.raises(AccountError) as refused:
        auth.create_account(db, username, display, role, password)

    assert refused.value.field == field
    assert "Expected" in str(refused.value) or "taken" in str(refused.value)


def test_the_right_password_signs_in(db: sessionmaker[Session], camille: int) -> None:
    assert auth.authenticate(db, " CAMILLE ", PASSWORD, POLICY) == camille


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    db: sessionmaker[Session], camille: int
) -> None:
    for _ in range(POLICY.lockout_attempts):
        with pytest.raises(SignInError, match="Wrong password"):
            auth.authenticate(db, "camille", "pas le bon mot de passe", POLICY)

    with pytest.raises(SignInError, match="locked"):
        auth.authenticate(db, "camille", PASSWORD, POLICY)
    assert auth.is_locked(db, camille)


def test_the_lock_ends_by_itself_or_when_an_admin_unlocks(
    db: sessionmaker[Session], camille: int
) -> None:
    for _ in range(POLICY.lockout_attempts):
        with pytest.raises(SignInError):
            auth.authenticate(db, "camille", "pas le bon mot de passe", POLICY)

    auth.unlock(db, camille)
    assert auth.authenticate(db, "camille", PASSWORD, POLICY) == camille

    with db.begin() as session:
        session.get_one(Account, camille).locked_until = utcnow() - timedelta(seconds=1)
    assert auth.authenticate(db, "camille", PASSWORD, POLICY) == camille


def test_a_success_resets_the_failure_count(
    db: sessionmaker[Session], camille: int
) -> None:
    for _ in range(POLICY.lockout_attempts - 1):
        with pytest.raises(SignInError):
            auth.authenticate(db, "camille", "pas le bon", POLICY)
    auth.authenticate(db, "camille", PASSWORD, POLICY)

    with pytest.raises(SignInError, match="Wrong password"):
        auth.authenticate(db, "camille", "pas le bon", POLICY)


def test_unknown_and_deactivated_accounts_are_refused(
    db: sessionmaker[Session], camille: int
) -> None:
    with pytest.raises(SignInError, match="Unknown"):
        auth.authenticate(db, "personne", PASSWORD, POLICY)
    auth.set_active(db, camille, active=False)
    with pytest.raises(SignInError, match="deactivated"):
        auth.authenticate(db, "camille", PASSWORD, POLICY)


def test_a_session_resolves_to_its_account_until_signed_out(
    db: sessionmaker[Session], camille: int
) -> None:
    token = auth.open_session(db, camille)

    viewer = auth.resolve_session(db, token, POLICY)
    assert viewer is not None
    assert (viewer.account_id, viewer.display_name) == (camille, "Camille")
    auth.close_session(db, token)
    assert auth.resolve_session(db, token, POLICY) is None


@pytest.mark.parametrize(
    ("column", "age"),
    [
        ("last_seen_at", timedelta(minutes=31)),  # idle too long
        ("created_at", timedelta(hours=9)),  # older than the longest session
    ],
)
def test_a_session_expires(
    db: sessionmaker[Session], camille: int, column: str, age: timedelta
) -> None:
    token = auth.open_session(db, camille)
    with db.begin() as session:
        session.execute(update(ConsoleSession).values({column: utcnow() - age}))

    assert auth.resolve_session(db, token, POLICY) is None
    with db() as session:
        assert session.query(ConsoleSession).count() == 0


def test_activity_keeps_a_session_alive(
    db: sessionmaker[Session], camille: int
) -> None:
    token = auth.open_session(db, camille)
    with db.begin() as session:
        session.execute(
            update(ConsoleSession).values(last_seen_at=utcnow() - timedelta(minutes=20))
        )

    assert auth.resolve_session(db, token, POLICY) is not None
    with db() as session:
        seen = session.query(ConsoleSession).one().last_seen_at
    assert utcnow() - seen.replace(tzinfo=utcnow().tzinfo) < timedelta(minutes=1)


def test_a_new_password_ends_every_session(
    db: sessionmaker[Session], camille: int
) -> None:
    token = auth.open_session(db, camille)

    auth.set_password(db, camille, "une toute nouvelle phrase")

    assert auth.resolve_session(db, token, POLICY) is None
    assert auth.authenticate(db, "camille", "une toute nouvelle phrase", POLICY)


def test_the_sign_in_form_refuses_a_post_without_its_token(
    app_client: TestClient, camille: int
) -> None:
    login_token(app_client)  # sets the cookie, but the form is forged

    response = app_client.post(
        "/console/login",
        data={"username": "camille", "password": PASSWORD, "csrf_token": "forged"},
    )

    assert response.status_code == 403
    assert "expiré" in response.text
    assert "maraude_console=" not in response.headers.get("set-cookie", "")


def test_signing_in_sets_a_strict_session_cookie(
    app_client: TestClient, camille: int
) -> None:
    response = app_client.post(
        "/console/login",
        data={
            "username": "camille",
            "password": PASSWORD,
            "csrf_token": login_token(app_client),
            "next": "https://ailleurs.example/",
        },
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/console/"  # never off-site
    cookie = next(
        c
        for c in response.headers.get_list("set-cookie")
        if c.startswith("maraude_console=")
    )
    assert "HttpOnly" in cookie
    assert "Path=/console" in cookie
    assert "SameSite=lax" in cookie


def test_a_refused_sign_in_says_the_same_for_every_cause(
    app_client: TestClient, camille: int
) -> None:
    pages = [
        app_client.post(
            "/console/login",
            data={
                "username": name,
                "password": "faux",
                "csrf_token": login_token(app_client),
            },
        )
        for name in ("camille", "personne")
    ]

    assert [p.status_code for p in pages] == [401, 401]
    assert "Connexion refusée" in pages[0].text
    assert pages[0].text.count("Connexion refusée") == pages[1].text.count(
        "Connexion refusée"
    )


def test_the_lock_out_shows_through_the_form(
    app_client: TestClient, db: sessionmaker[Session], camille: int
) -> None:
    for _ in range(3):  # console_lockout_attempts in the test settings
        app_client.post(
            "/console/login",
            data={
                "username": "camille",
                "password": "faux",
                "csrf_token": login_token(app_client),
            },
        )

    assert auth.is_locked(db, camille)
    refused = app_client.post(
        "/console/login",
        data={
            "username": "camille",
            "password": PASSWORD,
            "csrf_token": login_token(app_client),
        },
    )
    assert refused.status_code == 401


def test_signing_out_ends_the_session(app_client: TestClient, camille: int) -> None:
    csrf = sign_in(app_client, "camille")
    cookie = app_client.cookies.get("maraude_console")

    response = app_client.post("/console/logout", data={"csrf_token": csrf})

    assert response.status_code == 303
    app_client.cookies.set("maraude_console", cookie or "", path="/console")
    assert app_client.get("/console/password").status_code == 303
