"""The web chat API refuses bad requests clearly, before anything reaches Rasa."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from bot.config import Settings
from bot.db.migrate import upgrade
from bot.db.models import Message
from bot.web.app import create_app


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(
        maraude_var_dir=tmp_path,
        maraude_secret_key="unit-test-key",
        # Nothing listens there: a request that reached Rasa would be deferred.
        rasa_url="http://127.0.0.1:9",
        action_server_url="http://127.0.0.1:9",
        _env_file=None,
    )
    upgrade(settings.database_url)
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def stored_messages(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(Message))
    engine.dispose()
    return int(count or 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "salut"}, "sender_id"),
        ({"sender_id": "abc"}, "text"),
        ({"sender_id": "abc", "text": ""}, "text"),
        ({"sender_id": "abc", "text": "   "}, "text"),
        ({"sender_id": "abc", "text": "x" * 10_001}, "text"),
        ({"sender_id": "", "text": "salut"}, "sender_id"),
        ({"sender_id": "a" * 65, "text": "salut"}, "sender_id"),
        ({"sender_id": 12, "text": "salut"}, "sender_id"),
        ({"sender_id": "abc", "text": "salut", "extra": 1}, "extra"),
    ],
)
def test_a_bad_message_gets_a_422_naming_the_field_and_reaches_nothing(
    client: TestClient, settings: Settings, body: dict[str, object], field: str
) -> None:
    response = client.post("/api/webchat/messages", json=body)

    assert response.status_code == 422
    error = response.json()
    assert field in error["error"]
    assert error["problems"][0]["field"] == field
    assert stored_messages(settings) == 0


def test_malformed_json_gets_a_json_error(client: TestClient) -> None:
    response = client.post(
        "/api/webchat/messages",
        content=b'{"sender_id": "abc", "text": ',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert "JSON" in response.json()["error"]


def test_health_names_what_is_down(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert set(body["down"]) == {"rasa", "action_server"}
    assert body["services"]["database"] == "up"


def test_the_web_chat_page_is_french_and_fits_a_phone(client: TestClient) -> None:
    page = client.get("/")

    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert 'name="viewport"' in page.text


def test_with_rasa_down_a_message_is_kept_and_answered_kindly(
    client: TestClient, settings: Settings
) -> None:
    response = client.post(
        "/api/webchat/messages", json={"sender_id": "abc", "text": "salut"}
    )

    assert response.status_code == 200
    assert "je reviens vers toi" in response.json()["messages"][0]["text"]
    assert stored_messages(settings) == 2  # theirs and the gateway's answer
