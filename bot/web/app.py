"""The bot service application: gateway, web chat and health, in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from bot.config import Settings, get_settings
from bot.console import install_console
from bot.db import create_engine_for, session_factory
from bot.followups.scheduler import FollowUpScheduler
from bot.gateway import Gateway
from bot.rasa_client import RasaClient
from bot.safety import default_detector
from bot.safety.net import SafetyNet, load_safety_texts
from bot.texts import load_texts
from bot.web import health, webchat
from bot.web.app_paths import STATIC_DIR
from connectors import start_connectors, stop_connectors, webhook_routes

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; services start in its lifespan, not here."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine_for(settings.database_url)
        rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_seconds)
        sessions = session_factory(engine)
        safety = SafetyNet(
            sessions, default_detector(), load_safety_texts(), settings.opening_hours
        )
        policy = settings.follow_up_policy

        async def actions_up() -> bool:
            return await health.action_server_up(settings.action_server_url)

        gateway = Gateway(
            sessions,
            rasa,
            settings.secret_key(),
            load_texts(),
            tracker_db=settings.rasa_tracker_db,
            safety=safety,
            follow_up_policy=policy,
            actions_up=actions_up,
        )
        app.state.settings = settings
        app.state.engine = engine
        app.state.rasa = rasa
        app.state.gateway = gateway
        deferred = asyncio.create_task(gateway.run_deferred_loop())
        connectors = await start_connectors(settings, gateway)
        app.router.routes.extend(webhook_routes(connectors))

        # After the connectors: a follow-up goes out through their senders.
        async def services_ready() -> bool:
            up = await asyncio.gather(rasa.is_up(), actions_up())
            return all(up)

        scheduler = FollowUpScheduler(
            sessions,
            gateway,
            policy,
            settings.maraude_follow_up_poll_seconds,
            ready=services_ready,
        )
        follow_ups = asyncio.create_task(scheduler.run())
        logger.info(
            "Bot service ready on http://%s:%s",
            settings.maraude_host,
            settings.maraude_port,
        )
        try:
            yield
        finally:
            follow_ups.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follow_ups
            await stop_connectors(connectors)
            deferred.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await deferred
            await rasa.close()
            engine.dispose()
            logger.info("Bot service stopped")

    app = FastAPI(
        title="Maraude",
        summary="Web chat and integration API of the Maraude outreach bot.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.add_exception_handler(RequestValidationError, _explain_invalid_request)
    app.include_router(webchat.router)
    app.include_router(health.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_console(app)
    return app


async def _explain_invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """A 422 whose body says, field by field, what was wrong."""
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        location = ".".join(str(p) for p in error["loc"] if p != "body") or "body"
        problems.append({"field": location, "problem": error["msg"]})
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    return JSONResponse(
        status_code=422,
        content={"error": f"Invalid request. {summary}", "problems": problems},
    )
