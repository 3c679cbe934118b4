"""Crisis detection for every inbound message, with the numbers to give.

Pure Python (no Rasa), so that the gateway can run it on every message,
including while Rasa is unreachable::

    from bot.safety import assess, responses_for

    found = assess(text, is_minor=profile.is_minor)
    if found is not None:
        send(responses_for(found, is_minor=profile.is_minor))
"""

from bot.safety.assessment import Assessment, DangerCategory, Severity
from bot.safety.detector import SafetyDataError, assess, assess_all, default_detector
from bot.safety.responses import responses_for

__all__ = [
    "Assessment",
    "DangerCategory",
    "SafetyDataError",
    "Severity",
    "assess",
    "assess_all",
    "default_detector",
    "responses_for",
]
