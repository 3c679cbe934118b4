"""Reading the situation from one message: ages, status, schooling, place..."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import yaml

from actions.situation_answers import (
    VOCABULARY_FILE,
    Message,
    Reading,
    VocabularyError,
    clean_place,
    load_vocabulary,
    months_since,
    parse_vocabulary,
    read_message,
)

TODAY = date(2026, 12, 3)


def read(
    text: str,
    intent: str | None = "inform",
    asked: str | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> Reading:
    message = Message(text, intent, entities or [], asked)
    return read_message(message, load_vocabulary(), TODAY)


def facts(reading: Reading) -> dict[str, Any]:
    return {k: v for k, v in vars(reading).items() if v not in (None, [], False)}


@pytest.mark.parametrize(
    ("text", "asked", "age"),
    [
        ("j'ai 19 ans", None, 19),
        ("g 17 piges", None, 17),
        ("jai 18ans.", None, 18),
        ("dix-neuf ans", None, 19),
        ("j'ai vingt et un ans", None, 21),
        ("bientôt 18 ans", None, 17),
        ("j'vais avoir 18 ans le mois prochain", None, 17),
        ("22", "age", 22),
        ("seize", "age", 16),
        ("18a", "age", 18),
    ],
)
def test_an_age_is_read_in_digits_words_and_slang(
    text: str, asked: str | None, age: int
) -> None:
    assert read(text, asked=asked).age == age


@pytest.mark.parametrize(
    ("text", "asked", "age"),
    [
        ("jsuis née en 2008", None, 18),
        ("je suis de 2007", None, 19),
        ("2006", "age", 20),
        ("né le 15/12/2008", None, 17),
        ("née le 3 mars 2007", None, 19),
    ],
)
def test_a_birth_year_gives_the_age(text: str, asked: str | None, age: int) -> None:
    reading = read(text, asked=asked)

    assert reading.age == age
    assert reading.age_from_birth_year


@pytest.mark.parametrize(
    "text",
    [
        "je fais rien depuis 2 ans",
        "ça fait 2 ans que je galère",
        "mon frère a 12 ans",
        "à 16 ans j'ai arrêté l'école",
        "il me faut 20 balles",
    ],
)
def test_durations_and_other_people_ages_are_not_their_age(text: str) -> None:
    assert read(text).age is None


def test_a_bare_number_is_an_age_only_when_the_age_was_asked() -> None:
    assert read("19").age is None
    assert read("19", asked="age").age == 19
    assert read("3", asked="age").age is None  # a typo, not an age


def test_several_facts_in_one_message_are_all_read() -> None:
    reading = read(
        "j'ai 19 ans je suis sur Roubaix et je fais rien",
        entities=[{"entity": "place", "value": "Roubaix"}],
    )

    assert (reading.age, reading.place, reading.status) == (19, "Roubaix", "nothing")


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("je taffe dans un entrepôt", "job"),
        ("je bosse au mcdo", "job"),
        ("chui en alternance chez un garagiste", "apprenticeship"),
        ("je suis en formation de cariste", "training"),
        ("je suis au bahut en terminale", "school"),
        ("jsuis au chômdu", "job_seeker"),
        ("je cherche du taf", "job_seeker"),
        ("je glande chez moi", "nothing"),
        ("j'ai pas de taf", "nothing"),
        ("je travaille pas", "nothing"),
        ("j'ai lâché l'école et maintenant je bosse", "job"),
        # Spelt as typed, "arrêté" comes as "arrêter" ("g arreter"): not "cours".
        ("g arreter les cours lannee derniere jsuis a roubaix", "nothing"),
        ("jveux un taf", "job_seeker"),
        ("je voudrais travailler mais jtrouve pas", "job_seeker"),
    ],
)
def test_status_is_read_from_the_way_young_people_say_it(
    text: str, status: str
) -> None:
    assert read(text).status == status


def test_a_bare_word_is_a_status_only_as_an_answer() -> None:
    assert read("rien").status is None
    assert read("rien", intent="deny", asked="status").status == "nothing"
    assert read("lycée", asked="status").status == "school"


def test_since_when_is_read_with_the_status_or_as_an_answer() -> None:
    assert read("je cherche du taf depuis 6 mois").status_since == "6 mois"
    assert read("j'habite ici depuis 2 ans").status_since is None
    assert read("un an et demi", asked="status_since").status_since == "un an et demi"
    assert read("depuis juin", asked="status_since").status_since == "juin"


@pytest.mark.parametrize(
    ("since", "months"),
    [("6 mois", 6), ("un an et demi", 18), ("2 ans", 24), ("juin", 6), ("bof", None)],
)
def test_months_since(since: str, months: int | None) -> None:
    assert months_since(since, TODAY) == months


@pytest.mark.parametrize(
    ("text", "asked", "last_class", "diploma"),
    [
        ("j'ai un cap cuisine", None, "cap_bep", "cap_bep"),
        ("j'ai arrêté en seconde", None, "2nde", "none"),
        ("j'ai raté le bac", None, "bac", "none"),
        ("je suis en terminale", None, "terminale", "none"),
        ("je fais un cap cuisine", None, "cap_bep", "none"),
        ("bac pro", "diploma", "bac_pro", "bac"),
        ("aucun", "diploma", None, "none"),
        ("non", "diploma", None, "none"),
    ],
)
def test_schooling_says_the_last_class_and_the_diploma_held(
    text: str, asked: str | None, last_class: str | None, diploma: str
) -> None:
    intent = "deny" if text == "non" else "inform"
    reading = read(text, intent=intent, asked=asked)

    assert (reading.last_class, reading.diploma) == (last_class, diploma)


def test_nothing_about_money_is_read_as_no_diploma() -> None:
    assert read("j'ai rien").diploma is None


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Roubaix", "Roubaix"),
        ("j'habite à st denis 93 mdr", "st denis 93"),
        ("je suis sur Saint-Étienne", "Saint-Étienne"),
        ("59100", "59100"),
    ],
)
def test_a_typed_place_is_kept_without_the_sentence(text: str, place: str) -> None:
    assert read(text, asked="place").place == place


def test_other_answers_to_the_place_question_are_not_places() -> None:
    assert read("je cherche du taf", asked="place").place is None
    assert read("ouais", intent="affirm", asked="place").place is None
    assert read("tu veux savoir pourquoi ?", asked="place").place is None
    assert clean_place("j'ai 19 ans et j'habite à Lille avec ma mère") is None


def test_an_article_the_model_tagged_as_a_place_is_no_place() -> None:
    """ "la mécanique", answering what they like, must not move them to "la"."""
    tagged = [{"entity": "place", "value": "la", "start": 0, "end": 2}]
    reading = read("la mécanique", asked="interests", entities=tagged)
    assert reading.place is None
    assert reading.interests == ["mechanics"]
    assert clean_place("Le Havre") == "Le Havre"
    assert clean_place("chez moi") is None


def test_needs_said_with_a_cue_or_as_an_answer() -> None:
    assert read("j'ai besoin d'un appart et de thunes").needs == ["housing", "money"]
    assert read("un taf et le permis", asked="needs").needs == ["job", "mobility"]
    assert read("un taf").needs == []
    assert read("jsp", intent="dont_know", asked="needs").needs == ["unsure"]


def test_interests_said_with_a_cue_or_as_an_answer() -> None:
    assert read("j'kiffe le dessin et les chats").interests == ["art", "animals"]
    assert read("je fais du skate").interests == ["sport"]
    assert read("j'aime pas le foot").interests == []
    assert read("la play et la muscu", asked="interests").interests == [
        "gaming",
        "sport",
    ]
    assert read("la pétanque", asked="interests").interests == ["other"]


def test_a_button_sends_the_code_itself() -> None:
    reading = read(
        '/inform{"need": "money"}',
        intent="inform",
        asked="needs",
        entities=[{"entity": "need", "value": "money"}],
    )

    assert reading.needs == ["money"]


def test_a_refusal_or_jsp_skips_the_question_asked() -> None:
    assert read("passe", intent="skip_question", asked="place").skipped == "place"
    assert read("jsp", intent="dont_know", asked="age").skipped == "age"
    assert read("passe", intent="skip_question").skipped is None


def test_questions_to_the_bot_are_not_answers() -> None:
    reading = read(
        "pourquoi tu veux savoir si j'ai 19 ans", intent="ask_why", asked="age"
    )

    assert facts(reading) == {}


def _vocabulary_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))
    return data


def test_the_vocabulary_refuses_a_phrase_under_two_codes() -> None:
    data = _vocabulary_data()
    data["status"]["nothing"]["says"].append("je bosse")

    with pytest.raises(VocabularyError, match="je bosse"):
        parse_vocabulary(data)


def test_the_vocabulary_refuses_an_unknown_diploma_code() -> None:
    data = _vocabulary_data()
    data["schooling"]["cap_bep"]["diploma"] = "cap"

    with pytest.raises(VocabularyError, match=r"schooling\.cap_bep"):
        parse_vocabulary(data)


def test_the_vocabulary_needs_every_summary_wording() -> None:
    data = _vocabulary_data()
    del data["summary"]["place"]

    with pytest.raises(VocabularyError, match="place"):
        parse_vocabulary(data)


def test_an_entity_keeps_the_words_as_typed() -> None:
    # The model's value comes from normalised tokens; the offsets do not.
    entity = {"entity": "place", "value": "saint etienne", "start": 12, "end": 25}

    assert read("je vis vers Saint-Étienne", entities=[entity]).place == "Saint-Étienne"


def test_a_place_said_in_passing_is_read_up_to_the_next_clause() -> None:
    reading = read("jai 24 ans, j'habite a Nantes, j'ai besoin d'argent")

    assert reading.place == "Nantes"
    assert read("j'habite à Lille avec ma mère").place == "Lille"


def test_the_model_alone_does_not_make_a_need_or_a_hobby() -> None:
    tagged = [{"entity": "need", "value": "taf", "start": 3, "end": 6}]

    assert read("je taf au kfc", entities=tagged).needs == []
    assert read("un taf", asked="needs", entities=tagged).needs == ["job"]


def test_the_words_win_over_a_short_since_span() -> None:
    tagged = [{"entity": "since", "value": "3", "start": 12, "end": 13}]
    reading = read("chépa genre 3 mois", "dont_know", "status_since", tagged)

    assert reading.status_since == "3 mois"


def test_since_when_keeps_its_accents_to_be_said_back() -> None:
    reading = read("je fais rien depuis l'été dernier")

    assert reading.status_since == "l'été dernier"
    assert months_since("deux années", TODAY) == 24


def test_the_words_of_the_sentence_win_over_a_tagged_span() -> None:
    def tagged(start: int) -> list[dict[str, Any]]:
        return [{"entity": "status", "value": "x", "start": start, "end": start + 14}]

    assert read("je cherche du taf", entities=tagged(3)).status == "job_seeker"
    assert read("bah cherche du taf", entities=tagged(4)).status == "job_seeker"


def test_an_answer_keeps_the_arrondissement_the_span_left_out() -> None:
    tagged = [{"entity": "place", "value": "marseille", "start": 0, "end": 9}]

    reading = read("Marseille 13e", asked="place", entities=tagged)

    assert reading.place == "Marseille 13e"


def test_a_button_gives_its_code_whatever_offsets_rasa_adds() -> None:
    """Rasa's payload parser gives offsets spanning the JSON, not words."""
    payload = '/inform{"need": "unsure"}'
    entity = {"entity": "need", "value": "unsure", "start": 7, "end": 25}
    assert read(payload, asked="needs", entities=[entity]).needs == ["unsure"]
