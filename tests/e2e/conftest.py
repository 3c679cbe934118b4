"""The real stack, started once for all end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.stack import Stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


CHROMIUM = Path("/usr/bin/chromium")
# As root in a sandbox with no network: no sandbox, no background traffic.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium driven by Playwright (it downloads no browser here)."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make test` (it installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack.create(tmp_path_factory.mktemp("stack"))
    stack.start()
    try:
        stack.wait_healthy()
        yield stack
    finally:
        stack.close()


class WebchatUser:
    """A young person on the web chat, through the public JSON API."""

    def __init__(self, base_url: str, sender_id: str) -> None:
        self.base_url = base_url
        self.sender_id = sender_id
        self.cursor = 0

    def say(self, text: str) -> list[dict[str, Any]]:
        response = httpx.post(
            f"{self.base_url}/api/webchat/messages",
            json={"sender_id": self.sender_id, "text": text},
            timeout=60,
        )
        response.raise_for_status()
        body = response.json()
        self.cursor = body["cursor"]
        messages: list[dict[str, Any]] = body["messages"]
        return messages

    def updates(self) -> list[dict[str, Any]]:
        response = httpx.post(
            f"{self.base_url}/api/webchat/updates",
            json={"sender_id": self.sender_id, "after": self.cursor},
            timeout=10,
        )
        response.raise_for_status()
        body = response.json()
        self.cursor = body["cursor"]
        messages: list[dict[str, Any]] = body["messages"]
        return messages


@pytest.fixture
def young(stack: Stack, request: pytest.FixtureRequest) -> WebchatUser:
    return WebchatUser(stack.base_url, f"e2e-{request.node.name}"[:64])
