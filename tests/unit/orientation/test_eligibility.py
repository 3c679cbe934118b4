"""Which schemes may fit, per scheme and per age boundary, from schemes.yml."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.orientation.eligibility import (
    DEFAULT_SCHEMES_FILE,
    Diploma,
    Profile,
    SchemeMatch,
    SchemesFile,
    Status,
    eligible_schemes,
    euros,
    french_date,
    load_schemes,
)
from bot.orientation.errors import SchemesError

TODAY = date(2026, 12, 3)
NOTHING = Status.NOTHING
ALL_SCHEMES = {
    "obligation_formation",
    "mission_locale",
    "cej",
    "e2c",
    "epide",
    "service_civique",
    "france_travail",
}


@pytest.fixture(scope="module")
def table() -> SchemesFile:
    return load_schemes()


def fits(table: SchemesFile, **profile: object) -> dict[str, SchemeMatch]:
    matches = eligible_schemes(Profile(**profile), table, on=TODAY)  # type: ignore[arg-type]
    return {match.id: match for match in matches}


def test_the_table_shipped_covers_every_scheme_of_the_brief(
    table: SchemesFile,
) -> None:
    assert {scheme.id for scheme in table.schemes} == ALL_SCHEMES


# --- age boundaries -------------------------------------------------------------

# (age, RQTH, schemes that fit someone out of everything, no diploma, no RSA)
BOUNDARIES = [
    (15, False, set()),
    (16, False, ALL_SCHEMES - {"epide"}),
    (17, False, ALL_SCHEMES),
    (18, False, ALL_SCHEMES - {"obligation_formation"}),
    (25, False, ALL_SCHEMES - {"obligation_formation"}),
    (26, False, {"france_travail"}),
    (26, True, {"mission_locale", "cej", "service_civique", "france_travail"}),
    (29, True, {"mission_locale", "cej", "service_civique", "france_travail"}),
    (29, False, {"france_travail"}),
    (30, True, {"service_civique", "france_travail"}),
    (31, True, {"france_travail"}),
]


@pytest.mark.parametrize(("age", "rqth", "expected"), BOUNDARIES)
def test_schemes_open_and_close_at_their_age_boundaries(
    table: SchemesFile, age: int, rqth: bool, expected: set[str]
) -> None:
    found = fits(
        table, age=age, status=NOTHING, diploma=Diploma.NONE, rqth=rqth, rsa=False
    )

    assert set(found) == expected


def test_an_unknown_rqth_after_25_is_said_rather_than_assumed(
    table: SchemesFile,
) -> None:
    found = fits(table, age=27, status=NOTHING, rsa=False)

    assert "cej" in found
    assert any("RQTH" in line for line in found["cej"].unchecked)


def test_an_unknown_profile_lists_everything_with_what_to_check(
    table: SchemesFile,
) -> None:
    found = fits(table)

    assert set(found) == ALL_SCHEMES
    assert "Avoir 16 ou 17 ans." in found["obligation_formation"].unchecked


# --- one scheme at a time ------------------------------------------------------


def test_obligation_de_formation_is_a_right_for_a_minor_out_of_everything(
    table: SchemesFile,
) -> None:
    match = fits(table, age=17, status=NOTHING)["obligation_formation"]

    assert "droit d'être aidé" in match.reason
    assert match.unchecked == ()


@pytest.mark.parametrize(
    "status", [Status.SCHOOL, Status.APPRENTICESHIP, Status.TRAINING, Status.JOB]
)
def test_obligation_de_formation_is_met_by_school_work_or_training(
    table: SchemesFile, status: Status
) -> None:
    assert "obligation_formation" not in fits(table, age=16, status=status)


def test_mission_locale_is_for_those_who_left_school(table: SchemesFile) -> None:
    assert "mission_locale" in fits(table, age=20, status=Status.JOB)
    assert "mission_locale" not in fits(table, age=20, status=Status.SCHOOL)


def test_cej_quotes_the_minor_allowance_with_its_date(table: SchemesFile) -> None:
    match = fits(table, age=17, status=NOTHING, rsa=False)["cej"]

    assert "224,68\u00a0€" in match.reason
    assert "1er avril 2025" in match.reason
    assert match.amounts_valid_from == date(2025, 4, 1)


def test_cej_quotes_the_highest_adult_allowance(table: SchemesFile) -> None:
    match = fits(table, age=22, status=Status.JOB_SEEKER, rsa=False)["cej"]

    assert "jusqu'à 561,68\u00a0€" in match.reason
    assert "Le montant exact dépend des impôts de ton foyer." in match.unchecked


def test_cej_is_not_offered_with_the_rsa_or_a_job(table: SchemesFile) -> None:
    assert "cej" not in fits(table, age=22, status=NOTHING, rsa=True)
    assert "cej" not in fits(table, age=22, status=Status.JOB, rsa=False)


def test_cej_says_it_could_not_check_the_rsa(table: SchemesFile) -> None:
    match = fits(table, age=22, status=NOTHING)["cej"]

    assert any(
        "RSA (le revenu de solidarité active)" in line for line in match.unchecked
    )


def test_e2c_needs_no_diploma(table: SchemesFile) -> None:
    assert "e2c" in fits(table, age=19, status=NOTHING, diploma=Diploma.NONE)
    assert "e2c" not in fits(table, age=19, status=NOTHING, diploma=Diploma.CAP_BEP)
    unknown = fits(table, age=19, status=NOTHING)["e2c"]
    assert "Ne pas avoir de diplôme (le brevet ne compte pas)." in unknown.unchecked


def test_epide_takes_a_general_bac_but_says_so(table: SchemesFile) -> None:
    match = fits(table, age=20, status=NOTHING, diploma=Diploma.BAC)["epide"]

    assert "Ton bac ne doit pas être un bac pro." in match.unchecked
    assert "epide" not in fits(table, age=20, status=NOTHING, diploma=Diploma.CAP_BEP)


def test_epide_allowance_is_given_as_indicative(table: SchemesFile) -> None:
    match = fits(table, age=20, status=NOTHING, diploma=Diploma.NONE)["epide"]

    assert "500\u00a0€" in match.reason
    assert "indicatif" in match.reason
    assert match.amounts_valid_from is None


def test_service_civique_is_open_to_pupils_with_a_parent_s_consent(
    table: SchemesFile,
) -> None:
    match = fits(table, age=16, status=Status.SCHOOL)["service_civique"]

    assert "Comme tu as moins de 18 ans, il faudra l'accord d'un parent." in (
        match.unchecked
    )
    assert "571,87\u00a0€" in match.reason


def test_service_civique_needs_no_parent_for_an_adult(table: SchemesFile) -> None:
    match = fits(table, age=18, status=Status.JOB)["service_civique"]

    assert not any("parent" in line for line in match.unchecked)


def test_france_travail_points_a_minor_to_the_mission_locale(
    table: SchemesFile,
) -> None:
    minor = fits(table, age=16, status=Status.JOB_SEEKER)["france_travail"]
    adult = fits(table, age=40, status=Status.JOB_SEEKER)["france_travail"]

    assert "Mission Locale" in minor.reason
    assert "demandeur d'emploi" in adult.reason
    assert "france_travail" not in fits(table, age=20, status=Status.SCHOOL)


# --- the scripted young people -----------------------------------------


def test_a_17_year_old_who_left_school_hears_of_the_right_to_be_helped(
    table: SchemesFile,
) -> None:
    found = fits(table, age=17, status=NOTHING)

    assert list(found)[:3] == ["obligation_formation", "mission_locale", "cej"]


def test_a_22_year_old_without_diploma_who_needs_money_hears_of_the_cej(
    table: SchemesFile,
) -> None:
    found = fits(table, age=22, status=NOTHING, diploma=Diploma.NONE)

    assert {"cej", "e2c", "epide", "mission_locale"} <= set(found)
    assert "€" in found["cej"].reason


def test_a_24_year_old_who_lost_his_job_is_pointed_to_cej_and_france_travail(
    table: SchemesFile,
) -> None:
    found = fits(table, age=24, status=Status.JOB_SEEKER)

    assert {"mission_locale", "cej", "france_travail"} <= set(found)
    assert "obligation_formation" not in found


# --- amounts tables and dates --------------------------------------------------


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "schemes.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _shipped() -> dict[str, object]:
    data = yaml.safe_load(DEFAULT_SCHEMES_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _cej(data: dict[str, object]) -> dict[str, object]:
    schemes = data["schemes"]
    assert isinstance(schemes, list)
    return next(s for s in schemes if s["id"] == "cej")


def test_new_amounts_apply_from_their_date_and_not_before(tmp_path: Path) -> None:
    data = _shipped()
    amounts = _cej(data)["amounts"]
    assert isinstance(amounts, list)
    amounts.append(
        {
            "valid_from": date(2027, 4, 1),
            "checked_on": date(2026, 12, 3),
            "source": "test",
            "items": [{"label": "mineur", "monthly_eur": 230, "age": {"max": 17}}],
        }
    )
    table = load_schemes(_write(tmp_path, data))
    minor = Profile(age=17, status=NOTHING, rsa=False)

    before = {m.id: m for m in eligible_schemes(minor, table, on=date(2027, 3, 31))}
    after = {m.id: m for m in eligible_schemes(minor, table, on=date(2027, 4, 1))}

    assert "224,68" in before["cej"].reason
    assert "230\u00a0€" in after["cej"].reason
    assert "1er avril 2027" in after["cej"].reason


def test_money_and_dates_are_written_the_french_way() -> None:
    assert euros(561.68) == "561,68\u00a0€"
    assert euros(500) == "500\u00a0€"
    assert french_date(date(2025, 4, 1)) == "1er avril 2025"
    assert french_date(date(2026, 12, 3)) == "3 décembre 2026"


# --- validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda cej: cej["if_unknown"].pop("rsa"),
            "if_unknown needs a sentence for rsa",
        ),
        (lambda cej: cej["rules"]["age"].update(max=12), "max (12) is below min (16)"),
        (lambda cej: cej["rules"].update(status=["chomage"]), "rules.status"),
        (lambda cej: cej["rules"].update(statut=["nothing"]), "Extra inputs"),
        (lambda cej: cej["reasons"][0].update(text="{montant}"), "unknown placeholder"),
        (lambda cej: cej["reasons"].reverse(), "the last reason must have no `when`"),
        (lambda cej: cej["amounts"][0].pop("checked_on"), "checked_on"),
        (lambda cej: cej["amounts"][0]["items"][0].update(monthly_eur=-1), "monthly"),
    ],
)
def test_a_mistake_in_the_table_is_named_with_its_place(
    tmp_path: Path, change: object, message: str
) -> None:
    data = _shipped()
    change(_cej(data))  # type: ignore[operator]

    with pytest.raises(SchemesError) as caught:
        load_schemes(_write(tmp_path, data))

    assert message in str(caught.value)
    assert "(cej)" in str(caught.value)


def test_two_schemes_with_one_id_are_refused(tmp_path: Path) -> None:
    data = _shipped()
    schemes = data["schemes"]
    assert isinstance(schemes, list)
    schemes.append(schemes[0])

    with pytest.raises(SchemesError, match="repeated"):
        load_schemes(_write(tmp_path, data))


def test_a_file_that_is_not_yaml_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "schemes.yml"
    path.write_text("schemes: [\n  - id: cej\n", encoding="utf-8")

    with pytest.raises(SchemesError, match="not valid YAML"):
        load_schemes(path)


def test_a_missing_file_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(SchemesError, match="Could not read"):
        load_schemes(tmp_path / "absent.yml")


def test_an_impossible_age_is_refused() -> None:
    with pytest.raises(ValueError, match="Expected an age between 0 and 120"):
        Profile(age=-1)
