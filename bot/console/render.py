"""Templates, their helpers, and the console's one-line notices."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from bot.console import labels
from bot.console.auth import Permission, Viewer
from bot.console.deps import CSRF_FIELD, settings

CONSOLE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = CONSOLE_DIR / "templates"
STATIC_DIR = CONSOLE_DIR / "static"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.globals.update(
    labels=labels, Permission=Permission, CSRF_FIELD=CSRF_FIELD
)

# Notices shown after an action, by code: URLs carry the code, not the text.
NOTICES = {
    "taken": "Tu as pris la conversation : le bot se tait, c'est toi qui réponds.",
    "sent": "Message envoyé.",
    "noted": "Note enregistrée (visible de l'équipe seulement).",
    "handed_back": "Conversation rendue au bot. Pense à noter l'issue.",
    "closed": "Conversation clôturée, issue enregistrée.",
    "account_created": "Compte créé.",
    "unlocked": "Compte débloqué.",
    "deactivated": "Compte désactivé : ses sessions sont fermées.",
    "activated": "Compte réactivé.",
    "password_reset": "Mot de passe remplacé : ses sessions sont fermées.",
    "password_changed": "Mot de passe changé.",
    "signed_out": "Tu es déconnecté·e.",
    "expired": "Ta session a expiré : reconnecte-toi.",
}
PROBLEMS = {
    "taken_by_other": "Quelqu'un d'autre a déjà pris cette conversation.",
    "not_taken": "Prends d'abord la conversation pour faire ça.",
    "not_in_queue": "Cette conversation n'est plus dans la file.",
    "empty": "Le message est vide ou trop long (4 000 caractères au plus).",
    "outcome": "Choisis une issue (et 200 caractères au plus pour le détail).",
    "not_delivered": "Le message est enregistré, mais la plateforme ne l'a pas "
    "accepté pour l'instant.",
}


def page(
    request: Request,
    name: str,
    viewer: Viewer | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a full page with what every page needs."""
    zone = settings(request).opening_hours.zone
    notice = NOTICES.get(request.query_params.get("ok", ""))
    problem = PROBLEMS.get(request.query_params.get("err", ""))
    response: HTMLResponse = templates.TemplateResponse(
        request,
        name,
        {
            "viewer": viewer,
            "zone": zone,
            "notice": notice,
            "problem": problem,
            **context,
        },
        status_code=status_code,
    )
    return response


def fragment(request: Request, name: str, **context: Any) -> str:
    """Render a partial template to a string (for live updates)."""
    zone = settings(request).opening_hours.zone
    template = templates.get_template(name)
    return template.render(request=request, zone=zone, **context)


def redirect(path: str, **params: str) -> RedirectResponse:
    """303 to ``path`` (a console path), with a notice or problem code."""
    query = f"?{urlencode(params)}" if params else ""
    return RedirectResponse(f"{path}{query}", status_code=303)
