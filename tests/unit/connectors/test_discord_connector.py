"""The Discord connector, running real discord.py against the fake."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.messages import Button, Channel, InboundKind, Outbound
from connectors.base import DeliveryResult
from connectors.discord import MESSAGE_CONTENT_HELP, DiscordConnector
from connectors.text import DISCORD_MAX_CHARS
from connectors.wording import load_texts
from tests.fakes._server import wait_until
from tests.fakes.discord_server import MESSAGE_CONTENT_INTENT, FakeDiscord
from tests.fakes.gateway import GatewayDouble

USER = 300_000_000_000_000_001
OTHER_USER = 300_000_000_000_000_002
EPHEMERAL = 1 << 6

DiscordFactory = Callable[..., Awaitable[DiscordConnector]]
TEXTS = load_texts()


async def test_a_direct_message_is_answered_in_the_dm(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    fake_discord.dm(USER, "slt, jsuis en galère pour trouver un taf")
    dm = fake_discord.dm_channel_of(USER)

    await fake_discord.wait_sent(dm, 1)

    inbound = gateway.received[0]
    assert inbound.channel is Channel.DISCORD
    assert inbound.user_id == str(USER)
    assert inbound.address == str(dm)
    assert inbound.text == "slt, jsuis en galère pour trouver un taf"
    [sent] = fake_discord.sent_to(dm)
    assert sent.content == "echo: slt, jsuis en galère pour trouver un taf"
    assert sent.allowed_mentions == {"parse": []}


async def test_typing_is_shown_while_the_gateway_works(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    gateway.delay = 0.3
    fake_discord.dm(USER, "salut")
    dm = fake_discord.dm_channel_of(USER)

    await fake_discord.wait_sent(dm, 1)

    assert dm in fake_discord.state.typing


async def test_a_sticker_reaches_the_gateway_as_a_sticker(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    fake_discord.dm(
        USER, "", sticker_items=[{"id": "1", "name": "coucou", "format_type": 1}]
    )

    await fake_discord.wait_sent(fake_discord.dm_channel_of(USER), 1)

    assert gateway.received[0].kind is InboundKind.STICKER
    assert gateway.received[0].text is None


async def test_a_voice_message_reaches_the_gateway_as_voice(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    voice = {
        "id": "1",
        "filename": "voice-message.ogg",
        "size": 9000,
        "url": "https://cdn.example/v.ogg",
        "proxy_url": "https://cdn.example/v.ogg",
        "content_type": "audio/ogg",
        "duration_secs": 3.2,
        "waveform": "AAAA",
    }
    fake_discord.dm(USER, "", attachments=[voice], flags=1 << 13)

    await fake_discord.wait_sent(fake_discord.dm_channel_of(USER), 1)

    assert gateway.received[0].kind is InboundKind.VOICE


async def test_a_picture_with_words_is_read_as_text(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    picture = {
        "id": "2",
        "filename": "photo.png",
        "size": 9000,
        "url": "https://cdn.example/p.png",
        "proxy_url": "https://cdn.example/p.png",
        "content_type": "image/png",
    }
    fake_discord.dm(USER, "regarde ma lettre de motiv", attachments=[picture])

    await fake_discord.wait_sent(fake_discord.dm_channel_of(USER), 1)

    inbound = gateway.received[0]
    assert inbound.kind is InboundKind.TEXT
    assert inbound.text == "regarde ma lettre de motiv"
    assert inbound.metadata == {"attachment": "photo"}


async def test_a_5000_character_answer_is_split_under_2000(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    long_answer = "Voici ce que je sais sur le CEJ. " * 152
    gateway.answer = lambda _: [Outbound(long_answer)]
    fake_discord.dm(USER, "c'est quoi le CEJ")
    dm = fake_discord.dm_channel_of(USER)

    await fake_discord.wait_sent(dm, 3)

    pieces = [m.content for m in fake_discord.sent_to(dm)]
    assert all(len(p) <= DISCORD_MAX_CHARS for p in pieces)
    assert " ".join(pieces) == long_answer.strip()


async def test_answers_cannot_ping_or_format(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    gateway.answer = lambda _: [Outbound("Salut @everyone, **regarde** ça")]
    fake_discord.dm(USER, "salut")
    dm = fake_discord.dm_channel_of(USER)

    await fake_discord.wait_sent(dm, 1)

    content = fake_discord.sent_to(dm)[0].content
    assert "@everyone" not in content
    assert "\\*\\*regarde\\*\\*" in content


async def test_an_edited_dm_is_handled_once(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    original = fake_discord.dm(USER, "je cherche un stgae")
    dm = fake_discord.dm_channel_of(USER)
    await fake_discord.wait_sent(dm, 1)

    edited = fake_discord.edit(original, "je cherche un stage")
    fake_discord.dispatch("MESSAGE_UPDATE", edited)  # the same edit, again
    await fake_discord.wait_sent(dm, 2)
    await asyncio.sleep(0.3)

    assert gateway.texts_from(USER) == ["je cherche un stgae", "je cherche un stage"]
    assert len(fake_discord.sent_to(dm)) == 2


async def test_a_server_message_that_does_not_call_the_bot_is_ignored(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    fake_discord.server_message(USER, "quelqu'un joue ce soir ?")
    fake_discord.dm(OTHER_USER, "salut")  # a marker: handled after the first

    await fake_discord.wait_sent(fake_discord.dm_channel_of(OTHER_USER), 1)

    assert gateway.texts_from(USER) == []
    assert fake_discord.sent_to(fake_discord.channel_id) == []


async def test_a_mention_in_a_server_is_answered_in_private_only(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    fake_discord.server_message(USER, "je me sens pas bien", mention_bot=True)
    dm = fake_discord.dm_channel_of(USER)

    await fake_discord.wait_sent(fake_discord.channel_id, 1)

    inbound = gateway.received[0]
    assert inbound.text == "je me sens pas bien"
    assert inbound.address == str(dm)
    assert [m.content for m in fake_discord.sent_to(dm)] == [
        "echo: je me sens pas bien"
    ]
    [public] = fake_discord.sent_to(fake_discord.channel_id)
    assert public.content == TEXTS.moved_to_private
    assert "pas bien" not in public.content


async def test_a_mention_from_someone_with_closed_dms_gets_a_public_hint(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    fake_discord.block(USER)
    fake_discord.server_message(USER, "coucou", mention_bot=True)

    await fake_discord.wait_sent(fake_discord.channel_id, 1)

    [public] = fake_discord.sent_to(fake_discord.channel_id)
    assert public.content == TEXTS.private_closed


async def test_the_slash_command_answers_in_private_and_says_so_privately(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    await wait_until(lambda: fake_discord.state.commands != [], what="sync")
    interaction = fake_discord.slash(USER, "j'ai besoin d'aide pour mon CV")
    dm = fake_discord.dm_channel_of(USER)

    await fake_discord.wait_sent(dm, 1)
    await wait_until(lambda: fake_discord.state.followups != [])

    [deferred] = fake_discord.replies_to(interaction)
    assert deferred.type == 5  # "thinking…"
    assert deferred.data.get("flags", 0) & EPHEMERAL
    assert gateway.texts_from(USER) == ["j'ai besoin d'aide pour mon CV"]
    [followup] = fake_discord.state.followups
    assert followup["content"] == TEXTS.moved_to_private
    assert followup["flags"] & EPHEMERAL
    assert fake_discord.sent_to(fake_discord.channel_id) == []


async def test_quick_replies_are_buttons_and_a_tap_is_typed_text(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    buttons = (Button("Oui", "/affirm"), Button("Non", "/deny"))
    gateway.answer = lambda i: (
        [Outbound("Tu as moins de 26 ans ?", buttons)] if i.text == "salut" else []
    )
    fake_discord.dm(USER, "salut")
    dm = fake_discord.dm_channel_of(USER)
    await fake_discord.wait_sent(dm, 1)

    [question] = fake_discord.sent_to(dm)
    [row] = question.components
    assert [(b["label"], b["custom_id"]) for b in row["components"]] == [
        ("Oui", "maraude:/affirm"),
        ("Non", "maraude:/deny"),
    ]

    tap = fake_discord.click(USER, question, "maraude:/affirm")
    await wait_until(lambda: len(gateway.received) == 2, what="the tap")

    assert gateway.received[1].text == "/affirm"
    assert gateway.received[1].platform_message_id == f"button:{tap}"
    [update] = fake_discord.replies_to(tap)
    assert update.type == 7  # the message is updated: buttons removed
    assert update.data["components"] == []


async def test_a_button_sent_before_a_restart_still_works(
    discord_factory: DiscordFactory, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    gateway.answer = lambda i: (
        [Outbound("Tu es mineur ?", (Button("Oui", "/affirm"),))]
        if i.text == "salut"
        else []
    )
    first = await discord_factory()
    fake_discord.dm(USER, "salut")
    dm = fake_discord.dm_channel_of(USER)
    await fake_discord.wait_sent(dm, 1)
    await first.stop()

    await discord_factory()
    fake_discord.click(USER, fake_discord.sent_to(dm)[0], "maraude:/affirm")

    await wait_until(lambda: len(gateway.received) == 2, what="the tap")
    assert gateway.received[1].text == "/affirm"


async def test_a_user_who_blocked_the_bot_is_reported_blocked(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    dm = fake_discord.dm_channel_of(USER)
    fake_discord.block(USER)

    result = await gateway.senders[Channel.DISCORD].send(
        str(dm), [Outbound("Un conseiller t'a répondu")]
    )

    assert result is DeliveryResult.BLOCKED
    assert fake_discord.sent_to(dm) == []


async def test_a_rate_limit_is_waited_out_then_the_message_goes(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    dm = fake_discord.dm_channel_of(USER)
    fake_discord.rate_limit_next(dm, retry_after=0.5)

    result = await gateway.senders[Channel.DISCORD].send(str(dm), [Outbound("Ok")])

    assert result is DeliveryResult.DELIVERED
    assert [m.content for m in fake_discord.sent_to(dm)] == ["Ok"]
    posts = [r for r in fake_discord.state.requests if r[1].endswith("/messages")]
    assert len(posts) == 2


async def test_a_message_the_gateway_could_not_store_is_asked_again(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    gateway.fail_times = 1
    fake_discord.dm(USER, "t'es là ?")
    dm = fake_discord.dm_channel_of(USER)

    await fake_discord.wait_sent(dm, 1)

    assert fake_discord.sent_to(dm)[0].content.startswith("Oups")


async def test_without_the_message_content_intent_dms_still_work(
    discord_factory: DiscordFactory,
    fake_discord: FakeDiscord,
    gateway: GatewayDouble,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_discord.grant_message_content = False

    with caplog.at_level(logging.WARNING, logger="connectors.discord.connector"):
        await discord_factory()
    fake_discord.dm(USER, "salut")
    await fake_discord.wait_sent(fake_discord.dm_channel_of(USER), 1)

    first, second = fake_discord.state.identifies
    assert first & MESSAGE_CONTENT_INTENT
    assert not second & MESSAGE_CONTENT_INTENT
    hints = [r for r in caplog.records if r.msg == MESSAGE_CONTENT_HELP]
    assert len(hints) == 1
    assert "Developer Portal" in hints[0].getMessage()


async def test_the_connection_comes_back_after_a_network_cut(
    discord_bot: DiscordConnector, fake_discord: FakeDiscord, gateway: GatewayDouble
) -> None:
    connections = fake_discord.state.connections
    fake_discord.disconnect_all()

    await wait_until(
        lambda: fake_discord.state.connections > connections and fake_discord.connected,
        timeout=20,
        what="the reconnection",
    )

    fake_discord.dm(USER, "re")
    await fake_discord.wait_sent(fake_discord.dm_channel_of(USER), 1)


async def test_dms_sent_while_the_bot_was_away_are_answered_in_order(
    discord_factory: DiscordFactory,
    fake_discord: FakeDiscord,
    gateway: GatewayDouble,
    tmp_path: Path,
) -> None:
    cursors = tmp_path / "discord-dm-cursors.json"
    first = await discord_factory(cursor_path=cursors)
    fake_discord.dm(USER, "un")
    dm = fake_discord.dm_channel_of(USER)
    await fake_discord.wait_sent(dm, 1)
    await first.stop()
    await wait_until(lambda: not fake_discord.connected, what="the session closed")

    fake_discord.dm(USER, "deux")
    fake_discord.dm(USER, "trois")
    await wait_until(lambda: len(fake_discord.state.dropped_events) == 2)
    await discord_factory(cursor_path=cursors)

    await fake_discord.wait_sent(dm, 3)
    assert gateway.texts_from(USER) == ["un", "deux", "trois"]
    assert [m.content for m in fake_discord.sent_to(dm)] == [
        "echo: un",
        "echo: deux",
        "echo: trois",
    ]
