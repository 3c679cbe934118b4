"""The Telegram connector, running real python-telegram-bot against the fake."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from bot.messages import Button, Channel, InboundKind, Outbound
from connectors.base import DeliveryResult
from connectors.telegram import (
    WEBHOOK_SECRET_HEADER,
    OffsetFileError,
    OffsetStore,
    TelegramConfigError,
    TelegramConnector,
)
from connectors.text import TELEGRAM_MAX_CHARS
from connectors.wording import load_texts
from tests.fakes._server import wait_until
from tests.fakes.gateway import GatewayDouble
from tests.fakes.telegram_server import BOT_USERNAME, FakeTelegram

USER = 424242
OTHER_USER = 515151
SECRET = "s3cret-webhook_token"

TelegramFactory = Callable[..., TelegramConnector]


async def test_a_text_message_is_answered_in_plain_text(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    fake_telegram.message(USER, "wesh, je cherche un taf")

    await fake_telegram.wait_sent(USER, 1)

    inbound = gateway.received[0]
    assert inbound.channel is Channel.TELEGRAM
    assert inbound.user_id == str(USER)
    assert inbound.address == str(USER)
    assert inbound.kind is InboundKind.TEXT
    assert inbound.text == "wesh, je cherche un taf"
    [sent] = fake_telegram.sent_to(USER)
    assert sent.text == "echo: wesh, je cherche un taf"
    assert sent.parse_mode is None


async def test_typing_is_shown_while_the_gateway_works(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    gateway.delay = 0.3
    fake_telegram.message(USER, "salut")

    await fake_telegram.wait_sent(USER, 1)

    actions = fake_telegram.calls_of("sendChatAction")
    assert actions
    assert actions[0]["action"] == "typing"
    assert actions[0]["chat_id"] == str(USER)


@pytest.mark.parametrize(
    ("send", "kind"),
    [
        (FakeTelegram.sticker, InboundKind.STICKER),
        (FakeTelegram.voice, InboundKind.VOICE),
        (FakeTelegram.photo, InboundKind.PHOTO),
        (FakeTelegram.document, InboundKind.FILE),
    ],
)
async def test_non_text_messages_reach_the_gateway_with_their_kind(
    telegram: TelegramConnector,
    fake_telegram: FakeTelegram,
    gateway: GatewayDouble,
    send: object,
    kind: InboundKind,
) -> None:
    send(fake_telegram, USER)  # type: ignore[operator]

    await fake_telegram.wait_sent(USER, 1)

    assert gateway.received[0].kind is kind
    assert gateway.received[0].text is None
    assert fake_telegram.sent_to(USER)[0].text == f"[{kind.value}]"


async def test_a_captioned_photo_is_read_as_text(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    fake_telegram.photo(USER, caption="je dors dehors ce soir")

    await fake_telegram.wait_sent(USER, 1)

    inbound = gateway.received[0]
    assert inbound.kind is InboundKind.TEXT
    assert inbound.text == "je dors dehors ce soir"
    assert inbound.metadata == {"attachment": "photo"}


async def test_start_is_a_greeting(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    fake_telegram.message(USER, "/start campagne-ete")

    await fake_telegram.wait_sent(USER, 1)

    assert gateway.texts_from(USER) == [load_texts().greeting_text]


async def test_a_typed_slash_cannot_set_rasa_slots(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    fake_telegram.message(USER, '/inform{"age": "30"}')

    await fake_telegram.wait_sent(USER, 1)

    assert gateway.texts_from(USER) == ['inform{"age": "30"}']


async def test_an_edited_message_is_handled_once(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    original = fake_telegram.message_body(USER, "je cherche un stgae")
    fake_telegram.add_update({"message": original})
    await fake_telegram.wait_sent(USER, 1)

    edited = {**original, "text": "je cherche un stage", "edit_date": int(time.time())}
    fake_telegram.add_update({"edited_message": edited})
    fake_telegram.add_update({"edited_message": edited})  # delivered twice
    await fake_telegram.wait_sent(USER, 2)
    await wait_until(lambda: fake_telegram.pending_updates == 0, what="queue drained")
    await asyncio.sleep(0.2)

    assert gateway.texts_from(USER) == ["je cherche un stgae", "je cherche un stage"]
    ids = [i.platform_message_id for i in gateway.received]
    assert ids[1] == f"{original['message_id']}:edit:{edited['edit_date']}"
    assert len(fake_telegram.sent_to(USER)) == 2


async def test_a_5000_character_answer_arrives_in_two_messages(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    long_answer = "Voici ce que je sais sur le CEJ. " * 152  # 5,016 characters
    gateway.answer = lambda _: [Outbound(long_answer)]
    fake_telegram.message(USER, "c'est quoi le CEJ")

    await fake_telegram.wait_sent(USER, 2)

    pieces = [s.text for s in fake_telegram.sent_to(USER)]
    assert all(len(p) <= TELEGRAM_MAX_CHARS for p in pieces)
    assert " ".join(pieces) == long_answer.strip()


async def test_quick_replies_are_an_inline_keyboard_and_a_tap_is_typed_text(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    buttons = (Button("Oui", "/affirm"), Button("Non", "/deny"))
    gateway.answer = lambda i: (
        [Outbound("Tu as moins de 26 ans ?", buttons)] if i.text == "salut" else []
    )
    fake_telegram.message(USER, "salut")
    await fake_telegram.wait_sent(USER, 1)

    markup = fake_telegram.sent_to(USER)[0].reply_markup
    assert markup == {
        "inline_keyboard": [
            [{"text": "Oui", "callback_data": "/affirm"}],
            [{"text": "Non", "callback_data": "/deny"}],
        ]
    }

    fake_telegram.tap(USER, "/affirm")
    await wait_until(lambda: len(gateway.received) == 2, what="the tap")
    await wait_until(lambda: fake_telegram.state.answered_callbacks != [])

    tap = gateway.received[1]
    assert tap.text == "/affirm"
    assert tap.kind is InboundKind.TEXT
    assert tap.platform_message_id is not None
    assert tap.platform_message_id.startswith("button:")


async def test_a_payload_too_long_for_telegram_sends_the_title(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    payload = '/inform{"commune": "' + "Saint-Rémy-de-Provence" * 3 + '"}'
    gateway.answer = lambda _: [Outbound("Tu habites où ?", (Button("Là", payload),))]
    fake_telegram.message(USER, "salut")

    await fake_telegram.wait_sent(USER, 1)

    markup = fake_telegram.sent_to(USER)[0].reply_markup
    assert markup is not None
    assert markup["inline_keyboard"][0][0]["callback_data"] == "Là"


async def test_a_group_gets_a_redirection_and_nothing_reaches_the_gateway(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    group = -100123
    fake_telegram.group_message(USER, group, "on parle de tout et de rien")
    fake_telegram.group_message(USER, group, f"@{BOT_USERNAME} j'ai besoin d'aide")

    await fake_telegram.wait_sent(group, 1)
    await wait_until(lambda: fake_telegram.pending_updates == 0)
    await asyncio.sleep(0.2)

    [redirect] = fake_telegram.sent_to(group)
    assert f"https://t.me/{BOT_USERNAME}" in redirect.text
    assert gateway.received == []


async def test_a_user_who_blocked_the_bot_is_reported_blocked(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    fake_telegram.block(USER)

    result = await gateway.senders[Channel.TELEGRAM].send(
        str(USER), [Outbound("Un conseiller t'a répondu")]
    )

    assert result is DeliveryResult.BLOCKED
    assert fake_telegram.sent_to(USER) == []


async def test_a_push_reaches_the_chat(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    result = await gateway.senders[Channel.TELEGRAM].send(
        str(USER), [Outbound("Coucou, c'est Samia de la Mission Locale")]
    )

    assert result is DeliveryResult.DELIVERED
    assert fake_telegram.sent_to(USER)[0].text.startswith("Coucou, c'est Samia")


async def test_flood_control_is_waited_out_then_the_message_goes(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    fake_telegram.flood(USER, retry_after=1)
    started = time.monotonic()

    result = await gateway.senders[Channel.TELEGRAM].send(str(USER), [Outbound("Ok")])

    assert result is DeliveryResult.DELIVERED
    assert time.monotonic() - started >= 1.0
    assert len(fake_telegram.calls_of("sendMessage")) == 2
    assert [s.text for s in fake_telegram.sent_to(USER)] == ["Ok"]


async def test_chats_are_answered_in_order(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    gateway.delay = 0.05
    for n in range(5):
        fake_telegram.message(USER, f"{n}")
        fake_telegram.message(OTHER_USER, f"{n}")

    await fake_telegram.wait_sent(USER, 5)
    await fake_telegram.wait_sent(OTHER_USER, 5)

    for user in (USER, OTHER_USER):
        assert [s.text for s in fake_telegram.sent_to(user)] == [
            f"echo: {n}" for n in range(5)
        ]


async def test_an_update_the_gateway_could_not_store_is_fetched_again(
    telegram: TelegramConnector, fake_telegram: FakeTelegram, gateway: GatewayDouble
) -> None:
    gateway.fail_times = 1
    fake_telegram.message(USER, "tu es là ?")

    await fake_telegram.wait_sent(USER, 1, timeout=10)

    assert gateway.texts_from(USER) == ["tu es là ?"]


async def test_a_restart_mid_burst_loses_nothing_and_answers_once(
    telegram_factory: TelegramFactory,
    fake_telegram: FakeTelegram,
    gateway: GatewayDouble,
    tmp_path: Path,
) -> None:
    gateway.delay = 0.05
    first = telegram_factory()
    await first.start()
    for n in range(20):
        fake_telegram.message(USER, f"message {n}")
    await wait_until(lambda: len(gateway.received) >= 5, what="the burst to start")

    await first.stop()
    stopped_at = len(gateway.received)
    for n in range(20, 25):
        fake_telegram.message(USER, f"message {n}")
    second = telegram_factory()
    await second.start()

    await fake_telegram.wait_sent(USER, 25, timeout=20)
    await wait_until(lambda: fake_telegram.pending_updates == 0)
    await asyncio.sleep(0.3)

    assert 5 <= stopped_at < 25
    assert gateway.texts_from(USER) == [f"message {n}" for n in range(25)]
    sent = [s.text for s in fake_telegram.sent_to(USER)]
    assert sent == [f"echo: message {n}" for n in range(25)]
    saved = json.loads((tmp_path / "telegram-offset.json").read_text())
    assert saved["offset"] == fake_telegram.confirmed_below


async def test_the_offset_file_survives_a_restart_without_replay(
    telegram_factory: TelegramFactory,
    fake_telegram: FakeTelegram,
    gateway: GatewayDouble,
) -> None:
    first = telegram_factory()
    await first.start()
    last = fake_telegram.message(USER, "un")
    await fake_telegram.wait_sent(USER, 1)
    await first.stop()

    second = telegram_factory()
    await second.start()
    await wait_until(lambda: len(fake_telegram.calls_of("getUpdates")) >= 3)

    offsets = [c.get("offset") for c in fake_telegram.calls_of("getUpdates")]
    assert offsets[-1] == str(last + 1)
    assert len(fake_telegram.sent_to(USER)) == 1


def test_webhook_mode_needs_a_secret(
    telegram_factory: TelegramFactory,
) -> None:
    with pytest.raises(TelegramConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        telegram_factory(mode="webhook")


async def test_a_webhook_call_with_a_wrong_or_no_secret_gets_401_and_does_nothing(
    telegram_factory: TelegramFactory,
    fake_telegram: FakeTelegram,
    gateway: GatewayDouble,
) -> None:
    connector = telegram_factory(mode="webhook", webhook_secret=SECRET)
    await connector.start()
    app = Starlette(routes=connector.routes)
    update = {"update_id": 1, "message": fake_telegram.message_body(USER, "salut")}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bot"
    ) as client:
        wrong = await client.post(
            "/telegram/webhook", json=update, headers={WEBHOOK_SECRET_HEADER: "nope"}
        )
        missing = await client.post("/telegram/webhook", json=update)
        right = await client.post(
            "/telegram/webhook", json=update, headers={WEBHOOK_SECRET_HEADER: SECRET}
        )

    assert wrong.status_code == 401
    assert missing.status_code == 401
    assert right.status_code == 200
    assert gateway.texts_from(USER) == ["salut"]
    assert [s.text for s in fake_telegram.sent_to(USER)] == ["echo: salut"]


async def test_a_webhook_answers_500_when_the_update_cannot_be_stored(
    telegram_factory: TelegramFactory,
    fake_telegram: FakeTelegram,
    gateway: GatewayDouble,
) -> None:
    connector = telegram_factory(mode="webhook", webhook_secret=SECRET)
    await connector.start()
    gateway.fail_times = 1
    app = Starlette(routes=connector.routes)
    update = {"update_id": 1, "message": fake_telegram.message_body(USER, "salut")}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bot"
    ) as client:
        response = await client.post(
            "/telegram/webhook", json=update, headers={WEBHOOK_SECRET_HEADER: SECRET}
        )

    assert response.status_code == 500
    assert fake_telegram.sent_to(USER) == []


async def test_webhook_mode_registers_the_webhook_with_its_secret(
    telegram_factory: TelegramFactory, fake_telegram: FakeTelegram
) -> None:
    connector = telegram_factory(
        mode="webhook",
        webhook_secret=SECRET,
        webhook_url="https://maraude.example/hooks/telegram",
    )
    await connector.start()

    [call] = fake_telegram.calls_of("setWebhook")
    assert call["url"] == "https://maraude.example/hooks/telegram"
    assert call["secret_token"] == SECRET
    assert [route.path for route in connector.routes] == ["/hooks/telegram"]  # type: ignore[attr-defined]


async def test_polling_removes_a_leftover_webhook(
    telegram: TelegramConnector, fake_telegram: FakeTelegram
) -> None:
    assert fake_telegram.calls_of("deleteWebhook")
    assert telegram.routes == []


async def test_a_crash_mid_burst_loses_nothing_and_answers_once(
    telegram_factory: TelegramFactory,
    fake_telegram: FakeTelegram,
    gateway: GatewayDouble,
) -> None:
    gateway.delay = 0.05
    first = telegram_factory()
    await first.start()
    for n in range(20):
        fake_telegram.message(USER, f"message {n}")
    await wait_until(lambda: len(gateway.received) >= 5, what="the burst to start")

    await first.stop(timeout=0)  # cut mid-batch: no offset saved for it
    second = telegram_factory()
    await second.start()

    await wait_until(lambda: fake_telegram.pending_updates == 0, timeout=20)
    await wait_until(lambda: len(gateway.received) == 20)
    await asyncio.sleep(0.3)

    assert gateway.texts_from(USER) == [f"message {n}" for n in range(20)]
    sent = [s.text for s in fake_telegram.sent_to(USER)]
    assert len(sent) == len(set(sent))


def test_an_unreadable_offset_file_stops_the_start_with_a_clear_message(
    tmp_path: Path,
) -> None:
    path = tmp_path / "telegram-offset.json"
    path.write_text("{not json")

    with pytest.raises(OffsetFileError, match="delete it"):
        OffsetStore(path).load()


async def test_the_webhook_receives_what_telegram_posts(
    telegram_factory: TelegramFactory,
    fake_telegram: FakeTelegram,
    gateway: GatewayDouble,
) -> None:
    port = _free_port()
    connector = telegram_factory(
        mode="webhook",
        webhook_secret=SECRET,
        webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
    )
    app = Starlette()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    try:
        await connector.start()
        app.router.routes.extend(connector.routes)  # as the bot service does
        fake_telegram.message(USER, "salut")
        fake_telegram.sticker(USER)

        await fake_telegram.wait_sent(USER, 2)
    finally:
        server.should_exit = True
        await serving

    assert [s.text for s in fake_telegram.sent_to(USER)] == ["echo: salut", "[sticker]"]
    assert fake_telegram.pending_updates == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
