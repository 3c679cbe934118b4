"""Commands an action sends to the gateway rather than to the young person.

They travel as a custom message on Rasa's REST channel; the gateway strips
them from the answers and carries them out (see ``bot.gateway``).
"""

from __future__ import annotations

COMMAND_KEY = "maraude_command"
ERASE_CONVERSATION = "erase_conversation"
# The young person asked for a human: queue the conversation for counsellors.
REQUEST_HANDOFF = "request_handoff"


def command_message(command: str) -> dict[str, str]:
    return {COMMAND_KEY: command}
