"""Every console route refuses a request without a session, the role or CSRF.

The table below lists each route with what it needs; a test fails when a
route is added without being listed, so none escapes these checks.
"""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.console import PREFIX, ROUTERS
from bot.console.auth import ROLE_PERMISSIONS, Permission
from bot.db.console_models import ConversationOpening, HandoffRequest, Role
from tests.unit.console.conftest import CONVERSATION, ROLES, sign_in

PUBLIC = "public"
SIGNED_IN = "signed in"

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/console/login"): PUBLIC,
    ("POST", "/console/login"): PUBLIC,
    ("POST", "/console/logout"): SIGNED_IN,
    ("GET", "/console/"): SIGNED_IN,
    ("GET", "/console/password"): SIGNED_IN,
    ("POST", "/console/password"): SIGNED_IN,
    ("GET", "/console/queue"): Permission.CONVERSATIONS,
    ("GET", "/console/queue/live"): Permission.CONVERSATIONS,
    ("GET", "/console/alerts"): Permission.CONVERSATIONS,
    ("GET", "/console/conversations/{conversation_id}"): Permission.CONVERSATIONS,
    ("GET", "/console/conversations/{conversation_id}/live"): Permission.CONVERSATIONS,
    ("POST", "/console/conversations/{conversation_id}/take"): Permission.CONVERSATIONS,
    (
        "POST",
        "/console/conversations/{conversation_id}/reply",
    ): Permission.CONVERSATIONS,
    (
        "POST",
        "/console/conversations/{conversation_id}/notes",
    ): Permission.CONVERSATIONS,
    (
        "POST",
        "/console/conversations/{conversation_id}/hand-back",
    ): Permission.CONVERSATIONS,
    (
        "POST",
        "/console/conversations/{conversation_id}/close",
    ): Permission.CONVERSATIONS,
    ("GET", "/console/audit"): Permission.AUDIT,
    ("GET", "/console/accounts"): Permission.ACCOUNTS,
    ("POST", "/console/accounts"): Permission.ACCOUNTS,
    ("POST", "/console/accounts/{account_id}/unlock"): Permission.ACCOUNTS,
    ("POST", "/console/accounts/{account_id}/deactivate"): Permission.ACCOUNTS,
    ("POST", "/console/accounts/{account_id}/activate"): Permission.ACCOUNTS,
    ("POST", "/console/accounts/{account_id}/password"): Permission.ACCOUNTS,
}
GUARDED = {route: need for route, need in ROUTES.items() if need != PUBLIC}
# A body that would do something if it got through.
FORMS = {
    "reply": {"text": "coucou"},
    "notes": {"text": "note"},
    "close": {"outcome": "other"},
    "/console/accounts": {
        "username": "intrus",
        "display_name": "Intrus",
        "role": "admin",
        "password": "une phrase de passe assez longue",
    },
    "password": {"password": "une phrase de passe assez longue"},
}


def url(path: str, account_id: int) -> str:
    return path.format(conversation_id=CONVERSATION, account_id=account_id)


def form_for(path: str) -> dict[str, str]:
    for key, form in FORMS.items():
        if path.endswith(key):
            return dict(form)
    return {}


def send(
    client: TestClient,
    method: str,
    path: str,
    account_id: int,
    csrf: str | None = None,
    headers: dict[str, str] | None = None,
) -> int:
    if method == "GET":
        return client.get(url(path, account_id), headers=headers).status_code
    data = form_for(path)
    if csrf is not None:
        data["csrf_token"] = csrf
    return client.post(url(path, account_id), data=data, headers=headers).status_code


def nothing_happened(db: sessionmaker[Session]) -> None:
    with db() as session:
        entry = session.scalars(select(HandoffRequest)).one()
        assert entry.status == "waiting"
        assert session.scalar(select(func.count(ConversationOpening.id))) == 0


def test_the_table_lists_every_console_route() -> None:
    routes = {
        (method, PREFIX + route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }

    assert routes == set(ROUTES)


@pytest.mark.parametrize(("method", "path"), sorted(GUARDED))
def test_without_a_session_a_route_sends_to_sign_in_and_does_nothing(
    app_client: TestClient,
    db: sessionmaker[Session],
    accounts: dict[str, int],
    queued: str,
    method: str,
    path: str,
) -> None:
    response_code = send(app_client, method, path, accounts["admin"], csrf="forged")
    live_code = send(
        app_client, method, path, accounts["admin"], headers={"X-Console-Live": "1"}
    )

    assert response_code == 303
    assert live_code == 401
    nothing_happened(db)


def test_the_redirect_goes_to_the_sign_in_page_and_back(app_client: TestClient) -> None:
    response = app_client.get("/console/queue")

    assert response.headers["location"].startswith("/console/login?next=/console/queue")


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        (method, path, role)
        for (method, path), need in sorted(GUARDED.items())
        if need != SIGNED_IN
        for role in ROLES
        if Permission(need) not in ROLE_PERMISSIONS[Role(role)]
    ],
)
def test_a_role_without_the_permission_gets_403_and_does_nothing(
    app_client: TestClient,
    db: sessionmaker[Session],
    accounts: dict[str, int],
    queued: str,
    method: str,
    path: str,
    role: str,
) -> None:
    csrf = sign_in(app_client, role)

    assert send(app_client, method, path, accounts["counsellor"], csrf=csrf) == 403
    nothing_happened(db)


def test_each_role_has_the_pages_it_needs() -> None:
    assert Permission.CONVERSATIONS in ROLE_PERMISSIONS[Role.COUNSELLOR]
    assert Permission.AUDIT in ROLE_PERMISSIONS[Role.SUPERVISOR]
    assert Permission.ACCOUNTS in ROLE_PERMISSIONS[Role.ADMIN]
    # Admins and editors do not read young people's conversations.
    assert Permission.CONVERSATIONS not in ROLE_PERMISSIONS[Role.ADMIN]
    assert Permission.CONVERSATIONS not in ROLE_PERMISSIONS[Role.EDITOR]


@pytest.mark.parametrize(
    ("path", "role"),
    [
        (path, next(r for r in ROLES if Permission(need) in ROLE_PERMISSIONS[Role(r)]))
        if need != SIGNED_IN
        else (path, "counsellor")
        for (method, path), need in sorted(GUARDED.items())
        if method == "POST"
    ],
)
@pytest.mark.parametrize("token", [None, "forged"])
def test_a_post_without_the_sessions_csrf_token_gets_403(
    app_client: TestClient,
    db: sessionmaker[Session],
    accounts: dict[str, int],
    queued: str,
    path: str,
    role: str,
    token: str | None,
) -> None:
    sign_in(app_client, role)

    assert send(app_client, "POST", path, accounts["editor"], csrf=token) == 403
    nothing_happened(db)
    assert app_client.get("/console/password").status_code == 200  # still signed in
