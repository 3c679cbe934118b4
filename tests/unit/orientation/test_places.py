"""Place strings as young people type them, resolved against the fixtures."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bot.orientation.errors import DataNotLoadedError
from bot.orientation.places import (
    MAX_CANDIDATES,
    AmbiguityReason,
    Ambiguous,
    Found,
    MatchKind,
    NotFound,
    NotFoundReason,
    Place,
    PlaceIndex,
    load_index,
)
from tests.unit.orientation.conftest import make_engine

# (what was typed, INSEE code of the commune or arrondissement meant)
FOUND = [
    # Plain names, any case, accents or not.
    ("roubaix", "59512"),
    ("ROUBAIX", "59512"),
    ("Roubaix ", "59512"),
    ("toulouse", "31555"),
    ("bordeaux", "33063"),
    ("vénissieux", "69259"),
    ("venissieux", "69259"),
    ("vaulx en velin", "69256"),
    ("villeurbanne", "69266"),
    ("sevran", "93071"),
    ("bobigny", "93008"),
    ("tremblay en france", "93073"),
    ("aulnay sous bois", "93005"),
    ("le port", "97407"),
    # Hyphens, apostrophes and spaces, however written.
    ("villeneuve d ascq", "59009"),
    ("Villeneuve-d'Ascq", "59009"),
    ("villeneuve d’ascq", "59009"),
    ("villeneuve dascq", "59009"),
    ("villeneuvedascq", "59009"),
    ("saint etienne", "42218"),
    ("Saint-Étienne", "42218"),
    ("saintetienne", "42218"),
    # "st", "ste" and a department to tell homonyms apart.
    ("st etienne", "42218"),
    ("st denis 93", "93066"),
    ("St-Denis 93", "93066"),
    ("Saint-Denis (93)", "93066"),
    ("saint denis seine saint denis", "93066"),
    ("saint denis la reunion", "97411"),
    ("saint-denis 974", "97411"),
    ("st denis reunion", "97411"),
    ("Montreuil 93", "93048"),
    ("lille 59", "59350"),
    # A wrong department does not hide an unambiguous name.
    ("lille 62", "59350"),
    # Leading article left out.
    ("blanc mesnil", "93007"),
    ("le blanc mesnil", "93007"),
    ("Le Blanc-Mesnil", "93007"),
    # Postal codes, alone or with the name.
    ("59100", "59512"),
    ("59 100", "59512"),
    ("93200", "93066"),
    ("saint denis 93200", "93066"),
    ("59000 lille", "59350"),
    ("lille 59000", "59350"),
    # Arrondissements of Paris, Lyon and Marseille.
    ("marseille 13e", "13213"),
    ("Marseille 3e", "13203"),
    ("marseille 3eme", "13203"),
    ("marseille 3ème arrondissement", "13203"),
    ("marseille 13", "13213"),
    ("13003", "13203"),
    ("13013", "13213"),
    ("13001 marseille", "13201"),
    ("Lyon 3", "69383"),
    ("lyon 3e", "69383"),
    ("lyon 3 ème", "69383"),
    ("3eme arrondissement de lyon", "69383"),
    ("lyon 3 arrondissement", "69383"),
    ("69003", "69383"),
    ("lyon 7", "69387"),
    ("paris 11", "75111"),
    ("Paris 11e", "75111"),
    ("paris 1er", "75101"),
    ("paris 20eme", "75120"),
    ("75011", "75111"),
    ("75116", "75116"),
    ("75016", "75116"),
    # The city itself when no arrondissement is given.
    ("marseille", "13055"),
    ("Paris", "75056"),
    ("lyon", "69123"),
    ("paris 75", "75056"),
    # In a sentence.
    ("sur roubaix", "59512"),
    ("j'habite à lille", "59350"),
    ("j habite a lille", "59350"),
    ("jhabite sur tourcoing", "59599"),
    ("je suis de roubaix", "59512"),
    ("moi c'est wattrelos", "59650"),
    ("à côté de lille", "59350"),
    ("pas loin de lille", "59350"),
    ("lille mdr", "59350"),
    ("wesh jsuis a aubervilliers", "93001"),
    ("j'habite sur lille depuis 3 ans", "59350"),
    # Typos.
    ("tourcoin", "59599"),
    ("roubai", "59512"),
    ("rroubaix", "59512"),
    ("marseile", "13055"),
    ("aubervilier", "93001"),
    ("villeneuve dasq", "59009"),
    ("saint etiene", "42218"),
    ("dunkerqe", "59183"),
    ("valencienes", "59606"),
    # Part of a name, or the name of a commune that merged.
    ("saint ouen 93", "93070"),
    ("cherbourg", "50129"),
    ("Cherbourg-Octeville", "50129"),
]

# (what was typed, why it is a question, the codes the buttons must start with)
AMBIGUOUS = [
    ("saint denis", AmbiguityReason.SAME_NAME, ["97411", "93066"]),
    ("st denis", AmbiguityReason.SAME_NAME, ["97411", "93066"]),
    ("villeneuve", AmbiguityReason.SAME_NAME, ["59009"]),
    ("montreuil", AmbiguityReason.SAME_NAME, ["93048"]),
    ("montreuil sous bois", AmbiguityReason.SAME_NAME, ["93048"]),
    ("valence", AmbiguityReason.SAME_NAME, ["26362"]),
    ("aulnay", AmbiguityReason.SAME_NAME, ["93005"]),
    ("st ouen", AmbiguityReason.SAME_NAME, ["93070"]),
    ("vitry", AmbiguityReason.SAME_NAME, ["94081"]),
    ("lile", AmbiguityReason.SPELLING, ["59350"]),
    ("59270", AmbiguityReason.POSTAL_CODE, ["59043"]),
    ("59780", AmbiguityReason.POSTAL_CODE, ["59044"]),
    ("59100 lille", AmbiguityReason.CONFLICT, ["59350", "59512"]),
]

# (what was typed, why nothing was found, the department if one was given)
NOT_FOUND = [
    ("", NotFoundReason.EMPTY, None),
    ("   ", NotFoundReason.EMPTY, None),
    ("???", NotFoundReason.EMPTY, None),
    ("azerty", NotFoundReason.NO_MATCH, None),
    ("qsdfghjklm", NotFoundReason.NO_MATCH, None),
    ("jsp", NotFoundReason.NO_MATCH, None),
    ("je sais pas", NotFoundReason.NO_MATCH, None),
    ("j'ai pas de maison", NotFoundReason.NO_MATCH, None),
    ("saint", NotFoundReason.NO_MATCH, None),
    ("99999", NotFoundReason.UNKNOWN_POSTAL_CODE, None),
    ("59999", NotFoundReason.UNKNOWN_POSTAL_CODE, "59"),
    ("93", NotFoundReason.DEPARTMENT_ONLY, "93"),
    ("seine saint denis", NotFoundReason.DEPARTMENT_ONLY, "93"),
    ("nord", NotFoundReason.DEPARTMENT_ONLY, "59"),
]


def test_the_table_has_at_least_eighty_strings() -> None:
    assert len(FOUND) + len(AMBIGUOUS) + len(NOT_FOUND) >= 80


@pytest.mark.parametrize(("typed", "code"), FOUND)
def test_a_place_typed_as_people_type_it_is_found(
    place_index: PlaceIndex, typed: str, code: str
) -> None:
    result = place_index.resolve(typed)

    assert isinstance(result, Found), result
    assert result.place.code == code


@pytest.mark.parametrize(("typed", "reason", "first_codes"), AMBIGUOUS)
def test_an_ambiguous_place_becomes_a_question_with_the_likely_ones_first(
    place_index: PlaceIndex,
    typed: str,
    reason: AmbiguityReason,
    first_codes: list[str],
) -> None:
    result = place_index.resolve(typed)

    assert isinstance(result, Ambiguous), result
    assert result.reason == reason
    codes = [place.code for place in result.candidates]
    assert codes[: len(first_codes)] == first_codes
    assert 2 <= len(codes) <= MAX_CANDIDATES
    assert result.total >= len(codes)


@pytest.mark.parametrize(("typed", "reason", "department"), NOT_FOUND)
def test_nonsense_or_no_commune_is_not_found_with_the_reason(
    place_index: PlaceIndex,
    typed: str,
    reason: NotFoundReason,
    department: str | None,
) -> None:
    result = place_index.resolve(typed)

    assert result == NotFound(reason, department)


def test_a_typo_is_found_but_marked_for_confirmation(place_index: PlaceIndex) -> None:
    typo = place_index.resolve("tourcoin")
    exact = place_index.resolve("tourcoing")

    assert isinstance(typo, Found)
    assert typo.match == MatchKind.SPELLING
    assert not typo.exact
    assert isinstance(exact, Found)
    assert exact.exact


def test_an_arrondissement_is_reported_as_such(place_index: PlaceIndex) -> None:
    result = place_index.resolve("lyon 3")

    assert isinstance(result, Found)
    assert result.match == MatchKind.ARRONDISSEMENT
    assert result.place.parent_code == "69123"
    assert result.place.is_arrondissement


def test_homonyms_carry_their_department_for_the_buttons(
    place_index: PlaceIndex,
) -> None:
    result = place_index.resolve("saint denis")

    assert isinstance(result, Ambiguous)
    assert result.button_labels()[:2] == ["Saint-Denis (974)", "Saint-Denis (93)"]
    assert result.candidates[1].department_name == "Seine-Saint-Denis"


def test_homonyms_in_one_department_are_told_apart_by_postal_code() -> None:
    index = PlaceIndex(
        [
            Place("01001", "Sainte-Colombe", "commune", "01", "Ain", ("01100",), 50),
            Place("01002", "Sainte-Colombe", "commune", "01", "Ain", ("01200",), 40),
        ]
    )

    result = index.resolve("ste colombe")

    assert isinstance(result, Ambiguous)
    assert result.button_labels() == [
        "Sainte-Colombe (01100)",
        "Sainte-Colombe (01200)",
    ]


def test_a_very_long_message_is_cut_and_does_not_fail(place_index: PlaceIndex) -> None:
    result = place_index.resolve("lille " + "blabla " * 500)

    assert isinstance(result, Found | Ambiguous | NotFound)


def test_lookups_take_a_few_milliseconds(place_index: PlaceIndex) -> None:
    typed = [t for t, _ in FOUND] + [t for t, *_ in AMBIGUOUS + NOT_FOUND]
    for text in typed:  # warm up
        place_index.resolve(text)
    durations = []
    for text in typed:
        start = time.perf_counter()
        place_index.resolve(text)
        durations.append(time.perf_counter() - start)

    assert statistics.median(durations) < 0.005


def test_the_index_refuses_an_empty_database(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "empty.db")

    with Session(engine) as session, pytest.raises(DataNotLoadedError, match="import"):
        load_index(session)
    engine.dispose()
