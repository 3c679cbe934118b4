"""A bot service with the console, on a fresh database, and signed-in helpers."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bot import handoff
from bot.config import Settings
from bot.console import auth
from bot.console.auth import create_account
from bot.db import create_engine_for, session_factory
from bot.db.migrate import upgrade
from bot.db.models import ChannelAddress, Conversation
from bot.gateway import DeliveryResult
from bot.messages import Channel, Outbound
from bot.web.app import create_app

PASSWORD = "une phrase de passe assez longue"
ROLES = ("counsellor", "supervisor", "editor", "admin")
CONVERSATION = "te-0123456789abcdef"


@dataclass
class FakeSender:
    """Stands in for the Telegram connector: keeps what the gateway pushes."""

    sent: list[tuple[str, list[Outbound]]] = field(default_factory=list)

    async def send(self, address: str, messages: Sequence[Outbound]) -> DeliveryResult:
        self.sent.append((address, list(messages)))
        return DeliveryResult.DELIVERED


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with tiny costs: the real ones take most of a test's time."""
    monkeypatch.setattr(
        auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with every migration applied, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "maraude.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated: Path) -> Settings:
    shutil.copy(migrated, tmp_path / "maraude.db")
    return Settings(
        maraude_var_dir=tmp_path,
        maraude_secret_key="unit-test-key",
        rasa_url="http://127.0.0.1:9",
        action_server_url="http://127.0.0.1:9",
        console_lockout_attempts=3,
        _env_file=None,
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = create_engine_for(settings.database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def accounts(db: sessionmaker[Session]) -> dict[str, int]:
    """One account per role, named after it (display name capitalised)."""
    return {
        role: create_account(db, role, role.capitalize(), role, PASSWORD)
        for role in ROLES
    }


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()


@pytest.fixture
def app_client(settings: Settings, sender: FakeSender) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        client.app.state.gateway.register_sender(Channel.TELEGRAM, sender)  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def queued(db: sessionmaker[Session]) -> str:
    """A Telegram conversation waiting in the queue, with a little transcript."""
    with db.begin() as session:
        session.add(
            Conversation(
                id=CONVERSATION,
                channel="telegram",
                profile={
                    "age_band": "18-21",
                    "needs": ["housing", "job"],
                    "summary": ["19 ans", "ce qu'il te faudrait : un logement"],
                    "situation_updated_at": "2026-12-04T17:26:10+00:00",
                },
            )
        )
        session.add(
            ChannelAddress(
                conversation_id=CONVERSATION, channel="telegram", address="4242"
            )
        )
    handoff.request_handoff(db, CONVERSATION, reason="asked")
    return CONVERSATION


def login_token(client: TestClient) -> str:
    page = client.get("/console/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Signs in and returns the session's CSRF token."""
    response = client.post(
        "/console/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": login_token(client),
        },
    )
    assert response.status_code == 303, response.text
    page = client.get("/console/password")
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)
