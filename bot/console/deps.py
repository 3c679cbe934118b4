"""Request guards: who is signed in, what they may do, and CSRF checks.

Every console route depends on :func:`require` (or :func:`signed_in`), so
that none can be reached without a valid session and the right role; every
POST also depends on :func:`check_csrf`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.console.auth import (
    AuthPolicy,
    Permission,
    Viewer,
    resolve_session,
    tokens_match,
)
from bot.db import session_factory

SESSION_COOKIE = "maraude_console"
LOGIN_COOKIE = "maraude_console_login"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# Polls of live fragments say so, to get 401 JSON rather than a redirect.
LIVE_HEADER = "X-Console-Live"


class NotSignedInError(Exception):
    """No valid session: the page sends to sign-in, a poll gets 401."""


class ForbiddenError(Exception):
    """Signed in, but the role does not allow this."""


class CsrfError(Exception):
    """A POST came without the session's CSRF token."""


def db(request: Request) -> sessionmaker[Session]:
    """The app database's sessions, made once per application."""
    state = request.app.state
    factory: sessionmaker[Session] | None = getattr(state, "console_db", None)
    if factory is None:
        factory = session_factory(state.engine)
        state.console_db = factory
    return factory


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def policy(request: Request) -> AuthPolicy:
    return AuthPolicy.from_settings(settings(request))


def signed_in(request: Request) -> Viewer:
    """The signed-in account.

    Raises:
        NotSignedInError: no cookie, or a session unknown or expired.
    """
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotSignedInError
    viewer = resolve_session(db(request), token, policy(request))
    if viewer is None:
        raise NotSignedInError
    return viewer


SignedIn = Annotated[Viewer, Depends(signed_in)]


def require(permission: Permission) -> Callable[[Viewer], Viewer]:
    """A dependency that lets through only accounts with ``permission``."""

    def guard(viewer: SignedIn) -> Viewer:
        if not viewer.can(permission):
            raise ForbiddenError
        return viewer

    return guard


async def check_csrf(request: Request, viewer: SignedIn) -> None:
    """Refuses a POST whose CSRF token (form field or header) is not the session's.

    Raises:
        CsrfError: when the token is missing or wrong.
    """
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        given = field if isinstance(field, str) else None
    if not tokens_match(viewer.csrf_token, given):
        raise CsrfError
