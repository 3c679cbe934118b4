"""``GET /healthz``: whether Rasa, the action server and the database answer."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

router = APIRouter()

PROBE_TIMEOUT_SECONDS = 3.0


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    state = request.app.state
    rasa_up, actions_up, database_up = await asyncio.gather(
        state.rasa.is_up(),
        action_server_up(state.settings.action_server_url),
        asyncio.to_thread(_database_up, state.engine),
    )
    services = {
        "rasa": "up" if rasa_up else "down",
        "action_server": "up" if actions_up else "down",
        "database": "up" if database_up else "down",
    }
    down = [name for name, status in services.items() if status == "down"]
    return JSONResponse(
        status_code=503 if down else 200,
        content={
            "status": "down" if down else "ok",
            "services": services,
            "down": down,
        },
    )


async def action_server_up(base_url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_SECONDS) as client:
            response = await client.get(f"{base_url}/health")
    except httpx.HTTPError:
        return False
    return response.status_code == httpx.codes.OK


def _database_up(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
