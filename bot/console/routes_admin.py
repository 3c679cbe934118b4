"""Supervision and administration: the audit of openings, and accounts."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from bot.console import auth, queries
from bot.console.auth import AccountError, Permission, Viewer
from bot.console.deps import check_csrf, db, require
from bot.console.render import page, redirect
from bot.db.console_models import Account, Role

logger = logging.getLogger(__name__)

router = APIRouter()

Auditor = Annotated[Viewer, Depends(require(Permission.AUDIT))]
Admin = Annotated[Viewer, Depends(require(Permission.ACCOUNTS))]
AccountId = Annotated[int, Path(ge=1)]
Csrf = [Depends(check_csrf)]


@router.get("/audit", response_class=HTMLResponse)
async def audit(
    request: Request,
    viewer: Auditor,
    conversation: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    rows = queries.openings(db(request), conversation.strip() or None)
    return page(request, "audit.html", viewer, openings=rows, conversation=conversation)


@router.get("/accounts", response_class=HTMLResponse)
async def accounts(request: Request, viewer: Admin) -> HTMLResponse:
    return _accounts_page(request, viewer)


def _accounts_page(
    request: Request,
    viewer: Viewer,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "accounts.html",
        viewer,
        status_code=status_code,
        accounts=queries.accounts(db(request)),
        roles=list(Role),
        error=error,
        min_password=auth.PASSWORD_MIN_CHARS,
    )


@router.post("/accounts", dependencies=Csrf, response_model=None)
async def create_account(
    request: Request,
    viewer: Admin,
    username: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    password: Annotated[str, Form(max_length=auth.PASSWORD_MAX_CHARS)] = "",
) -> Response:
    try:
        auth.create_account(db(request), username, display_name, role, password)
    except AccountError as err:
        return _accounts_page(
            request, viewer, error=_account_problem(err), status_code=400
        )
    logger.info("Account created by admin account %d", viewer.account_id)
    return redirect("/console/accounts", ok="account_created")


def _account_problem(err: AccountError) -> str:
    """Why an account was refused, in French."""
    problems = {
        "username_taken": "Cet identifiant est déjà pris : choisis-en un autre.",
        "username": "Identifiant invalide : 3 à 64 caractères parmi a-z, 0-9, "
        "point, tiret et tiret bas.",
        "display_name": "Le nom affiché doit faire de 1 à 80 caractères.",
        "role": "Choisis un rôle dans la liste.",
    }
    return problems.get(
        err.field,
        f"Le mot de passe doit faire au moins {auth.PASSWORD_MIN_CHARS} caractères "
        "(une courte phrase marche bien).",
    )


@router.post("/accounts/{account_id}/unlock", dependencies=Csrf)
async def unlock(request: Request, viewer: Admin, account_id: AccountId) -> Response:
    _account_or_404(db(request), account_id)
    auth.unlock(db(request), account_id)
    return redirect("/console/accounts", ok="unlocked")


@router.post("/accounts/{account_id}/deactivate", dependencies=Csrf)
async def deactivate(
    request: Request, viewer: Admin, account_id: AccountId
) -> Response:
    _account_or_404(db(request), account_id)
    if account_id == viewer.account_id:
        return _accounts_page(
            request,
            viewer,
            error="Tu ne peux pas désactiver ton propre compte.",
            status_code=400,
        )
    auth.set_active(db(request), account_id, active=False)
    return redirect("/console/accounts", ok="deactivated")


@router.post("/accounts/{account_id}/activate", dependencies=Csrf)
async def activate(request: Request, viewer: Admin, account_id: AccountId) -> Response:
    _account_or_404(db(request), account_id)
    auth.set_active(db(request), account_id, active=True)
    return redirect("/console/accounts", ok="activated")


@router.post("/accounts/{account_id}/password", dependencies=Csrf, response_model=None)
async def reset_password(
    request: Request,
    viewer: Admin,
    account_id: AccountId,
    password: Annotated[str, Form(max_length=auth.PASSWORD_MAX_CHARS)] = "",
) -> Response:
    _account_or_404(db(request), account_id)
    try:
        auth.set_password(db(request), account_id, password)
    except AccountError as err:
        return _accounts_page(
            request, viewer, error=_account_problem(err), status_code=400
        )
    return redirect("/console/accounts", ok="password_reset")


def _account_or_404(sessions: sessionmaker[Session], account_id: int) -> None:
    with sessions() as session:
        if session.get(Account, account_id) is None:
            raise HTTPException(status_code=404, detail="Compte introuvable.")
