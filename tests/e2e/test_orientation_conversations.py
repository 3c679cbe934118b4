"""Where to go: whole conversations through the web chat API, on the real stack.

The stack's database holds the orientation fixtures (tests/fixtures/orientation,
imported by ``Stack.create``): Roubaix, Marseille and Lyon are in the coverage
sample; Saint-Étienne (42) is not, so its department's Missions Locales are
listed instead.
"""

from __future__ import annotations

from typing import Any

import pytest

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
MAX_QUESTIONS = len(QUESTIONS)
# Scheme names as data/orientation/schemes.yml writes them.
OBLIGATION = "Obligation de formation"
CEJ = "Contrat d'engagement jeune (CEJ)"
E2C = "École de la deuxième chance (E2C)"
EPIDE = "EPIDE :"
CIVIC = "Service Civique"
FRANCE_TRAVAIL = "France Travail :"
CHOICE = "Et maintenant, je fais quoi pour toi ?"


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(message.get("text") or "") for message in messages)


def payloads(messages: list[dict[str, Any]]) -> list[str]:
    return [
        str(button["payload"])
        for message in messages
        for button in message.get("buttons") or []
    ]


def answer_the_questions(
    young: WebchatUser, reply: list[dict[str, Any]], answers: dict[str, str]
) -> list[dict[str, Any]]:
    """Answers whatever the situation questions ask, until the summary."""
    for _ in range(MAX_QUESTIONS):
        said = texts(reply)
        if SUMMARY in said:
            return reply
        asked = [slot for slot, question in QUESTIONS.items() if question in said]
        assert asked, f"expected a question or the summary, got: {said}"
        reply = young.say(answers[asked[0]])
    pytest.fail("the questions never ended")


def schemes_said(messages: list[dict[str, Any]]) -> str:
    said = [m["text"] for m in messages if "pourrait te correspondre" in m["text"]]
    assert said, f"no schemes said in: {texts(messages)}"
    return str(said[0])


def test_a_17_year_old_who_left_school_in_roubaix(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("slt")

    first = young.say("j'ai 17 ans j'ai arrêté le lycée, je suis à roubaix")
    end = answer_the_questions(
        young,
        first,
        {
            "status": "rien en ce moment",
            "status_since": "depuis la rentrée",
            "diploma": "juste le brevet",
            "needs": "jsp",
            "interests": "le foot",
        },
    )

    said = texts(end)
    assert "Ta Mission Locale : Mission Locale Roubaix" in said
    assert "92 avenue Jean Baptiste Lebas, 59100 Roubaix" in said
    assert "openstreetmap.org" in said
    assert "gratuit" in said
    schemes = schemes_said(end)
    assert OBLIGATION in schemes
    assert CEJ in schemes
    assert "224,68" in schemes
    assert "561,68" not in schemes
    assert "l'accord d'un parent" in schemes  # Service Civique at 17
    assert CHOICE in said
    assert {"/request_human", "/ask_reminder", "/deny"} <= set(payloads(end))

    nothing = young.say("/deny")
    assert "Rien ne presse" in texts(nothing)


def test_a_22_year_old_without_diploma_in_marseille_who_needs_money(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("wesh")
    young.say("on fait le point")

    end = answer_the_questions(
        young,
        young.say("22"),
        {
            "status": "je fais rien",
            "status_since": "un an",
            "diploma": "aucun diplôme",
            "place": "13003",
            "needs": "de la thune surtout",
            "interests": "la musique",
        },
    )

    said = texts(end)
    assert "Ta Mission Locale : Mission Locale de Marseille" in said
    schemes = schemes_said(end)
    assert CEJ in schemes
    assert "561,68" in schemes
    assert "1er avril 2025" in schemes
    assert E2C in schemes
    assert EPIDE in schemes
    assert OBLIGATION not in schemes
    assert "À vérifier" in schemes  # the RSA, never asked, is said plainly


def test_a_24_year_old_who_lost_his_job_in_lyon_3(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("salut")

    end = answer_the_questions(
        young,
        young.say("jai 24 ans j'ai perdu mon taf, je cherche du travail"),
        {
            "status": "je cherche du travail",
            "status_since": "2 mois",
            "diploma": "j'ai le bac",
            "place": "Lyon 3",
            "needs": "un taf",
            "interests": "le basket",
        },
    )

    said = texts(end)
    assert "Ta Mission Locale : Mission Locale de Lyon" in said
    schemes = schemes_said(end)
    assert CEJ in schemes
    assert FRANCE_TRAVAIL in schemes
    assert E2C not in schemes  # he has the bac
    assert OBLIGATION not in schemes


def test_outside_the_coverage_sample_the_department_is_listed(
    stack: Stack, young: WebchatUser
) -> None:
    asked = young.say("c'est où ma mission locale ?")
    assert "quelle ville" in texts(asked)

    answer = young.say("saint etienne")

    said = texts(answer)
    assert "je préfère ne pas inventer" in said
    assert "Mission Locale Saint Etienne et Couronne Stéphanoise" in said
    assert "Ta Mission Locale :" not in said
    schemes = schemes_said(answer)
    assert "À vérifier : Avoir entre 16 et 25 ans" in schemes  # age never given
    assert CHOICE in said


def test_an_ambiguous_commune_is_chosen_with_a_button(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("je dois aller où ?")

    choose = young.say("st denis")

    assert "plusieurs Saint-Denis" in texts(choose)
    buttons = {
        button["title"]: button["payload"]
        for message in choose
        for button in message.get("buttons") or []
    }
    assert "Saint-Denis (974)" in buttons
    answer = young.say(buttons["Saint-Denis (93)"])
    assert "Mission Locale Saint-Denis / Pierrefitte" in texts(answer)
    assert "/request_human" in payloads(answer)


def test_not_found_twice_offers_a_counsellor_instead_of_looping(
    stack: Stack, young: WebchatUser
) -> None:
    young.say("qui peut m'aider près de chez moi")

    again = young.say("zrgzrgzrg")
    assert "Je trouve pas « zrgzrgzrg »" in texts(again)
    given_up = young.say("qsdfqsdfqsdf")

    said = texts(given_up)
    assert "Je n'arrive pas à trouver ta ville" in said
    assert "/request_human" in payloads(given_up)
    handed = young.say("/request_human")
    assert "l'équipe" in texts(handed).lower()
