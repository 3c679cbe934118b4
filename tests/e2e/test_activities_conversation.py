"""Activities end to end, through the web chat API against the real stack.

A young person in Lille who likes football and music gets fitting ideas
(local ones included), "pas pour moi" gets different ones, and choosing one
gives a next step and the check-back question. The follow-up itself is
tested with the follow-ups.

The local entries come from a folder passed through
MARAUDE_ACTIVITIES_LOCAL_DIR, as staff would add them: the test Lille file,
plus a broken file that must be skipped without harm. The communes of the
test fixtures are imported so that "Lille" gets its INSEE code.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.db.engine import create_engine_for
from bot.identity import pseudonym
from bot.messages import Channel
from bot.orientation.importer import run_import
from bot.orientation.sources import SourceFiles
from tests.e2e.conftest import WebchatUser
from tests.e2e.stack import Stack
from tests.e2e.test_situation_conversations import asks, profile_of, texts
from tests.unit.activities.test_catalogue import BROKEN, LOCAL

ORIENTATION_FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "orientation"

CHECK_BACK = "Je peux revenir vers toi dans quelques jours"
ASK_LIKES = "qu'est-ce que tu kiffes faire ?"
NONE_LEFT = "j'ai plus d'autres idées"
# What a counsellor would accept first for them (as in the benchmark).
FIT_FOOT_AND_MUSIC_IN_LILLE = {
    "test-lille-foot-salle",
    "test-nord-beatmaking",
    "club-foot",
    "pass-sport",
    "service-civique",
    "mediatheque",
}
CHOOSE = re.compile(r'^/choose_activity\{"activity_id":"([a-z0-9-]+)"\}$')


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The real stack with a local activities folder and the test communes."""
    local = tmp_path_factory.mktemp("activities")
    shutil.copy(LOCAL / "lille.yml", local / "lille.yml")
    shutil.copy(BROKEN / "bad.yml", local / "bad.yml")
    stack = Stack.create(
        tmp_path_factory.mktemp("stack-activities"),
        extra_env={"MARAUDE_ACTIVITIES_LOCAL_DIR": str(local)},
    )
    engine = create_engine_for(stack.settings.database_url)
    run_import(engine, SourceFiles.discover(ORIENTATION_FIXTURES))
    engine.dispose()
    stack.start()
    try:
        stack.wait_healthy()
        yield stack
    finally:
        stack.close()


def ideas(messages: list[dict[str, Any]]) -> dict[str, str]:
    """The ids of the ideas shown, with the text of each."""
    found = {}
    for message in messages:
        for button in message.get("buttons") or []:
            if match := CHOOSE.match(button["payload"]):
                found[match.group(1)] = message["text"]
    return found


def test_lille_foot_and_music_gets_fitting_ideas_others_then_a_next_step(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("wesh")
    assert asks(young.say("on fait le point ?"), "age")
    assert asks(
        young.say("g 19 ans jsuis sur lille et jfais rien depuis 6 mois"), "diploma"
    )
    assert asks(young.say("g arrêté en 1ère"), "needs")
    assert asks(young.say("du taf surtout"), "interests")
    young.say("le foot et la musique")
    assert profile_of(stack, young)["place_code"] == "59350"

    first = young.say("t'as des idées de trucs à faire ?")

    shown = ideas(first)
    assert 2 <= len(shown) <= 3
    assert set(shown) <= FIT_FOOT_AND_MUSIC_IN_LILLE
    assert next(iter(shown)) == "test-lille-foot-salle"  # local and about foot
    assert "tu m'as dit que tu kiffes la musique" in texts(first)
    foot = shown["test-lille-foot-salle"]
    assert "Foot en salle du mercredi" in foot
    assert "tu m'as dit que tu kiffes le foot" in foot
    assert "Gratuit" in foot
    assert "aller au foot en salle mercredi à 18 h" in foot
    assert "Pas pour moi" in str(first[-1].get("buttons"))

    second = young.say("/not_for_me")

    more = ideas(second)
    assert len(more) >= 2
    assert not set(more) & set(shown)
    assert "test-roubaix-boxe" not in more  # local to Roubaix
    assert "test-lille-ended" not in more  # ended

    chosen = next(iter(more))
    end = young.say(f'/choose_activity{{"activity_id":"{chosen}"}}')

    said = texts(end)
    assert "Un petit pas pour cette semaine" in said
    assert CHECK_BACK in said
    profile = profile_of(stack, young)
    assert profile["activity_chosen"] == chosen
    assert set(profile["activities_shown"]) == set(shown) | set(more)


def test_typed_all_the_way_asks_what_they_like_then_never_repeats_itself(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("salut")

    assert ASK_LIKES in texts(young.say("jm'ennuie grave"))
    first = ideas(young.say("le dessin"))
    assert "pass-culture" in first
    assert "tu m'as dit que tu kiffes le dessin" in first["pass-culture"]

    seen = set(first)
    for _ in range(10):
        answer = young.say("pas pour moi")
        batch = ideas(answer)
        if not batch:
            assert NONE_LEFT in texts(answer)
            assert "/request_human" in str(answer[-1].get("buttons"))
            # "Non merci" to the counsellor offer is not another round.
            assert NONE_LEFT not in texts(young.say("/deny"))
            break
        assert not batch.keys() & seen
        seen |= batch.keys()
    else:
        pytest.fail("the ideas never ran out")

    end = young.say("celui-là me tente")
    assert "Lequel te tente" in texts(end)


def test_a_broken_local_file_is_skipped_and_logged_not_shown(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("des activités ?")
    young.say('/inform{"interest": "sport"}')

    log = stack.log_text("actions")
    assert "Local activities file skipped" in log
    assert "bad.yml" in log
    conversation_id = pseudonym(
        stack.settings.secret_key(), Channel.WEBCHAT, young.sender_id
    )
    path = stack.settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT profile FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
    assert "test-bad-place" not in json.loads(row[0]).get("activities_shown", [])
