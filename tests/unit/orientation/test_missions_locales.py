"""The Mission Locale named for a commune, and what happens outside the map."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from bot.orientation.missions_locales import (
    Certainty,
    MissionLocaleDirectory,
    MissionLocaleInfo,
    display_name,
    readable_address,
    readable_city,
)
from bot.orientation.places import Found, Place, PlaceIndex

# (what was typed, official name of the Mission Locale covering it) — one or
# more per department of the coverage sample held by the fixtures.
COVERED = [
    ("roubaix", "59-ML ROUBAIX"),
    ("lille", "59-ML LILLE"),
    ("villeneuve d ascq", "59-ML VILLENEUVE D ASCQ"),
    ("tourcoing", "59-ML TOURCOING"),
    ("dunkerque", "59-ML DUNKERQUE"),
    ("st denis 93", "93-ML ST DENIS"),
    ("le blanc mesnil", "93-ML BLANC-MESNIL"),
    ("bagnolet", "93-ML MONTREUIL"),
    ("marseille 13003", "13-ML MARSEILLE"),
    ("aix en provence", "13-ML AIX EN PROVENCE"),
    ("lyon 3e", "69-ML LYON"),
    ("paris 11", "75-ML PARIS 19"),
    ("ambérieu en bugey", "01-ML AMBERIEU EN BUGEY"),
    ("ambleny", "02-ML SOISSONS"),
    ("arronnes", "03-ML VICHY"),
    # Covered from the next department over.
    ("molinet", "71-ML GUEUGNON"),
    ("arcachon", "33-ML ARCACHON"),
    ("bax", "31-ML HAUTE-GARONNE"),
]


def _place(index: PlaceIndex, typed: str) -> Place:
    result = index.resolve(typed)
    assert isinstance(result, Found), result
    return result.place


@pytest.mark.parametrize(("typed", "official_name"), COVERED)
def test_the_mission_locale_of_the_coverage_map_is_named(
    place_index: PlaceIndex,
    directory: MissionLocaleDirectory,
    typed: str,
    official_name: str,
) -> None:
    answer = directory.for_place(_place(place_index, typed))

    assert answer.certainty == Certainty.COVERED
    assert answer.sure
    assert [ml.official_name for ml in answer.missions_locales] == [official_name]


def test_the_answer_has_a_readable_address_and_a_map_link(
    place_index: PlaceIndex, directory: MissionLocaleDirectory
) -> None:
    answer = directory.for_place(_place(place_index, "roubaix"))
    ml = answer.missions_locales[0]

    assert ml.name == "Mission Locale Roubaix"
    assert ml.full_address == "92 avenue Jean Baptiste Lebas, 59100 Roubaix"
    assert ml.map_url is not None
    url = urlparse(ml.map_url)
    assert url.netloc == "www.openstreetmap.org"
    assert parse_qs(url.query)["query"] == [ml.full_address]


@pytest.mark.parametrize(
    ("typed", "official_name"),
    [
        ("marseille", "13-ML MARSEILLE"),
        ("paris", "75-ML PARIS 19"),
        ("lyon", "69-ML LYON"),
    ],
)
def test_a_city_without_its_arrondissement_gets_the_one_they_all_share(
    place_index: PlaceIndex,
    directory: MissionLocaleDirectory,
    typed: str,
    official_name: str,
) -> None:
    answer = directory.for_place(_place(place_index, typed))

    assert answer.certainty == Certainty.COVERED
    assert answer.missions_locales[0].official_name == official_name


def test_an_arrondissement_address_is_shown_with_the_city_name(
    place_index: PlaceIndex, directory: MissionLocaleDirectory
) -> None:
    answer = directory.for_place(_place(place_index, "marseille 3e"))

    assert answer.missions_locales[0].full_address == (
        "23 avenue de Corinthe, 13006 Marseille"
    )


@pytest.mark.parametrize(
    ("typed", "department", "count"),
    [("saint etienne", "42", 5), ("saint denis 974", "974", 4)],
)
def test_outside_the_map_the_department_s_missions_locales_are_listed_unsure(
    place_index: PlaceIndex,
    directory: MissionLocaleDirectory,
    typed: str,
    department: str,
    count: int,
) -> None:
    answer = directory.for_place(_place(place_index, typed))

    assert answer.certainty == Certainty.DEPARTMENT
    assert not answer.sure
    assert answer.department_code == department
    assert len(answer.missions_locales) == count
    assert all(ml.department_code == department for ml in answer.missions_locales)


def test_the_department_fallback_never_lists_a_placeholder(
    directory: MissionLocaleDirectory,
) -> None:
    uncovered = Place("93999", "Nulle-Part", "commune", "93", "Seine-Saint-Denis")

    answer = directory.for_place(uncovered)

    assert answer.certainty == Certainty.DEPARTMENT
    names = [ml.official_name for ml in answer.missions_locales]
    assert names
    assert not any("Fusion" in name for name in names)


def test_a_department_without_any_mission_locale_is_unknown(
    directory: MissionLocaleDirectory,
) -> None:
    far = Place("98411", "Îles Saint-Paul", "commune", "984", "TAAF")

    answer = directory.for_place(far)

    assert answer.certainty == Certainty.UNKNOWN
    assert answer.missions_locales == ()


def test_a_commune_split_between_two_missions_locales_lists_both() -> None:
    first = MissionLocaleInfo("59001", "ML A", "59-ML A", "59")
    second = MissionLocaleInfo("59002", "ML B", "59-ML B", "59")
    directory = MissionLocaleDirectory(
        [first, second], [("59999", "59001"), ("59999", "59002")]
    )
    place = Place("59999", "Partagée", "commune", "59", "Nord")

    answer = directory.for_place(place)

    assert answer.certainty == Certainty.SEVERAL
    assert answer.missions_locales == (first, second)


def test_a_mission_locale_without_address_has_no_map_link() -> None:
    ml = MissionLocaleInfo("42218", "Mission Locale", "42-ML X", "42")

    assert ml.full_address is None
    assert ml.map_url is None


@pytest.mark.parametrize(
    ("official", "usual", "shown"),
    [
        ("59-ML ROUBAIX", "MISSION LOCALE ROUBAIX", "Mission Locale Roubaix"),
        ("59-ML LILLE", "LILLE AVENIRS", "Lille Avenirs"),
        ("75-ML PARIS 19", "MLP", "Mission Locale Paris 19"),
        ("35-ML RENNES", "Mission Locale (siège)", "Mission Locale Rennes"),
        ("42-ML ROANNE", "ESPACE 2M - ML ROANNE", "Espace 2M - Mission Locale Roanne"),
        ("69–ML RILLIEUX LA PAPE", None, "Mission Locale Rillieux la Pape"),
        ("2A-ML AJACCIO", "MISSION LOCALE D'AJACCIO", "Mission Locale d'Ajaccio"),
        (
            "34142",
            "34- MLJ du Coeur d'Hérault",
            "Mission Locale Jeunes du Coeur d'Hérault",
        ),
    ],
)
def test_names_are_shown_in_plain_words(
    official: str, usual: str | None, shown: str
) -> None:
    assert display_name(official, usual) == shown


@pytest.mark.parametrize(
    ("raw", "readable"),
    [
        ("5T av des sports", "5T avenue des Sports"),
        ("4 place  sanville", "4 place Sanville"),
        (" qu poterne", "quai Poterne"),
        ("27 rte d'hirson", "27 route d'Hirson"),
        ("202B r louis braille", "202B rue Louis Braille"),
    ],
)
def test_addresses_are_spelled_out(raw: str, readable: str) -> None:
    assert readable_address(raw) == readable


def test_the_arrondissement_is_dropped_from_the_city() -> None:
    assert readable_city("Marseille - 6ème Arrondissement") == "Marseille"
    assert readable_city("Roubaix") == "Roubaix"
