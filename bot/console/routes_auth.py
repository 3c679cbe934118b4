"""Sign-in, sign-out, the landing page and changing one's own password."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.console import auth
from bot.console.auth import LoginTokens, Permission, SignInError
from bot.console.deps import (
    COOKIE_PATH,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SignedIn,
    check_csrf,
    db,
    policy,
    settings,
)
from bot.console.render import page, redirect

logger = logging.getLogger(__name__)

router = APIRouter()

SIGN_IN_REFUSED = (
    "Connexion refusée : identifiant ou mot de passe incorrect, ou compte bloqué "
    "après trop d'essais. Réessaie dans quelques minutes, ou demande à un "
    "administrateur."
)
FORM_EXPIRED = "Le formulaire a expiré. Réessaie."


def _login_tokens(request: Request) -> LoginTokens:
    return LoginTokens(settings(request).secret_key())


def _login_page(
    request: Request, next_path: str, error: str | None, status_code: int = 200
) -> HTMLResponse:
    form_token, nonce = _login_tokens(request).issue()
    response = page(
        request,
        "login.html",
        None,
        status_code=status_code,
        form_token=form_token,
        next_path=next_path,
        error=error,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=auth.LOGIN_TOKEN_MAX_AGE_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=settings(request).console_cookie_secure,
    )
    return response


def _safe_next(path: str | None) -> str:
    """Only console paths: the sign-in form must not redirect elsewhere."""
    if path and path.startswith("/console") and not path.startswith("//"):
        return path
    return "/console/"


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str = "/console/") -> HTMLResponse:
    return _login_page(request, _safe_next(next), None)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=auth.PASSWORD_MAX_CHARS)] = "",
    csrf_token: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form(max_length=500)] = "/console/",
) -> Response:
    next_path = _safe_next(next)
    if not _login_tokens(request).check(csrf_token, request.cookies.get(LOGIN_COOKIE)):
        return _login_page(request, next_path, FORM_EXPIRED, status_code=403)
    try:
        account_id = auth.authenticate(db(request), username, password, policy(request))
    except SignInError as err:
        logger.info("Console sign-in refused: %s", err)
        return _login_page(request, next_path, SIGN_IN_REFUSED, status_code=401)
    token = auth.open_session(db(request), account_id)
    response = RedirectResponse(next_path, status_code=303)
    # No max-age: the cookie goes when the browser closes (shared computers);
    # the server ends the session anyway (see AuthPolicy).
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings(request).console_cookie_secure,
    )
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/logout", dependencies=[Depends(check_csrf)])
async def logout(request: Request, viewer: SignedIn) -> RedirectResponse:
    auth.close_session(db(request), request.cookies.get(SESSION_COOKIE, ""))
    logger.info("Console account %d signed out", viewer.account_id)
    response = redirect("/console/login", ok="signed_out")
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/", response_model=None)
async def home(request: Request, viewer: SignedIn) -> Response:
    """The first page each role can use."""
    if viewer.can(Permission.CONVERSATIONS):
        return redirect("/console/queue")
    if viewer.can(Permission.ACCOUNTS):
        return redirect("/console/accounts")
    return page(request, "home.html", viewer)


@router.get("/password", response_class=HTMLResponse)
async def password_form(request: Request, viewer: SignedIn) -> HTMLResponse:
    return page(request, "password.html", viewer, error=None)


@router.post("/password", dependencies=[Depends(check_csrf)], response_model=None)
async def change_password(
    request: Request,
    viewer: SignedIn,
    current: Annotated[str, Form(max_length=auth.PASSWORD_MAX_CHARS)] = "",
    new: Annotated[str, Form(max_length=auth.PASSWORD_MAX_CHARS)] = "",
    confirm: Annotated[str, Form(max_length=auth.PASSWORD_MAX_CHARS)] = "",
) -> Response:
    sessions = db(request)
    error = None
    if not auth.verify_password(sessions, viewer.account_id, current):
        error = "Le mot de passe actuel est incorrect."
    elif new != confirm:
        error = "Les deux nouveaux mots de passe ne sont pas identiques."
    elif len(new) < auth.PASSWORD_MIN_CHARS:
        error = (
            f"Le nouveau mot de passe doit faire au moins {auth.PASSWORD_MIN_CHARS} "
            "caractères (une courte phrase marche bien)."
        )
    if error is not None:
        return page(request, "password.html", viewer, status_code=400, error=error)
    auth.set_password(sessions, viewer.account_id, new)
    # Changing the password ends every session, this one too: sign in again.
    response = redirect("/console/login", ok="password_changed")
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response
