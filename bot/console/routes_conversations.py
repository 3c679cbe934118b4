"""The queue and the conversation view, with their live updates and actions.

Pages are plain HTML forms that work without JavaScript (each action
redirects back); ``console.js`` polls the ``/live`` endpoints every couple
of seconds and posts the forms in the background when it can.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from bot import handoff
from bot.console import queries
from bot.console.auth import Permission, Viewer
from bot.console.deps import check_csrf, db, require
from bot.console.render import PROBLEMS, fragment, page, redirect
from bot.db.console_models import HandoffStatus
from bot.gateway import Gateway
from bot.messages import Outbound

logger = logging.getLogger(__name__)

router = APIRouter()

Counsellor = Annotated[Viewer, Depends(require(Permission.CONVERSATIONS))]
ConversationId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]
Csrf = [Depends(check_csrf)]
# Header console.js sets on background posts, to get JSON instead of a redirect.
FETCH_HEADER = "X-Console-Fetch"


# --- Queue ---------------------------------------------------------------------


@router.get("/queue", response_class=HTMLResponse)
async def queue_page(request: Request, viewer: Counsellor) -> HTMLResponse:
    return page(request, "queue.html", viewer, **_queue_context(request))


@router.get("/queue/live")
async def queue_live(request: Request, viewer: Counsellor) -> dict[str, Any]:
    context = _queue_context(request)
    html = fragment(request, "_queue.html", viewer=viewer, **context)
    return {"html": html, "alerts": queries.danger_alert_keys(db(request))}


@router.get("/alerts")
async def alerts(request: Request, viewer: Counsellor) -> dict[str, Any]:
    """Waiting danger alerts, polled by every page for the visual cue."""
    return {"alerts": queries.danger_alert_keys(db(request))}


def _queue_context(request: Request) -> dict[str, Any]:
    entries = handoff.queue(db(request))
    return {
        "waiting": [e for e in entries if e.status is HandoffStatus.WAITING],
        "taken": [e for e in entries if e.status is HandoffStatus.TAKEN],
        "handed_back": [e for e in entries if e.status is HandoffStatus.HANDED_BACK],
        "closed": queries.recently_closed(db(request)),
    }


# --- Conversation view -------------------------------------------------------


@router.get("/conversations/{conversation_id}", response_class=HTMLResponse)
async def conversation_page(
    request: Request, viewer: Counsellor, conversation_id: ConversationId
) -> HTMLResponse:
    sessions = db(request)
    detail = _detail_or_404(request, conversation_id)
    handoff.record_opening(sessions, conversation_id, viewer.account_id)
    lines = queries.transcript(sessions, conversation_id)
    openings = (
        queries.openings(sessions, conversation_id, limit=20)
        if viewer.can(Permission.AUDIT)
        else []
    )
    return page(
        request,
        "conversation.html",
        viewer,
        detail=detail,
        lines=lines,
        cursor=lines[-1].id if lines else 0,
        openings=openings,
        mine=_is_mine(detail, viewer),
    )


@router.get("/conversations/{conversation_id}/live")
async def conversation_live(
    request: Request,
    viewer: Counsellor,
    conversation_id: ConversationId,
    after: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    detail = _detail_or_404(request, conversation_id)
    lines = queries.transcript(db(request), conversation_id, after)
    return {
        "messages_html": fragment(request, "_messages.html", lines=lines),
        "cursor": lines[-1].id if lines else after,
        "state_html": fragment(request, "_state.html", detail=detail, viewer=viewer),
        "notes_html": fragment(request, "_notes.html", detail=detail),
        "mine": _is_mine(detail, viewer),
        "open": detail.request.status != HandoffStatus.CLOSED,
    }


def _detail_or_404(request: Request, conversation_id: str) -> queries.Detail:
    detail = queries.detail(db(request), conversation_id)
    if detail is None:
        raise HTTPException(status_code=404, detail="Conversation introuvable.")
    return detail


def _is_mine(detail: queries.Detail, viewer: Viewer) -> bool:
    return (
        detail.request.status == HandoffStatus.TAKEN
        and detail.request.taken_by == viewer.account_id
    )


# --- Actions -------------------------------------------------------------------


@router.post("/conversations/{conversation_id}/take", dependencies=Csrf)
async def take(
    request: Request, viewer: Counsellor, conversation_id: ConversationId
) -> Response:
    force = viewer.can(Permission.TAKE_OVER)
    try:
        notices = handoff.take(
            db(request), conversation_id, viewer.account_id, force=force
        )
    except handoff.HandoffError as err:
        return _refused(request, conversation_id, err)
    problem = await _push(request, conversation_id, notices)
    return _done(request, conversation_id, "taken", problem)


@router.post("/conversations/{conversation_id}/reply", dependencies=Csrf)
async def reply(
    request: Request,
    viewer: Counsellor,
    conversation_id: ConversationId,
    text: Annotated[str, Form(max_length=handoff.REPLY_MAX_CHARS * 2)] = "",
) -> Response:
    try:
        message = handoff.reply(db(request), conversation_id, viewer.account_id, text)
    except ValueError:
        return _failed(request, conversation_id, "empty")
    except handoff.HandoffError as err:
        return _refused(request, conversation_id, err)
    problem = await _push(request, conversation_id, [message])
    return _done(request, conversation_id, "sent", problem)


@router.post("/conversations/{conversation_id}/notes", dependencies=Csrf)
async def add_note(
    request: Request,
    viewer: Counsellor,
    conversation_id: ConversationId,
    text: Annotated[str, Form(max_length=handoff.NOTE_MAX_CHARS * 2)] = "",
) -> Response:
    _detail_or_404(request, conversation_id)
    try:
        handoff.add_note(db(request), conversation_id, viewer.account_id, text)
    except ValueError:
        return _failed(request, conversation_id, "empty")
    except handoff.HandoffError as err:
        return _refused(request, conversation_id, err)
    return _done(request, conversation_id, "noted")


@router.post("/conversations/{conversation_id}/hand-back", dependencies=Csrf)
async def hand_back(
    request: Request, viewer: Counsellor, conversation_id: ConversationId
) -> Response:
    force = viewer.can(Permission.TAKE_OVER)
    try:
        notices = handoff.hand_back(
            db(request), conversation_id, viewer.account_id, force=force
        )
    except handoff.HandoffError as err:
        return _refused(request, conversation_id, err)
    problem = await _push(request, conversation_id, notices)
    return _done(request, conversation_id, "handed_back", problem)


@router.post("/conversations/{conversation_id}/close", dependencies=Csrf)
async def close(
    request: Request,
    viewer: Counsellor,
    conversation_id: ConversationId,
    outcome: Annotated[str, Form(max_length=32)] = "",
    detail: Annotated[str, Form(max_length=handoff.OUTCOME_DETAIL_MAX_CHARS * 2)] = "",
) -> Response:
    force = viewer.can(Permission.TAKE_OVER)
    try:
        notices = handoff.close(
            db(request),
            conversation_id,
            viewer.account_id,
            outcome,
            detail=detail,
            force=force,
        )
    except ValueError:
        return _failed(request, conversation_id, "outcome")
    except handoff.HandoffError as err:
        return _refused(request, conversation_id, err)
    problem = await _push(request, conversation_id, notices)
    return _done(request, conversation_id, "closed", problem)


async def _push(
    request: Request, conversation_id: str, messages: Sequence[Outbound]
) -> str | None:
    """Send to the young person's platform; a problem code when it failed.

    The message is stored already: the web chat shows it whatever happens,
    and the counsellor is told when a platform did not take it.
    """
    if not messages:
        return None
    gateway: Gateway = request.app.state.gateway
    try:
        await gateway.push(conversation_id, messages)
    except Exception:
        # A platform error must not lose the counsellor's action, which is
        # stored; they are told and can write again.
        logger.exception("Push to conversation %s failed", conversation_id)
        return "not_delivered"
    return None


def _refused(
    request: Request, conversation_id: str, err: handoff.HandoffError
) -> Response:
    logger.info("Console action refused on %s: %s", conversation_id, type(err).__name__)
    if isinstance(err, handoff.TakenByOtherError):
        code = "taken_by_other"
    elif isinstance(err, handoff.NotTakenError):
        code = "not_taken"
    else:
        code = "not_in_queue"
    return _failed(request, conversation_id, code, status_code=409)


def _failed(
    request: Request, conversation_id: str, code: str, status_code: int = 400
) -> Response:
    if request.headers.get(FETCH_HEADER):
        return JSONResponse(
            {"ok": False, "problem": PROBLEMS[code]}, status_code=status_code
        )
    return redirect(f"/console/conversations/{conversation_id}", err=code)


def _done(
    request: Request, conversation_id: str, code: str, problem: str | None = None
) -> Response:
    if request.headers.get(FETCH_HEADER):
        return JSONResponse(
            {"ok": True, "problem": PROBLEMS[problem] if problem else None}
        )
    path = f"/console/conversations/{conversation_id}"
    return redirect(path, err=problem) if problem else redirect(path, ok=code)
