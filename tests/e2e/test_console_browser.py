"""A counsellor takes over a Telegram conversation in a real browser.

The whole stack runs (Rasa, action server, bot service with the Telegram
connector) against the fake Telegram Bot API; Debian's chromium, driven by
Playwright, plays the counsellor. The tests run in file order and share the
stack: the first one walks the whole handoff, the next ones reuse accounts.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from bot import handoff
from bot.config import PROJECT_ROOT
from bot.console.auth import create_account
from bot.db import create_engine_for, session_factory
from bot.db.console_models import ConversationOpening, HandoffRequest
from bot.db.models import Author, Conversation, Message
from bot.identity import pseudonym
from bot.messages import Channel
from tests.e2e.stack import Stack
from tests.fakes.telegram_server import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_server import FakeTelegram

LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
SCREENSHOTS = PROJECT_ROOT / "results" / "screenshots"
PASSWORD = "une phrase de passe assez longue"
ANSWER_TIMEOUT_SECONDS = 60
# The reply must reach the young person "within a second or two".
LIVE_SECONDS = 5
# Always open: the action says someone reads now (the closed case is a unit test).
ALWAYS_OPEN = "lun-dim 00:00-24:00"
_users = itertools.count(720_000_001)

pytestmark = pytest.mark.browser


@dataclass
class Console:
    stack: Stack
    telegram: FakeTelegram
    accounts: dict[str, int]

    def conversation(self, user_id: int) -> str:
        return pseudonym(
            self.stack.settings.secret_key(), Channel.TELEGRAM, str(user_id)
        )

    def texts_to(self, user_id: int) -> list[str]:
        return [s.text for s in self.telegram.sent_to(user_id)]

    def say(self, user_id: int, text: str) -> list[str]:
        """The young person writes on Telegram; returns what they got after."""
        before = len(self.telegram.sent_to(user_id))
        self.telegram.message(user_id, text)
        eventually(
            lambda: len(self.telegram.sent_to(user_id)) > before,
            what=f"an answer to {text!r}",
        )
        time.sleep(0.5)  # answers in several messages arrive together
        return self.texts_to(user_id)[before:]


def eventually(
    condition: Callable[[], bool],
    timeout: float = ANSWER_TIMEOUT_SECONDS,
    what: str = "the condition",
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    telegram = FakeTelegram().start()
    env = {
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "TELEGRAM_MODE": "polling",
        "PERMANENCES": ALWAYS_OPEN,
    }
    stack = Stack.create(tmp_path_factory.mktemp("console"), extra_env=env)
    engine = create_engine_for(stack.settings.database_url)
    sessions = session_factory(engine)
    accounts = {
        "camille": create_account(
            sessions, "camille", "Camille", "counsellor", PASSWORD
        ),
        "yanis": create_account(sessions, "yanis", "Yanis", "supervisor", PASSWORD),
    }
    engine.dispose()
    try:
        stack.start()
        stack.wait_healthy()
        eventually(lambda: telegram.calls_of("getUpdates") != [], what="polling")
        yield Console(stack, telegram, accounts)
    finally:
        stack.close()
        telegram.stop()


def signed_in(
    browser: Browser, console: Console, username: str, viewport: dict[str, int]
) -> Page:
    page = browser.new_context(viewport=viewport, locale="fr-FR").new_page()
    page.goto(f"{console.stack.base_url}/console/")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/console/queue$"))
    return page


def db_rows(console: Console, query: Callable[..., object]) -> object:
    engine = create_engine_for(console.stack.settings.database_url)
    try:
        with session_factory(engine)() as session:
            return query(session)
    finally:
        engine.dispose()


def test_a_counsellor_takes_over_a_telegram_conversation_and_hands_it_back(
    console: Console, browser: Browser
) -> None:
    telegram, user = console.telegram, next(_users)
    page = signed_in(browser, console, "camille", LAPTOP)
    expect(page.locator("#queue")).to_contain_text("Personne n'attend")

    # The young person chats with the bot, then asks for a human.
    console.say(user, "salut")
    answer = console.say(user, "je veux parler à quelqu'un")
    assert any("préviens l'équipe" in text for text in answer), answer

    # The queue shows it without a reload.
    entry = page.locator(".entry").first
    expect(entry).to_contain_text("Veut parler à quelqu'un", timeout=10_000)
    expect(entry).to_contain_text("Telegram")
    entry.click()
    expect(page.locator("#transcript")).to_contain_text("je veux parler à quelqu'un")

    # Take it: the young person is told, the others see who has it.
    page.get_by_role("button", name="Prendre la conversation").click()
    expect(page.locator("#state")).to_contain_text("Prise en charge par Camille")
    eventually(
        lambda: any("Camille" in t for t in console.texts_to(user)),
        timeout=LIVE_SECONDS,
        what="the take-over notice on Telegram",
    )

    # The reply reaches Telegram within seconds.
    reply_box = page.get_by_label("Ta réponse")
    expect(reply_box).to_be_enabled()
    reply_box.fill("Salut, c'est Camille 🙂 Qu'est-ce qui se passe ?")
    reply_box.press("Enter")
    eventually(
        lambda: console.texts_to(user)[-1].startswith("Salut, c'est Camille"),
        timeout=LIVE_SECONDS,
        what="the counsellor's reply on Telegram",
    )
    expect(reply_box).to_have_value("")

    # The young person's answer appears live; the bot stays silent.
    sent_before = len(telegram.sent_to(user))
    telegram.message(user, "je cherche un appart, c'est galère")
    expect(page.locator("#transcript")).to_contain_text(
        "je cherche un appart", timeout=LIVE_SECONDS * 1000
    )
    time.sleep(2)
    assert len(telegram.sent_to(user)) == sent_before

    page.get_by_label("Nouvelle note").fill("Cherche un logement, à orienter")
    page.get_by_role("button", name="Ajouter la note").click()
    expect(page.locator("#notes")).to_contain_text("Cherche un logement")

    # Hand back: the bot answers again, with its context.
    page.get_by_role("button", name="Rendre au bot").click()
    expect(page.locator("#state")).to_contain_text("Rendue au bot")
    eventually(
        lambda: "te repasse" in console.texts_to(user)[-1],
        timeout=LIVE_SECONDS,
        what="the hand-back notice",
    )
    answer = console.say(user, "c'est gratuit ?")
    assert any("gratuit" in text for text in answer), answer
    # Same Rasa session as before the handoff: no first-contact notice again,
    # and the tracker still holds what was said before.
    assert not any("Je suis un bot, pas une personne" in t for t in answer)
    tracker = httpx.get(
        f"{console.stack.settings.rasa_url}/conversations/"
        f"{console.conversation(user)}/tracker",
        timeout=10,
    ).json()
    said = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert said[:2] == ["salut", "je veux parler à quelqu'un"]
    assert tracker["slots"]["notice_shown"] is True
    expect(page.locator("#transcript")).to_contain_text("gratuit")

    # Close with an outcome: recorded, and shown in the queue.
    page.get_by_label("Orienté·e vers une structure").check()
    page.get_by_label("Précision").fill("Mission Locale de Lens")
    page.get_by_role("button", name="Clôturer").click()
    expect(page.locator("#state")).to_contain_text("Clôturée")
    entry_row = db_rows(
        console,
        lambda s: s.scalars(
            select(HandoffRequest).where(
                HandoffRequest.conversation_id == console.conversation(user)
            )
        ).one(),
    )
    assert isinstance(entry_row, HandoffRequest)
    assert (entry_row.outcome, entry_row.outcome_detail) == (
        "oriented",
        "Mission Locale de Lens",
    )
    page.get_by_role("link", name="File d'attente").first.click()
    expect(page.locator("#queue")).to_contain_text("Mission Locale de Lens")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-queue.png"), full_page=True)
    page.context.close()


def test_a_danger_alert_shows_at_the_top_with_a_cue_and_others_see_who_has_it(
    console: Console, browser: Browser
) -> None:
    camille = signed_in(browser, console, "camille", LAPTOP)
    yanis = signed_in(browser, console, "yanis", TABLET)
    asked, danger = next(_users), next(_users)
    console.say(asked, "je veux parler à un conseiller")
    expect(camille.locator(".entry").first).to_contain_text("Demande", timeout=10_000)

    # The young person writes something dangerous: the safety net answers
    # with the number and raises an alert, first in the queue, with a cue.
    answer = console.say(danger, "ma mère m'a mis à la porte, je dors dehors ce soir")
    assert any("115" in text for text in answer), answer
    for page in (camille, yanis):
        expect(page.locator("#danger-banner")).to_be_visible(timeout=10_000)
        first = page.locator(".entry").first
        expect(first).to_contain_text("Danger · Élevée")
        expect(first).to_contain_text("Sans abri ce soir")
    assert camille.title().startswith("⚠")

    # Camille takes it; Yanis, a supervisor, sees who has it.
    camille.locator(".entry--danger").first.click()
    camille.get_by_role("button", name="Prendre la conversation").click()
    expect(camille.locator("#state")).to_contain_text("Prise en charge par Camille")
    expect(yanis.locator(".entry--danger")).to_contain_text(
        "par Camille", timeout=10_000
    )
    yanis.locator(".entry--danger").first.click()
    expect(yanis.locator("#state")).to_contain_text("par Camille")
    expect(yanis.get_by_label("Ta réponse")).to_be_disabled()
    expect(yanis.get_by_role("button", name="Reprendre la main")).to_be_visible()

    # With a counsellor on it, detection still runs: a new alert shows live.
    console.say(danger, "j'ai envie de mourir")
    expect(camille.locator("#state")).to_contain_text(
        "Idées suicidaires", timeout=LIVE_SECONDS * 1000
    )
    expect(camille.locator("#state")).to_contain_text("Prise en charge par Camille")

    # On a tablet, nothing overflows sideways.
    width = yanis.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yanis.screenshot(path=str(SCREENSHOTS / "console-tablet.png"), full_page=True)

    # Every opening is recorded and the supervisor sees them.
    yanis.get_by_role("link", name="Ouvertures").click()
    expect(yanis.locator("table")).to_contain_text("Camille")
    expect(yanis.locator("table")).to_contain_text(console.conversation(danger))
    openings = db_rows(
        console,
        lambda s: s.scalars(
            select(ConversationOpening.account_id).where(
                ConversationOpening.conversation_id == console.conversation(danger)
            )
        ).all(),
    )
    assert set(openings) == set(console.accounts.values())  # type: ignore[arg-type]
    camille.context.close()
    yanis.context.close()


def test_a_counsellors_reply_reaches_a_web_chat_user(console: Console) -> None:
    base, sender = console.stack.base_url, "e2e-console-webchat"
    first = httpx.post(
        f"{base}/api/webchat/messages",
        json={"sender_id": sender, "text": "je veux parler à quelqu'un"},
        timeout=60,
    ).json()
    cid = pseudonym(console.stack.settings.secret_key(), Channel.WEBCHAT, sender)
    engine = create_engine_for(console.stack.settings.database_url)
    sessions = session_factory(engine)
    handoff.take(sessions, cid, console.accounts["camille"])
    handoff.reply(sessions, cid, console.accounts["camille"], "Coucou, c'est Camille")
    engine.dispose()

    updates = httpx.post(
        f"{base}/api/webchat/updates",
        json={"sender_id": sender, "after": first["cursor"]},
        timeout=10,
    ).json()

    texts = [m["text"] for m in updates["messages"]]
    assert "Coucou, c'est Camille" in texts
    stored = db_rows(
        console,
        lambda s: s.scalar(select(Conversation.mode).where(Conversation.id == cid)),
    )
    assert stored == "human"
    young = db_rows(
        console,
        lambda s: s.scalars(
            select(Message.text).where(
                Message.conversation_id == cid, Message.author == Author.YOUNG
            )
        ).all(),
    )
    assert young == ["je veux parler à quelqu'un"]
