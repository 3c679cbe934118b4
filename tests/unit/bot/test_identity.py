from bot.identity import new_secret_key, pseudonym
from bot.messages import Channel

KEY = b"test-key"


def test_the_same_person_gets_the_same_pseudonym() -> None:
    assert pseudonym(KEY, Channel.TELEGRAM, "123") == pseudonym(
        KEY, Channel.TELEGRAM, "123"
    )


def test_the_same_id_on_two_platforms_gives_unrelated_pseudonyms() -> None:
    telegram = pseudonym(KEY, Channel.TELEGRAM, "123")
    discord = pseudonym(KEY, Channel.DISCORD, "123")
    assert telegram[3:] != discord[3:]


def test_a_pseudonym_depends_on_the_key_and_hides_the_id() -> None:
    one = pseudonym(KEY, Channel.WEBCHAT, "alice@example.org")
    other = pseudonym(b"another key", Channel.WEBCHAT, "alice@example.org")
    assert one != other
    assert "alice" not in one


def test_new_keys_are_random_and_long() -> None:
    first, second = new_secret_key(), new_secret_key()
    assert first != second
    assert len(first) >= 40
