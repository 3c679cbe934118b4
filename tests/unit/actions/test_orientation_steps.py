"""The place question's decisions, on the fixture communes."""

from __future__ import annotations

import pytest

from actions.orientation_steps import (
    LEAVE,
    MAX_TURNS,
    Ask,
    Outcome,
    PlaceState,
    Prompt,
    Said,
    Settled,
    answer_step,
    entry_step,
)
from actions.reference_data import OrientationData
from bot.orientation.places import PlaceIndex

ASKED = Said("c'est où ma mission locale", "ask_orientation")


@pytest.fixture
def index(orientation_data: OrientationData) -> PlaceIndex:
    return orientation_data.index


def found_code(step: object) -> str | None:
    assert isinstance(step, Settled), step
    assert step.outcome == Outcome.FOUND
    assert step.place is not None
    return step.place.code


def test_a_known_commune_code_is_answered_at_once(index: PlaceIndex) -> None:
    step = entry_step(index, PlaceState(place_code="59512"), ASKED, asked=True)

    assert found_code(step) == "59512"


def test_a_typed_place_is_resolved_at_entry(index: PlaceIndex) -> None:
    state = PlaceState(place="marseille 13003")

    assert found_code(entry_step(index, state, ASKED, asked=True)) == "13203"


def test_a_homonym_typed_earlier_is_asked_with_candidates(index: PlaceIndex) -> None:
    step = entry_step(index, PlaceState(place="st denis"), ASKED, asked=True)

    assert isinstance(step, Ask)
    assert step.prompt == Prompt.CHOOSE
    assert "93066" in [place.code for place in step.candidates]


def test_no_place_known_asks_for_it(index: PlaceIndex) -> None:
    assert entry_step(index, PlaceState(), ASKED, asked=True) == Ask(Prompt.ASK)


def test_a_refused_place_is_not_asked_again_after_the_questions(
    index: PlaceIndex,
) -> None:
    state = PlaceState(place_skipped=True, profile_known=True)

    step = entry_step(index, state, Said("le foot", "inform"), asked=False)

    assert step == Settled(Outcome.NO_PLACE)


def test_a_refused_place_is_asked_when_they_ask_where_to_go(
    index: PlaceIndex,
) -> None:
    state = PlaceState(place_skipped=True)

    assert entry_step(index, state, ASKED, asked=True) == Ask(Prompt.ASK)


def test_nothing_known_after_the_questions_says_nothing_more(
    index: PlaceIndex,
) -> None:
    state = PlaceState(place_skipped=True, profile_known=False)
    step = entry_step(index, state, Said("passe", "skip_question"), asked=False)

    assert step == Settled(Outcome.NO_PLACE)
    quiet = entry_step(index, PlaceState(), Said("passe", "skip_question"), asked=False)
    assert quiet == Settled(Outcome.QUIET)


def test_without_data_the_answer_is_unavailable() -> None:
    assert entry_step(None, PlaceState(), ASKED, asked=True) == Settled(
        Outcome.UNAVAILABLE
    )
    assert answer_step(None, PlaceState(), Said("roubaix", "inform")) == Settled(
        Outcome.UNAVAILABLE
    )


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("roubaix", "59512"),
        ("59100", "59512"),
        ("st denis 93", "93066"),
        ("marseille 13e", "13213"),
        ("Lyon 3", "69383"),
        ("paris 11", "75111"),
        ("villeneuve d ascq", "59009"),
        ("saint etienne", "42218"),
        ("j'habite à roubaix", "59512"),
    ],
)
def test_a_commune_typed_the_way_people_type_it_is_found(
    index: PlaceIndex, typed: str, code: str
) -> None:
    state = PlaceState(prompt=Prompt.ASK)

    assert found_code(answer_step(index, state, Said(typed, "inform"))) == code


def test_a_button_payload_settles_the_commune(index: PlaceIndex) -> None:
    said = Said(
        '/choose_place{"place_code":"93066"}',
        "choose_place",
        ({"entity": "place_code", "value": "93066"},),
    )
    state = PlaceState(prompt=Prompt.CHOOSE, candidates=("97411", "93066"))

    assert found_code(answer_step(index, state, said)) == "93066"


def test_a_candidate_can_be_named_by_its_department_or_rank(
    index: PlaceIndex,
) -> None:
    state = PlaceState(prompt=Prompt.CHOOSE, candidates=("97411", "93066"))

    assert found_code(answer_step(index, state, Said("celle du 93", "choose_place")))
    assert (
        found_code(answer_step(index, state, Said("la deuxième ville", "choose_place")))
        == "93066"
    )


def test_a_spelling_guess_is_confirmed_then_taken_on_yes(index: PlaceIndex) -> None:
    step = answer_step(index, PlaceState(prompt=Prompt.ASK), Said("roubai", "inform"))

    assert isinstance(step, Ask)
    assert step.prompt == Prompt.CONFIRM
    state = PlaceState(prompt=Prompt.CONFIRM, candidates=("59512",))
    assert found_code(answer_step(index, state, Said("oui", "affirm"))) == "59512"


def test_not_found_asks_again_once_then_gives_up(index: PlaceIndex) -> None:
    first = answer_step(index, PlaceState(prompt=Prompt.ASK), Said("zrgzrg", "inform"))

    assert first == Ask(Prompt.AGAIN, typed="zrgzrg", misses=1)
    again = PlaceState(prompt=Prompt.AGAIN, misses=1, turns=1)
    second = answer_step(index, again, Said("bledpaumé", "inform"))
    assert second == Settled(Outcome.GAVE_UP)


def test_no_to_the_buttons_counts_as_a_miss(index: PlaceIndex) -> None:
    state = PlaceState(prompt=Prompt.CHOOSE, candidates=("97411", "93066"))

    assert answer_step(index, state, Said("/deny", "deny")) == Ask(
        Prompt.AGAIN, misses=1
    )


def test_a_department_alone_asks_for_the_commune_then_reads_it_there(
    index: PlaceIndex,
) -> None:
    step = answer_step(index, PlaceState(prompt=Prompt.ASK), Said("93", "inform"))

    assert isinstance(step, Ask)
    assert (step.prompt, step.department) == (Prompt.DEPARTMENT, "93")
    state = PlaceState(prompt=Prompt.DEPARTMENT, department="93", misses=1)
    assert found_code(answer_step(index, state, Said("st denis", "inform"))) == "93066"


def test_skipping_or_not_knowing_ends_without_a_place(index: PlaceIndex) -> None:
    for intent in ("skip_question", "dont_know"):
        step = answer_step(index, PlaceState(prompt=Prompt.ASK), Said("jsp", intent))
        assert step == Settled(Outcome.NO_PLACE)


def test_a_request_for_a_human_is_not_read_as_a_place(index: PlaceIndex) -> None:
    said = Said("je veux parler à quelqu'un", "request_human")

    assert answer_step(index, PlaceState(prompt=Prompt.ASK), said) is LEAVE


def test_a_commune_read_as_a_goodbye_is_still_the_answer(index: PlaceIndex) -> None:
    said = Said("Roubaix", "goodbye")

    assert found_code(answer_step(index, PlaceState(prompt=Prompt.ASK), said))


def test_the_question_is_not_asked_forever(index: PlaceIndex) -> None:
    state = PlaceState(prompt=Prompt.CHOOSE, turns=MAX_TURNS - 1)

    step = answer_step(index, state, Said("villeneuve", "inform"))

    assert step == Settled(Outcome.GAVE_UP)


def test_a_question_instead_of_a_commune_asks_again_without_a_miss(
    index: PlaceIndex,
) -> None:
    state = PlaceState(prompt=Prompt.CHOOSE, candidates=("97411", "93066"), misses=1)

    step = answer_step(index, state, Said("pk tu demandes ça", "ask_why"))

    assert isinstance(step, Ask)
    assert (step.prompt, step.misses) == (Prompt.CHOOSE, 1)
    assert [place.code for place in step.candidates] == ["97411", "93066"]
