"""The counsellors' console, served by the bot service under ``/console``.

In ``create_app``::

    from bot.console import install_console
    install_console(app)

Pages are French, server-rendered, with light JavaScript for live updates.
See ``bot.handoff`` for the service behind the queue.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.console import routes_admin, routes_auth, routes_conversations
from bot.console.deps import (
    LIVE_HEADER,
    SESSION_COOKIE,
    CsrfError,
    ForbiddenError,
    NotSignedInError,
)
from bot.console.render import STATIC_DIR, page
from bot.console.routes_conversations import FETCH_HEADER

PREFIX = "/console"
# Every router of the console; tests check each route's guards from here.
ROUTERS = (routes_auth.router, routes_conversations.router, routes_admin.router)

# The console shows young people's words: nothing is cached, framed or sent
# as a referrer, and only the console's own scripts run.
SECURITY_HEADERS = {
    b"cache-control": b"no-store",
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"content-security-policy": (
        b"default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        b"base-uri 'none'; object-src 'none'"
    ),
}


_ERROR_PAGES = {
    404: "Cette page n'existe pas (ou plus).",
    405: "Cette adresse ne s'ouvre pas comme ça : passe par les boutons de la console.",
}


def install_console(app: FastAPI) -> None:
    """Mount the console's routes, static files and error pages on ``app``."""
    for router in ROUTERS:
        app.include_router(router, prefix=PREFIX, include_in_schema=False)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="console")
    app.add_exception_handler(NotSignedInError, _not_signed_in)
    app.add_exception_handler(ForbiddenError, _forbidden)
    app.add_exception_handler(CsrfError, _csrf_refused)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(ConsoleHeaders)


def _wants_json(request: Request) -> bool:
    return bool(request.headers.get(LIVE_HEADER) or request.headers.get(FETCH_HEADER))


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    if _wants_json(request):
        return JSONResponse(
            {
                "error": "Session absente ou expirée : reconnecte-toi.",
                "login": f"{PREFIX}/login",
            },
            status_code=401,
        )
    target = request.url.path if request.method == "GET" else f"{PREFIX}/"
    # Only someone who had a session is told it expired.
    expired = "&ok=expired" if request.cookies.get(SESSION_COOKIE) else ""
    return RedirectResponse(f"{PREFIX}/login?next={target}{expired}", 303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    message = "Ton rôle ne donne pas accès à cette page."
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=403)
    return page(request, "error.html", None, status_code=403, message=message)


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    message = (
        "Le formulaire a expiré ou ne vient pas de la console. Recharge la page "
        "et réessaie."
    )
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=403)
    return page(request, "error.html", None, status_code=403, message=message)


async def _http_error(request: Request, exc: Exception) -> Response:
    """French error pages inside the console; FastAPI's default elsewhere."""
    assert isinstance(exc, StarletteHTTPException)
    if not request.url.path.startswith(PREFIX) or _wants_json(request):
        return await http_exception_handler(request, exc)
    message = _ERROR_PAGES.get(exc.status_code, "Cette page n'est pas disponible.")
    if exc.detail not in ("Not Found", "Method Not Allowed"):
        message = str(exc.detail)  # ours, already in French
    return page(
        request, "error.html", None, status_code=exc.status_code, message=message
    )


class ConsoleHeaders:
    """Adds SECURITY_HEADERS to every response under ``/console``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(SECURITY_HEADERS.items())
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
