"""Commands an action sends to the gateway rather than to the young person.

They travel as a custom message on Rasa's REST channel; the gateway strips
them from the answers and carries them out (see ``bot.gateway``). A command
may carry string arguments beside its name.
"""

from __future__ import annotations

COMMAND_KEY = "maraude_command"
ERASE_CONVERSATION = "erase_conversation"
# The young person asked for a human: queue the conversation for counsellors.
REQUEST_HANDOFF = "request_handoff"
# The young person agreed to a check-back: arguments ``next_step`` (may be
# empty) and ``due_at`` (ISO 8601, what the action told them).
SCHEDULE_FOLLOW_UP = "schedule_follow_up"
# "stop": no more follow-ups for this conversation.
CANCEL_FOLLOW_UPS = "cancel_follow_ups"


def command_message(command: str, **arguments: str) -> dict[str, str]:
    return {COMMAND_KEY: command, **arguments}
