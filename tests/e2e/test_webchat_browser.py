"""The web chat page in a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.config import PROJECT_ROOT
from tests.e2e.stack import Stack

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = PROJECT_ROOT / "results" / "screenshots"

pytestmark = pytest.mark.browser


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


def test_a_young_person_chats_on_a_phone_sized_screen(
    stack: Stack, phone_page: Page
) -> None:
    page = phone_page
    page.goto(stack.base_url)

    bot_lines = page.locator(".msg--bot")
    expect(bot_lines.first).to_contain_text("Maraude", timeout=60_000)
    expect(page.locator(".choice").first).to_be_visible()

    page.get_by_role("button", name="Tu sers à quoi ?").click()
    expect(page.locator(".msg--me").last).to_have_text("Tu sers à quoi ?")
    expect(bot_lines.last).to_contain_text("Mission Locale", timeout=60_000)

    page.get_by_role("button", name="C'est gratuit ?").click()
    expect(bot_lines.last).to_contain_text("gratuit", timeout=60_000)

    page.fill("#text", "t'es un bot ?")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--me").last).to_have_text("t'es un bot ?")
    expect(bot_lines.last).to_contain_text("je suis un bot", timeout=60_000)

    # Nothing overflows sideways on a phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "webchat-phone.png"))


def test_messages_typed_while_the_bot_answers_are_all_sent_in_order(
    stack: Stack, phone_page: Page
) -> None:
    page = phone_page
    page.goto(stack.base_url)

    # Typed at once, before the opening answer arrives.
    for text in ("t'es un bot ?", "c'est gratuit ?"):
        page.fill("#text", text)
        page.keyboard.press("Enter")

    expect(page.locator(".msg--me")).to_have_text(["t'es un bot ?", "c'est gratuit ?"])
    expect(page.locator(".msg--bot").last).to_contain_text("gratuit", timeout=90_000)
    expect(page.locator(".msg--bot", has_text="Oui, je suis un bot")).to_have_count(1)


def test_the_mission_locale_map_is_a_link_to_tap(
    stack: Stack, phone_page: Page
) -> None:
    page = phone_page
    page.goto(stack.base_url)
    expect(page.locator(".msg--bot").first).to_contain_text("Maraude", timeout=60_000)

    page.fill("#text", "c'est où ma mission locale ?")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--bot").last).to_contain_text(
        "t'es dans quelle ville", timeout=60_000
    )
    page.fill("#text", "Roubaix")
    page.keyboard.press("Enter")

    link = page.locator(".msg--bot a[href^='https://www.openstreetmap.org/']")
    expect(link.first).to_be_visible(timeout=60_000)
    assert link.first.get_attribute("rel") == "noopener noreferrer"
    # The words around the link stay text: no HTML from the bot is rendered.
    assert page.locator(".msg--bot script").count() == 0
