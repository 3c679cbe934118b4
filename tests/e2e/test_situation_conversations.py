"""Ten conversations typed the way young people type, through the web chat API.

Each one ends by checking the profile stored with the conversation in the app
database: what the counsellor will see. They run against the real stack
(Rasa, action server, bot service), so the NLU model, the form, the rules and
the actions are all exercised together.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

from bot.identity import pseudonym
from bot.messages import Channel
from tests.e2e.conftest import WebchatUser
from tests.e2e.stack import Stack

SUMMARY = "Voilà ce que j'ai retenu"
QUESTIONS = {
    "age": "T'as quel âge",
    "status": "tu fais quoi",
    "status_since": "combien de temps",
    "diploma": "T'as eu un diplôme",
    "place": "Tu habites où",
    "needs": "besoin de quoi",
    "interests": "qu'est-ce que tu kiffes",
}


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(message.get("text") or "") for message in messages)


def asks(messages: list[dict[str, Any]], question: str) -> bool:
    return QUESTIONS[question] in texts(messages)


def asks_nothing(messages: list[dict[str, Any]]) -> bool:
    said = texts(messages)
    return not any(question in said for question in QUESTIONS.values())


def profile_of(stack: Stack, young: WebchatUser) -> dict[str, Any]:
    conversation_id = pseudonym(
        stack.settings.secret_key(), Channel.WEBCHAT, young.sender_id
    )
    path = stack.settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT profile FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
    assert row is not None, "the conversation was not stored"
    profile: dict[str, Any] = json.loads(row[0])
    return profile


def age_born_in(year: int) -> int:
    """What the bot computes from a birth year alone (see situation_answers)."""
    today = date.today()
    return today.year - year - (1 if today.month < 7 else 0)


def test_everything_at_once_then_the_rest_one_by_one(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("wesh")

    first = young.say("g 19 ans jsuis sur roubaix et jfais rien depuis l'été dernier")
    assert asks(first, "diploma")
    assert asks(young.say("g arrêté en 1ère"), "needs")
    assert asks(young.say("du taf surtout"), "interests")
    end = young.say("le foot et les jeux vidéo")

    assert SUMMARY in texts(end)
    profile = profile_of(stack, young)
    assert profile["age"] == 19
    assert profile["is_minor"] is False
    assert profile["status"] == "nothing"
    assert profile["status_since"] == "l'été dernier"
    assert (profile["last_class"], profile["diploma"]) == ("1re", "none")
    assert profile["place"].lower() == "roubaix"
    assert profile["needs"] == ["job"]
    assert profile["interests"] == ["sport", "gaming"]


def test_a_minor_answers_with_buttons_and_jsp(stack: Stack, young: WebchatUser) -> None:
    young.say("slt")

    assert asks(young.say("on fait le point ?"), "age")
    assert asks(young.say("16"), "status")
    assert asks(young.say('/inform{"status": "nothing"}'), "status_since")
    assert asks(young.say("chépa genre 3 mois"), "diploma")
    assert asks(young.say("juste le brevet"), "place")
    assert asks(young.say("59100"), "needs")
    assert asks(young.say("jsp"), "interests")
    end = young.say("dessiner des mangas")

    said = texts(end)
    assert SUMMARY in said
    assert "16 et 17 ans" in said  # the right to be helped, said kindly
    profile = profile_of(stack, young)
    assert (profile["age"], profile["is_minor"], profile["minor_16_17"]) == (
        16,
        True,
        True,
    )
    assert profile["status"] == "nothing"
    assert profile["status_since_months"] == 3
    assert (profile["last_class"], profile["diploma"]) == ("brevet", "none")
    assert profile["place"] == "59100"
    assert profile["needs"] == ["unsure"]
    assert "art" in profile["interests"]


def test_refusals_and_why_are_respected(stack: Stack, young: WebchatUser) -> None:
    young.say("slt")
    young.say("/start_situation")

    why = young.say("pk tu veux savoir mon age")
    assert "16-25 ans" in texts(why)
    assert asks(why, "age")  # the same question again, after the honest answer
    assert asks(young.say("passe"), "status")
    assert asks(young.say("je taf au kfc"), "diploma")
    assert asks(young.say("jprefere pas dire"), "place")
    assert asks(young.say("Tourcoing"), "needs")
    assert asks(young.say("un appart"), "interests")
    assert SUMMARY in texts(young.say("la muscu"))

    profile = profile_of(stack, young)
    assert profile["age"] is None
    assert profile["skipped"] == ["age", "diploma"]
    assert profile["status"] == "job"
    assert profile["status_since"] is None  # not asked of someone who works
    assert profile["place"] == "Tourcoing"
    assert profile["needs"] == ["housing"]
    assert profile["interests"] == ["sport"]


def test_a_correction_is_taken_and_said_back(stack: Stack, young: WebchatUser) -> None:
    young.say("on fait le point")
    young.say("18")
    assert asks(young.say("en alternance"), "diploma")

    corrected = young.say("nan attends j'ai 17 ans en vrai")
    assert "je corrige : 17 ans" in texts(corrected)
    assert asks(corrected, "diploma")
    assert asks(young.say("cap"), "place")
    assert asks(young.say("j'habite à Saint-Étienne"), "needs")
    assert asks(young.say("le permis"), "interests")
    assert SUMMARY in texts(young.say("la mécanique"))

    profile = profile_of(stack, young)
    assert profile["age"] == 17
    assert profile["status"] == "apprenticeship"
    assert profile["diploma"] == "cap_bep"
    assert profile["place"] == "Saint-Étienne"
    assert profile["needs"] == ["mobility"]
    assert profile["interests"] == ["mechanics"]


def test_stop_really_stops_until_they_come_back(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("on fait le point")
    young.say("21")

    stopped = young.say("stop")
    assert "j'arrête les questions" in texts(stopped)
    assert asks_nothing(stopped)
    assert asks_nothing(young.say("t'es un bot ?"))
    noted = young.say("je cherche du taf")
    assert asks_nothing(noted)
    assert profile_of(stack, young)["status"] == "job_seeker"

    assert asks(young.say("on reprend"), "status_since")
    assert asks(young.say("ça fait 1 an"), "diploma")
    assert asks(young.say("bac pro"), "place")
    # "je cherche du taf" already said what they need: not asked again.
    assert asks(young.say("lyon 8"), "interests")
    assert SUMMARY in texts(young.say("musique"))

    profile = profile_of(stack, young)
    assert profile["age"] == 21
    assert profile["status"] == "job_seeker"
    assert profile["status_since_months"] == 12
    assert (profile["last_class"], profile["diploma"]) == ("bac_pro", "bac")
    assert profile["place"] == "lyon 8"
    assert profile["needs"] == ["job"]
    assert profile["interests"] == ["music"]


def test_interruptions_get_answers_and_the_question_comes_back(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("on fait le point")

    cost = young.say("c gratuit ?")
    assert "gratuit" in texts(cost)
    assert asks(cost, "age")
    privacy = young.say("qui voit ce que j'écris ?")
    assert "conseillers" in texts(privacy)
    assert asks(privacy, "age")
    assert asks(young.say("ok 20 ans"), "status")
    insult = young.say("tg")
    assert asks(insult, "status")
    assert asks(young.say("je fais rien"), "status_since")
    assert asks(young.say("deux ans"), "diploma")
    assert asks(young.say("aucun diplome"), "place")
    assert asks(young.say("Marseille 13e"), "needs")
    assert asks(young.say("un logement"), "interests")
    assert SUMMARY in texts(young.say("les animaux 🐶"))

    profile = profile_of(stack, young)
    assert profile["age"] == 20
    assert profile["status"] == "nothing"
    assert profile["status_since_months"] == 24
    assert (profile["last_class"], profile["diploma"]) == (None, "none")
    assert profile["place"] == "Marseille 13e"
    assert profile["needs"] == ["housing"]
    assert profile["interests"] == ["animals"]


def test_another_language_first_then_french(stack: Stack, young: WebchatUser) -> None:
    english = young.say("hello do you speak english")
    assert "only speak French" in texts(english)
    spanish = young.say("hola, necesito ayuda")
    assert "solo hablo francés" in texts(spanish)

    assert asks(young.say("ok jvais essayer en français. jai 23 ans"), "status")
    assert asks(young.say("je suis en formation"), "diploma")
    assert asks(young.say("j'ai le bac"), "place")
    assert asks(young.say("Créteil"), "needs")
    assert asks(young.say("une formation"), "interests")
    assert SUMMARY in texts(young.say("la cuisine"))

    profile = profile_of(stack, young)
    assert profile["age"] == 23
    assert profile["status"] == "training"
    assert profile["diploma"] == "bac"
    assert profile["place"] == "Créteil"
    assert profile["needs"] == ["training"]
    assert profile["interests"] == ["cooking"]


def test_birth_year_and_a_class_that_says_the_status(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("coucou")
    young.say("on fait le point stp")

    assert asks(young.say("chui née en 2008"), "status")
    # At school in terminale: the status, the class and the diploma at once.
    assert asks(young.say("au lycée en terminale"), "place")
    assert asks(young.say("93200 saint denis"), "needs")
    assert asks(young.say("jsp trop"), "interests")
    assert SUMMARY in texts(young.say("la danse et tiktok"))

    profile = profile_of(stack, young)
    assert profile["age"] == age_born_in(2008)
    assert profile["age_from_birth_year"] is True
    assert profile["status"] == "school"
    assert (profile["last_class"], profile["diploma"]) == ("terminale", "none")
    assert "93200" in profile["place"] or "saint denis" in profile["place"].lower()
    assert profile["needs"] == ["unsure"]
    assert profile["interests"] == ["dance", "media"]


def test_one_long_message_answers_everything(stack: Stack, young: WebchatUser) -> None:
    young.say("on fait le point")

    end = young.say(
        "jai 24 ans jsuis au chomage depuis 6 mois, jai un bts, j'habite a Nantes, "
        "j'ai besoin d'argent et jkiffe le basket"
    )

    assert SUMMARY in texts(end)
    profile = profile_of(stack, young)
    assert profile["age"] == 24
    assert profile["status"] == "job_seeker"
    assert profile["status_since"] == "6 mois"
    assert (profile["last_class"], profile["diploma"]) == ("higher", "higher")
    assert profile["place"] == "Nantes"
    assert profile["needs"] == ["money"]
    assert profile["interests"] == ["sport"]


def test_leaving_mid_way_and_resuming_later(stack: Stack, young: WebchatUser) -> None:
    young.say("on fait le point")
    young.say("17 piges")

    bye = young.say("bon jdois y aller a+")
    assert asks_nothing(bye)
    back = young.say("re")
    assert asks_nothing(back)
    assert any(b["payload"] == "/start_situation" for b in back[-1].get("buttons", []))

    resumed = young.say("/start_situation")
    assert "On reprend" in texts(resumed)
    assert asks(resumed, "status")
    assert asks(young.say("je fais des petits boulots"), "diploma")
    assert asks(young.say("j'ai arrêté en 3e"), "place")
    assert asks(young.say("jsuis vers Amiens"), "needs")
    assert asks(young.say("de l'argent"), "interests")
    assert SUMMARY in texts(young.say("le rap"))

    profile = profile_of(stack, young)
    assert (profile["age"], profile["is_minor"]) == (17, True)
    assert profile["status"] == "job"
    assert (profile["last_class"], profile["diploma"]) == ("3e", "none")
    assert profile["place"] == "Amiens"
    assert profile["needs"] == ["money"]
    assert profile["interests"] == ["music"]
