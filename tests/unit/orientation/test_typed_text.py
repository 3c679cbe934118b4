"""Folding names and sorting the tokens of what was typed."""

from __future__ import annotations

import pytest

from bot.orientation.text import compact, fold, normalize_name, without_article
from bot.orientation.typed_text import read_typed_place, strip_fillers

DEPARTMENTS = {"13", "59", "69", "75", "93"}


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Saint-Étienne", "saint etienne"),
        ("Villeneuve-d’Ascq", "villeneuve d ascq"),
        ("  L'Haÿ-les-Roses ", "l hay les roses"),
        ("Cœuvres-et-Valsery", "coeuvres et valsery"),
    ],
)
def test_names_fold_to_one_spelling(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_abbreviations_are_written_out() -> None:
    assert normalize_name("St-Denis") == "saint denis"
    assert normalize_name("Ste Foy") == "sainte foy"
    assert normalize_name("mt st michel") == "mont saint michel"


def test_articles_and_spaces_have_their_variants() -> None:
    assert without_article("le blanc mesnil") == "blanc mesnil"
    assert without_article("lens") is None
    assert compact("villeneuve d ascq") == "villeneuvedascq"


def test_a_split_postal_code_is_joined() -> None:
    typed = read_typed_place("59 100", DEPARTMENTS)

    assert typed.postal_codes == ["59100"]


def test_an_arrondissement_rank_is_read_in_its_many_spellings() -> None:
    for text in (
        "lyon 3e",
        "lyon 3eme",
        "lyon 3 ème",
        "3e arr lyon",
        "lyon 3 arrondissement",
    ):
        typed = read_typed_place(text, DEPARTMENTS)
        assert typed.arrondissement == 3, text
        assert typed.words == ["lyon"], text


def test_a_bare_number_is_left_for_the_resolver() -> None:
    typed = read_typed_place("st denis 93", DEPARTMENTS)

    assert typed.numbers == ["93"]
    assert typed.words == ["saint", "denis"]


def test_corsica_is_a_department_of_its_own() -> None:
    assert read_typed_place("ajaccio 2a", DEPARTMENTS).departments == ["2A"]


def test_the_sentence_around_a_place_is_dropped() -> None:
    assert strip_fillers(["j", "habite", "sur", "lille", "mdr"]) == "lille"
    assert strip_fillers(["vers"]) == "vers"  # a commune's name stays
