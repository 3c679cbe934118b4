"""What the situation reader takes from messages of the orientation dialogue."""

from __future__ import annotations

from datetime import date

import pytest

from actions.situation_answers import Message, load_vocabulary, read_message

TODAY = date(2026, 12, 3)


def test_a_department_picked_among_communes_is_not_a_birth_year() -> None:
    message = Message(
        "celle du 93", "choose_place", [{"entity": "birth_year", "value": "93"}], None
    )

    reading = read_message(message, load_vocabulary(), TODAY)

    assert reading.age is None
    assert not reading.says_anything()


@pytest.mark.parametrize(
    "text",
    [
        "j'ai 17 ans j'ai arrêté le lycée, je suis à roubaix",
        "g 17 ans jai arreté le lycée",
        "jai 24 ans j'ai perdu mon taf",
        "je me suis fait virer",
    ],
)
def test_leaving_school_or_losing_a_job_is_being_out_of_everything(text: str) -> None:
    # The model may tag "lycée" alone as a status: the sentence says more.
    lycee = [{"entity": "status", "value": "lycée"}]

    reading = read_message(
        Message(text, "inform", lycee, None), load_vocabulary(), TODAY
    )

    assert reading.status == "nothing"
