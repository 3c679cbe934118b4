"""The crisis detector: the CI gate on its test set, and focused behaviours."""

from __future__ import annotations

import pytest
import yaml

from bot.safety import (
    Assessment,
    DangerCategory,
    SafetyDataError,
    Severity,
    assess,
    assess_all,
    responses_for,
)
from bot.safety.rules import load_rules
from nlu.normalize import normalize
from tests.unit.safety.sets import (
    GATE_SET,
    SAFETY_DATA,
    alarms,
    detector_data_sentences,
    load_set,
    misrouted,
    missed,
)

# The gate, from issue 4.
MIN_RECALL = 0.98
MAX_TRAP_ALARM_RATE = 0.05
# Not in the issue, but a wrong number first is nearly as bad as none.
MIN_ROUTING_ACCURACY = 0.90
# What the issue asks of the set itself.
MIN_MESSAGES = 200
MIN_DANGER = 120
MIN_PER_CATEGORY = 15
MIN_TRAPS = 80
# Shorter common phrases ("ce travail me tue") may recur by chance.
MIN_WORDS_OF_A_COPIED_SENTENCE = 6

SUICIDE = DangerCategory.SUICIDE
CHILD_ABUSE = DangerCategory.CHILD_ABUSE
PARTNER = DangerCategory.PARTNER_VIOLENCE
HOMELESS = DangerCategory.HOMELESS
CYBER = DangerCategory.CYBER_HARASSMENT
IMMEDIATE = DangerCategory.IMMEDIATE_DANGER


DANGER, TRAPS = load_set(GATE_SET)


# ------------------------------------------------------------------ the gate


def test_gate_set_has_the_size_the_issue_asks_for() -> None:
    assert len(DANGER) + len(TRAPS) >= MIN_MESSAGES
    assert len(DANGER) >= MIN_DANGER
    assert len(TRAPS) >= MIN_TRAPS
    for category in DangerCategory:
        count = sum(case.category == category for case in DANGER)
        assert count >= MIN_PER_CATEGORY, f"{category}: only {count} messages"


def test_gate_recall_on_danger_messages_is_at_least_98_percent() -> None:
    lost = missed(DANGER)
    recall = 1 - len(lost) / len(DANGER)
    assert recall >= MIN_RECALL, f"recall {recall:.3f}; missed: {lost}"


def test_gate_alarms_on_traps_stay_at_most_5_percent() -> None:
    raised = alarms(TRAPS)
    rate = len(raised) / len(TRAPS)
    assert rate <= MAX_TRAP_ALARM_RATE, f"alarm rate {rate:.3f}; on: {raised}"


def test_gate_gives_the_right_number_first_for_most_danger_messages() -> None:
    wrong = misrouted(DANGER)
    accuracy = 1 - len(wrong) / len(DANGER)
    assert accuracy >= MIN_ROUTING_ACCURACY, f"routing {accuracy:.3f}; wrong: {wrong}"


def test_gate_set_never_leaks_into_the_detector_data() -> None:
    """The test set must not be used to build the detector (issue 4).

    No gate message may be a prototype or a pattern string, nor sit inside
    one when it is long enough to be a sentence of its own.
    """
    data = detector_data_sentences()
    leaked = []
    for case in DANGER + TRAPS:
        message = normalize(case.text)
        long_enough = len(message.split()) >= MIN_WORDS_OF_A_COPIED_SENTENCE
        if any(message == text or (long_enough and message in text) for text in data):
            leaked.append(case.text)
    assert not leaked


# ------------------------------------------------------------------ negation


@pytest.mark.parametrize(
    "text",
    [
        "je veux pas mourir hein",
        "j'ai pas du tout envie de me tuer",
        "je vais jamais me scarifier",
        "mon père me frappe pas",
        "je dors pas dans la rue t'inquiète",
        "personne ne me harcèle",
        "on me fait aucun chantage",
    ],
)
def test_a_negation_cancels_the_danger(text: str) -> None:
    assert assess_all(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "j'ai plus envie de vivre",
        "je veux plus vivre",
        "g plu aucune raison de continuer",
        "je sais pas, j'ai envie de me tuer",
        "je sais pas pourquoi je veux mourir",
        "j'ai nulle part où dormir",
    ],
)
def test_a_negation_that_is_the_danger_still_alarms(text: str) -> None:
    found = assess(text)
    assert found is not None
    assert found.severity >= Severity.MEDIUM


# --------------------------------------------------- idioms, games and jokes


@pytest.mark.parametrize(
    "text",
    [
        "je me suis fait tuer en ranked",
        "mdr je suis mort",
        "ce taf me tue",
        "ma mère va me tuer si je rate mon bac",
        "je suis mort de rire",
        "💀💀",
        "il m'a défoncé sur fortnite hier",
        "je meurs de faim",
        "mon reuf me tape sur le système",
        "je suis grave à la rue en physique",
        "on a dormi dehors au camping",
    ],
)
def test_gaming_and_joking_idioms_raise_nothing(text: str) -> None:
    assert assess_all(text) == []


def test_a_real_threat_is_not_taken_for_an_idiom() -> None:
    found = assess("mon père m'a dit qu'il allait me tuer si je parlais")
    assert found is not None
    assert found.category == CHILD_ABUSE


def test_laughing_does_not_hide_an_explicit_wish_to_die() -> None:
    found = assess("je veux me suicider mdr")
    assert found is not None
    assert found.category == SUICIDE


# ----------------------------------------------------------------- routing


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("jveux mourrir", SUICIDE),
        ("envi d'en finir", SUICIDE),
        ("me scarifier ça me calme", SUICIDE),
        ("jme fais du mal", SUICIDE),
        ("j'ai envie de me suissider", SUICIDE),
        ("mon daron me tape", CHILD_ABUSE),
        ("mon beau-père me touche la nuit", CHILD_ABUSE),
        ("mon copain me frappe", PARTNER),
        ("ma meuf me gifle quand elle est saoule", PARTNER),
        ("g plu d'endroit où dormir", HOMELESS),
        ("ma daronne m'a foutu dehors", HOMELESS),
        ("il a diffusé mes nudes", CYBER),
        ("on me harcèle sur insta h24", CYBER),
        ("un mec me suit dans la rue", IMMEDIATE),
        ("il a un couteau il est devant chez moi", IMMEDIATE),
    ],
)
def test_each_danger_gets_its_category(text: str, category: DangerCategory) -> None:
    found = assess(text)
    assert found is not None
    assert found.category == category


def test_the_author_named_routes_the_same_violence() -> None:
    by_parent = assess("ma mère me cogne")
    by_partner = assess("mon mec me cogne")
    by_stranger = assess("des mecs me cognent dans la rue")
    assert by_parent is not None
    assert by_parent.category == CHILD_ABUSE
    assert by_partner is not None
    assert by_partner.category == PARTNER
    assert by_stranger is not None
    assert by_stranger.category == IMMEDIATE


def test_sexual_violence_of_a_minor_goes_to_119() -> None:
    text = "un gars m'a violée samedi"
    adult = assess(text, is_minor=False)
    minor = assess(text, is_minor=True)
    assert adult is not None
    assert adult.category == PARTNER
    assert minor is not None
    assert minor.category == CHILD_ABUSE


def test_a_plan_or_a_time_makes_suicide_critical() -> None:
    found = assess("je vais me tuer ce soir j'ai tout préparé")
    assert found is not None
    assert found.severity == Severity.CRITICAL


def test_a_weapon_makes_violence_critical() -> None:
    found = assess("mon copain me frappe et il a pris un couteau")
    assert found is not None
    assert found.severity == Severity.CRITICAL


def test_assess_returns_the_most_severe_of_several_dangers() -> None:
    text = "ils ont balancé mes nudes et je veux me tuer ce soir"
    everything = assess_all(text)
    assert {found.category for found in everything} >= {SUICIDE, CYBER}
    assert everything[0] == assess(text)
    assert everything[0].category == SUICIDE
    assert everything == sorted(everything, key=Assessment.sort_key)


def test_neighbouring_needs_are_not_emergencies() -> None:
    for text in [
        "je cherche un appart vers Lyon",
        "je galère avec la CAF",
        "je suis fatigué de chercher du taf",
        "je cherche un logement étudiant pour la rentrée",
    ]:
        assert assess_all(text) == [], text


def test_signals_name_rules_and_never_carry_the_text() -> None:
    text = "mon daron me tape"
    found = assess(text)
    assert found is not None
    assert found.signals
    for signal in found.signals:
        assert "." in signal
        assert "daron" not in signal
        assert "tape" not in signal


# --------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😭",
        "🔪🩸💊",
        "?!?!",
        "مرحبا، أريد أن أموت",
        "je veux mourir " * 700,
        "a" * 10_000,
        "\x00\x01\u200d\ufe0f",
        "j' d' m' qu'",
    ],
)
def test_any_input_is_answered_without_raising(text: str) -> None:
    assert isinstance(assess_all(text), list)
    assert assess(text) is None or isinstance(assess(text), Assessment)


def test_a_danger_at_the_end_of_a_long_message_is_still_found() -> None:
    text = "bla bla les cours " * 500 + ". jveux mourir"
    found = assess(text)
    assert found is not None
    assert found.category == SUICIDE


def test_broken_rules_fail_loudly() -> None:
    data = yaml.safe_load((SAFETY_DATA / "patterns.yml").read_text(encoding="utf-8"))
    data["signals"][0]["patterns"] = ["@no_such_macro"]
    with pytest.raises(SafetyDataError, match="unknown macro"):
        load_rules(data)


# ---------------------------------------------------------------- responses

NUMBERS = {
    SUICIDE: "3114",
    CHILD_ABUSE: "119",
    PARTNER: "3919",
    HOMELESS: "115",
    CYBER: "3018",
    IMMEDIATE: "17",
}


@pytest.mark.parametrize("category", list(DangerCategory))
@pytest.mark.parametrize("is_minor", [None, True, False])
def test_responses_give_a_number_first(
    category: DangerCategory, is_minor: bool | None
) -> None:
    found = Assessment(category, Severity.HIGH, ("test",))
    messages = responses_for(found, is_minor=is_minor)
    assert messages
    first = messages[0]
    assert any(char.isdigit() for char in first[:6]), first
    if not (category == CHILD_ABUSE and is_minor is False):
        assert NUMBERS[category] in first


def test_child_abuse_of_an_adult_still_mentions_119_up_to_21() -> None:
    found = Assessment(CHILD_ABUSE, Severity.HIGH, ("test",))
    text = " ".join(responses_for(found, is_minor=False))
    assert "17" in text
    assert "119" in text
    assert "21 ans" in text


def test_critical_danger_adds_the_emergency_lines() -> None:
    high = Assessment(SUICIDE, Severity.HIGH, ("test",))
    critical = Assessment(SUICIDE, Severity.CRITICAL, ("test",))
    assert len(responses_for(critical, is_minor=None)) > len(
        responses_for(high, is_minor=None)
    )
    assert "112" in " ".join(responses_for(critical, is_minor=None))


def test_immediate_danger_offers_the_sms_number() -> None:
    found = Assessment(IMMEDIATE, Severity.CRITICAL, ("test",))
    assert "114" in " ".join(responses_for(found, is_minor=None))


def test_responses_are_short_enough_for_every_platform() -> None:
    discord_limit = 2000
    for category in DangerCategory:
        for is_minor in (None, True, False):
            found = Assessment(category, Severity.CRITICAL, ("test",))
            for message in responses_for(found, is_minor=is_minor):
                assert len(message) < discord_limit


# ------------------------------------------- who does it, for the models


def test_model_violence_follows_the_one_person_named() -> None:
    """The scorer and the learned layer read meaning, not who is who."""
    from bot.safety.detector import _route_by_who

    family = [(0, CHILD_ABUSE)]
    partner = [(0, PARTNER)]
    assert _route_by_who(PARTNER, family) == CHILD_ABUSE
    assert _route_by_who(IMMEDIATE, partner) == PARTNER
    assert _route_by_who(PARTNER, []) == PARTNER
    # Both named: the model's reading stands.
    assert _route_by_who(PARTNER, family + partner) == PARTNER
    # Not violence: who is named changes nothing.
    assert _route_by_who(SUICIDE, family) == SUICIDE
    assert _route_by_who(HOMELESS, partner) == HOMELESS


@pytest.mark.parametrize(
    "text",
    [
        "22 ans, jfais rien, pas de diplome, jsuis a marseille 13003",
        "j'habite à Marseille",
        "jsuis sur roubaix",
        "saint denis 93",
        "villeneuve d ascq",
        "je vis à Besançon",
        "Saint-Étienne",
    ],
)
def test_a_town_is_no_danger_word_misspelt(text: str) -> None:
    """ "marseille" once sounded close enough to "harcele" to be corrected."""
    assert assess_all(text) == []
